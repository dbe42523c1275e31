//! The storage contract shared by [`crate::RocksStore`] and [`crate::MemoryStore`].
//!
//! The chain is a sequence of heights. Height 0 is genesis: it has state, a write-set and an app hash
//! but no block. Every later height `h` has exactly one block, the certificate that finalised it,
//! the write-set its execution produced and the app hash after it, all written in one atomic (and,
//! on disk, synced) batch together with the new tip. A reader therefore sees either all of height
//! `h` or none of it.

use serde::{Deserialize, Serialize};

use protocol::state::WriteSet;
use protocol::{Block, ChainId, CommitCertificate, Hash, Height};

use crate::error::StoreError;

/// State entries `(key, value)` in key order, as prefix scans return them.
pub type StateEntries = Vec<(Vec<u8>, Vec<u8>)>;

/// Everything one finalised block changes, committed together by [`Store::commit_block`].
#[derive(Clone, Copy, Debug)]
pub struct BlockCommit<'a> {
    pub block: &'a Block,
    /// Precommits of more than 2/3 of the power for `block` (checked by the engine, not here).
    pub certificate: &'a CommitCertificate,
    /// The state changes of executing `block`: `Some` sets a key, `None` deletes it.
    pub write_set: &'a WriteSet,
    /// `next_app_hash(app_hash(h-1), write_set)`; the store recomputes and refuses a mismatch.
    pub app_hash: Hash,
}

/// Which network a store belongs to, fixed by [`Store::init_genesis`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisInfo {
    pub chain_id: ChainId,
    /// The genesis file's hash (`Genesis::hash`).
    pub genesis_hash: Hash,
    /// `genesis_app_hash(genesis write-set)`: the state commitment at height 0.
    pub app_hash: Hash,
}

/// The last committed height and what the next block must build on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainTip {
    pub height: Height,
    /// Hash of the block at `height`; zero at genesis, which is what the first block's
    /// `prev_hash` must be.
    pub block_hash: Hash,
    /// The state commitment after `height`: the next block's `header.app_hash`.
    pub app_hash: Hash,
}

/// A consistent, read-only view of the state as of one committed height.
///
/// It never shows part of a block: commits that happen while it is held are invisible to it.
/// Drop it promptly on disk stores: RocksDB keeps the data it pins from being compacted away.
pub trait StateView: Send + Sync {
    /// The height whose state this view shows.
    fn height(&self) -> Height;
    /// The state commitment after [`StateView::height`].
    fn app_hash(&self) -> Hash;
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Every `(key, value)` whose key starts with `prefix`, in key order.
    fn prefix(&self, prefix: &[u8]) -> Result<StateEntries, StoreError>;
}

/// tau's persistence: blocks, certificates, state and its commitments, the BFT safety record and
/// the node's metadata. Object safe, so the node holds an `Arc<dyn Store>`.
///
/// Writers are serialised inside the store; readers never block writers. Reads of a height above
/// the tip return `None`, never partial data.
pub trait Store: Send + Sync {
    /// Writes the genesis state (height 0) and its app hash in one synced batch and returns the
    /// stored genesis. Idempotent: on a store already holding the same chain it only checks that
    /// `write_set` still hashes to the stored commitment. A store that holds another chain is
    /// refused with [`StoreError::GenesisMismatch`], so call this right after opening.
    fn init_genesis(
        &self,
        chain_id: &ChainId,
        genesis_hash: Hash,
        write_set: &WriteSet,
    ) -> Result<GenesisInfo, StoreError>;

    /// The chain this store holds, or `None` before [`Store::init_genesis`].
    fn genesis(&self) -> Result<Option<GenesisInfo>, StoreError>;

    /// Commits one finalised block with everything it changes, atomically (synced on disk).
    ///
    /// Refused, with nothing written, unless: the block is at `tip + 1`; its header's `prev_hash`
    /// is the tip's block hash and its `app_hash` the tip's app hash; the certificate is for this
    /// block at this height; and `app_hash == next_app_hash(tip.app_hash, write_set)`.
    fn commit_block(&self, commit: &BlockCommit<'_>) -> Result<ChainTip, StoreError>;

    /// The last committed height; [`StoreError::NotInitialised`] before genesis.
    fn tip(&self) -> Result<ChainTip, StoreError>;

    fn block(&self, height: Height) -> Result<Option<Block>, StoreError>;
    fn block_by_hash(&self, hash: &Hash) -> Result<Option<Block>, StoreError>;
    fn certificate(&self, height: Height) -> Result<Option<CommitCertificate>, StoreError>;
    /// The write-set applied at `height` (genesis's at 0).
    fn write_set(&self, height: Height) -> Result<Option<WriteSet>, StoreError>;
    /// The state commitment after `height`.
    fn app_hash(&self, height: Height) -> Result<Option<Hash>, StoreError>;

    /// A state value at the tip.
    fn state_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// State entries whose key starts with `prefix`, in key order, read from one consistent view.
    fn state_prefix(&self, prefix: &[u8]) -> Result<StateEntries, StoreError>;
    /// A consistent view of the state at the current tip; [`StoreError::NotInitialised`] before
    /// genesis.
    fn snapshot(&self) -> Result<Box<dyn StateView + '_>, StoreError>;

    /// Replaces the BFT engine's safety record (opaque bytes) with a synced write. Call it, and let
    /// it return, before a vote leaves the process.
    fn save_safety_record(&self, record: &[u8]) -> Result<(), StoreError>;
    fn load_safety_record(&self) -> Result<Option<Vec<u8>>, StoreError>;

    /// The node's own small values (peer id, last sync target, …), in a namespace the store's
    /// records cannot collide with. Writes are synced.
    fn meta_get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    fn meta_put(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
}
