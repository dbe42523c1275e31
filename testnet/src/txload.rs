//! `tau testnet load`: a transaction generator. Signed transfers between the testnet's funded
//! coldkeys (each sends to the next in a ring) at a target rate, spread over the running nodes'
//! APIs: one per `POST /transactions` to the sender's own node (so transactions enter gossip at
//! every node), or `batch` per `POST /transactions/batch` round-robin over the nodes. A watcher
//! reads every new block to count how many of them were included (final: BFT has no forks).
//!
//! Nonces are read once from `/accounts/{address}` and then tracked here. A node queues at most 64
//! nonces ahead of an account's committed one, so each sender keeps at most [`WINDOW`] in flight;
//! the achievable rate is bounded by senders × window per block. The testnet's neurons also sign
//! with these coldkeys (registration), so a refused nonce is not fatal: the sender re-reads its
//! account and carries on. A transaction's content depends only on (sender, nonce), so a resend is
//! byte-identical and a node answers "already in the mempool" instead of queueing a second one.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use protocol::genesis::{Genesis, MAX_GENESIS_BYTES};
use protocol::keys::{Keypair, PublicKey};
use protocol::transaction::{Payload, Transaction};
use protocol::{ChainId, Rao};
use serde_json::Value;

use crate::http::{self, HttpError};
use crate::keyfiles::{self, KeyFileError};
use crate::layout::TestnetLayout;
use crate::ops::{self, OpsError};

/// Nonces a sender keeps in flight beyond its last included one (a node accepts up to 64).
pub const WINDOW: u64 = 56;
/// Largest batch a node accepts in one `POST /transactions/batch`.
pub const MAX_BATCH: usize = 5_000;
/// Amount of each transfer, in rao.
const AMOUNT: Rao = Rao(1_000);
/// A sender whose included nonce has not moved for this long re-reads its account.
const STALL: Duration = Duration::from_secs(10);

#[derive(Clone, Debug)]
pub struct LoadSpec {
    /// Target transactions per second.
    pub tps: f64,
    pub duration: Duration,
    /// Transactions per request; 1 uses `POST /transactions`.
    pub batch: usize,
    /// After the last submission, how long to wait for the rest to be included.
    pub settle: Duration,
}

/// Counters as the run goes, for a progress display.
#[derive(Clone, Debug, Default)]
pub struct LoadProgress {
    pub elapsed: Duration,
    /// Transactions sent (resends included).
    pub submitted: u64,
    /// Distinct transactions a node accepted into its mempool.
    pub accepted: u64,
    pub rejected: u64,
    /// Distinct transactions seen in committed blocks.
    pub included: u64,
    /// Latest height the watcher has read.
    pub height: u64,
    /// Submission is over; waiting for the rest to be included.
    pub settling: bool,
}

#[derive(Clone, Debug)]
pub struct LoadSummary {
    pub senders: usize,
    pub nodes: usize,
    pub counts: LoadProgress,
    pub submit_time: Duration,
    pub total_time: Duration,
    pub start_height: u64,
    pub first_rejection: Option<String>,
}

impl LoadSummary {
    /// Rate at which transactions were handed to the nodes.
    pub fn submitted_tps(&self) -> f64 {
        self.counts.submitted as f64 / self.submit_time.as_secs_f64().max(1e-9)
    }

