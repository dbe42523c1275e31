//! The on-disk layout: column families, key encodings and the format marker.
//!
//! One column family per record kind so each can be tuned, scanned and compacted on its own, and so
//! a scan of one kind never walks another's keys. Heights are 8-byte big-endian in keys, so
//! RocksDB's bytewise order is height order. Changing anything here changes the format: bump
//! [`FORMAT_VERSION`] and say how old directories are handled.

use protocol::{Hash, Height};

/// The store format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// First bytes of the format marker. Raw bytes rather than the codec: the marker must stay
/// readable even by a build whose codec changed, since its job is to say which format follows.
pub const FORMAT_MAGIC: &[u8; 10] = b"tau-store\0";

/// Column families, each holding one record kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cf {
    /// height (BE) → `Block`
    Blocks,
    /// block hash (32 bytes) → `Height`
    BlockIndex,
    /// height (BE) → `CommitCertificate` that finalised the block at that height
    Certificates,
    /// height (BE) → `WriteSet` the block (or genesis, at 0) applied; lets the app-hash chain and
    /// the state be re-derived and audited without re-executing blocks
    WriteSets,
    /// height (BE) → `Hash`: the state commitment after that height
    AppHashes,
    /// state key → value (raw bytes: the ledger owns their encoding)
    State,
    /// one key → the BFT engine's opaque safety record
    Safety,
    /// format marker, genesis, tip, and the node's own small values (see the `META_*` keys)
    Meta,
}

impl Cf {
    /// Every family, in creation order. `Meta` comes last: when it exists all the others do, so an
    /// interrupted creation is recognisable (see `rocks::open`).
    pub const ALL: [Cf; 8] = [
        Cf::Blocks,
        Cf::BlockIndex,
        Cf::Certificates,
        Cf::WriteSets,
        Cf::AppHashes,
        Cf::State,
        Cf::Safety,
        Cf::Meta,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Cf::Blocks => "blocks",
            Cf::BlockIndex => "block_index",
            Cf::Certificates => "certificates",
            Cf::WriteSets => "write_sets",
            Cf::AppHashes => "app_hashes",
            Cf::State => "state",
            Cf::Safety => "safety",
            Cf::Meta => "meta",
        }
    }
}

/// Meta key of the format marker.
pub const META_FORMAT: &[u8] = b"store/format";
/// Meta key of the genesis record (`GenesisInfo`).
pub const META_GENESIS: &[u8] = b"store/genesis";
/// Meta key of the tip record (`ChainTip`), rewritten in every block's batch.
pub const META_TIP: &[u8] = b"store/tip";
/// Prefix of the node's own metadata keys, so they can never collide with the store's.
pub const META_NODE_PREFIX: &[u8] = b"node/";

/// The one key of the safety column family.
pub const SAFETY_KEY: &[u8] = b"record";

/// Key of a per-height record.
pub fn height_key(height: Height) -> [u8; 8] {
    height.0.to_be_bytes()
}

/// Key of the block-hash index.
pub fn hash_key(hash: &Hash) -> [u8; 32] {
    hash.0
}

/// Meta key under which the node's value `key` lives.
pub fn node_meta_key(key: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(META_NODE_PREFIX.len() + key.len());
    k.extend_from_slice(META_NODE_PREFIX);
    k.extend_from_slice(key.as_bytes());
    k
}

/// The format marker's bytes for `version`.
pub fn format_marker(version: u32) -> Vec<u8> {
    let mut v = FORMAT_MAGIC.to_vec();
    v.extend_from_slice(&version.to_be_bytes());
    v
}

/// The version in a format marker, or `None` if the bytes are not a tau marker.
pub fn parse_format_marker(bytes: &[u8]) -> Option<u32> {
    let rest = bytes.strip_prefix(FORMAT_MAGIC.as_slice())?;
    let version: [u8; 4] = rest.try_into().ok()?;
    Some(u32::from_be_bytes(version))
}

/// A state key for error messages: printable bytes as text, the rest escaped.
pub fn show_key(key: &[u8]) -> String {
    format!("key \"{}\"", key.escape_ascii())
}

/// The smallest key greater than every key starting with `prefix`, or `None` if no such key exists
/// (empty prefix, or all `0xff`): the exclusive upper bound of a prefix scan.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heights_sort_bytewise_in_height_order() {
        let heights = [0u64, 1, 255, 256, 65_536, u64::MAX / 2, u64::MAX];
        for pair in heights.windows(2) {
            assert!(height_key(Height(pair[0])) < height_key(Height(pair[1])));
        }
    }

    #[test]
    fn format_marker_round_trips_and_rejects_foreign_bytes() {
        assert_eq!(parse_format_marker(&format_marker(7)), Some(7));
        assert_eq!(format_marker(1), b"tau-store\0\0\0\0\x01");
        assert_eq!(parse_format_marker(b"tau-store\0\0\0\x01"), None);
        assert_eq!(parse_format_marker(b"something else"), None);
        assert_eq!(parse_format_marker(b""), None);
    }

    #[test]
    fn prefix_end_is_the_exclusive_upper_bound() {
        assert_eq!(prefix_end(b""), None);
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
    }

    #[test]
    fn column_family_names_are_distinct_and_meta_is_last() {
        let names: std::collections::BTreeSet<_> = Cf::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), Cf::ALL.len());
        assert!(!names.contains("default"));
        assert_eq!(Cf::ALL.last(), Some(&Cf::Meta));
    }
}
