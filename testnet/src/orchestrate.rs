//! `tau testnet up/down/status` as library calls: start every node of a prepared testnet, wait
//! until blocks finalise, and stop them all again.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::http;
use crate::layout::{NodeKeys, NodeRole, TestnetLayout};
use crate::process::{self, ProcessError, RunningNode, StartSpec};

#[derive(Debug, thiserror::Error)]
pub enum UpError {
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error("no block was finalised within {0} s; see the nodes' logs")]
    NoBlocks(u64),
}

/// Starts every node (the first validator first: its address is everyone's bootnode).
pub fn start_all(
    tau: &Path,
    layout: &TestnetLayout,
    nodes: &[NodeKeys],
    patience: Duration,
) -> Result<Vec<RunningNode>, UpError> {
    start_all_with(tau, layout, nodes, patience, |_| Vec::new())
}

/// [`start_all`] with extra `tau node` arguments per node (e.g. `--capture DIR`).
pub fn start_all_with(
    tau: &Path,
    layout: &TestnetLayout,
    nodes: &[NodeKeys],
    patience: Duration,
    extra_args: impl Fn(&NodeKeys) -> Vec<String>,
) -> Result<Vec<RunningNode>, UpError> {
    let mut running: Vec<RunningNode> = Vec::new();
    let mut bootnodes: Vec<String> = Vec::new();
    for node in nodes {
        let port = process::free_port().map_err(ProcessError::from)?;
        let spec = StartSpec {
            tau,
            layout,
            node,
            p2p_port: port,
            bootnodes: bootnodes.clone(),
            extra_args: extra_args(node),
        };
        let pid = process::start(&spec)?;
        let (api, peer_id) = process::wait_for_api(layout, &node.name, patience)?;
        let p2p = format!("/ip4/127.0.0.1/tcp/{port}/p2p/{peer_id}");
        if bootnodes.len() < 2 && node.role == NodeRole::Validator {
            bootnodes.push(p2p.clone());
        }
        running.push(RunningNode {
            name: node.name.clone(),
            role: node.role,
            pid,
            peer_id,
            p2p,
            api,
            log: layout.node_dir(&node.name).join("node.log"),
        });
    }
    Ok(running)
}

/// Height of a node's latest block, if its API answers.
pub fn height(node: &RunningNode) -> Option<u64> {
    http::get(node.api, "/status").ok()?.get("height")?.as_u64()
}

/// Waits until every node has committed at least `target`.
pub fn wait_for_height(
    nodes: &[RunningNode],
    target: u64,
    patience: Duration,
    mut progress: impl FnMut(u64),
) -> Result<(), UpError> {
    let deadline = Instant::now() + patience;
    loop {
        let lowest = nodes.iter().map(|n| height(n).unwrap_or(0)).min().unwrap_or(0);
        progress(lowest);
        if lowest >= target {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(UpError::NoBlocks(patience.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Stops every node whose pid file names a live process. Returns how many were stopped.
pub fn stop_all(layout: &TestnetLayout, names: &[String]) -> std::io::Result<usize> {
    let mut stopped = 0;
    for name in names {
        if let Some(pid) = process::running_pid(layout, name) {
            process::stop(pid, Duration::from_secs(10))?;
            stopped += 1;
        }
    }
    Ok(stopped)
}

/// Stops every named node of a testnet when dropped: tests and measurements hold one so that no
/// process outlives them, pass or panic.
pub struct StopOnDrop<'a> {
    pub layout: &'a TestnetLayout,
    pub names: Vec<String>,
}

impl<'a> StopOnDrop<'a> {
    /// Stops every one of `nodes` when dropped.
    pub fn new(layout: &'a TestnetLayout, nodes: &[NodeKeys]) -> Self {
        StopOnDrop { layout, names: nodes.iter().map(|k| k.name.clone()).collect() }
    }
}

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = stop_all(self.layout, &self.names);
    }
}
