//! Gossip capture (docs/capture-format.md): what this node publishes and receives, duplicate
//! copies, and its mesh, as [`Record`]s written to `DIR/capture-<peer id>.jsonl` (with
//! `tau node --capture DIR`) and streamed to API subscribers (`GET /gossip/stream`).
//!
//! The network actor must never wait for a capture: it hands observations over a bounded channel
//! to a writer thread and counts what does not fit (`dropped` records say how many). When there is
//! neither a file nor a subscriber, every hook returns at an atomic load.

mod describe;
mod duplicates;
mod writer;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::{SystemTime, UNIX_EPOCH};

use libp2p::PeerId;
use libp2p::gossipsub::{self, MessageId};
use protocol::ids::ChainId;
pub use testnet::capture::{Kind, Record};
use tokio::sync::broadcast;

pub use duplicates::DuplicateTap;
use writer::{Pending, Writer};

use super::ingress::GossipMessage;
use super::topics::TopicKind;

/// Observations waiting for the writer; beyond this they are dropped and counted.
const QUEUE: usize = 65_536;
/// Records buffered per live subscriber before it lags (and is told how many it missed).
const FEED: usize = 4_096;
/// Mesh snapshots every this many ticks of the actor's one-second capture timer.
const MESH_EVERY_TICKS: u64 = 5;
/// Longest topic name recorded for a message on a topic we do not know (untrusted text).
const MAX_FOREIGN_TOPIC: usize = 128;

/// Wall-clock time in ns since the Unix epoch. Node IO, not consensus: the wall clock is the
/// point, since a local testnet's nodes share it and the report compares their times.
pub fn now_ns() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}

/// The network actor's side of the capture.
pub struct Capture {
    tx: SyncSender<Pending>,
    feed: broadcast::Sender<Arc<Record>>,
    tap: DuplicateTap,
    dropped: Arc<AtomicU64>,
    file: bool,
    ticks: u64,
}

impl Capture {
    /// Starts the writer thread; with `dir`, opens `dir/capture-<local>.jsonl` first, so an
    /// unwritable directory fails the node's start rather than its first message.
    pub fn start(dir: Option<&Path>, local: PeerId, chain: ChainId) -> std::io::Result<Capture> {
        let file = dir.map(|d| writer::open(d, &local)).transpose()?;
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
        let (feed, _) = broadcast::channel(FEED);
        let dropped = Arc::new(AtomicU64::new(0));
        let tap = DuplicateTap::default();
        let has_file = file.is_some();
        tap.set_active(has_file);
        let w = Writer { rx, file, feed: feed.clone(), dropped: dropped.clone(), chain, local };
        // On the runtime's blocking pool when there is one: dropping the runtime then waits for
        // the writer's final flush, so a clean shutdown loses nothing.
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(move || w.run())),
            Err(_) => drop(
                std::thread::Builder::new().name("gossip-capture".into()).spawn(move || w.run())?,
            ),
        }
        Ok(Capture { tx, feed, tap, dropped, file: has_file, ticks: 0 })
    }

    /// The gossipsub data transform that counts duplicate copies for this capture.
    pub fn tap(&self) -> DuplicateTap {
        self.tap.clone()
    }

    /// Whether anything consumes records (a file, or a live subscriber as of the last tick).
    pub fn active(&self) -> bool {
        self.tap.is_active()
    }

    /// A live feed of every record from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Record>> {
        let rx = self.feed.subscribe();
        self.tap.set_active(true);
        rx
    }

    fn send(&self, p: Pending) {
        match self.tx.try_send(p) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    /// This node published `data` on `topic` as `id` (gossipsub accepted it) at `time_ns`.
    pub fn published(
        &self,
        topic: TopicKind,
        chain: &ChainId,
        id: &MessageId,
        time_ns: u64,
        data: Vec<u8>,
    ) {
        if !self.active() {
            return;
        }
        self.tap.published(&id.0, topic.hash(chain), data.len());
        self.send(Pending::Published { time_ns, topic, id: id.clone(), data });
    }

    /// A message decoded for its topic reached this node from `forwarder`.
    pub fn received(
        &self,
        topic: TopicKind,
        id: &MessageId,
        forwarder: PeerId,
        size: usize,
        message: &GossipMessage,
    ) {
        if !self.active() {
            return;
        }
        let time_ns = now_ns();
        let described = describe::describe(message);
        self.send(Pending::Received { time_ns, topic, id: id.clone(), forwarder, size, described });
    }

    /// A message that did not decode (or came on a topic this node does not know).
    pub fn garbage(
        &self,
        topic: &str,
        id: &MessageId,
        forwarder: PeerId,
        size: usize,
        error: String,
    ) {
        if !self.active() {
            return;
        }
        let topic: String = topic.chars().take(MAX_FOREIGN_TOPIC).collect();
        self.send(Pending::Garbage {
            time_ns: now_ns(),
            topic,
            id: id.clone(),
            forwarder,
            size,
            error,
        });
    }

    /// Called once a second by the actor: refreshes whether anyone listens, reports duplicate
    /// counts, and every few ticks the mesh of each topic.
    pub fn tick<D, F>(&mut self, gossipsub: &gossipsub::Behaviour<D, F>)
    where
        D: gossipsub::DataTransform + Send + 'static,
        F: gossipsub::TopicSubscriptionFilter + Send + 'static,
    {
        self.tap.set_active(self.file || self.feed.receiver_count() > 0);
        if !self.active() {
            return;
        }
        let time_ns = now_ns();
        let (reports, untracked) = self.tap.drain();
        if !reports.is_empty() || untracked > 0 {
            self.send(Pending::Duplicates { time_ns, reports, untracked });
        }
        if self.ticks.is_multiple_of(MESH_EVERY_TICKS) {
            for topic in gossipsub.topics() {
                let peers = gossipsub.mesh_peers(topic).copied().collect();
                self.send(Pending::Mesh { time_ns, topic: topic.as_str().to_string(), peers });
            }
        }
        self.ticks += 1;
    }
}
