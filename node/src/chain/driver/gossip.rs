//! What the driver does with gossip: consensus messages go to the engine; transactions and weight
//! announcements, once the intake has checked their signatures, to the mempool.

use std::time::Instant;

use consensus::bft::{Ignored, Input};
use protocol::codec;
use protocol::transaction::{Payload, Transaction};
use protocol::wire::{ConsensusMessage, TransactionBatch, WeightAnnouncement};
use tracing::{debug, warn};

use super::{ChainDriver, ChainError, nonce_in};
use crate::chain::intake::CheckedGossip;
use crate::chain::mempool::MempoolError;
use crate::chain::state_reader::StoreReader;
use crate::p2p::{GossipMessage, InboundGossip, MessageAcceptance, TopicKind};

/// The gossip messages that carry `txs`: weight settings one by one on their subnet's weights
/// topic as announcements (ADR 009), everything else together in batches on the transaction
/// topic (ADR 010).
pub(super) fn gossip_forms(txs: Vec<Transaction>) -> Vec<(TopicKind, Vec<u8>)> {
    let mut forms = Vec::new();
    let mut others = Vec::new();
    for tx in txs {
        match &tx.body.payload {
            Payload::SetWeights { netuid, .. }
            | Payload::CommitWeights { netuid, .. }
            | Payload::RevealWeights { netuid, .. } => {
                let topic = TopicKind::Weights(*netuid);
                forms.push((topic, codec::encode(&WeightAnnouncement { transaction: tx })));
            }
            _ => others.push(tx),
        }
    }
    for batch in TransactionBatch::split(others) {
        forms.push((TopicKind::Transactions, codec::encode(&batch)));
    }
    forms
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
            // The network task sends these to the intake lane; one arriving here is misrouted.
            GossipMessage::Transactions(_) | GossipMessage::Weights(_) => {
                debug!(topic = topic.label(), "transaction gossip outside the intake; ignored");
                MessageAcceptance::Ignore
            }
        };
        self.net.validate(id, propagation_source, acceptance).await;
        Ok(())
    }

    /// Queues gossiped, signature-checked transactions. A message is forwarded when the mempool
    /// took any of its transactions. It costs its forwarder score when one of them is below the
    /// minimum fee (no honest node relays that), or when it brought nothing new and replays a
    /// transaction included long ago.
    pub(super) async fn on_checked_gossip(&mut self, batch: Vec<CheckedGossip>) {
        let store = self.store.clone();
        let reader = store.snapshot().map(StoreReader::new);
        let now = Instant::now();
        let mut queued = false;
        let mut verdicts = Vec::with_capacity(batch.len());
        for CheckedGossip { id, source, txs } in batch {
            let (mut took, mut below_fee, mut replayed) = (false, false, None);
            for tx in txs {
                let hash = tx.hash();
                let nonce = reader.as_ref().map_or(0, |r| nonce_in(r, &tx.get().body.signer));
                match self.mempool.insert(tx, nonce) {
                    Ok(_) => took = true,
                    Err(MempoolError::FeeTooLow { .. }) => below_fee = true,
                    // Long after its block: no honest relay sends that (replays.rs).
                    Err(MempoolError::NonceTooLow { .. }) => {
                        replayed = replayed.or(self.recent.replayed(&hash, now).map(|h| (hash, h)));
                    }
                    Err(_) => {}
                }
            }
            queued |= took;
            let replay = replayed.filter(|_| !took);
            if let Some((hash, height)) = replay
                && let Some(suppressed) = self.replay_log.admit()
            {
                warn!(peer = %source, %hash, included = height.0, suppressed, "replayed transaction");
            }
            let acceptance = match (below_fee || replay.is_some(), took) {
                (true, _) => MessageAcceptance::Reject,
                (false, true) => MessageAcceptance::Accept,
                (false, false) => MessageAcceptance::Ignore,
            };
            verdicts.push((id, source, acceptance));
        }
        drop(reader);
        for (id, source, acceptance) in verdicts {
            self.net.validate(id, source, acceptance).await;
        }
        if queued {
            self.propose_if_pending().await;
        }
    }

    /// Relays one of our transactions without waiting on the network task for each.
    pub(super) async fn gossip_transaction(&self, (topic, bytes): (TopicKind, Vec<u8>)) {
        if !self.net.publish_detached(topic, bytes).await {
            debug!(topic = topic.label(), "transaction not gossiped: the network task stopped");
        }
    }
}

/// How a consensus input the engine refused reflects on the peer that forwarded it.
fn acceptance_for(reason: &Ignored) -> MessageAcceptance {
    match reason {
        // Votes are relayed only by nodes that accepted them at the same height, which has the
        // same validator set everywhere: a non-validator's vote was forged or replayed.
        Ignored::NotAValidator { .. }
        | Ignored::BadSignature(_)
        | Ignored::InvalidProposal(_)
        | Ignored::WrongProposer { .. }
        | Ignored::InvalidPolRound { .. }
        | Ignored::InvalidCertificate(_) => MessageAcceptance::Reject,
        _ => MessageAcceptance::Ignore,
    }
}
