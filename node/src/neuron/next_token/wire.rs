//! `next-token` payloads: the context window a validator sends and the top-k distribution a miner
//! answers, in protocol's canonical codec (bounded bincode), plus their JSON form for external
//! backends. Probabilities are integers in parts per [`PROB_ONE`] (2^24) on the wire; JSON
//! carries floats, quantised here by flooring, which is exact and the same everywhere.

use protocol::codec;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::source::is_valid_word;
use crate::neuron::task::PayloadError;

/// Probability 1 in wire units.
pub const PROB_ONE: u32 = 1 << 24;
/// Most candidates in an answer.
pub const MAX_TOP_K: u8 = 32;
/// Longest context window, in words.
pub const MAX_CONTEXT: usize = 256;
/// Longest word, in bytes.
pub const MAX_WORD_BYTES: usize = 48;
/// Encoded ceilings: a length prefix per vector and per string, plus the bytes themselves.
pub const MAX_REQUEST_BYTES: usize = 8 + MAX_CONTEXT * (8 + MAX_WORD_BYTES) + 1;
pub const MAX_RESPONSE_BYTES: usize = 8 + MAX_TOP_K as usize * (8 + MAX_WORD_BYTES + 4);

/// "Which word comes next after `context`? Give me your `k` best guesses."
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextTokenRequest {
    /// Oldest word first; the answer continues the last one.
    pub context: Vec<String>,
    /// Most candidates wanted, 1..=[`MAX_TOP_K`].
    pub k: u8,
}

/// One guess: a word and its probability in parts per [`PROB_ONE`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    pub token: String,
    pub prob: u32,
}

/// A miner's answer: distinct words with probabilities summing to at most [`PROB_ONE`] (the
/// scorer renormalises larger sums); unlisted words share the missing mass.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextTokenResponse {
    pub top: Vec<Candidate>,
}

pub fn encode_request(request: &NextTokenRequest) -> Vec<u8> {
    codec::encode(request)
}

pub fn decode_request(bytes: &[u8]) -> Result<NextTokenRequest, PayloadError> {
    let request: NextTokenRequest =
        codec::decode_bounded(bytes, "next-token request", MAX_REQUEST_BYTES)?;
    validate_request(&request)?;
    Ok(request)
}

pub fn validate_request(request: &NextTokenRequest) -> Result<(), PayloadError> {
    if request.context.is_empty() || request.context.len() > MAX_CONTEXT {
        return Err(PayloadError::invalid(format!(
            "context must hold 1..={MAX_CONTEXT} words, got {}",
            request.context.len()
        )));
    }
    if let Some(bad) = request.context.iter().find(|w| !is_valid_word(w)) {
        return Err(bad_word(bad));
    }
    if request.k == 0 || request.k > MAX_TOP_K {
        return Err(PayloadError::invalid(format!("k must be 1..={MAX_TOP_K}, got {}", request.k)));
    }
    Ok(())
}

pub fn encode_response(response: &NextTokenResponse) -> Vec<u8> {
    codec::encode(response)
}

pub fn decode_response(bytes: &[u8]) -> Result<NextTokenResponse, PayloadError> {
    let response: NextTokenResponse =
        codec::decode_bounded(bytes, "next-token response", MAX_RESPONSE_BYTES)?;
    validate_response(&response)?;
    Ok(response)
}

/// Bounded count, valid distinct words, each probability at most 1 (the sum may exceed 1: the
/// scorer renormalises, which only costs the miner).
pub fn validate_response(response: &NextTokenResponse) -> Result<(), PayloadError> {
    let top = &response.top;
    if top.len() > usize::from(MAX_TOP_K) {
        return Err(PayloadError::invalid(format!(
            "at most {MAX_TOP_K} candidates, got {}",
            top.len()
        )));
    }
    for (i, c) in top.iter().enumerate() {
        if !is_valid_word(&c.token) {
            return Err(bad_word(&c.token));
        }
        if c.prob > PROB_ONE {
            return Err(PayloadError::invalid(format!("probability {} above {PROB_ONE}", c.prob)));
        }
        // k ≤ 32, so the quadratic check is cheaper than hashing.
        if top[..i].iter().any(|d| d.token == c.token) {
            return Err(PayloadError::invalid(format!("word {:?} listed twice", c.token)));
        }
    }
    Ok(())
}

fn bad_word(word: &str) -> PayloadError {
    let shown: String = word.chars().take(16).collect();
    PayloadError::invalid(format!(
        "word {shown:?} is empty, longer than {MAX_WORD_BYTES} bytes or contains whitespace"
    ))
}

/// `{"context": ["…", …], "k": 32}`
pub fn request_to_json(request: &NextTokenRequest) -> Value {
    json!({ "context": request.context, "k": request.k })
}

