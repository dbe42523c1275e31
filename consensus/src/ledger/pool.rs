//! A subnet's τ/alpha pool: constant product `k = τ·α` (economics.md §9.3, the launch-era rule it
//! recommends). All integer math in u128; every rounding favours the pool, so `k` never decreases
//! through a swap and a round trip never returns more than it put in.

use fixed::types::U64F64;
use protocol::{AlphaRao, NetUid, PriceRao, RAO_PER_TAO, Rao};

use super::error::{TxError, ovf};
use super::records::Pool;

/// What one swap gives and what its fee was (in the input token; the fee stays in the pool).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quote {
    pub out: u64,
    pub fee: u64,
}

/// Fee on `amount` at `rate/65535`, rounded down.
pub fn fee_of(amount: u64, rate: u16) -> u64 {
    (u128::from(amount) * u128::from(rate) / 65_535) as u64
}

/// Output of putting `input` (after fee) into reserve `r_in` against reserve `r_out`:
/// `out = r_out·net/(r_in + net)`, rounded down. `None` if a reserve is empty.
pub fn quote(r_in: u64, r_out: u64, input: u64, fee_rate: u16) -> Option<Quote> {
    if r_in == 0 || r_out == 0 {
        return None;
    }
    let fee = fee_of(input, fee_rate);
    let net = u128::from(input - fee);
    let out = u128::from(r_out) * net / (u128::from(r_in) + net);
    Some(Quote { out: out as u64, fee })
}

/// Spot price in rao of τ per whole alpha, rounded down; zero for an empty alpha reserve.
pub fn spot_price(tao: u64, alpha: u64) -> PriceRao {
    if alpha == 0 {
        return PriceRao(0);
    }
    let p = u128::from(tao) * u128::from(RAO_PER_TAO) / u128::from(alpha);
    PriceRao(u64::try_from(p).unwrap_or(u64::MAX))
}

/// Exact comparison `tao/alpha > limit/1e9` without rounding the price.
pub fn price_above(tao: u64, alpha: u64, limit: PriceRao) -> bool {
    u128::from(tao) * u128::from(RAO_PER_TAO) > u128::from(limit.0) * u128::from(alpha)
}

/// Exact comparison `tao/alpha < limit/1e9`.
pub fn price_below(tao: u64, alpha: u64, limit: PriceRao) -> bool {
    u128::from(tao) * u128::from(RAO_PER_TAO) < u128::from(limit.0) * u128::from(alpha)
}

/// Spot price as U64F64 (τ per alpha), for the moving price (§3.2). Zero if a reserve is empty.
pub fn price_fixed(tao: u64, alpha: u64) -> U64F64 {
    if alpha == 0 {
        return U64F64::ZERO;
    }
    U64F64::saturating_from_num(tao) / U64F64::saturating_from_num(alpha)
}

impl Pool {
    pub fn price(&self) -> PriceRao {
        spot_price(self.tao.0, self.alpha_in.0)
    }

    /// `k = τ·α` of the reserves.
    pub fn k(&self) -> u128 {
        u128::from(self.tao.0) * u128::from(self.alpha_in.0)
    }

    /// Swaps `tao` into alpha; the alpha leaves the pool into `alpha_out` (the caller credits it).
    pub fn buy(&mut self, netuid: NetUid, tao: Rao, fee_rate: u16) -> Result<AlphaRao, TxError> {
        let q = quote(self.tao.0, self.alpha_in.0, tao.0, fee_rate)
            .ok_or(TxError::EmptyPool(netuid))?;
        if q.out == 0 {
            return Err(TxError::AmountTooSmall);
        }
        let out = AlphaRao(q.out);
        self.tao = self.tao.checked_add(tao).ok_or(ovf("pool τ"))?;
        self.alpha_in = self.alpha_in.checked_sub(out).ok_or(ovf("pool alpha"))?;
        self.alpha_out = self.alpha_out.checked_add(out).ok_or(ovf("alpha out"))?;
        Ok(out)
    }

    /// Swaps `alpha` (taken from `alpha_out` by the caller) back into τ.
    pub fn sell(&mut self, netuid: NetUid, alpha: AlphaRao, fee_rate: u16) -> Result<Rao, TxError> {
        let q = quote(self.alpha_in.0, self.tao.0, alpha.0, fee_rate)
            .ok_or(TxError::EmptyPool(netuid))?;
        if q.out == 0 {
            return Err(TxError::AmountTooSmall);
        }
        let out = Rao(q.out);
        self.alpha_in = self.alpha_in.checked_add(alpha).ok_or(ovf("pool alpha"))?;
        self.alpha_out = self.alpha_out.checked_sub(alpha).ok_or(ovf("alpha out"))?;
        self.tao = self.tao.checked_sub(out).ok_or(ovf("pool τ"))?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pool(tao: u64, alpha: u64) -> Pool {
        Pool { tao: Rao(tao), alpha_in: AlphaRao(alpha), ..Pool::default() }
    }

    #[test]
    fn price_and_quote_match_the_formula() {
        let p = pool(100 * RAO_PER_TAO, 1_000 * RAO_PER_TAO);
        assert_eq!(p.price(), PriceRao(100_000_000));
        // Δα = α·Δτ/(τ+Δτ): 1000·10/110 = 90.909090909 α.
        let q = quote(100 * RAO_PER_TAO, 1_000 * RAO_PER_TAO, 10 * RAO_PER_TAO, 0).unwrap();
        assert_eq!(q.out, 90_909_090_909);
        assert!(quote(0, 5, 5, 0).is_none());
    }

    proptest! {
        #[test]
        fn k_never_decreases_and_round_trips_lose(
            tao in 1u64..1u64 << 54,
            alpha in 1u64..1u64 << 54,
            input in 1u64..1u64 << 50,
            fee in 0u16..1000,
        ) {
            let mut p = pool(tao, alpha);
            let k0 = p.k();
            if let Ok(a) = p.buy(NetUid(1), Rao(input), fee) {
                prop_assert!(p.k() >= k0);
                let k1 = p.k();
                if let Ok(t) = p.sell(NetUid(1), a, fee) {
                    prop_assert!(p.k() >= k1);
                    prop_assert!(t.0 <= input);
                }
            }
        }
    }
}
