//! Everything that can go wrong in the store, each said so that an operator knows what to do next.
//!
//! Three families: the directory is not a usable tau store (opening), a record on disk is damaged
//! (reading), and a caller asked for something the chain's rules forbid (committing). The last
//! family is what keeps a buggy caller from writing a corrupt chain.

use std::path::PathBuf;

use protocol::{ChainId, Hash, Height};

/// Why the store refused an operation or could not complete it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    // --- Opening a directory ---
    #[error(
        "{path} is a file, not a tau data directory: point the data directory at an empty or \
         existing tau directory"
    )]
    NotADirectory { path: PathBuf },

    #[error(
        "{path} is not a tau store ({reason}): point the data directory at an empty directory or \
         at one tau created; tau will not touch another program's files"
    )]
    NotATauStore { path: PathBuf, reason: String },

    #[error(
        "{path} cannot be read as a RocksDB database ({detail}): it is damaged or not a tau store; \
         restore it from a backup or resync into an empty directory"
    )]
    Damaged { path: PathBuf, detail: String },

    #[error(
        "{path} was written by a newer tau (store format v{found}; this build reads v{supported}): \
         upgrade tau, or resync into an empty directory with this version"
    )]
    NewerFormat { path: PathBuf, found: u32, supported: u32 },

    #[error(
        "{path} uses store format v{found}, which this build (v{supported}) cannot migrate: \
         resync into an empty directory"
    )]
    OlderFormat { path: PathBuf, found: u32, supported: u32 },

    #[error(
        "{path} is in use by another process (RocksDB lock held): stop the other tau node using \
         this directory, or give this one its own data directory"
    )]
    Locked { path: PathBuf },

    #[error("{path}: {source}; check that the path exists and is readable and writable")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    // --- Reading and writing ---
    #[error("RocksDB {op} failed: {detail}; check free disk space and the directory's permissions")]
    Database { op: &'static str, detail: String },

    #[error(
        "RocksDB reports corruption during {op}: {detail}; the data directory is damaged: restore \
         it from a backup or resync into an empty directory"
    )]
    DiskCorruption { op: &'static str, detail: String },

    #[error(
        "stored {record} ({key}) is corrupt: {reason}; the data directory is damaged: restore it \
         from a backup or resync into an empty directory"
    )]
    CorruptRecord { record: &'static str, key: String, reason: String },

    #[error(
        "store is inconsistent at height {height}: {detail}; the data directory is damaged: \
         resync into an empty directory"
    )]
    Inconsistent { height: Height, detail: String },

    // --- Genesis ---
    #[error("the store holds no chain yet: call init_genesis before committing or reading state")]
    NotInitialised,

    #[error(
        "this data directory belongs to chain `{stored_chain}` (genesis {stored_genesis}), not \
         `{chain}` (genesis {genesis}): use a separate data directory per network, or delete \
         this one to resync"
    )]
    GenesisMismatch { stored_chain: ChainId, stored_genesis: Hash, chain: ChainId, genesis: Hash },

    #[error(
        "genesis {genesis} was stored with state commitment {stored} but this genesis state hashes \
         to {computed}: this build derives a different genesis state; use the tau version that \
         created the directory, or resync into an empty directory"
    )]
    GenesisStateMismatch { genesis: Hash, stored: Hash, computed: Hash },

    // --- Committing a block: the caller broke a chain rule; nothing was written ---
    #[error("cannot commit height {got}: the next height is {expected} (blocks commit in order)")]
    NotNextHeight { expected: Height, got: Height },

    #[error("cannot commit block at height {height}: its certificate {detail}")]
    CertificateMismatch { height: Height, detail: String },

    #[error(
        "cannot commit block at height {height}: its header names parent {declared} but the \
         stored chain's tip is {expected}"
    )]
    WrongParent { height: Height, declared: Hash, expected: Hash },

    #[error(
        "cannot commit block at height {height}: its header carries app hash {declared} but the \
         state commitment after height {previous} is {expected}"
    )]
    HeaderAppHash { height: Height, previous: Height, declared: Hash, expected: Hash },

    #[error(
        "cannot commit height {height}: app hash {given} does not follow from the stored app hash \
         and this write-set (expected {expected}); the ledger's execution diverged"
    )]
    AppHashMismatch { height: Height, given: Hash, expected: Hash },

    #[error(
        "cannot store {record} at height {height}: it encodes to {len} bytes, over the {max}-byte \
         limit the decoder accepts (it could never be read back)"
    )]
    RecordTooLarge { record: &'static str, height: Height, len: usize, max: usize },
}

impl StoreError {
    /// A RocksDB failure during `op`, outside of opening (where the path gives better context).
    pub(crate) fn db(op: &'static str, e: rocksdb::Error) -> StoreError {
        // A checksum failure is damage, not an environment problem: it gets the damage advice.
        if e.kind() == rocksdb::ErrorKind::Corruption {
            StoreError::DiskCorruption { op, detail: e.into_string() }
        } else {
            StoreError::Database { op, detail: e.into_string() }
        }
    }

    /// A record whose bytes do not decode.
    pub(crate) fn corrupt(
        record: &'static str,
        key: impl Into<String>,
        reason: impl ToString,
    ) -> StoreError {
        StoreError::CorruptRecord { record, key: key.into(), reason: reason.to_string() }
    }

    /// True for the errors that mean "the caller broke a chain rule and nothing was written".
    pub fn is_rejected_commit(&self) -> bool {
        matches!(
            self,
            StoreError::NotNextHeight { .. }
                | StoreError::CertificateMismatch { .. }
                | StoreError::WrongParent { .. }
                | StoreError::HeaderAppHash { .. }
                | StoreError::AppHashMismatch { .. }
                | StoreError::RecordTooLarge { .. }
                | StoreError::NotInitialised
        )
    }
}
