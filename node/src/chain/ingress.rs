//! The chain driver's mailbox and the events it publishes (blocks, transactions, gossip) for the
//! API's live stream.

use protocol::transaction::Transaction;
use protocol::{Hash, Height};
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::mempool::MempoolError;

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

/// What the driver tells the outside world as it happens.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChainEvent {
    Block { height: Height, hash: Hash, app_hash: Hash, transactions: usize, round: u32 },
    Transaction { hash: Hash, height: Height, ok: bool, error: Option<String> },
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
    Submit { tx: Box<Transaction>, reply: oneshot::Sender<Result<Hash, SubmitError>> },
    SubmitBatch { txs: Vec<Transaction>, reply: oneshot::Sender<Vec<Result<Hash, SubmitError>>> },
    Status { reply: oneshot::Sender<ChainStatus> },
}

/// Most transactions one batch submission may carry.
pub const MAX_BATCH: usize = 5_000;

#[derive(Clone)]
pub struct ChainHandle {
    pub(super) tx: mpsc::Sender<ChainCommand>,
    pub(super) events: broadcast::Sender<ChainEvent>,
}

impl ChainHandle {
    /// Checks and queues a signed transaction, and gossips it to the other nodes.
    pub async fn submit(&self, tx: Transaction) -> Result<Hash, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(ChainCommand::Submit { tx: Box::new(tx), reply })
            .await
            .map_err(|_| SubmitError::Stopped)?;
        rx.await.unwrap_or(Err(SubmitError::Stopped))
    }

    /// Submits many transactions in one round trip to the driver; one result per transaction.
    pub async fn submit_batch(
        &self,
        txs: Vec<Transaction>,
    ) -> Result<Vec<Result<Hash, SubmitError>>, SubmitError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(ChainCommand::SubmitBatch { txs, reply })
            .await
            .map_err(|_| SubmitError::Stopped)?;
        rx.await.map_err(|_| SubmitError::Stopped)
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
