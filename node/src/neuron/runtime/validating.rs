//! A validator node on one subnet: query rounds (sample serving miners, ask concurrently with a
//! deadline, score, fold into the moving averages) and weight duties at every block (set, or
//! commit then reveal, within the subnet's rules). Every refusal is logged and shown in the
//! status: a rejected weight setting is never silent.

use std::sync::Arc;
use std::time::Duration;

use consensus::ledger::epoch_index;
use consensus::ledger::query::{self, NeuronInfo, SubnetInfo};
use protocol::transaction::{Payload, WeightRow, weight_commitment};
use protocol::wire::InferenceStatus;
use protocol::{Height, NetUid, PublicKey};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::sync::Mutex;
use tracing::{debug, info, warn};

use super::BlockTicker;
use super::commits::{CommitFile, LocalCommit};
use super::enrol::{Enroller, Enrolment};
use super::metrics::{InferenceMetrics, status_label};
use super::status::NeuronStatusBoard;
use super::submit::{ChainAccess, TxFailure};
use crate::chain::ChainEvent;
use crate::neuron::next_token::NextToken;
use crate::neuron::scores::ScoreBook;
use crate::neuron::task::Task;
use crate::neuron::weights::{WeightLimits, normalize};
use crate::p2p::{NetworkHandle, identity};

const TX_WAIT: Duration = Duration::from_secs(30);

pub struct ValidatorSettings {
    pub sample_size: usize,
    pub query_timeout_ms: u32,
    pub query_interval: Duration,
    pub weights_interval: Option<u64>,
}

pub struct Validator {
    pub access: ChainAccess,
    pub net: NetworkHandle,
    pub enroller: Enroller,
    pub task: Arc<NextToken>,
    pub settings: ValidatorSettings,
    pub book: Arc<Mutex<ScoreBook>>,
    pub board: NeuronStatusBoard,
    pub commits: CommitFile,
    pub rng_seed: u64,
    pub metrics: Arc<InferenceMetrics>,
}

impl Validator {
    fn netuid(&self) -> NetUid {
        self.enroller.netuid
    }

    /// Runs query rounds on their own task and weight duties at every block, until the chain
    /// stops.
    pub async fn run(mut self) {
        let rounds = tokio::spawn(query_rounds(
            self.access.clone(),
            self.net.clone(),
            self.netuid(),
            self.enroller.hotkey.public(),
            self.task.clone(),
            self.book.clone(),
            self.board.clone(),
            RoundSettings {
                sample_size: self.settings.sample_size,
                timeout_ms: self.settings.query_timeout_ms,
                interval: self.settings.query_interval,
                seed: self.rng_seed,
            },
            self.metrics.clone(),
        ));
        let mut ticker = BlockTicker::new(&self.access.chain);
        let mut salt_rng = ChaCha8Rng::from_os_rng();
        let mut last_set: Option<u64> = None;
        while let Some(ChainEvent::Block { height, .. }) = ticker.next().await {
            if let Err(e) = self.block_duties(height, &mut last_set, &mut salt_rng).await {
                warn!(netuid = self.netuid().0, error = %e, "weights not set");
                self.board.update(self.netuid().0, |s| s.last_error = Some(e.to_string()));
            }
        }
        rounds.abort();
    }

