//! Stake-weighted proposer rotation: CometBFT's proposer-priority algorithm, in integers.
//!
//! Every validator carries a priority. One step (one round) does:
//! 1. rescale: if `max - min` exceeds `2·total`, divide every priority by `ceil(diff / (2·total))`
//!    (truncating toward zero, as Go's `/` does), so a long-absent validator cannot hoard priority;
//! 2. centre: subtract the average priority (floored, Euclidean), so priorities stay near zero;
//! 3. add each validator's power to its priority;
//! 4. the proposer is the highest priority, ties going to the smaller key; it pays `total`.
//!
//! Over any window a validator proposes in proportion to its power. The proposer of `(height,
//! round)` is found by stepping `round + 1` times from the height's base priorities, one round at
//! a time, so every node gets the same answer whether it walked through the rounds or skipped.
//! CometBFT rescales and centres once per *call*; here it happens once per *step*, which makes the
//! result independent of how the calls are chunked (the difference only shows after rescaling).

use protocol::ValidatorInfo;

use super::validator_set::Validator;

/// Priorities are kept within `PRIORITY_WINDOW_SIZE_FACTOR · total` of each other.
pub const PRIORITY_WINDOW_SIZE_FACTOR: i128 = 2;

/// Largest total power a set may have, so priority arithmetic never clips (CometBFT's bound).
pub const MAX_TOTAL_POWER: u64 = (i64::MAX / 8) as u64;

/// One round of the rotation; returns the index of the round's proposer.
///
/// `vals` is non-empty and `total` is the sum of its powers (a [`super::ValidatorSet`] invariant).
pub(crate) fn step(vals: &mut [Validator], total: u64) -> usize {
    rescale(vals, total);
    centre(vals);
    let total = i64::try_from(total).unwrap_or(i64::MAX);
    for v in vals.iter_mut() {
        v.priority = v.priority.saturating_add(i64::try_from(v.power).unwrap_or(i64::MAX));
    }
    let mut best = 0;
    for (i, v) in vals.iter().enumerate().skip(1) {
        let b = &vals[best];
        if v.priority > b.priority || (v.priority == b.priority && v.key < b.key) {
            best = i;
        }
    }
    if let Some(v) = vals.get_mut(best) {
        v.priority = v.priority.saturating_sub(total);
    }
    best
}

/// Divides all priorities so that their spread is at most `2·total`.
fn rescale(vals: &mut [Validator], total: u64) {
    let diff_max = PRIORITY_WINDOW_SIZE_FACTOR * i128::from(total);
    let (Some(max), Some(min)) =
        (vals.iter().map(|v| v.priority).max(), vals.iter().map(|v| v.priority).min())
    else {
        return;
    };
    let diff = i128::from(max) - i128::from(min);
    if diff_max > 0 && diff > diff_max {
        let ratio = (diff + diff_max - 1) / diff_max;
        for v in vals.iter_mut() {
            // |priority / ratio| <= |priority|, so the cast back cannot fail.
            v.priority = i64::try_from(i128::from(v.priority) / ratio).unwrap_or(v.priority);
        }
    }
}

/// Subtracts the floored average, keeping the sum of priorities near zero.
fn centre(vals: &mut [Validator]) {
    let Ok(n) = i128::try_from(vals.len()) else { return };
    if n == 0 {
        return;
    }
    let sum: i128 = vals.iter().map(|v| i128::from(v.priority)).sum();
    let avg = sum.div_euclid(n);
    let avg = i64::try_from(avg).unwrap_or(0);
    for v in vals.iter_mut() {
        v.priority = v.priority.saturating_sub(avg);
    }
}

/// The next height's validators: `previous` (already stepped once for the height that ends) with
/// the new membership and powers. Kept validators keep their priority; newcomers start at
/// `-(total + total/8)` so that joining (or leaving and re-joining) never jumps the queue.
/// `infos` is sorted by key and valid; the result is sorted by key.
pub(crate) fn apply_changes(
    previous: &[Validator],
    infos: &[ValidatorInfo],
    total: u64,
) -> Vec<Validator> {
    let newcomer = -i64::try_from(total.saturating_add(total / 8)).unwrap_or(i64::MAX);
    let mut out: Vec<Validator> = infos
        .iter()
        .map(|info| {
            let priority = previous
                .binary_search_by(|v| v.key.cmp(&info.key))
                .ok()
                .and_then(|i| previous.get(i))
                .map_or(newcomer, |v| v.priority);
            Validator { key: info.key, power: info.power, priority }
        })
        .collect();
    rescale(&mut out, total);
    centre(&mut out);
    out
}

/// The proposers of one height, computed lazily round by round and remembered.
#[derive(Clone, Debug)]
pub struct ProposerSchedule {
    working: Vec<Validator>,
    total: u64,
    /// `proposers[r]` is the index (in key order) of round r's proposer.
    proposers: Vec<usize>,
}

impl ProposerSchedule {
    pub(crate) fn new(base: Vec<Validator>, total: u64) -> ProposerSchedule {
        ProposerSchedule { working: base, total, proposers: Vec::new() }
    }

