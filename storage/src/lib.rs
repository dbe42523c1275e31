//! tau's local persistence: finalised blocks with their commit certificates, the key-value state
//! with its per-height commitment (app hash), the BFT engine's safety record, and the node's small
//! metadata.
//!
//! - [`Store`] is the contract, object safe so the node holds an `Arc<dyn Store>`.
//! - [`RocksStore`] keeps it on disk: one column family per record kind ([`keys`]), and one synced
//!   RocksDB `WriteBatch` per block, so a crash leaves every height whole or absent.
//! - [`MemoryStore`] is its in-memory twin for tests of other crates, with the same checks and the
//!   same atomicity.
//! - [`verify_chain`] audits a store end to end (used by the crash test; fit for an operator tool).
//!
//! A store refuses to commit what would corrupt the chain (a height out of order, a broken parent
//! link, an app hash that does not follow from the write-set): those checks live in one place,
//! `rules`, so both stores refuse the same things. Every record read back is decoded through the
//! bounded codec into a typed [`StoreError`] that names the record; nothing read from disk panics.
//!
//! Typical use by the node:
//! ```no_run
//! # use storage::{RocksStore, Store};
//! # fn run(genesis: &protocol::Genesis, genesis_state: &protocol::state::WriteSet)
//! #     -> Result<(), storage::StoreError> {
//! let store = RocksStore::open("data/chain")?;
//! store.init_genesis(&genesis.chain_id, genesis.hash(), genesis_state)?; // refuses another chain
//! let tip = store.tip()?; // resume consensus at tip.height + 1
//! # let _ = tip; Ok(()) }
//! ```

mod error;
pub mod keys;
mod memory;
mod records;
mod rocks;
mod rules;
mod store;
mod verify;

pub use error::StoreError;
pub use memory::MemoryStore;
pub use rocks::RocksStore;
pub use rules::MAX_WRITE_SET_BYTES;
pub use store::{BlockCommit, ChainTip, GenesisInfo, StateEntries, StateView, Store};
pub use verify::verify_chain;
