//! The default text source: a seeded stochastic language whose best possible loss is known.
//!
//! It is a sparse Markov chain of order 2 over `vocab_size` made-up words ("baka", "tomu", …).
//! Each word `b` has `branching` possible successors `S(b)` (always including word `b + 1`, which
//! makes the chain irreducible), and each pair `(a, b)` has its own skewed distribution over
//! `S(b)`. So the previous word narrows the next one down to a few, and the word before sharpens
//! it further: an order-2 model can learn the language exactly, an order-1 model only the mixture.
//! All tables derive from the seed (ChaCha8), and transitions are integer weights, so sampling is
//! identical everywhere.
//!
//! The chain has `vocab_size · branching` reachable states; its stationary distribution comes
//! from power iteration, which gives the exact entropy rate (the loss of a perfect model, so each
//! miner's *excess* loss can be reported) and lets samples start in the stationary regime.

use rand::{Rng, RngCore, SeedableRng, seq::SliceRandom};
use rand_chacha::ChaCha8Rng;

use super::source::{TextSource, Vocab};

const CONSONANTS: &[u8] = b"bdfghjklmnprstvz";
const VOWELS: &[u8] = b"aeiou";
/// Two syllables of consonant + vowel.
pub const MAX_LANGUAGE_VOCAB: u32 = 80 * 80;
pub const MAX_BRANCHING: u32 = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LanguageConfig {
    pub seed: u64,
    /// Words in the language, 2..=6400.
    pub vocab_size: u32,
    /// Successors per word, 2..=min(64, vocab_size).
    pub branching: u32,
}

