//! The pool arithmetic a stake command previews before signing: the same constant-product quote
//! and exact price comparisons the ledger uses (`consensus::ledger::quote`), so a swap the preview
//! accepts is one the ledger accepts at unchanged reserves, and a slippage refusal comes before
//! the fee is spent rather than after.

use consensus::ledger::query::PoolInfo;
use consensus::ledger::{quote, spot_price};
use protocol::{PriceRao, RAO_PER_TAO};

/// A subnet pool's reserves; root has none (its price is fixed at 1 and swaps are 1:1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reserves {
    pub tao: u64,
    pub alpha: u64,
}

impl From<&PoolInfo> for Reserves {
    fn from(p: &PoolInfo) -> Reserves {
        Reserves { tao: p.tao.0, alpha: p.alpha_in.0 }
    }
}

impl Reserves {
    pub fn price(self) -> PriceRao {
        spot_price(self.tao, self.alpha)
    }

    /// Exactly `tao/alpha > limit`, as the ledger tests a buy's ceiling.
    pub fn above(self, limit: PriceRao) -> bool {
        u128::from(self.tao) * u128::from(RAO_PER_TAO)
            > u128::from(limit.0) * u128::from(self.alpha)
    }

    /// Exactly `tao/alpha < limit`, as the ledger tests a sale's floor.
    pub fn below(self, limit: PriceRao) -> bool {
        u128::from(self.tao) * u128::from(RAO_PER_TAO)
            < u128::from(limit.0) * u128::from(self.alpha)
    }

    /// τ in, alpha out, and the reserves after; `None` if the pool is empty or the amount buys
    /// nothing.
    pub fn buy(self, tao: u64, fee_rate: u16) -> Option<(u64, Reserves)> {
        let q = quote(self.tao, self.alpha, tao, fee_rate).filter(|q| q.out > 0)?;
        let after =
            Reserves { tao: self.tao.checked_add(tao)?, alpha: self.alpha.checked_sub(q.out)? };
        Some((q.out, after))
    }

    /// Alpha in, τ out, and the reserves after.
    pub fn sell(self, alpha: u64, fee_rate: u16) -> Option<(u64, Reserves)> {
        let q = quote(self.alpha, self.tao, alpha, fee_rate).filter(|q| q.out > 0)?;
        let after =
            Reserves { tao: self.tao.checked_sub(q.out)?, alpha: self.alpha.checked_add(alpha)? };
        Some((q.out, after))
    }
}

/// Price of a subnet's alpha, root's being one τ.
pub fn price_of(pool: Option<Reserves>) -> PriceRao {
    pool.map_or(PriceRao(RAO_PER_TAO), Reserves::price)
}

/// The ledger's cross-subnet move ratio: `origin price / destination price`, ×1e9, rounded down.
pub fn ratio(from: PriceRao, to: PriceRao) -> PriceRao {
    if to.0 == 0 {
        return PriceRao(u64::MAX);
    }
    let r = u128::from(from.0) * u128::from(RAO_PER_TAO) / u128::from(to.0);
    PriceRao(u64::try_from(r).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = RAO_PER_TAO;

    #[test]
    fn a_buy_raises_the_price_as_the_ledger_quotes_it() {
        let pool = Reserves { tao: 100 * T, alpha: 100 * T };
        assert_eq!(pool.price(), PriceRao(T));
        let (out, after) = pool.buy(2 * T, 0).unwrap();
        // Δα = 100·2/102 α.
        assert_eq!(out, 1_960_784_313);
        assert!(after.price() > pool.price());
        assert!(after.above(PriceRao(T)));
        assert!(!after.above(after.price().max(PriceRao(after.price().0 + 1))));
        assert_eq!(pool.buy(0, 0), None);
        assert_eq!(Reserves { tao: 0, alpha: 5 }.buy(T, 0), None);
    }

    #[test]
    fn a_sale_lowers_the_price() {
        let pool = Reserves { tao: 100 * T, alpha: 100 * T };
        let (out, after) = pool.sell(T, 33).unwrap();
        assert!(out < T);
        assert!(after.below(PriceRao(T)));
        assert_eq!(price_of(None), PriceRao(T));
        assert_eq!(ratio(PriceRao(2 * T), PriceRao(T)), PriceRao(2 * T));
        assert_eq!(ratio(PriceRao(T), PriceRao(0)), PriceRao(u64::MAX));
    }
}
