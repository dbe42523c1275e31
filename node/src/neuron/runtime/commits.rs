//! A validator's unrevealed weight commits: the weights and salt behind each commitment, saved
//! before the commit is sent so a restarted validator can still reveal it. The file is untrusted
//! input on reading: bounded, and a bad file is reported and set aside, never a crash.

use std::path::{Path, PathBuf};

use protocol::transaction::WeightRow;
use protocol::{Hash, NetUid};
use serde::{Deserialize, Serialize};
use tracing::warn;

const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalCommit {
    pub commitment: Hash,
    pub weights: WeightRow,
    #[serde(with = "hex::serde")]
    pub salt: [u8; 32],
    pub version_key: u64,
    /// Epoch of the block that included the commit, once known.
    pub epoch: Option<u64>,
}

pub struct CommitFile {
    path: PathBuf,
    pub commits: Vec<LocalCommit>,
}

impl CommitFile {
    pub fn open(dir: &Path, netuid: NetUid) -> CommitFile {
        let path = dir.join(format!("weight-commits-{}.json", netuid.0));
        let commits = match read(&path) {
            Ok(c) => c,
            Err(e) => {
                warn!(path = %path.display(), error = %e, "weight commits file unusable; starting without it");
                Vec::new()
            }
        };
        CommitFile { path, commits }
    }

    /// Writes the file atomically (temporary file, sync, rename).
    pub fn save(&self) -> std::io::Result<()> {
        use std::io::Write;
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&serde_json::to_vec(&self.commits).map_err(std::io::Error::other)?)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &self.path)
    }
}

fn read(path: &Path) -> std::io::Result<Vec<LocalCommit>> {
    let len = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    if len > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!("{len} bytes; the limit is {MAX_FILE_BYTES}")));
    }
    serde_json::from_slice(&std::fs::read(path)?).map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_a_restart_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = CommitFile::open(dir.path(), NetUid(3));
        assert!(f.commits.is_empty());
        f.commits.push(LocalCommit {
            commitment: Hash::digest(b"c"),
            weights: vec![(1, 65_535)],
            salt: [7; 32],
            version_key: 0,
            epoch: Some(4),
        });
        f.save().unwrap();
        assert_eq!(CommitFile::open(dir.path(), NetUid(3)).commits, f.commits);
        std::fs::write(dir.path().join("weight-commits-3.json"), b"{not json").unwrap();
        assert!(CommitFile::open(dir.path(), NetUid(3)).commits.is_empty());
    }
}
