//! The validators of one height: keys, powers and proposer priorities, sorted by key.
//!
//! The host (the ledger) owns the chain of sets: `set(h + 1) = set(h).next(members of h + 1)`,
//! persisted with the state, so every node computes the same proposers without talking. The
//! engine receives the set with `Input::StartHeight`.

use serde::{Deserialize, Serialize};

use protocol::consensus::{MAX_VALIDATORS, validator_set_hash};
use protocol::{Hash, PublicKey, Round, ValidatorInfo};

use super::proposer_priority::{self, MAX_TOTAL_POWER, ProposerSchedule};

/// One validator with its proposer priority at round 0 of the set's height.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validator {
    pub key: PublicKey,
    pub power: u64,
    pub priority: i64,
}

/// Why a list of validators cannot form a set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidatorSetError {
    #[error("a validator set needs at least one validator")]
    Empty,
    #[error("{0} validators exceed the limit of {MAX_VALIDATORS}")]
    TooMany(usize),
    #[error("validator {0} has zero power: leave it out of the set instead")]
    ZeroPower(PublicKey),
    #[error("validator {0} appears twice")]
    Duplicate(PublicKey),
    #[error("total power exceeds {MAX_TOTAL_POWER}: scale the powers down")]
    TotalTooLarge,
    #[error("validators are not sorted by key")]
    Unsorted,
}

/// A validated, key-sorted validator set. Invariants (checked on construction and on decode):
/// non-empty, at most [`MAX_VALIDATORS`], distinct keys, positive powers, total within
/// [`MAX_TOTAL_POWER`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Validator>", into = "Vec<Validator>")]
pub struct ValidatorSet {
    validators: Vec<Validator>,
    total: u64,
}

impl TryFrom<Vec<Validator>> for ValidatorSet {
    type Error = ValidatorSetError;

    fn try_from(validators: Vec<Validator>) -> Result<Self, Self::Error> {
        if validators.windows(2).any(|w| w[0].key >= w[1].key) {
            // Duplicates show up as equal neighbours; report them as such.
            if let Some(w) = validators.windows(2).find(|w| w[0].key == w[1].key) {
                return Err(ValidatorSetError::Duplicate(w[0].key));
            }
            return Err(ValidatorSetError::Unsorted);
        }
        let infos: Vec<ValidatorInfo> =
            validators.iter().map(|v| ValidatorInfo { key: v.key, power: v.power }).collect();
        let total = check(&infos)?;
        Ok(ValidatorSet { validators, total })
    }
}

impl From<ValidatorSet> for Vec<Validator> {
    fn from(set: ValidatorSet) -> Self {
        set.validators
    }
}

/// Checks the invariants of sorted, de-duplicated infos and returns the total power.
fn check(infos: &[ValidatorInfo]) -> Result<u64, ValidatorSetError> {
    if infos.is_empty() {
        return Err(ValidatorSetError::Empty);
    }
    if infos.len() > MAX_VALIDATORS {
        return Err(ValidatorSetError::TooMany(infos.len()));
    }
    let mut total: u64 = 0;
    for info in infos {
        if info.power == 0 {
            return Err(ValidatorSetError::ZeroPower(info.key));
        }
        total = total.checked_add(info.power).ok_or(ValidatorSetError::TotalTooLarge)?;
    }
    if total > MAX_TOTAL_POWER {
        return Err(ValidatorSetError::TotalTooLarge);
    }
    Ok(total)
}

/// Sorts by key and rejects duplicates.
fn sorted(mut infos: Vec<ValidatorInfo>) -> Result<(Vec<ValidatorInfo>, u64), ValidatorSetError> {
    infos.sort_by_key(|i| i.key);
    if let Some(w) = infos.windows(2).find(|w| w[0].key == w[1].key) {
        return Err(ValidatorSetError::Duplicate(w[0].key));
    }
    let total = check(&infos)?;
    Ok((infos, total))
}

impl ValidatorSet {
    /// The first set of a chain (genesis): all priorities start at zero.
    pub fn new(infos: Vec<ValidatorInfo>) -> Result<ValidatorSet, ValidatorSetError> {
        let (infos, total) = sorted(infos)?;
        let validators =
            infos.iter().map(|i| Validator { key: i.key, power: i.power, priority: 0 }).collect();
        Ok(ValidatorSet { validators, total })
    }

