//! Consistent reads over a RocksDB snapshot, and the prefix scan both the store and its views use.

use rocksdb::{ColumnFamily, Direction, IteratorMode, ReadOptions, SnapshotWithThreadMode};

use protocol::{Hash, Height};

use crate::error::StoreError;
use crate::keys::prefix_end;
use crate::store::{ChainTip, StateEntries, StateView};

use super::Db;

/// A [`StateView`] over a RocksDB snapshot. The tip is read through the same snapshot as the state,
/// so height, app hash and values always belong to one commit.
pub(super) struct RocksView<'a> {
    pub(super) snapshot: SnapshotWithThreadMode<'a, Db>,
    pub(super) state: &'a ColumnFamily,
    pub(super) tip: ChainTip,
}

impl StateView for RocksView<'_> {
    fn height(&self) -> Height {
        self.tip.height
    }

    fn app_hash(&self) -> Hash {
        self.tip.app_hash
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.snapshot.get_cf(self.state, key).map_err(|e| StoreError::db("snapshot read", e))
    }

    fn prefix(&self, prefix: &[u8]) -> Result<StateEntries, StoreError> {
        let iter = self.snapshot.iterator_cf_opt(
            self.state,
            prefix_read_options(prefix),
            IteratorMode::From(prefix, Direction::Forward),
        );
        collect(iter)
    }
}

/// Read options bounding an iterator to the keys that start with `prefix`, so RocksDB stops at the
/// end of the range instead of reading one key past it.
pub(super) fn prefix_read_options(prefix: &[u8]) -> ReadOptions {
    let mut opts = ReadOptions::default();
    if let Some(end) = prefix_end(prefix) {
        opts.set_iterate_upper_bound(end);
    }
    opts
}

/// Drains a bounded iterator. Every RocksDB iterator reads from an implicit snapshot taken when it
/// was created, so the result is consistent even while blocks are committed.
pub(super) fn collect(
    iter: impl Iterator<Item = Result<(Box<[u8]>, Box<[u8]>), rocksdb::Error>>,
) -> Result<StateEntries, StoreError> {
    iter.map(|item| {
        item.map(|(k, v)| (k.into_vec(), v.into_vec())).map_err(|e| StoreError::db("scan", e))
    })
    .collect()
}
