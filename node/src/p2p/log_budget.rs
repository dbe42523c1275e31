//! A token bucket for warnings that remote peers can trigger (garbage gossip, garbage requests,
//! bans). Each offence is logged while the bucket lasts; after that at most a few a second, and
//! the next warning that passes says how many were left out. Gossipsub's greylist and the ban
//! bound what one identity can make us log, but identities are free: without a budget a peer
//! minting fresh keys could fill the disk with warnings.

use std::time::Instant;

pub struct LogBudget {
    burst: f64,
    per_second: f64,
    tokens: f64,
    last: Instant,
    suppressed: u64,
}

impl LogBudget {
    pub fn new(burst: u32, per_second: u32) -> LogBudget {
        LogBudget {
            burst: f64::from(burst),
            per_second: f64::from(per_second),
            tokens: f64::from(burst),
            last: Instant::now(),
            suppressed: 0,
        }
    }

    /// `Some(n)` when a warning may be logged now, `n` being how many were suppressed since the
    /// last one logged; `None` when this one must be left out (it is counted).
    pub fn admit(&mut self) -> Option<u64> {
        self.admit_at(Instant::now())
    }

    fn admit_at(&mut self, now: Instant) -> Option<u64> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Some(std::mem::take(&mut self.suppressed))
        } else {
            self.suppressed = self.suppressed.saturating_add(1);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_passes_then_a_few_a_second_with_the_count_of_the_rest() {
        let mut b = LogBudget::new(3, 2);
        let t0 = Instant::now();
        b.last = t0;
        let first: Vec<_> = (0..10).map(|_| b.admit_at(t0)).collect();
        assert_eq!(first[..3], [Some(0), Some(0), Some(0)]);
        assert!(first[3..].iter().all(Option::is_none));
        // Half a second refills one token: it passes and reports the seven left out.
        assert_eq!(b.admit_at(t0 + Duration::from_millis(500)), Some(7));
        assert_eq!(b.admit_at(t0 + Duration::from_millis(500)), None);
        // A flood of 10,000 warnings over 10 s logs at most burst + 10 s × 2.
        let mut logged = 0;
        for i in 0..10_000u64 {
            if b.admit_at(t0 + Duration::from_millis(500 + i)).is_some() {
                logged += 1;
            }
        }
        assert!(logged <= 3 + 20, "{logged} warnings logged");
        // A long quiet spell refills the bucket, never past the burst.
        let later = t0 + Duration::from_secs(3600);
        let passed = (0..10).filter(|_| b.admit_at(later).is_some()).count();
        assert_eq!(passed, 3);
    }
}
