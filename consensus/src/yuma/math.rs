//! Fixed-point vector and sparse-matrix helpers for the epoch (economics.md §1, §5).
//!
//! Every helper follows subtensor's `I32F32` semantics: products are floored, quotients are
//! truncated, a division by zero (or one that overflows) yields 0. Sums saturate instead of
//! wrapping. Sparse rows are kept sorted by uid and hold no duplicate uid, so a column can be
//! merged in one pass. Because fixed-point addition is exact, the order of a sum never
//! changes its bits (and a saturating sum of non-negative terms is order independent too).

use fixed::types::{I32F32, I64F64};

/// One sparse matrix row: `(column uid, value)`, ascending by uid.
pub(crate) type Row = Vec<(u16, I32F32)>;

pub(crate) const ZERO: I32F32 = I32F32::ZERO;
pub(crate) const ONE: I32F32 = I32F32::ONE;
pub(crate) const U16_MAX: I32F32 = I32F32::const_from_int(u16::MAX as i64);

/// `a / b`, or 0 when `b` is 0 or the quotient overflows (subtensor's `safe_div`).
pub(crate) fn div_or_zero(a: I32F32, b: I32F32) -> I32F32 {
    a.checked_div(b).unwrap_or(ZERO)
}

/// Saturating sum.
pub(crate) fn sum(xs: &[I32F32]) -> I32F32 {
    xs.iter().fold(ZERO, |acc, x| acc.saturating_add(*x))
}

/// Divides by the sum so the vector sums to ~1; leaves it untouched when the sum is 0.
pub(crate) fn normalize(xs: &mut [I32F32]) {
    let total = sum(xs);
    normalize_by(xs, total);
}

/// Divides every entry by `total`, unless `total` is 0.
pub(crate) fn normalize_by(xs: &mut [I32F32], total: I32F32) {
    if total == ZERO {
        return;
    }
    for x in xs.iter_mut() {
        *x = div_or_zero(*x, total);
    }
}

/// Stake proportions: normalised in `I64F64`, then truncated to `I32F32` (§1, §5 step 2).
pub(crate) fn stake_proportions(stake: &[u64]) -> Vec<I32F32> {
    let raw: Vec<I64F64> = stake.iter().map(|s| I64F64::saturating_from_num(*s)).collect();
    let total = raw.iter().fold(I64F64::ZERO, |acc, s| acc.saturating_add(*s));
    raw.iter()
        .map(|s| {
            let share = if total == I64F64::ZERO {
                *s
            } else {
                s.checked_div(total).unwrap_or(I64F64::ZERO)
            };
            I32F32::saturating_from_num(share)
        })
        .collect()
}

/// `x / 65535` (a stored u16 proportion as a fraction).
pub(crate) fn u16_proportion(x: u16) -> I32F32 {
    div_or_zero(I32F32::saturating_from_num(x), U16_MAX)
}

/// `⌊x·65535⌋`, saturating into `0..=65535` (§1 `fixed_proportion_to_u16`).
pub(crate) fn proportion_to_u16(x: I32F32) -> u16 {
    x.saturating_mul(U16_MAX).saturating_to_num::<u16>()
}

/// Row max-upscaling applied to weights when they are set (§1): `round(w·65535 / max w)`.
/// Ties round away from zero; computed in `I32F32` like subtensor so stored rows match.
pub fn max_upscale_u16(values: &[u16]) -> Vec<u16> {
    let Some(&max) = values.iter().max() else {
        return Vec::new();
    };
    if max == 0 {
        return vec![0; values.len()];
    }
    let max = I32F32::saturating_from_num(max);
    let half_range = I32F32::const_from_int(32_768);
    values
        .iter()
        .map(|&v| {
            let v = I32F32::saturating_from_num(v);
            // Above 2^15 the product v·65535 could leave I32F32, so scale the factor instead.
            let scaled = if max > half_range {
                v.saturating_mul(div_or_zero(U16_MAX, max))
            } else {
                div_or_zero(v.saturating_mul(U16_MAX), max)
            };
            scaled.saturating_round().saturating_to_num::<u16>()
        })
        .collect()
}