impl Default for LanguageConfig {
    fn default() -> Self {
        LanguageConfig { seed: 0x7a75, vocab_size: 256, branching: 12 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LanguageError {
    #[error("vocab_size must be 2..={MAX_LANGUAGE_VOCAB}, got {0}")]
    Vocab(u32),
    #[error("branching must be 2..=min({MAX_BRANCHING}, vocab_size), got {0}")]
    Branching(u32),
}

/// Entropies of the language in nats per word (floats: reporting only, never on the wire).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entropies {
    /// The entropy rate: the mean loss of the true model, the floor for every miner.
    pub rate: f64,
    /// The best loss of a model that sees only the previous word.
    pub order1: f64,
    /// The best loss of a model that sees no context.
    pub unigram: f64,
}

pub struct MarkovLanguage {
    config: LanguageConfig,
    vocab: Vocab,
    /// `follow[t·b + j]`: the j-th successor of word t. State `s = a·b + j` is the pair
    /// (a, follow[s]), so a state and its last word share an index.
    follow: Vec<u32>,
    /// Per state, cumulative integer weights over the successors of its last word.
    cumulative: Vec<u32>,
    /// Cumulative quantised stationary weights of the states, to draw a starting pair.
    start: Vec<u64>,
    entropies: Entropies,
}

impl MarkovLanguage {
    pub fn new(config: LanguageConfig) -> Result<Self, LanguageError> {
        let v = config.vocab_size;
        if !(2..=MAX_LANGUAGE_VOCAB).contains(&v) {
            return Err(LanguageError::Vocab(v));
        }
        let b = config.branching;
        if !(2..=MAX_BRANCHING.min(v)).contains(&b) {
            return Err(LanguageError::Branching(b));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let mut follow = Vec::with_capacity((v * b) as usize);
        for t in 0..v {
            let mut next = vec![(t + 1) % v];
            while next.len() < b as usize {
                let c = rng.random_range(0..v);
                if !next.contains(&c) {
                    next.push(c);
                }
            }
            next.shuffle(&mut rng);
            follow.extend(next);
        }
        let mut cumulative = Vec::with_capacity(follow.len() * b as usize);
        for _state in 0..follow.len() {
            let mut acc = 0u32;
            for _ in 0..b {
                // Cubing a uniform draw skews each distribution toward a few favourites; the
                // floor keeps every successor possible.
                let u = u64::from(rng.random::<u32>() >> 16);
                acc += 1_024 + ((u * u * u) >> 28) as u32;
                cumulative.push(acc);
            }
        }
        let vocab = Vocab::new((0..v).map(word));
        let mut lang = MarkovLanguage {
            config,
            vocab,
            follow,
            cumulative,
            start: Vec::new(),
            entropies: Entropies { rate: 0.0, order1: 0.0, unigram: 0.0 },
        };
        let pi = lang.stationary();
        lang.entropies = lang.entropies_of(&pi);
        let mut acc = 0u64;
        lang.start = pi
            .iter()
            .map(|p| {
                acc += 1 + (p * (1u64 << 40) as f64) as u64;
                acc
            })
            .collect();
        Ok(lang)
    }

    pub fn config(&self) -> &LanguageConfig {
        &self.config
    }

    pub fn entropies(&self) -> Entropies {
        self.entropies
    }

    fn b(&self) -> usize {
        self.config.branching as usize
    }

    /// P(successor j | state s) as a float, for the entropy computations.
    fn probs(&self, s: usize) -> impl Iterator<Item = f64> + '_ {
        let row = &self.cumulative[s * self.b()..(s + 1) * self.b()];
        let total = f64::from(row[row.len() - 1]);
        let mut prev = 0;
        row.iter().map(move |&c| {
            let w = c - prev;
            prev = c;
            f64::from(w) / total
        })
    }

    /// The stationary distribution over states, by power iteration of the lazy chain (same
    /// fixed point, and aperiodic, so it converges from the uniform start).
    fn stationary(&self) -> Vec<f64> {
        let (n, b) = (self.follow.len(), self.b());
        let mut pi = vec![1.0 / n as f64; n];
        let mut next = vec![0.0; n];
        for _ in 0..20_000 {
            next.iter_mut().for_each(|x| *x = 0.0);
            for (s, &weight) in pi.iter().enumerate() {
                let base = self.follow[s] as usize * b;
                for (j, p) in self.probs(s).enumerate() {
                    next[base + j] += weight * p;
                }
            }
            let mut diff = 0.0;
            for (p, q) in pi.iter_mut().zip(&next) {
                let lazy = 0.5 * (*p + q);
                diff += (lazy - *p).abs();
                *p = lazy;
            }
            if diff < 1e-13 {
                break;
            }
        }
        pi
    }

    fn entropies_of(&self, pi: &[f64]) -> Entropies {
        let (n, b) = (self.follow.len(), self.b());
        let plogp = |p: f64| if p > 0.0 { -p * p.ln() } else { 0.0 };
        let mut rate = 0.0;
        // joint[t·b + j]: P(previous word t, next word follow[t·b + j]).
        let mut joint = vec![0.0; n];
        for (s, &weight) in pi.iter().enumerate() {
            let base = self.follow[s] as usize * b;
            for (j, p) in self.probs(s).enumerate() {
                rate += weight * plogp(p);
                joint[base + j] += weight * p;
            }
        }
        let mut order1 = 0.0;
        let mut unigram = vec![0.0; self.vocab.len()];
        for t in 0..n / b {
            let row = &joint[t * b..(t + 1) * b];
            let total: f64 = row.iter().sum();
            for (j, &q) in row.iter().enumerate() {
                if q > 0.0 {
                    order1 += plogp(q / total) * total;
                }
                unigram[self.follow[t * b + j] as usize] += q;
            }
        }
        Entropies { rate, order1, unigram: unigram.into_iter().map(plogp).sum() }
    }
}

/// The made-up word for id `i` (< 6400): two consonant-vowel syllables.
fn word(i: u32) -> String {
    let syllable = |x: u32| {
        let (c, v) = (x / VOWELS.len() as u32, x % VOWELS.len() as u32);
        [CONSONANTS[c as usize] as char, VOWELS[v as usize] as char]
    };
    syllable(i / 80).iter().chain(syllable(i % 80).iter()).collect()
}

impl TextSource for MarkovLanguage {
    fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    fn sample(&self, rng: &mut dyn RngCore, len: usize) -> Vec<u32> {
        let mut out = Vec::with_capacity(len);
        if len == 0 {
            return out;
        }
        let total = *self.start.last().expect("a language has states");
        let r = rng.random_range(0..total);
        let mut s = self.start.partition_point(|&c| c <= r);
        let b = self.b();
        out.push((s / b) as u32);
        out.push(self.follow[s]);
        while out.len() < len {
            let row = &self.cumulative[s * b..(s + 1) * b];
            let r = rng.random_range(0..row[b - 1]);
            let j = row.partition_point(|&c| c <= r);
            s = self.follow[s] as usize * b + j;
            out.push(self.follow[s]);
        }
        out.truncate(len);
        out
    }

    fn entropy_rate_micro(&self) -> Option<u32> {
        Some((self.entropies.rate * 1e6).round() as u32)
    }

    fn describe(&self) -> String {
        let c = &self.config;
        format!(
            "markov-2 language seed={} vocab={} branching={} (entropy rate {:.4} nats/word)",
            c.seed, c.vocab_size, c.branching, self.entropies.rate
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang() -> MarkovLanguage {
        MarkovLanguage::new(LanguageConfig::default()).unwrap()
    }

    #[test]
    fn words_are_distinct_and_valid() {
        let l = lang();
        assert_eq!(l.vocab().len(), 256);
        assert_eq!(word(0), "baba");
        let all = Vocab::new((0..MAX_LANGUAGE_VOCAB).map(word));
        assert_eq!(all.len(), MAX_LANGUAGE_VOCAB as usize);
    }

    #[test]
    fn same_seed_same_text_and_entropies_are_ordered() {
        let (a, b) = (lang(), lang());
        let sample = |l: &MarkovLanguage| l.sample(&mut ChaCha8Rng::seed_from_u64(9), 500);
        assert_eq!(sample(&a), sample(&b));
        let e = a.entropies();
        assert!(e.rate < e.order1 && e.order1 < e.unigram, "{e:?}");
        assert!(e.unigram <= (256f64).ln() + 1e-9);
        let other = MarkovLanguage::new(LanguageConfig { seed: 1, ..LanguageConfig::default() });
        assert_ne!(sample(&a), sample(&other.unwrap()));
    }

    #[test]
    fn samples_follow_the_chain() {
        let l = lang();
        let text = l.sample(&mut ChaCha8Rng::seed_from_u64(3), 1_000);
        let b = l.b();
        for w in text.windows(2) {
            let succ = &l.follow[w[0] as usize * b..(w[0] as usize + 1) * b];
            assert!(succ.contains(&w[1]));
        }
    }

    #[test]
    fn bad_configs_are_refused() {
        let c = LanguageConfig::default();
        assert!(MarkovLanguage::new(LanguageConfig { vocab_size: 1, ..c }).is_err());
        assert!(MarkovLanguage::new(LanguageConfig { branching: 1, ..c }).is_err());
        assert!(MarkovLanguage::new(LanguageConfig { vocab_size: 8, branching: 9, ..c }).is_err());
    }
}
