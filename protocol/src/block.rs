//! Blocks and their headers (design.md §6).

use serde::{Deserialize, Serialize};

use crate::codec::{self, Encodable};
use crate::consensus::CommitCertificate;
use crate::hash::Hash;
use crate::ids::Height;
use crate::keys::PublicKey;
use crate::transaction::Transaction;

/// Largest encoded block.
pub const MAX_BLOCK_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeader {
    pub height: Height,
    /// Hash of the previous block's header; the genesis hash for the first block.
    pub prev_hash: Hash,
    /// The proposer's clock in ms since the Unix epoch. Informational: execution never reads it.
    pub time_ms: u64,
    pub proposer: PublicKey,
    /// [`transactions_root`] of the body.
    pub transactions_root: Hash,
    /// The state commitment after executing the previous block (`app_hash(h-1)`).
    pub app_hash: Hash,
    /// [`crate::consensus::validator_set_hash`] of the set that votes on this height.
    pub validator_set_hash: Hash,
    /// Hash of `last_commit`, or zero for the first block.
    pub last_commit_hash: Hash,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    pub header: BlockHeader,
    /// The certificate that finalised the previous block (absent for the first block).
    pub last_commit: Option<CommitCertificate>,
    pub transactions: Vec<Transaction>,
}

impl Encodable for Block {
    const NAME: &'static str = "block";
    const MAX_LEN: usize = MAX_BLOCK_BYTES;
}

impl Encodable for BlockHeader {
    const NAME: &'static str = "block header";
    const MAX_LEN: usize = 512;
}

/// Why a block's body does not match its header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockShapeError {
    #[error("transactions root is {actual} but the header says {declared}")]
    TransactionsRoot { declared: Hash, actual: Hash },
    #[error("last commit hashes to {actual} but the header says {declared}")]
    LastCommit { declared: Hash, actual: Hash },
    #[error("last commit is for height {cert}, expected {expected}")]
    LastCommitHeight { cert: Height, expected: Height },
}

impl Block {
    /// The block's identity: the hash of its header, which commits to the body through its roots.
    pub fn hash(&self) -> Hash {
        self.header.hash()
    }

    /// Checks that the body is the one the header commits to.
    pub fn check_shape(&self) -> Result<(), BlockShapeError> {
        let actual = transactions_root(&self.transactions);
        if actual != self.header.transactions_root {
            return Err(BlockShapeError::TransactionsRoot {
                declared: self.header.transactions_root,
                actual,
            });
        }
        let actual = self.last_commit.as_ref().map_or(Hash::ZERO, CommitCertificate::hash);
        if actual != self.header.last_commit_hash {
            return Err(BlockShapeError::LastCommit {
                declared: self.header.last_commit_hash,
                actual,
            });
        }
        if let Some(cert) = &self.last_commit {
            let expected = Height(self.header.height.0.saturating_sub(1));
            if cert.height != expected {
                return Err(BlockShapeError::LastCommitHeight { cert: cert.height, expected });
            }
        }
        Ok(())
    }
}

impl BlockHeader {
    pub fn hash(&self) -> Hash {
        codec::hash_of(self)
    }
}

/// blake3 over the canonical encoding of the transactions' hashes, in block order.
pub fn transactions_root(transactions: &[Transaction]) -> Hash {
    let hashes: Vec<Hash> = transactions.iter().map(Transaction::hash).collect();
    Hash::digest(&codec::encode(&hashes))
}
