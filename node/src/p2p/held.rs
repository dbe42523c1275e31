//! Transaction gossip that could not be published yet (no peer subscribed to its topic, or every
//! peer's queue full), kept to publish again when a peer subscribes or a moment later. Without
//! it a transaction submitted to a node that has no peers yet stays in that node's mempool for
//! good, unseen by the validators: a full node's operator would never see it included.
//!
//! Bounded in messages and bytes; past either bound the oldest is dropped (its transactions stay
//! in the local mempool, as before).

use std::collections::VecDeque;

use super::topics::TopicKind;

/// Messages held at most.
const MAX_MESSAGES: usize = 256;
/// Bytes held at most.
const MAX_BYTES: usize = 16 * 1024 * 1024;

#[derive(Default)]
pub struct HeldPublishes {
    queue: VecDeque<(TopicKind, Vec<u8>)>,
    bytes: usize,
}

impl HeldPublishes {
    /// Holds a message; returns how many older ones were dropped to make room.
    pub fn hold(&mut self, topic: TopicKind, data: Vec<u8>) -> usize {
        self.bytes += data.len();
        self.queue.push_back((topic, data));
        let mut dropped = 0;
        while self.queue.len() > MAX_MESSAGES || self.bytes > MAX_BYTES {
            let Some((_, old)) = self.queue.pop_front() else { break };
            self.bytes -= old.len();
            dropped += 1;
        }
        dropped
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Every held message (for `topic` only, when given), oldest first, removed from the hold.
    pub fn take(&mut self, topic: Option<TopicKind>) -> Vec<(TopicKind, Vec<u8>)> {
        let (taken, kept): (Vec<_>, Vec<_>) =
            self.queue.drain(..).partition(|(t, _)| topic.is_none_or(|want| *t == want));
        self.queue = kept.into();
        self.bytes = self.queue.iter().map(|(_, d)| d.len()).sum();
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::NetUid;

    #[test]
    fn holds_in_order_takes_by_topic_and_drops_the_oldest_past_the_bound() {
        let mut h = HeldPublishes::default();
        assert_eq!(h.hold(TopicKind::Transactions, vec![1]), 0);
        assert_eq!(h.hold(TopicKind::Weights(NetUid(1)), vec![2]), 0);
        assert_eq!(h.hold(TopicKind::Transactions, vec![3]), 0);
        let tx = h.take(Some(TopicKind::Transactions));
        assert_eq!(tx.iter().map(|(_, d)| d[0]).collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(h.take(None).len(), 1);
        assert!(h.is_empty());
        let dropped: usize =
            (0..MAX_MESSAGES + 3).map(|i| h.hold(TopicKind::Transactions, vec![i as u8])).sum();
        assert_eq!(dropped, 3);
        assert_eq!(h.take(None)[0].1, vec![3u8], "the three oldest went");
        assert_eq!(h.hold(TopicKind::Transactions, vec![0; MAX_BYTES]), 0);
        assert_eq!(h.hold(TopicKind::Transactions, vec![0; 1]), 1, "bytes bound");
    }
}
