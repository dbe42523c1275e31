//! Transactions whose signature has been checked, and the checking of many at once on the
//! blocking pool, so the chain driver never spends its time on ed25519.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};

use protocol::keys::SignatureError;
use protocol::transaction::Transaction;
use protocol::{ChainId, Hash};

/// A transaction whose signature verified for this chain. Only [`VerifiedTransaction::verify`]
/// and [`verify_all`] make one, so the mempool can never hold an unchecked transaction.
#[derive(Clone, Debug)]
pub struct VerifiedTransaction {
    tx: Transaction,
    hash: Hash,
}

impl VerifiedTransaction {
    pub fn verify(tx: Transaction, chain: &ChainId) -> Result<Self, SignatureError> {
        tx.verify(chain)?;
        let hash = tx.hash();
        Ok(VerifiedTransaction { tx, hash })
    }

    pub fn get(&self) -> &Transaction {
        &self.tx
    }

    pub fn hash(&self) -> Hash {
        self.hash
    }

    pub fn into_inner(self) -> Transaction {
        self.tx
    }
}

/// Hashes of transactions whose signature verified on this node lately, so one met again (in a
/// proposed block after the intake saw it, in a second batch, in a replay) is not checked twice.
/// A signature's validity is a function of the transaction's bytes alone (one chain per node),
/// so a hit is as good as a check. Bounded; the oldest are forgotten first.
#[derive(Default)]
pub struct SignatureCache {
    inner: Mutex<Recent>,
}

#[derive(Default)]
struct Recent {
    set: BTreeSet<Hash>,
    order: VecDeque<Hash>,
}

/// Hashes remembered (about 6 MB when full).
const CACHE_CAPACITY: usize = 65_536;

impl SignatureCache {
    pub fn contains(&self, hash: &Hash) -> bool {
        self.inner.lock().is_ok_and(|r| r.set.contains(hash))
    }

    fn insert(&self, hash: Hash) {
        let Ok(mut r) = self.inner.lock() else { return };
        if r.set.insert(hash) {
            r.order.push_back(hash);
        }
        while r.order.len() > CACHE_CAPACITY {
            if let Some(old) = r.order.pop_front() {
                r.set.remove(&old);
            }
        }
    }

    /// Verifies `tx`, or finds it verified before.
    pub fn verify(
        &self,
        tx: Transaction,
        chain: &ChainId,
    ) -> Result<VerifiedTransaction, SignatureError> {
        let hash = tx.hash();
        if !self.contains(&hash) {
            tx.verify(chain)?;
            self.insert(hash);
        }
        Ok(VerifiedTransaction { tx, hash })
    }

    /// Whether `tx`'s signature is valid, checking it only if not seen before.
    pub fn check(&self, tx: &Transaction, chain: &ChainId) -> bool {
        let hash = tx.hash();
        if self.contains(&hash) {
            return true;
        }
        let ok = tx.verify(chain).is_ok();
        if ok {
            self.insert(hash);
        }
        ok
    }
}

/// Below this many transactions a batch is checked on one thread: splitting costs more than it
/// saves.
const MIN_PER_THREAD: usize = 64;

/// Checks every transaction's signature, in order, spread over the machine's cores on tokio's
/// blocking pool: one result per transaction, in order. `None` when the runtime is shutting
/// down and cancelled the work.
pub async fn verify_all(
    txs: Vec<Transaction>,
    chain: &ChainId,
    cache: &Arc<SignatureCache>,
) -> Option<Vec<Result<VerifiedTransaction, SignatureError>>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = txs.len().div_ceil(threads).max(MIN_PER_THREAD);
    let mut chunks = Vec::new();
    let mut rest = txs;
    while rest.len() > per_thread {
        let tail = rest.split_off(per_thread);
        chunks.push(std::mem::replace(&mut rest, tail));
    }
    chunks.push(rest);
    let tasks: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            let (chain, cache) = (chain.clone(), cache.clone());
            tokio::task::spawn_blocking(move || {
                chunk.into_iter().map(|tx| cache.verify(tx, &chain)).collect::<Vec<_>>()
            })
        })
        .collect();
    let mut out = Vec::new();
    for task in tasks {
        match task.await {
            Ok(results) => out.extend(results),
            // Verification does not panic on any input; a panic here is a bug worth surfacing.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::Rao;
    use protocol::keys::Keypair;
    use protocol::transaction::Payload;

    fn transfer(seed: u8, nonce: u64, chain: &ChainId) -> Transaction {
        let to = Keypair::from_seed(&[200; 32]).public();
        Transaction::sign(
            &Keypair::from_seed(&[seed; 32]),
            chain,
            nonce,
            Rao(1),
            Payload::Transfer { to, amount: Rao(1) },
        )
    }

    #[tokio::test]
    async fn keeps_order_and_singles_out_bad_signatures() {
        let chain = ChainId::new("tau-test").unwrap();
        let other = ChainId::new("tau-other").unwrap();
        let mut txs: Vec<Transaction> = (0..300).map(|n| transfer(1, n, &chain)).collect();
        txs[7] = transfer(1, 7, &other);
        txs[250].signature.0[0] ^= 1;
        let cache = Arc::new(SignatureCache::default());
        let results = verify_all(txs.clone(), &chain, &cache).await.unwrap();
        assert_eq!(results.len(), 300);
        for (i, (r, tx)) in results.iter().zip(&txs).enumerate() {
            match r {
                Ok(v) => {
                    assert!(i != 7 && i != 250, "transaction {i} should be refused");
                    assert_eq!(v.get(), tx);
                    assert_eq!(v.hash(), tx.hash());
                }
                Err(_) => assert!(i == 7 || i == 250, "transaction {i} should verify"),
            }
        }
        assert!(verify_all(Vec::new(), &chain, &cache).await.unwrap().is_empty());
        // The valid ones are remembered, the refused ones not.
        assert!(cache.contains(&txs[0].hash()));
        assert!(!cache.contains(&txs[7].hash()) && !cache.contains(&txs[250].hash()));
        assert!(cache.check(&txs[1], &chain));
        assert!(!cache.check(&txs[250], &chain), "a bad signature stays bad");
    }
}
