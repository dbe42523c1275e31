//! Unit tests of the engine against hand-fed inputs: effect order, safety across restarts, the
//! rules, catch-up and every rejection path.

use proptest::prelude::*;
use protocol::block::{BlockHeader, transactions_root};
use protocol::consensus::CommitSignature;
use protocol::{
    Block, ChainId, CommitCertificate, ConsensusMessage, Hash, Height, Keypair, Proposal,
    PublicKey, Round, Signature, ValidatorInfo, Vote, VoteKind,
};

use super::*;

fn chain() -> ChainId {
    ChainId::new("test").unwrap()
}

fn keys(n: u8) -> Vec<Keypair> {
    (1..=n).map(|i| Keypair::from_seed(&[i; 32])).collect()
}

fn set_of(keys: &[Keypair]) -> ValidatorSet {
    ValidatorSet::new(keys.iter().map(|k| ValidatorInfo { key: k.public(), power: 10 }).collect())
        .unwrap()
}

fn config() -> EngineConfig {
    EngineConfig::new(
        chain(),
        Timeouts {
            propose_ms: 100,
            prevote_ms: 50,
            precommit_ms: 50,
            delta_ms: 10,
            rebroadcast_ms: 80,
        },
    )
}

fn block(height: u64, proposer: PublicKey, salt: u64) -> Block {
    Block {
        header: BlockHeader {
            height: Height(height),
            prev_hash: Hash::ZERO,
            time_ms: salt,
            proposer,
            transactions_root: transactions_root(&[]),
            app_hash: Hash::ZERO,
            validator_set_hash: Hash::ZERO,
            last_commit_hash: Hash::ZERO,
        },
        last_commit: None,
        transactions: vec![],
    }
}

fn kp_of<'a>(keys: &'a [Keypair], key: &PublicKey) -> &'a Keypair {
    keys.iter().find(|k| k.public() == *key).unwrap()
}

/// An engine for `keys[who]` at height 1, with its start effects.
fn started(keys: &[Keypair], who: usize) -> (Engine, Vec<Effect>) {
    let mut e = Engine::new(config(), keys[who].clone(), None);
    let out = e.handle(Input::StartHeight { height: Height(1), validators: set_of(keys) }).unwrap();
    (e, out)
}

/// Index of a validator that does not propose round `round` of height 1.
fn non_proposer(keys: &[Keypair], round: u32) -> usize {
    let p = set_of(keys).proposer(Round(round));
    keys.iter().position(|k| k.public() != p).unwrap()
}

fn proposal(keys: &[Keypair], round: u32, pol: Option<u32>, salt: u64) -> Proposal {
    let p = set_of(keys).proposer(Round(round));
    Proposal::sign(kp_of(keys, &p), &chain(), Round(round), pol.map(Round), block(1, p, salt))
}

fn vote(k: &Keypair, kind: VoteKind, round: u32, value: Option<Hash>) -> Vote {
    Vote::sign(k, &chain(), kind, Height(1), Round(round), value)
}

fn votes_out(out: &[Effect]) -> Vec<Vote> {
    out.iter()
        .filter_map(|e| match e {
            Effect::Broadcast(ConsensusMessage::Vote(v)) => Some(v.clone()),
            _ => None,
        })
        .collect()
}

/// Feeds a proposal and answers its validation request with `valid`.
fn feed_proposal(e: &mut Engine, p: Proposal, valid: bool) -> Vec<Effect> {
    let hash = p.body.block_hash;
    let mut out = e.handle(Input::Proposal(p)).unwrap();
    assert!(out.iter().any(|x| matches!(x, Effect::ValidateBlock { .. })));
    out.extend(
        e.handle(Input::BlockVerdict { height: Height(1), block_hash: hash, valid }).unwrap(),
    );
    out
}

/// Every signed message leaves after the record that covers it.
fn assert_persist_precedes_broadcast(out: &[Effect]) {
    for (i, effect) in out.iter().enumerate() {
        let Effect::Broadcast(msg) = effect else { continue };
        let covered = out[..i].iter().any(|p| match (p, msg) {
            (Effect::PersistSafety(r), ConsensusMessage::Vote(v)) => {
                r.signed == Signed::Vote(v.clone())
            }
            (Effect::PersistSafety(r), ConsensusMessage::Proposal(p)) => {
                matches!(&r.signed, Signed::Proposal { body, .. } if *body == p.body)
            }
            _ => false,
        });
        assert!(covered, "broadcast #{i} {msg:?} not preceded by its PersistSafety in {out:#?}");
    }
}

