//! The event loop: pops the next event, hands it to a node's engine, carries out the effects as
//! a host would (persist, send over simulated links, schedule timers, build and judge blocks,
//! apply decisions), and checks the properties after every step.

use std::collections::BTreeSet;
use std::sync::Arc;

use protocol::{
    Block, ChainId, ConsensusMessage, Hash, Height, Keypair, Proposal, PublicKey, Vote,
};

use crate::bft::{
    CachingVerifier, Effect, Engine, EngineConfig, Ignored, Input, SafetyRecord, SignatureVerifier,
    ValidatorSet,
};

use super::checker::{Checker, Violation};
use super::network::{Event, EventQueue, Msg, Network};
use super::node::{Decided, Disk, SimNode, check_block, make_block};
use super::rng::SimRng;
use super::scenario::{Behaviour, Scenario};

/// A hard stop for runaway runs (a bug, not a scenario, would hit it).
const MAX_EVENTS: u64 = 5_000_000;
/// Heights sent in one sync reply.
const SYNC_BATCH: usize = 16;
/// A peer gets the same sync reply at most this often.
const SYNC_INTERVAL_MS: u64 = 200;
/// Old-height messages this soon after our decision are the stragglers of that height (late
/// precommits), not a peer that is stuck: they get no sync reply.
const SYNC_GRACE_MS: u64 = 200;

/// What one run did.
#[derive(Clone, Debug)]
pub struct Report {
    pub seed: u64,
    /// blake3 chained over every event processed: equal seeds give equal traces.
    pub trace: Hash,
    pub violation: Option<Violation>,
    /// Highest height decided by any honest node.
    pub decided_height: u64,
    pub sim_time_ms: u64,
    pub events: u64,
    /// Point-to-point messages handed to the network (after Byzantine rewriting).
    pub messages_sent: u64,
    pub messages_delivered: u64,
    pub signatures_checked: u64,
    pub evidence: u64,
    /// Each node's state at the end, for diagnosing a failing seed.
    pub nodes: Vec<String>,
}

/// Runs `scenario` under `seed` to its end.
pub fn run(scenario: &Scenario, seed: u64) -> Report {
    Sim::new(scenario, seed).run()
}

struct Sim<'a> {
    sc: &'a Scenario,
    chain: ChainId,
    rng: SimRng,
    now: u64,
    queue: EventQueue,
    net: Network,
    keys: Vec<Keypair>,
    nodes: Vec<SimNode>,
    honest: Vec<bool>,
    faulty_keys: BTreeSet<PublicKey>,
    sets: Vec<(ValidatorSet, Hash)>,
    verifiers: Vec<Arc<CachingVerifier>>,
    /// Every block any node put in a proposal, by hash (validity: decided blocks were proposed).
    proposed: std::collections::BTreeMap<Hash, Block>,
    checker: Checker,
    trace: Hash,
    report: Report,
}