/// Parses `{"context": [...], "k": n}` (for JSON miners written in Rust and for tests).
pub fn request_from_json(value: &Value) -> Result<NextTokenRequest, PayloadError> {
    let request: NextTokenRequest =
        serde_json::from_value(value.clone()).map_err(|e| PayloadError::Json(e.to_string()))?;
    validate_request(&request)?;
    Ok(request)
}

/// `{"top": [{"token": "…", "p": 0.25}, …]}` with `p` a probability in [0, 1].
pub fn response_to_json(response: &NextTokenResponse) -> Value {
    let top: Vec<Value> = response
        .top
        .iter()
        .map(|c| json!({ "token": c.token, "p": f64::from(c.prob) / f64::from(PROB_ONE) }))
        .collect();
    json!({ "top": top })
}

/// Parses a JSON answer; candidates whose probability floors to zero are dropped.
pub fn response_from_json(value: &Value) -> Result<NextTokenResponse, PayloadError> {
    let json_err = |m: &str| PayloadError::Json(m.to_string());
    let top = value
        .get("top")
        .and_then(Value::as_array)
        .ok_or_else(|| json_err("expected {\"top\": [{\"token\": string, \"p\": number}, …]}"))?;
    if top.len() > usize::from(MAX_TOP_K) {
        return Err(PayloadError::invalid(format!(
            "at most {MAX_TOP_K} candidates, got {}",
            top.len()
        )));
    }
    let mut out = NextTokenResponse { top: Vec::with_capacity(top.len()) };
    for entry in top {
        let token = entry
            .get("token")
            .and_then(Value::as_str)
            .ok_or_else(|| json_err("each candidate needs a string \"token\""))?;
        let p = entry
            .get("p")
            .and_then(Value::as_f64)
            .ok_or_else(|| json_err("each candidate needs a number \"p\""))?;
        let prob = quantise(p)
            .ok_or_else(|| PayloadError::invalid(format!("probability {p} outside [0, 1]")))?;
        if prob > 0 {
            out.top.push(Candidate { token: token.to_string(), prob });
        }
    }
    validate_response(&out)?;
    Ok(out)
}

/// A probability in wire units, floored; `None` outside [0, 1].
pub fn quantise(p: f64) -> Option<u32> {
    if !(0.0..=1.0).contains(&p) {
        return None;
    }
    // p·2^24 is exact in f64 and at most 2^24, so the cast neither rounds nor saturates.
    Some((p * f64::from(PROB_ONE)).floor() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> NextTokenRequest {
        NextTokenRequest { context: vec!["ba".into(), "ko".into()], k: 4 }
    }

    #[test]
    fn round_trips() {
        let r = request();
        assert_eq!(decode_request(&encode_request(&r)).unwrap(), r);
        let a = NextTokenResponse {
            top: vec![
                Candidate { token: "ba".into(), prob: 7 },
                Candidate { token: "x".into(), prob: PROB_ONE },
            ],
        };
        assert_eq!(decode_response(&encode_response(&a)).unwrap(), a);
        assert_eq!(response_from_json(&response_to_json(&a)).unwrap(), a);
        assert_eq!(request_from_json(&request_to_json(&r)).unwrap(), r);
    }

    #[test]
    fn refuses_invalid_requests() {
        for bad in [
            NextTokenRequest { context: vec![], k: 1 },
            NextTokenRequest { context: vec!["a b".into()], k: 1 },
            NextTokenRequest { context: vec!["a".into()], k: 0 },
            NextTokenRequest { context: vec!["a".into()], k: 33 },
            NextTokenRequest { context: vec!["x".repeat(49)], k: 1 },
        ] {
            assert!(decode_request(&encode_request(&bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn refuses_invalid_responses() {
        let c = |t: &str, p| Candidate { token: t.into(), prob: p };
        for bad in [
            NextTokenResponse { top: vec![c("a", 1), c("a", 2)] },
            NextTokenResponse { top: vec![c("a", PROB_ONE + 1)] },
            NextTokenResponse { top: vec![c("", 1)] },
            NextTokenResponse { top: (0..33).map(|i| c(&i.to_string(), 1)).collect() },
        ] {
            assert!(decode_response(&encode_response(&bad)).is_err(), "{bad:?}");
        }
        for bad in [
            json!({}),
            json!({"top": 3}),
            json!({"top": [{"token": "a", "p": 1.5}]}),
            json!({"top": [{"token": "a"}]}),
        ] {
            assert!(response_from_json(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn garbage_never_panics() {
        let mut bytes = encode_response(&NextTokenResponse {
            top: vec![Candidate { token: "abc".into(), prob: 5 }],
        });
        for i in 0..bytes.len() {
            for v in [0u8, 0xff, 0x80] {
                let old = bytes[i];
                bytes[i] = v;
                let _ = decode_response(&bytes);
                let _ = decode_request(&bytes);
                bytes[i] = old;
            }
        }
        assert!(decode_response(&vec![0xff; MAX_RESPONSE_BYTES + 1]).is_err());
    }
}
