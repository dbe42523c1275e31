//! Sustained transfers per second with four validator processes on loopback: funded senders
//! (`BENCH_SENDERS`, default 200) submit `BENCH_PER_SENDER` transfers each (default 50) to the
//! four APIs from four threads, one per request or `BENCH_BATCH` per
//! `POST /transactions/batch` (`BENCH_BINARY=1`: as canonical bytes, not JSON); the figure is transfers divided by the time until every node has
//! executed the last of them. A refusal for a full mempool is retried, as a client would.
//! `BENCH_KEEP=1` keeps the nodes' directories. A measurement, not a test: ignored in the suite,
//! it prints its figures and a timeline of every node's height and mempool.
//!
//! `BENCH_SENDERS=2000 BENCH_BATCH=250 CARGO_TARGET_DIR=$HOME/.cache/tau/target cargo test --release -p node --test bench_throughput -- --ignored --nocapture`

use std::path::Path;
use std::time::{Duration, Instant};

use protocol::codec;
use protocol::genesis::GenesisAccount;
use protocol::transaction::{Payload, Transaction};
use protocol::wire::TransactionBatch;
use protocol::{Keypair, Rao};
use testnet::{TestnetLayout, TestnetSpec, http, orchestrate};

/// Funded senders and transfers each: `BENCH_SENDERS` (default 200) and `BENCH_PER_SENDER`
/// (default 50).
fn load_shape() -> (usize, u64) {
    let var = |name: &str, default: u64| {
        std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default).max(1)
    };
    (var("BENCH_SENDERS", 200) as usize, var("BENCH_PER_SENDER", 50))
}

