//! `tau node`: assembles the store, the network actor, the chain driver and the API, and runs them
//! until SIGINT or SIGTERM.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use protocol::genesis::{Genesis, MAX_GENESIS_BYTES};
use protocol::keys::Keypair;
use storage::RocksStore;
use tracing::{error, info};

use crate::api::{self, ApiState, Metrics};
use crate::chain::{ChainConfig, ChainDriver};
use crate::config::{NodeConfig, Role};
use crate::neuron::runtime::{self as neuron, ChainAccess, InferenceMetrics, NeuronContext};
use crate::p2p::{self, P2pConfig};

/// Reads a file of at most `max` bytes.
fn read_bounded(path: &Path, max: usize) -> anyhow::Result<String> {
    let len =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?.len();
    if len > max as u64 {
        bail!("{} is {len} bytes; the limit is {max}", path.display());
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

pub fn load_genesis(path: &Path) -> anyhow::Result<Genesis> {
    let text = read_bounded(path, MAX_GENESIS_BYTES)?;
    Genesis::from_json(&text).with_context(|| format!("genesis file {}", path.display()))
}

/// Reads a key file holding a 64-hex-character ed25519 secret.
pub fn load_hex_key(path: &Path) -> anyhow::Result<Keypair> {
    let text = read_bounded(path, 1024)?;
    let seed: [u8; 32] =
        hex::decode(text.trim()).ok().and_then(|b| b.try_into().ok()).with_context(|| {
            format!("{} does not hold a 64-hex-character ed25519 secret", path.display())
        })?;
    Ok(Keypair::from_seed(&seed))
}

/// Loads the hotkey (hex secret). A full node without one gets a fresh key, saved with mode 0600;
/// validators and miners must be given theirs, since their identity is on chain.
pub fn load_or_create_hotkey(path: &Path, role: Role) -> anyhow::Result<Keypair> {
    if path.exists() {
        return load_hex_key(path);
    }
    if role != Role::Full {
        bail!(
            "hotkey file {} not found: a {role:?} node needs its registered hotkey (--hotkey)",
            path.display()
        );
    }
    let key = Keypair::generate()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    opts.open(path)?.write_all(hex::encode(key.secret_bytes()).as_bytes())?;
    info!(path = %path.display(), "created a new hotkey for this full node");
    Ok(key)
}

pub async fn run(cfg: NodeConfig) -> anyhow::Result<()> {
    if cfg.admin_api && !cfg.api.ip().is_loopback() {
        bail!(
            "--admin-api needs a loopback API address (got {}): admin routes can cut the node off its peers",
            cfg.api
        );
    }
    let genesis = load_genesis(&cfg.genesis)?;
    let hotkey = load_or_create_hotkey(&cfg.hotkey_path(), cfg.role)?;
    std::fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("creating {}", cfg.data_dir.display()))?;
    let store = Arc::new(
        RocksStore::open(cfg.store_path())
            .with_context(|| format!("opening the store in {}", cfg.store_path().display()))?,
    );

    let mut p2p_cfg = P2pConfig::new(genesis.chain_id.clone());
    p2p_cfg.listen = cfg.listen.clone();
    p2p_cfg.bootnodes = cfg.bootnodes.clone();
    p2p_cfg.mdns = cfg.mdns;
    p2p_cfg.subnets = genesis.subnets.iter().map(|s| s.netuid).collect();
    p2p_cfg.capture_dir = cfg.capture.clone();
    let traffic = p2p_cfg.traffic.clone();
    let inference_metrics = Arc::new(InferenceMetrics::default());
    let network = p2p::spawn(&hotkey, p2p_cfg)?;
    let (net, net_events, peer_id) = (network.handle, network.events, network.peer_id);

    let chain_cfg = ChainConfig {
        genesis: genesis.clone(),
        hotkey: hotkey.clone(),
        validator: cfg.role == Role::Validator,
        mempool_capacity: 50_000,
    };
    let (driver, chain) = ChainDriver::new(chain_cfg, store.clone(), net.clone(), net_events)?;
    let access = ChainAccess {
        chain: chain.clone(),
        store: store.clone(),
        chain_id: genesis.chain_id.clone(),
        fee: genesis.economics.min_tx_fee,
    };
    let (inference, neuron) = neuron::start(NeuronContext {
        role: cfg.role,
        settings: &cfg.neuron,
        hotkey: hotkey.clone(),
        access,
        net: net.clone(),
        data_dir: &cfg.data_dir,
        tao_weight: genesis.economics.tao_weight,
        metrics: inference_metrics.clone(),
        network_runtime: network.runtime.clone(),
    })
    .context("starting the neuron")?;
    if let Some(miner) = inference {
        net.serve_inference(miner).await;
    }
    let mut driver_task = tokio::spawn(driver.run());

    let role = match cfg.role {
        Role::Full => "full",
        Role::Validator => "validator",
        Role::Miner => "miner",
    };
    let state = ApiState {
        chain: chain.clone(),
        net: net.clone(),
        store: store.clone(),
        metrics: Arc::new(Metrics::new(&traffic, &inference_metrics)),
        role,
        neuron,
    };
    let (api_addr, _api) = api::serve(cfg.api, state, cfg.admin_api)
        .await
        .with_context(|| format!("binding the API on {}", cfg.api))?;
    info!(%peer_id, hotkey = %hotkey.public(), api = %api_addr, role, chain = %genesis.chain_id, "node started");
    // Tools (the testnet, tests) find the node's API and identity here.
    let _ = std::fs::write(cfg.data_dir.join("api.addr"), api_addr.to_string());
    let _ = std::fs::write(cfg.data_dir.join("peer.id"), peer_id.to_string());

    tokio::select! {
        r = &mut driver_task => match r {
            Ok(Ok(())) => info!("chain driver finished"),
            Ok(Err(e)) => {
                error!(error = %e, "chain driver stopped");
                bail!("chain driver stopped: {e}");
            }
            Err(e) => bail!("chain driver panicked: {e}"),
        },
        _ = shutdown_signal() => info!("shutting down"),
    }
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
