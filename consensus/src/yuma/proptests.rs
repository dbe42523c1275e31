//! Property tests: the epoch is deterministic, never panics, conserves emission and keeps its
//! shares normalised on arbitrary subnets.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

fn stake() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0), 0..1_000u64, 0..21_000_000_000_000_000u64]
}

fn block() -> impl Strategy<Value = u64> {
    prop_oneof![0..64u64, any::<u64>()]
}

/// A sparse row over `0..n + 4`, so some uids are out of range. Unique uids when `unique`.
fn row(n: u16, unique: bool) -> BoxedStrategy<Vec<(u16, u16)>> {
    let uid = 0..n.saturating_add(4);
    if unique {
        prop::collection::btree_map(uid, any::<u16>(), 0..10)
            .prop_map(|m: BTreeMap<u16, u16>| m.into_iter().rev().collect())
            .boxed()
    } else {
        prop::collection::vec((uid, any::<u16>()), 0..10).boxed()
    }
}

fn neuron(n: u16, unique: bool) -> impl Strategy<Value = NeuronEpochState> {
    (
        stake(),
        (block(), block(), any::<bool>(), prop::option::of(block())),
        row(n, unique),
        row(n, unique),
    )
        .prop_map(|(stake, (last_update, reg, permit, commit), weights, bonds)| {
            NeuronEpochState {
                stake,
                last_update,
                block_at_registration: reg,
                validator_permit: permit,
                earliest_commit_block: commit,
                weights,
                bonds,
            }
        })
}

fn input(unique: bool) -> impl Strategy<Value = EpochInput> {
    (0u16..64).prop_flat_map(move |n| {
        (
            prop::collection::vec(neuron(n, unique), usize::from(n)),
            (block(), 0..400u64, 0..600u64),
            (any::<u16>(), any::<u16>(), 0..=MAX_BONDS_MOVING_AVERAGE, 0..80u16),
            (0..1_000u64, prop::option::of(0..70u16), any::<bool>()),
            prop::option::of((any::<u16>(), any::<u16>(), any::<i16>())),
            (prop::option::of(block()), any::<u64>()),
        )
            .prop_map(
                |(
                    neurons,
                    (blk, tempo, cutoff),
                    (kappa, beta, bma, k),
                    (thr, owner, y3),
                    la,
                    (lms, e),
                )| {
                    EpochInput {
                        block: blk,
                        tempo,
                        activity_cutoff: cutoff,
                        kappa_u16: kappa,
                        bonds_penalty_u16: beta,
                        bonds_moving_average: bma,
                        max_allowed_validators: k,
                        stake_threshold: thr,
                        owner_uid: owner,
                        yuma3: y3,
                        liquid_alpha: la.map(|(lo, hi, steepness)| LiquidAlphaParams {
                            alpha_low_u16: lo,
                            alpha_high_u16: hi,
                            steepness,
                        }),
                        last_mechanism_step_block: lms,
                        neurons,
                        emission_rao: e,
                    }
                },
            )
    })
}

/// A u16-normalised vector sums to 0, or to 65535 less at most one unit per entry
/// (each entry is floored once) and a little truncation.
fn normalised_or_zero(values: impl Iterator<Item = u16>, n: usize) -> bool {
    let total: u64 = values.map(u64::from).sum();
    total == 0 || (total <= 65_535 && total + n as u64 + 1 >= 65_535)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics(inp in input(false)) {
        let _ = run_epoch(&inp);
    }

    #[test]
    fn deterministic_and_row_order_free(inp in input(true)) {
        let a = run_epoch(&inp);
        prop_assert_eq!(&a, &run_epoch(&inp));
        // Stored rows may come in any order; the result must not depend on it.
        let mut shuffled = inp.clone();
        for nr in &mut shuffled.neurons {
            nr.weights.reverse();
            nr.bonds.reverse();
        }
        prop_assert_eq!(&a, &run_epoch(&shuffled));
    }

    #[test]
    fn conserves_and_normalises(inp in input(true)) {
        let out = run_epoch(&inp).expect("unique rows within the supply cap are valid");
        let n = inp.neurons.len();
        prop_assert_eq!(out.neurons.len(), n);
        prop_assert!(normalised_or_zero(out.neurons.iter().map(|o| o.incentive), n));
        prop_assert!(normalised_or_zero(out.neurons.iter().map(|o| o.dividends), n));

        let paid: u128 = out
            .neurons
            .iter()
            .map(|o| u128::from(o.server_emission) + u128::from(o.validator_emission))
            .sum();
        prop_assert!(paid <= u128::from(inp.emission_rao));
        let stored: u128 = out.neurons.iter().map(|o| u128::from(o.emission)).sum();
        prop_assert!(stored <= u128::from(inp.emission_rao));

        let permits = out.neurons.iter().filter(|o| o.validator_permit).count();
        prop_assert!(permits <= usize::from(inp.max_allowed_validators) + 1);
        for o in &out.neurons {
            if let BondsUpdate::Replace(row) = &o.bonds {
                prop_assert!(o.validator_permit);
                prop_assert!(row.windows(2).all(|w| w[0].0 < w[1].0));
                prop_assert!(row.iter().all(|(j, v)| usize::from(*j) < n && *v > 0));
            }
        }
    }
}
