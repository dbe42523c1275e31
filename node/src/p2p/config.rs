//! What the network layer needs to start.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use libp2p::Multiaddr;
use protocol::ids::{ChainId, NetUid};

#[derive(Clone, Debug)]
pub struct P2pConfig {
    pub chain_id: ChainId,
    /// e.g. `/ip4/127.0.0.1/tcp/30333` and `/ip4/127.0.0.1/udp/30333/quic-v1`.
    pub listen: Vec<Multiaddr>,
    /// Peers dialled at start and seeded into Kademlia (`…/p2p/<peer id>`).
    pub bootnodes: Vec<Multiaddr>,
    /// Local-network discovery; off by default (it ignores loopback, so tests dial explicitly).
    pub mdns: bool,
    /// Weight topics to subscribe to.
    pub subnets: Vec<NetUid>,
    pub max_connections: u32,
    pub max_connections_per_peer: u32,
    /// How long an idle connection stays open. Long: validators must keep their links.
    pub idle_timeout: Duration,
    /// Most inference requests served at once per connection before the stack refuses streams.
    pub max_concurrent_streams: usize,
    pub request_timeout: Duration,
    /// Per-topic gossip counters for `/metrics`.
    pub traffic: Arc<super::traffic::TrafficMetrics>,
    /// Write a gossip capture (docs/capture-format.md) into this directory.
    pub capture_dir: Option<PathBuf>,
}

impl P2pConfig {
    pub fn new(chain_id: ChainId) -> P2pConfig {
        P2pConfig {
            chain_id,
            listen: Vec::new(),
            bootnodes: Vec::new(),
            mdns: false,
            subnets: Vec::new(),
            max_connections: 256,
            max_connections_per_peer: 2,
            idle_timeout: Duration::from_secs(24 * 3600),
            max_concurrent_streams: 256,
            request_timeout: Duration::from_secs(10),
            traffic: Arc::default(),
            capture_dir: None,
        }
    }
}
