//! Sustained transfers per second with four validator processes on loopback: 200 funded senders
//! submit 50 transfers each (10,000 in all) to the four APIs from four threads, one per request
//! (or `BENCH_BATCH` per `POST /transactions/batch`); the figure is
//! transfers divided by the time until every node has executed the last of them.
//! A measurement, not a test: ignored in the suite, it prints its figures.
//!
//! `CARGO_TARGET_DIR=$HOME/.cache/tau/target cargo test --release -p node --test bench_throughput -- --ignored --nocapture`

use std::path::Path;
use std::time::{Duration, Instant};

use protocol::genesis::GenesisAccount;
use protocol::transaction::{Payload, Transaction};
use protocol::{Keypair, Rao};
use testnet::{TestnetLayout, TestnetSpec, http, orchestrate};

const SENDERS: usize = 200;
const PER_SENDER: u64 = 50;
/// Transfers per request: 1 (the default) uses `POST /transactions`; more use
/// `POST /transactions/batch` (e.g. `BENCH_BATCH=250`).

#[test]
#[ignore = "measurement; run explicitly"]
fn sustained_transfers_four_validators() {
    let tau = Path::new(env!("CARGO_BIN_EXE_tau"));
    let dir = tempfile::tempdir().unwrap();
    let spec = TestnetSpec::validators_only("tau-load", 4, 200, 11).unwrap();
    let keys = spec.node_keys().unwrap();
    let mut genesis = spec.genesis(&keys, 0).unwrap();
    let senders: Vec<Keypair> = (0..SENDERS)
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
    // Signed up front: the figure is the network's, not the load generator's signing speed.
    let mut batches: Vec<Vec<serde_json::Value>> = vec![Vec::new(); 4];
    for nonce in 0..PER_SENDER {
        for (i, s) in senders.iter().enumerate() {
            let tx = Transaction::sign(
                s,
                &genesis.chain_id,
                nonce,
                Rao(0),
                Payload::Transfer { to, amount: Rao(1) },
            );
            batches[i % 4].push(serde_json::to_value(&tx).unwrap());
        }
    }
    let total = SENDERS as u64 * PER_SENDER;
    let per_request: usize =
        std::env::var("BENCH_BATCH").ok().and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
    let start = Instant::now();
    let handles: Vec<_> = batches
        .into_iter()
        .enumerate()
        .map(|(i, batch)| {
            let api = nodes[i].api;
            std::thread::spawn(move || {
                let mut rejected = 0u64;
                if per_request == 1 {
                    for body in batch {
                        if http::post(api, "/transactions", &body).is_err() {
                            rejected += 1;
                        }
                    }
                    return rejected;
                }
                for chunk in batch.chunks(per_request) {
                    let body = serde_json::Value::Array(chunk.to_vec());
                    match http::post(api, "/transactions/batch", &body) {
                        Ok(results) => {
                            let refused = results.as_array().map_or(chunk.len(), |r| {
                                r.iter().filter(|x| x.get("error").is_some()).count()
                            });
                            rejected += refused as u64;
                        }
                        Err(_) => rejected += chunk.len() as u64,
                    }
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
            panic!("transfers never all final");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = start.elapsed();
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
