//! Messages that cross the network outside blocks: gossip payloads and request-response envelopes.

use serde::{Deserialize, Serialize};

use crate::block::{Block, MAX_BLOCK_BYTES};
use crate::codec::Encodable;
use crate::consensus::{CommitCertificate, Proposal, Vote};
use crate::ids::{ChainId, Height, NetUid};
use crate::keys::{PublicKey, SignatureError};
use crate::transaction::{MAX_TRANSACTION_BYTES, Payload, Transaction};

/// A validator's weights on a subnet, gossiped on `tau/<chain>/weights/<netuid>`: a signed
/// `SetWeights`, `CommitWeights` or `RevealWeights` transaction. Being a transaction, it is exactly
/// what a proposer includes in a block, so a weight setting needs no second signature, and under
/// commit-reveal only the commitment travels until the reveal (ADR 009).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightAnnouncement {
    pub transaction: Transaction,
}

impl Encodable for WeightAnnouncement {
    const NAME: &'static str = "weight announcement";
    const MAX_LEN: usize = crate::transaction::MAX_TRANSACTION_BYTES;
}

/// Everything on the `tau/<chain>/tx` topic: signed transactions relayed together. A node
/// publishes the transactions it admitted from one submission as one message, so thousands of
/// transfers a second cost gossip a few dozen messages instead of thousands (ADR 010). Each
/// transaction is checked on its own; a batch is only a way to carry them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionBatch {
    pub transactions: Vec<Transaction>,
}

/// Most transactions one [`TransactionBatch`] may carry.
pub const MAX_BATCH_TRANSACTIONS: usize = 1024;

impl Encodable for TransactionBatch {
    const NAME: &'static str = "transaction batch";
    const MAX_LEN: usize = 1024 * 1024;
}

/// Why a transaction batch is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("a transaction batch must carry at least one transaction")]
    Empty,
    #[error("a transaction batch carries {0} transactions; the limit is {MAX_BATCH_TRANSACTIONS}")]
    TooMany(usize),
    #[error(
        "transaction {index} of the batch is {size} bytes; the limit is {MAX_TRANSACTION_BYTES}"
    )]
    Oversized { index: usize, size: usize },
    #[error("transaction {0} of the batch appears twice")]
    Repeated(usize),
}

impl TransactionBatch {
    /// Splits `transactions` into batches of at most [`MAX_BATCH_TRANSACTIONS`] that also fit
    /// [`TransactionBatch::MAX_LEN`] bytes.
    pub fn split(transactions: Vec<Transaction>) -> Vec<TransactionBatch> {
        let mut out = Vec::new();
        let mut current = Vec::new();
        let mut bytes = 16; // the length prefix and some slack
        for tx in transactions {
            let size = crate::codec::encode(&tx).len();
            if !current.is_empty()
                && (current.len() == MAX_BATCH_TRANSACTIONS || bytes + size > Self::MAX_LEN)
            {
                out.push(TransactionBatch { transactions: std::mem::take(&mut current) });
                bytes = 16;
            }
            bytes += size;
            current.push(tx);
        }
        if !current.is_empty() {
            out.push(TransactionBatch { transactions: current });
        }
        out
    }

    /// What a decoded batch must meet beyond the decoder's byte limit: 1 to
    /// [`MAX_BATCH_TRANSACTIONS`] transactions, each within a lone transaction's size limit, none
    /// twice (a copy would cost every receiver a signature check for nothing).
    pub fn check_shape(&self) -> Result<(), BatchError> {
        match self.transactions.len() {
            0 => return Err(BatchError::Empty),
            n if n > MAX_BATCH_TRANSACTIONS => return Err(BatchError::TooMany(n)),
            _ => {}
        }
        let mut seen = std::collections::BTreeSet::new();
        for (index, tx) in self.transactions.iter().enumerate() {
            let size = crate::codec::encode(tx).len();
            if size > MAX_TRANSACTION_BYTES {
                return Err(BatchError::Oversized { index, size });
            }
            // Two distinct transactions never share a signature (it covers the whole body).
            if !seen.insert(tx.signature.0) {
                return Err(BatchError::Repeated(index));
            }
        }
        Ok(())
    }
}

