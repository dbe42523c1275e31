//! From merits to the weight row a validator sets: u16 weights summing to exactly 65535, with
//! at least `min_allowed_weights` entries and no weight above `max_weight_limit` of the total —
//! the same rules the ledger checks (`consensus::ledger::weights`), so a row built here is not
//! refused for its shape. Integer arithmetic only: equal inputs give equal rows everywhere.
//!
//! Weights are proportional to merit. Under a weight limit, weights above the cap are clipped and
//! the excess is spread over the others in proportion to their merit ("water-filling"); if every
//! miner with merit is at the cap, the remainder goes evenly to as few other UIDs as the limit
//! forces (lowest UIDs first) — the ledger demands it, and it is the least weight given unearned.
//! Rounding uses largest remainders, so the sum is exact and higher merit never gets less weight.

use protocol::hyperparams::SubnetHyperparameters;
use protocol::transaction::WeightRow;

/// The total a row sums to.
pub const TOTAL: u64 = u16::MAX as u64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightLimits {
    /// UIDs on the subnet; weights go to UIDs below it.
    pub n: u16,
    pub min_allowed_weights: u16,
    /// Largest single weight as a u16 proportion of the row's sum.
    pub max_weight_limit: u16,
}

impl WeightLimits {
    pub fn new(hp: &SubnetHyperparameters, n: u16) -> Self {
        WeightLimits {
            n,
            min_allowed_weights: hp.min_allowed_weights,
            max_weight_limit: hp.max_weight_limit,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeightError {
    #[error("no miner has earned any merit yet: keep querying before setting weights")]
    NoMerit,
    #[error(
        "the subnet's max_weight_limit needs weights on at least {need} UIDs, but only {have} can \
         take weight: wait for more registrations or ask the owner to raise the limit"
    )]
    TooFewUids { need: u64, have: u64 },
}

/// The weight row for `merits` (uid, merit) under `limits`, never weighting `exclude` (the
/// validator's own UID) unless `min_allowed_weights` leaves no other choice, and then with 0.
/// Merits of UIDs outside the subnet are ignored; of repeated UIDs, the first counts.
pub fn normalize(
    merits: &[(u16, u64)],
    limits: &WeightLimits,
    exclude: Option<u16>,
) -> Result<WeightRow, WeightError> {
    let n = limits.n;
    let usable = |uid: u16| uid < n && Some(uid) != exclude;
    let mut earned: Vec<(u16, u64)> = merits.iter().copied().filter(|&(u, _)| usable(u)).collect();
    // Stable sort, so dedup keeps each UID's first merit.
    earned.sort_by_key(|&(u, _)| u);
    earned.dedup_by_key(|&mut (u, _)| u);
    earned.retain(|&(_, m)| m > 0);
    if earned.is_empty() {
        return Err(WeightError::NoMerit);
    }
    let cap = u64::from(limits.max_weight_limit);
    let have = (0..n).filter(|&u| usable(u)).count() as u64;
    let need = if cap == 0 { u64::MAX } else { TOTAL.div_ceil(cap) };
    if need > have {
        return Err(WeightError::TooFewUids { need, have });
    }
    let mut row = water_fill(&earned, cap);
    let placed: u64 = row.iter().map(|&(_, w)| u64::from(w)).sum();
    let mut pool = (0..n).filter(|&u| usable(u) && !earned.iter().any(|&(e, _)| e == u));
    let rest = TOTAL - placed;
    if rest > 0 {
        // Only when everyone with merit sits at the cap: the fewest pads the cap allows.
        let pads = rest.div_ceil(cap);
        for i in 0..pads {
            let uid = pool.next().ok_or(WeightError::TooFewUids { need, have })?;
            let w = rest / pads + u64::from(i < rest % pads);
            row.push((uid, w as u16));
        }
    }
    row.retain(|&(_, w)| w > 0);
    let min = usize::from(limits.min_allowed_weights.min(n));
    let mut zeros = (0..n)
        .filter(|&u| Some(u) != exclude)
        .chain(exclude.filter(|&u| u < n))
        .filter(|u| !row.iter().any(|&(r, _)| r == *u))
        .collect::<Vec<_>>()
        .into_iter();
    while row.len() < min {
        let Some(uid) = zeros.next() else { break };
        row.push((uid, 0));
    }
    row.sort_unstable_by_key(|&(u, _)| u);
    Ok(row)
}

/// Merit-proportional weights summing to at most `TOTAL`, none above `cap`; exactly `TOTAL`
/// unless every entry ends up capped.
fn water_fill(earned: &[(u16, u64)], cap: u64) -> Vec<(u16, u16)> {
    let mut capped = vec![false; earned.len()];
    let (mut mass, mut merit);
    loop {
        let n_capped = capped.iter().filter(|&&c| c).count() as u64;
        mass = u128::from(TOTAL - n_capped * cap);
        merit = earned
            .iter()
            .zip(&capped)
            .filter(|(_, c)| !**c)
            .map(|(e, _)| u128::from(e.1))
            .sum::<u128>();
        if merit == 0 {
            break;
        }
        let mut changed = false;
        for ((_, m), c) in earned.iter().zip(capped.iter_mut()) {
            // Share m·mass/merit above the cap? Capping only raises everyone else's share.
            if !*c && u128::from(*m) * mass > u128::from(cap) * merit {
                *c = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut weights: Vec<u64> = Vec::with_capacity(earned.len());
    let mut remainders = Vec::new();
    for (i, ((_, m), c)) in earned.iter().zip(&capped).enumerate() {
        if *c {
            weights.push(cap);
        } else {
            let share = u128::from(*m) * mass;
            weights.push((share / merit) as u64);
            remainders.push((share % merit, *m, i));
        }
    }
    if merit > 0 {
        let floor_sum: u128 = remainders.iter().map(|&(_, _, i)| u128::from(weights[i])).sum();
        let deficit = (mass - floor_sum) as usize;
        // Largest remainder first; among equals the larger merit, then the lower UID.
        remainders.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        for &(_, _, i) in remainders.iter().take(deficit) {
            weights[i] += 1;
        }
    }
    earned.iter().zip(weights).map(|(&(u, _), w)| (u, w as u16)).collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn limits(n: u16, min: u16, cap: u16) -> WeightLimits {
        WeightLimits { n, min_allowed_weights: min, max_weight_limit: cap }
    }

    #[test]
    fn proportional_without_limits() {
        let row = normalize(&[(0, 1), (2, 3), (5, 0)], &limits(8, 1, u16::MAX), None).unwrap();
        assert_eq!(row, vec![(0, 16_384), (2, 49_151)]);
    }

    #[test]
    fn capped_and_padded() {
        // Cap at ~1/3: two earners cannot hold it all, so one more UID takes the remainder.
        let row = normalize(&[(1, 10), (2, 1)], &limits(5, 1, 21_845), Some(0)).unwrap();
        assert_eq!(row, vec![(1, 21_845), (2, 21_845), (3, 21_845)]);
        // Excess of a capped miner flows to the others by merit.
        let row =
            normalize(&[(0, 100), (1, 2), (2, 1), (3, 1)], &limits(4, 0, 32_768), None).unwrap();
        assert_eq!(row, vec![(0, 32_768), (1, 16_383), (2, 8_192), (3, 8_192)]);
        assert!(matches!(
            normalize(&[(0, 1)], &limits(2, 1, 16_384), None),
            Err(WeightError::TooFewUids { need: 4, have: 2 })
        ));
    }

    #[test]
    fn min_allowed_pads_with_zeros_and_nothing_earned_is_an_error() {
        let row = normalize(&[(3, 7)], &limits(4, 3, u16::MAX), Some(0)).unwrap();
        assert_eq!(row, vec![(1, 0), (2, 0), (3, 65_535)]);
        assert_eq!(normalize(&[(3, 0)], &limits(4, 1, u16::MAX), None), Err(WeightError::NoMerit));
        assert_eq!(normalize(&[(9, 5)], &limits(4, 1, u16::MAX), None), Err(WeightError::NoMerit));
    }

    #[test]
    fn the_first_merit_of_a_repeated_uid_counts() {
        assert_eq!(
            normalize(&[(9, 0), (9, 1)], &limits(10, 0, u16::MAX), None),
            Err(WeightError::NoMerit)
        );
        assert_eq!(
            normalize(&[(9, 1), (9, 0)], &limits(10, 0, u16::MAX), None),
            Ok(vec![(9, 65_535)])
        );
    }

    proptest! {
        // Failures are pinned as unit tests above rather than in a regressions file.
        #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn rows_obey_the_ledger_rules(
            merits in prop::collection::vec((0u16..80, prop_oneof![Just(0u64), 0u64..1_000, any::<u64>()]), 0..40),
            n in 0u16..80,
            min in 0u16..100,
            cap in prop_oneof![Just(u16::MAX), 0u16..=u16::MAX],
            exclude in prop::option::of(0u16..80),
        ) {
            let l = limits(n, min, cap);
            // Of a repeated UID, the first merit counts.
            let mut firsts: Vec<(u16, u64)> = Vec::new();
            for &(u, m) in &merits {
                if !firsts.iter().any(|f| f.0 == u) {
                    firsts.push((u, m));
                }
            }
            let valid: Vec<_> =
                firsts.into_iter().filter(|&(u, _)| u < n && Some(u) != exclude).collect();
            match normalize(&merits, &l, exclude) {
                Ok(row) => {
                    let sum: u64 = row.iter().map(|&(_, w)| u64::from(w)).sum();
                    let max = row.iter().map(|&(_, w)| u64::from(w)).max().unwrap_or(0);
                    prop_assert_eq!(sum, TOTAL);
                    prop_assert!(max * TOTAL <= u64::from(cap) * sum);
                    prop_assert!(row.len() >= usize::from(min.min(n)));
                    prop_assert!(row.windows(2).all(|w| w[0].0 < w[1].0));
                    prop_assert!(row.iter().all(|&(u, _)| u < n));
                    prop_assert!(row.iter().all(|&(u, w)| Some(u) != exclude || w == 0));
                    // More merit never means less weight.
                    let weight = |u: u16| row.iter().find(|r| r.0 == u).map_or(0, |r| r.1);
                    for a in &valid {
                        for b in &valid {
                            if a.1 > b.1 { prop_assert!(weight(a.0) >= weight(b.0), "{a:?} {b:?} {row:?}"); }
                        }
                    }
                }
                Err(WeightError::NoMerit) => {
                    prop_assert!(!valid.iter().any(|&(_, m)| m > 0));
                }
                Err(WeightError::TooFewUids { need, have }) => prop_assert!(need > have),
            }
        }
    }
}
