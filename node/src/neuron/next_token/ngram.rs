//! The built-in miner model: an interpolated Kneser-Ney n-gram language model.
//!
//! Order `o` is the Markov order: the model conditions on the last `o` words, so order 0 is a
//! unigram model, order 2 a trigram model (which can learn the seeded language exactly), and
//! [`NgramModel::uniform`] knows nothing at all. Each
//! level discounts its counts by an absolute `D` estimated from its count-of-counts
//! (`n1 / (n1 + 2·n2)`) and hands the freed mass to the level below; lower levels count how many
//! distinct words precede an n-gram (continuation counts) rather than how often it occurs, which is
//! what makes Kneser-Ney back off well. The lowest level interpolates with the uniform
//! distribution, so every word keeps some probability. Order and training size set the quality,
//! which is how a testnet gets miners of known ranking.
//!
//! Probabilities are floats inside the model; answers are quantised by flooring (see
//! [`NgramModel::predict`]), so the wire sees integers only.

use std::cmp::Ordering;
use std::collections::HashMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::source::{TextSource, Vocab};
use super::wire::{Candidate, PROB_ONE};

/// Highest order (words of context): n-grams of up to 4 words pack into a u128 key.
pub const MAX_ORDER: usize = 3;
/// Context words the model does not know never match a count.
const UNKNOWN: u32 = u32::MAX;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NgramError {
    #[error("n-gram order must be 0..={MAX_ORDER}, got {0}")]
    Order(usize),
    #[error("the vocabulary is empty: train on a text source with at least one word")]
    EmptyVocab,
}

/// Counts of one level, grouped by context (the first m − 1 words of each m-gram).
#[derive(Default)]
struct Level {
    discount: f64,
    contexts: HashMap<u128, Context>,
}

#[derive(Default)]
struct Context {
    total: f64,
    next: Vec<(u32, u32)>,
}

pub struct NgramModel {
    /// Words of context used.
    order: usize,
    vocab: Vocab,
    /// `levels[m − 1]` holds m-grams, m = 1..=order + 1; none for the uniform model.
    levels: Vec<Level>,
    trained_on: usize,
}

fn pack(words: &[u32]) -> u128 {
    words.iter().fold(0u128, |k, &w| (k << 32) | u128::from(w))
}

impl NgramModel {
    /// The model that knows nothing: every word equally likely.
    pub fn uniform(vocab: Vocab) -> Result<NgramModel, NgramError> {
        if vocab.is_empty() {
            return Err(NgramError::EmptyVocab);
        }
        Ok(NgramModel { order: 0, vocab, levels: Vec::new(), trained_on: 0 })
    }

    /// Trains an order-`order` model on `tokens` (ids of `vocab`).
    pub fn train(order: usize, vocab: Vocab, tokens: &[u32]) -> Result<NgramModel, NgramError> {
        if order > MAX_ORDER {
            return Err(NgramError::Order(order));
        }
        if vocab.is_empty() {
            return Err(NgramError::EmptyVocab);
        }
        let n = order + 1;
        let mut grams: Vec<HashMap<u128, u32>> = vec![HashMap::new(); n];
        for window in tokens.windows(n) {
            *grams[n - 1].entry(pack(window)).or_default() += 1;
        }
        // Continuation counts: an m-gram counts once per distinct word seen before it.
        for m in (1..n).rev() {
            let mask = (1u128 << (32 * m)) - 1;
            let suffixes: Vec<u128> = grams[m].keys().map(|k| k & mask).collect();
            for suffix in suffixes {
                *grams[m - 1].entry(suffix).or_default() += 1;
            }
        }
        let levels = grams.into_iter().map(Level::from_counts).collect();
        Ok(NgramModel { order, vocab, levels, trained_on: tokens.len() })
    }

    /// Trains on `tokens` words drawn from `source` with a seeded RNG.
    pub fn train_on(
        source: &dyn TextSource,
        order: usize,
        tokens: usize,
        seed: u64,
    ) -> Result<NgramModel, NgramError> {
        let text = source.sample(&mut ChaCha8Rng::seed_from_u64(seed), tokens);
        NgramModel::train(order, source.vocab().clone(), &text)
    }

    pub fn order(&self) -> usize {
        self.order
    }

    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    pub fn describe(&self) -> String {
        if self.levels.is_empty() {
            return format!("uniform vocab={}", self.vocab.len());
        }
        format!(
            "kneser-ney order={} trained_on={} vocab={}",
            self.order,
            self.trained_on,
            self.vocab.len()
        )
    }

    /// The model's full next-word distribution after `context` (ids; only the last `order`
    /// matter), summing to 1.
    pub fn distribution(&self, context: &[u32]) -> Vec<f64> {
        let v = self.vocab.len();
        let mut p = vec![1.0 / v as f64; v];
        for (m, level) in (1..).zip(&self.levels) {
            let Some(start) = context.len().checked_sub(m - 1) else {
                break;
            };
            // An unseen context leaves the lower level's distribution as is (back-off).
            let Some(ctx) = level.contexts.get(&pack(&context[start..])) else {
                continue;
            };
            let d = level.discount;
            let gamma = d * ctx.next.len() as f64 / ctx.total;
            p.iter_mut().for_each(|x| *x *= gamma);
            for &(w, c) in &ctx.next {
                p[w as usize] += (f64::from(c) - d).max(0.0) / ctx.total;
            }
        }
        p
    }

