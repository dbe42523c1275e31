//! Inference counters for `/metrics`: what a miner answered, and how a validator's queries went.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use protocol::wire::InferenceStatus;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub netuid: u16,
    /// An `InferenceStatus` in snake case, or `no_answer` for a query that got none.
    pub outcome: &'static str,
}

type Counters = Family<OutcomeLabel, Counter<u64, AtomicU64>>;

#[derive(Debug)]
pub struct InferenceMetrics {
    served: Counters,
    queries: Counters,
    /// Seconds from sending a query to its answer (answered queries only).
    query_latency: Histogram,
}

impl Default for InferenceMetrics {
    fn default() -> Self {
        InferenceMetrics {
            served: Counters::default(),
            queries: Counters::default(),
            // 100 µs to ~13 s.
            query_latency: Histogram::new(exponential_buckets(1e-4, 2.0, 18)),
        }
    }
}

pub fn status_label(status: InferenceStatus) -> &'static str {
    match status {
        InferenceStatus::Ok => "ok",
        InferenceStatus::Busy => "busy",
        InferenceStatus::Unregistered => "unregistered",
        InferenceStatus::WrongTask => "wrong_task",
        InferenceStatus::BadRequest => "bad_request",
        InferenceStatus::Timeout => "timeout",
        InferenceStatus::Error => "error",
    }
}

impl InferenceMetrics {
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "inference_served",
            "Inference requests this miner answered, by subnet and status",
            self.served.clone(),
        );
        registry.register(
            "inference_queries",
            "Queries this validator sent, by subnet and outcome",
            self.queries.clone(),
        );
        registry.register(
            "inference_query_latency_seconds",
            "Latency of answered validator queries",
            self.query_latency.clone(),
        );
    }

    pub fn on_served(&self, netuid: u16, status: InferenceStatus) {
        self.served.get_or_create(&OutcomeLabel { netuid, outcome: status_label(status) }).inc();
    }

    pub fn on_query(&self, netuid: u16, outcome: &'static str, latency_s: Option<f64>) {
        self.queries.get_or_create(&OutcomeLabel { netuid, outcome }).inc();
        if let Some(s) = latency_s {
            self.query_latency.observe(s);
        }
    }
}
