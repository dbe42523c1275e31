//! The HTTP backend: each request is POSTed as the JSON envelope of [`super::exec`] (one object,
//! no trailing newline needed) to a plain-`http` URL; the reply body is the same reply object
//! (`id` optional here). Non-2xx statuses, bodies over the limit and late replies are errors; the
//! deadline covers connecting, sending and reading the whole body. Connections are pooled.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::future::BoxFuture;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::{Method, Request, Uri, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use protocol::wire::InferenceRequest;
use tokio::time::{Instant, timeout_at};

use super::{Backend, BackendError, json};
use crate::neuron::task::AnyCodec;

/// Default cap on a reply body.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpConfigError {
    #[error("invalid backend URL {0:?}: {1}")]
    BadUrl(String, String),
    #[error(
        "backend URL {0:?} must start with http:// (TLS is not supported; put a local proxy in front)"
    )]
    NotHttp(String),
}

pub struct HttpBackend {
    uri: Uri,
    client: Client<HttpConnector, Full<Bytes>>,
    codec: Arc<dyn AnyCodec>,
    max_body_bytes: usize,
    next_id: AtomicU64,
}

impl HttpBackend {
    pub fn new(url: &str, codec: Arc<dyn AnyCodec>) -> Result<Self, HttpConfigError> {
        let uri: Uri = url.parse().map_err(|e: hyper::http::uri::InvalidUri| {
            HttpConfigError::BadUrl(url.to_string(), e.to_string())
        })?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(HttpConfigError::NotHttp(url.to_string()));
        }
        let client = Client::builder(TokioExecutor::new()).build_http();
        Ok(HttpBackend {
            uri,
            client,
            codec,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            next_id: AtomicU64::new(1),
        })
    }

    pub fn with_max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    async fn answer_inner(
        &self,
        request: &InferenceRequest,
        deadline: Instant,
    ) -> Result<Vec<u8>, BackendError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json::request_json(&*self.codec, id, request, deadline)?;
        let http_request = Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| BackendError::Io(e.to_string()))?;
        let exchange = async {
            let response = self
                .client
                .request(http_request)
                .await
                .map_err(|e| BackendError::Io(format!("POST {}: {e}", self.uri)))?;
            let status = response.status();
            let body = Limited::new(response.into_body(), self.max_body_bytes)
                .collect()
                .await
                .map_err(|e| BackendError::Garbage(format!("reading the reply body: {e}")))?
                .to_bytes();
            if !status.is_success() {
                let text: String = String::from_utf8_lossy(&body).chars().take(200).collect();
                return Err(BackendError::Model(format!("HTTP {status}: {text}")));
            }
            json::parse_reply(&*self.codec, id, &body, false)
        };
        timeout_at(deadline, exchange).await.map_err(|_| BackendError::Timeout)?
    }
}

impl Backend for HttpBackend {
    fn answer<'a>(
        &'a self,
        request: &'a InferenceRequest,
        deadline: Instant,
    ) -> BoxFuture<'a, Result<Vec<u8>, BackendError>> {
        Box::pin(self.answer_inner(request, deadline))
    }

    fn describe(&self) -> String {
        format!("http {}", self.uri)
    }
}
