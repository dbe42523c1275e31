//! [`RocksStore`]: the [`Store`] contract on RocksDB.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rocksdb::{ColumnFamily, DBPinnableSlice, Direction, IteratorMode, WriteBatch, WriteOptions};

use protocol::codec::encode;
use protocol::state::WriteSet;
use protocol::{Block, ChainId, CommitCertificate, Hash, Height};

use crate::error::StoreError;
use crate::keys::{Cf, META_GENESIS, META_TIP, SAFETY_KEY, hash_key, height_key, node_meta_key};
use crate::records::{self, At};
use crate::rules::{self, GenesisAction};
use crate::store::{BlockCommit, ChainTip, GenesisInfo, StateEntries, StateView, Store};

use super::view::{self, RocksView};
use super::{Db, open};

/// tau's store on disk. Open one per data directory; RocksDB's lock refuses a second process.
pub struct RocksStore {
    db: Db,
    path: PathBuf,
    /// Serialises writers that read the tip, check, then write: two racing commits must not both
    /// pass the "next height" check. Readers never take it.
    writer: Mutex<()>,
    sync: WriteOptions,
}

impl RocksStore {
    /// Opens the tau store at `path`, creating it if the directory is missing or empty.
    ///
    /// Anything else (a file, another program's files or database, a damaged database, a store
    /// of a newer format) is refused with a [`StoreError`] that says what the directory is and
    /// what to do; nothing is written to a directory that is not tau's. Then call
    /// [`Store::init_genesis`], which refuses a store that belongs to another network.
    pub fn open(path: impl AsRef<Path>) -> Result<RocksStore, StoreError> {
        let path = path.as_ref();
        let store = RocksStore {
            db: open::open_db(path)?,
            path: path.to_owned(),
            writer: Mutex::new(()),
            sync: super::synced(),
        };
        store.check_tip_records()?;
        Ok(store)
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the records every later operation depends on, so a damaged store fails at open rather
    /// than in the middle of consensus.
    fn check_tip_records(&self) -> Result<(), StoreError> {
        let genesis = self.genesis()?;
        let tip = self.read_tip()?;
        match (genesis, tip) {
            (None, None) => Ok(()),
            (Some(_), Some(tip)) => {
                if self.app_hash(tip.height)? != Some(tip.app_hash) {
                    return Err(StoreError::Inconsistent {
                        height: tip.height,
                        detail: "the tip record's app hash is not the one stored for its height"
                            .into(),
                    });
                }
                Ok(())
            }
            (g, _) => Err(StoreError::Inconsistent {
                height: Height::GENESIS,
                detail: format!(
                    "genesis record {} but tip record {}",
                    if g.is_some() { "present" } else { "absent" },
                    if g.is_some() { "absent" } else { "present" },
                ),
            }),
        }
    }

    fn cf(&self, cf: Cf) -> Result<&ColumnFamily, StoreError> {
        // Open checked that every family exists; a miss here is a bug, reported, not panicked.
        self.db.cf_handle(cf.name()).ok_or_else(|| StoreError::Damaged {
            path: self.path.clone(),
            detail: format!("tau column family `{}` is missing", cf.name()),
        })
    }

    fn get(&self, cf: Cf, key: &[u8]) -> Result<Option<DBPinnableSlice<'_>>, StoreError> {
        self.db.get_pinned_cf(self.cf(cf)?, key).map_err(|e| StoreError::db("read", e))
    }

    fn read_tip(&self) -> Result<Option<ChainTip>, StoreError> {
        self.get(Cf::Meta, META_TIP)?.map(|b| records::decode(&b, At::Key(META_TIP))).transpose()
    }

    fn lock_writer(&self) -> MutexGuard<'_, ()> {
        // The guard protects no data, only ordering, so a panic elsewhere leaves nothing to repair.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self, batch: WriteBatch, op: &'static str) -> Result<(), StoreError> {
        self.db.write_opt(batch, &self.sync).map_err(|e| StoreError::db(op, e))
    }

    /// Adds a write-set's state changes to `batch`.
    fn apply_state(&self, batch: &mut WriteBatch, write_set: &WriteSet) -> Result<(), StoreError> {
        let state = self.cf(Cf::State)?;
        for (key, value) in write_set {
            match value {
                Some(v) => batch.put_cf(state, key, v),
                None => batch.delete_cf(state, key),
            }
        }
        Ok(())
    }
}

impl Store for RocksStore {
    fn init_genesis(
        &self,
        chain_id: &ChainId,
        genesis_hash: Hash,
        write_set: &WriteSet,
    ) -> Result<GenesisInfo, StoreError> {
        let _writer = self.lock_writer();
        let (info, encoded) =
            match rules::check_genesis(self.genesis()?, chain_id, genesis_hash, write_set)? {
                GenesisAction::AlreadyDone(info) => return Ok(info),
                GenesisAction::Write { info, write_set } => (info, write_set),
            };
        let tip = rules::genesis_tip(&info);
        let key = height_key(Height::GENESIS);
        let mut batch = WriteBatch::default();
        self.apply_state(&mut batch, write_set)?;
        batch.put_cf(self.cf(Cf::WriteSets)?, key, encoded);
        batch.put_cf(self.cf(Cf::AppHashes)?, key, encode(&info.app_hash));
        batch.put_cf(self.cf(Cf::Meta)?, META_GENESIS, encode(&info));
        batch.put_cf(self.cf(Cf::Meta)?, META_TIP, encode(&tip));
        self.write(batch, "write genesis")?;
        Ok(info)
    }

