//! Transactions whose signature has been checked, and the checking of many at once on the
//! blocking pool, so the chain driver never spends its time on ed25519.

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

/// Below this many transactions a batch is checked on one thread: splitting costs more than it
/// saves.
const MIN_PER_THREAD: usize = 64;

/// Checks every transaction's signature, in order, spread over the machine's cores on tokio's
/// blocking pool: one result per transaction, in order. `None` when the runtime is shutting
/// down and cancelled the work.
pub async fn verify_all(
    txs: Vec<Transaction>,
    chain: &ChainId,
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
            let chain = chain.clone();
            tokio::task::spawn_blocking(move || {
                chunk
                    .into_iter()
                    .map(|tx| VerifiedTransaction::verify(tx, &chain))
                    .collect::<Vec<_>>()
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
        let results = verify_all(txs.clone(), &chain).await.unwrap();
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
        assert!(verify_all(Vec::new(), &chain).await.unwrap().is_empty());
    }
}
