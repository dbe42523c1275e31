//! The transaction intake: gossiped transactions and weight announcements are checked here, in
//! batches spread over the cores, before the chain driver sees them. The driver's loop then
//! only does what needs its state (nonces, the mempool), so a flood of transactions never delays
//! a vote, and a node's signature checks use every core rather than the driver's one.

use libp2p::PeerId;
use protocol::ChainId;
use protocol::transaction::Transaction;
use tokio::sync::mpsc;
use tracing::debug;

use super::verified::{SignatureCache, VerifiedTransaction, verify_all};
use crate::p2p::{
    GossipMessage, InboundGossip, MessageAcceptance, MessageId, NetworkHandle, TopicKind,
    TransactionLane,
};

/// A gossip message whose transactions all verified, waiting for the mempool's verdict.
pub(super) struct CheckedGossip {
    pub id: MessageId,
    pub source: PeerId,
    pub txs: Vec<VerifiedTransaction>,
}

/// Most transactions checked in one round: enough to spread over the cores, few enough that
/// the first message is not held long. Messages are never split across rounds.
const ROUND: usize = 2048;
/// Most gossip messages taken in one round.
const MESSAGES: usize = 256;

/// Runs until the network's transaction lane or the driver closes. A message with any invalid
/// transaction is Rejected here (its forwarder loses score and the network task logs it);
/// the rest go to the driver in batches.
pub(super) async fn run(
    mut lane: TransactionLane,
    chain: ChainId,
    signatures: std::sync::Arc<SignatureCache>,
    net: NetworkHandle,
    driver: mpsc::Sender<Vec<CheckedGossip>>,
) {
    while let Some(first) = lane.recv().await {
        // Each message's transactions, as a range of `txs`.
        let mut origins = Vec::new();
        let mut txs = Vec::new();
        let mut next = Some(first);
        while let Some(gossip) = next.take() {
            let (id, source) = (gossip.id.clone(), gossip.propagation_source);
            match transactions_of(gossip) {
                Ok(carried) => {
                    origins.push((id, source, txs.len()..txs.len() + carried.len()));
                    txs.extend(carried);
                }
                Err(reason) => {
                    debug!(peer = %source, reason, "refusing gossiped transactions");
                    net.validate(id, source, MessageAcceptance::Reject).await;
                }
            }
            if txs.len() < ROUND && origins.len() < MESSAGES {
                next = lane.try_recv();
            }
        }
        // `None`: the runtime is shutting down.
        let Some(results) = verify_all(txs, &chain, &signatures).await else { return };
        let mut results = results.into_iter();
        let mut checked = Vec::with_capacity(origins.len());
        for (id, source, range) in origins {
            let verdicts: Vec<_> = results.by_ref().take(range.len()).collect();
            match verdicts.into_iter().collect::<Result<Vec<_>, _>>() {
                Ok(txs) => checked.push(CheckedGossip { id, source, txs }),
                Err(e) => {
                    debug!(peer = %source, error = %e, "gossiped transaction has a bad signature");
                    net.validate(id, source, MessageAcceptance::Reject).await;
                }
            }
        }
        if !checked.is_empty() && driver.send(checked).await.is_err() {
            return;
        }
    }
}

/// The transactions a gossip message carries, if it is on the right topic for them.
fn transactions_of(gossip: InboundGossip) -> Result<Vec<Transaction>, String> {
    match (gossip.topic, gossip.message) {
        (TopicKind::Transactions, GossipMessage::Transactions(batch)) => Ok(batch.transactions),
        (TopicKind::Weights(netuid), GossipMessage::Weights(announcement)) => {
            announcement.check_subnet(netuid).map_err(|e| e.to_string())?;
            Ok(vec![announcement.transaction])
        }
        (topic, _) => Err(format!("not transactions for topic {}", topic.label())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::p2p::TopicKind;
    use protocol::Rao;
    use protocol::keys::Keypair;
    use protocol::transaction::Payload;
    use protocol::wire::{TransactionBatch, WeightAnnouncement};

    fn gossip(n: u8, topic: TopicKind, message: GossipMessage) -> InboundGossip {
        let source = PeerId::random();
        InboundGossip {
            id: MessageId::from(vec![n]),
            propagation_source: source,
            topic,
            size: 100,
            message,
        }
    }

    fn batch(txs: Vec<Transaction>) -> GossipMessage {
        GossipMessage::Transactions(Box::new(TransactionBatch { transactions: txs }))
    }

    /// Messages are judged whole and in order: one that is on the wrong topic or carries a bad
    /// signature is Rejected, and the others reach the driver with exactly their transactions.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn invalid_messages_are_rejected_and_the_rest_keep_their_transactions() {
        let chain = ChainId::new("tau-intake").unwrap();
        let key = Keypair::from_seed(&[7; 32]);
        let tx = |nonce: u64| {
            let to = Keypair::from_seed(&[8; 32]).public();
            Transaction::sign(&key, &chain, nonce, Rao(1), Payload::Transfer { to, amount: Rao(1) })
        };
        let mut forged = tx(9);
        forged.signature.0[5] ^= 1;
        let not_weights = WeightAnnouncement { transaction: tx(10) };
        let messages = vec![
            gossip(1, TopicKind::Transactions, batch(vec![tx(0), tx(1)])),
            gossip(
                2,
                TopicKind::Weights(protocol::NetUid(1)),
                GossipMessage::Weights(Box::new(not_weights)),
            ),
            gossip(3, TopicKind::Transactions, batch(vec![tx(2), forged, tx(3)])),
            gossip(4, TopicKind::Transactions, batch(vec![tx(4)])),
        ];
        let (sender, lane) = TransactionLane::channel(16, 1 << 20);
        for m in messages {
            sender.try_send(m).unwrap();
        }
        let (net, mut verdicts) = NetworkHandle::recording();
        let (driver_tx, mut driver_rx) = mpsc::channel(4);
        let cache = std::sync::Arc::new(SignatureCache::default());
        let task = tokio::spawn(run(lane, chain.clone(), cache, net, driver_tx));

        let mut passed = Vec::new();
        while passed.len() < 2 {
            for c in driver_rx.recv().await.unwrap() {
                let nonces: Vec<u64> = c.txs.iter().map(|t| t.get().body.nonce).collect();
                passed.push((c.id.0[0], nonces));
            }
        }
        assert_eq!(passed, vec![(1, vec![0, 1]), (4, vec![4])]);
        let mut rejected = Vec::new();
        for _ in 0..2 {
            let (id, _, verdict) = verdicts.recv().await.unwrap();
            assert_eq!(verdict, MessageAcceptance::Reject);
            rejected.push(id.0[0]);
        }
        rejected.sort();
        assert_eq!(rejected, vec![2, 3]);
        drop(sender);
        task.await.unwrap();
    }
}
