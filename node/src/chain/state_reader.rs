//! The ledger reads state through `StateReader`, which cannot fail; the store can. This adapter
//! remembers the first store error, and the driver discards any result computed after one and
//! halts: executing over a state that could not be read would fork the node from the network.

use std::sync::Mutex;

use consensus::ledger::StateReader;
use storage::{StateView, StoreError};

pub struct StoreReader<'a> {
    view: Box<dyn StateView + 'a>,
    error: Mutex<Option<StoreError>>,
}

impl<'a> StoreReader<'a> {
    pub fn new(view: Box<dyn StateView + 'a>) -> StoreReader<'a> {
        StoreReader { view, error: Mutex::new(None) }
    }

    fn note(&self, e: StoreError) {
        if let Ok(mut slot) = self.error.lock() {
            slot.get_or_insert(e);
        }
    }

    /// The first read error, if any: results computed over this reader are then unusable.
    pub fn take_error(&self) -> Option<StoreError> {
        self.error.lock().ok().and_then(|mut e| e.take())
    }
}

impl StateReader for StoreReader<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.view.get(key).unwrap_or_else(|e| {
            self.note(e);
            None
        })
    }

    fn prefix(&self, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.view.prefix(prefix).unwrap_or_else(|e| {
            self.note(e);
            Vec::new()
        })
    }
}