    /// The `k` most likely next words after `context`, most likely first (ties: lower id), with
    /// floored probabilities in parts per 2^24; words whose share floors to zero are left out.
    pub fn predict(&self, context: &[String], k: usize) -> Vec<Candidate> {
        let keep = self.order.min(context.len());
        let ids: Vec<u32> = context[context.len() - keep..]
            .iter()
            .map(|w| self.vocab.id(w).unwrap_or(UNKNOWN))
            .collect();
        let p = self.distribution(&ids);
        let by_rank = |a: &u32, b: &u32| -> Ordering {
            p[*b as usize].total_cmp(&p[*a as usize]).then(a.cmp(b))
        };
        let mut ranked: Vec<u32> = (0..p.len() as u32).collect();
        let k = k.min(ranked.len());
        if k == 0 {
            return Vec::new();
        }
        if k < ranked.len() {
            ranked.select_nth_unstable_by(k - 1, by_rank);
            ranked.truncate(k);
        }
        ranked.sort_unstable_by(by_rank);
        let mut top: Vec<Candidate> = ranked
            .into_iter()
            .map(|w| Candidate {
                token: self.vocab.word(w).to_string(),
                prob: (p[w as usize] * f64::from(PROB_ONE)).floor().clamp(0.0, f64::from(PROB_ONE))
                    as u32,
            })
            .filter(|c| c.prob > 0)
            .collect();
        // Rounding in the float sum could push the total a hair over 1: trim the top candidate.
        let sum: u64 = top.iter().map(|c| u64::from(c.prob)).sum();
        if let Some(excess) = sum.checked_sub(u64::from(PROB_ONE)).filter(|&e| e > 0)
            && let Some(first) = top.first_mut()
        {
            first.prob -= u32::try_from(excess).unwrap_or(first.prob).min(first.prob);
        }
        top
    }
}

impl Level {
    fn from_counts(counts: HashMap<u128, u32>) -> Level {
        let n1 = counts.values().filter(|&&c| c == 1).count() as f64;
        let n2 = counts.values().filter(|&&c| c == 2).count() as f64;
        let discount = if n1 + n2 > 0.0 { (n1 / (n1 + 2.0 * n2)).clamp(0.05, 0.95) } else { 0.75 };
        let mut contexts: HashMap<u128, Context> = HashMap::new();
        for (key, count) in counts {
            let ctx = contexts.entry(key >> 32).or_default();
            ctx.total += f64::from(count);
            ctx.next.push((key as u32, count));
        }
        // HashMap order is random per process; sorting keeps float sums identical run to run.
        for ctx in contexts.values_mut() {
            ctx.next.sort_unstable();
        }
        Level { discount, contexts }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab(n: u32) -> Vocab {
        Vocab::new((0..n).map(|i| format!("w{i}")))
    }

    #[test]
    fn distributions_sum_to_one() {
        let text: Vec<u32> = (0..500).map(|i| (i * 7 + i / 3) % 10).collect();
        for order in 0..=MAX_ORDER {
            let m = NgramModel::train(order, vocab(12), &text).unwrap();
            let u = NgramModel::uniform(vocab(12)).unwrap();
            assert!((u.distribution(&[]).iter().sum::<f64>() - 1.0).abs() < 1e-9);
            for ctx in [&text[..3], &[1, 2, 3], &[UNKNOWN, 4, 11], &[]] {
                let s: f64 = m.distribution(ctx).iter().sum();
                assert!((s - 1.0).abs() < 1e-9, "order {order}: {s}");
            }
        }
    }

    #[test]
    fn learns_a_deterministic_sequence() {
        let text: Vec<u32> = (0..2_000).map(|i| i % 5).collect();
        let m = NgramModel::train(1, vocab(5), &text).unwrap();
        let top = m.predict(&["w3".to_string()], 3);
        assert_eq!(top[0].token, "w4");
        assert!(top[0].prob > PROB_ONE / 10 * 9, "{top:?}");
        assert!(top.windows(2).all(|w| w[0].prob >= w[1].prob));
        let sum: u64 = top.iter().map(|c| u64::from(c.prob)).sum();
        assert!(sum <= u64::from(PROB_ONE));
    }

    #[test]
    fn uniform_and_unknown_words_are_fine() {
        let m = NgramModel::uniform(vocab(4)).unwrap();
        let top = m.predict(&["nope".to_string()], 32);
        assert_eq!(top.len(), 4);
        assert!(top.iter().all(|c| c.prob == PROB_ONE / 4));
        assert!(NgramModel::train(4, vocab(4), &[]).is_err());
        // Untrained models of any order fall back to uniform.
        let top = NgramModel::train(3, vocab(4), &[]).unwrap().predict(&["w1".into()], 32);
        assert!(top.iter().all(|c| c.prob == PROB_ONE / 4));
        assert!(NgramModel::train(1, Vocab::default(), &[]).is_err());
    }
}
