//! Prometheus metrics. Gauges are refreshed from the actors' status on each scrape; counters are
//! incremented where things happen.

use std::sync::atomic::AtomicU64;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::ApiState;
use crate::neuron::runtime::InferenceMetrics;

pub struct Metrics {
    registry: Registry,
    height: Gauge,
    round: Gauge,
    peers: Gauge,
    mempool: Gauge,
    best_seen: Gauge,
    is_validator: Gauge,
    mesh_peers: Gauge,
    /// Incremented by the API on each accepted submission.
    pub submitted: Counter<u64, AtomicU64>,
}

impl Metrics {
    /// The node's metrics, including the network's per-topic traffic and the neuron's inference
    /// counters, which those parts increment themselves.
    pub fn new(traffic: &crate::p2p::TrafficMetrics, inference: &InferenceMetrics) -> Self {
        let mut registry = Registry::with_prefix("tau");
        let m = Metrics {
            registry: Registry::default(),
            height: Gauge::default(),
            round: Gauge::default(),
            peers: Gauge::default(),
            mempool: Gauge::default(),
            best_seen: Gauge::default(),
            is_validator: Gauge::default(),
            mesh_peers: Gauge::default(),
            submitted: Counter::default(),
        };
        registry.register("chain_height", "Height of the latest committed block", m.height.clone());
        registry.register("consensus_round", "Round of the height in progress", m.round.clone());
        registry.register("p2p_peers", "Connected peers", m.peers.clone());
        registry.register(
            "p2p_mesh_peers",
            "Gossipsub mesh peers summed over topics",
            m.mesh_peers.clone(),
        );
        registry.register(
            "mempool_transactions",
            "Transactions waiting in the mempool",
            m.mempool.clone(),
        );
        registry.register(
            "sync_best_seen_height",
            "Highest height seen from peers",
            m.best_seen.clone(),
        );
        registry.register(
            "consensus_is_validator",
            "1 if this node votes at the current height",
            m.is_validator.clone(),
        );
        registry.register(
            "api_transactions_submitted",
            "Transactions accepted through the API",
            m.submitted.clone(),
        );
        traffic.register(&mut registry);
        inference.register(&mut registry);
        Metrics { registry, ..m }
    }
}

pub async fn render(State(s): State<ApiState>) -> impl IntoResponse {
    if let Some(c) = s.chain.status().await {
        s.metrics.height.set(c.height.0 as i64);
        s.metrics.round.set(c.round.unwrap_or(0) as i64);
        s.metrics.mempool.set(c.mempool as i64);
        s.metrics.best_seen.set(c.best_seen_height.0 as i64);
        s.metrics.is_validator.set(i64::from(c.is_validator));
    }
    let n = s.net.status().await;
    s.metrics.peers.set(n.connected_peers.len() as i64);
    s.metrics.mesh_peers.set(n.mesh.iter().map(|(_, k)| *k as i64).sum());
    let mut out = String::new();
    if encode(&mut out, &s.metrics.registry).is_err() {
        out.clear();
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], out)
}
