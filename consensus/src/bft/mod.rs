//! Tendermint BFT (design.md §6) as a pure state machine: `(state, Input) → Vec<Effect>`.
//!
//! No tokio, no clock, no IO, no randomness: the host feeds [`Input`]s (network messages, fired
//! timers, answers to its own requests) into an [`Engine`] and carries out the returned
//! [`Effect`]s in order: persist the [`SafetyRecord`] before broadcasting, schedule timers,
//! build or validate blocks, apply decisions. Voting power is stake in integers, and every quorum
//! is an integer inequality ([`threshold`]). Proposers rotate by stake ([`proposer_priority`]).
//!
//! ```text
//!  host ──Input──▶ Engine::handle ──Vec<Effect>──▶ host
//!   StartHeight, Proposal, Vote,        PersistSafety, Broadcast, ScheduleTimeout,
//!   Commit, Timeout, ValueReady,        RequestValue, ValidateBlock, Decide, Evidence
//!   BlockVerdict                        (or Err(Ignored) with the reason)
//! ```
//!
//! `sim` (compiled for this crate's tests, or with the `sim` feature) is a seeded, deterministic
//! network simulator that runs many engines against partitions, crashes and Byzantine peers.

mod buffer;
mod certificate;
mod config;
mod effect;
mod engine;
mod ignored;
mod input;
pub mod proposer_priority;
mod round_state;
mod safety;
mod state_machine;
pub mod threshold;
mod validator_set;
mod verify;
pub mod vote_keeper;

#[cfg(any(test, feature = "sim"))]
pub mod sim;
#[cfg(test)]
mod tests;

pub use certificate::verify as verify_certificate;
pub use config::{EngineConfig, Timeouts};
pub use effect::Effect;
pub use engine::{Engine, Outcome};
pub use ignored::{CertificateError, Ignored};
pub use input::{Input, Timeout, TimeoutKind};
pub use proposer_priority::ProposerSchedule;
pub use safety::{Lock, LockProof, Permit, SafetyRecord, Signed, Step};
pub use validator_set::{Validator, ValidatorSet, ValidatorSetError};
pub use verify::{CachingVerifier, Ed25519Verifier, SignatureVerifier};
pub use vote_keeper::VoteKeeper;
