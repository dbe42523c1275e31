//! The intelligence plane: miners serve a subnet's task through a backend, validators query them,
//! score the answers and turn the scores into weights.
//!
//! The shape, so a subnet author adds a task in one file:
//! - [`task`]: [`TaskCodec`] (the task's payloads and their JSON form) ⊂ [`Task`] (plus queries
//!   with a hidden truth) which owns a [`Scorer`] (integer loss, `worst` for garbage and
//!   timeouts, and the merit weights are drawn from). Miners see tasks as [`AnyCodec`].
//! - [`backend`]: [`Backend`]s answer payloads before a deadline: the built-in n-gram model,
//!   `exec` (JSON lines with a child program) and HTTP JSON.
//! - [`next_token`]: the built-in task, its seeded language, text corpora and n-gram model.
//! - [`miner`]: [`MinerService`] turns an inference request and its caller's stake into a
//!   response (task check, registration, `Busy` under load, stake priority via [`admission`],
//!   miner-side deadline).
//! - [`scores`] and [`weights`]: a validator's per-UID moving average of losses, and the
//!   conversion of merits to a u16 weight row within the subnet's limits.
//!
//! - [`runtime`]: the above wired to the chain and the network in a running node.
//!
//! Only [`runtime`] reads the chain: the rest gets callers' stakes through [`CallerPolicy`],
//! metagraph changes through [`ScoreBook::sync`], and limits through [`WeightLimits`].

pub mod admission;
pub mod backend;
mod fixed;
pub mod miner;
pub mod next_token;
pub mod runtime;
pub mod scores;
pub mod task;
pub mod weights;

pub use backend::{Backend, BackendError, ExecBackend, ExecConfig, HttpBackend, NgramBackend};
pub use miner::{CallerPolicy, CallerStake, MinerConfig, MinerService, MinerStats};
pub use next_token::{NextToken, NextTokenCodec, NextTokenConfig};
pub use scores::ScoreBook;
pub use task::{AnyCodec, Loss, PayloadError, Scorer, Task, TaskCodec};
pub use weights::{WeightError, WeightLimits, normalize};
