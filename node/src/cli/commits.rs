//! Weight commits waiting for their reveal, kept in the wallet: a reveal needs the exact weights,
//! salt and version key behind the on-chain hash, which the chain never sees until then.
//!
//! `<wallet>/weight-commits/<hotkey name>/<netuid>-<commitment>.json`, mode 0600 in a 0700
//! directory (the salt hides the weights until the reveal; it is not a key, but nobody else needs
//! it). Written before the commit is submitted, so a crash after submission cannot lose it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use protocol::transaction::WeightRow;
use protocol::{Hash, NetUid, PublicKey};
use serde::{Deserialize, Serialize};

/// Largest saved-commit file read back (a full row of 4096 weights is ~60 KiB of JSON).
const MAX_FILE_BYTES: u64 = 256 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedCommit {
    pub netuid: NetUid,
    pub hotkey: PublicKey,
    pub weights: WeightRow,
    /// 32 bytes, hex.
    pub salt: String,
    pub version_key: u64,
    pub commitment: Hash,
    /// Block that included the commit; `None` until known (or if the commit was not waited for).
    pub block: Option<u64>,
}

impl SavedCommit {
    pub fn salt_bytes(&self) -> anyhow::Result<[u8; 32]> {
        let bytes = hex::decode(&self.salt).context("salt is not hex")?;
        bytes.try_into().map_err(|_| anyhow::anyhow!("salt is not 32 bytes"))
    }
}

fn dir(wallet_dir: &Path, hotkey_name: &str) -> PathBuf {
    wallet_dir.join("weight-commits").join(hotkey_name)
}

fn path(wallet_dir: &Path, hotkey_name: &str, c: &SavedCommit) -> PathBuf {
    dir(wallet_dir, hotkey_name).join(format!("{}-{}.json", c.netuid, c.commitment))
}

fn private_dir(path: &Path) -> anyhow::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(path).with_context(|| format!("creating {}", path.display()))
}

/// Writes (or rewrites) a saved commit; returns its path.
pub fn save(wallet_dir: &Path, hotkey_name: &str, c: &SavedCommit) -> anyhow::Result<PathBuf> {
    private_dir(&dir(wallet_dir, hotkey_name))?;
    let p = path(wallet_dir, hotkey_name, c);
    let tmp = p.with_extension("json.tmp");
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let write = || -> std::io::Result<()> {
        let mut f = opts.open(&tmp)?;
        f.write_all(serde_json::to_string_pretty(c)?.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, &p)
    };
    write().with_context(|| format!("saving the weight commit to {}", p.display()))?;
    Ok(p)
}

pub fn remove(wallet_dir: &Path, hotkey_name: &str, c: &SavedCommit) -> anyhow::Result<()> {
    let p = path(wallet_dir, hotkey_name, c);
    match fs::remove_file(&p) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", p.display()))
        }
        _ => Ok(()),
    }
}

/// Saved commits of one hotkey on one subnet, oldest commit block first (unknown blocks last).
/// Damaged files are skipped with a warning rather than blocking the others.
pub fn load(
    wallet_dir: &Path,
    hotkey_name: &str,
    netuid: NetUid,
) -> anyhow::Result<Vec<SavedCommit>> {
    let d = dir(wallet_dir, hotkey_name);
    let entries = match fs::read_dir(&d) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", d.display())),
    };
    let prefix = format!("{netuid}-");
    let mut out = Vec::new();
    for entry in entries {
        let p = entry.with_context(|| format!("reading {}", d.display()))?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if !name.starts_with(&prefix) || !name.ends_with(".json") {
            continue;
        }
        let read = || -> anyhow::Result<SavedCommit> {
            use std::io::Read;
            let mut text = String::new();
            fs::File::open(&p)?.take(MAX_FILE_BYTES).read_to_string(&mut text)?;
            Ok(serde_json::from_str(&text)?)
        };
        match read() {
            Ok(c) if c.netuid == netuid => out.push(c),
            Ok(_) => {}
            Err(e) => eprintln!("warning: skipping {}: {e:#}", p.display()),
        }
    }
    out.sort_by_key(|c| c.block.unwrap_or(u64::MAX));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(netuid: u16, block: Option<u64>, n: u8) -> SavedCommit {
        SavedCommit {
            netuid: NetUid(netuid),
            hotkey: protocol::Keypair::from_seed(&[1; 32]).public(),
            weights: vec![(0, 65_535)],
            salt: hex::encode([n; 32]),
            version_key: 0,
            commitment: Hash::digest(&[n]),
            block,
        }
    }

    #[test]
    fn saved_commits_round_trip_sorted_and_private() {
        let tmp = tempfile::tempdir().unwrap();
        let w = tmp.path();
        let (a, b, c) = (commit(1, Some(9), 1), commit(1, Some(3), 2), commit(2, Some(1), 3));
        for x in [&a, &b, &c] {
            save(w, "hk", x).unwrap();
        }
        assert_eq!(load(w, "hk", NetUid(1)).unwrap(), vec![b.clone(), a.clone()]);
        assert_eq!(a.salt_bytes().unwrap(), [1; 32]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(path(w, "hk", &a)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        remove(w, "hk", &b).unwrap();
        remove(w, "hk", &b).unwrap();
        assert_eq!(load(w, "hk", NetUid(1)).unwrap(), vec![a]);
        assert!(load(w, "other", NetUid(1)).unwrap().is_empty());
        fs::write(dir(w, "hk").join("1-garbage.json"), "{").unwrap();
        assert_eq!(load(w, "hk", NetUid(1)).unwrap().len(), 1, "damaged files are skipped");
    }
}