#[test]
#[ignore = "measurement; run explicitly"]
fn sustained_transfers_four_validators() {
    let tau = Path::new(env!("CARGO_BIN_EXE_tau"));
    let (senders_n, per_sender) = load_shape();
    let mut dir = tempfile::tempdir().unwrap();
    if std::env::var_os("BENCH_KEEP").is_some() {
        // Keep the nodes' logs and data for a look afterwards.
        dir.disable_cleanup(true);
        println!("testnet directory kept: {}", dir.path().display());
    }
    let spec = TestnetSpec::validators_only("tau-load", 4, 200, 11).unwrap();
    let keys = spec.node_keys().unwrap();
    let mut genesis = spec.genesis(&keys, 0).unwrap();
    let senders: Vec<Keypair> = (0..senders_n)
        .map(|i| Keypair::from_seed(blake3::hash(&(i as u64).to_le_bytes()).as_bytes()))
        .collect();
    for s in &senders {
        genesis.accounts.push(GenesisAccount { coldkey: s.public(), balance: Rao(1_000_000_000) });
    }
    genesis.validate().unwrap();
    let layout = TestnetLayout::write(dir.path(), &genesis, &keys).unwrap();
    let names: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
    let _guard = orchestrate::StopOnDrop { layout: &layout, names };
    let nodes = orchestrate::start_all(tau, &layout, &keys, Duration::from_secs(60)).unwrap();
    orchestrate::wait_for_height(&nodes, 2, Duration::from_secs(60), |_| {}).unwrap();
    let start_height = nodes.iter().filter_map(orchestrate::height).max().unwrap();

    let to = Keypair::from_seed(&[98; 32]).public();
    // `BENCH_BINARY=1`: batches go as canonical `TransactionBatch` bytes, not JSON.
    let binary = std::env::var_os("BENCH_BINARY").is_some();
    // Signed (and put in JSON) up front: the figure is the network's, not the load generator's.
    let mut batches: Vec<Vec<(Transaction, serde_json::Value)>> = vec![Vec::new(); 4];
    for nonce in 0..per_sender {
        for (i, s) in senders.iter().enumerate() {
            let tx = Transaction::sign(
                s,
                &genesis.chain_id,
                nonce,
                Rao(0),
                Payload::Transfer { to, amount: Rao(1) },
            );
            let json =
                if binary { serde_json::Value::Null } else { serde_json::to_value(&tx).unwrap() };
            batches[i % 4].push((tx, json));
        }
    }
    let total = senders_n as u64 * per_sender;
    let per_request: usize =
        std::env::var("BENCH_BATCH").ok().and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
    let start = Instant::now();
    let monitor = Monitor::start(nodes.iter().map(|n| n.api).collect(), start);
    let handles: Vec<_> = batches
        .into_iter()
        .enumerate()
        .map(|(i, batch)| {
            let api = nodes[i].api;
            std::thread::spawn(move || {
                let mut rejected = 0u64;
                if per_request == 1 {
                    for (_, body) in batch {
                        if http::post(api, "/transactions", &body).is_err() {
                            rejected += 1;
                        }
                    }
                    return rejected;
                }
                for chunk in batch.chunks(per_request) {
                    let mut pending = chunk.to_vec();
                    // A full mempool is back-pressure: wait and resend those, as a client would,
                    // before the next chunk (which holds the same senders' later nonces).
                    for _attempt in 0..200 {
                        let sent = if binary {
                            let transactions = pending.iter().map(|(tx, _)| tx.clone()).collect();
                            let body = codec::encode(&TransactionBatch { transactions });
                            http::post_binary(api, "/transactions/batch", &body)
                        } else {
                            let body = pending.iter().map(|(_, json)| json.clone()).collect();
                            http::post(api, "/transactions/batch", &serde_json::Value::Array(body))
                        };
                        let results = match sent {
                            Ok(r) => r,
                            Err(e) => {
                                eprintln!("batch of {} not submitted: {e}", pending.len());
                                break;
                            }
                        };
                        let Some(results) = results.as_array().cloned() else { break };
                        let mut full = Vec::new();
                        for (tx, r) in pending.iter().zip(&results) {
                            match r.get("error").and_then(|e| e.as_str()) {
                                Some(e) if e.contains("mempool is full") => full.push(tx.clone()),
                                Some(e) => {
                                    if rejected < 3 {
                                        eprintln!("transfer refused: {e}");
                                    }
                                    rejected += 1;
                                }
                                None => {}
                            }
                        }
                        pending = full;
                        if pending.is_empty() {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    rejected += pending.len() as u64;
                }
                rejected
            })
        })
        .collect();
    let rejected: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let submitted = start.elapsed();
    let want = total - rejected;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let done = nodes.iter().all(|n| {
            http::get(n.api, &format!("/accounts/{to}")).ok().and_then(|v| v["balance"].as_u64())
                == Some(want)
        });
        if done {
            break;
        }
        if Instant::now() > deadline {
            for n in &nodes {
                let st = http::get(n.api, "/status").ok();
                let bal =
                    http::get(n.api, &format!("/accounts/{to}")).ok().map(|v| v["balance"].clone());
                eprintln!(
                    "{}: status round {:?} height {:?} mempool {:?} balance {bal:?}",
                    n.name,
                    st.as_ref().map(|v| v["round"].clone()),
                    st.as_ref().map(|v| v["height"].clone()),
                    st.as_ref().map(|v| v["mempool"].clone())
                );
                let log = std::fs::read_to_string(&n.log).unwrap_or_default();
                let tail: Vec<&str> = log
                    .lines()
                    .rev()
                    .filter(|l| l.contains("WARN") || l.contains("ERROR"))
                    .take(5)
                    .collect();
                eprintln!("{}: last warnings {tail:#?}", n.name);
            }
            let behind: Vec<(usize, u64)> = senders
                .iter()
                .enumerate()
                .filter_map(|(i, k)| {
                    let v = http::get(nodes[0].api, &format!("/accounts/{}", k.public())).ok()?;
                    let nonce = v["nonce"].as_u64()?;
                    (nonce < per_sender).then_some((i, nonce))
                })
                .collect();
            monitor.finish();
            eprintln!(
                "{} senders short of their last nonce, e.g. {:?}",
                behind.len(),
                &behind[..behind.len().min(10)]
            );
            panic!("transfers never all final");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = start.elapsed();
    monitor.finish();
    let end_height = nodes.iter().filter_map(orchestrate::height).min().unwrap();
    println!(
        "{want} transfers ({rejected} refused at submission) final on all 4 in {:.2} s: {:.0} transfers/s; \
         submission took {:.2} s ({:.0}/s over HTTP); {} blocks",
        elapsed.as_secs_f64(),
        want as f64 / elapsed.as_secs_f64(),
        submitted.as_secs_f64(),
        total as f64 / submitted.as_secs_f64(),
        end_height - start_height
    );
}

/// Samples every node's height and mempool size twice a second while the load runs, and prints
/// the timeline: where a run spends its time (submission, proposal backlog, commits).
struct Monitor {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<Vec<String>>,
}

impl Monitor {
    fn start(apis: Vec<std::net::SocketAddr>, start: Instant) -> Monitor {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut lines = Vec::new();
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                let cells: Vec<String> = apis
                    .iter()
                    .map(|api| match http::get(*api, "/status") {
                        Ok(v) => format!("h{} m{}", v["height"], v["mempool"]),
                        Err(_) => "-".to_string(),
                    })
                    .collect();
                lines.push(format!(
                    "{:6.2} s  {}",
                    start.elapsed().as_secs_f64(),
                    cells.join(" | ")
                ));
                std::thread::sleep(Duration::from_millis(500));
            }
            lines
        });
        Monitor { stop, thread }
    }

    fn finish(self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for line in self.thread.join().unwrap_or_default() {
            println!("{line}");
        }
    }
}