#[test]
fn persist_comes_before_broadcast_for_votes_and_proposals() {
    let keys = keys(4);
    let who = non_proposer(&keys, 0);
    let (mut e, _) = started(&keys, who);
    let p = proposal(&keys, 0, None, 1);
    let v = p.body.block_hash;
    let out = feed_proposal(&mut e, p, true);
    assert_persist_precedes_broadcast(&out);
    assert_eq!(votes_out(&out).len(), 1, "one prevote");
    // A polka makes it lock and precommit: the record carries the lock.
    let mut out = Vec::new();
    for k in keys.iter().filter(|k| k.public() != keys[who].public()).take(2) {
        out.extend(e.handle(Input::Vote(vote(k, VoteKind::Prevote, 0, Some(v)))).unwrap());
    }
    assert_persist_precedes_broadcast(&out);
    let record = e.safety_record().unwrap();
    assert_eq!(record.step, Step::Precommit);
    assert_eq!(record.locked, Some(Lock { round: Round(0), value: v }));
    // The proposer's side: value in, proposal out, persisted first.
    let proposer = set_of(&keys).proposer(Round(0));
    let idx = keys.iter().position(|k| k.public() == proposer).unwrap();
    let (mut e, out) = started(&keys, idx);
    assert!(out.iter().any(|x| matches!(x, Effect::RequestValue { .. })));
    let out = e
        .handle(Input::ValueReady {
            height: Height(1),
            round: Round(0),
            block: block(1, proposer, 5),
        })
        .unwrap();
    assert_persist_precedes_broadcast(&out);
    assert!(matches!(out.first(), Some(Effect::PersistSafety(_))));
    assert!(out.iter().any(|x| matches!(x, Effect::Broadcast(ConsensusMessage::Proposal(_)))));
}

#[test]
fn happy_path_decides_with_a_verifiable_certificate() {
    let keys = keys(4);
    let who = non_proposer(&keys, 0);
    let (mut e, _) = started(&keys, who);
    let p = proposal(&keys, 0, None, 1);
    let v = p.body.block_hash;
    feed_proposal(&mut e, p.clone(), true);
    let others: Vec<&Keypair> = keys.iter().filter(|k| k.public() != keys[who].public()).collect();
    for k in &others {
        let _ = e.handle(Input::Vote(vote(k, VoteKind::Prevote, 0, Some(v))));
    }
    let mut decided = None;
    for k in &others[..2] {
        for effect in e.handle(Input::Vote(vote(k, VoteKind::Precommit, 0, Some(v)))).unwrap() {
            if let Effect::Decide { certificate, block } = effect {
                decided = Some((certificate, block));
            }
        }
    }
    let (cert, block) = decided.expect("decided");
    assert_eq!(cert.block_hash, v);
    assert_eq!(block.as_deref(), Some(&p.block));
    assert_eq!(cert.signatures.len(), 3);
    assert!(verify_certificate(&cert, &set_of(&keys), &chain(), &Ed25519Verifier).is_ok());
    assert!(e.is_decided());
    // Nothing more happens at this height.
    let late = vote(others[2], VoteKind::Precommit, 0, Some(v));
    assert_eq!(e.handle(Input::Vote(late)), Err(Ignored::AlreadyDecided(Height(1))));
}

