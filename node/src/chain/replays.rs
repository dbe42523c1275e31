//! Telling a replayed transaction from a late one. A transaction can reach a node after the block
//! that included it: an honest relay raced the proposal, or validated late under load. But a
//! relay can only forward a message while gossipsub still holds it (its message cache: 5
//! heartbeats, 3.5 s), each hop within seconds of the last, so the same transaction arriving
//! half a minute after its block was sent on purpose: a replay, and its forwarder is penalised.
//! Node-local policy on wall-clock time; nothing here touches consensus state.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use protocol::{Hash, Height};

/// How long after its block a transaction may still arrive from an honest relay: several hops'
/// worth of message caches and intake queues.
pub const REPLAY_GRACE: Duration = Duration::from_secs(30);

/// Included transactions remembered; older ones arriving again are Ignored (stale nonce) rather
/// than recognised. About 12 MB when full (only under sustained load: at 5,000 transfers a
/// second this covers 26 s, so replays older than that are merely Ignored then).
const CAPACITY: usize = 131_072;

#[derive(Default)]
pub struct RecentInclusions {
    by_hash: BTreeMap<Hash, (Height, Instant)>,
    order: VecDeque<Hash>,
}

impl RecentInclusions {
    /// Remembers the transactions of the block committed at `height`, at `now`.
    pub fn record(&mut self, hashes: impl IntoIterator<Item = Hash>, height: Height, now: Instant) {
        for hash in hashes {
            if self.by_hash.insert(hash, (height, now)).is_none() {
                self.order.push_back(hash);
            }
        }
        while self.order.len() > CAPACITY {
            if let Some(old) = self.order.pop_front() {
                self.by_hash.remove(&old);
            }
        }
    }

    /// The height that included `hash`, when that was longer than [`REPLAY_GRACE`] before
    /// `now`: a replay.
    pub fn replayed(&self, hash: &Hash, now: Instant) -> Option<Height> {
        let (height, at) = self.by_hash.get(hash)?;
        (now.saturating_duration_since(*at) > REPLAY_GRACE).then_some(*height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_within_the_grace_is_not_a_replay_and_later_is() {
        let mut r = RecentInclusions::default();
        let t0 = Instant::now();
        let h = Hash::digest(b"tx");
        r.record([h], Height(7), t0);
        assert_eq!(r.replayed(&h, t0 + Duration::from_secs(10)), None);
        assert_eq!(r.replayed(&h, t0 + REPLAY_GRACE + Duration::from_millis(1)), Some(Height(7)));
        assert_eq!(r.replayed(&Hash::digest(b"other"), t0 + Duration::from_secs(60)), None);
    }

    #[test]
    fn forgets_the_oldest_past_capacity() {
        let mut r = RecentInclusions::default();
        let t0 = Instant::now();
        let first = Hash::digest(&0u64.to_le_bytes());
        r.record((0..=CAPACITY as u64).map(|i| Hash::digest(&i.to_le_bytes())), Height(1), t0);
        let later = t0 + REPLAY_GRACE + Duration::from_secs(1);
        assert_eq!(r.replayed(&first, later), None);
        assert!(r.replayed(&Hash::digest(&1u64.to_le_bytes()), later).is_some());
        assert_eq!(r.order.len(), CAPACITY);
    }
}
