//! Gossipsub peer scoring: peers that send invalid messages lose score fast and are greylisted;
//! nothing else about a peer (its IP, a quiet topic) costs it anything.
//!
//! Scores are floats: they are local policy, never consensus state.

use std::time::Duration;

use libp2p::gossipsub::{PeerScoreParams, PeerScoreThresholds, TopicScoreParams};
use protocol::ids::ChainId;

use super::topics::TopicKind;

/// Score lost per invalid message (squared count): three invalid messages on one topic pass the
/// gossip threshold, four the publish one, five the greylist one. Decays by 10% a second, so a
/// peer that stops recovers.
const INVALID_MESSAGE_WEIGHT: f64 = -100.0;

/// Below this we neither send a peer gossip (IHAVE/IWANT) nor accept any from it.
pub const GOSSIP_THRESHOLD: f64 = -500.0;
/// Below this we do not publish our own messages to a peer.
pub const PUBLISH_THRESHOLD: f64 = -1_000.0;
/// Below this every RPC from a peer is dropped unread (gossipsub compares with `<`, so five
/// invalid messages, −2,500, must land strictly below it).
pub const GRAYLIST_THRESHOLD: f64 = -2_000.0;

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
        gossip_threshold: GOSSIP_THRESHOLD,
        publish_threshold: PUBLISH_THRESHOLD,
        graylist_threshold: GRAYLIST_THRESHOLD,
        accept_px_threshold: 100.0,
        opportunistic_graft_threshold: 5.0,
    };
    (params, thresholds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_fall_at_three_four_and_five_invalid_messages() {
        let (params, thresholds) = params(&ChainId::new("tau-x").unwrap(), &[TopicKind::Consensus]);
        thresholds.validate().unwrap();
        params.validate().unwrap();
        let score = |invalid: f64| invalid * invalid * INVALID_MESSAGE_WEIGHT;
        assert!(score(2.0) >= GOSSIP_THRESHOLD && score(3.0) < GOSSIP_THRESHOLD);
        assert!(score(3.0) >= PUBLISH_THRESHOLD && score(4.0) < PUBLISH_THRESHOLD);
        assert!(score(4.0) >= GRAYLIST_THRESHOLD && score(5.0) < GRAYLIST_THRESHOLD);
    }
}
