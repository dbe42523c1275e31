//! Misbehaviour outside gossipsub's own scoring (garbage on request-response streams, invalid
//! responses): counted per peer, and a peer past the limit is disconnected and refused.

use std::collections::BTreeMap;

use libp2p::PeerId;

/// Offences before a peer is banned.
pub const BAN_THRESHOLD: u32 = 5;

#[derive(Default)]
pub struct Penalties {
    counts: BTreeMap<PeerId, u32>,
}

impl Penalties {
    /// Records an offence; returns true when the peer has just crossed the ban threshold.
    pub fn record(&mut self, peer: PeerId) -> bool {
        let c = self.counts.entry(peer).or_default();
        *c = c.saturating_add(1);
        *c == BAN_THRESHOLD
    }

    #[cfg(test)]
    pub fn count(&self, peer: &PeerId) -> u32 {
        self.counts.get(peer).copied().unwrap_or(0)
    }

    /// Every peer with at least one offence, and its count.
    pub fn offences(&self) -> impl Iterator<Item = (PeerId, u32)> + '_ {
        self.counts.iter().map(|(p, c)| (*p, *c))
    }

    /// The peers banned so far (a ban is for good: the block list is never cleared).
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
        let fired: Vec<bool> = (0..BAN_THRESHOLD + 2).map(|_| p.record(peer)).collect();
        assert_eq!(fired.iter().filter(|f| **f).count(), 1);
        assert!(fired[BAN_THRESHOLD as usize - 1]);
        assert_eq!(p.count(&peer), BAN_THRESHOLD + 2);
        let other = PeerId::random();
        p.record(other);
        assert_eq!(p.banned().collect::<Vec<_>>(), vec![peer]);
        assert_eq!(p.offences().count(), 2);
    }
}
