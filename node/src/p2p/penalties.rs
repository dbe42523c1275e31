//! Misbehaviour outside gossipsub's own scoring (garbage on request-response streams, invalid
//! responses): counted per peer, and a peer past the limit is disconnected and refused.
//!
//! Bounded: an attacker can make new identities faster than a node should remember them, so at
//! most [`MAX_TRACKED`] peers are kept, and past that the one whose first offence is oldest is
//! forgotten (and unblocked if it was banned). A forgotten identity is no worse than a new one.

use std::collections::{BTreeMap, VecDeque};

use libp2p::PeerId;

/// Offences before a peer is banned.
pub const BAN_THRESHOLD: u32 = 5;

/// Peers with offences remembered at most (about 100 bytes each).
pub const MAX_TRACKED: usize = 8_192;

#[derive(Default)]
pub struct Penalties {
    counts: BTreeMap<PeerId, u32>,
    /// Peers in the order of their first offence.
    order: VecDeque<PeerId>,
}

/// What one offence changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recorded {
    /// The peer has just crossed the ban threshold.
    pub banned_now: bool,
    /// A banned peer forgotten to make room: lift its block.
    pub unban: Option<PeerId>,
}

impl Penalties {
    /// Records an offence by `peer`.
    pub fn record(&mut self, peer: PeerId) -> Recorded {
        let mut out = Recorded::default();
        if !self.counts.contains_key(&peer) {
            self.order.push_back(peer);
            while self.order.len() > MAX_TRACKED {
                let Some(old) = self.order.pop_front() else { break };
                if self.counts.remove(&old).is_some_and(|c| c >= BAN_THRESHOLD) {
                    out.unban = Some(old);
                }
            }
        }
        let c = self.counts.entry(peer).or_default();
        *c = c.saturating_add(1);
        out.banned_now = *c == BAN_THRESHOLD;
        out
    }

    #[cfg(test)]
    pub fn count(&self, peer: &PeerId) -> u32 {
        self.counts.get(peer).copied().unwrap_or(0)
    }

    /// Every peer with at least one offence, and its count.
    pub fn offences(&self) -> impl Iterator<Item = (PeerId, u32)> + '_ {
        self.counts.iter().map(|(p, c)| (*p, *c))
    }

    /// The peers banned and still remembered.
    pub fn banned(&self) -> impl Iterator<Item = PeerId> + '_ {
        self.counts.iter().filter(|(_, c)| **c >= BAN_THRESHOLD).map(|(p, _)| *p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ban_fires_once_at_the_threshold() {
        let mut p = Penalties::default();
        let peer = PeerId::random();
        let fired: Vec<bool> = (0..BAN_THRESHOLD + 2).map(|_| p.record(peer).banned_now).collect();
        assert_eq!(fired.iter().filter(|f| **f).count(), 1);
        assert!(fired[BAN_THRESHOLD as usize - 1]);
        assert_eq!(p.count(&peer), BAN_THRESHOLD + 2);
        let other = PeerId::random();
        p.record(other);
        assert_eq!(p.banned().collect::<Vec<_>>(), vec![peer]);
        assert_eq!(p.offences().count(), 2);
    }

    #[test]
    fn the_oldest_offender_is_forgotten_past_the_bound_and_a_banned_one_unblocked() {
        let mut p = Penalties::default();
        let first = PeerId::random();
        for _ in 0..BAN_THRESHOLD {
            p.record(first);
        }
        for _ in 1..MAX_TRACKED {
            assert_eq!(p.record(PeerId::random()).unban, None);
        }
        assert_eq!(p.offences().count(), MAX_TRACKED);
        let last = p.record(PeerId::random());
        assert_eq!(last, Recorded { banned_now: false, unban: Some(first) });
        assert_eq!(p.count(&first), 0);
        assert_eq!(p.offences().count(), MAX_TRACKED);
        assert_eq!(p.banned().count(), 0);
    }
}