#[test]
fn restart_from_record_never_signs_a_conflicting_vote() {
    let keys = keys(4);
    let who = non_proposer(&keys, 0);
    let (mut e, _) = started(&keys, who);
    let p = proposal(&keys, 0, None, 1);
    let a = p.body.block_hash;
    feed_proposal(&mut e, p, true);
    let record = e.safety_record().cloned().unwrap();
    assert_eq!((record.round, record.step), (Round(0), Step::Prevote));

    // Restart from the record; a conflicting proposal for round 0 arrives (the proposer lies).
    let mut e = Engine::new(config(), keys[who].clone(), Some(record.clone()));
    let out =
        e.handle(Input::StartHeight { height: Height(1), validators: set_of(&keys) }).unwrap();
    assert_eq!(
        votes_out(&out),
        vec![match record.signed.clone() {
            Signed::Vote(v) => v,
            _ => unreachable!(),
        }]
    );
    let b = proposal(&keys, 0, None, 2);
    let mut all = out;
    if let Ok(out) = e.handle(Input::Proposal(b.clone())) {
        all.extend(out);
    }
    let _ = e
        .handle(Input::BlockVerdict {
            height: Height(1),
            block_hash: b.body.block_hash,
            valid: true,
        })
        .map(|o| all.extend(o));
    let t = Timeout { height: Height(1), round: Round(0), kind: TimeoutKind::Propose };
    if let Ok(out) = e.handle(Input::Timeout(t)) {
        all.extend(out);
    }
    for v in votes_out(&all) {
        if v.body.round == Round(0) && v.body.kind == VoteKind::Prevote {
            assert_eq!(v.body.value, Some(a), "signed a second, different round-0 prevote");
        }
    }

    // Amnesia (no record) is exactly what the record prevents: it would prevote b.
    let (mut amnesiac, _) = started(&keys, who);
    let out = feed_proposal(&mut amnesiac, b.clone(), true);
    assert_eq!(votes_out(&out)[0].body.value, Some(b.body.block_hash));
}

#[test]
fn lock_survives_restart() {
    let keys = keys(4);
    let who = non_proposer(&keys, 1);
    let (mut e, _) = started(&keys, who);
    // Round 0: lock on a.
    let p0 = proposal(&keys, 0, None, 1);
    let a = p0.body.block_hash;
    if e.handle(Input::Proposal(p0.clone())).is_ok() {
        let _ = e.handle(Input::BlockVerdict { height: Height(1), block_hash: a, valid: true });
    }
    for k in keys.iter().filter(|k| k.public() != keys[who].public()).take(2) {
        let _ = e.handle(Input::Vote(vote(k, VoteKind::Prevote, 0, Some(a))));
    }
    let record = e.safety_record().cloned().unwrap();
    assert_eq!(record.locked, Some(Lock { round: Round(0), value: a }));
    // Restart, move to round 1 where a fresh proposal of b arrives: prevote nil (locked on a).
    let mut e = Engine::new(config(), keys[who].clone(), Some(record));
    e.handle(Input::StartHeight { height: Height(1), validators: set_of(&keys) }).unwrap();
    assert_eq!(e.locked(), Some(Lock { round: Round(0), value: a }));
    let t = Timeout { height: Height(1), round: Round(0), kind: TimeoutKind::Precommit };
    e.handle(Input::Timeout(t)).unwrap();
    assert_eq!(e.round(), Some(Round(1)));
    let p1 = proposal(&keys, 1, None, 2);
    let out = feed_proposal(&mut e, p1, true);
    assert_eq!(votes_out(&out)[0].body.value, None);
}

#[test]
fn catch_up_from_certificate_and_rejections() {
    let keys = keys(4);
    let set = set_of(&keys);
    let who = non_proposer(&keys, 0);
    let v = Hash([9; 32]);
    let sign = |k: &Keypair| CommitSignature {
        validator: k.public(),
        signature: vote(k, VoteKind::Precommit, 3, Some(v)).signature,
    };
    let others: Vec<&Keypair> = keys.iter().filter(|k| k.public() != keys[who].public()).collect();
    let cert = |sigs: Vec<CommitSignature>| CommitCertificate {
        height: Height(1),
        round: Round(3),
        block_hash: v,
        signatures: sigs,
    };
    let (mut e, _) = started(&keys, who);
    let two = cert(others[..2].iter().map(|k| sign(k)).collect());
    assert!(matches!(
        e.handle(Input::Commit(two)),
        Err(Ignored::InvalidCertificate(CertificateError::InsufficientPower {
            power: 20,
            total: 40
        }))
    ));
    let dup = cert(vec![sign(others[0]), sign(others[0]), sign(others[1])]);
    assert!(matches!(
        e.handle(Input::Commit(dup)),
        Err(Ignored::InvalidCertificate(CertificateError::DuplicateSigner(_)))
    ));
    let stranger = Keypair::from_seed(&[99; 32]);
    let unknown = cert(vec![sign(others[0]), sign(others[1]), sign(&stranger)]);
    assert!(matches!(
        e.handle(Input::Commit(unknown)),
        Err(Ignored::InvalidCertificate(CertificateError::UnknownSigner(_)))
    ));
    let mut forged = cert(others.iter().map(|k| sign(k)).collect());
    forged.signatures[1].signature = Signature([7; 64]);
    assert!(matches!(
        e.handle(Input::Commit(forged)),
        Err(Ignored::InvalidCertificate(CertificateError::BadSignature { .. }))
    ));
    let good = cert(others.iter().map(|k| sign(k)).collect());
    let out = e.handle(Input::Commit(good.clone())).unwrap();
    assert_eq!(out, vec![Effect::Decide { certificate: good, block: None }]);
    assert!(verify_certificate(&cert(vec![]), &set, &chain(), &Ed25519Verifier).is_err());
}

