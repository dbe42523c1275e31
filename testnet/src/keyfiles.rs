//! Reading a testnet node's keys back from its directory (`hotkey.secret`, `coldkey.secret`: hex
//! ed25519 secrets written by `layout`), for restarts and for the load generator's signatures.

use std::fs;
use std::path::Path;

use protocol::keys::Keypair;

use crate::layout::{NodeEntry, NodeKeys, NodeRole, TestnetLayout};

/// A key file is 64 hex characters and perhaps a newline; anything much larger is not one.
const MAX_KEY_FILE_BYTES: u64 = 1024;

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path} does not hold a 64-hex-character ed25519 secret")]
    Malformed { path: String },
    #[error("node {name} has role `{role}`, which this tool cannot start")]
    UnknownRole { name: String, role: String },
}

pub fn read_keypair(path: &Path) -> Result<Keypair, KeyFileError> {
    let shown = || path.display().to_string();
    let len =
        fs::metadata(path).map_err(|source| KeyFileError::Io { path: shown(), source })?.len();
    if len > MAX_KEY_FILE_BYTES {
        return Err(KeyFileError::Malformed { path: shown() });
    }
    let text =
        fs::read_to_string(path).map_err(|source| KeyFileError::Io { path: shown(), source })?;
    let seed: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| KeyFileError::Malformed { path: shown() })?;
    Ok(Keypair::from_seed(&seed))
}

/// A node's name, role and both keys, as written by `TestnetLayout::write`.
pub fn load_node_keys(layout: &TestnetLayout, entry: &NodeEntry) -> Result<NodeKeys, KeyFileError> {
    let dir = layout.node_dir(&entry.name);
    Ok(NodeKeys {
        name: entry.name.clone(),
        role: role_of(entry)?,
        hotkey: read_keypair(&dir.join("hotkey.secret"))?,
        coldkey: read_keypair(&dir.join("coldkey.secret"))?,
    })
}

/// The role `node.json` names. Unknown roles are an error rather than a guess: restarting a node
/// under the wrong role would change what it does on the chain.
pub fn role_of(entry: &NodeEntry) -> Result<NodeRole, KeyFileError> {
    [NodeRole::Validator, NodeRole::Miner, NodeRole::Full]
        .into_iter()
        .find(|r| r.as_str() == entry.role)
        .ok_or_else(|| KeyFileError::UnknownRole {
            name: entry.name.clone(),
            role: entry.role.clone(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::TestnetSpec;

    #[test]
    fn keys_read_back_match_and_garbage_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let spec = TestnetSpec {
            chain_id: protocol::ChainId::new("tau-keys").unwrap(),
            validators: 1,
            miners: 1,
            subnets: 1,
            block_time_ms: 500,
            seed: Some(3),
        };
        let keys = spec.node_keys().unwrap();
        let layout =
            TestnetLayout::write(dir.path(), &spec.genesis(&keys, 0).unwrap(), &keys).unwrap();
        for (entry, want) in layout.nodes().unwrap().iter().zip(&keys) {
            let got = load_node_keys(&layout, entry).unwrap();
            assert_eq!(got.hotkey.public(), want.hotkey.public());
            assert_eq!(got.coldkey.public(), want.coldkey.public());
            assert_eq!(got.role, want.role);
        }
        let bad = dir.path().join("bad.secret");
        fs::write(&bad, "zz").unwrap();
        assert!(matches!(read_keypair(&bad), Err(KeyFileError::Malformed { .. })));
        assert!(matches!(read_keypair(&dir.path().join("none")), Err(KeyFileError::Io { .. })));
    }
}
