//! The three small traits a subnet author implements to add a task, in one file:
//!
//! - [`TaskCodec`]: the task's bytes. Encodes and decodes its request and response payloads (the
//!   `payload` of [`InferenceRequest`] / `InferenceResponse`) with bounded, typed-error decoding, and
//!   maps them to the JSON that `exec` and HTTP backends speak. A miner needs only this.
//! - [`Task`]: a codec plus what a validator needs: building a query (request + hidden truth) from a
//!   seeded RNG, and the [`Scorer`] that judges answers.
//! - [`Scorer`]: turns (truth, response) into a deterministic integer [`Loss`], names the `worst`
//!   loss given to garbage, errors and timeouts, and maps a mean loss to a non-negative merit from
//!   which weights are drawn.
//!
//! Miners and backends hold tasks type-erased as [`AnyCodec`], which every [`TaskCodec`] is.

use std::fmt;

use protocol::NetUid;
use protocol::codec::DecodeError;
use protocol::wire::InferenceRequest;
use rand::RngCore;
use serde_json::Value;

/// A task's verdict on one answer: a loss in the task's own fixed-point unit (for `next-token`,
/// micro-nats of cross-entropy). Lower is better; integers so every validator agrees bit for bit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loss(pub u32);

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a payload (from a miner, a caller or a JSON backend) was refused. Never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("invalid payload: {0}")]
    Invalid(String),
    #[error("invalid JSON: {0}")]
    Json(String),
}

impl PayloadError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        PayloadError::Invalid(msg.into())
    }
}

/// The bytes of a task: wire payloads and their JSON form for external backends.
pub trait TaskCodec: Send + Sync + 'static {
    type Request: Send;
    type Response: Send;

    /// The name subnets declare in their `task` hyperparameter (at most 32 bytes).
    fn name(&self) -> &str;

    fn encode_request(&self, request: &Self::Request) -> Vec<u8>;
    /// Decodes and validates untrusted bytes; bounded, never panics.
    fn decode_request(&self, bytes: &[u8]) -> Result<Self::Request, PayloadError>;
    fn encode_response(&self, response: &Self::Response) -> Vec<u8>;
    /// Decodes and validates a miner's answer; bounded, never panics.
    fn decode_response(&self, bytes: &[u8]) -> Result<Self::Response, PayloadError>;

    /// The `request` object sent to `exec` and HTTP backends.
    fn request_to_json(&self, request: &Self::Request) -> Value;
    /// Parses and validates the `response` object an external backend returned.
    fn response_from_json(&self, value: &Value) -> Result<Self::Response, PayloadError>;
}

/// A task as a validator runs it: a codec, a query generator and a scorer.
pub trait Task: TaskCodec {
    /// What the validator keeps back to score the answer (for `next-token`, the true next word).
    type Truth: Send;
    type Scorer: Scorer<Truth = Self::Truth, Response = Self::Response>;

    /// A fresh query and its hidden truth. Deterministic in `rng`, so a seed replays a run.
    fn query(&self, rng: &mut dyn RngCore) -> (Self::Request, Self::Truth);

    fn scorer(&self) -> &Self::Scorer;

    /// A ready-to-send request for `netuid` and the truth to score its answer with.
    fn make_request(
        &self,
        netuid: NetUid,
        deadline_ms: u32,
        rng: &mut dyn RngCore,
    ) -> (InferenceRequest, Self::Truth) {
        let (request, truth) = self.query(rng);
        let request = InferenceRequest {
            netuid,
            task: self.name().to_string(),
            payload: self.encode_request(&request),
            deadline_ms,
        };
        (request, truth)
    }

    /// Scores raw response bytes; anything that does not decode (or no answer at all) is `worst`.
    fn judge(&self, truth: &Self::Truth, payload: Option<&[u8]>) -> Loss {
        let scorer = self.scorer();
        match payload.map(|p| self.decode_response(p)) {
            Some(Ok(response)) => scorer.score(truth, &response).min(scorer.worst()),
            _ => scorer.worst(),
        }
    }
}

/// Judges answers of one task. Deterministic integer math only: its output decides weights.
pub trait Scorer: Send + Sync {
    type Truth;
    type Response;

    /// Loss of `response` given `truth`, at most [`Scorer::worst`].
    fn score(&self, truth: &Self::Truth, response: &Self::Response) -> Loss;

    /// The loss of garbage, errors, refusals and timeouts: no honest answer scores worse.
    fn worst(&self) -> Loss;

    /// A non-negative merit for a (mean) loss, non-increasing in the loss; weights are
    /// proportional to it. Zero for `worst`-like losses, so garbage earns (close to) nothing.
    fn merit(&self, mean: Loss) -> u64;
}

/// A type-erased [`TaskCodec`], for miners and backends that only move bytes and JSON.
pub trait AnyCodec: Send + Sync {
    fn name(&self) -> &str;
    /// Ok when the request payload decodes and validates.
    fn check_request(&self, payload: &[u8]) -> Result<(), PayloadError>;
    /// Ok when the response payload decodes and validates.
    fn check_response(&self, payload: &[u8]) -> Result<(), PayloadError>;
    fn request_json(&self, payload: &[u8]) -> Result<Value, PayloadError>;
    /// Validates an external backend's JSON answer and returns its wire payload.
    fn response_from_json(&self, value: &Value) -> Result<Vec<u8>, PayloadError>;
}

impl<T: TaskCodec> AnyCodec for T {
    fn name(&self) -> &str {
        TaskCodec::name(self)
    }

    fn check_request(&self, payload: &[u8]) -> Result<(), PayloadError> {
        self.decode_request(payload).map(drop)
    }

    fn check_response(&self, payload: &[u8]) -> Result<(), PayloadError> {
        self.decode_response(payload).map(drop)
    }

    fn request_json(&self, payload: &[u8]) -> Result<Value, PayloadError> {
        Ok(self.request_to_json(&self.decode_request(payload)?))
    }

    fn response_from_json(&self, value: &Value) -> Result<Vec<u8>, PayloadError> {
        let response = TaskCodec::response_from_json(self, value)?;
        Ok(self.encode_response(&response))
    }
}
