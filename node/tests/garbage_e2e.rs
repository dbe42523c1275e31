//! Garbage against a running network (issue #6): four real `tau node` validators finalise blocks
//! while two attackers throw garbage at them.
//!
//! - A gossip attacker on the node's own network stack joins the mesh of every topic and publishes
//!   messages that are structurally valid but invalid (a transaction with a broken signature, a
//!   weight announcement carrying a transfer, a vote by a non-validator), then random bytes of
//!   many sizes on every topic. The validators reject it and its gossipsub score falls until
//!   validator-0 greylists it (drops its RPCs unread).
//! - A request-response attacker, a bare libp2p swarm whose codec writes whatever bytes it is
//!   given, sends frames on `/tau/sync/1` and `/tau/infer/1` that end early (no answer, no
//!   offence: a cut stream looks like a network fault), then frames that lie about their length,
//!   are oversized or do not decode (no answer, one offence each). Past the ban threshold
//!   validator-0 refuses it altogether.
//!
//! - A replayer, another gossip identity, republishes a transfer half a minute after the block
//!   that included it; validator-0 rejects it and logs the replay.
//!
//! Throughout, every validator keeps finalising, with equal app hashes, and none exits; each
//! offence is in validator-0's log. Waits are bounded and generous; nothing asserts on speed.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use libp2p::PeerId;
use node::p2p::{self, BAN_THRESHOLD, NetworkHandle, P2pConfig, TopicKind};
use protocol::codec::{self, Encodable};
use protocol::transaction::{Payload, Transaction};
use protocol::wire::{
    ConsensusMessage, InferenceRequest, InferenceResponse, InferenceStatus, SyncRequest,
    SyncResponse, TransactionBatch, WeightAnnouncement,
};
use protocol::{ChainId, Height, Keypair, NetUid, Rao, Round, Vote, VoteKind};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use testnet::process::{self, RunningNode};
use testnet::{TestnetLayout, TestnetSpec, http, orchestrate};

#[path = "support/raw_attacker.rs"]
mod raw_attacker;

const PATIENCE: Duration = Duration::from_secs(90);
/// Blocks every validator must finalise after the attacks, on top of where the chain was.
const BLOCKS_AFTER: u64 = 5;
/// Sizes of the random gossip messages, cycled; the largest is near the transaction topics'
/// 64 KiB ceiling (larger ones the attacker's own gossipsub refuses to send).
const GOSSIP_SIZES: [usize; 7] = [1, 5, 33, 200, 1_500, 9_000, 60_000];

