//! The canonical codec: the one place that knows tau's bytes are bincode 2.0.1.
//!
//! Encoding is deterministic and canonical: fixed-width little-endian integers (bincode's varints
//! accept non-minimal forms, so two byte strings could carry one value), no maps with random order,
//! no floats. Every decode of untrusted bytes is bounded twice: the input length is checked against
//! the type's ceiling before any work, and bincode's own limit stops a forged length prefix from
//! allocating. A decode must consume its input exactly, so trailing bytes are an error.

use bincode::config::{Configuration, Fixint, Limit, LittleEndian};
use serde::{Serialize, de::DeserializeOwned};

/// The largest object any tau decoder accepts (a block with its transactions).
pub const MAX_ENCODED_LEN: usize = 8 * 1024 * 1024;

type Writer = Configuration<LittleEndian, Fixint>;
type Reader = Configuration<LittleEndian, Fixint, Limit<MAX_ENCODED_LEN>>;

const fn writer() -> Writer {
    bincode::config::standard().with_little_endian().with_fixed_int_encoding()
}

const fn reader() -> Reader {
    writer().with_limit::<MAX_ENCODED_LEN>()
}

/// Why bytes could not be decoded. Each variant says what was wrong with the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("{what}: input of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge { what: &'static str, len: usize, max: usize },
    #[error("{what}: {len} trailing bytes after a complete value")]
    TrailingBytes { what: &'static str, len: usize },
    #[error("{what}: malformed encoding: {reason}")]
    Malformed { what: &'static str, reason: String },
}

/// A type with a canonical encoding and a ceiling on its encoded size.
///
/// `MAX_LEN` is what a decoder of this type accepts from the network or a file; pick it per type so a
/// vote decoder never reads a megabyte.
pub trait Encodable: Serialize + DeserializeOwned {
    /// Human name used in error messages.
    const NAME: &'static str;
    /// Upper bound on the encoded size accepted by [`decode`].
    const MAX_LEN: usize;
}

/// Canonical bytes of `value`.
///
/// Encoding into a `Vec` has no limit and tau's types use only serde features bincode supports
/// (no unsized sequences, no `deserialize_any`), so it cannot fail; the golden-vector tests cover
/// every type. A failure would be a bug in a `Serialize` impl of this crate, reported loudly.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    match bincode::serde::encode_to_vec(value, writer()) {
        Ok(bytes) => bytes,
        Err(e) => panic!("canonical encoding failed (a Serialize impl is wrong): {e}"),
    }
}

/// Decodes untrusted bytes into a `T`, rejecting oversized input, malformed input and trailing bytes.
pub fn decode<T: Encodable>(bytes: &[u8]) -> Result<T, DecodeError> {
    decode_bounded(bytes, T::NAME, T::MAX_LEN)
}

/// Decodes untrusted bytes with an explicit ceiling, for callers whose limit is tighter than the type's.
pub fn decode_bounded<T: DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
    max_len: usize,
) -> Result<T, DecodeError> {
    let max = max_len.min(MAX_ENCODED_LEN);
    if bytes.len() > max {
        return Err(DecodeError::TooLarge { what, len: bytes.len(), max });
    }
    let (value, read) = bincode::serde::decode_from_slice::<T, _>(bytes, reader())
        .map_err(|e| DecodeError::Malformed { what, reason: e.to_string() })?;
    if read != bytes.len() {
        return Err(DecodeError::TrailingBytes { what, len: bytes.len() - read });
    }
    Ok(value)
}

/// blake3 of the canonical bytes: the content address of any encodable value.
pub fn hash_of<T: Encodable>(value: &T) -> crate::Hash {
    crate::Hash::digest(&encode(value))
}