    /// The set of the next height, with membership and powers `infos`: this set's priorities
    /// advanced by one step (the height that ends), then the changes applied.
    pub fn next(&self, infos: Vec<ValidatorInfo>) -> Result<ValidatorSet, ValidatorSetError> {
        let (infos, total) = sorted(infos)?;
        let mut stepped = self.validators.clone();
        proposer_priority::step(&mut stepped, self.total);
        let validators = proposer_priority::apply_changes(&stepped, &infos, total);
        Ok(ValidatorSet { validators, total })
    }

    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// Keys and powers, in key order.
    pub fn infos(&self) -> Vec<ValidatorInfo> {
        self.validators.iter().map(|v| ValidatorInfo { key: v.key, power: v.power }).collect()
    }

    pub fn len(&self) -> usize {
        self.validators.len()
    }

    /// Always false: a set has at least one validator.
    pub fn is_empty(&self) -> bool {
        self.validators.is_empty()
    }

    pub fn total_power(&self) -> u64 {
        self.total
    }

    /// The power of `key`, or `None` if it is not a member.
    pub fn power_of(&self, key: &PublicKey) -> Option<u64> {
        self.index_of(key).and_then(|i| self.validators.get(i)).map(|v| v.power)
    }

    pub fn index_of(&self, key: &PublicKey) -> Option<usize> {
        self.validators.binary_search_by(|v| v.key.cmp(key)).ok()
    }

    pub fn contains(&self, key: &PublicKey) -> bool {
        self.index_of(key).is_some()
    }

    /// [`validator_set_hash`] of the members, as block headers carry it.
    pub fn hash(&self) -> Hash {
        validator_set_hash(&self.infos())
    }

    /// A lazily computed proposer schedule for this set's height.
    pub fn schedule(&self) -> ProposerSchedule {
        ProposerSchedule::new(self.validators.clone(), self.total)
    }

    /// The proposer of `round` (`O(round · n)`; the engine uses a cached [`ProposerSchedule`]).
    pub fn proposer(&self, round: Round) -> PublicKey {
        let i = self.schedule().proposer_index(round.0);
        self.validators.get(i).map(|v| v.key).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{Keypair, codec};

    fn info(i: u8, power: u64) -> ValidatorInfo {
        ValidatorInfo { key: Keypair::from_seed(&[i; 32]).public(), power }
    }

    #[test]
    fn rejects_bad_sets() {
        assert_eq!(ValidatorSet::new(vec![]), Err(ValidatorSetError::Empty));
        assert!(matches!(
            ValidatorSet::new(vec![info(1, 0)]),
            Err(ValidatorSetError::ZeroPower(_))
        ));
        assert!(matches!(
            ValidatorSet::new(vec![info(1, 1), info(1, 2)]),
            Err(ValidatorSetError::Duplicate(_))
        ));
        assert_eq!(
            ValidatorSet::new(vec![info(1, MAX_TOTAL_POWER), info(2, 1)]),
            Err(ValidatorSetError::TotalTooLarge)
        );
        assert_eq!(
            ValidatorSet::new(vec![info(1, u64::MAX), info(2, u64::MAX)]),
            Err(ValidatorSetError::TotalTooLarge)
        );
    }

    #[test]
    fn sorted_lookup_and_hash_match_protocol() {
        let infos = vec![info(3, 30), info(1, 10), info(2, 20)];
        let set = ValidatorSet::new(infos.clone()).unwrap();
        assert_eq!(set.total_power(), 60);
        assert_eq!(set.power_of(&info(2, 0).key), Some(20));
        assert_eq!(set.power_of(&info(9, 0).key), None);
        assert_eq!(set.hash(), validator_set_hash(&infos));
    }

    #[test]
    fn decode_rechecks_invariants() {
        let set = ValidatorSet::new(vec![info(1, 10), info(2, 20)]).unwrap();
        let bytes = codec::encode(&set);
        let back: ValidatorSet =
            codec::decode_bounded(&bytes, "validator set", 1 << 20).expect("round trip");
        assert_eq!(back, set);
        // Swap the two entries: unsorted input must be refused, not trusted.
        let mut raw: Vec<Validator> = set.validators().to_vec();
        raw.swap(0, 1);
        let bytes = codec::encode(&raw);
        assert!(codec::decode_bounded::<ValidatorSet>(&bytes, "validator set", 1 << 20).is_err());
    }
}
