//! Backends: what actually answers a miner's requests. A [`Backend`] turns a request payload into
//! a response payload before a deadline.
//!
//! - [`builtin`]: the in-process n-gram model for `next-token`.
//! - [`exec`]: a child program speaking JSON lines on stdin/stdout (any language).
//! - [`http`]: a JSON endpoint over plain HTTP.
//!
//! The JSON that `exec` and `http` speak is the same; [`exec`]'s docs describe it.

pub mod builtin;
pub mod exec;
pub mod http;
mod json;

use futures::future::BoxFuture;
use protocol::wire::InferenceRequest;
use tokio::time::Instant;

pub use builtin::NgramBackend;
pub use exec::{ExecBackend, ExecConfig};
pub use http::HttpBackend;

/// Why a backend produced no answer. The miner reports all of these as `Error`, except
/// `Timeout`, which it reports as `Timeout`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    #[error("the backend missed the deadline")]
    Timeout,
    #[error("the backend does not serve task {0:?}")]
    WrongTask(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("the backend answered garbage: {0}")]
    Garbage(String),
    #[error("the backend reported an error: {0}")]
    Model(String),
    #[error("backend I/O failed: {0}")]
    Io(String),
}

/// Answers task payloads. Implementations enforce `deadline` themselves where they can (and clean
/// up: kill a stuck child, drop a connection); the miner also cuts them off at the deadline, so
/// the future must be safe to drop at any await point.
pub trait Backend: Send + Sync {
    fn answer<'a>(
        &'a self,
        request: &'a InferenceRequest,
        deadline: Instant,
    ) -> BoxFuture<'a, Result<Vec<u8>, BackendError>>;

    /// A one-line description for logs and status.
    fn describe(&self) -> String;

    /// Most requests the backend can usefully work on at once, if limited. The miner admits no
    /// more, so the rest wait in its stake-ordered queue rather than in the backend.
    fn concurrency(&self) -> Option<usize> {
        None
    }
}
