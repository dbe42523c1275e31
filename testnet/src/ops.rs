//! Operating a running testnet node by node: find a node from the directory, kill it with a
//! signal, restart it with the same keys, data and (when free) port, and wait until it has caught
//! up with the others.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::http;
use crate::keyfiles::{self, KeyFileError};
use crate::launch::{Launch, LaunchError, port_is_free};
use crate::layout::{NodeEntry, TestnetLayout};
use crate::orchestrate;
use crate::process::{self, ProcessError, RunningNode, StartSpec};

/// How many bootnodes a restarted node is given (every other running node, up to this).
const MAX_BOOTNODES: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("no node `{name}` in this testnet (nodes: {known})")]
    UnknownNode { name: String, known: String },
    #[error("node {0} is not running")]
    NotRunning(String),
    #[error("node {name} (pid {pid}) is still running {secs} s after SIG{signal}")]
    Survived { name: String, pid: u32, signal: &'static str, secs: u64 },
    #[error("node {name} reached height {height} but not {target} within {secs} s; see {log}")]
    NoCatchUp { name: String, height: u64, target: u64, secs: u64, log: String },
    #[error(transparent)]
    Process(#[from] ProcessError),
    #[error(transparent)]
    Launch(#[from] LaunchError),
    #[error(transparent)]
    Keys(#[from] KeyFileError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// What the testnet directory and the process table say about one node.
#[derive(Clone, Debug)]
pub struct NodeView {
    pub name: String,
    /// As `node.json` names it (`validator`, `miner`, …).
    pub role: String,
    /// The node's process, if it runs.
    pub pid: Option<u32>,
    /// The API address the node last published (stale if it is not running).
    pub api: Option<SocketAddr>,
    /// Its libp2p identity (its hotkey), once it has started at least once.
    pub peer_id: Option<String>,
    pub launch: Option<Launch>,
    pub log: PathBuf,
}

impl NodeView {
    /// The API of a running node.
    pub fn live_api(&self) -> Option<SocketAddr> {
        self.pid.and(self.api)
    }

    /// Where other nodes dial it: `/ip4/127.0.0.1/tcp/<port>/p2p/<peer id>`.
    pub fn p2p_addr(&self) -> Option<String> {
        Some(self.launch.as_ref()?.p2p_addr(self.peer_id.as_deref()?))
    }

    /// Height of its latest block, if it runs and its API answers.
    pub fn height(&self) -> Option<u64> {
        http::get(self.live_api()?, "/status").ok()?.get("height")?.as_u64()
    }
}

fn read_small(path: &Path) -> Option<String> {
    // These files hold an address or an id; a huge one is not ours and is ignored.
    (std::fs::metadata(path).ok()?.len() <= 4096)
        .then(|| std::fs::read_to_string(path).ok())
        .flatten()
        .map(|s| s.trim().to_string())
}

pub fn view(layout: &TestnetLayout, entry: &NodeEntry) -> Result<NodeView, OpsError> {
    let dir = layout.node_dir(&entry.name);
    Ok(NodeView {
        name: entry.name.clone(),
        role: entry.role.clone(),
        pid: process::running_pid(layout, &entry.name),
        api: read_small(&dir.join("api.addr")).and_then(|s| s.parse().ok()),
        peer_id: read_small(&dir.join("peer.id")).filter(|s| !s.is_empty()),
        launch: Launch::load(layout, &entry.name)?,
        log: dir.join("node.log"),
    })
}

/// Every node of the testnet, validators first.
pub fn views(layout: &TestnetLayout) -> Result<Vec<NodeView>, OpsError> {
    layout.nodes()?.iter().map(|e| view(layout, e)).collect()
}

/// One node's entry by name; the error lists the names there are.
pub fn entry(layout: &TestnetLayout, name: &str) -> Result<NodeEntry, OpsError> {
    let entries = layout.nodes()?;
    let known = entries.iter().map(|e| e.name.clone()).collect::<Vec<_>>().join(", ");
    entries
        .into_iter()
        .find(|e| e.name == name)
        .ok_or_else(|| OpsError::UnknownNode { name: name.to_string(), known })
}

/// One node by name.
pub fn find(layout: &TestnetLayout, name: &str) -> Result<NodeView, OpsError> {
    view(layout, &entry(layout, name)?)
}

/// The signals `kill` sends: TERM lets the node shut down cleanly, KILL is a crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    Term,
    Kill,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Term => "TERM",
            Signal::Kill => "KILL",
        }
    }
}

/// Sends `signal` to the node and waits up to `wait` for its process to end. Returns its pid.
pub fn kill(
    layout: &TestnetLayout,
    name: &str,
    signal: Signal,
    wait: Duration,
) -> Result<u32, OpsError> {
    let node = find(layout, name)?;
    let pid = node.pid.ok_or_else(|| OpsError::NotRunning(name.to_string()))?;
    process::signal(pid, signal.name())?;
    let deadline = Instant::now() + wait;
    while process::is_alive(pid) {
        if Instant::now() > deadline {
            return Err(OpsError::Survived {
                name: name.to_string(),
                pid,
                signal: signal.name(),
                secs: wait.as_secs(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(pid)
}

/// Where a restart stands, for progress displays.
#[derive(Clone, Debug)]
pub enum RestartStep {
    /// The node was running and has been stopped first.
    Stopped { pid: u32 },
    /// The process runs (on `port`; `same_port` false if the old one was taken).
    Started { pid: u32, port: u16, same_port: bool },
    /// Its API answers.
    Api { api: SocketAddr },
    /// Catching up: its height and the height it must reach.
    CatchingUp { height: u64, target: u64 },
}

/// Starts the node again with its keys, data directory, flags and (when still free) p2p port,
/// dialling its old bootnodes and every other running node; then waits until it has reached the
/// height the others had when it started. A running node is stopped first.
pub fn restart(
    tau: &Path,
    layout: &TestnetLayout,
    name: &str,
    patience: Duration,
    mut progress: impl FnMut(RestartStep),
) -> Result<RunningNode, OpsError> {
    let node = find(layout, name)?;
    if let Some(pid) = node.pid {
        process::stop(pid, Duration::from_secs(10))?;
        progress(RestartStep::Stopped { pid });
    }
    let others: Vec<NodeView> =
        views(layout)?.into_iter().filter(|v| v.name != name && v.pid.is_some()).collect();
    let old = node.launch.clone();
    let wanted = old.as_ref().map(|l| l.p2p_port);
    let port = match wanted {
        // A port just released can linger for a moment; give it a second before moving on.
        Some(p) if wait_port_free(p, Duration::from_secs(2)) => p,
        _ => process::free_port()?,
    };
    let mut bootnodes: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    let candidates = others
        .iter()
        .filter_map(NodeView::p2p_addr)
        .chain(old.iter().flat_map(|l| l.bootnodes.iter().cloned()));
    for addr in candidates {
        if bootnodes.len() < MAX_BOOTNODES && seen.insert(addr.clone()) {
            bootnodes.push(addr);
        }
    }
    let keys = keyfiles::load_node_keys(layout, &entry(layout, name)?)?;
    let spec = StartSpec {
        tau,
        layout,
        node: &keys,
        p2p_port: port,
        bootnodes,
        extra_args: old.map(|l| l.extra_args).unwrap_or_default(),
    };
    let pid = process::start(&spec)?;
    progress(RestartStep::Started { pid, port, same_port: wanted == Some(port) });
    let (api, peer_id) = process::wait_for_api(layout, name, patience)?;
    progress(RestartStep::Api { api });
    let running = RunningNode {
        name: name.to_string(),
        role: keys.role,
        pid,
        p2p: format!("/ip4/127.0.0.1/tcp/{port}/p2p/{peer_id}"),
        peer_id,
        api,
        log: node.log.clone(),
    };
    let target = others.iter().filter_map(NodeView::height).max().unwrap_or(0);
    let deadline = Instant::now() + patience;
    loop {
        let height = orchestrate::height(&running).unwrap_or(0);
        progress(RestartStep::CatchingUp { height, target });
        if height >= target {
            return Ok(running);
        }
        if Instant::now() > deadline || !process::is_alive(pid) {
            return Err(OpsError::NoCatchUp {
                name: name.to_string(),
                height,
                target,
                secs: patience.as_secs(),
                log: node.log.display().to_string(),
            });
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn wait_port_free(port: u16, patience: Duration) -> bool {
    let deadline = Instant::now() + patience;
    loop {
        if port_is_free(port) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
