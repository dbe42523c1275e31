//! Transaction receipts: where a transaction was included and whether the ledger applied it.
//!
//! The store keeps blocks but not their per-transaction results (the ledger records a rejected
//! transaction too: its fee is burned, its payload is not applied). The chain driver publishes the
//! results with each [`ChainEvent::Block`]; this module keeps the most recent ones so a client that
//! submitted a transaction can ask what became of it, by hash, without holding an event stream
//! open. A transaction older than the cache, or committed while the recorder lagged behind, is
//! still found in the recent blocks of the store, without its outcome.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use protocol::{Hash, Height};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use crate::chain::{ChainEvent, ChainHandle};

/// Receipts kept in memory (about 100 bytes each).
const CAPACITY: usize = 100_000;

/// What the ledger did with one included transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Receipt {
    pub height: Height,
    /// `false`: rejected by the ledger (fee burned and nonce used, payload not applied).
    pub ok: bool,
    /// The ledger's reason for a rejection.
    pub error: Option<String>,
}

#[derive(Default)]
struct Inner {
    by_hash: HashMap<Hash, Receipt>,
    order: VecDeque<Hash>,
    /// Every result from this height on was recorded (none lost to lag); `None` until the first
    /// block event, and again after a lag until the next one.
    complete_from: Option<Height>,
}

/// The receipt cache, shared by the recorder task and the API handlers.
#[derive(Default)]
pub struct Receipts {
    inner: Mutex<Inner>,
}

impl Receipts {
    /// Starts recording the chain's transaction results; the task ends when the chain stops.
    pub fn spawn(chain: &ChainHandle) -> Arc<Receipts> {
        let receipts = Arc::new(Receipts::default());
        let mut events = chain.subscribe();
        let recorder = receipts.clone();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(ev) => recorder.record(ev),
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(
                            missed,
                            "receipt recorder lagged; outcomes of some transactions are unknown"
                        );
                        recorder.lagged();
                    }
                    Err(RecvError::Closed) => break,
                }
            }
        });
        receipts
    }

    fn record(&self, ev: ChainEvent) {
        let Ok(mut inner) = self.inner.lock() else { return };
        let ChainEvent::Block { height, outcomes, .. } = ev;
        inner.complete_from.get_or_insert(height);
        for o in outcomes.iter() {
            let receipt = Receipt { height, ok: o.ok, error: o.error.clone() };
            if inner.by_hash.insert(o.hash, receipt).is_none() {
                inner.order.push_back(o.hash);
            }
        }
        while inner.order.len() > CAPACITY {
            if let Some(old) = inner.order.pop_front() {
                inner.by_hash.remove(&old);
            }
        }
    }

    fn lagged(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.complete_from = None;
        }
    }

    /// The recorded receipt of `hash`, if any.
    pub fn get(&self, hash: &Hash) -> Option<Receipt> {
        self.inner.lock().ok()?.by_hash.get(hash).cloned()
    }

    /// Heights below this one may hold transactions whose results were not recorded: a block
    /// search must look there. `None` means every height.
    pub fn complete_from(&self) -> Option<Height> {
        self.inner.lock().ok()?.complete_from
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::chain::TransactionOutcome;

    fn outcome(hash: Hash, ok: bool) -> TransactionOutcome {
        TransactionOutcome { hash, ok, error: (!ok).then(|| "nope".to_string()) }
    }

    fn block(height: u64, outcomes: Vec<TransactionOutcome>) -> ChainEvent {
        ChainEvent::Block {
            height: Height(height),
            hash: Hash::default(),
            app_hash: Hash::default(),
            transactions: outcomes.len(),
            round: 0,
            outcomes: outcomes.into(),
        }
    }

    #[test]
    fn records_outcomes_and_the_first_complete_height() {
        let r = Receipts::default();
        assert_eq!(r.complete_from(), None);
        r.record(block(7, vec![outcome(Hash::digest(&[1]), true)]));
        r.record(block(8, vec![outcome(Hash::digest(&[2]), false)]));
        assert_eq!(r.complete_from(), Some(Height(7)));
        assert_eq!(r.get(&Hash::digest(&[1])).map(|x| x.ok), Some(true));
        let failed = r.get(&Hash::digest(&[2])).unwrap();
        assert_eq!((failed.height, failed.error.as_deref()), (Height(8), Some("nope")));
        assert_eq!(r.get(&Hash::digest(&[3])), None);
        r.lagged();
        assert_eq!(r.complete_from(), None);
        r.record(block(12, Vec::new()));
        assert_eq!(r.complete_from(), Some(Height(12)));
    }

    #[test]
    fn forgets_the_oldest_beyond_capacity() {
        let r = Receipts::default();
        let all = (0..=CAPACITY as u64).map(|i| outcome(Hash::digest(&i.to_le_bytes()), true));
        r.record(block(1, all.collect()));
        assert_eq!(r.get(&Hash::digest(&0u64.to_le_bytes())), None);
        assert!(r.get(&Hash::digest(&(CAPACITY as u64).to_le_bytes())).is_some());
    }
}
