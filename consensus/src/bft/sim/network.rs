//! The simulated clock and wire: an event queue ordered by (time, sequence), and links with
//! latency, jitter, loss and partitions.

use std::collections::BTreeMap;

use protocol::{Block, CommitCertificate, ConsensusMessage};

use crate::bft::Timeout;

use super::rng::SimRng;
use super::scenario::{LinkSpec, Partition};

/// What travels between simulated nodes.
#[derive(Clone, Debug)]
pub enum Msg {
    Consensus(ConsensusMessage),
    /// Decided heights, in order, sent to a peer seen voting at an old height (sync).
    Sync(Vec<(CommitCertificate, Option<Block>)>),
}

#[derive(Clone, Debug)]
pub enum Event {
    Deliver { to: usize, from: usize, msg: Msg },
    Timer { node: usize, incarnation: u32, timeout: Timeout },
    Crash { node: usize, down_ms: u64, amnesia: bool },
    Restart { node: usize },
}

/// Events by (time, sequence): equal times keep the order they were scheduled in.
#[derive(Debug, Default)]
pub struct EventQueue {
    events: BTreeMap<(u64, u64), Event>,
    seq: u64,
}

impl EventQueue {
    pub fn push(&mut self, at_ms: u64, event: Event) {
        self.events.insert((at_ms, self.seq), event);
        self.seq += 1;
    }

    pub fn pop(&mut self) -> Option<((u64, u64), Event)> {
        self.events.pop_first()
    }
}

/// The links of a run.
#[derive(Debug, Clone)]
pub struct Network {
    pub link: LinkSpec,
    pub partitions: Vec<Partition>,
}

impl Network {
    /// Whether `a` and `b` can exchange messages at `now`.
    pub fn connected(&self, now: u64, a: usize, b: usize) -> bool {
        self.partitions
            .iter()
            .filter(|p| p.from_ms <= now && now < p.until_ms)
            .all(|p| p.groups.iter().any(|g| g.contains(&a) && g.contains(&b)))
    }

    /// When a message sent now arrives, or `None` if it is lost or cannot cross a partition.
    /// It must also find the link open on arrival (checked by the runner).
    pub fn transit(&self, rng: &mut SimRng, now: u64, from: usize, to: usize) -> Option<u64> {
        // Draw first, so that the RNG stream does not depend on partitions.
        let lost = rng.chance_ppm(self.link.loss_ppm);
        let delay = self.link.latency_ms + rng.below(self.link.jitter_ms + 1);
        if lost || !self.connected(now, from, to) {
            return None;
        }
        Some(now + delay.max(1))
    }
}
