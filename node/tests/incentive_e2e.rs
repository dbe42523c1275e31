//! The point of the network, end to end with real processes: four validators and six miners of
//! known quality (the built-in n-gram ladder), plus a miner that answers garbage and one that
//! never answers in time. Validators register themselves, query the miners over
//! `/tau/infer/1`, score them, and commit then reveal weights on chain; Yuma pays the miners.
//!
//! Checked: the miners' emission ranking matches their true quality (Spearman ρ ≥ 0.9), the
//! garbage and silent miners earn close to nothing, every validator earns dividends, the subnet
//! owner (a key that does nothing else) earns its cut, and issuance equals the emission schedule
//! to the rao. Waits are bounded and generous; nothing asserts on speed.

use std::path::Path;
use std::time::{Duration, Instant};

use protocol::{ChainId, Keypair};
use serde_json::Value;
use testnet::process::RunningNode;
use testnet::{TestnetLayout, TestnetSpec, http, orchestrate};

const PATIENCE: Duration = Duration::from_secs(90);
/// Epochs with every neuron registered and weights revealed before the ranking is judged.
const EPOCHS_TO_SETTLE: usize = 5;
const RANKED_MINERS: usize = 6;

fn metagraph(n: &RunningNode) -> Option<Vec<Value>> {
    http::get(n.api, "/subnets/1/metagraph").ok()?.as_array().cloned()
}

fn subnet(n: &RunningNode) -> Option<Value> {
    http::get(n.api, "/subnets/1").ok()
}

fn field(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(0)
}

/// Spearman's rank correlation of two equally long lists without ties in `truth`.
fn spearman(truth: &[u64], observed: &[u64]) -> f64 {
    let rank = |xs: &[u64]| -> Vec<f64> {
        let mut idx: Vec<usize> = (0..xs.len()).collect();
        idx.sort_by_key(|&i| xs[i]);
        let mut r = vec![0.0; xs.len()];
        let mut i = 0;
        while i < idx.len() {
            // Ties share their mean rank.
            let mut j = i;
            while j + 1 < idx.len() && xs[idx[j + 1]] == xs[idx[i]] {
                j += 1;
            }
            for &k in &idx[i..=j] {
                r[k] = (i + j) as f64 / 2.0;
            }
            i = j + 1;
        }
        r
    };
    let (a, b) = (rank(truth), rank(observed));
    let n = a.len() as f64;
    let mean = (n - 1.0) / 2.0;
    let cov: f64 = a.iter().zip(&b).map(|(x, y)| (x - mean) * (y - mean)).sum();
    let var = |r: &[f64]| r.iter().map(|x| (x - mean).powi(2)).sum::<f64>();
    cov / (var(&a) * var(&b)).sqrt()
}