impl<'a> Sim<'a> {
    fn new(sc: &'a Scenario, seed: u64) -> Sim<'a> {
        let mut rng = SimRng::new(seed);
        let keys: Vec<Keypair> = (0..sc.stakes.len())
            .map(|i| {
                let mut seed = [0u8; 32];
                seed[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
                Keypair::from_seed(&seed)
            })
            .collect();
        let shared = Arc::new(CachingVerifier::new(1 << 20));
        let verifiers = (0..sc.nodes.len())
            .map(|_| {
                if sc.shared_verifier_cache {
                    shared.clone()
                } else {
                    Arc::new(CachingVerifier::new(1 << 16))
                }
            })
            .collect();
        let nodes = sc
            .nodes
            .iter()
            .map(|spec| SimNode {
                key: keys[spec.key].clone(),
                behaviour: spec.behaviour,
                engine: None,
                incarnation: 0,
                disk: Disk::default(),
                rng: rng.fork(),
                sync_sent: Default::default(),
            })
            .collect();
        let faulty_keys = sc.faulty_keys().iter().map(|k| keys[*k].public()).collect();
        let honest = (0..sc.nodes.len()).map(|i| sc.is_honest(i)).collect();
        Sim {
            sc,
            chain: ChainId::new("sim").unwrap_or_else(|_| unreachable!("valid literal")),
            rng,
            now: 0,
            queue: EventQueue::default(),
            net: Network { link: sc.link, partitions: sc.partitions.clone() },
            keys,
            nodes,
            honest,
            faulty_keys,
            sets: Vec::new(),
            verifiers,
            proposed: Default::default(),
            checker: Checker::default(),
            trace: Hash::ZERO,
            report: Report {
                seed,
                trace: Hash::ZERO,
                violation: None,
                decided_height: 0,
                sim_time_ms: 0,
                events: 0,
                messages_sent: 0,
                messages_delivered: 0,
                signatures_checked: 0,
                evidence: 0,
                nodes: Vec::new(),
            },
        }
    }

    fn run(mut self) -> Report {
        for c in &self.sc.crashes {
            let event = Event::Crash { node: c.node, down_ms: c.down_ms, amnesia: c.amnesia };
            self.queue.push(c.at_ms, event);
        }
        for i in 0..self.nodes.len() {
            self.boot(i);
        }
        while self.checker.violation.is_none() && !self.done() {
            let Some(((at, seq), event)) = self.queue.pop() else { break };
            if at > self.sc.max_time_ms || self.report.events >= MAX_EVENTS {
                let reached = self.min_honest_height();
                let v = Violation::Liveness { reached, target: self.sc.target_height, at_ms: at };
                self.checker.fail(v);
                break;
            }
            self.now = at;
            self.report.events += 1;
            self.record_event(seq, &event);
            self.handle(event);
        }
        if self.checker.violation.is_none() {
            let (from, bound) = (self.sc.stable_from_ms, self.sc.liveness_bound_ms);
            self.checker.check_progress(from, bound, self.now);
        }
        let summaries = self
            .nodes
            .iter()
            .map(|n| match &n.engine {
                Some(e) => format!(
                    "chain {} engine h{:?} r{:?} {:?} lock {:?} decided {}",
                    n.disk.chain.len(),
                    e.height().map(|h| h.0),
                    e.round().map(|r| r.0),
                    e.step(),
                    e.locked(),
                    e.is_decided()
                ),
                None => format!("chain {} down", n.disk.chain.len()),
            })
            .collect();
        let mut report = self.report;
        report.nodes = summaries;
        report.trace = self.trace;
        report.violation = self.checker.violation;
        report.decided_height = self.checker.decisions.keys().max().copied().unwrap_or(0);
        report.sim_time_ms = self.now;
        let mut seen = BTreeSet::new();
        report.signatures_checked = self
            .verifiers
            .iter()
            .filter(|v| seen.insert(Arc::as_ptr(v)))
            .map(|v| v.checked())
            .sum();
        report
    }

    fn done(&self) -> bool {
        self.min_honest_height() >= self.sc.target_height
    }

    fn min_honest_height(&self) -> u64 {
        (0..self.nodes.len())
            .filter(|i| self.honest[*i])
            .map(|i| self.nodes[i].disk.chain.len() as u64)
            .min()
            .unwrap_or(u64::MAX)
    }

    /// The validator set and its hash for `height` (>= 1), derived like the ledger would.
    fn set(&mut self, height: u64) -> (ValidatorSet, Hash) {
        while (self.sets.len() as u64) < height {
            let h = self.sets.len() as u64 + 1;
            let stakes = self
                .sc
                .set_changes
                .iter()
                .filter(|(from, _)| *from <= h)
                .map(|(_, s)| s)
                .next_back()
                .unwrap_or(&self.sc.stakes);
            let infos = stakes
                .iter()
                .enumerate()
                .filter(|(_, p)| **p > 0)
                .map(|(i, p)| protocol::ValidatorInfo { key: self.keys[i].public(), power: *p })
                .collect();
            let set = match self.sets.last() {
                None => ValidatorSet::new(infos),
                Some((prev, _)) => prev.next(infos),
            }
            .unwrap_or_else(|e| panic!("scenario {} has a bad set: {e}", self.sc.name));
            let hash = set.hash();
            self.sets.push((set, hash));
        }
        self.sets[(height - 1) as usize].clone()
    }

    /// (Re)starts node `i` from its disk.
    fn boot(&mut self, i: usize) {
        let config = EngineConfig::new(self.chain.clone(), self.sc.timeouts);
        let record =
            self.nodes[i].disk.safety.as_deref().and_then(|b| SafetyRecord::from_bytes(b).ok());
        let verifier: Arc<dyn SignatureVerifier> = self.verifiers[i].clone();
        let engine = Engine::new(config, self.nodes[i].key.clone(), record).with_verifier(verifier);
        self.nodes[i].engine = Some(engine);
        let height = self.nodes[i].next_height();
        let (validators, _) = self.set(height);
        self.feed(i, Input::StartHeight { height: Height(height), validators }, None);
    }

    fn crash(&mut self, i: usize, down_ms: u64, amnesia: bool) {
        let node = &mut self.nodes[i];
        if node.engine.take().is_none() {
            return;
        }
        node.incarnation += 1;
        if amnesia {
            node.disk.safety = None;
        }
        self.queue.push(self.now + down_ms, Event::Restart { node: i });
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Deliver { to, from, msg } => {
                if self.nodes[to].engine.is_none() || !self.net.connected(self.now, from, to) {
                    return;
                }
                self.report.messages_delivered += 1;
                match msg {
                    Msg::Consensus(m) => self.feed(to, Input::from(m), Some(from)),
                    Msg::Sync(list) => {
                        for (cert, block) in list {
                            let h = cert.height.0;
                            self.feed(to, Input::Commit(cert), Some(from));
                            let entry =
                                self.nodes[to].disk.chain.get_mut((h as usize).wrapping_sub(1));
                            if let (Some(d), Some(b)) = (entry, block)
                                && d.block.is_none()
                                && b.hash() == d.cert.block_hash
                            {
                                d.block = Some(b);
                            }
                        }
                    }
                }
            }
            Event::Timer { node, incarnation, timeout } => {
                if self.nodes[node].incarnation == incarnation {
                    self.feed(node, Input::Timeout(timeout), None);
                }
            }
            Event::Crash { node, down_ms, amnesia } => self.crash(node, down_ms, amnesia),
            Event::Restart { node } => {
                if self.nodes[node].engine.is_none() {
                    self.boot(node);
                }
            }
        }
    }

    /// One input into node `i`'s engine, and its effects carried out in order.
    fn feed(&mut self, i: usize, input: Input, from: Option<usize>) {
        let Some(engine) = self.nodes[i].engine.as_mut() else { return };
        match engine.handle(input) {
            Ok(effects) => {
                for effect in effects {
                    // A crash in the middle of a batch drops the rest, as a real one would.
                    if self.nodes[i].engine.is_none() {
                        return;
                    }
                    self.apply(i, effect);
                }
            }
            Err(Ignored::OldHeight { theirs, .. }) => {
                if let Some(peer) = from {
                    self.sync_reply(i, peer, theirs.0);
                }
            }
            Err(_) => {}
        }
    }

    fn apply(&mut self, i: usize, effect: Effect) {
        match effect {
            Effect::PersistSafety(record) => self.nodes[i].disk.safety = Some(record.to_bytes()),
            Effect::Broadcast(msg) => self.broadcast(i, msg),
            Effect::ScheduleTimeout { timeout, after_ms } => {
                let incarnation = self.nodes[i].incarnation;
                let at = self.now.saturating_add(after_ms);
                self.queue.push(at, Event::Timer { node: i, incarnation, timeout });
            }
            Effect::RequestValue { height, round } => {
                if self.leader_may_crash(i) && self.rng.below(2) == 0 {
                    let down = self.sc.leader_crash_down_ms.unwrap_or(0);
                    self.crash(i, down, false);
                    return;
                }
                let block = self.build_block(i, height.0);
                self.feed(i, Input::ValueReady { height, round, block }, None);
            }
            Effect::ValidateBlock { height, block, .. } => {
                let (_, set_hash) = self.set(height.0);
                let prev = self.nodes[i].last_hash();
                let valid = check_block(&block, height.0, prev, set_hash).is_ok();
                let verdict = Input::BlockVerdict { height, block_hash: block.hash(), valid };
                self.feed(i, verdict, None);
            }
            Effect::Decide { certificate, block } => {
                let h = certificate.height.0;
                let hash = certificate.block_hash;
                self.trace = Hash::digest_parts(&[
                    self.trace.as_bytes(),
                    b"decide",
                    &(i as u64).to_le_bytes(),
                    &h.to_le_bytes(),
                    hash.as_bytes(),
                ]);
                let decided =
                    Decided { cert: certificate, block: block.map(|b| *b), at_ms: self.now };
                self.nodes[i].disk.chain.push(decided);
                if self.honest[i] {
                    let valid = self.validity(h, hash);
                    self.checker.on_decide(i, h, hash, valid, self.now);
                }
                let (validators, _) = self.set(h + 1);
                self.feed(i, Input::StartHeight { height: Height(h + 1), validators }, None);
            }
            Effect::Evidence(e) => {
                self.report.evidence += 1;
                if e.verify(&self.chain).is_err() {
                    self.checker.fail(Violation::Validity {
                        height: e.first.body.height.0,
                        block: Hash::ZERO,
                        node: i,
                        reason: "engine emitted evidence that does not verify",
                    });
                } else if !self.faulty_keys.contains(&e.offender()) {
                    self.checker.fail(Violation::HonestEquivocated { key: e.offender() });
                }
            }
        }
    }

    /// Whether the decided `hash` at `height` was proposed and is valid on the agreed chain.
    fn validity(&mut self, height: u64, hash: Hash) -> Result<(), &'static str> {
        let prev = if height == 1 {
            Hash::ZERO
        } else {
            *self.checker.decisions.get(&(height - 1)).ok_or("previous height undecided")?
        };
        let (_, set_hash) = self.set(height);
        let block = self.proposed.get(&hash).ok_or("never proposed")?;
        check_block(block, height, prev, set_hash)
    }

