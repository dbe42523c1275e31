//! The chain of BFT validator sets. Proposer priorities carry over from one height's set to the
//! next (`ValidatorSet::next`), so the set is part of what a node must remember: after each commit
//! the sets for the next height and the committed one are saved, and a restart resumes them.
//! Membership and power for each height come from the ledger's state.

use consensus::bft::ValidatorSet;
use protocol::genesis::Genesis;
use protocol::{Height, codec};
use storage::Store;

use super::driver::ChainError;
use super::state_reader::StoreReader;

const META_KEY: &str = "validator_sets";
const MAX_LEN: usize = 2 * (64 + protocol::consensus::MAX_VALIDATORS * 64);

/// `(height the first set votes on, that set, the set of the height before)`.
type Saved = (Height, ValidatorSet, Option<ValidatorSet>);

/// Members and powers voting on `height`, from the state committed at `height - 1`.
fn members(store: &dyn Store, height: Height) -> Result<Vec<protocol::ValidatorInfo>, ChainError> {
    let reader = StoreReader::new(store.snapshot()?);
    let infos = consensus::ledger::query::validator_set_at(&reader, height);
    if let Some(e) = reader.take_error() {
        return Err(e.into());
    }
    Ok(infos?)
}

fn save(store: &dyn Store, saved: &Saved) -> Result<(), ChainError> {
    store.meta_put(META_KEY, &codec::encode(saved))?;
    Ok(())
}

/// The sets for `tip + 1` and for `tip` at start-up.
pub fn load(
    store: &dyn Store,
    genesis: &Genesis,
    tip: Height,
) -> Result<(ValidatorSet, Option<ValidatorSet>), ChainError> {
    let saved: Option<Saved> = match store.meta_get(META_KEY)? {
        Some(bytes) => Some(
            codec::decode_bounded(&bytes, "saved validator sets", MAX_LEN)
                .map_err(|e| ChainError::Safety(format!("saved validator sets: {e}")))?,
        ),
        None => None,
    };
    match saved {
        Some((h, next, prev)) if h.0 == tip.0 + 1 => Ok((next, prev)),
        // Crashed after committing `tip` but before saving its successor: derive it again.
        Some((h, current, _)) if h == tip => {
            let next = current.next(members(store, Height(tip.0 + 1))?)?;
            save(store, &(Height(tip.0 + 1), next.clone(), Some(current.clone())))?;
            Ok((next, Some(current)))
        }
        None if tip.0 == 0 => {
            let infos = genesis
                .validators
                .iter()
                .map(|v| protocol::ValidatorInfo { key: v.hotkey, power: v.stake.rao() })
                .collect();
            let first = ValidatorSet::new(infos)?;
            save(store, &(Height(1), first.clone(), None))?;
            Ok((first, None))
        }
        other => Err(ChainError::Safety(format!(
            "saved validator sets are for height {:?}, but the chain's tip is {}",
            other.map(|s| s.0),
            tip.0
        ))),
    }
}

/// After `committed` is stored: the set for `committed + 1`, derived from the set that voted on
/// `committed` and saved.
pub fn advance(
    store: &dyn Store,
    current: &ValidatorSet,
    committed: Height,
) -> Result<ValidatorSet, ChainError> {
    let next = current.next(members(store, Height(committed.0 + 1))?)?;
    save(store, &(Height(committed.0 + 1), next.clone(), Some(current.clone())))?;
    Ok(next)
}
