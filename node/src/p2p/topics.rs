//! Gossip topics (design.md §5) and what each may carry.

use libp2p::gossipsub::{IdentTopic, TopicHash};
use protocol::codec::Encodable;
use protocol::ids::{ChainId, NetUid};
use protocol::wire::{ConsensusMessage, TransactionBatch, WeightAnnouncement};

/// The kind of a tau gossip topic, parsed back from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TopicKind {
    /// Proposals, votes and commit certificates from the current validator set.
    Consensus,
    /// Signed transactions for the mempool.
    Transactions,
    /// Signed weight announcements for one subnet.
    Weights(NetUid),
}

impl TopicKind {
    /// The topic's name on a chain: `tau/<chain>/consensus`, `…/tx`, `…/weights/<netuid>`.
    pub fn name(self, chain: &ChainId) -> String {
        match self {
            TopicKind::Consensus => format!("tau/{chain}/consensus"),
            TopicKind::Transactions => format!("tau/{chain}/tx"),
            TopicKind::Weights(n) => format!("tau/{chain}/weights/{n}"),
        }
    }

    pub fn topic(self, chain: &ChainId) -> IdentTopic {
        IdentTopic::new(self.name(chain))
    }

    pub fn hash(self, chain: &ChainId) -> TopicHash {
        self.topic(chain).hash()
    }

    /// Parses a topic name of `chain`; `None` for anything else (another chain, an unknown topic).
    pub fn parse(chain: &ChainId, name: &str) -> Option<TopicKind> {
        let rest = name.strip_prefix("tau/")?.strip_prefix(chain.as_str())?.strip_prefix('/')?;
        match rest {
            "consensus" => Some(TopicKind::Consensus),
            "tx" => Some(TopicKind::Transactions),
            _ => {
                let n = rest.strip_prefix("weights/")?;
                // Only the canonical decimal form, so one subnet has exactly one topic.
                let v: u16 = n.parse().ok()?;
                (v.to_string() == n).then_some(TopicKind::Weights(NetUid(v)))
            }
        }
    }

    /// Largest frame accepted on this topic; gossipsub drops larger frames before we see them.
    /// Consensus frames carry a send epoch after the message (`resend.rs`).
    pub fn max_message_size(self) -> usize {
        match self {
            TopicKind::Consensus => ConsensusMessage::MAX_LEN + super::resend::TRAILER,
            TopicKind::Transactions => TransactionBatch::MAX_LEN,
            TopicKind::Weights(_) => WeightAnnouncement::MAX_LEN,
        }
    }

    /// Short label for metrics and logs.
    pub fn label(self) -> &'static str {
        match self {
            TopicKind::Consensus => "consensus",
            TopicKind::Transactions => "tx",
            TopicKind::Weights(_) => "weights",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_foreign_topics_are_rejected() {
        let chain = ChainId::new("tau-local").unwrap();
        for kind in [TopicKind::Consensus, TopicKind::Transactions, TopicKind::Weights(NetUid(7))] {
            assert_eq!(TopicKind::parse(&chain, &kind.name(&chain)), Some(kind));
        }
        let other = ChainId::new("tau-other").unwrap();
        assert_eq!(TopicKind::parse(&chain, &TopicKind::Consensus.name(&other)), None);
        assert_eq!(TopicKind::parse(&chain, "tau/tau-local/weights/007"), None);
        assert_eq!(TopicKind::parse(&chain, "tau/tau-local/weights/70000"), None);
        assert_eq!(TopicKind::parse(&chain, "tau/tau-local-x/tx"), None);
    }
}
