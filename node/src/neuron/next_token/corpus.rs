//! The alternative text source: a directory of text files, split on whitespace into words.
//! Files are read in name order so the vocabulary and every sample are reproducible.

use std::path::{Path, PathBuf};

use rand::{Rng, RngCore};

use super::source::{TextSource, Vocab};
use super::wire::MAX_WORD_BYTES;

/// Refuse corpora larger than this unless told otherwise: it is held in memory.
pub const DEFAULT_MAX_CORPUS_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("cannot read text directory {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("text directory {0} holds more than {1} bytes; raise the limit or use fewer files")]
    TooLarge(PathBuf, u64),
    #[error("text directory {0} holds fewer than 2 words; add .txt files with some text")]
    TooSmall(PathBuf),
}

pub struct Corpus {
    name: String,
    vocab: Vocab,
    tokens: Vec<u32>,
}

impl Corpus {
    /// Reads every regular file directly inside `dir` (not recursing), up to `max_bytes` in all.
    /// Bytes that are not UTF-8 are replaced, never fatal.
    pub fn from_dir(dir: &Path, max_bytes: u64) -> Result<Corpus, CorpusError> {
        let io = |source| CorpusError::Io { path: dir.to_path_buf(), source };
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .collect();
        files.sort();
        let mut text = String::new();
        let mut total = 0u64;
        for file in files {
            let len = std::fs::metadata(&file).map_err(io)?.len();
            total = total.saturating_add(len);
            if total > max_bytes {
                return Err(CorpusError::TooLarge(dir.to_path_buf(), max_bytes));
            }
            let bytes = std::fs::read(&file).map_err(io)?;
            text.push_str(&String::from_utf8_lossy(&bytes));
            text.push('\n');
        }
        let corpus = Corpus::from_text(&dir.display().to_string(), &text);
        if corpus.tokens.len() < 2 {
            return Err(CorpusError::TooSmall(dir.to_path_buf()));
        }
        Ok(corpus)
    }

    /// Words are whitespace-separated; longer ones are cut at a character boundary.
    pub fn from_text(name: &str, text: &str) -> Corpus {
        let mut vocab = Vocab::default();
        let tokens = text
            .split_whitespace()
            .filter_map(|w| {
                let mut end = w.len().min(MAX_WORD_BYTES);
                while !w.is_char_boundary(end) {
                    end -= 1;
                }
                vocab.intern(&w[..end])
            })
            .collect();
        Corpus { name: name.to_string(), vocab, tokens }
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

impl TextSource for Corpus {
    fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// A window starting at a random word, wrapping around at the end of the corpus.
    fn sample(&self, rng: &mut dyn RngCore, len: usize) -> Vec<u32> {
        if self.tokens.is_empty() {
            return Vec::new();
        }
        let start = rng.random_range(0..self.tokens.len());
        self.tokens.iter().cycle().skip(start).take(len).copied().collect()
    }

    fn describe(&self) -> String {
        format!("text corpus {} ({} words, vocabulary {})", self.name, self.len(), self.vocab.len())
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn reads_a_directory_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.txt"), "c d\n").unwrap();
        std::fs::write(dir.path().join("a.txt"), "a b  a\t").unwrap();
        std::fs::write(dir.path().join("z.bin"), [0xffu8, b' ', b'e']).unwrap();
        let c = Corpus::from_dir(dir.path(), 1 << 20).unwrap();
        assert_eq!(c.vocab().words(), ["a", "b", "c", "d", "\u{fffd}", "e"]);
        assert_eq!(c.len(), 7);
        let s = c.sample(&mut ChaCha8Rng::seed_from_u64(1), 10);
        assert_eq!(s.len(), 10);
        assert!(Corpus::from_dir(dir.path(), 4).is_err());
        assert!(Corpus::from_dir(&dir.path().join("missing"), 1 << 20).is_err());
    }

    #[test]
    fn long_words_are_cut_on_a_char_boundary() {
        let c = Corpus::from_text("t", &"é".repeat(40));
        assert_eq!(c.vocab().word(0).len(), 48);
    }
}
