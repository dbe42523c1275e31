//! Gossipsub peer scoring: peers that send invalid messages lose score fast and are greylisted;
//! nothing else about a peer (its IP, a quiet topic) costs it anything.
//!
//! Scores are floats: they are local policy, never consensus state.

use std::time::Duration;

use libp2p::gossipsub::{PeerScoreParams, PeerScoreThresholds, TopicScoreParams};
use protocol::ids::ChainId;

use super::topics::TopicKind;

/// Score lost per invalid message (squared count): three invalid messages pass the gossip
/// threshold, five the greylist one. Decays by 10% a second, so a peer that stops recovers.
const INVALID_MESSAGE_WEIGHT: f64 = -100.0;

pub fn params(chain: &ChainId, topics: &[TopicKind]) -> (PeerScoreParams, PeerScoreThresholds) {
    let mut params = PeerScoreParams {
        // Testnets put every node on 127.0.0.1; co-location is not misbehaviour here.
        ip_colocation_factor_weight: 0.0,
        decay_interval: Duration::from_secs(1),
        ..PeerScoreParams::default()
    };
    for t in topics {
        params.topics.insert(
            t.hash(chain),
            TopicScoreParams {
                topic_weight: 1.0,
                time_in_mesh_weight: 0.01,
                time_in_mesh_quantum: Duration::from_secs(1),
                time_in_mesh_cap: 100.0,
                first_message_deliveries_weight: 1.0,
                first_message_deliveries_decay: 0.9,
                first_message_deliveries_cap: 100.0,
                // Traffic is bursty (weights every few blocks): a quiet mesh peer is not faulty.
                mesh_message_deliveries_weight: 0.0,
                mesh_failure_penalty_weight: 0.0,
                invalid_message_deliveries_weight: INVALID_MESSAGE_WEIGHT,
                invalid_message_deliveries_decay: 0.9,
                ..TopicScoreParams::default()
            },
        );
    }
    let thresholds = PeerScoreThresholds {
        gossip_threshold: -500.0,
        publish_threshold: -1_000.0,
        graylist_threshold: -2_500.0,
        accept_px_threshold: 100.0,
        opportunistic_graft_threshold: 5.0,
    };
    (params, thresholds)
}
