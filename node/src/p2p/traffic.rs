//! Gossip traffic counters per topic kind (`consensus`, `tx`, `weights`), incremented by the
//! network actor where messages pass, exported at `/metrics`.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TopicLabel {
    pub topic: &'static str,
}

type Counters = Family<TopicLabel, Counter<u64, AtomicU64>>;

#[derive(Debug, Default)]
pub struct TrafficMetrics {
    received: Counters,
    received_bytes: Counters,
    /// Messages that did not decode for their topic (their forwarder is penalised).
    garbage: Counters,
    /// Messages dropped (Ignored) because the node's intake was full.
    shed: Counters,
    published: Counters,
    published_bytes: Counters,
}

impl TrafficMetrics {
    pub fn register(&self, registry: &mut Registry) {
        let mut add = |name: &str, help: &str, family: &Counters| {
            registry.register(name, help, family.clone());
        };
        add("gossip_received", "Gossip messages received, by topic", &self.received);
        add("gossip_received_bytes", "Gossip bytes received, by topic", &self.received_bytes);
        add("gossip_garbage", "Gossip messages that did not decode, by topic", &self.garbage);
        add("gossip_shed", "Gossip messages ignored because the intake was full", &self.shed);
        add("gossip_published", "Gossip messages published, by topic", &self.published);
        add("gossip_published_bytes", "Gossip bytes published, by topic", &self.published_bytes);
    }

    pub(super) fn on_received(&self, topic: &'static str, bytes: usize) {
        let label = TopicLabel { topic };
        self.received.get_or_create(&label).inc();
        self.received_bytes.get_or_create(&label).inc_by(bytes as u64);
    }

    pub(super) fn on_garbage(&self, topic: &'static str) {
        self.garbage.get_or_create(&TopicLabel { topic }).inc();
    }

    pub(super) fn on_shed(&self, topic: &'static str) {
        self.shed.get_or_create(&TopicLabel { topic }).inc();
    }

    pub(super) fn on_published(&self, topic: &'static str, bytes: usize) {
        let label = TopicLabel { topic };
        self.published.get_or_create(&label).inc();
        self.published_bytes.get_or_create(&label).inc_by(bytes as u64);
    }
}
