//! Finality latency with four validator processes on loopback: submit a transfer to one node's
//! API, then time until every node's API shows it final. One transfer in flight at a time.
//! A measurement, not a test: it is ignored in the suite and prints its figures.
//!
//! `CARGO_TARGET_DIR=$HOME/.cache/tau/target cargo test --release -p node --test bench_finality -- --ignored --nocapture`

use std::path::Path;
use std::time::{Duration, Instant};

use protocol::transaction::{Payload, Transaction};
use protocol::{Keypair, Rao};
use testnet::{TestnetLayout, TestnetSpec, http, orchestrate};

#[test]
#[ignore = "measurement; run explicitly"]
fn finality_latency_four_validators() {
    let tau = Path::new(env!("CARGO_BIN_EXE_tau"));
    let dir = tempfile::tempdir().unwrap();
    let spec = TestnetSpec::validators_only("tau-bench", 4, 1_000, 7).unwrap();
    let keys = spec.node_keys().unwrap();
    let genesis = spec.genesis(&keys, 0).unwrap();
    let layout = TestnetLayout::write(dir.path(), &genesis, &keys).unwrap();
    let names: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
    let _guard = orchestrate::StopOnDrop { layout: &layout, names };
    let nodes = orchestrate::start_all(tau, &layout, &keys, Duration::from_secs(60)).unwrap();
    orchestrate::wait_for_height(&nodes, 3, Duration::from_secs(60), |_| {}).unwrap();

    let rounds: u64 =
        std::env::var("BENCH_TRANSFERS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let sender = &keys[0].coldkey;
    let to = Keypair::from_seed(&[99; 32]).public();
    let mut latencies = Vec::new();
    for nonce in 0..rounds {
        let tx = Transaction::sign(
            sender,
            &genesis.chain_id,
            nonce,
            Rao(0),
            Payload::Transfer { to, amount: Rao(1) },
        );
        let body = serde_json::to_value(&tx).unwrap();
        let start = Instant::now();
        http::post(nodes[(nonce % 4) as usize].api, "/transactions", &body).unwrap();
        let want = nonce + 1;
        let mut done = [false; 4];
        while !done.iter().all(|d| *d) {
            for (i, n) in nodes.iter().enumerate() {
                if !done[i] {
                    let b = http::get(n.api, &format!("/accounts/{to}"))
                        .ok()
                        .and_then(|v| v["balance"].as_u64());
                    done[i] = b == Some(want);
                }
            }
            assert!(start.elapsed() < Duration::from_secs(30), "transfer {nonce} not final");
        }
        latencies.push(start.elapsed());
    }
    latencies.sort();
    let pct = |p: usize| latencies[(latencies.len() * p / 100).min(latencies.len() - 1)];
    println!(
        "finality (submit -> final on all 4), {} transfers: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        pct(50).as_secs_f64() * 1e3,
        pct(90).as_secs_f64() * 1e3,
        pct(99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3
    );
}
