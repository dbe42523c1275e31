//! Real `tau node` processes on loopback: four validators finalise blocks, a transfer submitted to
//! one is final on all four with identical state, a validator killed with SIGKILL comes back and
//! catches up without ever being accused of equivocation, and a full node started later syncs.
//! Waits are bounded and generous; nothing asserts on speed.

use std::path::Path;
use std::time::{Duration, Instant};

use protocol::transaction::{Payload, Transaction};
use protocol::{Keypair, Rao};
use serde_json::Value;
use testnet::process::{self, RunningNode, StartSpec};
use testnet::{NodeKeys, NodeRole, TestnetLayout, TestnetSpec, http, orchestrate};

const PATIENCE: Duration = Duration::from_secs(90);

fn status(n: &RunningNode) -> Option<Value> {
    http::get(n.api, "/status").ok()
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn balance(n: &RunningNode, who: &protocol::PublicKey) -> Option<u64> {
    http::get(n.api, &format!("/accounts/{who}")).ok()?.get("balance")?.as_u64()
}

fn app_hash_at(n: &RunningNode, h: u64) -> Option<String> {
    Some(
        http::get(n.api, &format!("/blocks/{h}"))
            .ok()?
            .get("app_hash_after")?
            .as_str()?
            .to_string(),
    )
}

fn start_one(tau: &Path, layout: &TestnetLayout, node: &NodeKeys, bootnode: &str) -> RunningNode {
    let port = process::free_port().unwrap();
    let spec = StartSpec {
        tau,
        layout,
        node,
        p2p_port: port,
        bootnodes: vec![bootnode.to_string()],
        extra_args: vec![],
    };
    let pid = process::start(&spec).unwrap();
    let (api, peer_id) = process::wait_for_api(layout, &node.name, PATIENCE).unwrap();
    RunningNode {
        name: node.name.clone(),
        role: node.role,
        pid,
        peer_id: peer_id.clone(),
        p2p: format!("/ip4/127.0.0.1/tcp/{port}/p2p/{peer_id}"),
        api,
        log: layout.node_dir(&node.name).join("node.log"),
    }
}

#[test]
fn four_validators_finalise_transfer_survive_kill_and_a_full_node_syncs() {
    let tau = Path::new(env!("CARGO_BIN_EXE_tau"));
    let dir = tempfile::tempdir().unwrap();
    let spec = TestnetSpec::validators_only("tau-e2e", 4, 200, 42).unwrap();
    let mut keys = spec.node_keys().unwrap();
    let genesis = spec.genesis(&keys, 0).unwrap();
    let full = NodeKeys::new("full-0".into(), NodeRole::Miner, Some(42)).unwrap();
    keys.push(full.clone());
    let layout = TestnetLayout::write(dir.path(), &genesis, &keys).unwrap();
    let _guard = orchestrate::StopOnDrop::new(&layout, &keys);
    let validators: Vec<NodeKeys> =
        keys.iter().filter(|k| k.role == NodeRole::Validator).cloned().collect();

    let nodes = orchestrate::start_all(tau, &layout, &validators, PATIENCE).unwrap();
    orchestrate::wait_for_height(&nodes, 2, PATIENCE, |_| {}).unwrap();

    // A transfer submitted to validator-0 is final on all four.
    let sender = &validators[0].coldkey;
    let to = Keypair::from_seed(&[77; 32]).public();
    let tx = Transaction::sign(
        sender,
        &genesis.chain_id,
        0,
        Rao(0),
        Payload::Transfer { to, amount: Rao(123_456_789) },
    );
    let resp =
        http::post(nodes[0].api, "/transactions", &serde_json::to_value(&tx).unwrap()).unwrap();
    assert_eq!(resp["hash"].as_str().unwrap(), tx.hash().to_string());
    wait_until("the transfer is final on every validator", || {
        nodes.iter().all(|n| balance(n, &to) == Some(123_456_789))
    });

    // Identical state commitments at every height all four have.
    let common = nodes.iter().map(|n| orchestrate::height(n).unwrap_or(0)).min().unwrap();
    for h in 1..=common {
        let hashes: Vec<_> = nodes.iter().map(|n| app_hash_at(n, h)).collect();
        assert!(
            hashes.iter().all(|x| x.is_some() && *x == hashes[0]),
            "app hashes differ at height {h}: {hashes:?}"
        );
    }

    // SIGKILL validator-3 while blocks are produced: the other three keep finalising.
    let victim = &nodes[3];
    process::signal(victim.pid, "KILL").unwrap();
    wait_until("validator-3 is gone", || !process::is_alive(victim.pid));
    let before = orchestrate::height(&nodes[0]).unwrap();
    wait_until("three validators keep finalising", || {
        nodes[..3].iter().all(|n| orchestrate::height(n).unwrap_or(0) >= before + 3)
    });

    // It restarts from its store and safety record and catches up.
    let restarted = start_one(tau, &layout, &validators[3], &nodes[0].p2p);
    let target = orchestrate::height(&nodes[0]).unwrap() + 2;
    wait_until("validator-3 catches up", || orchestrate::height(&restarted).unwrap_or(0) >= target);
    assert_eq!(balance(&restarted, &to), Some(123_456_789), "nothing lost across the kill");

    // A full node started later syncs from genesis to the tip and keeps following.
    let follower = start_one(tau, &layout, &full, &nodes[1].p2p);
    let target = orchestrate::height(&nodes[0]).unwrap() + 2;
    wait_until("the full node syncs and follows", || {
        orchestrate::height(&follower).unwrap_or(0) >= target
    });
    let h = orchestrate::height(&follower).unwrap();
    assert_eq!(app_hash_at(&follower, h), app_hash_at(&nodes[0], h), "full node agrees on state");
    assert_eq!(status(&follower).unwrap()["validator"], Value::Bool(false));

    // Nobody ever recorded equivocation evidence against anyone.
    let tip = orchestrate::height(&nodes[0]).unwrap();
    for height in 1..=tip {
        let block = http::get(nodes[0].api, &format!("/blocks/{height}")).unwrap();
        let txs = block["transactions"].as_array().unwrap();
        assert!(
            txs.iter().all(|t| t["tx"]["body"]["payload"].get("SubmitEvidence").is_none()),
            "equivocation evidence at height {height}"
        );
    }
}
