//! Counting duplicate gossip deliveries per message.
//!
//! Gossipsub drops a copy of a message it already has before the application sees it, and its
//! only public view of them is the optional `metrics` feature's per-topic totals. Every inbound
//! copy, duplicate or not, does pass through the behaviour's [`DataTransform`] before the
//! duplicate check, though; this transform is the identity on the bytes and, while a capture is
//! active, counts the copies of each message id (blake3 of the bytes, as `message_id` in
//! `behaviour.rs`). What it cannot see is which peer sent a copy: the transform gets the message,
//! not the connection.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use libp2p::gossipsub::{DataTransform, Message, RawMessage, TopicHash};

/// How long a message id is remembered: copies arriving later count as new messages. Longer
/// than gossipsub's own duplicate window (5 s), so a re-delivery after that window still shows
/// up here as a duplicate.
const WINDOW: Duration = Duration::from_secs(30);
/// Most ids remembered at once; beyond this new ids go uncounted (and `untracked` says so).
const MAX_TRACKED: usize = 200_000;

/// The gossipsub data transform that counts copies. Cheap to clone: clones share the counts.
#[derive(Clone, Default)]
pub struct DuplicateTap {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Set while anyone consumes capture records; when clear the transform does no work.
    active: AtomicBool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    seen: HashMap<[u8; 32], Entry>,
    /// Ids in arrival order, for expiry.
    order: VecDeque<([u8; 32], Instant)>,
    /// Ids with copies not yet reported.
    dirty: Vec<[u8; 32]>,
    untracked: u64,
}

struct Entry {
    topic: TopicHash,
    size: usize,
    /// Copies that arrived and were not this node's first sight of the message.
    duplicates: u64,
    reported: u64,
}

/// Copies of one message since the previous report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateReport {
    pub id: [u8; 32],
    pub topic: TopicHash,
    pub size: usize,
    pub count: u64,
}

impl DuplicateTap {
    pub fn set_active(&self, active: bool) {
        self.inner.active.store(active, Ordering::Relaxed);
    }

    pub fn is_active(&self) -> bool {
        self.inner.active.load(Ordering::Relaxed)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Counting is best-effort bookkeeping: a poisoned lock still holds usable counts.
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// This node published `id`: every copy that comes back is a duplicate.
    pub fn published(&self, id: &[u8], topic: TopicHash, size: usize) {
        if !self.is_active() {
            return;
        }
        let Ok(id) = <[u8; 32]>::try_from(id) else { return };
        let mut s = self.state();
        s.first_sight(id, topic, size, Instant::now());
    }

    /// Counts one inbound copy.
    fn arrived(&self, data: &[u8], topic: &TopicHash) {
        let id = *blake3::hash(data).as_bytes();
        let mut s = self.state();
        if let Some(e) = s.seen.get_mut(&id) {
            let was_clean = e.duplicates == e.reported;
            e.duplicates += 1;
            if was_clean {
                s.dirty.push(id);
            }
        } else {
            s.first_sight(id, topic.clone(), data.len(), Instant::now());
        }
    }

    /// Takes the copies counted since the last call, and forgets ids older than the window.
    pub fn drain(&self) -> (Vec<DuplicateReport>, u64) {
        let mut s = self.state();
        let now = Instant::now();
        let mut out = Vec::with_capacity(s.dirty.len());
        let dirty = std::mem::take(&mut s.dirty);
        for id in dirty {
            if let Some(e) = s.seen.get_mut(&id)
                && e.duplicates > e.reported
            {
                out.push(DuplicateReport {
                    id,
                    topic: e.topic.clone(),
                    size: e.size,
                    count: e.duplicates - e.reported,
                });
                e.reported = e.duplicates;
            }
        }
        while let Some((id, at)) = s.order.front().copied() {
            if now.duration_since(at) < WINDOW {
                break;
            }
            s.order.pop_front();
            s.seen.remove(&id);
        }
        (out, std::mem::take(&mut s.untracked))
    }
}

impl State {
    fn first_sight(&mut self, id: [u8; 32], topic: TopicHash, size: usize, now: Instant) {
        if self.seen.contains_key(&id) {
            return;
        }
        if self.seen.len() >= MAX_TRACKED {
            self.untracked += 1;
            return;
        }
        self.seen.insert(id, Entry { topic, size, duplicates: 0, reported: 0 });
        self.order.push_back((id, now));
    }
}

impl DataTransform for DuplicateTap {
    fn inbound_transform(&self, raw: RawMessage) -> Result<Message, std::io::Error> {
        if self.is_active() {
            self.arrived(&raw.data, &raw.topic);
        }
        Ok(Message {
            source: raw.source,
            data: raw.data,
            sequence_number: raw.sequence_number,
            topic: raw.topic,
        })
    }

    fn outbound_transform(
        &self,
        _topic: &TopicHash,
        data: Vec<u8>,
    ) -> Result<Vec<u8>, std::io::Error> {
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(data: &[u8]) -> RawMessage {
        RawMessage {
            source: None,
            data: data.to_vec(),
            sequence_number: None,
            topic: TopicHash::from_raw("t"),
            signature: None,
            key: None,
            validated: false,
        }
    }

    #[test]
    fn counts_copies_after_the_first_and_all_copies_of_own_messages() {
        let tap = DuplicateTap::default();
        tap.inbound_transform(raw(b"ignored while inactive")).unwrap();
        tap.inbound_transform(raw(b"ignored while inactive")).unwrap();
        assert!(tap.drain().0.is_empty());

        tap.set_active(true);
        for _ in 0..4 {
            let m = tap.inbound_transform(raw(b"a")).unwrap();
            assert_eq!(m.data, b"a", "the transform leaves the bytes alone");
        }
        tap.inbound_transform(raw(b"b")).unwrap();
        let own = blake3::hash(b"mine");
        tap.published(own.as_bytes(), TopicHash::from_raw("t"), 4);
        tap.inbound_transform(raw(b"mine")).unwrap();

        let (mut got, untracked) = tap.drain();
        got.sort_by_key(|r| r.count);
        assert_eq!(untracked, 0);
        assert_eq!(got.len(), 2, "b arrived once: no duplicate");
        assert_eq!((got[0].id, got[0].count), (*own.as_bytes(), 1));
        assert_eq!((got[1].id, got[1].count, got[1].size), (*blake3::hash(b"a").as_bytes(), 3, 1));

        assert!(tap.drain().0.is_empty(), "reported copies are not reported again");
        tap.inbound_transform(raw(b"a")).unwrap();
        assert_eq!(tap.drain().0[0].count, 1);
    }
}
