//! Small identifiers: chain id, subnet id, neuron uid, block height, consensus round.

use core::fmt;
use serde::{Deserialize, Deserializer, Serialize};

/// Names one network, so that a signature for one chain is never valid on another.
/// 1..=64 characters of `a-z`, `0-9`, `-`; checked on every construction and decode.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ChainId(String);

pub const MAX_CHAIN_ID_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid chain id `{id}`: use 1 to 64 characters from a-z, 0-9 and -")]
pub struct ChainIdError {
    pub id: String,
}

impl ChainId {
    pub fn new(id: impl Into<String>) -> Result<ChainId, ChainIdError> {
        let id = id.into();
        let ok = !id.is_empty()
            && id.len() <= MAX_CHAIN_ID_LEN
            && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok { Ok(ChainId(id)) } else { Err(ChainIdError { id }) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for ChainId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ChainId::new(s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "ChainId({})", self.0)
    }
}

macro_rules! id_newtype {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$inner> for $name {
            fn from(v: $inner) -> Self {
                $name(v)
            }
        }
    };
}

id_newtype!(
    /// A subnet. 0 is root.
    NetUid(u16)
);
id_newtype!(
    /// A neuron's slot in a subnet.
    Uid(u16)
);
id_newtype!(
    /// A block height. Genesis state is height 0; the first block is height 1.
    Height(u64)
);
id_newtype!(
    /// A Tendermint round within a height.
    Round(u32)
);

impl NetUid {
    pub const ROOT: NetUid = NetUid(0);
}

impl Height {
    pub const GENESIS: Height = Height(0);

    /// The next height; `None` at `u64::MAX`, which no chain reaches.
    pub fn next(self) -> Option<Height> {
        self.0.checked_add(1).map(Height)
    }
}
