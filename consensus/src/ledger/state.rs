//! The key-value view the ledger executes over: a read-only [`StateReader`] (the node's RocksDB
//! snapshot, or [`MemState`] in tests) under an [`Overlay`] of this block's pending writes.
//!
//! The overlay has two layers so that a transaction is atomic: its writes go to the `tx` layer and
//! are folded into the `block` layer on success, or dropped on rejection.

use std::collections::BTreeMap;
use std::ops::Bound;

use protocol::codec::{self, Encodable};
use protocol::state::WriteSet;

use super::error::LedgerError;

/// Read access to committed state. Implementations must be deterministic: `prefix` returns every
/// key starting with `prefix`, sorted by key.
pub trait StateReader {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>>;
    fn prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)>;
}

/// An in-memory state: the tests' store, and a reference for the node's implementation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemState {
    map: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl MemState {
    pub fn new() -> MemState {
        MemState::default()
    }

    /// Applies a block's (or genesis') write-set.
    pub fn apply(&mut self, writes: &WriteSet) {
        for (k, v) in writes {
            match v {
                Some(v) => {
                    self.map.insert(k.clone(), v.clone());
                }
                None => {
                    self.map.remove(k);
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl StateReader for MemState {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.map.get(key).cloned()
    }

    fn prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.map
            .range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// Pending writes over a reader. Reads see the transaction layer, then the block layer, then the
/// reader.
pub struct Overlay<'a> {
    base: &'a dyn StateReader,
    block: WriteSet,
    tx: WriteSet,
}

impl<'a> Overlay<'a> {
    pub fn new(base: &'a dyn StateReader) -> Overlay<'a> {
        Overlay { base, block: WriteSet::new(), tx: WriteSet::new() }
    }

    pub fn get_raw(&self, key: &[u8]) -> Option<Vec<u8>> {
        if let Some(v) = self.tx.get(key) {
            return v.clone();
        }
        if let Some(v) = self.block.get(key) {
            return v.clone();
        }
        self.base.get(key)
    }

    pub fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.tx.insert(key, Some(value));
    }

    pub fn delete(&mut self, key: Vec<u8>) {
        self.tx.insert(key, None);
    }

    /// Decodes the value at `key`; a value that does not decode is corruption.
    pub fn read<T: Encodable>(&self, key: &[u8]) -> Result<Option<T>, LedgerError> {
        decode_value(key, self.get_raw(key))
    }

    /// Like [`Overlay::read`], with a default for absent keys.
    pub fn read_or_default<T: Encodable + Default>(&self, key: &[u8]) -> Result<T, LedgerError> {
        Ok(self.read(key)?.unwrap_or_default())
    }

    pub fn write<T: Encodable>(&mut self, key: Vec<u8>, value: &T) {
        self.put_raw(key, codec::encode(value));
    }

    /// Every key under `prefix`, merged across the layers, sorted.
    pub fn prefix_raw(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let base = self.base.prefix(prefix);
        if !has_prefix(&self.block, prefix) && !has_prefix(&self.tx, prefix) {
            return base;
        }
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> = base.into_iter().collect();
        for layer in [&self.block, &self.tx] {
            let range = layer
                .range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
                .take_while(|(k, _)| k.starts_with(prefix));
            for (k, v) in range {
                match v {
                    Some(v) => merged.insert(k.clone(), v.clone()),
                    None => merged.remove(k),
                };
            }
        }
        merged.into_iter().collect()
    }

    /// Decoded values under `prefix`, with their keys.
    pub fn prefix_read<T: Encodable>(
        &self,
        prefix: &[u8],
    ) -> Result<Vec<(Vec<u8>, T)>, LedgerError> {
        self.prefix_raw(prefix)
            .into_iter()
            .map(|(k, v)| {
                let value = decode_bytes(&k, &v)?;
                Ok((k, value))
            })
            .collect()
    }

    /// Keeps the current transaction's writes.
    pub fn commit_tx(&mut self) {
        let tx = std::mem::take(&mut self.tx);
        self.block.extend(tx);
    }

    /// Drops the current transaction's writes.
    pub fn rollback_tx(&mut self) {
        self.tx.clear();
    }

    /// The block's write-set (any uncommitted transaction layer is dropped).
    pub fn into_write_set(self) -> WriteSet {
        self.block
    }
}

impl StateReader for Overlay<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.get_raw(key)
    }

    fn prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.prefix_raw(prefix)
    }
}

fn has_prefix(layer: &WriteSet, prefix: &[u8]) -> bool {
    layer
        .range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
        .next()
        .is_some_and(|(k, _)| k.starts_with(prefix))
}

fn decode_value<T: Encodable>(key: &[u8], v: Option<Vec<u8>>) -> Result<Option<T>, LedgerError> {
    match v {
        None => Ok(None),
        Some(bytes) => decode_bytes(key, &bytes).map(Some),
    }
}

pub(crate) fn decode_bytes<T: Encodable>(key: &[u8], bytes: &[u8]) -> Result<T, LedgerError> {
    codec::decode(bytes).map_err(|e| LedgerError::Corrupt {
        key: key.iter().map(|b| format!("{b:02x}")).collect(),
        reason: e.to_string(),
    })
}
