//! Golden vectors: fixed bytes for fixed values of every wire and ledger type. A change to any
//! encoding fails here, so a format change is always deliberate. Regenerate after a deliberate
//! change with `TAU_BLESS=1 cargo test --release -p protocol --test golden` and say why in the commit.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::*;
use protocol::codec::{self, Encodable};
use protocol::consensus::VoteKind;
use protocol::wire::ConsensusMessage;

fn golden_path() -> PathBuf {
    manifest_dir().join("tests/golden/vectors.txt")
}

fn entry<T: Encodable + PartialEq + std::fmt::Debug>(
    out: &mut BTreeMap<String, String>,
    name: &str,
    v: &T,
) {
    round_trip(v);
    let bytes = codec::encode(v);
    assert!(bytes.len() <= T::MAX_LEN, "{name}: sample exceeds its own decode limit");
    out.insert(name.to_string(), hex::encode(bytes));
}

fn current_vectors() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, payload) in sample_payloads() {
        entry(&mut out, &format!("tx_{name}"), &sample_transaction(payload));
    }
    entry(&mut out, "vote_prevote", &sample_vote(VoteKind::Prevote, Some(hash(1))));
    entry(&mut out, "vote_precommit_nil", &sample_vote(VoteKind::Precommit, None));
    entry(&mut out, "certificate", &sample_certificate(9, hash(9)));
    entry(&mut out, "block", &sample_block());
    entry(&mut out, "block_header", &sample_block().header);
    entry(&mut out, "proposal", &sample_proposal());
    entry(&mut out, "consensus_proposal", &ConsensusMessage::Proposal(Box::new(sample_proposal())));
    for (name, msg) in sample_consensus_messages() {
        entry(&mut out, name, &msg);
    }
    entry(&mut out, "weight_announcement_256", &sample_weight_announcement());
    let batch = sample_payloads().into_iter().take(3).map(|(_, p)| sample_transaction(p)).collect();
    entry(
        &mut out,
        "transaction_batch_3",
        &protocol::wire::TransactionBatch { transactions: batch },
    );
    let (req, resp) = sample_inference();
    entry(&mut out, "inference_request", &req);
    entry(&mut out, "inference_response", &resp);
    let (req, resp) = sample_sync();
    entry(&mut out, "sync_request", &req);
    entry(&mut out, "sync_response", &resp);
    entry(&mut out, "genesis", &sample_genesis());
    out
}

#[test]
fn golden_vectors_match() {
    let current = current_vectors();
    let path = golden_path();
    if std::env::var_os("TAU_BLESS").is_some() {
        let text: String = current.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        return;
    }
    let text =
        std::fs::read_to_string(&path).expect("golden file missing: run with TAU_BLESS=1 once");
    let stored: BTreeMap<String, String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.split_once(' ').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    let names: Vec<_> = current.keys().collect();
    assert_eq!(names, stored.keys().collect::<Vec<_>>(), "the set of golden vectors changed");
    for (name, hex_now) in &current {
        assert_eq!(hex_now, &stored[name], "encoding of `{name}` changed");
    }
}

/// A few vectors spelled out byte by byte, so a reader sees what the canonical format is.
#[test]
fn canonical_format_is_fixint_little_endian() {
    use protocol::ids::Height;
    assert_eq!(codec::encode(&Height(1)), vec![1, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(codec::encode(&Some(7u16)), vec![1, 7, 0]);
    assert_eq!(codec::encode(&None::<u16>), vec![0]);
    // Sequences: u64 length, then elements. Fixed arrays (keys, hashes): bytes only.
    assert_eq!(codec::encode(&vec![1u8, 2]), vec![2, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
    assert_eq!(codec::encode(&protocol::Hash([0xab; 32])), vec![0xab; 32]);
    // Enum variants: u32 index.
    assert_eq!(codec::encode(&VoteKind::Precommit), vec![1, 0, 0, 0]);
}

#[test]
fn signatures_are_deterministic_and_domain_separated() {
    use protocol::keys::Domain;
    let k = key(1);
    let c = chain();
    let a = k.sign(Domain::Vote, &c, b"x");
    assert_eq!(a, k.sign(Domain::Vote, &c, b"x"));
    assert!(k.public().verify(Domain::Vote, &c, b"x", &a).is_ok());
    assert!(k.public().verify(Domain::Transaction, &c, b"x", &a).is_err(), "other domain");
    let other = protocol::ChainId::new("tau-other").unwrap();
    assert!(k.public().verify(Domain::Vote, &other, b"x", &a).is_err(), "other chain");
    assert!(k.public().verify(Domain::Vote, &c, b"y", &a).is_err(), "other bytes");
}
