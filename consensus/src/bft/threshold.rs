//! Stake-weighted quorums as integer inequalities: never floats, never a rounded "2/3 of total".
//!
//! `quorum`: more than two thirds of the voting power, `3·power > 2·total`.
//! `one_third_plus`: more than one third, `3·power > total` (the f+1 of the paper: at least one
//! honest validator is among them while Byzantine power stays below a third).
//!
//! Products are taken in u128, where `3·u64::MAX` cannot overflow; the checked multiplication
//! documents that and keeps the functions total even if someone widens the inputs later.

/// More than two thirds of `total`: `3·power > 2·total`.
pub fn is_quorum(power: u64, total: u64) -> bool {
    greater_than_fraction(power, total, 2, 3)
}

/// More than one third of `total`: `3·power > total`.
pub fn is_one_third_plus(power: u64, total: u64) -> bool {
    greater_than_fraction(power, total, 1, 3)
}

/// `power / total > num / den`, exactly, as `den·power > num·total`.
fn greater_than_fraction(power: u64, total: u64, num: u128, den: u128) -> bool {
    let lhs = den.checked_mul(u128::from(power));
    let rhs = num.checked_mul(u128::from(total));
    match (lhs, rhs) {
        (Some(l), Some(r)) => l > r,
        // Unreachable for u64 inputs and small constants; refusing a quorum is the safe answer.
        _ => false,
    }
}

/// Adds voting power; `None` on overflow (impossible for a validated set, whose total fits).
pub fn add_power(a: u64, b: u64) -> Option<u64> {
    a.checked_add(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The smallest quorum written the other way round: `floor(2·total/3) + 1`.
    fn min_quorum(total: u64) -> u128 {
        u128::from(total) * 2 / 3 + 1
    }

    #[test]
    fn small_sets_match_the_textbook_counts() {
        // n = 3f + 1 equal validators: 2f + 1 is a quorum, 2f is not; f + 1 is a third-plus.
        for f in 0..50u64 {
            let n = 3 * f + 1;
            assert!(is_quorum(2 * f + 1, n));
            assert!(!is_quorum(2 * f, n));
            assert!(is_one_third_plus(f + 1, n));
            assert!(!is_one_third_plus(f, n));
        }
        // Exactly two thirds is not enough.
        assert!(!is_quorum(2, 3));
        assert!(!is_quorum(200, 300));
        assert!(is_quorum(201, 300));
        // Exactly one third is not enough either.
        assert!(!is_one_third_plus(100, 300));
        assert!(is_one_third_plus(101, 300));
    }

    #[test]
    fn extremes_do_not_overflow() {
        assert!(is_quorum(u64::MAX, u64::MAX));
        assert!(!is_quorum(u64::MAX / 3 * 2, u64::MAX));
        assert!(is_one_third_plus(u64::MAX, u64::MAX));
        assert!(!is_quorum(0, 0));
        assert!(!is_one_third_plus(0, 0));
    }

    proptest! {
        #[test]
        fn quorum_matches_min_quorum(total in 0u64..u64::MAX, power in 0u64..u64::MAX) {
            prop_assert_eq!(is_quorum(power, total), u128::from(power) >= min_quorum(total));
        }

        #[test]
        fn quorum_implies_one_third_plus(total in 1u64.., power in 0u64..) {
            if is_quorum(power, total) {
                prop_assert!(is_one_third_plus(power, total));
            }
        }

        #[test]
        fn monotone_in_power(total in 0u64..u64::MAX / 2, power in 0u64..u64::MAX / 2, extra in 0u64..1000) {
            if is_quorum(power, total) {
                prop_assert!(is_quorum(power + extra, total));
            }
            if is_one_third_plus(power, total) {
                prop_assert!(is_one_third_plus(power + extra, total));
            }
        }

        /// The safety argument of Tendermint: two quorums of one set overlap in more than a third,
        /// so they share an honest validator while Byzantine power is below a third.
        #[test]
        fn two_quorums_intersect_in_more_than_a_third(
            total in 1u64..(u64::MAX / 4),
            a in 0u64..(u64::MAX / 4),
            b in 0u64..(u64::MAX / 4),
        ) {
            prop_assume!(a <= total && b <= total);
            if is_quorum(a, total) && is_quorum(b, total) {
                let overlap = a + b - total;
                prop_assert!(is_one_third_plus(overlap, total));
            }
        }

        /// A third-plus and a quorum together exceed the total: a third-plus cannot be outvoted.
        #[test]
        fn third_plus_and_quorum_exceed_total(total in 1u64..(u64::MAX / 4), a in 0u64..(u64::MAX / 4), b in 0u64..(u64::MAX / 4)) {
            prop_assume!(a <= total && b <= total);
            if is_quorum(a, total) && is_one_third_plus(b, total) {
                prop_assert!(a + b > total);
            }
        }
    }
}
