//! The built-in task `next-token`: given a window of words from the validator's text source, a
//! miner answers its top-k next-word distribution; the validator scores the cross-entropy of the
//! word that really came next.
//!
//! - [`wire`]: payloads (bounded codec) and their JSON form.
//! - [`scoring`]: the cross-entropy scorer, in integer micro-nats.
//! - [`source`], [`language`], [`corpus`]: text sources — the seeded Markov language with a known
//!   entropy rate (the default) or a directory of text files.
//! - [`ngram`]: the built-in miner model.

pub mod corpus;
pub mod language;
pub mod ngram;
pub mod scoring;
pub mod source;
pub mod wire;

use std::sync::Arc;

use rand::RngCore;
use serde_json::Value;

pub use corpus::{Corpus, CorpusError};
pub use language::{Entropies, LanguageConfig, LanguageError, MarkovLanguage};
pub use ngram::{NgramError, NgramModel};
pub use scoring::{CrossEntropy, NextTokenTruth, WORST_MICRO};
pub use source::{TextSource, Vocab};
pub use wire::{Candidate, NextTokenRequest, NextTokenResponse, PROB_ONE};

use crate::neuron::task::{PayloadError, Task, TaskCodec};

/// The task's name, as subnets declare it.
pub const NAME: &str = "next-token";

/// The `next-token` payload codec: all a miner needs.
#[derive(Clone, Copy, Debug, Default)]
pub struct NextTokenCodec;

impl TaskCodec for NextTokenCodec {
    type Request = NextTokenRequest;
    type Response = NextTokenResponse;

    fn name(&self) -> &str {
        NAME
    }

    fn encode_request(&self, request: &NextTokenRequest) -> Vec<u8> {
        wire::encode_request(request)
    }

    fn decode_request(&self, bytes: &[u8]) -> Result<NextTokenRequest, PayloadError> {
        wire::decode_request(bytes)
    }

    fn encode_response(&self, response: &NextTokenResponse) -> Vec<u8> {
        wire::encode_response(response)
    }

    fn decode_response(&self, bytes: &[u8]) -> Result<NextTokenResponse, PayloadError> {
        wire::decode_response(bytes)
    }

    fn request_to_json(&self, request: &NextTokenRequest) -> Value {
        wire::request_to_json(request)
    }

    fn response_from_json(&self, value: &Value) -> Result<NextTokenResponse, PayloadError> {
        wire::response_from_json(value)
    }
}

/// How a validator asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextTokenConfig {
    /// Words of context per query, 1..=256.
    pub context_len: usize,
    /// Candidates asked for, 1..=32.
    pub k: u8,
}

impl Default for NextTokenConfig {
    fn default() -> Self {
        NextTokenConfig { context_len: 8, k: wire::MAX_TOP_K }
    }
}

/// `next-token` as a validator runs it: queries from `source`, scored by cross-entropy.
pub struct NextToken {
    source: Arc<dyn TextSource>,
    config: NextTokenConfig,
    scorer: CrossEntropy,
}

impl NextToken {
    pub fn new(source: Arc<dyn TextSource>, config: NextTokenConfig) -> Self {
        let config = NextTokenConfig {
            context_len: config.context_len.clamp(1, wire::MAX_CONTEXT),
            k: config.k.clamp(1, wire::MAX_TOP_K),
        };
        let scorer = CrossEntropy::new(source.vocab().len());
        NextToken { source, config, scorer }
    }

    pub fn source(&self) -> &Arc<dyn TextSource> {
        &self.source
    }

    pub fn config(&self) -> NextTokenConfig {
        self.config
    }
}

impl TaskCodec for NextToken {
    type Request = NextTokenRequest;
    type Response = NextTokenResponse;

    fn name(&self) -> &str {
        NAME
    }

    fn encode_request(&self, request: &NextTokenRequest) -> Vec<u8> {
        NextTokenCodec.encode_request(request)
    }

    fn decode_request(&self, bytes: &[u8]) -> Result<NextTokenRequest, PayloadError> {
        NextTokenCodec.decode_request(bytes)
    }

    fn encode_response(&self, response: &NextTokenResponse) -> Vec<u8> {
        NextTokenCodec.encode_response(response)
    }

    fn decode_response(&self, bytes: &[u8]) -> Result<NextTokenResponse, PayloadError> {
        NextTokenCodec.decode_response(bytes)
    }

    fn request_to_json(&self, request: &NextTokenRequest) -> Value {
        NextTokenCodec.request_to_json(request)
    }

    fn response_from_json(&self, value: &Value) -> Result<NextTokenResponse, PayloadError> {
        NextTokenCodec.response_from_json(value)
    }
}

impl Task for NextToken {
    type Truth = NextTokenTruth;
    type Scorer = CrossEntropy;

    fn query(&self, rng: &mut dyn RngCore) -> (NextTokenRequest, NextTokenTruth) {
        let n = self.config.context_len;
        let mut words = self.source.sample(rng, n + 1);
        // A source shorter than the window (a tiny or empty corpus) still yields a valid query.
        if words.len() < 2 {
            words.resize(2, 0);
        }
        let vocab = self.source.vocab().words();
        let word = |id: u32| vocab.get(id as usize).map_or("_", String::as_str).to_string();
        let next = words.pop().map(word).unwrap_or_default();
        let context = words.into_iter().map(word).collect();
        let k = self.config.k;
        (NextTokenRequest { context, k }, NextTokenTruth { next, k })
    }

    fn scorer(&self) -> &CrossEntropy {
        &self.scorer
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::neuron::task::{AnyCodec, Scorer};

    #[test]
    fn queries_are_valid_and_replayable() {
        let lang = Arc::new(MarkovLanguage::new(LanguageConfig::default()).unwrap());
        let task = NextToken::new(lang, NextTokenConfig::default());
        let run = || {
            let mut rng = ChaCha8Rng::seed_from_u64(5);
            task.make_request(protocol::NetUid(1), 500, &mut rng)
        };
        let (req, truth) = run();
        assert_eq!(run().0, req);
        assert_eq!(req.task, NAME);
        let decoded = NextTokenCodec.decode_request(&req.payload).unwrap();
        assert_eq!(decoded.context.len(), 8);
        assert!(NextTokenCodec.check_request(&req.payload).is_ok());
        // No answer and garbage are both worst.
        assert_eq!(task.judge(&truth, None), task.scorer().worst());
        assert_eq!(task.judge(&truth, Some(b"garbage")), task.scorer().worst());
    }
}
