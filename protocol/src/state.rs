//! The state commitment (design.md §6): every block's effect on the key-value state is a sorted
//! write-set, and `app_hash(h) = blake3(app_hash(h-1) ‖ blake3(canonical write-set of h))`.
//! Two nodes that disagree on any byte of state disagree on the next app hash.

use std::collections::BTreeMap;

use crate::codec;
use crate::hash::Hash;

/// Keys written by one block, in key order: `Some(value)` to set, `None` to delete.
pub type WriteSet = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// blake3 of the canonical encoding of a write-set (sorted by key, so order of writes is irrelevant).
pub fn write_set_hash(write_set: &WriteSet) -> Hash {
    Hash::digest(&codec::encode(write_set))
}

/// The state commitment after a block, from the one before and the block's write-set.
pub fn next_app_hash(previous: &Hash, write_set: &WriteSet) -> Hash {
    Hash::digest_parts(&[previous.as_bytes(), write_set_hash(write_set).as_bytes()])
}

/// The commitment of the genesis state, chained from zero over the genesis write-set.
pub fn genesis_app_hash(genesis_write_set: &WriteSet) -> Hash {
    next_app_hash(&Hash::ZERO, genesis_write_set)
}