    fn build_block(&mut self, i: usize, height: u64) -> Block {
        let (_, set_hash) = self.set(height);
        let node = &mut self.nodes[i];
        // A fresh nonce per block: twins and split proposals never build equal blocks.
        let nonce = node.rng.next_u64();
        let invalid = node.behaviour == Behaviour::InvalidProposer;
        let prev = node.disk.chain.last().map(|d| &d.cert);
        make_block(&node.key, height, prev, set_hash, self.now, nonce, invalid)
    }

    fn leader_may_crash(&self, i: usize) -> bool {
        self.sc.leader_crash_down_ms.is_some()
            && self.nodes.iter().enumerate().all(|(j, n)| j == i || n.engine.is_some())
    }

    /// Sends what node `i`'s engine broadcast, rewritten by its behaviour.
    fn broadcast(&mut self, i: usize, msg: ConsensusMessage) {
        let peers: Vec<usize> = (0..self.nodes.len()).filter(|j| *j != i).collect();
        let behaviour = self.nodes[i].behaviour;
        let is_proposal = matches!(msg, ConsensusMessage::Proposal(_));
        if let ConsensusMessage::Proposal(p) = &msg {
            self.proposed.insert(p.body.block_hash, p.block.clone());
        }
        match (behaviour, msg) {
            (Behaviour::Silent, _) => {}
            (Behaviour::AlwaysNil, ConsensusMessage::Vote(v)) => {
                let nil = self.resign(i, &v, None);
                self.send_all(i, &peers, Msg::Consensus(ConsensusMessage::Vote(nil)));
            }
            (Behaviour::Equivocate, ConsensusMessage::Vote(v)) => {
                let other = match v.body.value {
                    Some(_) => None,
                    None => Some(Hash::digest(&self.nodes[i].rng.next_u64().to_le_bytes())),
                };
                let twin = self.resign(i, &v, other);
                // Each peer gets one of the two, or both in either order (as gossip relaying
                // the other half's copy would deliver).
                for &p in &peers {
                    let picks = match self.nodes[i].rng.below(4) {
                        0 => vec![&v],
                        1 => vec![&twin],
                        2 => vec![&v, &twin],
                        _ => vec![&twin, &v],
                    };
                    for pick in picks {
                        self.send(i, p, Msg::Consensus(ConsensusMessage::Vote(pick.clone())));
                    }
                }
            }
            (Behaviour::SplitProposer, ConsensusMessage::Proposal(p)) => {
                let block = self.build_block(i, p.body.height.0);
                let key = self.nodes[i].key.clone();
                let other =
                    Proposal::sign(&key, &self.chain, p.body.round, p.body.pol_round, block);
                self.proposed.insert(other.body.block_hash, other.block.clone());
                for &peer in &peers {
                    let pick: &Proposal = if self.nodes[i].rng.below(2) == 0 { &p } else { &other };
                    let m = ConsensusMessage::Proposal(Box::new(pick.clone()));
                    self.send(i, peer, Msg::Consensus(m));
                }
            }
            (_, msg) => self.send_all(i, &peers, Msg::Consensus(msg)),
        }
        if is_proposal && self.leader_may_crash(i) {
            let down = self.sc.leader_crash_down_ms.unwrap_or(0);
            self.crash(i, down, false);
        }
    }

