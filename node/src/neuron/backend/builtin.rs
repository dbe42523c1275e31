//! The built-in backend: the n-gram model answering `next-token` in-process.
//!
//! A prediction over a few hundred words takes microseconds, so it runs inline on the caller's
//! task rather than on a blocking thread; a much larger vocabulary would want `spawn_blocking`.

use std::sync::Arc;

use futures::future::{self, BoxFuture};
use protocol::wire::InferenceRequest;
use tokio::time::Instant;

use super::{Backend, BackendError};
use crate::neuron::next_token::{NAME, NextTokenResponse, NgramModel, wire};

pub struct NgramBackend {
    model: Arc<NgramModel>,
}

impl NgramBackend {
    pub fn new(model: Arc<NgramModel>) -> Self {
        NgramBackend { model }
    }

    /// Answers a `next-token` payload synchronously.
    pub fn answer_now(&self, request: &InferenceRequest) -> Result<Vec<u8>, BackendError> {
        if request.task != NAME {
            return Err(BackendError::WrongTask(request.task.clone()));
        }
        let query = wire::decode_request(&request.payload)
            .map_err(|e| BackendError::BadRequest(e.to_string()))?;
        let top = self.model.predict(&query.context, usize::from(query.k));
        Ok(wire::encode_response(&NextTokenResponse { top }))
    }
}

impl Backend for NgramBackend {
    fn answer<'a>(
        &'a self,
        request: &'a InferenceRequest,
        _deadline: Instant,
    ) -> BoxFuture<'a, Result<Vec<u8>, BackendError>> {
        Box::pin(future::ready(self.answer_now(request)))
    }

    fn describe(&self) -> String {
        format!("built-in {}", self.model.describe())
    }
}
