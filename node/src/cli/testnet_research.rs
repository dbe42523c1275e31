//! The gossip-research side of `tau testnet`: full nodes, capture directories, a transfer load
//! and the report over a run's captures.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use protocol::genesis::{Genesis, GenesisAccount};
use testnet::layout::NodeKeys;
use testnet::report::{self, Window};
use testnet::{NodeRole, TestnetLayout};

/// Starting balance of a full node's coldkey: enough for any load test's transfers and fees.
const FULL_NODE_BALANCE_TAO: u64 = 1_000;

/// Adds `count` full nodes (`full-0…`) to a new testnet, their coldkeys funded in genesis so
/// `tau testnet load` can send transfers from them.
pub fn add_full_nodes(
    nodes: &mut Vec<NodeKeys>,
    genesis: &mut Genesis,
    count: u16,
    seed: Option<u64>,
) -> anyhow::Result<()> {
    for i in 0..count {
        let keys = NodeKeys::new(format!("full-{i}"), NodeRole::Full, seed)?;
        genesis.accounts.push(GenesisAccount {
            coldkey: keys.coldkey.public(),
            balance: protocol::Rao(FULL_NODE_BALANCE_TAO * protocol::RAO_PER_TAO),
        });
        nodes.push(keys);
    }
    genesis.validate().context("genesis with full nodes")?;
    Ok(())
}

/// Each node's capture directory: `<node>/capture`.
pub fn capture_dirs(layout: &TestnetLayout, nodes: &[NodeKeys]) -> Vec<(String, PathBuf)> {
    nodes.iter().map(|n| (n.name.clone(), layout.node_dir(&n.name).join("capture"))).collect()
}

pub fn capture_args(dirs: Option<&[(String, PathBuf)]>, name: &str) -> Vec<String> {
    dirs.and_then(|d| d.iter().find(|(n, _)| n == name))
        .map(|(_, dir)| vec!["--capture".to_string(), dir.display().to_string()])
        .unwrap_or_default()
}

/// A report over two runs would mix them; refuse rather than append to an earlier run.
pub fn check_no_old_captures(dirs: &[(String, PathBuf)]) -> anyhow::Result<()> {
    let old: Vec<String> = dirs
        .iter()
        .filter(|(_, d)| {
            std::fs::read_dir(d).is_ok_and(|mut it| {
                it.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("capture-")))
            })
        })
        .map(|(_, d)| d.display().to_string())
        .collect();
    if !old.is_empty() {
        bail!(
            "captures of an earlier run are still in {} (and {} more); move or delete them \
             (or start afresh with `tau testnet down --wipe`)",
            old[0],
            old.len() - 1
        );
    }
    Ok(())
}

pub fn report(dir: &Path, out: Option<&Path>, window: Window, json: bool) -> anyhow::Result<()> {
    let files = report::find_captures(dir)?;
    let collected = report::collect(&files)?;
    let analysis = report::analyze(&collected, window);
    let out = out.map_or_else(|| dir.join("report"), Path::to_path_buf);
    let written = report::write(&out, &analysis)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&analysis)?);
        return Ok(());
    }
    print!("{}", report::markdown::render(&analysis, false));
    println!(
        "\nWrote {} (with per-node traffic), {}, {}, {}",
        written.markdown.display(),
        written.delay_svg.display(),
        written.mesh_dot.display(),
        written.mesh_svg.display()
    );
    Ok(())
}
