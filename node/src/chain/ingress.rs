//! The chain driver's mailbox and the events it publishes (blocks, transactions, gossip) for the
//! API's live stream.

use std::sync::Arc;

use protocol::transaction::Transaction;
use protocol::{ChainId, Hash, Height};
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::mempool::MempoolError;
use super::verified::{SignatureCache, VerifiedTransaction, verify_all};

#[derive(Clone, Debug, Serialize)]
pub struct ChainStatus {
    pub height: Height,
    pub block_hash: Hash,
    pub app_hash: Hash,
    pub round: Option<u32>,
    pub is_validator: bool,
    pub syncing: bool,
    pub best_seen_height: Height,
    pub mempool: usize,
}

/// What the driver tells the outside world as it happens. One event per block, with its
/// transactions' outcomes inside: a block of 10,000 transfers is one message on the channel,
/// not 10,001 that a slow subscriber would lag behind.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainEvent {
    Block {
        height: Height,
        hash: Hash,
        app_hash: Hash,
        transactions: usize,
        round: u32,
        /// In block order. Not serialised with the block: the live stream sends each as a
        /// `transaction` event of its own (see [`TransactionOutcome::event`]).
        #[serde(skip)]
        outcomes: Arc<[TransactionOutcome]>,
    },
}

/// What the ledger made of one included transaction.
#[derive(Clone, Debug, Serialize)]
pub struct TransactionOutcome {
    pub hash: Hash,
    pub ok: bool,
    pub error: Option<String>,
}

impl TransactionOutcome {
    /// The live stream's `transaction` event for this outcome at `height`.
    pub fn event(&self, height: Height) -> serde_json::Value {
        serde_json::json!({
            "kind": "transaction",
            "hash": self.hash,
            "height": height,
            "ok": self.ok,
            "error": self.error,
        })
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SubmitError {
    #[error("invalid signature: {0}")]
    Signature(String),
    #[error(transparent)]
    Mempool(#[from] MempoolError),
    #[error("the chain driver has stopped")]
    Stopped,
}

pub(super) enum ChainCommand {
    /// Signature-checked transactions from the API, admitted in order.
    Submit {
        txs: Vec<VerifiedTransaction>,
        reply: oneshot::Sender<Vec<Result<Hash, MempoolError>>>,
    },
    Status {
        reply: oneshot::Sender<ChainStatus>,
    },
}

/// Most transactions one batch submission may carry.
pub const MAX_BATCH: usize = 5_000;

#[derive(Clone)]
pub struct ChainHandle {
    pub(super) chain: ChainId,
    pub(super) signatures: Arc<SignatureCache>,
    pub(super) tx: mpsc::Sender<ChainCommand>,
    pub(super) events: broadcast::Sender<ChainEvent>,
}

impl ChainHandle {
    /// Checks and queues a signed transaction, and gossips it to the other nodes.
    pub async fn submit(&self, tx: Transaction) -> Result<Hash, SubmitError> {
        let verified = self
            .signatures
            .verify(tx, &self.chain)
            .map_err(|e| SubmitError::Signature(e.to_string()))?;
        let mut results = self.admit(vec![verified]).await?;
        results.pop().unwrap_or(Err(SubmitError::Stopped))
    }

    /// Submits many transactions in one round trip to the driver; one result per transaction,
    /// in order. Signatures are checked here, on every core, not in the driver.
    pub async fn submit_batch(
        &self,
        txs: Vec<Transaction>,
    ) -> Result<Vec<Result<Hash, SubmitError>>, SubmitError> {
        let mut results = Vec::with_capacity(txs.len());
        let mut verified = Vec::with_capacity(txs.len());
        let mut slots = Vec::with_capacity(txs.len());
        let checked =
            verify_all(txs, &self.chain, &self.signatures).await.ok_or(SubmitError::Stopped)?;
        for (slot, checked) in checked.into_iter().enumerate() {
            match checked {
                Ok(tx) => {
                    slots.push(slot);
                    verified.push(tx);
                    results.push(Err(SubmitError::Stopped)); // replaced below
                }
                Err(e) => results.push(Err(SubmitError::Signature(e.to_string()))),
            }
        }
        if !verified.is_empty() {
            for (slot, admitted) in slots.into_iter().zip(self.admit(verified).await?) {
                results[slot] = admitted;
            }
        }
        Ok(results)
    }

    async fn admit(
        &self,
        txs: Vec<VerifiedTransaction>,
    ) -> Result<Vec<Result<Hash, SubmitError>>, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(ChainCommand::Submit { txs, reply })
            .await
            .map_err(|_| SubmitError::Stopped)?;
        let admitted = rx.await.map_err(|_| SubmitError::Stopped)?;
        Ok(admitted.into_iter().map(|r| r.map_err(SubmitError::from)).collect())
    }

    pub async fn status(&self) -> Option<ChainStatus> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(ChainCommand::Status { reply }).await.ok()?;
        rx.await.ok()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ChainEvent> {
        self.events.subscribe()
    }
}