/// Why a weight announcement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnnouncementError {
    #[error("a weight announcement must carry SetWeights, CommitWeights or RevealWeights")]
    NotWeights,
    #[error("announcement for subnet {found} on the topic of subnet {topic}")]
    WrongSubnet { topic: NetUid, found: NetUid },
    #[error(transparent)]
    Signature(#[from] SignatureError),
}

impl WeightAnnouncement {
    /// Wraps a weights transaction; any other payload is refused.
    pub fn new(transaction: Transaction) -> Result<Self, AnnouncementError> {
        let announcement = WeightAnnouncement { transaction };
        announcement.netuid().ok_or(AnnouncementError::NotWeights)?;
        Ok(announcement)
    }

    /// The subnet the weights are for; `None` when the payload is not a weights payload.
    pub fn netuid(&self) -> Option<NetUid> {
        match &self.transaction.body.payload {
            Payload::SetWeights { netuid, .. }
            | Payload::CommitWeights { netuid, .. }
            | Payload::RevealWeights { netuid, .. } => Some(*netuid),
            _ => None,
        }
    }

    /// The validator's hotkey (the transaction's signer).
    pub fn hotkey(&self) -> PublicKey {
        self.transaction.body.signer
    }

    /// Everything a gossip validator checks without state: a weights payload for `topic`'s
    /// subnet, signed by its signer for this chain.
    pub fn check(&self, chain: &ChainId, topic: NetUid) -> Result<(), AnnouncementError> {
        self.check_subnet(topic)?;
        self.transaction.verify(chain)?;
        Ok(())
    }

    /// The part of [`WeightAnnouncement::check`] before the signature: a weights payload for
    /// `topic`'s subnet. For callers that verify signatures in bulk elsewhere.
    pub fn check_subnet(&self, topic: NetUid) -> Result<(), AnnouncementError> {
        let found = self.netuid().ok_or(AnnouncementError::NotWeights)?;
        if found != topic {
            return Err(AnnouncementError::WrongSubnet { topic, found });
        }
        Ok(())
    }
}

/// Everything on the `tau/<chain>/consensus` topic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsensusMessage {
    /// Boxed: a proposal carries a whole block, the other variants are small.
    Proposal(Box<Proposal>),
    Vote(Vote),
    /// A decided height's certificate, so laggards can catch up without a sync round trip.
    Commit(CommitCertificate),
}

impl Encodable for ConsensusMessage {
    const NAME: &'static str = "consensus message";
    const MAX_LEN: usize = MAX_BLOCK_BYTES + 2048;
}

/// Most bytes of an inference payload, either way.
pub const MAX_INFERENCE_PAYLOAD: usize = 1024 * 1024;
/// Longest task name in a request.
pub const MAX_TASK_LEN: usize = crate::hyperparams::MAX_TASK_NAME_LEN;

/// A query to a miner on `/tau/infer/1`. The caller is the Noise-authenticated peer (its hotkey).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InferenceRequest {
    pub netuid: NetUid,
    pub task: String,
    /// Task-defined bytes (for `next-token`, the context window).
    pub payload: Vec<u8>,
    /// How long the caller will wait, in ms from sending; the miner gives up after it too.
    pub deadline_ms: u32,
}

impl Encodable for InferenceRequest {
    const NAME: &'static str = "inference request";
    const MAX_LEN: usize = MAX_INFERENCE_PAYLOAD + 128;
}

/// How a miner answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InferenceStatus {
    Ok,
    /// At its concurrency limit; try later or elsewhere.
    Busy,
    /// The subnet requires registered callers and the caller is not one.
    Unregistered,
    /// The miner does not serve this subnet or task.
    WrongTask,
    BadRequest,
    /// The deadline passed before the model answered.
    Timeout,
    /// The model failed.
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InferenceResponse {
    pub status: InferenceStatus,
    pub payload: Vec<u8>,
    /// Time the miner spent on the request, in µs.
    pub server_time_us: u64,
}

