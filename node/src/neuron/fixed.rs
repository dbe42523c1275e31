//! Integer logarithm and exponential. Cross-entropy losses and merits decide weights, so every
//! validator must compute them bit for bit alike: no floats here.

/// ln 2 · 10^12, to turn base-2 logarithms into micro-nats.
const LN2_PICO: u128 = 693_147_180_560;
/// ln 2 · 2^62.
const LN2_Q62: u128 = 3_196_577_161_300_663_915;
const Q62: u128 = 1 << 62;

/// log2(x) in Q32 fixed point (32 fractional bits); 0 for x = 0.
pub fn log2_q32(x: u64) -> u64 {
    if x == 0 {
        return 0;
    }
    let int = 63 - u64::from(x.leading_zeros());
    // Mantissa x / 2^int in [1, 2), as Q62; each squaring yields one fractional bit.
    let mut m = (u128::from(x) << 62) >> int;
    let mut frac = 0u64;
    for bit in (0..32).rev() {
        m = (m * m) >> 62;
        if m >= 2 * Q62 {
            m >>= 1;
            frac |= 1 << bit;
        }
    }
    (int << 32) | frac
}

/// ln(den / num) in micro-nats, for 0 < num ≤ den; saturates at `u32::MAX`.
pub fn ln_ratio_micro(num: u64, den: u64) -> u32 {
    let num = num.max(1);
    if num >= den {
        return 0;
    }
    let diff = u128::from(log2_q32(den) - log2_q32(num));
    let micro = diff * LN2_PICO / (1u128 << 32) / 1_000_000;
    u32::try_from(micro).unwrap_or(u32::MAX)
}

/// 2^32 · e^(−x / 10^6): the probability a loss of `x` micro-nats stands for, in Q32.
pub fn exp_neg_micro_q32(x: u32) -> u64 {
    // t = x / ln 2 in Q32: the answer is 2^-t.
    let t = (u128::from(x) << 32) * 1_000_000 / LN2_PICO;
    let k = t >> 32;
    if k >= 32 {
        return 0;
    }
    let f = t & 0xffff_ffff;
    // 2^-f = e^-r with r = f · ln 2 < 0.7: an alternating Taylor series converges fast.
    let r = ((f * LN2_Q62) >> 32) as i128;
    let (mut term, mut sum) = (Q62 as i128, Q62 as i128);
    for i in 1..=24i128 {
        term = ((term * r) >> 62) / i;
        sum += if i % 2 == 1 { -term } else { term };
    }
    ((sum.max(0) as u128) >> (30 + k)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log2_matches_known_values() {
        assert_eq!(log2_q32(1), 0);
        assert_eq!(log2_q32(1 << 24), 24 << 32);
        let l3 = log2_q32(3) as f64 / 4_294_967_296.0;
        assert!((l3 - 3f64.log2()).abs() < 1e-8, "{l3}");
    }

    #[test]
    fn ln_ratio_is_close_to_float() {
        for (n, d) in [(1u64, 2u64), (1, 1 << 24), (3, 7), (999, 1000), (5, 5)] {
            let got = f64::from(ln_ratio_micro(n, d));
            let want = (d as f64 / n as f64).ln() * 1e6;
            assert!((got - want).abs() <= 2.0, "{n}/{d}: {got} vs {want}");
        }
    }

    #[test]
    fn exp_is_close_to_float_and_monotone() {
        let mut last = u64::MAX;
        for x in (0..40_000_000u32).step_by(250_013) {
            let got = exp_neg_micro_q32(x);
            let want = (-(f64::from(x)) / 1e6).exp() * 4_294_967_296.0;
            assert!((got as f64 - want).abs() <= 2.0 + want * 1e-9, "{x}: {got} vs {want}");
            assert!(got <= last);
            last = got;
        }
        assert_eq!(exp_neg_micro_q32(0), 1 << 32);
        assert_eq!(exp_neg_micro_q32(u32::MAX), 0);
    }
}