#[test]
fn rejects_hostile_and_stale_inputs_with_reasons() {
    let keys = keys(4);
    let who = non_proposer(&keys, 0);
    let (mut e, _) = started(&keys, who);
    let other = keys.iter().find(|k| k.public() != keys[who].public()).unwrap();
    // Bad signature.
    let mut bad = vote(other, VoteKind::Prevote, 0, None);
    bad.signature = Signature([1; 64]);
    assert!(matches!(e.handle(Input::Vote(bad)), Err(Ignored::BadSignature(_))));
    // Not a validator.
    let stranger = Keypair::from_seed(&[99; 32]);
    assert!(matches!(
        e.handle(Input::Vote(vote(&stranger, VoteKind::Prevote, 0, None))),
        Err(Ignored::NotAValidator { .. })
    ));
    // Old and future heights.
    let old = Vote::sign(other, &chain(), VoteKind::Prevote, Height(0), Round(0), None);
    assert!(matches!(e.handle(Input::Vote(old)), Err(Ignored::OldHeight { .. })));
    let next = Vote::sign(other, &chain(), VoteKind::Prevote, Height(2), Round(0), None);
    assert!(matches!(e.handle(Input::Vote(next)), Err(Ignored::Buffered { .. })));
    let far = Vote::sign(other, &chain(), VoteKind::Prevote, Height(9), Round(0), None);
    assert!(matches!(e.handle(Input::Vote(far)), Err(Ignored::TooFarAhead { .. })));
    assert_eq!(e.buffered(), 1);
    // Round too far ahead.
    let ahead = vote(other, VoteKind::Prevote, 1_000, None);
    assert!(matches!(e.handle(Input::Vote(ahead)), Err(Ignored::RoundTooFar { .. })));
    // Wrong proposer, invalid POL round, conflicting proposal.
    let p = proposal(&keys, 0, None, 1);
    let liar = keys.iter().find(|k| k.public() != p.body.proposer).unwrap();
    let wrong = Proposal::sign(liar, &chain(), Round(0), None, block(1, liar.public(), 1));
    assert!(matches!(e.handle(Input::Proposal(wrong)), Err(Ignored::WrongProposer { .. })));
    let pol = proposal(&keys, 0, Some(0), 1);
    assert!(matches!(e.handle(Input::Proposal(pol)), Err(Ignored::InvalidPolRound { .. })));
    let mut tampered = p.clone();
    tampered.block.header.time_ms += 1;
    assert!(matches!(e.handle(Input::Proposal(tampered)), Err(Ignored::InvalidProposal(_))));
    e.handle(Input::Proposal(p.clone())).unwrap();
    assert_eq!(e.handle(Input::Proposal(p)), Err(Ignored::Duplicate));
    let p2 = proposal(&keys, 0, None, 2);
    assert!(matches!(e.handle(Input::Proposal(p2)), Err(Ignored::ConflictingProposal { .. })));
    // Duplicate and equivocating votes.
    let v1 = vote(other, VoteKind::Prevote, 0, None);
    e.handle(Input::Vote(v1.clone())).unwrap();
    assert_eq!(e.handle(Input::Vote(v1.clone())), Err(Ignored::Duplicate));
    let v2 = vote(other, VoteKind::Prevote, 0, Some(Hash([3; 32])));
    let out = e.handle(Input::Vote(v2.clone())).unwrap();
    assert!(
        matches!(&out[..], [Effect::Evidence(ev)] if **ev == protocol::EquivocationEvidence::new(v1.clone(), v2.clone()))
    );
    // A third value still counts for itself; a fourth finds the slot full.
    let v3 = vote(other, VoteKind::Prevote, 0, Some(Hash([4; 32])));
    assert_eq!(e.handle(Input::Vote(v3)), Ok(vec![]));
    let v4 = vote(other, VoteKind::Prevote, 0, Some(Hash([5; 32])));
    assert_eq!(e.handle(Input::Vote(v4)), Err(Ignored::Equivocation(other.public())));
    // Stale timers, values and verdicts; heights must increase.
    let t = Timeout { height: Height(1), round: Round(5), kind: TimeoutKind::Prevote };
    assert_eq!(e.handle(Input::Timeout(t)), Err(Ignored::StaleTimeout));
    let value = Input::ValueReady {
        height: Height(1),
        round: Round(0),
        block: block(1, keys[who].public(), 0),
    };
    assert!(matches!(e.handle(value), Err(Ignored::StaleValue { .. })));
    let verdict = Input::BlockVerdict { height: Height(1), block_hash: Hash([5; 32]), valid: true };
    assert_eq!(e.handle(verdict), Err(Ignored::UnrequestedVerdict));
    let again = Input::StartHeight { height: Height(1), validators: set_of(&keys) };
    assert!(matches!(e.handle(again), Err(Ignored::HeightNotIncreasing { .. })));
    // Before any height: everything is buffered or refused, nothing panics.
    let mut fresh = Engine::new(config(), keys[0].clone(), None);
    let t = Timeout { height: Height(1), round: Round(0), kind: TimeoutKind::Propose };
    assert_eq!(fresh.handle(Input::Timeout(t)), Err(Ignored::NotStarted));
}