fn wait_until(what: &str, patience: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + patience;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn heights(nodes: &[RunningNode]) -> Vec<u64> {
    nodes.iter().map(|n| orchestrate::height(n).unwrap_or(0)).collect()
}

fn app_hash_at(n: &RunningNode, h: u64) -> Option<String> {
    Some(http::get(n.api, &format!("/blocks/{h}")).ok()?.get("app_hash_after")?.as_str()?.into())
}

/// A peer as `node`'s `GET /peers` shows it, if connected.
fn peer_entry(node: &RunningNode, peer: &PeerId) -> Option<Value> {
    let peers = http::get(node.api, "/peers").ok()?;
    let id = peer.to_string();
    peers["peers"].as_array()?.iter().find(|p| p["peer_id"] == id.as_str()).cloned()
}

fn shown(entry: Option<Value>) -> String {
    entry.map_or_else(|| "not connected".into(), |e| e.to_string())
}

fn banned_entry(node: &RunningNode, peer: &PeerId) -> Option<Value> {
    let peers = http::get(node.api, "/peers").ok()?;
    let id = peer.to_string();
    peers["banned"].as_array()?.iter().find(|p| p["peer_id"] == id.as_str()).cloned()
}

/// A counter from `node`'s `/metrics`, 0 when absent.
fn counter(node: &RunningNode, series: &str) -> u64 {
    let text = http::get_text(node.api, "/metrics").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

#[test]
fn garbage_on_every_topic_and_protocol_is_penalised_while_the_chain_finalises() {
    let tau = Path::new(env!("CARGO_BIN_EXE_tau"));
    let dir = tempfile::tempdir().unwrap();
    let spec = TestnetSpec::validators_only("tau-garbage", 4, 300, 66).unwrap();
    let keys = spec.node_keys().unwrap();
    let genesis = spec.genesis(&keys, 0).unwrap();
    let layout = TestnetLayout::write(dir.path(), &genesis, &keys).unwrap();
    let _guard = orchestrate::StopOnDrop::new(&layout, &keys);
    let launched = Instant::now();
    let nodes = orchestrate::start_all(tau, &layout, &keys, PATIENCE).unwrap();
    orchestrate::wait_for_height(&nodes, 2, PATIENCE, |_| {}).unwrap();
    let started = Instant::now();
    let at_start = heights(&nodes);
    println!("attack starts at heights {at_start:?}");

    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(0x6a7b);

    // Two transfers included on chain, each gossiped alone, for the replayer to send together
    // (the same bytes again would be the same gossip message, whose earlier delivery gossipsub's
    // scoring remembers for two minutes and would not charge again).
    let to = Keypair::from_seed(&[0x71; 32]).public();
    let replays: Vec<Transaction> = [&keys[1], &keys[2]]
        .iter()
        .map(|k| {
            let payer = &k.coldkey;
            let account =
                http::get(nodes[1].api, &format!("/accounts/{}", payer.public())).unwrap();
            let nonce = account["nonce"].as_u64().unwrap();
            let transfer = Payload::Transfer { to, amount: Rao(1) };
            let tx = Transaction::sign(payer, &genesis.chain_id, nonce, Rao(1_000), transfer);
            http::post(nodes[1].api, "/transactions", &serde_json::to_value(&tx).unwrap()).unwrap();
            tx
        })
        .collect();
    for tx in &replays {
        let hash = tx.hash();
        wait_until("a transfer to replay is final", PATIENCE, || {
            http::get(nodes[0].api, &format!("/transactions/{hash}"))
                .is_ok_and(|r| r["height"].is_u64())
        });
    }
    let included_at = Instant::now();

    let (gossip_attacker, net, published) = gossip_attack(&rt, &mut rng, &genesis.chain_id, &nodes);
    println!("heights after the gossip attack: {:?}", heights(&nodes));
    // The gossip attacker keeps at it through everything that follows.
    let published = Arc::new(AtomicUsize::new(published));
    let sustained = rt.spawn(keep_publishing_garbage(net, rng.random(), published.clone()));
    let rr_attacker = rt.block_on(request_response_attack(&mut rng, &nodes[0]));
    let at_end = heights(&nodes);
    println!("heights after the request-response attack: {at_end:?}");

    // Every validator keeps finalising, past where the chain stood when the attacks began and
    // past where it stood when they ended.
    let target = at_start.iter().max().unwrap() + BLOCKS_AFTER;
    let target = target.max(at_end.iter().max().unwrap() + 2);
    wait_until("every validator finalises after the attacks", 2 * PATIENCE, || {
        heights(&nodes).iter().all(|&h| h >= target)
    });
    for n in &nodes {
        assert!(process::is_alive(n.pid), "{} exited", n.name);
    }
    let common = *heights(&nodes).iter().min().unwrap();
    for h in 1..=common {
        let hashes: Vec<_> = nodes.iter().map(|n| app_hash_at(n, h)).collect();
        assert!(
            hashes.iter().all(|x| x.is_some() && *x == hashes[0]),
            "app hashes differ at height {h}: {hashes:?}"
        );
    }
    println!("heights now {:?}; app hashes agree at 1..={common}", heights(&nodes));
    let replayer = replay_attack(&rt, &genesis.chain_id, &nodes, replays, included_at);
    // Read before stopping the attacker: its network stops with its last handle.
    let entry = shown(peer_entry(&nodes[0], &gossip_attacker));
    sustained.abort();
    let published = published.load(Ordering::Relaxed);
    println!(
        "after {published} random messages in all validator-0 has the gossip attacker at {entry}"
    );

    // Each kind of offence is in validator-0's log, naming its peer; the log budget holds.
    let log = strip_ansi(&std::fs::read_to_string(&nodes[0].log).unwrap());
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains("WARN")).collect();
    let count = |what: &str, peer: &PeerId| {
        let peer = peer.to_string();
        warnings.iter().filter(|l| l.contains(what) && l.contains(&peer)).count()
    };
    let undecodable = count("rejecting undecodable gossip", &gossip_attacker);
    let invalid = count("rejecting invalid gossip", &gossip_attacker);
    let replayed = count("replayed transaction", &replayer);
    let misbehaved = count("peer misbehaved", &rr_attacker);
    let banned = count("peer banned", &rr_attacker);
    let offence_lines = warnings
        .iter()
        .filter(|l| {
            ["rejecting undecodable gossip", "rejecting invalid gossip", "peer misbehaved"]
                .iter()
                .any(|w| l.contains(w))
        })
        .count();
    let suppressed: u64 = warnings.iter().filter_map(|l| field(l, "suppressed")).sum();
    println!(
        "validator-0 logged {undecodable} undecodable and {invalid} invalid gossip warnings for the \
         gossip attacker, {misbehaved} offences and {banned} ban for the request-response one; \
         {offence_lines} offence warnings in all, {suppressed} more suppressed by the log budget"
    );
    assert!(undecodable >= 1 && invalid >= 1, "gossip offences are not logged");
    assert_eq!(replayed, 1, "the replay is logged once");
    // One per offence unless the log budget (shared with the gossip attacker's offences) ran dry.
    assert!((1..=BAN_THRESHOLD as usize).contains(&misbehaved), "{misbehaved} offence warnings");
    assert_eq!(banned, 1, "the ban is logged once");
    // The budget: a burst of 32, then 2 a second (node/src/p2p/actor.rs).
    let budget = 32 + 2 * launched.elapsed().as_secs() as usize;
    assert!(offence_lines <= budget, "{offence_lines} offence warnings, budget {budget}");
    println!(
        "garbage test done in {:.0} s after the chain started",
        started.elapsed().as_secs_f64()
    );
    drop(rt);
}

/// `text` without terminal colour sequences (the node's text log has them).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|&d| d == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

/// A numeric `name=value` field of a log line.
fn field(line: &str, name: &str) -> Option<u64> {
    let rest = &line[line.find(&format!("{name}="))? + name.len() + 1..];
    rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
}

// ----- gossip -----

/// Joins the mesh with the node's own stack, publishes invalid and undecodable messages on every
/// topic, and checks validator-0 penalises it to the greylist. Returns the attacker's peer id,
/// its network (which stops when the last handle is dropped) and how many random messages it
/// published.
fn gossip_attack(
    rt: &tokio::runtime::Runtime,
    rng: &mut ChaCha8Rng,
    chain: &ChainId,
    nodes: &[RunningNode],
) -> (PeerId, NetworkHandle, usize) {
    let key = Keypair::from_seed(&[0xa7; 32]);
    let (net, me) = join_mesh(rt, &key, chain, nodes, "the gossip attacker");
    let v0 = &nodes[0];
    let score = |n: &RunningNode| peer_entry(n, &me).and_then(|p| p["score"].as_f64());
    println!("validator-0 scores the gossip attacker {:?} before the attack", score(v0));

    // Decodable but invalid: the node rejects each, costing their forwarder score (the vote,
    // from a key in no validator set, is Rejected at the node's height and Ignored if it is for
    // a height the node has not reached yet).
    let height = orchestrate::height(v0).unwrap();
    let to = Keypair::from_seed(&[0x70; 32]).public();
    let mut forged =
        Transaction::sign(&key, chain, 0, Rao(1_000), Payload::Transfer { to, amount: Rao(1) });
    forged.signature.0[0] ^= 1;
    let not_weights = WeightAnnouncement {
        transaction: Transaction::sign(
            &key,
            chain,
            1,
            Rao(1_000),
            Payload::Transfer { to, amount: Rao(2) },
        ),
    };
    let vote = Vote::sign(&key, chain, VoteKind::Prevote, Height(height + 1), Round(0), None);
    let invalid = [
        (TopicKind::Transactions, codec::encode(&TransactionBatch { transactions: vec![forged] })),
        (TopicKind::Weights(NetUid(1)), codec::encode(&not_weights)),
        (TopicKind::Consensus, codec::encode(&ConsensusMessage::Vote(vote))),
    ];
    for (topic, bytes) in invalid {
        rt.block_on(net.publish(topic, bytes)).unwrap();
    }
    wait_until("validator-0 scores the gossip attacker below zero", PATIENCE, || {
        score(v0).is_some_and(|s| s < 0.0)
    });
    println!("after the invalid messages validator-0 scores it {:?}", score(v0));

    // Undecodable: distinct random bytes, round-robin over the topics, until validator-0 has it
    // greylisted (then its RPCs are dropped unread, so this is also what bounds the work and the
    // log lines one identity can cause).
    let mut published = 0;
    let deadline = Instant::now() + PATIENCE;
    let entry = loop {
        for topic in TOPICS {
            rt.block_on(publish_garbage(&net, topic, garbage(rng, published)));
            published += 1;
        }
        std::thread::sleep(Duration::from_millis(300));
        if let Some(p) = peer_entry(v0, &me)
            && p["graylisted"] == true
        {
            break p;
        }
        assert!(Instant::now() < deadline, "validator-0 never greylisted the gossip attacker");
    };
    println!("after {published} random messages validator-0 has the gossip attacker at {entry}");
    assert!(entry["score"].as_f64().unwrap() < p2p::GRAYLIST_THRESHOLD);
    for n in &nodes[1..] {
        println!("{} has the gossip attacker at {}", n.name, shown(peer_entry(n, &me)));
    }
    for topic in ["consensus", "tx", "weights"] {
        let garbage = counter(v0, &format!("tau_gossip_garbage_total{{topic=\"{topic}\"}}"));
        println!("validator-0 rejected {garbage} undecodable messages on {topic}");
        assert!(garbage >= 1, "no garbage reached validator-0's decoder on {topic}");
    }
    (me, net, published)
}

/// Starts a gossip node under `key` on the network's own stack, bootstrapped from validator-0,
/// and waits until it is in the mesh of every topic.
fn join_mesh(
    rt: &tokio::runtime::Runtime,
    key: &Keypair,
    chain: &ChainId,
    nodes: &[RunningNode],
    who: &str,
) -> (NetworkHandle, PeerId) {
    let mut config = P2pConfig::new(chain.clone());
    config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().unwrap()];
    config.bootnodes = vec![nodes[0].p2p.parse().unwrap()];
    config.subnets = vec![NetUid(1)];
    let network = p2p::spawn(key, config).unwrap();
    let (net, mut events, me) = (network.handle, network.events, network.peer_id);
    // Nobody validates what an attacker receives; drain it so its queue never fills.
    rt.spawn(async move { while events.recv().await.is_some() {} });
    wait_until(&format!("{who} is in the mesh of every topic"), PATIENCE, || {
        let status = rt.block_on(net.status());
        TOPICS.iter().all(|t| {
            let name = t.name(chain);
            status.mesh.iter().any(|(topic, peers)| *topic == name && *peers > 0)
        })
    });
    (net, me)
}

