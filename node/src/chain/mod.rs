//! The chain driver: runs the BFT engine against the network, keeps the mempool, builds and
//! validates blocks, executes decided blocks on the ledger and commits them to storage.

mod blocks;
mod driver;
mod ingress;
pub mod mempool;
mod state_reader;
mod sync;
mod validator_sets;

pub use driver::{ChainConfig, ChainDriver, ChainError};
pub use ingress::{ChainEvent, ChainHandle, ChainStatus, MAX_BATCH, SubmitError};
pub use state_reader::StoreReader;