/// True for the `k` largest non-zero entries (§5 step 3). A stable ascending sort decides
/// ties, so of two equal values the lower index is dropped first.
pub(crate) fn top_k_nonzero(values: &[I32F32], k: usize) -> Vec<bool> {
    let mut chosen: Vec<bool> = values.iter().map(|v| *v != ZERO).collect();
    let Some(drop) = values.len().checked_sub(k).filter(|d| *d > 0) else {
        return chosen;
    };
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by_key(|&i| values.get(i).copied().unwrap_or(ZERO));
    for &i in order.iter().take(drop) {
        if let Some(c) = chosen.get_mut(i) {
            *c = false;
        }
    }
    chosen
}

/// Stake-weighted median of each column with majority `kappa` (§5 step 6).
///
/// Rows with positive stake vote (a missing entry votes 0); their stakes are renormalised to
/// `total`, and `minority = total − kappa`. The result for a column is the smallest voted
/// value `c` with `stake(votes ≤ c) > minority`, or the largest voted value if none is.
/// This is exactly what subtensor's mid-pivot partition search returns (it only compares
/// exact fixed-point sums), computed here by sorting each column.
pub(crate) fn weighted_median_cols(
    stake: &[I32F32],
    rows: &[Row],
    n: usize,
    kappa: I32F32,
) -> Vec<I32F32> {
    let voters: Vec<(usize, I32F32)> =
        stake.iter().enumerate().filter(|(_, s)| **s > ZERO).map(|(i, s)| (i, *s)).collect();
    let mut voter_stake: Vec<I32F32> = voters.iter().map(|(_, s)| *s).collect();
    normalize(&mut voter_stake);
    let total = sum(&voter_stake);
    let minority = total.saturating_sub(kappa);

    // Transpose the positive votes: column -> (value, voter stake).
    let mut columns: Vec<Vec<(I32F32, I32F32)>> = vec![Vec::new(); n];
    for ((i, _), s) in voters.iter().zip(&voter_stake) {
        for &(j, w) in rows.get(*i).map(Vec::as_slice).unwrap_or_default() {
            if w > ZERO
                && let Some(col) = columns.get_mut(usize::from(j))
            {
                col.push((w, *s));
            }
        }
    }
    columns.into_iter().map(|votes| column_median(votes, voters.len(), total, minority)).collect()
}

fn column_median(
    mut votes: Vec<(I32F32, I32F32)>,
    voters: usize,
    total: I32F32,
    minority: I32F32,
) -> I32F32 {
    if voters == 0 {
        return ZERO;
    }
    votes.sort_by_key(|(w, _)| *w);
    // Voters without a positive entry vote 0; their stake is what the positive votes leave.
    let mut at_or_below = ZERO;
    if voters > votes.len() {
        let positive = votes.iter().fold(ZERO, |acc, (_, s)| acc.saturating_add(*s));
        at_or_below = total.saturating_sub(positive);
        if at_or_below > minority {
            return ZERO;
        }
    }
    let mut largest = ZERO;
    let mut idx = 0;
    while let Some(&(value, _)) = votes.get(idx) {
        while let Some(&(_, s)) = votes.get(idx).filter(|(w, _)| *w == value) {
            at_or_below = at_or_below.saturating_add(s);
            idx += 1;
        }
        if at_or_below > minority {
            return value;
        }
        largest = value;
    }
    largest
}

/// Divides each row by its sum when that sum is positive.
pub(crate) fn row_normalize(rows: &mut [Row]) {
    for row in rows.iter_mut() {
        let total = row.iter().fold(ZERO, |acc, (_, v)| acc.saturating_add(*v));
        if total > ZERO {
            for (_, v) in row.iter_mut() {
                *v = div_or_zero(*v, total);
            }
        }
    }
}

/// Divides each entry by its column sum (columns summing to 0 stay as they are).
pub(crate) fn col_normalize(rows: &mut [Row], n: usize) {
    let mut totals = vec![ZERO; n];
    for row in rows.iter() {
        for &(j, v) in row {
            if let Some(t) = totals.get_mut(usize::from(j)) {
                *t = t.saturating_add(v);
            }
        }
    }
    for row in rows.iter_mut() {
        for (j, v) in row.iter_mut() {
            let t = totals.get(usize::from(*j)).copied().unwrap_or(ZERO);
            if t != ZERO {
                *v = div_or_zero(*v, t);
            }
        }
    }
}