/// Republishes `replays`, included by `included_at`, once the replay grace (30 s) has passed,
/// from a fresh identity (the gossip attacker is greylisted by now, its messages unread), and
/// waits for validator-0 to log it. Returns the replayer's peer id.
fn replay_attack(
    rt: &tokio::runtime::Runtime,
    chain: &ChainId,
    nodes: &[RunningNode],
    replays: Vec<Transaction>,
    included_at: Instant,
) -> PeerId {
    let key = Keypair::from_seed(&[0xa8; 32]);
    let (net, me) = join_mesh(rt, &key, chain, nodes, "the replayer");
    let grace = Duration::from_secs(32);
    if let Some(wait) = grace.checked_sub(included_at.elapsed()) {
        println!("waiting {:.0} s for the replay grace to pass", wait.as_secs_f64());
        std::thread::sleep(wait);
    }
    let batch = TransactionBatch { transactions: replays };
    rt.block_on(net.publish(TopicKind::Transactions, codec::encode(&batch))).unwrap();
    let me_text = me.to_string();
    wait_until("validator-0 logs the replayed transfer", PATIENCE, || {
        let log = std::fs::read_to_string(&nodes[0].log).unwrap_or_default();
        log.lines().any(|l| l.contains("replayed transaction") && l.contains(&me_text))
    });
    let score = || peer_entry(&nodes[0], &me).and_then(|p| p["score"].as_f64());
    wait_until("the replay costs its forwarder score", PATIENCE, || {
        score().is_some_and(|s| s < 0.0)
    });
    println!("validator-0 scores the replayer {:?} after the replay", score());
    me
}