fn write_script(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

#[test]
fn miners_are_paid_by_quality_and_validators_owner_and_schedule_add_up() {
    let tau = Path::new(env!("CARGO_BIN_EXE_tau"));
    let dir = tempfile::tempdir().unwrap();
    let spec = TestnetSpec {
        chain_id: ChainId::new("tau-incentive").unwrap(),
        validators: 4,
        miners: RANKED_MINERS as u16 + 2,
        subnets: 1,
        block_time_ms: 300,
        seed: Some(7),
    };
    let keys = spec.node_keys().unwrap();
    let mut genesis = spec.genesis(&keys, 0).unwrap();
    // An owner that runs no node: whatever its hotkey earns is the owner's cut.
    let owner = Keypair::from_seed(&[0x0e; 32]);
    genesis.subnets[0].owner_hotkey = owner.public();
    genesis.subnets[0].owner_coldkey = owner.public();
    let layout = TestnetLayout::write(&dir.path().join("net"), &genesis, &keys).unwrap();
    let _guard = orchestrate::StopOnDrop::new(&layout, &keys);

    // Miner 6 answers garbage, miner 7 never in time: both through the real exec backend.
    let garbage = write_script(
        dir.path(),
        "garbage.py",
        "import sys\nfor line in sys.stdin:\n    print('{\"id\": -1, \"response\": 7}', flush=True)\n",
    );
    let silent = write_script(
        dir.path(),
        "silent.py",
        "import sys, time\nfor line in sys.stdin:\n    time.sleep(60)\n",
    );
    for (i, script) in [(RANKED_MINERS, &garbage), (RANKED_MINERS + 1, &silent)] {
        let toml = layout.node_dir(&format!("miner-{i}")).join("node.toml");
        let mut text = std::fs::read_to_string(&toml).unwrap();
        text += &format!("backend = \"exec\"\nexec = [\"python3\", {script:?}]\n");
        std::fs::write(&toml, text).unwrap();
    }

    let nodes = orchestrate::start_all(tau, &layout, &keys, PATIENCE).unwrap();
    orchestrate::wait_for_height(&nodes, 2, PATIENCE, |_| {}).unwrap();
    let observer = &nodes[0];
    let hotkey_of = |name: &str| keys.iter().find(|k| k.name == name).unwrap().hotkey.public();

    // Everyone registers (one registration per block) and miners announce endpoints.
    let want = 1 + keys.len();
    let deadline = Instant::now() + 3 * PATIENCE;
    loop {
        let m = metagraph(observer).unwrap_or_default();
        let serving = m.iter().filter(|n| n["endpoints"].as_array().is_some_and(|e| !e.is_empty()));
        if m.len() == want && serving.count() == spec.miners as usize {
            break;
        }
        assert!(Instant::now() < deadline, "registrations incomplete: {} of {want}", m.len());
        std::thread::sleep(Duration::from_millis(500));
    }

    // Let epochs pass with weights committed and revealed, then judge the latest epoch.
    let mut last_epoch = None;
    let mut epochs = 0;
    let deadline = Instant::now() + 4 * PATIENCE;
    let (emission, graph) = loop {
        assert!(Instant::now() < deadline, "only {epochs} epochs in time");
        std::thread::sleep(Duration::from_millis(500));
        let Some(s) = subnet(observer) else { continue };
        let epoch = s.get("last_epoch_block").and_then(Value::as_u64);
        if epoch == last_epoch {
            continue;
        }
        last_epoch = epoch;
        let Some(m) = metagraph(observer) else { continue };
        let by_name = |name: &str| {
            let hk = hotkey_of(name).to_string();
            m.iter().find(|n| n["hotkey"] == hk.as_str()).cloned().unwrap()
        };
        let emission: Vec<u64> = (0..spec.miners as usize)
            .map(|i| field(&by_name(&format!("miner-{i}")), "emission"))
            .collect();
        // Counting starts at the first epoch that pays every ranked miner.
        if emission[..RANKED_MINERS].iter().all(|&e| e > 0) {
            epochs += 1;
        }
        println!("epoch at block {epoch:?}: miner emissions {emission:?}");
        if epochs >= EPOCHS_TO_SETTLE {
            break (emission, m);
        }
    };

    // Quality ranking: miner-0 is best, so its rank is the highest.
    let truth: Vec<u64> = (0..RANKED_MINERS as u64).rev().collect();
    let rho = spearman(&truth, &emission[..RANKED_MINERS]);
    println!("Spearman ρ between true quality and emission: {rho:.3}");
    assert!(rho >= 0.9, "emission ranking {emission:?} does not follow quality (ρ = {rho:.3})");

    let total: u64 = emission.iter().sum();
    for (i, what) in [(RANKED_MINERS, "garbage"), (RANKED_MINERS + 1, "silent")] {
        let share = emission[i] as f64 / total as f64;
        println!("{what} miner's share of miner emission: {:.5}", share);
        assert!(share < 0.01, "the {what} miner earned {share:.4} of the miners' emission");
    }

    for i in 0..spec.validators {
        let hk = hotkey_of(&format!("validator-{i}")).to_string();
        let v = graph.iter().find(|n| n["hotkey"] == hk.as_str()).unwrap();
        println!("validator-{i}: dividends {}, stake {}", field(v, "dividends"), field(v, "stake"));
        assert!(field(v, "dividends") > 0, "validator-{i} earns no dividends: {v}");
    }

    let owner_hk = owner.public().to_string();
    let owner_neuron = graph.iter().find(|n| n["hotkey"] == owner_hk.as_str()).unwrap();
    println!("owner's stake from its cut: {}", field(owner_neuron, "stake"));
    assert!(field(owner_neuron, "stake") > 0, "the owner earned no cut: {owner_neuron}");

    // The traffic shows in /metrics: the best miner served queries, weights travelled on gossip.
    let counter = |node: &RunningNode, series: &str| -> u64 {
        let text = http::get_text(node.api, "/metrics").unwrap_or_default();
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse::<f64>().ok())
            .map_or(0, |v| v as u64)
    };
    let best = nodes.iter().find(|n| n.name == "miner-0").unwrap();
    let served = counter(best, "tau_inference_served_total{netuid=\"1\",outcome=\"ok\"}");
    let weights = counter(observer, "tau_gossip_received_total{topic=\"weights\"}");
    println!("miner-0 served {served} queries; validator-0 received {weights} weight messages");
    assert!(served > 0 && weights > 0, "metrics: served {served}, weights received {weights}");

    // Issuance is genesis plus one block emission per block, to the rao.
    let supply = http::get(observer.api, "/supply").unwrap();
    let height = field(&supply, "height");
    let totals = &supply["totals"];
    let per_block = genesis.economics.block_emission.0;
    assert_eq!(field(totals, "minted"), height * per_block, "minted at height {height}");
    assert_eq!(field(totals, "issuance"), field(totals, "genesis") + height * per_block);
}