    fn resign(&self, i: usize, v: &Vote, value: Option<Hash>) -> Vote {
        let b = &v.body;
        Vote::sign(&self.nodes[i].key, &self.chain, b.kind, b.height, b.round, value)
    }

    fn send_all(&mut self, from: usize, peers: &[usize], msg: Msg) {
        for &to in peers {
            self.send(from, to, msg.clone());
        }
    }

    fn send(&mut self, from: usize, to: usize, msg: Msg) {
        self.report.messages_sent += 1;
        if let Some(at) = self.net.transit(&mut self.rng, self.now, from, to) {
            self.queue.push(at, Event::Deliver { to, from, msg });
        }
    }

    /// Answers a peer stuck at `height` with the certificates (and blocks) from there on.
    fn sync_reply(&mut self, i: usize, peer: usize, height: u64) {
        let last = self.nodes[i].sync_sent.get(&(peer, height)).copied();
        let decided_at = self.nodes[i].disk.chain.get((height as usize).wrapping_sub(1));
        let fresh = decided_at.is_none_or(|d| self.now < d.at_ms + SYNC_GRACE_MS);
        if fresh || last.is_some_and(|t| self.now < t + SYNC_INTERVAL_MS) {
            return;
        }
        self.nodes[i].sync_sent.insert((peer, height), self.now);
        let start = (height - 1) as usize;
        let list: Vec<_> = self.nodes[i]
            .disk
            .chain
            .iter()
            .skip(start)
            .take(SYNC_BATCH)
            .map(|d| (d.cert.clone(), d.block.clone()))
            .collect();
        if !list.is_empty() {
            self.send(i, peer, Msg::Sync(list));
        }
    }

