//! How stored values are decoded: always through the bounded canonical codec, and always into a
//! typed error that names the record and its key. Bytes on disk are treated like bytes from the
//! network: a damaged disk must produce an error message, never a panic.

use serde::de::DeserializeOwned;

use protocol::codec::{self, Encodable};
use protocol::state::WriteSet;
use protocol::{Hash, Height};

use crate::error::StoreError;
use crate::rules::MAX_WRITE_SET_BYTES;
use crate::store::{ChainTip, GenesisInfo};

impl Encodable for GenesisInfo {
    const NAME: &'static str = "genesis record";
    const MAX_LEN: usize = 256;
}

impl Encodable for ChainTip {
    const NAME: &'static str = "tip record";
    const MAX_LEN: usize = 128;
}

/// Where a record lives, for error messages.
#[derive(Clone, Copy, Debug)]
pub(crate) enum At<'a> {
    Height(Height),
    Hash(&'a Hash),
    Key(&'a [u8]),
}

impl At<'_> {
    fn describe(self) -> String {
        match self {
            At::Height(h) => format!("height {h}"),
            At::Hash(h) => format!("hash {h}"),
            At::Key(k) => crate::keys::show_key(k),
        }
    }
}

/// Decodes a record of an [`Encodable`] type.
pub(crate) fn decode<T: Encodable>(bytes: &[u8], at: At<'_>) -> Result<T, StoreError> {
    codec::decode(bytes).map_err(|e| StoreError::corrupt(T::NAME, at.describe(), e))
}

pub(crate) fn decode_write_set(bytes: &[u8], at: At<'_>) -> Result<WriteSet, StoreError> {
    decode_with(bytes, "write-set", MAX_WRITE_SET_BYTES, at)
}

pub(crate) fn decode_hash(
    bytes: &[u8],
    record: &'static str,
    at: At<'_>,
) -> Result<Hash, StoreError> {
    decode_with(bytes, record, 32, at)
}

pub(crate) fn decode_height(
    bytes: &[u8],
    record: &'static str,
    at: At<'_>,
) -> Result<Height, StoreError> {
    decode_with(bytes, record, 8, at)
}

fn decode_with<T: DeserializeOwned>(
    bytes: &[u8],
    record: &'static str,
    max_len: usize,
    at: At<'_>,
) -> Result<T, StoreError> {
    codec::decode_bounded(bytes, record, max_len)
        .map_err(|e| StoreError::corrupt(record, at.describe(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_gives_a_typed_error_naming_the_record() {
        let err = decode::<ChainTip>(b"\x01\x02", At::Key(b"store/tip")).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, StoreError::CorruptRecord { record: "tip record", .. }), "{text}");
        assert!(text.contains("store/tip"), "{text}");

        let err = decode_hash(&[0; 33], "app hash", At::Height(Height(4))).unwrap_err();
        assert!(err.to_string().contains("height 4"), "{err}");
        assert!(decode_write_set(&[0xff; 8], At::Height(Height(1))).is_err());
    }

    #[test]
    fn values_round_trip() {
        let h = Hash::digest(b"x");
        assert_eq!(decode_hash(&codec::encode(&h), "app hash", At::Height(Height(1))).unwrap(), h);
        let height = decode_height(&codec::encode(&Height(9)), "index", At::Hash(&h)).unwrap();
        assert_eq!(height, Height(9));
    }
}
