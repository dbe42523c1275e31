//! Deterministic fixed-point `exp` for the liquid-alpha sigmoid (economics.md §5 step 12).
//!
//! Method: clamp the input to [−20, 20] (as subtensor's `exp_safe` does, so `e^20` still fits
//! in `I32F32`), reduce `x = k·ln2 + r` with `|r| ≤ ln2/2`, sum the Taylor series of `e^r` to
//! 20 terms in `I64F64`, scale by `2^k` with a shift and round to the nearest `I32F32`.
//!
//! Precision: the series is truncated below 1e-22 and each of its steps floors at 2^-64, so
//! before the final rounding the relative error is below 1e-17. The result is therefore
//! within `2^-33 + 1e-17·e^x` of `e^x`: half an `I32F32` ulp, plus at most a few ulps near
//! the top of the range, where `e^x` approaches 5e8. Only integer operations are used, so
//! every node computes the same bits. (Subtensor uses `substrate_fixed::transcendental::exp`,
//! whose bits may differ slightly; §12.4 compares dividends only to ±0.001.)

use fixed::types::{I32F32, I64F64};

/// ln 2 rounded to 64 fractional bits.
const LN_2: I64F64 = I64F64::from_bits(0xB172_17F7_D1CF_79AC);
/// Series length; `(ln2/2)^21 / 21!` is below 1e-22.
const TERMS: i128 = 20;

/// `e^x` for `x` clamped to [−20, 20].
pub fn exp_fixed(x: I32F32) -> I32F32 {
    let limit = I32F32::const_from_int(20);
    let x = I64F64::saturating_from_num(x.clamp(-limit, limit));

    // Nearest multiple of ln2; |x/ln2| < 29, so k fits easily.
    let k: i32 =
        x.checked_div(LN_2).unwrap_or(I64F64::ZERO).saturating_round().saturating_to_num::<i32>();
    let r = x.saturating_sub(LN_2.saturating_mul_int(i128::from(k)));

    let mut term = I64F64::ONE;
    let mut total = I64F64::ONE;
    for i in 1..=TERMS {
        term = term.saturating_mul(r).checked_div_int(i).unwrap_or(I64F64::ZERO);
        total = total.saturating_add(term);
    }

    let shift = k.unsigned_abs();
    let scaled = if k >= 0 {
        total.saturating_mul_int(1_i128 << shift.min(62))
    } else {
        // Arithmetic shift right floors; the 64 fractional bits make that negligible.
        I64F64::from_bits(total.to_bits() >> shift.min(127))
    };
    // Round to nearest: add half an I32F32 ulp (2^-33) before truncating to 32 bits.
    let half_ulp = I64F64::from_bits(1 << 31);
    I32F32::saturating_from_num(scaled.saturating_add(half_ulp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(int: i64, tenths: i64) -> I32F32 {
        let t = I32F32::const_from_int(tenths)
            .checked_div(I32F32::const_from_int(10))
            .unwrap_or(I32F32::ZERO);
        I32F32::const_from_int(int).saturating_add(t)
    }

    // Reference bits: round(e^x · 2^32), computed with 60-digit decimal arithmetic.
    #[test]
    fn matches_reference_values() {
        let cases: [(I32F32, i64, i64); 11] = [
            (at(0, 0), 4_294_967_296, 0),
            (at(1, 0), 11_674_931_555, 0),
            (at(-1, 0), 1_580_030_169, 0),
            (at(0, 5), 7_081_203_938, 0),
            (at(0, -5), 2_605_029_347, 0),
            (at(5, 0), 637_429_664_642, 0),
            (at(-5, 0), 28_939_262, 0),
            (at(10, 0), 94_602_950_235_157, 2),
            (at(-10, 0), 194_991, 0),
            (at(20, 0), 2_083_768_647_442_498_562, 64),
            (at(-20, 0), 9, 0),
        ];
        for (x, want, ulps) in cases {
            let got = exp_fixed(x).to_bits();
            assert!((got - want).abs() <= ulps, "exp({x}) = {got} bits, want {want}±{ulps}");
        }
    }

    #[test]
    fn clamps_and_is_monotone() {
        assert_eq!(exp_fixed(I32F32::MAX), exp_fixed(I32F32::const_from_int(20)));
        assert_eq!(exp_fixed(I32F32::MIN), exp_fixed(I32F32::const_from_int(-20)));
        let mut prev = exp_fixed(I32F32::const_from_int(-20));
        let step = I32F32::from_bits(1 << 25);
        let mut x = I32F32::const_from_int(-20);
        while x < I32F32::const_from_int(20) {
            x = x.saturating_add(step);
            let y = exp_fixed(x);
            assert!(y >= prev, "exp not monotone at {x}");
            prev = y;
        }
    }
}