const TOPICS: [TopicKind; 3] =
    [TopicKind::Consensus, TopicKind::Transactions, TopicKind::Weights(NetUid(1))];

async fn publish_garbage(net: &NetworkHandle, topic: TopicKind, bytes: Vec<u8>) {
    // Fails only if no validator subscribes any more; the greylisting check above then fails.
    if let Err(e) = net.publish(topic, bytes).await {
        println!("publish on {} failed: {e}", topic.label());
    }
}

/// The `n`th random gossip message: its size cycles through [`GOSSIP_SIZES`], and `n` is stamped
/// on its first bytes so that every message differs (message ids are content hashes, and the
/// attacker's own gossipsub refuses to publish a duplicate).
fn garbage(rng: &mut ChaCha8Rng, n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; GOSSIP_SIZES[n % GOSSIP_SIZES.len()]];
    rng.fill_bytes(&mut bytes);
    let stamp = (n as u64).to_le_bytes();
    let k = bytes.len().min(stamp.len());
    bytes[..k].copy_from_slice(&stamp[..k]);
    bytes
}

/// Random garbage on every topic, ten rounds a second, until aborted.
async fn keep_publishing_garbage(net: NetworkHandle, seed: u64, published: Arc<AtomicUsize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    loop {
        for topic in TOPICS {
            let n = published.fetch_add(1, Ordering::Relaxed);
            publish_garbage(&net, topic, garbage(&mut rng, n)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ----- request-response -----

use raw_attacker::{Outcome, Proto, RawAttacker, frame};

/// A response frame's body decoded as `T`; panics on anything else, since the node only ever
/// answers with well-formed frames.
fn decode_answer<T: Encodable + serde::de::DeserializeOwned>(bytes: &[u8]) -> T {
    assert!(bytes.len() >= 4, "short response frame");
    let len = u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize;
    assert_eq!(len, bytes.len() - 4, "response frame length");
    codec::decode::<T>(&bytes[4..]).unwrap()
}

fn sync_request() -> Vec<u8> {
    codec::encode(&SyncRequest { from: Height(1), to: Height(2) })
}

fn infer_request() -> Vec<u8> {
    codec::encode(&InferenceRequest {
        netuid: NetUid(1),
        task: "next-token".into(),
        payload: b"the quick brown".to_vec(),
        deadline_ms: 1_000,
    })
}

/// Well-formed requests get answers: a sync response with blocks, and a validator's refusal to
/// serve inference (it runs no model).
async fn assert_answers(attacker: &mut RawAttacker) {
    match attacker.request(Proto::Sync, frame(&sync_request())).await {
        Outcome::Answered(bytes) => {
            let resp: SyncResponse = decode_answer(&bytes);
            assert!(!resp.blocks.is_empty(), "sync answered without blocks: tip {:?}", resp.tip);
        }
        other => panic!("a well-formed sync request got {other}"),
    }
    match attacker.request(Proto::Infer, frame(&infer_request())).await {
        Outcome::Answered(bytes) => {
            let resp: InferenceResponse = decode_answer(&bytes);
            assert_eq!(resp.status, InferenceStatus::WrongTask);
        }
        other => panic!("a well-formed inference request got {other}"),
    }
}

/// Garbage frames against validator-0 until it bans the attacker. Returns the attacker's id.
async fn request_response_attack(rng: &mut ChaCha8Rng, v0: &RunningNode) -> PeerId {
    let mut attacker = RawAttacker::new(v0);
    let me = attacker.peer_id();
    assert_answers(&mut attacker).await;

    // Streams that end early: read_exact meets end-of-stream. A cut connection looks the same,
    // so these are not offences; the node just answers nothing.
    let sync = sync_request();
    let infer = infer_request();
    let cut: Vec<(&str, Proto, Vec<u8>)> = vec![
        ("empty sync request", Proto::Sync, vec![]),
        ("half a length prefix", Proto::Infer, vec![0, 0]),
        ("truncated sync frame", Proto::Sync, frame(&sync)[..sync.len() + 3].to_vec()),
        ("truncated inference frame", Proto::Infer, frame(&infer)[..10].to_vec()),
        ("sync length claims more than sent", Proto::Sync, {
            let mut f = 16u32.to_be_bytes().to_vec();
            f.extend_from_slice(&sync[..5]);
            f
        }),
        ("inference length claims more than sent", Proto::Infer, {
            let mut f = 100_000u32.to_be_bytes().to_vec();
            f.extend_from_slice(&infer);
            f
        }),
    ];
    for (what, proto, bytes) in cut {
        let outcome = attacker.request(proto, bytes).await;
        println!("{what}: {outcome}");
        assert!(matches!(outcome, Outcome::NoAnswer(_)), "{what} got an answer");
    }
    let offences = || banned_entry(v0, &me).or_else(|| peer_entry(v0, &me));
    let entry = offences().expect("the attacker is connected to validator-0");
    assert_eq!(entry["offences"], 0, "a cut stream is not an offence: {entry}");
    assert_answers(&mut attacker).await;

    // Frames that are wrong whole: each costs an offence; the ban comes at the threshold.
    let mut random = vec![0u8; 4_096];
    rng.fill_bytes(&mut random);
    // A random prefix all but always announces more than any limit; make it always.
    random[0] |= 0x40;
    let mut trailing = sync.clone();
    trailing.extend_from_slice(&rng.random::<[u8; 4]>());
    let huge = SyncRequest::MAX_LEN.max(InferenceRequest::MAX_LEN) + 1;
    let wrong: Vec<(&str, Proto, Vec<u8>)> = vec![
        ("sync length claims 2 GiB", Proto::Sync, {
            let mut f = (1u32 << 31).to_be_bytes().to_vec();
            f.extend_from_slice(&sync);
            f
        }),
        ("oversized inference frame, sent whole", Proto::Infer, frame(&vec![7u8; huge])),
        ("sync length claims less than sent", Proto::Sync, {
            let mut f = 3u32.to_be_bytes().to_vec();
            f.extend_from_slice(&sync);
            f
        }),
        ("4 KiB of random bytes as an inference request", Proto::Infer, random),
        ("empty sync frame", Proto::Sync, frame(&[])),
        ("undecodable inference body", Proto::Infer, frame(&[0xff; 64])),
        ("sync request with trailing bytes", Proto::Sync, frame(&trailing)),
        ("inference length u32::MAX", Proto::Infer, u32::MAX.to_be_bytes().to_vec()),
    ];
    assert!(wrong.len() > BAN_THRESHOLD as usize);
    for (what, proto, bytes) in wrong {
        let outcome = attacker.request(proto, bytes).await;
        println!("{what}: {outcome}");
        assert!(matches!(outcome, Outcome::NoAnswer(_)), "{what} got an answer");
    }

    // Banned: validator-0 lists it, refuses new connections, and answers nothing any more.
    let entry = banned_entry(v0, &me).expect("validator-0 did not ban the attacker");
    println!("validator-0 bans the request-response attacker: {entry}");
    assert_eq!(entry["offences"], BAN_THRESHOLD, "every frame before the ban was an offence");
    for proto in [Proto::Sync, Proto::Infer, Proto::Sync] {
        let bytes = if proto == Proto::Sync { frame(&sync) } else { frame(&infer) };
        let outcome = attacker.request(proto, bytes).await;
        println!("after the ban, a well-formed {proto:?} request: {outcome}");
        assert!(matches!(outcome, Outcome::NoAnswer(_)), "a banned peer was answered");
    }
    wait_until("validator-0 drops the banned peer", PATIENCE, || peer_entry(v0, &me).is_none());
    me
}