    /// Included transactions over the whole run (submission and settling).
    pub fn included_tps(&self) -> f64 {
        self.counts.included as f64 / self.total_time.as_secs_f64().max(1e-9)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Spec(String),
    #[error("no node of the testnet is running")]
    NoNodes,
    #[error("no node could be reached any more; last error: {0}")]
    AllNodesGone(String),
    #[error("reading the genesis file: {0}")]
    Genesis(String),
    #[error("{0}")]
    Ops(#[from] OpsError),
    #[error(transparent)]
    Keys(#[from] KeyFileError),
    #[error("reading account {who}: {source}")]
    Account { who: String, source: HttpError },
}

struct Sender {
    key: Keypair,
    /// The API of the node this coldkey belongs to, if it runs.
    own: Option<SocketAddr>,
    to: PublicKey,
    next: u64,
    /// The committed nonce last looked at, and when it last moved (or the sender was resynced).
    seen: u64,
    moved: Instant,
    resync: bool,
}

/// What the block watcher learns and the submitter reads.
#[derive(Default)]
struct Tracker {
    /// Our transactions not yet seen in a block: hash → (sender, nonce).
    pending: BTreeMap<String, (usize, u64)>,
    /// Per sender: one past the highest nonce seen in a block.
    committed: Vec<u64>,
    included: u64,
    height: u64,
    /// Set when the watcher could not reach any node.
    error: Option<String>,
}

type Shared = Arc<Mutex<Tracker>>;

fn lock(t: &Shared) -> std::sync::MutexGuard<'_, Tracker> {
    // The watcher holds no invariant across a panic worth refusing the counts for.
    t.lock().unwrap_or_else(PoisonError::into_inner)
}

fn load_genesis(layout: &TestnetLayout) -> Result<Genesis, LoadError> {
    let path = layout.genesis_path();
    let len = std::fs::metadata(&path).map_err(|e| LoadError::Genesis(e.to_string()))?.len();
    if len > MAX_GENESIS_BYTES as u64 {
        return Err(LoadError::Genesis(format!("{} is too large", path.display())));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| LoadError::Genesis(e.to_string()))?;
    Genesis::from_json(&text).map_err(|e| LoadError::Genesis(e.to_string()))
}

fn account_nonce(api: SocketAddr, who: &PublicKey) -> Result<u64, LoadError> {
    let v = http::get(api, &format!("/accounts/{who}"))
        .map_err(|source| LoadError::Account { who: who.to_string(), source })?;
    Ok(v.get("nonce").and_then(Value::as_u64).unwrap_or(0))
}

/// Runs the load and returns its summary; `progress` is called after every request.
pub fn run(
    layout: &TestnetLayout,
    spec: &LoadSpec,
    mut progress: impl FnMut(&LoadProgress),
) -> Result<LoadSummary, LoadError> {
    if !(spec.tps.is_finite() && spec.tps > 0.0) {
        return Err(LoadError::Spec("--tps must be a positive number".into()));
    }
    if spec.batch == 0 || spec.batch > MAX_BATCH {
        return Err(LoadError::Spec(format!("--batch must be between 1 and {MAX_BATCH}")));
    }
    let genesis = load_genesis(layout)?;
    let views = ops::views(layout)?;
    let mut apis: Vec<SocketAddr> = views.iter().filter_map(|v| v.live_api()).collect();
    if apis.is_empty() {
        return Err(LoadError::NoNodes);
    }
    let keys: Vec<(Keypair, Option<SocketAddr>)> = views
        .iter()
        .map(|v| {
            let key = keyfiles::read_keypair(&layout.node_dir(&v.name).join("coldkey.secret"))?;
            Ok((key, v.live_api()))
        })
        .collect::<Result<_, KeyFileError>>()?;
    let mut senders = Vec::new();
    let mut committed = Vec::new();
    for (i, (key, own)) in keys.iter().enumerate() {
        let nonce = account_nonce(apis[0], &key.public())?;
        let to = keys[(i + 1) % keys.len()].0.public();
        senders.push(Sender {
            key: key.clone(),
            own: *own,
            to,
            next: nonce,
            seen: nonce,
            moved: Instant::now(),
            resync: false,
        });
        committed.push(nonce);
    }
    let start_height = http::get(apis[0], "/status")
        .ok()
        .and_then(|s| s.get("height").and_then(Value::as_u64))
        .unwrap_or(0);
    let tracker: Shared =
        Arc::new(Mutex::new(Tracker { committed, height: start_height, ..Tracker::default() }));
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (tracker, stop, apis) = (tracker.clone(), stop.clone(), apis.clone());
        std::thread::spawn(move || watch(&apis, start_height, &tracker, &stop))
    };
    let mut run = Run {
        chain: genesis.chain_id.clone(),
        fee: genesis.economics.min_tx_fee,
        senders,
        tracker: tracker.clone(),
        counts: LoadProgress::default(),
        accepted: BTreeSet::new(),
        first_rejection: None,
        cursor: 0,
    };
    let outcome = run.drive(spec, &mut apis, &mut progress);
    let submit_time = run.counts.elapsed;
    let settled = outcome.and_then(|()| run.settle(spec, &mut progress));
    stop.store(true, Ordering::Relaxed);
    let _ = watcher.join();
    settled?;
    run.refresh_counts();
    Ok(LoadSummary {
        senders: run.senders.len(),
        nodes: apis.len(),
        total_time: run.counts.elapsed,
        counts: run.counts,
        submit_time,
        start_height,
        first_rejection: run.first_rejection,
    })
}

/// The submitter's state.
struct Run {
    chain: ChainId,
    fee: Rao,
    senders: Vec<Sender>,
    tracker: Shared,
    counts: LoadProgress,
    accepted: BTreeSet<String>,
    first_rejection: Option<String>,
    cursor: usize,
}

impl Run {
    fn drive(
        &mut self,
        spec: &LoadSpec,
        apis: &mut Vec<SocketAddr>,
        progress: &mut impl FnMut(&LoadProgress),
    ) -> Result<(), LoadError> {
        let interval = Duration::from_secs_f64(spec.batch as f64 / spec.tps);
        let start = Instant::now();
        let mut next_tick = start;
        let mut target = 0usize;
        while start.elapsed() < spec.duration {
            if apis.is_empty() {
                return Err(LoadError::AllNodesGone("every API refused".into()));
            }
            let next = apis[target % apis.len()];
            target = target.wrapping_add(1);
            self.resync(next);
            let txs = self.build(spec.batch);
            let own = match txs.as_slice() {
                [(i, _, _)] => self.senders[*i].own.filter(|a| apis.contains(a)),
                _ => None,
            };
            let api = own.unwrap_or(next);
            if txs.is_empty() {
                // Every sender has a full window: wait for blocks.
                std::thread::sleep(Duration::from_millis(20));
            } else if let Err(e) = self.submit(api, txs, spec.batch > 1) {
                // The node is gone (killed, restarting): carry on with the others.
                apis.retain(|a| *a != api);
                if apis.is_empty() {
                    return Err(LoadError::AllNodesGone(e.to_string()));
                }
            }
            self.counts.elapsed = start.elapsed();
            self.refresh_counts();
            progress(&self.counts);
            next_tick += interval;
            let now = Instant::now();
            if next_tick > now {
                std::thread::sleep(next_tick - now);
            } else if now - next_tick > Duration::from_secs(1) {
                // Behind by more than a second: do not burst to catch up.
                next_tick = now;
            }
        }
        self.counts.elapsed = start.elapsed();
        Ok(())
    }

