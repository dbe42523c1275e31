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

/// A gossiped transaction whose signature verified, waiting for the mempool's verdict.
pub(super) struct CheckedGossip {
    pub id: MessageId,
    pub source: PeerId,
    pub tx: VerifiedTransaction,
}

/// Most gossip messages checked in one batch: large enough to spread over the cores, small
/// enough that the first of them is not held long.
const BATCH: usize = 512;

/// Runs until the network's transaction lane or the driver closes. Invalid messages are
/// Rejected here (their forwarder loses score, and the network task logs it); valid ones go to
/// the driver in batches.
pub(super) async fn run(
    mut lane: mpsc::Receiver<InboundGossip>,
    chain: ChainId,
    net: NetworkHandle,
    driver: mpsc::Sender<Vec<CheckedGossip>>,
) {
    let mut inbound = Vec::with_capacity(BATCH);
    while lane.recv_many(&mut inbound, BATCH).await > 0 {
        let mut origins = Vec::with_capacity(inbound.len());
        let mut txs = Vec::with_capacity(inbound.len());
        for gossip in inbound.drain(..) {
            let (id, source) = (gossip.id.clone(), gossip.propagation_source);
            match transaction_of(gossip) {
                Ok(tx) => {
                    origins.push((id, source));
                    txs.push(tx);
                }
                Err(reason) => {
                    debug!(peer = %source, reason, "refusing gossiped transaction");
                    net.validate(id, source, MessageAcceptance::Reject).await;
                }
            }
        }
        let mut checked = Vec::with_capacity(txs.len());
        for ((id, source), result) in origins.into_iter().zip(verify_all(txs, &chain).await) {
            match result {
                Ok(tx) => checked.push(CheckedGossip { id, source, tx }),
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

/// The transaction a gossip message carries, if it is on the right topic for it.
fn transaction_of(gossip: InboundGossip) -> Result<Transaction, String> {
    match (gossip.topic, gossip.message) {
        (TopicKind::Transactions, GossipMessage::Transaction(tx)) => Ok(*tx),
        (TopicKind::Weights(netuid), GossipMessage::Weights(announcement)) => {
            announcement.check_subnet(netuid).map_err(|e| e.to_string())?;
            Ok(announcement.transaction)
        }
        (topic, _) => Err(format!("not a transaction for topic {}", topic.label())),
    }
}
