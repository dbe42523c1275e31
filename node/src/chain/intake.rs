//! The transaction intake: gossiped transactions and weight announcements are checked here, in
//! batches spread over the cores, before the chain driver sees them. The driver's loop then
//! only does what needs its state (nonces, the mempool), so a flood of transactions never delays
//! a vote, and a node's signature checks use every core rather than the driver's one.

use libp2p::PeerId;
use protocol::ChainId;
use protocol::transaction::Transaction;
use tokio::sync::mpsc;
use tracing::debug;

use super::verified::{VerifiedTransaction, verify_all};
use crate::p2p::{
    GossipMessage, InboundGossip, MessageAcceptance, MessageId, NetworkHandle, TopicKind,
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
    mut lane: mpsc::Receiver<InboundGossip>,
    chain: ChainId,
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
                next = lane.try_recv().ok();
            }
        }
        let mut results = verify_all(txs, &chain).await.into_iter();
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