    async fn block_duties(
        &mut self,
        height: Height,
        last_set: &mut Option<u64>,
        salt_rng: &mut ChaCha8Rng,
    ) -> Result<(), TxFailure> {
        let netuid = self.netuid();
        let me = match self.enroller.ensure_registered(&self.access).await? {
            Enrolment::Registered(n) => n,
            Enrolment::Waiting(why) => {
                if height.0.is_multiple_of(20) {
                    warn!(netuid = netuid.0, "{why}");
                }
                self.board.update(netuid.0, |s| {
                    s.role = "validator";
                    s.waiting_for = Some(why);
                });
                return Ok(());
            }
        };
        let Some(subnet) = self.access.read(|r| query::subnet(r, netuid))? else {
            return Ok(());
        };
        let hot = self.enroller.hotkey.public();
        let Some(status) = self.access.read(|r| query::weights_status(r, netuid, &hot))? else {
            return Ok(());
        };
        let hp = &subnet.hyperparameters;
        // The block a transaction sent now lands in, at the earliest.
        let next = height.0 + 1;
        let epoch_now = epoch_index(next, netuid, hp.tempo);
        self.reveal_due(epoch_now, hp.reveal_period_epochs).await?;

        let interval = self.settings.weights_interval.unwrap_or(u64::from(hp.tempo)).max(1);
        let due_by_interval = last_set.is_none_or(|l| next >= l + interval);
        let allowed = next >= status.next_allowed_block;
        let next_block = status.next_allowed_block.max(last_set.map_or(0, |l| l + interval));
        let (rounds_scored, waiting) = {
            let book = self.book.lock().await;
            (book.len(), (book.is_empty()).then(|| "no miner scored yet".to_string()))
        };
        let pending = self.commits.commits.len();
        self.board.update(netuid.0, |s| {
            s.role = "validator";
            s.uid = Some(me.uid.0);
            s.waiting_for = waiting;
            s.scored_uids = rounds_scored;
            s.next_weights_block = Some(next_block);
            s.pending_reveals = pending;
        });
        if !(allowed && due_by_interval) || !me.validator_permit && me.hotkey != subnet.owner_hotkey
        {
            if !me.validator_permit && height.0.is_multiple_of(20) {
                warn!(
                    netuid = netuid.0,
                    uid = me.uid.0,
                    "no validator permit: stake too low to set weights"
                );
            }
            return Ok(());
        }
        let row = match self.weight_row(&subnet, &me).await {
            Ok(row) => row,
            Err(why) => {
                debug!(netuid = netuid.0, "{why}");
                return Ok(());
            }
        };
        let kind = if status.commit_reveal { "commit" } else { "set" };
        let included = if status.commit_reveal {
            self.commit(row, salt_rng, hp.tempo).await?
        } else {
            let payload = Payload::SetWeights { netuid, weights: row, version_key: 0 };
            self.access.send(&self.enroller.hotkey, payload, TX_WAIT).await?
        };
        *last_set = Some(included.0);
        info!(
            netuid = netuid.0,
            block = included.0,
            kind,
            next = included.0 + interval.max(hp.weights_rate_limit),
            "weights {kind}"
        );
        self.board.update(netuid.0, |s| {
            s.last_weights_block = Some(included.0);
            s.last_weights_kind = Some(kind);
            s.last_error = None;
        });
        Ok(())
    }

    /// This validator's weight row from its score book, within the subnet's limits.
    async fn weight_row(&self, subnet: &SubnetInfo, me: &NeuronInfo) -> Result<WeightRow, String> {
        let merits = self.book.lock().await.merits(self.task.scorer());
        let limits = WeightLimits::new(&subnet.hyperparameters, subnet.n);
        normalize(&merits, &limits, Some(me.uid.0)).map_err(|e| e.to_string())
    }

    /// Saves the secret, then sends the commitment; returns the inclusion block.
    async fn commit(
        &mut self,
        weights: WeightRow,
        salt_rng: &mut ChaCha8Rng,
        tempo: u16,
    ) -> Result<Height, TxFailure> {
        let netuid = self.netuid();
        let hot = self.enroller.hotkey.public();
        let salt: [u8; 32] = salt_rng.random();
        let commitment = weight_commitment(&hot, netuid, &weights, &salt, 0);
        self.commits.commits.push(LocalCommit {
            commitment,
            weights,
            salt,
            version_key: 0,
            epoch: None,
        });
        self.save_commits();
        let payload = Payload::CommitWeights { netuid, commitment };
        let result = self.access.send(&self.enroller.hotkey, payload, TX_WAIT).await;
        match &result {
            Ok(h) => {
                if let Some(c) =
                    self.commits.commits.iter_mut().find(|c| c.commitment == commitment)
                {
                    c.epoch = Some(epoch_index(h.0, netuid, tempo));
                }
            }
            Err(_) => self.commits.commits.retain(|c| c.commitment != commitment),
        }
        self.save_commits();
        result
    }

