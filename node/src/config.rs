//! `tau node` configuration: defaults, then a TOML file, then environment and flags (clap merges
//! those two), each layer overriding the one before.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use libp2p::Multiaddr;
use serde::{Deserialize, Serialize};

/// What a node does besides following the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Follows and serves the chain; votes in nothing.
    Full,
    /// Votes in BFT when its hotkey is in the ledger validator set; scores miners.
    Validator,
    /// Serves a model on its subnets.
    Miner,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Largest config file accepted.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    pub role: Role,
    /// Holds the RocksDB store and the hotkey (unless `hotkey` says otherwise).
    pub data_dir: PathBuf,
    pub genesis: PathBuf,
    /// File with the hex ed25519 secret of the node's hotkey (its libp2p identity).
    pub hotkey: Option<PathBuf>,
    pub listen: Vec<Multiaddr>,
    pub bootnodes: Vec<Multiaddr>,
    pub mdns: bool,
    /// HTTP API address; loopback unless deliberately exposed.
    pub api: SocketAddr,
    /// Also serve the operator routes (`/admin/…`: the peer block list). Off by default, and
    /// refused unless `api` is a loopback address; `tau testnet` turns it on.
    pub admin_api: bool,
    pub log_format: LogFormat,
    /// tracing env-filter directives, e.g. `info,node::p2p=debug`.
    pub log_filter: String,
    /// Directory for a gossip capture (docs/capture-format.md); none when unset.
    pub capture: Option<PathBuf>,
    /// What a miner serves or a validator scores (`[neuron]` in TOML).
    pub neuron: NeuronSettings,
}

/// What answers a miner's requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// The built-in n-gram model, trained at start on the subnet's public language.
    Ngram,
    /// A child program speaking JSON lines (`exec = ["python3", "miner.py"]`).
    Exec,
    /// An HTTP JSON endpoint (`http_url`).
    Http,
}

/// Miner and validator settings. Defaults suit a local testnet; every key is optional.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NeuronSettings {
    /// Subnets to mine or validate on; empty means every subnet whose task this node knows.
    pub netuids: Vec<u16>,
    /// A plain hex coldkey secret that pays for registering the hotkey (testnets). Without it
    /// the node waits for its hotkey to be registered (`tau register`) and says so.
    pub coldkey: Option<PathBuf>,
    /// Most rao to burn for one registration.
    pub max_burn_rao: u64,
    /// Addresses to announce on chain for inference; default: the addresses the node listens on.
    pub announce: Vec<Multiaddr>,
    pub backend: BackendKind,
    /// Built-in model: Markov order (0 = uniform), training words and training seed.
    pub ngram_order: usize,
    pub ngram_train_words: usize,
    pub ngram_seed: u64,
    /// `exec` backend: program and arguments.
    pub exec: Vec<String>,
    /// `http` backend: endpoint URL.
    pub http_url: Option<String>,
    /// Requests the backend works on at once; more wait in a stake-ordered queue.
    pub max_concurrent: usize,
    /// Validator: miners queried per round, the answer deadline and the pause between rounds.
    pub sample_size: usize,
    pub query_timeout_ms: u32,
    pub query_interval_ms: u64,
    /// Validator: blocks between weight settings (default: the subnet's tempo).
    pub weights_interval: Option<u64>,
    /// Validator: weight of each new loss in a miner's moving average, per million.
    pub score_alpha_ppm: u32,
}

impl Default for NeuronSettings {
    fn default() -> Self {
        NeuronSettings {
            netuids: Vec::new(),
            coldkey: None,
            max_burn_rao: 10 * protocol::RAO_PER_TAO,
            announce: Vec::new(),
            backend: BackendKind::Ngram,
            ngram_order: 2,
            ngram_train_words: 200_000,
            ngram_seed: 1,
            exec: Vec::new(),
            http_url: None,
            max_concurrent: 8,
            sample_size: 16,
            query_timeout_ms: 2_000,
            query_interval_ms: 1_000,
            weights_interval: None,
            score_alpha_ppm: 100_000,
        }
    }
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            role: Role::Full,
            data_dir: PathBuf::from(".tau"),
            genesis: PathBuf::from("genesis.json"),
            hotkey: None,
            listen: vec![
                "/ip4/0.0.0.0/tcp/30333".parse().unwrap_or_else(|_| Multiaddr::empty()),
                "/ip4/0.0.0.0/udp/30333/quic-v1".parse().unwrap_or_else(|_| Multiaddr::empty()),
            ],
            bootnodes: Vec::new(),
            mdns: false,
            api: SocketAddr::from(([127, 0, 0, 1], 8080)),
            admin_api: false,
            log_format: LogFormat::Text,
            // gossipsub warns at every identical re-send the engine makes on purpose.
            log_filter: "info,libp2p_gossipsub::behaviour=error".to_string(),
            neuron: NeuronSettings::default(),
            capture: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path} is {len} bytes; the limit is 1 MiB")]
    TooLarge { path: PathBuf, len: u64 },
    #[error("config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
}

impl NodeConfig {
    /// Reads a TOML config file over the defaults. Unknown keys are errors, so a typo is caught.
    pub fn from_file(path: &Path) -> Result<NodeConfig, ConfigError> {
        let read = |source| ConfigError::Read { path: path.to_path_buf(), source };
        let len = std::fs::metadata(path).map_err(read)?.len();
        if len > MAX_CONFIG_BYTES {
            return Err(ConfigError::TooLarge { path: path.to_path_buf(), len });
        }
        let text = std::fs::read_to_string(path).map_err(read)?;
        toml::from_str(&text)
            .map_err(|e| ConfigError::Parse { path: path.to_path_buf(), message: e.to_string() })
    }

    pub fn hotkey_path(&self) -> PathBuf {
        self.hotkey.clone().unwrap_or_else(|| self.data_dir.join("hotkey.secret"))
    }

    pub fn store_path(&self) -> PathBuf {
        self.data_dir.join("db")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_overrides_defaults_and_typos_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("node.toml");
        std::fs::write(
            &p,
            "role = \"validator\"\nbootnodes = [\"/ip4/127.0.0.1/tcp/1\"]\nlog_format = \"json\"\n",
        )
        .unwrap();
        let c = NodeConfig::from_file(&p).unwrap();
        assert_eq!(c.role, Role::Validator);
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.bootnodes.len(), 1);
        assert_eq!(c.api, NodeConfig::default().api, "unset keys keep their defaults");

        std::fs::write(&p, "rol = \"validator\"\n").unwrap();
        let err = NodeConfig::from_file(&p).unwrap_err().to_string();
        assert!(err.contains("unknown field"), "{err}");
        std::fs::write(&p, "bootnodes = [\"not an address\"]\n").unwrap();
        assert!(NodeConfig::from_file(&p).is_err());
        assert!(NodeConfig::from_file(&dir.path().join("missing.toml")).is_err());

        std::fs::write(
            &p,
            "role = \"miner\"\n[neuron]\nbackend = \"exec\"\nexec = [\"python3\", \"m.py\"]\n",
        )
        .unwrap();
        let c = NodeConfig::from_file(&p).unwrap();
        assert_eq!(c.neuron.backend, BackendKind::Exec);
        assert_eq!(c.neuron.exec, ["python3", "m.py"]);
        assert_eq!(c.neuron.sample_size, NeuronSettings::default().sample_size);
        std::fs::write(&p, "[neuron]\nbakend = \"exec\"\n").unwrap();
        assert!(NodeConfig::from_file(&p).is_err(), "typos inside [neuron] are errors too");
    }
}
