//! [`MemoryStore`]: the [`Store`] contract in memory, for tests of the crates above.
//!
//! Same checks (they live in [`crate::rules`]), same results, same atomicity: a commit is validated
//! in full before anything changes, and then applied under one write lock, so no reader ever sees
//! half of it. Snapshots share the state map and copy it only if a commit happens while they are
//! held (copy-on-write through `Arc`).

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use protocol::state::WriteSet;
use protocol::{Block, ChainId, CommitCertificate, Hash, Height};

use crate::error::StoreError;
use crate::keys::prefix_end;
use crate::rules::{self, GenesisAction};
use crate::store::{BlockCommit, ChainTip, GenesisInfo, StateEntries, StateView, Store};

type State = BTreeMap<Vec<u8>, Vec<u8>>;

/// An in-memory [`Store`]; contents vanish with it.
#[derive(Default)]
pub struct MemoryStore {
    inner: RwLock<Chain>,
}

#[derive(Default)]
struct Chain {
    genesis: Option<GenesisInfo>,
    tip: Option<ChainTip>,
    blocks: BTreeMap<Height, Block>,
    index: BTreeMap<Hash, Height>,
    certificates: BTreeMap<Height, CommitCertificate>,
    write_sets: BTreeMap<Height, WriteSet>,
    app_hashes: BTreeMap<Height, Hash>,
    state: Arc<State>,
    safety: Option<Vec<u8>>,
    meta: BTreeMap<String, Vec<u8>>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    // Every mutation is validated before it starts and cannot fail halfway, so a lock poisoned by
    // a panicking reader or writer still guards consistent data.
    fn read(&self) -> RwLockReadGuard<'_, Chain> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Chain> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Chain {
    fn apply_state(&mut self, write_set: &WriteSet) {
        // Copies the map only if a snapshot still shares it.
        let state = Arc::make_mut(&mut self.state);
        for (key, value) in write_set {
            match value {
                Some(v) => state.insert(key.clone(), v.clone()),
                None => state.remove(key),
            };
        }
    }
}

impl Store for MemoryStore {
    fn init_genesis(
        &self,
        chain_id: &ChainId,
        genesis_hash: Hash,
        write_set: &WriteSet,
    ) -> Result<GenesisInfo, StoreError> {
        let mut chain = self.write();
        let info =
            match rules::check_genesis(chain.genesis.clone(), chain_id, genesis_hash, write_set)? {
                GenesisAction::AlreadyDone(info) => return Ok(info),
                GenesisAction::Write { info, .. } => info,
            };
        chain.apply_state(write_set);
        chain.write_sets.insert(Height::GENESIS, write_set.clone());
        chain.app_hashes.insert(Height::GENESIS, info.app_hash);
        chain.tip = Some(rules::genesis_tip(&info));
        chain.genesis = Some(info.clone());
        Ok(info)
    }

    fn genesis(&self) -> Result<Option<GenesisInfo>, StoreError> {
        Ok(self.read().genesis.clone())
    }

    fn commit_block(&self, commit: &BlockCommit<'_>) -> Result<ChainTip, StoreError> {
        let mut chain = self.write();
        let tip = chain.tip.ok_or(StoreError::NotInitialised)?;
        // The encoded bytes are unused here, but encoding checks the same size limits as disk.
        let (_, next) = rules::check_commit(&tip, commit)?;
        let h = next.height;
        chain.blocks.insert(h, commit.block.clone());
        chain.index.insert(next.block_hash, h);
        chain.certificates.insert(h, commit.certificate.clone());
        chain.write_sets.insert(h, commit.write_set.clone());
        chain.app_hashes.insert(h, next.app_hash);
        chain.apply_state(commit.write_set);
        chain.tip = Some(next);
        Ok(next)
    }

    fn tip(&self) -> Result<ChainTip, StoreError> {
        self.read().tip.ok_or(StoreError::NotInitialised)
    }

    fn block(&self, height: Height) -> Result<Option<Block>, StoreError> {
        Ok(self.read().blocks.get(&height).cloned())
    }

    fn block_by_hash(&self, hash: &Hash) -> Result<Option<Block>, StoreError> {
        let chain = self.read();
        Ok(chain.index.get(hash).and_then(|h| chain.blocks.get(h)).cloned())
    }

    fn certificate(&self, height: Height) -> Result<Option<CommitCertificate>, StoreError> {
        Ok(self.read().certificates.get(&height).cloned())
    }

    fn write_set(&self, height: Height) -> Result<Option<WriteSet>, StoreError> {
        Ok(self.read().write_sets.get(&height).cloned())
    }

    fn app_hash(&self, height: Height) -> Result<Option<Hash>, StoreError> {
        Ok(self.read().app_hashes.get(&height).copied())
    }

    fn state_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.read().state.get(key).cloned())
    }

    fn state_prefix(&self, prefix: &[u8]) -> Result<StateEntries, StoreError> {
        Ok(scan(&self.read().state, prefix))
    }

    fn snapshot(&self) -> Result<Box<dyn StateView + '_>, StoreError> {
        let chain = self.read();
        let tip = chain.tip.ok_or(StoreError::NotInitialised)?;
        Ok(Box::new(MemoryView { tip, state: Arc::clone(&chain.state) }))
    }

    fn save_safety_record(&self, record: &[u8]) -> Result<(), StoreError> {
        self.write().safety = Some(record.to_vec());
        Ok(())
    }

    fn load_safety_record(&self) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.read().safety.clone())
    }

    fn meta_get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.read().meta.get(key).cloned())
    }

    fn meta_put(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.write().meta.insert(key.to_owned(), value.to_vec());
        Ok(())
    }
}

/// The state as of one commit, shared with the store until the next commit copies it.
struct MemoryView {
    tip: ChainTip,
    state: Arc<State>,
}

impl StateView for MemoryView {
    fn height(&self) -> Height {
        self.tip.height
    }

    fn app_hash(&self) -> Hash {
        self.tip.app_hash
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.state.get(key).cloned())
    }

    fn prefix(&self, prefix: &[u8]) -> Result<StateEntries, StoreError> {
        Ok(scan(&self.state, prefix))
    }
}

fn scan(state: &State, prefix: &[u8]) -> StateEntries {
    let end = prefix_end(prefix).map_or(Bound::Unbounded, Bound::Excluded);
    state
        .range::<[u8], _>((Bound::Included(prefix), end.as_ref().map(Vec::as_slice)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