    /// Reveals every commit whose reveal epoch has come; forgets those whose epoch has passed.
    async fn reveal_due(&mut self, epoch_now: u64, period: u64) -> Result<(), TxFailure> {
        let netuid = self.netuid();
        let before = self.commits.commits.len();
        self.commits.commits.retain(|c| c.epoch.is_none_or(|e| e + period >= epoch_now));
        let due: Vec<LocalCommit> = self
            .commits
            .commits
            .iter()
            .filter(|c| c.epoch.is_some_and(|e| e + period == epoch_now))
            .cloned()
            .collect();
        let mut result = Ok(());
        for c in due {
            let payload = Payload::RevealWeights {
                netuid,
                weights: c.weights.clone(),
                salt: c.salt,
                version_key: c.version_key,
            };
            match self.access.send(&self.enroller.hotkey, payload, TX_WAIT).await {
                Ok(h) => {
                    info!(netuid = netuid.0, block = h.0, "weights revealed");
                    self.board.update(netuid.0, |s| {
                        s.last_weights_block = Some(h.0);
                        s.last_weights_kind = Some("reveal");
                    });
                }
                Err(e) => result = Err(e),
            }
            self.commits.commits.retain(|k| k.commitment != c.commitment);
        }
        if self.commits.commits.len() != before {
            self.save_commits();
        }
        result
    }

    fn save_commits(&self) {
        if let Err(e) = self.commits.save() {
            warn!(error = %e, "cannot save weight commits; a restart now would lose their reveal");
        }
    }
}

struct RoundSettings {
    sample_size: usize,
    timeout_ms: u32,
    interval: Duration,
    seed: u64,
}

/// Query rounds forever: sample serving miners, ask them all at once, score every answer (no
/// answer, a refusal or garbage scores worst).
#[allow(clippy::too_many_arguments)]
async fn query_rounds(
    access: ChainAccess,
    net: NetworkHandle,
    netuid: NetUid,
    me: PublicKey,
    task: Arc<NextToken>,
    book: Arc<Mutex<ScoreBook>>,
    board: NeuronStatusBoard,
    cfg: RoundSettings,
    metrics: Arc<InferenceMetrics>,
) {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut tick = tokio::time::interval(cfg.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut rounds = 0u64;
    loop {
        tick.tick().await;
        let metagraph = match access.read(|r| query::metagraph(r, netuid)) {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(e) => {
                debug!(error = %e, "metagraph unreadable");
                continue;
            }
        };
        book.lock().await.sync(|uid| metagraph.get(usize::from(uid.0)).map(|n| n.hotkey));
        let mut miners: Vec<&NeuronInfo> =
            metagraph.iter().filter(|n| n.hotkey != me && !n.endpoints.is_empty()).collect();
        miners.shuffle(&mut rng);
        miners.truncate(cfg.sample_size);
        if miners.is_empty() {
            continue;
        }
        let mut queries = Vec::with_capacity(miners.len());
        for n in &miners {
            let Some(peer) = identity::peer_id(&n.hotkey) else { continue };
            net.add_addresses(peer, crate::p2p::prefer_quic(&n.endpoints)).await;
            let (request, truth) = task.make_request(netuid, cfg.timeout_ms, &mut rng);
            let net = net.clone();
            let wait = Duration::from_millis(u64::from(cfg.timeout_ms) + 250);
            let (uid, hotkey) = (n.uid, n.hotkey);
            let metrics = metrics.clone();
            queries.push(async move {
                let sent = std::time::Instant::now();
                let answer = tokio::time::timeout(wait, net.infer(peer, request)).await;
                let (outcome, latency) = match &answer {
                    Ok(Ok(r)) => (status_label(r.status), Some(sent.elapsed().as_secs_f64())),
                    Ok(Err(_)) => ("failed", None),
                    Err(_) => ("no_answer", None),
                };
                metrics.on_query(netuid.0, outcome, latency);
                let payload = match answer {
                    Ok(Ok(r)) if r.status == InferenceStatus::Ok => Some(r.payload),
                    _ => None,
                };
                (uid, hotkey, truth, payload)
            });
        }
        let answers = futures::future::join_all(queries).await;
        let mut book = book.lock().await;
        for (uid, hotkey, truth, payload) in answers {
            let loss = task.judge(&truth, payload.as_deref());
            book.observe(uid, hotkey, loss);
        }
        rounds += 1;
        let scored = book.len();
        drop(book);
        board.update(netuid.0, |s| {
            s.rounds = rounds;
            s.scored_uids = scored;
        });
    }
}
