//! Running a testnet's nodes as real processes: start, find, stop. Each node runs `tau node` with
//! its own data directory, log file and pid file under the testnet directory.

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::launch::Launch;
use crate::layout::{NodeKeys, NodeRole, TestnetLayout};

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("node {name} did not write its API address within {secs} s; see {log}")]
    NoApi { name: String, secs: u64, log: String },
}

/// A started (or found) node process.
#[derive(Clone, Debug)]
pub struct RunningNode {
    pub name: String,
    pub role: NodeRole,
    pub pid: u32,
    pub peer_id: String,
    pub p2p: String,
    pub api: SocketAddr,
    pub log: PathBuf,
}

/// A port free on loopback for both TCP and UDP (a node listens on TCP and QUIC with one number);
/// bound, read and released, and the OS does not hand it out again soon.
pub fn free_port() -> std::io::Result<u16> {
    for _ in 0..64 {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Err(std::io::Error::new(std::io::ErrorKind::AddrInUse, "no port free for TCP and UDP"))
}

pub struct StartSpec<'a> {
    pub tau: &'a Path,
    pub layout: &'a TestnetLayout,
    pub node: &'a NodeKeys,
    pub p2p_port: u16,
    pub bootnodes: Vec<String>,
    pub extra_args: Vec<String>,
}

/// Starts `tau node` in its own process group (so a Ctrl-C to the launcher does not kill it),
/// with output appended to `<node>/node.log`. The node serves the admin API (loopback only: it
/// is how `tau testnet partition` cuts links) and its launch is recorded for `restart`.
pub fn start(spec: &StartSpec) -> Result<u32, ProcessError> {
    let dir = spec.layout.node_dir(&spec.node.name);
    fs::create_dir_all(&dir)?;
    let _ = fs::remove_file(dir.join("api.addr"));
    Launch {
        p2p_port: spec.p2p_port,
        bootnodes: spec.bootnodes.clone(),
        extra_args: spec.extra_args.clone(),
    }
    .save(spec.layout, &spec.node.name)?;
    let log = fs::OpenOptions::new().create(true).append(true).open(dir.join("node.log"))?;
    let mut cmd = Command::new(spec.tau);
    cmd.arg("node")
        .arg("--role")
        .arg(spec.node.role.as_str())
        .arg("--data-dir")
        .arg(&dir)
        .arg("--genesis")
        .arg(spec.layout.genesis_path())
        .arg("--hotkey")
        .arg(dir.join("hotkey.secret"))
        .arg("--listen")
        .arg(format!("/ip4/127.0.0.1/tcp/{}", spec.p2p_port))
        .arg("--listen")
        .arg(format!("/ip4/127.0.0.1/udp/{}/quic-v1", spec.p2p_port))
        .arg("--api")
        .arg("127.0.0.1:0")
        .arg("--admin-api");
    if dir.join("node.toml").exists() {
        cmd.arg("--config").arg(dir.join("node.toml"));
    }
    for b in &spec.bootnodes {
        cmd.arg("--bootnode").arg(b);
    }
    cmd.args(&spec.extra_args);
    cmd.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let child = cmd.spawn()?;
    let pid = child.id();
    fs::write(dir.join("pid"), pid.to_string())?;
    // The child is reaped by init once this process exits; the pid file is how we find it again.
    std::mem::forget(child);
    Ok(pid)
}

/// Waits for the node to publish its API address and peer id.
pub fn wait_for_api(
    layout: &TestnetLayout,
    name: &str,
    patience: Duration,
) -> Result<(SocketAddr, String), ProcessError> {
    let dir = layout.node_dir(name);
    let deadline = Instant::now() + patience;
    loop {
        let api = fs::read_to_string(dir.join("api.addr")).ok().and_then(|s| s.trim().parse().ok());
        let peer = fs::read_to_string(dir.join("peer.id")).ok();
        if let (Some(api), Some(peer)) = (api, peer) {
            return Ok((api, peer.trim().to_string()));
        }
        if Instant::now() > deadline {
            return Err(ProcessError::NoApi {
                name: name.to_string(),
                secs: patience.as_secs(),
                log: dir.join("node.log").display().to_string(),
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The pid recorded for a node, if its process still runs.
pub fn running_pid(layout: &TestnetLayout, name: &str) -> Option<u32> {
    let pid: u32 =
        fs::read_to_string(layout.node_dir(name).join("pid")).ok()?.trim().parse().ok()?;
    is_alive(pid).then_some(pid)
}

pub fn is_alive(pid: u32) -> bool {
    // /proc/<pid> exists for live processes and zombies; a zombie's state is 'Z'.
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit(')').next().and_then(|r| r.split_whitespace().next()) != Some("Z"),
        Err(_) => false,
    }
}

/// Sends a signal by name (`TERM`, `KILL`, `STOP`, `CONT`) with the system's `kill`.
pub fn signal(pid: u32, sig: &str) -> std::io::Result<bool> {
    Ok(Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status()?
        .success())
}

/// SIGTERM, then SIGKILL after `grace`; returns once the process is gone.
pub fn stop(pid: u32, grace: Duration) -> std::io::Result<()> {
    if !is_alive(pid) {
        return Ok(());
    }
    signal(pid, "TERM")?;
    let deadline = Instant::now() + grace;
    while is_alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    if is_alive(pid) {
        signal(pid, "KILL")?;
        while is_alive(pid) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    Ok(())
}
