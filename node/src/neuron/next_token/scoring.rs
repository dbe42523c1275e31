//! Scoring `next-token` answers by the cross-entropy of the true continuation, in micro-nats.
//!
//! The answer lists up to k words with probabilities; a sum above 1 is renormalised (so
//! over-claiming never pays), and the mass a miner left unlisted is spread evenly over the rest of
//! the vocabulary. This makes the rule proper for a given candidate set: a miner minimises its
//! expected loss by reporting its true beliefs, tail mass included. Every probability is floored
//! at 2^-24, so one confident miss costs at most [`WORST_MICRO`] (≈ 16.6 nats), which is also
//! the loss of garbage and timeouts.

use super::wire::{NextTokenResponse, PROB_ONE};
use crate::neuron::fixed::{exp_neg_micro_q32, ln_ratio_micro};
use crate::neuron::task::{Loss, Scorer};

/// ln(2^24) in micro-nats: the loss of the floor probability.
pub const WORST_MICRO: u32 = 16_635_532;

/// What the validator kept back: the word that really came next, and the k it asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextTokenTruth {
    pub next: String,
    pub k: u8,
}

/// Cross-entropy scorer over a vocabulary of `vocab_size` words.
#[derive(Clone, Copy, Debug)]
pub struct CrossEntropy {
    vocab_size: u32,
}

impl CrossEntropy {
    pub fn new(vocab_size: usize) -> Self {
        CrossEntropy { vocab_size: u32::try_from(vocab_size).unwrap_or(u32::MAX).max(1) }
    }

    /// The probability the answer gives `truth`, as `num / den`, before the floor.
    fn probability(&self, truth: &str, response: &NextTokenResponse) -> (u64, u64) {
        let sum: u64 = response.top.iter().map(|c| u64::from(c.prob)).sum();
        let one = u64::from(PROB_ONE);
        let den = sum.max(one);
        if let Some(c) = response.top.iter().find(|c| c.token == truth) {
            return (u64::from(c.prob), den);
        }
        let listed = u32::try_from(response.top.len()).unwrap_or(u32::MAX);
        let others = u64::from(self.vocab_size.saturating_sub(listed).max(1));
        (one.saturating_sub(sum), den * others)
    }
}

impl Scorer for CrossEntropy {
    type Truth = NextTokenTruth;
    type Response = NextTokenResponse;

    fn score(&self, truth: &NextTokenTruth, response: &NextTokenResponse) -> Loss {
        if response.top.len() > usize::from(truth.k) {
            return self.worst();
        }
        let (num, den) = self.probability(&truth.next, response);
        // Floor at 1/PROB_ONE: num/den < 1/ONE ⇔ num·ONE < den (no overflow: den < 2^62).
        if u128::from(num) * u128::from(PROB_ONE) < u128::from(den) {
            return self.worst();
        }
        Loss(ln_ratio_micro(num, den).min(WORST_MICRO))
    }

    fn worst(&self) -> Loss {
        Loss(WORST_MICRO)
    }

    /// e^(−mean loss) in Q32: the geometric-mean probability the miner gave the truth (one over
    /// its perplexity), so weights favour good models sharply and garbage earns ~2^-24 of the best.
    fn merit(&self, mean: Loss) -> u64 {
        if mean.0 >= WORST_MICRO {
            return 0;
        }
        exp_neg_micro_q32(mean.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::wire::Candidate;
    use super::*;

    fn answer(pairs: &[(&str, u32)]) -> NextTokenResponse {
        NextTokenResponse {
            top: pairs.iter().map(|(t, p)| Candidate { token: t.to_string(), prob: *p }).collect(),
        }
    }

    fn truth(w: &str) -> NextTokenTruth {
        NextTokenTruth { next: w.into(), k: 4 }
    }

    const HALF: u32 = PROB_ONE / 2;

    #[test]
    fn listed_truth_costs_its_log_probability() {
        let s = CrossEntropy::new(100);
        let loss = s.score(&truth("a"), &answer(&[("a", HALF), ("b", HALF)]));
        assert!((i64::from(loss.0) - 693_147).abs() <= 2, "{loss}");
        // Claiming 1 + 1 renormalises to 1/2 each: no gain from over-claiming.
        let over = s.score(&truth("a"), &answer(&[("a", PROB_ONE), ("b", PROB_ONE)]));
        assert_eq!(over, loss);
    }

    #[test]
    fn unlisted_truth_shares_the_tail() {
        let s = CrossEntropy::new(102);
        // Half the mass left over for the 100 unlisted words: p = 1/200.
        let loss = s.score(&truth("z"), &answer(&[("a", HALF / 2), ("b", HALF / 2)]));
        assert!((i64::from(loss.0) - 5_298_317).abs() <= 2, "{loss}");
        // No tail left: the floor.
        assert_eq!(s.score(&truth("z"), &answer(&[("a", PROB_ONE)])), s.worst());
    }

    #[test]
    fn too_many_candidates_and_zero_probability_are_worst() {
        let s = CrossEntropy::new(10);
        let five = answer(&[("a", 1), ("b", 1), ("c", 1), ("d", 1), ("e", 1)]);
        assert_eq!(s.score(&truth("a"), &five), s.worst());
        assert_eq!(s.score(&truth("a"), &answer(&[("a", 0), ("b", PROB_ONE)])), s.worst());
        assert_eq!(s.merit(s.worst()), 0);
        assert!(s.merit(Loss(1_000_000)) > s.merit(Loss(2_000_000)));
    }

    #[test]
    fn uniform_answer_scores_log_vocab() {
        let s = CrossEntropy::new(256);
        let loss = s.score(&truth("q"), &NextTokenResponse::default());
        assert!((i64::from(loss.0) - 5_545_177).abs() <= 2, "{loss}");
    }
}
