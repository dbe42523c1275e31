//! The gossip capture format (docs/capture-format.md): one JSON object per line, written by
//! `tau node --capture DIR`, streamed by `GET /gossip/stream`, read by `tau testnet report`.
//!
//! One flat record type with optional fields, rather than an enum per kind, so that a line is easy
//! to filter with `jq` and an older reader skips what it does not know (unknown kinds parse as
//! [`Kind::Unknown`], unknown fields are ignored).

use std::io::{BufRead, Read};

use serde::{Deserialize, Serialize};

/// What a record says happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The capture started: `node` is this node's peer id, `summary` the chain and version.
    Start,
    /// This node published a message (its first send to the network).
    Publish,
    /// A message reached this node for the first time and decoded for its topic.
    Receive,
    /// Copies of a message that reached this node after it already had it (aggregated: `count`
    /// copies since the previous duplicate record for the same id).
    Duplicate,
    /// A message that did not decode for its topic (rejected; costs its forwarder score).
    Garbage,
    /// The peers in this node's gossipsub mesh for `topic`.
    Mesh,
    /// `count` records were lost because the writer fell behind (the network never waits).
    Dropped,
    /// A kind this reader does not know (written by a newer node).
    #[serde(other)]
    Unknown,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Start,
        Kind::Publish,
        Kind::Receive,
        Kind::Duplicate,
        Kind::Garbage,
        Kind::Mesh,
        Kind::Dropped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Start => "start",
            Kind::Publish => "publish",
            Kind::Receive => "receive",
            Kind::Duplicate => "duplicate",
            Kind::Garbage => "garbage",
            Kind::Mesh => "mesh",
            Kind::Dropped => "dropped",
            Kind::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One capture record. Which optional fields are present depends on `kind`
/// (docs/capture-format.md has the table).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Wall-clock time at the capturing node, nanoseconds since the Unix epoch.
    pub time_ns: u64,
    pub kind: Kind,
    /// Full topic name, `tau/<chain>/consensus|tx|weights/<netuid>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Gossipsub message id: hex blake3 of the message bytes, the same at every node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The message's author as its own signature says (`tau1…` address): a vote's or proposal's
    /// validator, a transaction's signer, a weight announcement's hotkey.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The peer that handed this node the message (gossipsub's propagation source).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarder: Option<String>,
    /// Message bytes (the gossip payload, without gossipsub framing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// What the payload decoded as: proposal, prevote, precommit, commit, transaction, weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// One human-readable line about the payload (or, for garbage, why it did not decode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Duplicate: copies counted; dropped: records lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Mesh: the peer ids in the mesh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peers: Option<Vec<String>>,
    /// Start: this node's peer id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
}

impl Record {
    /// A record of `kind` at `time_ns` with every optional field empty.
    pub fn new(time_ns: u64, kind: Kind) -> Record {
        Record {
            time_ns,
            kind,
            topic: None,
            id: None,
            source: None,
            forwarder: None,
            size: None,
            payload: None,
            summary: None,
            count: None,
            peers: None,
            node: None,
        }
    }
}

/// Longest line a reader accepts; a longer one (a corrupt or foreign file) is skipped.
pub const MAX_LINE: usize = 1024 * 1024;

/// Reads records from a capture, calling `f` for each; returns the number of lines that were not
/// records (malformed, truncated by a crash, or too long), which are skipped.
pub fn read_records(reader: impl BufRead, mut f: impl FnMut(Record)) -> std::io::Result<ReadStats> {
    let mut stats = ReadStats::default();
    let mut reader = reader;
    let mut line = Vec::new();
    loop {
        line.clear();
        // Bounded: read at most MAX_LINE + 1 bytes of a line, then skip the rest of it.
        let n = Read::take(&mut reader, MAX_LINE as u64 + 1).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(stats);
        }
        if line.len() > MAX_LINE && !line.ends_with(b"\n") {
            stats.bad += 1;
            skip_line(&mut reader)?;
            continue;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Record>(text) {
            Ok(r) => {
                stats.records += 1;
                f(r)
            }
            Err(_) => stats.bad += 1,
        }
    }
}

fn skip_line(reader: &mut impl BufRead) -> std::io::Result<()> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        match buf.iter().position(|b| *b == b'\n') {
            Some(i) => {
                reader.consume(i + 1);
                return Ok(());
            }
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    pub records: u64,
    /// Lines skipped as not a record.
    pub bad: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_without_empty_fields() {
        let mut r = Record::new(1_700_000_000_123_456_789, Kind::Receive);
        r.topic = Some("tau/tau-local/tx".into());
        r.id = Some("ab".repeat(32));
        r.size = Some(156);
        let line = serde_json::to_string(&r).unwrap();
        assert!(!line.contains("peers"), "absent fields are left out: {line}");
        assert!(line.contains("\"kind\":\"receive\""));
        assert_eq!(serde_json::from_str::<Record>(&line).unwrap(), r);
    }

    #[test]
    fn reader_skips_garbage_long_lines_and_unknown_kinds_parse() {
        let good = serde_json::to_string(&Record::new(5, Kind::Mesh)).unwrap();
        let long = "x".repeat(MAX_LINE + 10);
        let text = format!(
            "{good}\nnot json\n{long}\n\n{{\"time_ns\":7,\"kind\":\"future\",\"extra\":1}}\n{good}"
        );
        let mut seen = Vec::new();
        let stats = read_records(std::io::Cursor::new(text), |r| seen.push(r)).unwrap();
        assert_eq!(stats, ReadStats { records: 3, bad: 2 });
        assert_eq!(seen[1].kind, Kind::Unknown);
        assert_eq!(seen[2].time_ns, 5, "a final line without a newline is read");
    }

    #[test]
    fn kinds_parse_from_their_names() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Kind::parse("nope"), None);
    }
}