    /// Index of the proposer of `round`. Costs `O(n)` per round not yet computed; callers bound
    /// the round (the engine never looks further than its round window ahead).
    pub fn proposer_index(&mut self, round: u32) -> usize {
        let wanted = usize::try_from(round).unwrap_or(usize::MAX);
        while self.proposers.len() <= wanted {
            if self.working.is_empty() {
                return 0;
            }
            let i = step(&mut self.working, self.total);
            self.proposers.push(i);
        }
        self.proposers.get(wanted).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bft::ValidatorSet;
    use protocol::{Keypair, PublicKey, Round};

    fn key(i: u8) -> PublicKey {
        Keypair::from_seed(&[i; 32]).public()
    }

    fn set(powers: &[u64]) -> ValidatorSet {
        let infos = powers
            .iter()
            .enumerate()
            .map(|(i, p)| ValidatorInfo { key: key(i as u8 + 1), power: *p })
            .collect();
        ValidatorSet::new(infos).unwrap()
    }

    fn counts(set: &ValidatorSet, rounds: u32) -> Vec<u64> {
        let mut schedule = set.schedule();
        let mut counts = vec![0u64; set.len()];
        for r in 0..rounds {
            counts[schedule.proposer_index(r)] += 1;
        }
        counts
    }

    #[test]
    fn equal_power_is_round_robin() {
        let s = set(&[10, 10, 10, 10]);
        let mut schedule = s.schedule();
        let first: Vec<usize> = (0..4).map(|r| schedule.proposer_index(r)).collect();
        let mut sorted = first.clone();
        sorted.sort();
        assert_eq!(sorted, vec![0, 1, 2, 3], "each validator proposes once per 4 rounds");
        let second: Vec<usize> = (4..8).map(|r| schedule.proposer_index(r)).collect();
        assert_eq!(first, second);
    }

    #[test]
    fn frequency_is_proportional_to_power() {
        let powers = [1u64, 2, 3, 4, 30, 60];
        let total: u64 = powers.iter().sum();
        let s = set(&powers);
        let rounds = 100_000u32;
        let c = counts(&s, rounds);
        // `s` is in key order, which is not `powers` order: look each key's power up.
        for (i, v) in s.validators().iter().enumerate() {
            let expected = u64::from(rounds) * v.power / total;
            let got = c[i];
            assert!(got.abs_diff(expected) <= 2, "power {}: {got} vs {expected}", v.power);
        }
    }

    #[test]
    fn deterministic_and_chunking_independent() {
        let s = set(&[5, 1, 1, 13, 2]);
        let mut a = s.schedule();
        let mut b = s.schedule();
        // `a` walks round by round, `b` jumps straight to a far round first.
        let far = b.proposer_index(500);
        let walked: Vec<usize> = (0..=500).map(|r| a.proposer_index(r)).collect();
        assert_eq!(walked[500], far);
        let fresh: Vec<usize> = (0..=500).map(|r| s.clone().schedule().proposer_index(r)).collect();
        assert_eq!(walked, fresh);
        assert_eq!(s.proposer(Round(7)), s.validators()[walked[7]].key);
    }

    #[test]
    fn ties_go_to_the_smaller_key() {
        let s = set(&[7, 7]);
        let first = s.proposer(Round(0));
        let smaller = s.validators().iter().map(|v| v.key).min().unwrap();
        assert_eq!(first, smaller);
    }

    #[test]
    fn priorities_stay_bounded() {
        let s = set(&[1, 1_000_000, 3, 999_999_999]);
        let total = s.total_power();
        let mut working = s.validators().to_vec();
        for _ in 0..10_000 {
            step(&mut working, total);
            let max = working.iter().map(|v| v.priority).max().unwrap();
            let min = working.iter().map(|v| v.priority).min().unwrap();
            assert!(i128::from(max) - i128::from(min) <= 3 * i128::from(total));
        }
    }

    #[test]
    fn newcomer_waits_behind_incumbents() {
        let s = set(&[10, 10, 10]);
        let mut infos = s.infos();
        let newcomer = ValidatorInfo { key: key(200), power: 10 };
        infos.push(newcomer.clone());
        let next = s.next(infos).unwrap();
        // The newcomer does not propose the first round of its first height.
        assert_ne!(next.proposer(Round(0)), newcomer.key);
        // But proposes within a couple of rotations.
        let mut schedule = next.schedule();
        let idx = next.validators().iter().position(|v| v.key == newcomer.key).unwrap();
        assert!((0..12).any(|r| schedule.proposer_index(r) == idx));
    }

    #[test]
    fn rotation_carries_across_heights() {
        // With equal powers, successive heights' first proposers rotate through the set.
        let mut s = set(&[3, 3, 3]);
        let mut firsts = Vec::new();
        for _ in 0..3 {
            firsts.push(s.proposer(Round(0)));
            s = s.next(s.infos()).unwrap();
        }
        firsts.sort();
        firsts.dedup();
        assert_eq!(firsts.len(), 3);
    }
}