impl Encodable for InferenceResponse {
    const NAME: &'static str = "inference response";
    const MAX_LEN: usize = MAX_INFERENCE_PAYLOAD + 64;
}

/// Most blocks one sync response may carry.
pub const MAX_SYNC_BLOCKS: u64 = 64;

/// A request on `/tau/sync/1` for finalised blocks `from..=to` (at most [`MAX_SYNC_BLOCKS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    pub from: Height,
    pub to: Height,
}

impl Encodable for SyncRequest {
    const NAME: &'static str = "sync request";
    const MAX_LEN: usize = 16;
}

/// A finalised block with the certificate that finalised it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertifiedBlock {
    pub block: Block,
    pub certificate: CommitCertificate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// Consecutive blocks from the requested start; fewer than asked when the peer has fewer or
    /// the response would pass its size limit.
    pub blocks: Vec<CertifiedBlock>,
    /// The responder's latest finalised height, so the requester knows how far to go.
    pub tip: Height,
}

impl Encodable for SyncResponse {
    const NAME: &'static str = "sync response";
    const MAX_LEN: usize = crate::codec::MAX_ENCODED_LEN;
}

#[cfg(test)]
mod batch_tests {
    use super::*;
    use crate::ids::ChainId;
    use crate::keys::Keypair;
    use crate::{Rao, codec};

    fn transfer(nonce: u64) -> Transaction {
        let chain = ChainId::new("tau-test").unwrap();
        let to = Keypair::from_seed(&[2; 32]).public();
        Transaction::sign(
            &Keypair::from_seed(&[1; 32]),
            &chain,
            nonce,
            Rao(1),
            Payload::Transfer { to, amount: Rao(5) },
        )
    }

    #[test]
    fn split_respects_the_count_and_keeps_order() {
        let txs: Vec<Transaction> = (0..2500).map(transfer).collect();
        let batches = TransactionBatch::split(txs.clone());
        assert_eq!(
            batches.iter().map(|b| b.transactions.len()).collect::<Vec<_>>(),
            vec![1024, 1024, 452]
        );
        let back: Vec<Transaction> = batches.iter().flat_map(|b| b.transactions.clone()).collect();
        assert_eq!(back, txs);
        for b in &batches {
            b.check_shape().unwrap();
            assert!(codec::encode(b).len() <= TransactionBatch::MAX_LEN);
            assert_eq!(codec::decode::<TransactionBatch>(&codec::encode(b)).unwrap(), *b);
        }
        assert!(TransactionBatch::split(Vec::new()).is_empty());
    }

    #[test]
    fn shape_refuses_empty_and_oversized_batches() {
        assert_eq!(TransactionBatch { transactions: vec![] }.check_shape(), Err(BatchError::Empty));
        let many = TransactionBatch { transactions: vec![transfer(0); MAX_BATCH_TRANSACTIONS + 1] };
        assert_eq!(many.check_shape(), Err(BatchError::TooMany(MAX_BATCH_TRANSACTIONS + 1)));
        let twice = TransactionBatch { transactions: vec![transfer(0), transfer(1), transfer(0)] };
        assert_eq!(twice.check_shape(), Err(BatchError::Repeated(2)));
        let endpoints = (0..8000u16)
            .map(|i| format!("/ip4/10.0.{}.{}/tcp/{}", i / 256, i % 256, 1000 + i))
            .map(|a| a.parse().unwrap())
            .collect();
        let chain = ChainId::new("tau-test").unwrap();
        let big = Transaction::sign(
            &Keypair::from_seed(&[3; 32]),
            &chain,
            0,
            Rao(1),
            Payload::ServeEndpoint { netuid: crate::ids::NetUid(1), endpoints },
        );
        assert!(codec::encode(&big).len() > MAX_TRANSACTION_BYTES);
        let oversized = TransactionBatch { transactions: vec![transfer(0), big] };
        assert!(matches!(oversized.check_shape(), Err(BatchError::Oversized { index: 1, .. })));
    }
}
