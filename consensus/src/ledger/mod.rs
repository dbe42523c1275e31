//! The ledger's state machine (issue #4): accounts, subnets, registration, dynamic-TAO pools and
//! stake, emission, Yuma epochs and their payout, weights, and the ledger validator set.
//!
//! Pure and deterministic: it reads a key-value [`StateReader`] through an [`Overlay`] and returns
//! a [`protocol::state::WriteSet`]; no IO, no clock, no floats, integer money with checked
//! arithmetic. [`Ledger::genesis`] builds the first state; [`Ledger::execute_block`] runs one block
//! (see `execute.rs` for the pipeline and the transaction envelope rule); [`query`] serves the API.
//! Formulas follow shared/economics.md (cited by section); where tau differs from subtensor,
//! docs/adr/006-ledger-departures-from-subtensor.md says how and why.

mod accounts;
mod emission;
mod epoch;
mod error;
mod events;
mod execute;
mod genesis;
pub mod keys;
mod pool;
pub mod query;
pub mod records;
mod registration;
mod staking;
mod state;
mod subnets;
mod validators;
mod weights;

#[cfg(test)]
mod tests;

pub use emission::{block_emission, emission_for_issuance};
pub use epoch::{Loaded, load_epoch_input, run_subnet_epoch};
pub use error::{LedgerError, TxError};
pub use events::Event;
pub use execute::{BlockContext, BlockOutcome, Env, execute_block};
pub use pool::{Quote, quote, spot_price};
pub use state::{MemState, Overlay, StateReader};
pub use subnets::validate_hyperparameters;
pub use validators::{JAIL_BLOCKS, SLASH_PER_MILLE, ValidatorSetChange};
pub use weights::{epoch_due, epoch_index};

use protocol::state::WriteSet;
use protocol::{Genesis, Transaction};

/// Entry points of the state machine.
pub struct Ledger;

impl Ledger {
    /// The write-set of the genesis state (apply it to an empty store).
    pub fn genesis(genesis: &Genesis) -> Result<WriteSet, LedgerError> {
        genesis::genesis(genesis)
    }

    /// Executes one block over the state left by the previous one.
    pub fn execute_block(
        state: &dyn StateReader,
        ctx: &BlockContext,
        txs: &[Transaction],
    ) -> Result<BlockOutcome, LedgerError> {
        execute::execute_block(state, ctx, txs)
    }
}
