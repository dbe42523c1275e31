//! Human addresses: bech32m with the prefix `tau` over the 32 bytes of an ed25519 public key.
//!
//! bech32m gives a checksum that catches any typo of up to four characters and says so, lower-case
//! only text that survives copy and paste, and a prefix that tells a tau key from anything else.

use bech32::primitives::decode::CheckedHrpstring;
use bech32::{Bech32m, Hrp};

use crate::keys::PublicKey;

/// The human-readable prefix of every tau address.
pub const ADDRESS_PREFIX: &str = "tau";

/// Why a string is not a tau address, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("address is empty")]
    Empty,
    #[error("not a bech32m string ({0}); a tau address looks like tau1…")]
    Malformed(String),
    #[error("checksum mismatch: the address has a typo, or was cut short or made longer")]
    BadChecksum,
    #[error("address prefix is `{found}`, expected `tau`; is this a key from another network?")]
    WrongPrefix { found: String },
    #[error("address holds {found} bytes, expected 32 (an ed25519 public key)")]
    WrongLength { found: usize },
    #[error("address padding bits are not zero: the address was not produced by a tau wallet")]
    BadPadding,
    #[error("address decodes to 32 bytes that are not a valid ed25519 public key")]
    NotAKey,
}

pub(crate) fn encode(key: &PublicKey) -> String {
    // The prefix is a valid constant and 32 bytes are far below bech32m's length limit.
    let hrp = Hrp::parse_unchecked(ADDRESS_PREFIX);
    match bech32::encode::<Bech32m>(hrp, key.as_bytes()) {
        Ok(s) => s,
        Err(e) => unreachable!("32-byte bech32m encoding cannot fail: {e}"),
    }
}

pub(crate) fn decode(s: &str) -> Result<PublicKey, AddressError> {
    if s.is_empty() {
        return Err(AddressError::Empty);
    }
    let checked = CheckedHrpstring::new::<Bech32m>(s).map_err(|e| match e {
        bech32::primitives::decode::CheckedHrpstringError::Checksum(_) => AddressError::BadChecksum,
        other => AddressError::Malformed(other.to_string()),
    })?;
    let hrp = checked.hrp();
    if hrp.as_str() != ADDRESS_PREFIX {
        return Err(AddressError::WrongPrefix { found: hrp.to_string() });
    }
    checked.validate_segwit_padding().map_err(|_| AddressError::BadPadding)?;
    let bytes: Vec<u8> = checked.byte_iter().collect();
    let arr: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| AddressError::WrongLength { found: bytes.len() })?;
    let key = PublicKey(arr);
    if !key.is_valid_point() {
        return Err(AddressError::NotAKey);
    }
    Ok(key)
}
