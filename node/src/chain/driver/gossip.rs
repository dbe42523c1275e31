//! What the driver does with gossip: consensus messages go to the engine, transactions and weight
//! announcements to the mempool.

use consensus::bft::{Ignored, Input};
use protocol::codec;
use protocol::transaction::{Payload, Transaction};
use protocol::wire::{ConsensusMessage, WeightAnnouncement};
use tracing::debug;

use super::{ChainDriver, ChainError};
use crate::chain::mempool::MempoolError;
use crate::p2p::{GossipMessage, InboundGossip, MessageAcceptance, TopicKind};

/// The topic a transaction travels on and its bytes there: weight settings go to their subnet's
/// weights topic as announcements (ADR 009), everything else to the transaction topic.
pub(super) fn gossip_form(tx: &Transaction) -> (TopicKind, Vec<u8>) {
    match &tx.body.payload {
        Payload::SetWeights { netuid, .. }
        | Payload::CommitWeights { netuid, .. }
        | Payload::RevealWeights { netuid, .. } => {
            let announcement = WeightAnnouncement { transaction: tx.clone() };
            (TopicKind::Weights(*netuid), codec::encode(&announcement))
        }
        _ => (TopicKind::Transactions, codec::encode(tx)),
    }
}

impl ChainDriver {
    pub(super) async fn on_gossip(&mut self, g: InboundGossip) -> Result<(), ChainError> {
        let InboundGossip { id, propagation_source, message, topic, .. } = g;
        let acceptance = match message {
            GossipMessage::Consensus(msg) => {
                if let ConsensusMessage::Commit(c) = &msg {
                    self.sync.seen(c.height);
                }
                let proposal = match &msg {
                    ConsensusMessage::Proposal(p) => Some((p.body.block_hash, p.block.clone())),
                    _ => None,
                };
                match self.engine.handle(Input::from(msg)) {
                    Ok(effects) => {
                        if let Some((h, b)) = proposal {
                            self.proposals.insert(h, b);
                        }
                        self.net.validate(id, propagation_source, MessageAcceptance::Accept).await;
                        for effect in effects {
                            if let Some(next) = self.apply(effect).await? {
                                self.drive(next).await?;
                            }
                        }
                        return Ok(());
                    }
                    Err(reason) => {
                        if let Ignored::Buffered { theirs, .. }
                        | Ignored::TooFarAhead { theirs, .. } = &reason
                        {
                            self.sync.seen(*theirs);
                        }
                        acceptance_for(&reason)
                    }
                }
            }
            GossipMessage::Transaction(tx) => match tx.verify(&self.chain) {
                Err(_) => MessageAcceptance::Reject,
                Ok(()) => self.queue_gossiped(*tx).await,
            },
            GossipMessage::Weights(announcement) => {
                let TopicKind::Weights(netuid) = topic else {
                    self.net.validate(id, propagation_source, MessageAcceptance::Reject).await;
                    return Ok(());
                };
                match announcement.check(&self.chain, netuid) {
                    Err(e) => {
                        debug!(error = %e, peer = %propagation_source, "weight announcement refused");
                        MessageAcceptance::Reject
                    }
                    Ok(()) => self.queue_gossiped(announcement.transaction).await,
                }
            }
        };
        self.net.validate(id, propagation_source, acceptance).await;
        Ok(())
    }

    /// Queues a gossiped, signature-checked transaction; what the mempool thinks of it decides
    /// whether gossipsub forwards it.
    async fn queue_gossiped(&mut self, tx: Transaction) -> MessageAcceptance {
        let nonce = self.account_nonce(&tx.body.signer);
        match self.mempool.insert(tx, nonce) {
            Ok(_) => {
                self.propose_if_pending().await;
                MessageAcceptance::Accept
            }
            Err(MempoolError::FeeTooLow { .. }) => MessageAcceptance::Reject,
            Err(_) => MessageAcceptance::Ignore,
        }
    }

    pub(super) async fn gossip_transaction(&self, (topic, bytes): (TopicKind, Vec<u8>)) {
        if let Err(e) = self.net.publish(topic, bytes).await {
            debug!(error = %e, topic = topic.label(), "transaction not gossiped (no peers yet?)");
        }
    }
}

/// How a consensus input the engine refused reflects on the peer that forwarded it.
fn acceptance_for(reason: &Ignored) -> MessageAcceptance {
    match reason {
        Ignored::BadSignature(_)
        | Ignored::InvalidProposal(_)
        | Ignored::WrongProposer { .. }
        | Ignored::InvalidPolRound { .. }
        | Ignored::InvalidCertificate(_) => MessageAcceptance::Reject,
        _ => MessageAcceptance::Ignore,
    }
}
