//! A validator's memory of miners: an exponential moving average of each UID's loss, in integer
//! fixed point (so two validators fed the same losses agree exactly). A UID whose hotkey changed
//! is a new miner in an old slot: its history is dropped, never inherited.

use std::collections::BTreeMap;

use protocol::{PublicKey, Uid};

use super::task::{Loss, Scorer};

/// Fractional bits kept in the average, so small `alpha` steps are not lost to rounding.
const FRAC_BITS: u32 = 16;
/// `alpha` is in parts per million.
pub const ALPHA_ONE: u32 = 1_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UidScore {
    pub hotkey: PublicKey,
    /// Mean loss × 2^16.
    ema: u64,
    pub samples: u64,
}

impl UidScore {
    pub fn mean(&self) -> Loss {
        Loss(u32::try_from(self.ema >> FRAC_BITS).unwrap_or(u32::MAX))
    }
}

#[derive(Clone, Debug)]
pub struct ScoreBook {
    alpha_ppm: u32,
    uids: BTreeMap<Uid, UidScore>,
}

impl ScoreBook {
    /// `alpha_ppm`: the weight of each new loss, per million (e.g. 100_000 = 0.1).
    pub fn new(alpha_ppm: u32) -> Self {
        ScoreBook { alpha_ppm: alpha_ppm.clamp(1, ALPHA_ONE), uids: BTreeMap::new() }
    }

    /// Folds one loss into `uid`'s average. The first loss of a (uid, hotkey) starts the average.
    pub fn observe(&mut self, uid: Uid, hotkey: PublicKey, loss: Loss) {
        let x = u64::from(loss.0) << FRAC_BITS;
        let alpha = u64::from(self.alpha_ppm);
        let one = u64::from(ALPHA_ONE);
        let entry = self.uids.entry(uid).or_insert(UidScore { hotkey, ema: x, samples: 0 });
        if entry.hotkey != hotkey {
            *entry = UidScore { hotkey, ema: x, samples: 0 };
        }
        if entry.samples > 0 {
            // Warm-up: while fewer than 1/α losses are in, the weight of a new one is
            // 1/(samples + 1), so the average is the plain mean rather than leaning on the first
            // loss for ~1/α samples.
            let alpha = alpha.max(one / (entry.samples + 1));
            // ema + α(x − ema), computed on the side that cannot underflow.
            entry.ema = if x >= entry.ema {
                entry.ema + (x - entry.ema) * alpha / one
            } else {
                entry.ema - (entry.ema - x) * alpha / one
            };
        }
        entry.samples += 1;
    }

    /// Brings the book in line with the subnet: drops UIDs that are gone or whose hotkey
    /// changed (`current(uid)` is the UID's hotkey now, `None` if deregistered).
    pub fn sync(&mut self, current: impl Fn(Uid) -> Option<PublicKey>) {
        self.uids.retain(|uid, s| current(*uid) == Some(s.hotkey));
    }

    pub fn get(&self, uid: Uid) -> Option<&UidScore> {
        self.uids.get(&uid)
    }

    pub fn iter(&self) -> impl Iterator<Item = (Uid, &UidScore)> {
        self.uids.iter().map(|(u, s)| (*u, s))
    }

    pub fn len(&self) -> usize {
        self.uids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.uids.is_empty()
    }

    /// Each UID's merit under `scorer`, ascending by UID: the input of [`super::weights::normalize`].
    pub fn merits<S: Scorer + ?Sized>(&self, scorer: &S) -> Vec<(u16, u64)> {
        self.uids.iter().map(|(uid, s)| (uid.0, scorer.merit(s.mean()))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> PublicKey {
        PublicKey([b; 32])
    }

    #[test]
    fn moving_average_in_fixed_point() {
        let mut book = ScoreBook::new(100_000);
        book.observe(Uid(1), key(1), Loss(1_000));
        assert_eq!(book.get(Uid(1)).unwrap().mean(), Loss(1_000));
        // Warm-up: the plain mean of the first losses (weights 1/2, then 1/3, …, until α wins).
        book.observe(Uid(1), key(1), Loss(2_000));
        assert_eq!(book.get(Uid(1)).unwrap().mean(), Loss(1_500));
        book.observe(Uid(1), key(1), Loss(0));
        assert_eq!(book.get(Uid(1)).unwrap().mean(), Loss(1_000));
        for _ in 0..7 {
            book.observe(Uid(1), key(1), Loss(1_000));
        }
        // Ten samples: α = 1/10 from here on.
        book.observe(Uid(1), key(1), Loss(2_000));
        assert_eq!(book.get(Uid(1)).unwrap().mean(), Loss(1_100));
        for _ in 0..200 {
            book.observe(Uid(1), key(1), Loss(5_000));
        }
        assert_eq!(book.get(Uid(1)).unwrap().mean(), Loss(4_999));
        assert_eq!(book.get(Uid(1)).unwrap().samples, 211);
    }

    #[test]
    fn hotkey_change_resets() {
        let mut book = ScoreBook::new(10_000);
        for _ in 0..10 {
            book.observe(Uid(3), key(1), Loss(100));
        }
        book.observe(Uid(3), key(2), Loss(9_000));
        let s = book.get(Uid(3)).unwrap();
        assert_eq!((s.hotkey, s.mean(), s.samples), (key(2), Loss(9_000), 1));
        book.observe(Uid(4), key(4), Loss(1));
        book.observe(Uid(5), key(5), Loss(1));
        book.sync(|uid| match uid.0 {
            3 => Some(key(2)),
            4 => Some(key(9)),
            _ => None,
        });
        assert_eq!(book.iter().map(|(u, _)| u.0).collect::<Vec<_>>(), vec![3]);
    }
}