    fn genesis(&self) -> Result<Option<GenesisInfo>, StoreError> {
        self.get(Cf::Meta, META_GENESIS)?
            .map(|b| records::decode(&b, At::Key(META_GENESIS)))
            .transpose()
    }

    fn commit_block(&self, commit: &BlockCommit<'_>) -> Result<ChainTip, StoreError> {
        let _writer = self.lock_writer();
        let tip = self.read_tip()?.ok_or(StoreError::NotInitialised)?;
        let (encoded, next) = rules::check_commit(&tip, commit)?;
        let key = height_key(next.height);
        // Everything of one height, the new tip included, in one batch: RocksDB applies it
        // atomically, and the synced WAL write makes it durable before this returns, so a crash
        // leaves all of the height or none of it.
        let mut batch = WriteBatch::default();
        batch.put_cf(self.cf(Cf::Blocks)?, key, encoded.block);
        batch.put_cf(self.cf(Cf::BlockIndex)?, hash_key(&next.block_hash), encode(&next.height));
        batch.put_cf(self.cf(Cf::Certificates)?, key, encoded.certificate);
        batch.put_cf(self.cf(Cf::WriteSets)?, key, encoded.write_set);
        batch.put_cf(self.cf(Cf::AppHashes)?, key, encode(&next.app_hash));
        self.apply_state(&mut batch, commit.write_set)?;
        batch.put_cf(self.cf(Cf::Meta)?, META_TIP, encode(&next));
        self.write(batch, "commit block")?;
        Ok(next)
    }

    fn tip(&self) -> Result<ChainTip, StoreError> {
        self.read_tip()?.ok_or(StoreError::NotInitialised)
    }

    fn block(&self, height: Height) -> Result<Option<Block>, StoreError> {
        self.get(Cf::Blocks, &height_key(height))?
            .map(|b| records::decode(&b, At::Height(height)))
            .transpose()
    }

    fn block_by_hash(&self, hash: &Hash) -> Result<Option<Block>, StoreError> {
        let Some(bytes) = self.get(Cf::BlockIndex, &hash_key(hash))? else { return Ok(None) };
        let height = records::decode_height(&bytes, "block-hash index entry", At::Hash(hash))?;
        let block = self.block(height)?.ok_or_else(|| StoreError::Inconsistent {
            height,
            detail: format!("the hash index names this height for block {hash}, which is absent"),
        })?;
        if block.hash() != *hash {
            return Err(StoreError::Inconsistent {
                height,
                detail: format!(
                    "the hash index maps {hash} to a block hashing to {}",
                    block.hash()
                ),
            });
        }
        Ok(Some(block))
    }

    fn certificate(&self, height: Height) -> Result<Option<CommitCertificate>, StoreError> {
        self.get(Cf::Certificates, &height_key(height))?
            .map(|b| records::decode(&b, At::Height(height)))
            .transpose()
    }

    fn write_set(&self, height: Height) -> Result<Option<WriteSet>, StoreError> {
        self.get(Cf::WriteSets, &height_key(height))?
            .map(|b| records::decode_write_set(&b, At::Height(height)))
            .transpose()
    }

    fn app_hash(&self, height: Height) -> Result<Option<Hash>, StoreError> {
        self.get(Cf::AppHashes, &height_key(height))?
            .map(|b| records::decode_hash(&b, "app hash", At::Height(height)))
            .transpose()
    }

    fn state_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.get(Cf::State, key)?.map(|b| b.to_vec()))
    }

    fn state_prefix(&self, prefix: &[u8]) -> Result<StateEntries, StoreError> {
        let iter = self.db.iterator_cf_opt(
            self.cf(Cf::State)?,
            view::prefix_read_options(prefix),
            IteratorMode::From(prefix, Direction::Forward),
        );
        view::collect(iter)
    }

    fn snapshot(&self) -> Result<Box<dyn StateView + '_>, StoreError> {
        let snapshot = self.db.snapshot();
        // The tip comes from the snapshot itself, so it names exactly the state the view shows.
        let tip = {
            let bytes = snapshot
                .get_pinned_cf(self.cf(Cf::Meta)?, META_TIP)
                .map_err(|e| StoreError::db("snapshot read", e))?
                .ok_or(StoreError::NotInitialised)?;
            records::decode(&bytes, At::Key(META_TIP))?
        };
        Ok(Box::new(RocksView { snapshot, state: self.cf(Cf::State)?, tip }))
    }

    fn save_safety_record(&self, record: &[u8]) -> Result<(), StoreError> {
        self.db
            .put_cf_opt(self.cf(Cf::Safety)?, SAFETY_KEY, record, &self.sync)
            .map_err(|e| StoreError::db("save safety record", e))
    }

    fn load_safety_record(&self) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.get(Cf::Safety, SAFETY_KEY)?.map(|b| b.to_vec()))
    }

    fn meta_get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.get(Cf::Meta, &node_meta_key(key))?.map(|b| b.to_vec()))
    }

    fn meta_put(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.db
            .put_cf_opt(self.cf(Cf::Meta)?, node_meta_key(key), value, &self.sync)
            .map_err(|e| StoreError::db("write metadata", e))
    }
}
