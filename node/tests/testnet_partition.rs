//! The operations of `tau testnet` on real `tau node` processes, through the library calls the
//! CLI makes: a 2|2 partition of four validators stalls both sides (neither has more than 2/3 of
//! the stake) and holds back a transfer; heal lets blocks finalise again with one state on every
//! node; a validator killed with SIGKILL and restarted catches up and comes back healed; the load
//! generator's transfers are all included. Waits are bounded and generous; nothing asserts on
//! speed.

use std::path::Path;
use std::time::{Duration, Instant};

use protocol::transaction::{Payload, Transaction};
use protocol::{Keypair, Rao};
use testnet::ops::{self, RestartStep, Signal};
use testnet::partition;
use testnet::process::{self, RunningNode};
use testnet::txload::{self, LoadSpec};
use testnet::{TestnetLayout, TestnetSpec, http, logs, orchestrate, status};

const PATIENCE: Duration = Duration::from_secs(120);

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn height(n: &RunningNode) -> u64 {
    orchestrate::height(n).unwrap_or(0)
}

fn peers(n: &RunningNode) -> Option<u64> {
    http::get(n.api, "/status").ok()?.get("peers")?.as_u64()
}

fn balance(n: &RunningNode, who: &protocol::PublicKey) -> Option<u64> {
    http::get(n.api, &format!("/accounts/{who}")).ok()?.get("balance")?.as_u64()
}

fn app_hash_at(n: &RunningNode, h: u64) -> Option<String> {
    let block = http::get(n.api, &format!("/blocks/{h}")).ok()?;
    Some(block.get("app_hash_after")?.as_str()?.to_string())
}

fn assert_one_state(nodes: &[&RunningNode]) {
    let common = nodes.iter().map(|n| height(n)).min().unwrap_or(0);
    assert!(common > 0);
    for h in 1..=common {
        let hashes: Vec<_> = nodes.iter().map(|n| app_hash_at(n, h)).collect();
        assert!(
            hashes.iter().all(|x| x.is_some() && *x == hashes[0]),
            "app hashes differ at height {h}: {hashes:?}"
        );
    }
}