    /// Folds the event into the trace hash by identity (signatures name votes and proposals).
    fn record_event(&mut self, seq: u64, event: &Event) {
        let mut id = [0u8; 64];
        let (tag, a, b): (&[u8], u64, u64) = match event {
            Event::Deliver { to, from, msg } => {
                match msg {
                    Msg::Consensus(ConsensusMessage::Vote(v)) => id = v.signature.0,
                    Msg::Consensus(ConsensusMessage::Proposal(p)) => id = p.signature.0,
                    Msg::Consensus(ConsensusMessage::Commit(c)) => {
                        id[..32].copy_from_slice(c.block_hash.as_bytes())
                    }
                    Msg::Sync(list) => {
                        if let Some((c, _)) = list.first() {
                            id[..32].copy_from_slice(c.block_hash.as_bytes());
                        }
                        id[32..40].copy_from_slice(&(list.len() as u64).to_le_bytes());
                    }
                }
                (b"deliver", *to as u64, *from as u64)
            }
            Event::Timer { node, incarnation, timeout } => {
                id[..8].copy_from_slice(&timeout.height.0.to_le_bytes());
                id[8..12].copy_from_slice(&timeout.round.0.to_le_bytes());
                id[12] = timeout.kind as u8;
                (b"timer", *node as u64, u64::from(*incarnation))
            }
            Event::Crash { node, down_ms, .. } => (b"crash", *node as u64, *down_ms),
            Event::Restart { node } => (b"restart", *node as u64, 0),
        };
        self.trace = Hash::digest_parts(&[
            self.trace.as_bytes(),
            &self.now.to_le_bytes(),
            &seq.to_le_bytes(),
            tag,
            &a.to_le_bytes(),
            &b.to_le_bytes(),
            &id,
        ]);
    }
}