#[test]
fn buffered_messages_replay_when_their_height_starts() {
    let keys = keys(4);
    let mut e = Engine::new(config(), keys[0].clone(), None);
    let p = proposal(&keys, 0, None, 1);
    assert!(matches!(e.handle(Input::Proposal(p)), Err(Ignored::Buffered { .. })));
    let out =
        e.handle(Input::StartHeight { height: Height(1), validators: set_of(&keys) }).unwrap();
    assert!(
        out.iter().any(|x| matches!(x, Effect::ValidateBlock { .. })) || {
            // keys[0] may itself be the round-0 proposer, in which case the proposal is its own.
            set_of(&keys).proposer(Round(0)) == keys[0].public()
        }
    );
    assert_eq!(e.buffered(), 0);
}

#[test]
fn more_than_a_third_in_a_higher_round_pulls_the_engine_up() {
    let keys = keys(4);
    let who = non_proposer(&keys, 0);
    let (mut e, _) = started(&keys, who);
    let others: Vec<&Keypair> = keys.iter().filter(|k| k.public() != keys[who].public()).collect();
    e.handle(Input::Vote(vote(others[0], VoteKind::Prevote, 5, None))).unwrap();
    assert_eq!(e.round(), Some(Round(0)), "a quarter is not enough");
    let out = e.handle(Input::Vote(vote(others[1], VoteKind::Precommit, 5, None))).unwrap();
    assert_eq!(e.round(), Some(Round(5)));
    let propose = Timeout { height: Height(1), round: Round(5), kind: TimeoutKind::Propose };
    assert!(out.contains(&Effect::ScheduleTimeout { timeout: propose, after_ms: 150 }));
}

#[test]
fn timeouts_grow_with_the_round() {
    let t = config().timeouts;
    assert_eq!(t.duration(TimeoutKind::Propose, Round(0)), 100);
    assert_eq!(t.duration(TimeoutKind::Propose, Round(3)), 130);
    assert_eq!(t.duration(TimeoutKind::Precommit, Round(2)), 70);
    assert_eq!(t.duration(TimeoutKind::Prevote, Round(u32::MAX)), 50 + 10 * u64::from(u32::MAX));
    let huge = Timeouts { delta_ms: u64::MAX, ..t };
    assert_eq!(huge.duration(TimeoutKind::Prevote, Round(2)), u64::MAX);
}

