//! The chain driver: runs the BFT engine against the network, keeps the mempool, builds and
//! validates blocks, executes decided blocks on the ledger and commits them to storage.

mod blocks;
mod driver;
mod ingress;
mod intake;
pub mod mempool;
mod replays;
mod state_reader;
mod sync;
mod validator_sets;
pub mod verified;

pub use driver::{ChainConfig, ChainDriver, ChainError};
pub use ingress::{
    ChainEvent, ChainHandle, ChainStatus, MAX_BATCH, SubmitError, TransactionOutcome,
};
pub use state_reader::StoreReader;