/// Divides each entry by its column maximum, so every column peaks at 1 (classic bond storage).
pub(crate) fn col_max_upscale(rows: &mut [Row], n: usize) {
    let mut maxima = vec![ZERO; n];
    for row in rows.iter() {
        for &(j, v) in row {
            if let Some(m) = maxima.get_mut(usize::from(j))
                && *m < v
            {
                *m = v;
            }
        }
    }
    for row in rows.iter_mut() {
        for (j, v) in row.iter_mut() {
            let m = maxima.get(usize::from(*j)).copied().unwrap_or(ZERO);
            if m != ZERO {
                *v = div_or_zero(*v, m);
            }
        }
    }
}

/// `min(w_ij, c_j)`; an entry above a non-positive threshold is dropped (§5 step 7).
pub(crate) fn col_clip(rows: &[Row], thresholds: &[I32F32]) -> Vec<Row> {
    rows.iter()
        .map(|row| {
            row.iter()
                .filter_map(|&(j, v)| {
                    let c = thresholds.get(usize::from(j)).copied().unwrap_or(ZERO);
                    if c < v { (c > ZERO).then_some((j, c)) } else { Some((j, v)) }
                })
                .collect()
        })
        .collect()
}

/// `Σ_j m_ij` per row.
pub(crate) fn row_sums(rows: &[Row]) -> Vec<I32F32> {
    rows.iter().map(|row| row.iter().fold(ZERO, |acc, (_, v)| acc.saturating_add(*v))).collect()
}

/// `r_j = Σ_i s_i·m_ij` (ranks from clipped weights and stake, §5 step 8).
pub(crate) fn col_weighted_sums(rows: &[Row], scale: &[I32F32], n: usize) -> Vec<I32F32> {
    let mut out = vec![ZERO; n];
    for (row, s) in rows.iter().zip(scale) {
        for &(j, v) in row {
            if let Some(o) = out.get_mut(usize::from(j)) {
                *o = o.saturating_add(s.saturating_mul(v));
            }
        }
    }
    out
}

/// `d_i = Σ_j v_j·m_ij` per row (dividends from bonds and incentive).
pub(crate) fn row_dot(rows: &[Row], v: &[I32F32]) -> Vec<I32F32> {
    rows.iter()
        .map(|row| {
            row.iter().fold(ZERO, |acc, &(j, b)| {
                let x = v.get(usize::from(j)).copied().unwrap_or(ZERO);
                acc.saturating_add(x.saturating_mul(b))
            })
        })
        .collect()
}

/// Walks the union of two sorted rows, treating a missing entry as 0, and keeps what
/// `f(uid, a, b)` returns.
pub(crate) fn merge_rows(
    a: &[(u16, I32F32)],
    b: &[(u16, I32F32)],
    mut f: impl FnMut(u16, I32F32, I32F32) -> Option<I32F32>,
) -> Row {
    let mut out = Row::with_capacity(a.len().max(b.len()));
    let (mut ia, mut ib) = (a.iter().peekable(), b.iter().peekable());
    loop {
        let (j, va, vb) = match (ia.peek(), ib.peek()) {
            (None, None) => break,
            (Some(&&(ja, va)), Some(&&(jb, vb))) if ja == jb => {
                ia.next();
                ib.next();
                (ja, va, vb)
            }
            (Some(&&(ja, va)), Some(&&(jb, _))) if ja < jb => {
                ia.next();
                (ja, va, ZERO)
            }
            (Some(&&(ja, va)), None) => {
                ia.next();
                (ja, va, ZERO)
            }
            (_, Some(&&(jb, vb))) => {
                ib.next();
                (jb, ZERO, vb)
            }
        };
        if let Some(v) = f(j, va, vb) {
            out.push((j, v));
        }
    }
    out
}

