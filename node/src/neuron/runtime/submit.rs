//! Signing and sending a neuron's transactions, and learning what the ledger made of them: a
//! weight setting or registration the ledger refuses must be reported, never lost.

use std::sync::Arc;
use std::time::Duration;

use consensus::ledger::query;
use protocol::keys::Keypair;
use protocol::transaction::{Payload, Transaction};
use protocol::{ChainId, Hash, Height, PublicKey, Rao};
use storage::Store;
use tokio::sync::broadcast::error::RecvError;

use crate::chain::{ChainEvent, ChainHandle, StoreReader, SubmitError};

/// How a transaction fared.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TxFailure {
    #[error("not accepted by the node: {0}")]
    Submit(#[from] SubmitError),
    #[error("included at block {height} but refused by the ledger: {reason}")]
    Refused { height: Height, reason: String },
    #[error("not included within {0:?}")]
    NotIncluded(Duration),
    #[error("cannot read the chain: {0}")]
    Read(String),
}

/// Reads the chain and sends transactions for one node's keys.
#[derive(Clone)]
pub struct ChainAccess {
    pub chain: ChainHandle,
    pub store: Arc<dyn Store>,
    pub chain_id: ChainId,
    pub fee: Rao,
}

impl ChainAccess {
    /// Runs `f` over a consistent snapshot of the latest committed state.
    pub fn read<T>(
        &self,
        f: impl FnOnce(&StoreReader<'_>) -> Result<T, consensus::ledger::LedgerError>,
    ) -> Result<T, TxFailure> {
        let reader =
            StoreReader::new(self.store.snapshot().map_err(|e| TxFailure::Read(e.to_string()))?);
        let out = f(&reader).map_err(|e| TxFailure::Read(e.to_string()));
        match reader.take_error() {
            Some(e) => Err(TxFailure::Read(e.to_string())),
            None => out,
        }
    }

    pub fn nonce(&self, who: &PublicKey) -> Result<u64, TxFailure> {
        self.read(|r| query::account(r, who).map(|a| a.nonce))
    }

    /// Signs `payload` with `key` at its next nonce, submits it and waits until a committed block
    /// carries it. One transaction per key at a time: the nonce is the committed one.
    pub async fn send(
        &self,
        key: &Keypair,
        payload: Payload,
        wait: Duration,
    ) -> Result<Height, TxFailure> {
        let mut events = self.chain.subscribe();
        let nonce = self.nonce(&key.public())?;
        let tx = Transaction::sign(key, &self.chain_id, nonce, self.fee, payload);
        let hash = self.chain.submit(tx).await?;
        wait_for(&mut events, hash, wait).await
    }
}

async fn wait_for(
    events: &mut tokio::sync::broadcast::Receiver<ChainEvent>,
    hash: Hash,
    wait: Duration,
) -> Result<Height, TxFailure> {
    let outcome = tokio::time::timeout(wait, async {
        loop {
            match events.recv().await {
                Ok(ChainEvent::Block { height, outcomes, .. }) => {
                    let Some(o) = outcomes.iter().find(|o| o.hash == hash) else { continue };
                    return if o.ok {
                        Ok(height)
                    } else {
                        Err(TxFailure::Refused {
                            height,
                            reason: o.error.clone().unwrap_or_else(|| "unknown".into()),
                        })
                    };
                }
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return Err(TxFailure::NotIncluded(wait)),
            }
        }
    })
    .await;
    outcome.unwrap_or(Err(TxFailure::NotIncluded(wait)))
}
