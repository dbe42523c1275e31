//! How a node was last started (`<node>/launch.json`): its p2p port, bootnodes and extra flags,
//! so `tau testnet restart` brings it back on the same address with the same options, and other
//! commands can name its p2p address without asking the (possibly dead) process.

use std::fs;

use serde::{Deserialize, Serialize};

use crate::layout::TestnetLayout;

/// Largest launch file read back (it holds a port and a few addresses).
const MAX_LAUNCH_BYTES: u64 = 64 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Launch {
    /// TCP and QUIC (UDP) port, on 127.0.0.1.
    pub p2p_port: u16,
    pub bootnodes: Vec<String>,
    pub extra_args: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path} is larger than {MAX_LAUNCH_BYTES} bytes")]
    TooLarge { path: String },
    #[error("{path} is not a launch record: {source}")]
    Json { path: String, source: serde_json::Error },
}

impl Launch {
    pub fn save(&self, layout: &TestnetLayout, name: &str) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        fs::write(layout.node_dir(name).join("launch.json"), text + "\n")
    }

    /// The node's launch record; `Ok(None)` if it was never started by this tool.
    pub fn load(layout: &TestnetLayout, name: &str) -> Result<Option<Launch>, LaunchError> {
        let path = layout.node_dir(name).join("launch.json");
        let shown = path.display().to_string();
        let len = match fs::metadata(&path) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(LaunchError::Io { path: shown, source }),
        };
        if len > MAX_LAUNCH_BYTES {
            return Err(LaunchError::TooLarge { path: shown });
        }
        let text = fs::read_to_string(&path)
            .map_err(|source| LaunchError::Io { path: shown.clone(), source })?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|source| LaunchError::Json { path: shown, source })
    }

    /// The node's TCP address with its peer id, as other nodes dial it.
    pub fn p2p_addr(&self, peer_id: &str) -> String {
        format!("/ip4/127.0.0.1/tcp/{}/p2p/{peer_id}", self.p2p_port)
    }
}

/// True when `port` can be bound on loopback for both TCP and UDP right now.
pub fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
        && std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_tolerates_absence() {
        let dir = tempfile::tempdir().unwrap();
        let layout = TestnetLayout { dir: dir.path().to_path_buf() };
        fs::create_dir_all(layout.node_dir("validator-0")).unwrap();
        assert_eq!(Launch::load(&layout, "validator-0").unwrap(), None);
        let l = Launch {
            p2p_port: 4242,
            bootnodes: vec!["/ip4/127.0.0.1/tcp/1/p2p/x".into()],
            extra_args: vec!["--capture".into()],
        };
        l.save(&layout, "validator-0").unwrap();
        assert_eq!(Launch::load(&layout, "validator-0").unwrap(), Some(l.clone()));
        assert_eq!(l.p2p_addr("P"), "/ip4/127.0.0.1/tcp/4242/p2p/P");
        fs::write(layout.node_dir("validator-0").join("launch.json"), "{not json").unwrap();
        assert!(Launch::load(&layout, "validator-0").is_err(), "garbage is an error, not a panic");
    }
}