fn arb_input(keys: Vec<Keypair>) -> impl Strategy<Value = Input> {
    let n = keys.len();
    (0usize..6, 0..n, 0u64..4, 0u32..4, any::<bool>(), any::<[u8; 4]>()).prop_map(
        move |(kind, who, h, r, flag, salt)| {
            let k = &keys[who];
            let value = flag.then(|| Hash::digest(&salt));
            match kind {
                0 => Input::Vote(Vote::sign(
                    k,
                    &chain(),
                    VoteKind::Prevote,
                    Height(h),
                    Round(r),
                    value,
                )),
                1 => Input::Vote(Vote::sign(
                    k,
                    &chain(),
                    VoteKind::Precommit,
                    Height(h),
                    Round(r),
                    value,
                )),
                2 => Input::Proposal(Proposal::sign(
                    k,
                    &chain(),
                    Round(r),
                    flag.then_some(Round(0)),
                    block(h, k.public(), u64::from(salt[0])),
                )),
                3 => Input::Timeout(Timeout {
                    height: Height(h),
                    round: Round(r),
                    kind: [
                        TimeoutKind::Propose,
                        TimeoutKind::Prevote,
                        TimeoutKind::Precommit,
                        TimeoutKind::Rebroadcast,
                    ][usize::from(salt[1] % 4)],
                }),
                4 => Input::BlockVerdict {
                    height: Height(h),
                    block_hash: Hash::digest(&salt),
                    valid: flag,
                },
                _ => Input::ValueReady {
                    height: Height(h),
                    round: Round(r),
                    block: block(h, k.public(), 0),
                },
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    /// Arbitrary input sequences, with restarts from the last persisted record (`None`), never
    /// panic, never make the validator sign two different messages for one (height, round,
    /// step), and never let its own message out before a record holding it was persisted.
    #[test]
    fn arbitrary_inputs_and_restarts_never_double_sign(
        inputs in proptest::collection::vec(proptest::option::weighted(0.95, arb_input(keys(4))), 1..80)
    ) {
        let keys = keys(4);
        let me = keys[0].public();
        let (mut e, _) = started(&keys, 0);
        let mut disk: Option<SafetyRecord> = e.safety_record().cloned();
        let mut signed: std::collections::BTreeMap<(Height, Round, Step), Option<Hash>> = Default::default();
        let mut persisted_votes: Vec<Vote> = Vec::new();
        let mut persisted_proposals = Vec::new();
        for input in inputs {
            let out = match input {
                Some(input) => match e.handle(input) {
                    Ok(out) => out,
                    Err(_) => continue,
                },
                None => {
                    e = Engine::new(config(), keys[0].clone(), disk.clone());
                    let start = Input::StartHeight { height: Height(1), validators: set_of(&keys) };
                    e.handle(start).unwrap()
                }
            };
            for effect in out {
                match effect {
                    Effect::PersistSafety(r) => {
                        match &r.signed {
                            Signed::Vote(v) => persisted_votes.push(v.clone()),
                            Signed::Proposal { body, .. } => persisted_proposals.push(body.clone()),
                        }
                        persisted_votes.extend(r.prevote.clone());
                        disk = Some(r);
                    }
                    Effect::Broadcast(ConsensusMessage::Vote(v)) if v.body.validator == me => {
                        prop_assert!(persisted_votes.contains(&v), "vote sent before it was persisted");
                        let slot = (v.body.height, v.body.round, Step::of_vote(v.body.kind));
                        let prev = signed.insert(slot, v.body.value);
                        prop_assert!(prev.is_none() || prev == Some(v.body.value));
                    }
                    Effect::Broadcast(ConsensusMessage::Proposal(p)) => {
                        prop_assert!(persisted_proposals.contains(&p.body));
                        let slot = (p.body.height, p.body.round, Step::Propose);
                        let prev = signed.insert(slot, Some(p.body.block_hash));
                        prop_assert!(prev.is_none() || prev == Some(Some(p.body.block_hash)));
                    }
                    _ => {}
                }
            }
        }
    }
}
