//! `tau node`: run a node. Configuration: defaults, then `--config FILE` (TOML), then environment
//! variables and flags.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use libp2p::Multiaddr;

use crate::config::{LogFormat, NodeConfig, Role};

#[derive(Args)]
pub struct NodeArgs {
    /// TOML configuration file (keys as in `NodeConfig`: role, data_dir, genesis, listen, …).
    #[arg(long, env = "TAU_CONFIG")]
    config: Option<PathBuf>,
    #[arg(long, env = "TAU_ROLE", value_enum)]
    role: Option<Role>,
    #[arg(long, env = "TAU_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[arg(long, env = "TAU_GENESIS")]
    genesis: Option<PathBuf>,
    /// File with the hotkey's hex secret (default: DATA_DIR/hotkey.secret).
    #[arg(long, env = "TAU_HOTKEY")]
    hotkey: Option<PathBuf>,
    /// Listen address; repeat for several (TCP and QUIC).
    #[arg(long)]
    listen: Vec<Multiaddr>,
    /// Peer to dial at start, as /ip4/…/tcp/…/p2p/<peer id>; repeat for several.
    #[arg(long)]
    bootnode: Vec<Multiaddr>,
    /// Discover peers on the local network with mDNS.
    #[arg(long)]
    mdns: bool,
    /// HTTP API address (loopback by default; bind elsewhere deliberately).
    #[arg(long, env = "TAU_API")]
    api: Option<SocketAddr>,
    /// Serve the operator routes (/admin/peers/…: block and unblock peers). Loopback API only.
    #[arg(long, env = "TAU_ADMIN_API")]
    admin_api: bool,
    #[arg(long, env = "TAU_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormat>,
    /// tracing filter, e.g. `info,node::chain=debug` (RUST_LOG wins when set).
    #[arg(long, env = "TAU_LOG")]
    log_filter: Option<String>,
    /// Capture gossip into DIR/capture-<peer id>.jsonl (docs/capture-format.md).
    #[arg(long, env = "TAU_CAPTURE", value_name = "DIR")]
    capture: Option<PathBuf>,
}

impl NodeArgs {
    fn into_config(self) -> anyhow::Result<NodeConfig> {
        let mut c = match &self.config {
            Some(p) => NodeConfig::from_file(p)?,
            None => NodeConfig::default(),
        };
        if let Some(v) = self.role {
            c.role = v;
        }
        if let Some(v) = self.data_dir {
            c.data_dir = v;
        }
        if let Some(v) = self.genesis {
            c.genesis = v;
        }
        if self.hotkey.is_some() {
            c.hotkey = self.hotkey;
        }
        if !self.listen.is_empty() {
            c.listen = self.listen;
        }
        if !self.bootnode.is_empty() {
            c.bootnodes = self.bootnode;
        }
        c.mdns |= self.mdns;
        c.admin_api |= self.admin_api;
        if let Some(v) = self.api {
            c.api = v;
        }
        if let Some(v) = self.log_format {
            c.log_format = v;
        }
        if let Some(v) = self.log_filter {
            c.log_filter = v;
        }
        if self.capture.is_some() {
            c.capture = self.capture;
        }
        Ok(c)
    }
}

pub fn run(args: NodeArgs) -> anyhow::Result<()> {
    let cfg = args.into_config()?;
    crate::logging::init(cfg.log_format, &cfg.log_filter);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(crate::service::run(cfg))
}
