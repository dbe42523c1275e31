//! Amounts in base units. 1 τ = 10^9 rao; alpha (a subnet's token) has 9 decimals too.
//! Integers only, checked arithmetic only: money never overflows silently and never rounds by
//! accident.

use core::fmt;
use serde::{Deserialize, Serialize};

/// Base units per whole token.
pub const RAO_PER_TAO: u64 = 1_000_000_000;

/// Why a decimal amount could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountParseError {
    #[error("amount `{0}` is not a decimal number such as 1.5")]
    NotANumber(String),
    #[error("amount `{0}` has more than 9 decimals (1 rao = 0.000000001)")]
    TooPrecise(String),
    #[error("amount `{0}` is larger than the largest representable amount")]
    TooLarge(String),
}

macro_rules! amount_type {
    ($(#[$doc:meta])* $name:ident, $symbol:literal) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            pub const ZERO: $name = $name(0);
            pub const MAX: $name = $name(u64::MAX);

            pub const fn from_rao(rao: u64) -> $name {
                $name(rao)
            }

            /// Whole tokens; `None` if it does not fit.
            pub const fn from_whole(tokens: u64) -> Option<$name> {
                match tokens.checked_mul(RAO_PER_TAO) {
                    Some(r) => Some($name(r)),
                    None => None,
                }
            }

            pub const fn rao(self) -> u64 {
                self.0
            }

            pub fn checked_add(self, o: $name) -> Option<$name> {
                self.0.checked_add(o.0).map($name)
            }

            pub fn checked_sub(self, o: $name) -> Option<$name> {
                self.0.checked_sub(o.0).map($name)
            }

            pub fn checked_mul(self, k: u64) -> Option<$name> {
                self.0.checked_mul(k).map($name)
            }

            pub fn saturating_sub(self, o: $name) -> $name {
                $name(self.0.saturating_sub(o.0))
            }

            pub fn is_zero(self) -> bool {
                self.0 == 0
            }

            /// Parses a decimal token amount such as `12.5` (not rao) exactly.
            pub fn parse_decimal(s: &str) -> Result<$name, AmountParseError> {
                parse_decimal(s).map($name)
            }
        }

        impl fmt::Display for $name {
            /// Whole tokens with all 9 decimals and the symbol: `1.500000000 τ`.
            fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "{}.{:09} {}", self.0 / RAO_PER_TAO, self.0 % RAO_PER_TAO, $symbol)
            }
        }
    };
}

amount_type!(
    /// τ in rao: balances, fees, burns, pool reserves on the τ side.
    Rao,
    "τ"
);
amount_type!(
    /// A subnet's alpha in its base unit: stake, pool reserves on the alpha side, alpha emission.
    AlphaRao,
    "α"
);

fn parse_decimal(input: &str) -> Result<u64, AmountParseError> {
    let s = input.trim();
    let nan = || AmountParseError::NotANumber(input.to_string());
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s, ""),
    };
    if whole.is_empty() && frac.is_empty() {
        return Err(nan());
    }
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(frac) {
        return Err(nan());
    }
    if frac.len() > 9 {
        return Err(AmountParseError::TooPrecise(input.to_string()));
    }
    let too_large = || AmountParseError::TooLarge(input.to_string());
    let w: u64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_large())? };
    let mut f: u64 = if frac.is_empty() { 0 } else { frac.parse().map_err(|_| nan())? };
    for _ in frac.len()..9 {
        f *= 10;
    }
    w.checked_mul(RAO_PER_TAO).and_then(|r| r.checked_add(f)).ok_or_else(too_large)
}

/// A price: rao of τ per one whole alpha (10^9 alpha rao). Used for stake price limits.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct PriceRao(pub u64);

impl fmt::Display for PriceRao {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}.{:09} τ/α", self.0 / RAO_PER_TAO, self.0 % RAO_PER_TAO)
    }
}
