//! Bond EMAs and dividends: classic Yuma (economics.md §5 step 11) and Yuma3 with optional
//! liquid alpha (§5 step 12).

use fixed::types::{I32F32, I64F64};

use super::exp::exp_fixed;
use super::math::{
    ONE, Row, ZERO, col_max_upscale, col_normalize, div_or_zero, merge_rows, normalize, row_dot,
    u16_proportion,
};
use super::types::LiquidAlphaParams;

/// What both bond rules read. Rows are sorted by uid and hold only uids `< n`.
pub(crate) struct BondInputs<'a> {
    /// Stored bonds after the new-registration mask, in the rule's units
    /// (classic: raw u16 integers; Yuma3: fractions of 1).
    pub old: Vec<Row>,
    /// `Wb = W + β(W̃ − W)`.
    pub weights_for_bonds: &'a [Row],
    /// `Ŝ`, normalised active stake.
    pub active_stake: &'a [I32F32],
    /// `I`, normalised incentive.
    pub incentive: &'a [I32F32],
    /// `C`, consensus.
    pub consensus: &'a [I32F32],
    /// Number of uids.
    pub n: usize,
    /// Fixed EMA coefficient `α = 1 − bma`.
    pub alpha: I32F32,
}

/// New bonds (as fractions, ready for `⌊·65535⌋` storage) and normalised dividends.
pub(crate) struct BondOutcome {
    pub bonds: Vec<Row>,
    pub dividends: Vec<I32F32>,
}

/// `α = 1 − bma/1e6`, the quotient taken in `I64F64` and truncated to `I32F32` (§5 widths).
pub(crate) fn ema_coefficient(bonds_moving_average: u64) -> I32F32 {
    let keep = I64F64::saturating_from_num(bonds_moving_average)
        .checked_div(I64F64::const_from_int(1_000_000))
        .unwrap_or(I64F64::ZERO);
    ONE.saturating_sub(I32F32::saturating_from_num(keep))
}

/// `α·new + (1 − α)·old` entry by entry, keeping positive results.
fn ema_rows(new: &[Row], old: &[Row], alpha: I32F32) -> Vec<Row> {
    let keep = ONE.saturating_sub(alpha);
    new.iter()
        .zip(old)
        .map(|(rn, ro)| {
            merge_rows(rn, ro, |_, vn, vo| {
                let v = alpha.saturating_mul(vn).saturating_add(keep.saturating_mul(vo));
                (v > ZERO).then_some(v)
            })
        })
        .collect()
}

/// Classic Yuma: bonds are relative (column-normalised) shares that move `α` of the way toward
/// each validator's share of this epoch's stake-weighted support.
pub(crate) fn classic(inputs: BondInputs<'_>) -> BondOutcome {
    let BondInputs { mut old, weights_for_bonds, active_stake, incentive, n, alpha, .. } = inputs;
    col_normalize(&mut old, n);

    let mut delta: Vec<Row> = weights_for_bonds
        .iter()
        .zip(active_stake)
        .map(|(row, s)| row.iter().map(|&(j, w)| (j, w.saturating_mul(*s))).collect())
        .collect();
    col_normalize(&mut delta, n);

    let mut bonds = ema_rows(&delta, &old, alpha);
    col_normalize(&mut bonds, n);

    let mut dividends = row_dot(&bonds, incentive);
    normalize(&mut dividends);

    // Stored column max-upscaled so the largest holder of each column reads 65535.
    col_max_upscale(&mut bonds, n);
    BondOutcome { bonds, dividends }
}

/// Liquid-alpha coefficients in `I32F32`.
#[derive(Clone, Copy)]
pub(crate) struct LiquidAlpha {
    low: I32F32,
    high: I32F32,
    /// `−steepness/100`, the sigmoid's exponent factor.
    slope: I32F32,
}

impl LiquidAlpha {
    pub(crate) fn new(p: LiquidAlphaParams) -> Self {
        let steepness = I32F32::saturating_from_num(p.steepness);
        Self {
            low: u16_proportion(p.alpha_low_u16),
            high: u16_proportion(p.alpha_high_u16),
            slope: div_or_zero(steepness, I32F32::const_from_int(-100)),
        }
    }

