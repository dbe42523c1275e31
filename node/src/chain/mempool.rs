//! The mempool: signed transactions waiting for a block, ordered by fee, with each sender's
//! transactions kept in nonce order so a proposer never includes nonce n+1 without n.
//!
//! Bounded: past `capacity` the lowest-fee transaction is evicted to make room for a better one.
//! Signatures are checked before (once, on arrival: only a [`VerifiedTransaction`] gets in);
//! nonces and fees here.

use std::collections::{BTreeMap, BTreeSet};

use protocol::transaction::Transaction;
use protocol::{Hash, PublicKey, Rao, codec};

use super::verified::VerifiedTransaction;

/// How far ahead of an account's nonce a transaction may be queued.
pub const MAX_NONCE_GAP: u64 = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MempoolError {
    #[error("transaction {0} is already in the mempool")]
    Duplicate(Hash),
    #[error("nonce {nonce} is already used (the account's next nonce is {expected})")]
    NonceTooLow { nonce: u64, expected: u64 },
    #[error("nonce {nonce} is too far ahead of the account's next nonce {expected}")]
    NonceTooHigh { nonce: u64, expected: u64 },
    #[error("fee {fee} is below the minimum {min}")]
    FeeTooLow { fee: Rao, min: Rao },
    #[error("a transaction with the same nonce and a fee at least as high is already queued")]
    Underpriced,
    #[error("the mempool is full and this transaction's fee is not above the lowest queued fee")]
    Full,
}

struct Entry {
    tx: Transaction,
    size: usize,
    seq: u64,
}

/// Priority key: highest fee first, then first come.
type PriorityKey = (std::cmp::Reverse<Rao>, u64, Hash);

pub struct Mempool {
    capacity: usize,
    min_fee: Rao,
    next_seq: u64,
    entries: BTreeMap<Hash, Entry>,
    by_sender: BTreeMap<(PublicKey, u64), Hash>,
    by_priority: BTreeSet<PriorityKey>,
}