    /// Waits until every accepted transaction is included, inclusions stop for a while, or the
    /// settle time is up.
    fn settle(
        &mut self,
        spec: &LoadSpec,
        progress: &mut impl FnMut(&LoadProgress),
    ) -> Result<(), LoadError> {
        self.counts.settling = true;
        let submit_time = self.counts.elapsed;
        let start = Instant::now();
        let mut last = (self.counts.included, Instant::now());
        while start.elapsed() < spec.settle {
            self.refresh_counts();
            self.counts.elapsed = submit_time + start.elapsed();
            progress(&self.counts);
            if self.counts.included >= self.counts.accepted {
                break;
            }
            if self.counts.included != last.0 {
                last = (self.counts.included, Instant::now());
            } else if last.1.elapsed() > Duration::from_secs(10) {
                break;
            }
            if let Some(e) = lock(&self.tracker).error.clone() {
                return Err(LoadError::AllNodesGone(e));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.counts.elapsed = submit_time + start.elapsed();
        Ok(())
    }

    fn refresh_counts(&mut self) {
        let t = lock(&self.tracker);
        self.counts.included = t.included;
        self.counts.height = t.height;
    }

    /// Re-reads the accounts of senders that were refused or are stuck.
    fn resync(&mut self, api: SocketAddr) {
        let committed = lock(&self.tracker).committed.clone();
        for (i, s) in self.senders.iter_mut().enumerate() {
            if committed[i] != s.seen {
                s.seen = committed[i];
                s.moved = Instant::now();
            }
            let stuck = s.next > committed[i] && s.moved.elapsed() > STALL;
            if !(s.resync || stuck) {
                continue;
            }
            if let Ok(nonce) = account_nonce(api, &s.key.public()) {
                let mut t = lock(&self.tracker);
                t.committed[i] = t.committed[i].max(nonce);
                s.next = nonce;
                s.resync = false;
                s.moved = Instant::now();
            }
        }
    }

    /// Up to `n` signed transfers from senders with room in their window, round-robin.
    fn build(&mut self, n: usize) -> Vec<(usize, u64, Transaction)> {
        let committed = lock(&self.tracker).committed.clone();
        let mut out = Vec::with_capacity(n);
        let mut idle = 0;
        while out.len() < n && idle < self.senders.len() {
            let i = self.cursor % self.senders.len();
            self.cursor = self.cursor.wrapping_add(1);
            let s = &mut self.senders[i];
            if committed[i] > s.next {
                // Blocks moved past us (our own resends, or the neuron's transactions).
                s.next = committed[i];
            }
            if s.next >= committed[i] + WINDOW {
                idle += 1;
                continue;
            }
            idle = 0;
            let payload = Payload::Transfer { to: s.to, amount: AMOUNT };
            out.push((
                i,
                s.next,
                Transaction::sign(&s.key, &self.chain, s.next, self.fee, payload),
            ));
            s.next += 1;
        }
        out
    }

    /// Sends the transactions in one request; `Err` only if the node could not be reached.
    fn submit(
        &mut self,
        api: SocketAddr,
        txs: Vec<(usize, u64, Transaction)>,
        batch: bool,
    ) -> Result<(), HttpError> {
        let hashes: Vec<String> = txs.iter().map(|(_, _, tx)| tx.hash().to_string()).collect();
        {
            let mut t = lock(&self.tracker);
            for ((i, nonce, _), h) in txs.iter().zip(&hashes) {
                t.pending.insert(h.clone(), (*i, *nonce));
            }
        }
        self.counts.submitted += txs.len() as u64;
        let bodies: Vec<Value> =
            txs.iter().filter_map(|(_, _, tx)| serde_json::to_value(tx).ok()).collect();
        let outcomes: Vec<Result<(), String>> = if batch {
            match http::post(api, "/transactions/batch", &Value::Array(bodies)) {
                Ok(Value::Array(results)) => results
                    .iter()
                    .map(|r| match r.get("error").and_then(Value::as_str) {
                        Some(e) => Err(e.to_string()),
                        None => Ok(()),
                    })
                    .chain(std::iter::repeat(Err("no answer for this transaction".into())))
                    .take(txs.len())
                    .collect(),
                Ok(other) => vec![Err(format!("unexpected answer {other}")); txs.len()],
                Err(e @ HttpError::Io(_)) => return Err(self.unreachable(&txs, e)),
                Err(e) => vec![Err(e.to_string()); txs.len()],
            }
        } else {
            let mut out = Vec::new();
            for body in &bodies {
                match http::post(api, "/transactions", body) {
                    Ok(_) => out.push(Ok(())),
                    Err(HttpError::Status { body, .. }) => out.push(Err(error_text(&body))),
                    Err(e @ HttpError::Io(_)) if out.is_empty() => {
                        return Err(self.unreachable(&txs, e));
                    }
                    Err(e) => out.push(Err(e.to_string())),
                }
            }
            out
        };
        for (((i, _, _), h), outcome) in txs.iter().zip(hashes).zip(outcomes) {
            match outcome {
                Ok(()) => {
                    self.accepted.insert(h);
                }
                Err(e) if e.contains("already in the mempool") => {
                    self.accepted.insert(h);
                }
                Err(e) => {
                    self.counts.rejected += 1;
                    self.first_rejection.get_or_insert(e);
                    self.senders[*i].resync = true;
                    // A resend of one already accepted (refused as a used nonce) stays pending:
                    // the block that included it may not have been read yet.
                    if !self.accepted.contains(&h) {
                        lock(&self.tracker).pending.remove(&h);
                    }
                }
            }
        }
        self.counts.accepted = self.accepted.len() as u64;
        Ok(())
    }

    /// The request never reached a node: its senders re-read their nonces before going on.
    fn unreachable(&mut self, txs: &[(usize, u64, Transaction)], e: HttpError) -> HttpError {
        for (i, _, _) in txs {
            self.senders[*i].resync = true;
        }
        self.counts.submitted -= txs.len() as u64;
        e
    }
}

fn error_text(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| body.to_string())
}

/// Reads every block after `from` as it commits and counts our transactions in it.
fn watch(apis: &[SocketAddr], from: u64, tracker: &Shared, stop: &AtomicBool) {
    let mut last = from;
    let mut which = 0usize;
    let mut failures = 0u32;
    while !stop.load(Ordering::Relaxed) {
        let api = apis[which % apis.len()];
        let tip = http::get(api, "/status").ok().and_then(|s| s.get("height")?.as_u64());
        let Some(tip) = tip else {
            // Try the next node; give up only when none has answered for a long while.
            which += 1;
            failures += 1;
            if failures as usize > 50 * apis.len() {
                lock(tracker).error = Some("no node answers /status".into());
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
            continue;
        };
        failures = 0;
        while last < tip && !stop.load(Ordering::Relaxed) {
            let Ok(block) = http::get(api, &format!("/blocks/{}", last + 1)) else { break };
            let hashes = block["transactions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t["hash"].as_str());
            let mut t = lock(tracker);
            for h in hashes {
                if let Some((i, nonce)) = t.pending.remove(h) {
                    t.included += 1;
                    if let Some(c) = t.committed.get_mut(i) {
                        *c = (*c).max(nonce + 1);
                    }
                }
            }
            last += 1;
            t.height = last;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