    /// `α_ij`: the farther a validator's bond weight sits from consensus (when buying) or
    /// from its current bond (when selling), the faster its bond moves (§5 step 12).
    pub(crate) fn coefficient(self, consensus: I32F32, weight: I32F32, bond: I32F32) -> I32F32 {
        let half = I32F32::from_bits(1 << 31);
        let distance = if weight >= bond {
            weight.saturating_sub(consensus).clamp(ZERO, ONE)
        } else {
            bond.saturating_sub(weight).clamp(ZERO, ONE)
        };
        let e = exp_fixed(self.slope.saturating_mul(distance.saturating_sub(half)));
        let sigmoid = div_or_zero(ONE, ONE.saturating_add(e));
        let alpha =
            self.low.saturating_add(sigmoid.saturating_mul(self.high.saturating_sub(self.low)));
        // Upper bound first, then lower, so an inverted range (low > high) yields low.
        alpha.min(self.high).max(self.low)
    }
}

/// Yuma3: each bond is an absolute EMA of the validator's own bond weight; stake only
/// enters the dividend.
pub(crate) fn yuma3(inputs: BondInputs<'_>, liquid: Option<LiquidAlpha>) -> BondOutcome {
    let BondInputs { old, weights_for_bonds, active_stake, incentive, consensus, n, alpha } =
        inputs;
    let liquid = liquid.filter(|_| consensus.iter().any(|c| *c != ZERO));
    let bonds: Vec<Row> = match liquid {
        // Dense semantics (§5 step 12 caveat): a missing weight is an explicit 0, so bonds
        // the validator no longer backs decay instead of vanishing.
        Some(la) => weights_for_bonds
            .iter()
            .zip(&old)
            .map(|(rw, rb)| {
                merge_rows(rw, rb, |j, w, b| {
                    let c = consensus.get(usize::from(j)).copied().unwrap_or(ZERO);
                    let a = la.coefficient(c, w, b);
                    let decayed = ONE.saturating_sub(a).saturating_mul(b);
                    let gained = a.saturating_mul(w).max(ZERO);
                    let v = decayed.saturating_add(gained).min(ONE);
                    (v > ZERO).then_some(v)
                })
            })
            .collect(),
        None => ema_rows(weights_for_bonds, &old, alpha),
    };

    let mut shares = bonds.clone();
    col_normalize(&mut shares, n);
    let mut dividends: Vec<I32F32> = row_dot(&shares, incentive)
        .into_iter()
        .zip(active_stake)
        .map(|(t, s)| t.checked_mul(*s).unwrap_or(ZERO))
        .collect();
    normalize(&mut dividends);
    BondOutcome { bonds, dividends }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ema_coefficient_goes_through_i64f64() {
        // 0.9 in I64F64 truncated to I32F32 is 3865470566/2^32, so α is 429496730/2^32.
        assert_eq!(ema_coefficient(900_000), I32F32::from_bits(429_496_730));
        assert_eq!(ema_coefficient(0), ONE);
        assert_eq!(ema_coefficient(1_000_000), ZERO);
    }

    #[test]
    fn liquid_alpha_stays_in_range() {
        let la = LiquidAlpha::new(LiquidAlphaParams {
            alpha_low_u16: 6553,
            alpha_high_u16: 19660,
            steepness: 1000,
        });
        for (c, w, b) in [(ZERO, ONE, ZERO), (ONE, ZERO, ONE), (ZERO, ZERO, ZERO)] {
            let a = la.coefficient(c, w, b);
            assert!(a >= la.low && a <= la.high);
        }
        // Far from consensus → near high; at consensus → near low.
        assert!(la.coefficient(ZERO, ONE, ZERO) > la.coefficient(ONE, ONE, ZERO));
        let inverted = LiquidAlpha::new(LiquidAlphaParams {
            alpha_low_u16: 40000,
            alpha_high_u16: 100,
            steepness: -32768,
        });
        assert_eq!(inverted.coefficient(ZERO, ONE, ZERO), inverted.low);
    }
}