/// `A + ratio·(B − A)`, keeping positive entries; `A` or `B` unchanged at ratio 0 or 1 (§5 step 9).
pub(crate) fn interpolate(a: &[Row], b: &[Row], ratio: I32F32) -> Vec<Row> {
    if ratio == ZERO {
        return a.to_vec();
    }
    if ratio == ONE {
        return b.to_vec();
    }
    a.iter()
        .zip(b)
        .map(|(ra, rb)| {
            merge_rows(ra, rb, |_, va, vb| {
                let v = va.saturating_add(ratio.saturating_mul(vb.saturating_sub(va)));
                (v > ZERO).then_some(v)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `num/den` in I32F32 (tests build fractions without floats).
    pub(crate) fn fx(num: i64, den: i64) -> I32F32 {
        div_or_zero(I32F32::const_from_int(num), I32F32::const_from_int(den))
    }

    fn dense_to_rows(values: &[I32F32], cols: usize) -> Vec<Row> {
        values
            .chunks(cols)
            .map(|r| {
                r.iter()
                    .enumerate()
                    .filter(|(_, v)| **v != ZERO)
                    .map(|(j, v)| (j as u16, *v))
                    .collect()
            })
            .collect()
    }

    // economics.md §12.5 (subtensor tests/math.rs, test_math_weighted_median_col[_sparse]).
    #[test]
    fn weighted_median_matches_subtensor_vectors() {
        let t = |x: i64| fx(x, 10);
        assert!(weighted_median_cols(&[], &[], 0, fx(1, 2)).is_empty());
        assert_eq!(
            weighted_median_cols(&[ZERO, ZERO], &[vec![], vec![]], 2, fx(1, 2)),
            vec![ZERO, ZERO]
        );

        let stake = [ZERO, fx(3, 4), fx(1, 4), ZERO];
        #[rustfmt::skip]
        let w = dense_to_rows(&[
            ZERO, t(1), ZERO,
            ZERO, t(2), t(4),
            ZERO, t(3), t(1),
            ZERO, t(4), t(5),
        ], 3);
        assert_eq!(weighted_median_cols(&stake, &w, 3, fx(24, 100)), vec![ZERO, t(3), t(4)]);
        assert_eq!(weighted_median_cols(&stake, &w, 3, fx(26, 100)), vec![ZERO, t(2), t(4)]);
        assert_eq!(weighted_median_cols(&stake, &w, 3, fx(76, 100)), vec![ZERO, t(2), t(1)]);

        let stake = [ZERO, t(3), t(2), t(5)];
        #[rustfmt::skip]
        let w = dense_to_rows(&[
            ZERO, t(1), ZERO,
            ZERO, t(2), t(4),
            ZERO, t(3), t(1),
            ZERO, ZERO, t(5),
        ], 3);
        assert_eq!(weighted_median_cols(&stake, &w, 3, fx(51, 100)), vec![ZERO, ZERO, t(4)]);
    }

    /// Test oracle: subtensor's published mid-pivot partition search over one column.
    fn pivot_median(stake: &[I32F32], score: &[I32F32], minority: I32F32, total: I32F32) -> I32F32 {
        let mut part: Vec<usize> = (0..stake.len()).collect();
        let (mut lo, mut hi) = (ZERO, total);
        let mass = |idx: &[usize]| idx.iter().fold(ZERO, |a, &i| a.saturating_add(stake[i]));
        loop {
            match part.as_slice() {
                [] => return ZERO,
                [only] => return score[*only],
                _ => {}
            }
            let pivot = score[part[part.len() / 2]];
            let below: Vec<usize> = part.iter().copied().filter(|&i| score[i] < pivot).collect();
            let above: Vec<usize> = part.iter().copied().filter(|&i| score[i] > pivot).collect();
            let (s_below, s_above) = (mass(&below), mass(&above));
            if minority < lo.saturating_add(s_below) && !below.is_empty() {
                hi = lo.saturating_add(s_below);
                part = below;
            } else if hi.saturating_sub(s_above) <= minority && !above.is_empty() {
                lo = hi.saturating_sub(s_above);
                part = above;
            } else {
                return pivot;
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn median_equals_pivot_search(
            votes in proptest::collection::vec((0u32..1000, 0i64..5, proptest::bool::ANY), 0..12),
            kappa in proptest::prelude::any::<u16>(),
        ) {
            let stake: Vec<I32F32> = votes.iter().map(|(s, _, _)| fx(i64::from(*s), 1000)).collect();
            let rows: Vec<Row> = votes
                .iter()
                .map(|(_, w, explicit_zero)| match (*w, explicit_zero) {
                    (0, false) => vec![],
                    (w, _) => vec![(0, fx(w, 4))],
                })
                .collect();
            let kappa = u16_proportion(kappa);
            let got = weighted_median_cols(&stake, &rows, 1, kappa);

            let mut voter_stake: Vec<I32F32> = stake.iter().copied().filter(|s| *s > ZERO).collect();
            normalize(&mut voter_stake);
            let score: Vec<I32F32> = votes
                .iter()
                .filter(|(s, _, _)| *s > 0)
                .map(|(_, w, _)| fx(*w, 4))
                .collect();
            let total = sum(&voter_stake);
            let want = pivot_median(&voter_stake, &score, total.saturating_sub(kappa), total);
            proptest::prop_assert_eq!(got, vec![want]);
        }
    }

    #[test]
    fn weighted_median_edges() {
        // All stake on one voter: its value, whatever kappa.
        let w = vec![vec![(0, fx(1, 3))]];
        for kappa in [ZERO, fx(1, 2), ONE] {
            assert_eq!(weighted_median_cols(&[ONE], &w, 1, kappa), vec![fx(1, 3)]);
        }
        // kappa 1: everyone must support, so the minimum (0 from the silent voter).
        let w = vec![vec![(0, fx(1, 3))], vec![]];
        assert_eq!(weighted_median_cols(&[fx(1, 2), fx(1, 2)], &w, 1, ONE), vec![ZERO]);
        // kappa 0: the maximum.
        assert_eq!(weighted_median_cols(&[fx(1, 2), fx(1, 2)], &w, 1, ZERO), vec![fx(1, 3)]);
    }

    #[test]
    fn top_k_drops_lower_uid_on_ties() {
        let v = [fx(1, 4), fx(1, 4), fx(1, 4), ZERO];
        assert_eq!(top_k_nonzero(&v, 2), vec![false, true, true, false]);
        assert_eq!(top_k_nonzero(&v, 4), vec![true, true, true, false]);
        assert_eq!(top_k_nonzero(&v, 9), vec![true, true, true, false]);
        assert_eq!(top_k_nonzero(&v, 0), vec![false; 4]);
        assert!(top_k_nonzero(&[], 3).is_empty());
    }

    #[test]
    fn max_upscale_matches_subtensor() {
        assert_eq!(max_upscale_u16(&[]), Vec::<u16>::new());
        assert_eq!(max_upscale_u16(&[0, 0]), vec![0, 0]);
        assert_eq!(max_upscale_u16(&[32767, 32767]), vec![65535, 65535]);
        assert_eq!(max_upscale_u16(&[1, 2]), vec![32768, 65535]);
        assert_eq!(
            max_upscale_u16(&[16383, 32767, 49149, 65535]),
            vec![16383, 32767, 49149, 65535]
        );
        assert_eq!(max_upscale_u16(&[65535, 0]), vec![65535, 0]);
    }

    #[test]
    fn stake_proportions_truncate_through_i64f64() {
        let p = stake_proportions(&[1; 10]);
        assert_eq!(p[0], I32F32::from_bits(429_496_729));
        assert_eq!(stake_proportions(&[0, 0]), vec![ZERO, ZERO]);
        assert_eq!(stake_proportions(&[u64::MAX, u64::MAX]).len(), 2);
    }

    #[test]
    fn merge_walks_union_in_order() {
        let a = vec![(1, ONE), (4, ONE)];
        let b = vec![(0, ONE), (4, ONE), (9, ONE)];
        let m = merge_rows(&a, &b, |_, x, y| Some(x.saturating_add(y)));
        let two = ONE.saturating_add(ONE);
        assert_eq!(m, vec![(0, ONE), (1, ONE), (4, two), (9, ONE)]);
    }
}
