//! A testnet's directory: one folder per node with its keys, plus the shared genesis.
//!
//! ```text
//! <dir>/genesis.json
//! <dir>/<node>/node.json         name, role, hotkey and coldkey addresses (public)
//! <dir>/<node>/hotkey.secret     hex ed25519 secret, mode 0600 (testnet only: not a wallet)
//! <dir>/<node>/coldkey.secret    hex ed25519 secret, mode 0600
//! ```

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use protocol::genesis::Genesis;
use protocol::keys::Keypair;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeRole {
    Validator,
    Miner,
    /// Follows the chain and relays gossip; in no validator set, serves no model.
    Full,
}

impl NodeRole {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeRole::Validator => "validator",
            NodeRole::Miner => "miner",
            NodeRole::Full => "full",
        }
    }
}

#[derive(Clone, Debug)]
pub struct NodeKeys {
    pub name: String,
    pub role: NodeRole,
    pub hotkey: Keypair,
    pub coldkey: Keypair,
}

impl NodeKeys {
    /// Fresh keys, or keys derived from `seed` and the node's name (reproducible testnets).
    pub fn new(
        name: String,
        role: NodeRole,
        seed: Option<u64>,
    ) -> Result<NodeKeys, protocol::keys::EntropyError> {
        let (hotkey, coldkey) = match seed {
            Some(seed) => (derive(seed, &name, "hotkey"), derive(seed, &name, "coldkey")),
            None => (Keypair::generate()?, Keypair::generate()?),
        };
        Ok(NodeKeys { name, role, hotkey, coldkey })
    }
}

fn derive(seed: u64, name: &str, which: &str) -> Keypair {
    let mut h = blake3::Hasher::new_derive_key("tau testnet key derivation v1");
    h.update(&seed.to_le_bytes());
    h.update(name.as_bytes());
    h.update(&[0]);
    h.update(which.as_bytes());
    Keypair::from_seed(h.finalize().as_bytes())
}

/// A testnet directory written to disk.
pub struct TestnetLayout {
    pub dir: PathBuf,
}

/// A node as listed in its `node.json`.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct NodeEntry {
    pub name: String,
    pub role: String,
    pub hotkey: String,
    pub coldkey: String,
}

impl TestnetLayout {
    /// An existing testnet directory; `None` if it holds no testnet.
    pub fn open(dir: &Path) -> Option<TestnetLayout> {
        let layout = TestnetLayout { dir: dir.to_path_buf() };
        layout.genesis_path().exists().then_some(layout)
    }

    /// The nodes in this testnet, validators first, in name order.
    pub fn nodes(&self) -> std::io::Result<Vec<NodeEntry>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let path = entry?.path().join("node.json");
            let Ok(text) = fs::read_to_string(&path) else { continue };
            match serde_json::from_str::<NodeEntry>(&text) {
                Ok(n) => out.push(n),
                Err(e) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{}: {e}", path.display()),
                    ));
                }
            }
        }
        out.sort_by_key(|n| (n.role != "validator", natural(&n.name)));
        Ok(out)
    }

    pub fn genesis_path(&self) -> PathBuf {
        self.dir.join("genesis.json")
    }

    pub fn node_dir(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes genesis and every node's keys. Refuses to overwrite an existing testnet's genesis,
    /// so a second `up` never silently forks the chain it would restart.
    pub fn write(
        dir: &Path,
        genesis: &Genesis,
        nodes: &[NodeKeys],
    ) -> std::io::Result<TestnetLayout> {
        let layout = TestnetLayout { dir: dir.to_path_buf() };
        if layout.genesis_path().exists() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!(
                    "{} already holds a testnet; remove it or choose another --dir",
                    dir.display()
                ),
            ));
        }
        fs::create_dir_all(dir)?;
        for node in nodes {
            let nd = layout.node_dir(&node.name);
            fs::create_dir_all(&nd)?;
            write_secret(&nd.join("hotkey.secret"), &node.hotkey)?;
            write_secret(&nd.join("coldkey.secret"), &node.coldkey)?;
            let public = format!(
                "{{\n  \"name\": \"{}\",\n  \"role\": \"{}\",\n  \"hotkey\": \"{}\",\n  \"coldkey\": \"{}\"\n}}\n",
                node.name,
                node.role.as_str(),
                node.hotkey.public(),
                node.coldkey.public()
            );
            fs::write(nd.join("node.json"), public)?;
            fs::write(nd.join("node.toml"), node_toml(node, &fs::canonicalize(&nd)?))?;
        }
        fs::write(layout.genesis_path(), genesis.to_json())?;
        Ok(layout)
    }
}

/// Sorts `validator-10` after `validator-9`.
/// A node's `tau node --config` file: the neuron pays its own registration from the testnet
/// coldkey; miners get their rung of the model ladder, validators query often and average
/// slowly, so rankings settle within a minute of blocks.
fn node_toml(node: &NodeKeys, dir: &Path) -> String {
    let coldkey = dir.join("coldkey.secret");
    let mut out = format!("[neuron]\ncoldkey = {:?}\n", coldkey.display().to_string());
    match node.role {
        NodeRole::Miner => {
            let index = natural(&node.name).1 as usize;
            let (order, words) = crate::spec::miner_model(index);
            out += &format!(
                "ngram_order = {order}\nngram_train_words = {words}\nngram_seed = {}\n",
                index + 1
            );
        }
        NodeRole::Full => {}
        NodeRole::Validator => {
            out += "query_interval_ms = 250\nquery_timeout_ms = 500\nscore_alpha_ppm = 20000\n";
        }
    }
    out
}

fn natural(name: &str) -> (String, u64) {
    let (stem, num) = name.rsplit_once('-').unwrap_or((name, ""));
    (stem.to_string(), num.parse().unwrap_or(0))
}

fn write_secret(path: &Path, key: &Keypair) -> std::io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(hex::encode(key.secret_bytes()).as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::TestnetSpec;

    fn spec(seed: Option<u64>) -> TestnetSpec {
        TestnetSpec {
            chain_id: protocol::ChainId::new("tau-local").unwrap(),
            validators: 4,
            miners: 4,
            subnets: 1,
            block_time_ms: 500,
            seed,
        }
    }

    #[test]
    fn seeded_keys_are_reproducible_and_distinct() {
        let a = spec(Some(7)).node_keys().unwrap();
        let b = spec(Some(7)).node_keys().unwrap();
        assert_eq!(a.len(), 8);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.hotkey.public(), y.hotkey.public());
            assert_ne!(x.hotkey.public(), x.coldkey.public());
        }
        let keys: std::collections::BTreeSet<_> = a.iter().map(|n| n.hotkey.public()).collect();
        assert_eq!(keys.len(), 8);
    }

    #[test]
    fn layout_writes_valid_genesis_and_private_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let s = spec(Some(1));
        let nodes = s.node_keys().unwrap();
        let genesis = s.genesis(&nodes, 0).unwrap();
        let layout = TestnetLayout::write(dir.path(), &genesis, &nodes).unwrap();
        let text = fs::read_to_string(layout.genesis_path()).unwrap();
        assert_eq!(Genesis::from_json(&text).unwrap(), genesis);
        assert_eq!(genesis.validators.len(), 4);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(layout.node_dir("miner-0").join("hotkey.secret"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            TestnetLayout::write(dir.path(), &genesis, &nodes).is_err(),
            "never overwrites a testnet"
        );
    }
}
