//! The checks every store runs before it writes, in one place so both stores refuse exactly the same
//! things. They guard the chain's invariants (heights in order, parent links, the app-hash chain),
//! not consensus validity, which the engine owns: a bug upstream is refused here instead of
//! becoming a corrupt chain on disk.

use protocol::codec::{self, Encodable, MAX_ENCODED_LEN};
use protocol::state::{WriteSet, genesis_app_hash, next_app_hash};
use protocol::{Block, ChainId, CommitCertificate, Hash, Height};

use crate::error::StoreError;
use crate::store::{BlockCommit, ChainTip, GenesisInfo};

/// Largest encoded write-set the store accepts: what the codec can decode back.
pub const MAX_WRITE_SET_BYTES: usize = MAX_ENCODED_LEN;

/// The canonical bytes of a commit's records, produced while checking their sizes.
pub(crate) struct EncodedCommit {
    pub block: Vec<u8>,
    pub certificate: Vec<u8>,
    pub write_set: Vec<u8>,
}

/// Checks that `commit` extends `tip` and returns its records' bytes and the new tip.
pub(crate) fn check_commit(
    tip: &ChainTip,
    commit: &BlockCommit<'_>,
) -> Result<(EncodedCommit, ChainTip), StoreError> {
    let header = &commit.block.header;
    let height = header.height;
    let expected =
        tip.height.next().ok_or(StoreError::NotNextHeight { expected: tip.height, got: height })?;
    if height != expected {
        return Err(StoreError::NotNextHeight { expected, got: height });
    }

    let block_hash = commit.block.hash();
    let cert = commit.certificate;
    if cert.height != height {
        return Err(StoreError::CertificateMismatch {
            height,
            detail: format!("is for height {}", cert.height),
        });
    }
    if cert.block_hash != block_hash {
        return Err(StoreError::CertificateMismatch {
            height,
            detail: format!(
                "is for block {} but the block hashes to {block_hash}",
                cert.block_hash
            ),
        });
    }
    if header.prev_hash != tip.block_hash {
        return Err(StoreError::WrongParent {
            height,
            declared: header.prev_hash,
            expected: tip.block_hash,
        });
    }
    if header.app_hash != tip.app_hash {
        return Err(StoreError::HeaderAppHash {
            height,
            previous: tip.height,
            declared: header.app_hash,
            expected: tip.app_hash,
        });
    }
    let computed = next_app_hash(&tip.app_hash, commit.write_set);
    if commit.app_hash != computed {
        return Err(StoreError::AppHashMismatch {
            height,
            given: commit.app_hash,
            expected: computed,
        });
    }

    let encoded = EncodedCommit {
        block: bounded::<Block>(commit.block, "block", height)?,
        certificate: bounded::<CommitCertificate>(cert, "commit certificate", height)?,
        write_set: encode_write_set(commit.write_set, height)?,
    };
    Ok((encoded, ChainTip { height, block_hash, app_hash: computed }))
}

/// What [`crate::Store::init_genesis`] should do, given what the store already holds.
pub(crate) enum GenesisAction {
    /// Nothing stored yet: write this genesis with its encoded write-set.
    Write { info: GenesisInfo, write_set: Vec<u8> },
    /// The same chain is already stored and its state commitment matches.
    AlreadyDone(GenesisInfo),
}

pub(crate) fn check_genesis(
    stored: Option<GenesisInfo>,
    chain_id: &ChainId,
    genesis_hash: Hash,
    write_set: &WriteSet,
) -> Result<GenesisAction, StoreError> {
    let app_hash = genesis_app_hash(write_set);
    match stored {
        None => Ok(GenesisAction::Write {
            info: GenesisInfo { chain_id: chain_id.clone(), genesis_hash, app_hash },
            write_set: encode_write_set(write_set, Height::GENESIS)?,
        }),
        Some(s) if &s.chain_id != chain_id || s.genesis_hash != genesis_hash => {
            Err(StoreError::GenesisMismatch {
                stored_chain: s.chain_id,
                stored_genesis: s.genesis_hash,
                chain: chain_id.clone(),
                genesis: genesis_hash,
            })
        }
        Some(s) if s.app_hash != app_hash => Err(StoreError::GenesisStateMismatch {
            genesis: genesis_hash,
            stored: s.app_hash,
            computed: app_hash,
        }),
        Some(s) => Ok(GenesisAction::AlreadyDone(s)),
    }
}

/// The tip right after genesis. Height 0's "block hash" is the genesis hash, so block 1 commits
/// to the genesis parameters through its `prev_hash` (ADR 003).
pub(crate) fn genesis_tip(info: &GenesisInfo) -> ChainTip {
    ChainTip { height: Height::GENESIS, block_hash: info.genesis_hash, app_hash: info.app_hash }
}

fn bounded<T: Encodable>(
    value: &T,
    record: &'static str,
    height: Height,
) -> Result<Vec<u8>, StoreError> {
    let bytes = codec::encode(value);
    if bytes.len() > T::MAX_LEN {
        return Err(StoreError::RecordTooLarge {
            record,
            height,
            len: bytes.len(),
            max: T::MAX_LEN,
        });
    }
    Ok(bytes)
}

fn encode_write_set(write_set: &WriteSet, height: Height) -> Result<Vec<u8>, StoreError> {
    let bytes = codec::encode(write_set);
    if bytes.len() > MAX_WRITE_SET_BYTES {
        return Err(StoreError::RecordTooLarge {
            record: "write-set",
            height,
            len: bytes.len(),
            max: MAX_WRITE_SET_BYTES,
        });
    }
    Ok(bytes)
}