fn blocked(n: &RunningNode) -> Vec<String> {
    let v = http::get(n.api, "/admin/peers/blocked").expect("admin API answers");
    v["blocked"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect()
}

#[test]
fn partition_stalls_both_sides_heal_resumes_and_a_killed_validator_restarts_healed() {
    let tau = Path::new(env!("CARGO_BIN_EXE_tau"));
    let dir = tempfile::tempdir().unwrap();
    let spec = TestnetSpec::validators_only("tau-partition", 4, 200, 8).unwrap();
    let keys = spec.node_keys().unwrap();
    let genesis = spec.genesis(&keys, 0).unwrap();
    let layout = TestnetLayout::write(dir.path(), &genesis, &keys).unwrap();
    let _guard = orchestrate::StopOnDrop::new(&layout, &keys);
    let nodes = orchestrate::start_all(tau, &layout, &keys, PATIENCE).unwrap();
    orchestrate::wait_for_height(&nodes, 2, PATIENCE, |_| {}).unwrap();
    wait_until("every validator sees the three others", || {
        nodes.iter().all(|n| peers(n) == Some(3))
    });

    // 2|2: each side holds half the stake, and a block needs more than two thirds.
    let sides: Vec<Vec<String>> = vec![
        vec!["validator-0".into(), "validator-1".into()],
        vec!["validator-2".into(), "validator-3".into()],
    ];
    let report = partition::partition(&layout, &sides).unwrap();
    assert_eq!(report.blocking.len(), 4);
    assert!(report.blocking.iter().all(|(_, n)| *n == 2), "{:?}", report.blocking);
    assert!(report.bystanders.is_empty() && report.not_running.is_empty());
    wait_until("each validator keeps only its side's partner", || {
        nodes.iter().all(|n| peers(n) == Some(1))
    });
    // A block already decided may still land; then nothing may.
    std::thread::sleep(Duration::from_secs(3));
    let stalled: Vec<u64> = nodes.iter().map(height).collect();
    let sender = &keys[0].coldkey;
    let to = Keypair::from_seed(&[91; 32]).public();
    let tx = Transaction::sign(
        sender,
        &genesis.chain_id,
        0,
        Rao(0),
        Payload::Transfer { to, amount: Rao(5_000) },
    );
    http::post(nodes[0].api, "/transactions", &serde_json::to_value(&tx).unwrap()).unwrap();
    std::thread::sleep(Duration::from_secs(8));
    let after: Vec<u64> = nodes.iter().map(height).collect();
    assert_eq!(after, stalled, "a side without 2/3 of the stake finalised a block");
    assert!(nodes.iter().all(|n| balance(n, &to) == Some(0)), "a transfer became final");

    // Heal: every block lifted, links redialled, blocks finalise again, the transfer with them.
    partition::heal(&layout).unwrap();
    assert!(nodes.iter().all(|n| blocked(n).is_empty()));
    let top = *stalled.iter().max().unwrap();
    wait_until("blocks finalise again on all four", || nodes.iter().all(|n| height(n) >= top + 3));
    wait_until("the held-back transfer is final everywhere", || {
        nodes.iter().all(|n| balance(n, &to) == Some(5_000))
    });
    assert_one_state(&nodes.iter().collect::<Vec<_>>());

    // SIGKILL validator-3; the other three hold 3/4 of the stake and keep going.
    let pid = ops::kill(&layout, "validator-3", Signal::Kill, PATIENCE).unwrap();
    assert!(!process::is_alive(pid));
    let before = height(&nodes[0]);
    wait_until("three validators keep finalising", || {
        nodes[..3].iter().all(|n| height(n) >= before + 3)
    });

    // Partition it away while it is down, then restart: a restarted node keeps no block list.
    let sides3: Vec<Vec<String>> = vec![
        vec!["validator-0".into(), "validator-1".into(), "validator-2".into()],
        vec!["validator-3".into()],
    ];
    let report = partition::partition(&layout, &sides3).unwrap();
    assert_eq!(report.not_running, vec!["validator-3".to_string()]);
    partition::heal(&layout).unwrap();
    let mut steps = Vec::new();
    let restarted = ops::restart(tau, &layout, "validator-3", PATIENCE, |s| steps.push(s)).unwrap();
    assert!(
        steps.iter().any(|s| matches!(s, RestartStep::Started { same_port: true, .. })),
        "the old p2p port was free, so it is reused: {steps:?}"
    );
    assert!(blocked(&restarted).is_empty());
    let target = height(&nodes[0]) + 2;
    wait_until("validator-3 catches up and follows", || height(&restarted) >= target);
    assert_eq!(balance(&restarted, &to), Some(5_000), "nothing lost across the kill");
    let all = [&nodes[0], &nodes[1], &nodes[2], &restarted];
    assert_one_state(&all);

    // Status sees all four running; the log has the node's story.
    let rows = status::collect(&layout).unwrap();
    assert!(rows.iter().all(|r| r.running && r.status.is_some()), "{rows:?}");
    let view = ops::find(&layout, "validator-3").unwrap();
    let (tail, _) = logs::tail(&view.log, 200).unwrap();
    assert!(String::from_utf8_lossy(&tail).contains("block committed"));

    // The load generator's transfers between the four coldkeys are all included.
    let load = LoadSpec {
        tps: 40.0,
        duration: Duration::from_secs(4),
        batch: 10,
        settle: Duration::from_secs(60),
    };
    let summary = txload::run(&layout, &load, |_| {}).unwrap();
    let c = &summary.counts;
    assert!(c.submitted >= 40, "{summary:?}");
    assert_eq!(c.rejected, 0, "{summary:?}");
    assert_eq!(c.included, c.accepted, "{summary:?}");
    assert_one_state(&all);
}

#[test]
fn admin_routes_are_refused_on_a_public_api_address() {
    let tau = Path::new(env!("CARGO_BIN_EXE_tau"));
    let out = std::process::Command::new(tau)
        .args(["node", "--admin-api", "--api", "0.0.0.0:0", "--genesis", "/nonexistent"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("loopback"), "{err}");
}
