//! Property tests: every type survives encode → decode; arbitrary bytes never panic a decoder and,
//! when accepted, are canonical (re-encode to themselves); malformed input gets a typed error.

mod common;

use common::*;
use proptest::prelude::*;
use protocol::block::Block;
use protocol::codec::{self, DecodeError, Encodable};
use protocol::consensus::{CommitCertificate, Vote};
use protocol::genesis::Genesis;
use protocol::transaction::Transaction;
use protocol::wire::{
    ConsensusMessage, InferenceRequest, InferenceResponse, SyncRequest, SyncResponse,
    TransactionBatch, WeightAnnouncement,
};
use protocol::{Keypair, PublicKey};

/// Decoding arbitrary bytes: never a panic; an accepted input is the canonical encoding.
fn decode_is_total_and_canonical<T: Encodable>(bytes: &[u8]) {
    if let Ok(v) = codec::decode::<T>(bytes) {
        assert_eq!(codec::encode(&v), bytes, "{} accepted a non-canonical encoding", T::NAME);
    }
}

fn all_decoders(bytes: &[u8]) {
    decode_is_total_and_canonical::<Transaction>(bytes);
    decode_is_total_and_canonical::<Vote>(bytes);
    decode_is_total_and_canonical::<CommitCertificate>(bytes);
    decode_is_total_and_canonical::<Block>(bytes);
    decode_is_total_and_canonical::<ConsensusMessage>(bytes);
    decode_is_total_and_canonical::<WeightAnnouncement>(bytes);
    decode_is_total_and_canonical::<TransactionBatch>(bytes);
    decode_is_total_and_canonical::<InferenceRequest>(bytes);
    decode_is_total_and_canonical::<InferenceResponse>(bytes);
    decode_is_total_and_canonical::<SyncRequest>(bytes);
    decode_is_total_and_canonical::<SyncResponse>(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn transactions_round_trip(tx in any_transaction()) {
        round_trip(&tx);
    }

    #[test]
    fn votes_round_trip(v in any_vote()) {
        round_trip(&v);
    }

    #[test]
    fn certificates_round_trip(c in any_certificate()) {
        round_trip(&c);
    }

    #[test]
    fn blocks_round_trip(b in any_block()) {
        round_trip(&b);
        round_trip(&ConsensusMessage::Commit(b.last_commit.clone().unwrap_or_else(|| sample_certificate(1, b.hash()))));
    }

    #[test]
    fn weight_announcements_round_trip(w in any_weights(), h in any::<u64>(), n in any::<u16>()) {
        let payload = protocol::Payload::SetWeights { netuid: protocol::NetUid(n), weights: w, version_key: h };
        let a = WeightAnnouncement::new(protocol::Transaction::sign(&key(5), &chain(), h, protocol::Rao(0), payload)).unwrap();
        round_trip(&a);
        prop_assert!(a.check(&chain(), protocol::NetUid(n)).is_ok());
        prop_assert!(a.check(&chain(), protocol::NetUid(n.wrapping_add(1))).is_err());
    }

    #[test]
    fn inference_round_trips(payload in proptest::collection::vec(any::<u8>(), 0..512), d in any::<u32>()) {
        round_trip(&InferenceRequest { netuid: protocol::NetUid(1), task: "t".into(), payload: payload.clone(), deadline_ms: d });
        round_trip(&InferenceResponse { status: protocol::wire::InferenceStatus::Busy, payload, server_time_us: u64::from(d) });
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        all_decoders(&bytes);
    }

    #[test]
    fn mutated_valid_bytes_never_panic(tx in any_transaction(), pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = codec::encode(&tx);
        let i = pos.index(bytes.len());
        bytes[i] = byte;
        all_decoders(&bytes);
    }

    #[test]
    fn truncation_is_an_error(tx in any_transaction(), cut in any::<prop::sample::Index>()) {
        let bytes = codec::encode(&tx);
        let n = cut.index(bytes.len());
        prop_assert!(codec::decode::<Transaction>(&bytes[..n]).is_err());
    }

    #[test]
    fn signed_transactions_verify_and_tampering_is_caught(payload in any_payload(), nonce in any::<u64>(), fee in any::<u64>()) {
        let k = key(9);
        let tx = Transaction::sign(&k, &chain(), nonce, protocol::Rao(fee), payload);
        prop_assert!(tx.verify(&chain()).is_ok());
        let mut bad = tx.clone();
        bad.body.nonce = bad.body.nonce.wrapping_add(1);
        prop_assert!(bad.verify(&chain()).is_err());
    }

    #[test]
    fn addresses_round_trip(seed in any::<[u8; 32]>()) {
        let pk = Keypair::from_seed(&seed).public();
        let addr = pk.to_address();
        prop_assert!(addr.starts_with("tau1"));
        prop_assert_eq!(PublicKey::from_address(&addr).unwrap(), pk);
    }

    #[test]
    fn any_single_typo_in_an_address_is_caught(seed in any::<[u8; 32]>(), pos in any::<prop::sample::Index>(), c in 0usize..32) {
        const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
        let addr = Keypair::from_seed(&seed).public().to_address();
        let mut bytes = addr.clone().into_bytes();
        let i = 4 + pos.index(bytes.len() - 4);
        let replacement = CHARSET[c];
        prop_assume!(bytes[i] != replacement);
        bytes[i] = replacement;
        let typo = String::from_utf8(bytes).unwrap();
        prop_assert!(PublicKey::from_address(&typo).is_err());
    }
}

#[test]
fn oversized_input_is_rejected_before_decoding() {
    let huge = vec![0u8; Vote::MAX_LEN + 1];
    assert!(matches!(codec::decode::<Vote>(&huge), Err(DecodeError::TooLarge { .. })));
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut bytes = codec::encode(&sample_vote(protocol::VoteKind::Prevote, None));
    bytes.push(0);
    assert!(matches!(
        codec::decode::<Vote>(&bytes),
        Err(DecodeError::TrailingBytes { len: 1, .. })
    ));
}

#[test]
fn a_forged_length_prefix_does_not_allocate() {
    // A transaction whose weight vector claims 2^60 entries: must fail fast, not allocate.
    let tx = sample_transaction(protocol::Payload::SetWeights {
        netuid: protocol::NetUid(1),
        weights: vec![(0xAAAA, 0xBBBB)],
        version_key: 0,
    });
    let mut bytes = codec::encode(&tx);
    let marker = [1, 0, 0, 0, 0, 0, 0, 0, 0xAA, 0xAA, 0xBB, 0xBB];
    let len_at = bytes.windows(marker.len()).position(|w| w == marker).unwrap();
    bytes[len_at..len_at + 8].copy_from_slice(&(1u64 << 60).to_le_bytes());
    assert!(codec::decode::<Transaction>(&bytes).is_err());
}

#[test]
fn bad_enum_tags_and_bools_are_errors_with_reasons() {
    let mut bytes = codec::encode(&sample_vote(protocol::VoteKind::Prevote, None));
    bytes[0] = 9; // VoteKind index 9 does not exist
    let err = codec::decode::<Vote>(&bytes).unwrap_err();
    assert!(matches!(err, DecodeError::Malformed { .. }), "{err}");
    assert!(err.to_string().starts_with("vote: malformed encoding"));
}

#[test]
fn address_errors_say_what_is_wrong() {
    use protocol::AddressError;
    let good = key(1).public().to_address();
    assert_eq!(PublicKey::from_address(""), Err(AddressError::Empty));
    let other_prefix =
        bech32::encode::<bech32::Bech32m>(bech32::Hrp::parse("btc").unwrap(), &[1; 32]).unwrap();
    assert!(matches!(
        PublicKey::from_address(&other_prefix),
        Err(AddressError::WrongPrefix { .. })
    ));
    let short =
        bech32::encode::<bech32::Bech32m>(bech32::Hrp::parse("tau").unwrap(), &[1; 20]).unwrap();
    assert_eq!(PublicKey::from_address(&short), Err(AddressError::WrongLength { found: 20 }));
    let legacy = bech32::encode::<bech32::Bech32>(
        bech32::Hrp::parse("tau").unwrap(),
        key(1).public().as_bytes(),
    )
    .unwrap();
    assert_eq!(PublicKey::from_address(&legacy), Err(AddressError::BadChecksum));
    let mut typo = good.clone();
    typo.pop();
    typo.push(if good.ends_with('q') { 'p' } else { 'q' });
    assert_eq!(PublicKey::from_address(&typo), Err(AddressError::BadChecksum));
    assert!(matches!(PublicKey::from_address("hello"), Err(AddressError::Malformed(_))));
}

#[test]
fn genesis_json_round_trips_and_is_readable() {
    let g = sample_genesis();
    let json = g.to_json();
    assert!(json.contains("\"tau1"), "keys are written as addresses");
    assert_eq!(Genesis::from_json(&json).unwrap(), g);
    let path = common::manifest_dir().join("tests/golden/genesis.json");
    let golden = std::fs::read_to_string(&path);
    if std::env::var_os("TAU_BLESS").is_some() {
        std::fs::write(&path, &json).unwrap();
    } else {
        assert_eq!(golden.unwrap(), json, "genesis JSON format changed");
    }
}

#[test]
fn genesis_rejects_what_cannot_run() {
    use protocol::genesis::GenesisError;
    let mut g = sample_genesis();
    g.validators.clear();
    assert_eq!(g.validate(), Err(GenesisError::NoValidators));
    let mut g = sample_genesis();
    g.subnets[0].netuid = protocol::NetUid(0);
    assert!(matches!(g.validate(), Err(GenesisError::RootSubnet(_))));
    let mut g = sample_genesis();
    g.accounts.push(g.accounts[0].clone());
    assert!(matches!(g.validate(), Err(GenesisError::Duplicate { .. })));
    let mut g = sample_genesis();
    g.accounts[0].balance = protocol::Rao(u64::MAX);
    assert_eq!(g.validate(), Err(GenesisError::SupplyExceeded));
    assert!(matches!(Genesis::from_json("{"), Err(GenesisError::Json(_))));
    assert!(matches!(
        Genesis::from_json(&sample_genesis().to_json().replace("tau-golden", "Bad Chain")),
        Err(GenesisError::Json(_))
    ));
}

#[test]
fn amounts_display_and_parse_exactly() {
    use protocol::{AlphaRao, Rao};
    assert_eq!(Rao(1_500_000_000).to_string(), "1.500000000 τ");
    assert_eq!(AlphaRao(1).to_string(), "0.000000001 α");
    assert_eq!(Rao::parse_decimal("1.5"), Ok(Rao(1_500_000_000)));
    assert_eq!(Rao::parse_decimal(".000000001"), Ok(Rao(1)));
    assert_eq!(Rao::parse_decimal("21000000"), Ok(Rao(21_000_000_000_000_000)));
    assert!(Rao::parse_decimal("0.0000000001").is_err());
    assert!(Rao::parse_decimal("1e9").is_err());
    assert!(Rao::parse_decimal("99999999999999999999").is_err());
    assert!(Rao::parse_decimal("").is_err());
    assert_eq!(Rao(5).checked_sub(Rao(6)), None);
    assert_eq!(Rao(u64::MAX).checked_add(Rao(1)), None);
}

#[test]
fn proposals_and_evidence_verify() {
    let p = sample_proposal();
    assert!(p.verify(&chain()).is_ok());
    let mut forged = p.clone();
    forged.block.transactions.pop();
    assert!(forged.verify(&chain()).is_err(), "a block swapped under a signed proposal is caught");
    assert!(p.block.check_shape().is_ok());
    assert!(forged.block.check_shape().is_err());
    let e = sample_evidence();
    assert!(e.verify(&chain()).is_ok());
    let same = protocol::EquivocationEvidence::new(e.first.clone(), e.first.clone());
    assert!(same.verify(&chain()).is_err());
}
