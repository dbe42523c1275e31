//! A full audit of a store: re-derives the whole chain from what is stored and checks that every
//! record agrees. Used by the crash test and meant for an operator's "check my data directory"
//! command; it reads everything, so it is linear in chain length and holds the state in memory.

use std::collections::BTreeMap;

use protocol::state::next_app_hash;
use protocol::{Hash, Height};

use crate::error::StoreError;
use crate::store::{ChainTip, Store};

/// Checks, for every height from genesis to the tip, that:
/// - the write-set, app hash (recomputed as `next_app_hash(previous, write_set)`), block and
///   certificate are all present and agree (heights, parent links, header app hashes, certificate
///   block hashes, the hash index);
/// - the stored state is exactly the result of applying every write-set in order;
/// - nothing is stored for the height after the tip.
///
/// Returns the audited tip. Run it with no commits in flight: a commit racing the audit shows up
/// as a record beyond the tip.
pub fn verify_chain(store: &dyn Store) -> Result<ChainTip, StoreError> {
    let genesis = store.genesis()?.ok_or(StoreError::NotInitialised)?;
    let view = store.snapshot()?;
    let top = view.height();
    let fail = |height: Height, detail: String| StoreError::Inconsistent { height, detail };

    let mut state: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut app_hash = Hash::ZERO;
    let mut block_hash = genesis.genesis_hash;
    for h in 0..=top.0 {
        let height = Height(h);
        let write_set =
            store.write_set(height)?.ok_or_else(|| fail(height, "write-set missing".into()))?;
        let previous_app_hash = app_hash;
        app_hash = next_app_hash(&app_hash, &write_set);
        let stored = store.app_hash(height)?;
        if stored != Some(app_hash) {
            return Err(fail(height, format!("app hash is {stored:?}, recomputed {app_hash:?}")));
        }
        for (key, value) in write_set {
            match value {
                Some(v) => state.insert(key, v),
                None => state.remove(&key),
            };
        }
        if h == 0 {
            if app_hash != genesis.app_hash {
                return Err(fail(height, "genesis record's app hash differs".into()));
            }
            if store.block(height)?.is_some() || store.certificate(height)?.is_some() {
                return Err(fail(height, "genesis has a block or certificate".into()));
            }
            continue;
        }
        let block = store.block(height)?.ok_or_else(|| fail(height, "block missing".into()))?;
        let header = &block.header;
        if header.height != height {
            return Err(fail(height, format!("block claims height {}", header.height)));
        }
        if header.prev_hash != block_hash {
            return Err(fail(height, "block's prev_hash is not the previous block".into()));
        }
        if header.app_hash != previous_app_hash {
            return Err(fail(height, "block header's app hash is not app_hash(h-1)".into()));
        }
        block_hash = block.hash();
        let cert =
            store.certificate(height)?.ok_or_else(|| fail(height, "certificate missing".into()))?;
        if cert.height != height || cert.block_hash != block_hash {
            return Err(fail(height, "certificate is not for this block".into()));
        }
        if store.block_by_hash(&block_hash)?.as_ref() != Some(&block) {
            return Err(fail(height, "hash index does not lead back to the block".into()));
        }
    }

    if view.app_hash() != app_hash {
        return Err(fail(top, "the tip's app hash differs from the recomputed chain".into()));
    }
    let stored_state: BTreeMap<Vec<u8>, Vec<u8>> = view.prefix(&[])?.into_iter().collect();
    if stored_state != state {
        let diff = stored_state
            .iter()
            .find(|(k, v)| state.get(*k) != Some(*v))
            .map(|(k, _)| k.clone())
            .or_else(|| state.keys().find(|k| !stored_state.contains_key(*k)).cloned())
            .unwrap_or_default();
        return Err(fail(
            top,
            format!(
                "state differs from the replayed write-sets at {}",
                crate::keys::show_key(&diff)
            ),
        ));
    }
    drop(view);

    let tip = store.tip()?;
    if tip != (ChainTip { height: top, block_hash, app_hash }) {
        return Err(fail(top, format!("tip record {tip:?} disagrees with the chain")));
    }
    if let Some(next) = top.next() {
        let beyond = store.block(next)?.is_some()
            || store.certificate(next)?.is_some()
            || store.write_set(next)?.is_some()
            || store.app_hash(next)?.is_some();
        if beyond {
            return Err(fail(next, "records exist beyond the tip".into()));
        }
    }
    Ok(tip)
}