impl Mempool {
    pub fn new(capacity: usize, min_fee: Rao) -> Mempool {
        Mempool {
            capacity,
            min_fee,
            next_seq: 0,
            entries: BTreeMap::new(),
            by_sender: BTreeMap::new(),
            by_priority: BTreeSet::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, hash: &Hash) -> bool {
        self.entries.contains_key(hash)
    }

    /// Changes whenever a transaction is added, so a caller can tell that a selection that
    /// found nothing includable would find nothing again.
    pub fn generation(&self) -> u64 {
        self.next_seq
    }

    /// Adds a transaction. `account_nonce` is the sender's next nonce in the committed state.
    pub fn insert(
        &mut self,
        tx: VerifiedTransaction,
        account_nonce: u64,
    ) -> Result<Hash, MempoolError> {
        let hash = tx.hash();
        let tx = tx.into_inner();
        if self.entries.contains_key(&hash) {
            return Err(MempoolError::Duplicate(hash));
        }
        let (signer, nonce, fee) = (tx.body.signer, tx.body.nonce, tx.body.fee);
        if fee < self.min_fee {
            return Err(MempoolError::FeeTooLow { fee, min: self.min_fee });
        }
        if nonce < account_nonce {
            return Err(MempoolError::NonceTooLow { nonce, expected: account_nonce });
        }
        if nonce - account_nonce > MAX_NONCE_GAP {
            return Err(MempoolError::NonceTooHigh { nonce, expected: account_nonce });
        }
        if let Some(old) = self.by_sender.get(&(signer, nonce)).copied() {
            // Replace-by-fee: same slot, strictly higher fee.
            let old_fee = self.entries.get(&old).map_or(Rao::ZERO, |e| e.tx.body.fee);
            if fee <= old_fee {
                return Err(MempoolError::Underpriced);
            }
            self.remove(&old);
        } else if self.entries.len() >= self.capacity {
            let lowest = self.by_priority.iter().next_back().copied();
            match lowest {
                Some((std::cmp::Reverse(low_fee), _, low_hash)) if fee > low_fee => {
                    self.remove(&low_hash);
                }
                _ => return Err(MempoolError::Full),
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let size = codec::encode(&tx).len();
        self.by_sender.insert((signer, nonce), hash);
        self.by_priority.insert((std::cmp::Reverse(fee), seq, hash));
        self.entries.insert(hash, Entry { tx, size, seq });
        Ok(hash)
    }

    fn remove(&mut self, hash: &Hash) -> Option<Transaction> {
        let e = self.entries.remove(hash)?;
        self.by_sender.remove(&(e.tx.body.signer, e.tx.body.nonce));
        self.by_priority.remove(&(std::cmp::Reverse(e.tx.body.fee), e.seq, *hash));
        Some(e.tx)
    }

    /// Transactions for a block: highest fee first, each sender's in nonce order starting at its
    /// account nonce, within the count and byte limits.
    pub fn select(
        &self,
        max_count: usize,
        max_bytes: usize,
        account_nonce: impl Fn(&PublicKey) -> u64,
    ) -> Vec<Transaction> {
        let mut next_nonce: BTreeMap<PublicKey, u64> = BTreeMap::new();
        let mut chosen = Vec::new();
        let mut chosen_set: BTreeSet<Hash> = BTreeSet::new();
        let mut bytes = 0usize;
        // A sender's later nonces may sit above its earlier ones in fee order; passes repeat
        // until nothing more fits, so a gap closed in one pass is used in the next.
        loop {
            let mut progressed = false;
            for (_, _, hash) in &self.by_priority {
                if chosen.len() >= max_count {
                    return chosen;
                }
                if chosen_set.contains(hash) {
                    continue;
                }
                let Some(e) = self.entries.get(hash) else { continue };
                let signer = e.tx.body.signer;
                let expected = *next_nonce.entry(signer).or_insert_with(|| account_nonce(&signer));
                if e.tx.body.nonce != expected || bytes + e.size > max_bytes {
                    continue;
                }
                bytes += e.size;
                next_nonce.insert(signer, expected + 1);
                chosen_set.insert(*hash);
                chosen.push(e.tx.clone());
                progressed = true;
            }
            if !progressed {
                return chosen;
            }
        }
    }

    /// After a block commits: drops what it included and anything whose nonce is now used.
    pub fn prune(&mut self, account_nonce: impl Fn(&PublicKey) -> u64) {
        let stale: Vec<Hash> = self
            .by_sender
            .iter()
            .filter(|((signer, nonce), _)| *nonce < account_nonce(signer))
            .map(|(_, h)| *h)
            .collect();
        for h in stale {
            self.remove(&h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::ChainId;
    use protocol::keys::Keypair;
    use protocol::transaction::Payload;

    fn tx(seed: u8, nonce: u64, fee: u64) -> VerifiedTransaction {
        let chain = ChainId::new("tau-test").unwrap();
        let to = Keypair::from_seed(&[200; 32]).public();
        let tx = Transaction::sign(
            &Keypair::from_seed(&[seed; 32]),
            &chain,
            nonce,
            Rao(fee),
            Payload::Transfer { to, amount: Rao(1) },
        );
        VerifiedTransaction::verify(tx, &chain).unwrap()
    }

    #[test]
    fn orders_by_fee_and_keeps_nonce_order_per_sender() {
        let mut m = Mempool::new(100, Rao(1));
        m.insert(tx(1, 1, 50), 0).unwrap(); // nonce 1 pays more than nonce 0
        m.insert(tx(1, 0, 10), 0).unwrap();
        m.insert(tx(2, 0, 30), 0).unwrap();
        let picked = m.select(10, usize::MAX, |_| 0);
        let order: Vec<(u8, u64)> = picked
            .iter()
            .map(|t| {
                (
                    if t.body.signer == Keypair::from_seed(&[1; 32]).public() { 1 } else { 2 },
                    t.body.nonce,
                )
            })
            .collect();
        assert_eq!(order, vec![(2, 0), (1, 0), (1, 1)]);
        assert_eq!(m.select(2, usize::MAX, |_| 0).len(), 2);
    }

    #[test]
    fn rejects_duplicates_stale_nonces_gaps_and_low_fees() {
        let mut m = Mempool::new(100, Rao(5));
        let t = tx(1, 3, 10);
        m.insert(t.clone(), 3).unwrap();
        assert!(matches!(m.insert(t, 3), Err(MempoolError::Duplicate(_))));
        assert!(matches!(m.insert(tx(1, 2, 10), 3), Err(MempoolError::NonceTooLow { .. })));
        assert!(matches!(
            m.insert(tx(1, 3 + MAX_NONCE_GAP + 1, 10), 3),
            Err(MempoolError::NonceTooHigh { .. })
        ));
        assert!(matches!(m.insert(tx(2, 0, 4), 0), Err(MempoolError::FeeTooLow { .. })));
        assert!(matches!(m.insert(tx(1, 3, 10), 3), Err(MempoolError::Duplicate(_))));
        assert!(matches!(m.insert(tx(1, 3, 9), 3), Err(MempoolError::Underpriced)));
        m.insert(tx(1, 3, 11), 3).unwrap();
        assert_eq!(m.len(), 1, "replace-by-fee keeps one transaction per slot");
    }

    #[test]
    fn full_pool_evicts_the_cheapest_for_a_better_fee() {
        let mut m = Mempool::new(2, Rao(1));
        m.insert(tx(1, 0, 10), 0).unwrap();
        m.insert(tx(2, 0, 20), 0).unwrap();
        assert_eq!(m.insert(tx(3, 0, 5), 0), Err(MempoolError::Full));
        m.insert(tx(3, 0, 15), 0).unwrap();
        let fees: Vec<u64> = m.select(10, usize::MAX, |_| 0).iter().map(|t| t.body.fee.0).collect();
        assert_eq!(fees, vec![20, 15]);
    }

    #[test]
    fn prune_drops_used_nonces_and_byte_limit_is_respected() {
        let mut m = Mempool::new(100, Rao(1));
        for n in 0..5 {
            m.insert(tx(1, n, 10), 0).unwrap();
        }
        let one = codec::encode(tx(1, 0, 10).get()).len();
        assert_eq!(m.select(10, one * 2 + 1, |_| 0).len(), 2);
        m.prune(|_| 3);
        assert_eq!(m.len(), 2);
        assert_eq!(m.select(10, usize::MAX, |_| 3).len(), 2);
        assert!(m.select(10, usize::MAX, |_| 0).is_empty(), "nonce 0..2 are gone, 3 cannot start");
    }
}
