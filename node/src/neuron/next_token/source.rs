//! Where `next-token` text comes from: a [`TextSource`] yields token ids over its [`Vocab`]. The
//! seeded [`super::MarkovLanguage`] is the default; [`super::Corpus`] reads text files.

use std::collections::HashMap;

use rand::RngCore;

use super::wire::MAX_WORD_BYTES;

/// Words and their ids. Words travel on the wire, ids stay local, so a miner and a validator need
/// not share an id assignment: only the words.
#[derive(Clone, Debug, Default)]
pub struct Vocab {
    words: Vec<String>,
    index: HashMap<String, u32>,
}

impl Vocab {
    /// A vocabulary of distinct, non-empty words of at most [`MAX_WORD_BYTES`] bytes without
    /// whitespace; the first occurrence of a repeated word wins.
    pub fn new(words: impl IntoIterator<Item = String>) -> Vocab {
        let mut vocab = Vocab::default();
        for word in words {
            vocab.intern(&word);
        }
        vocab
    }

    /// The id of `word`, adding it if new. Words that could not travel on the wire are refused.
    pub fn intern(&mut self, word: &str) -> Option<u32> {
        if let Some(&id) = self.index.get(word) {
            return Some(id);
        }
        if !is_valid_word(word) {
            return None;
        }
        let id = u32::try_from(self.words.len()).ok()?;
        self.words.push(word.to_string());
        self.index.insert(word.to_string(), id);
        Some(id)
    }

    pub fn id(&self, word: &str) -> Option<u32> {
        self.index.get(word).copied()
    }

    /// The word of `id`; ids come from this vocabulary, so out of range is a caller bug.
    pub fn word(&self, id: u32) -> &str {
        &self.words[id as usize]
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    pub fn words(&self) -> &[String] {
        &self.words
    }
}

/// A word that can travel in a `next-token` payload.
pub fn is_valid_word(word: &str) -> bool {
    !word.is_empty() && word.len() <= MAX_WORD_BYTES && !word.chars().any(char::is_whitespace)
}

/// A stream of tokens to query miners with and to train models on.
pub trait TextSource: Send + Sync {
    fn vocab(&self) -> &Vocab;

    /// `len` consecutive tokens drawn from the source; deterministic in `rng`.
    fn sample(&self, rng: &mut dyn RngCore, len: usize) -> Vec<u32>;

    /// The best achievable mean loss per token in micro-nats, when the source knows it.
    fn entropy_rate_micro(&self) -> Option<u32> {
        None
    }

    /// A one-line description for logs and reports.
    fn describe(&self) -> String;
}
