//! The chain driver actor: one task owns the BFT engine, the mempool and the tip. It turns network
//! events, timers and API commands into engine inputs, and carries out the engine's effects in
//! order: the safety record is persisted (synced) before any vote it covers is broadcast, and a
//! decided block is executed and committed atomically before the next height starts.

mod catch_up;
mod gossip;

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use consensus::bft::{
    CachingVerifier, Effect, Engine, EngineConfig, Input, SafetyRecord, Timeout, ValidatorSet,
};
use consensus::ledger::{BlockContext, BlockOutcome, Ledger};
use protocol::block::Block;
use protocol::consensus::CommitCertificate;
use protocol::genesis::Genesis;
use protocol::keys::Keypair;
use protocol::state::next_app_hash;
use protocol::transaction::{Payload, Transaction};
use protocol::wire::ConsensusMessage;
use protocol::{ChainId, Hash, Height, Round, codec};
use storage::{BlockCommit, Store};
use tokio::sync::{broadcast, mpsc};
use tracing::{debug, error, info, warn};

use super::blocks::{self, Tip};
use super::ingress::{ChainCommand, ChainEvent, ChainHandle, ChainStatus, TransactionOutcome};
use super::intake::{self, CheckedGossip};
use super::mempool::{Mempool, MempoolError};
use super::replays::RecentInclusions;
use super::state_reader::StoreReader;
use super::sync::SyncState;
use super::verified::{SignatureCache, VerifiedTransaction};
use crate::p2p::{NetworkEvent, NetworkEvents, NetworkHandle, TopicKind, TransactionLane};

/// Network events the driver handles in a row before it serves anything else waiting.
const NETWORK_STREAK: u32 = 64;

/// How long one outbound sync request may take before it counts as failed.
const SYNC_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The outcome of an outbound sync request, delivered back to the driver's loop.
pub(super) struct SyncReply {
    peer: libp2p::PeerId,
    result: Result<protocol::wire::SyncResponse, String>,
}

/// Why the driver cannot go on. Each is fatal: continuing could sign or commit something wrong.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("storage: {0}")]
    Store(#[from] storage::StoreError),
    #[error("ledger: {0}")]
    Ledger(#[from] consensus::ledger::LedgerError),
    #[error("validator set: {0}")]
    ValidatorSet(#[from] consensus::bft::ValidatorSetError),
    #[error("safety record is unreadable ({0}); refusing to vote without it")]
    Safety(String),
    #[error("decided block {0} executes with an error: {1}")]
    DecidedBlockInvalid(Hash, String),
}

#[derive(Clone, Debug)]
pub struct ChainConfig {
    pub genesis: Genesis,
    pub hotkey: Keypair,
    /// Vote when the hotkey is in the validator set; otherwise only follow.
    pub validator: bool,
    pub mempool_capacity: usize,
}

pub(super) enum Timer {
    Consensus(Timeout),
    /// Build the proposal for (height, round) now, transactions or not.
    BuildBlock(Height, Round),
}

pub struct ChainDriver {
    chain: ChainId,
    genesis: Genesis,
    hotkey: Keypair,
    store: Arc<dyn Store>,
    net: NetworkHandle,
    engine: Engine,
    verifier: Arc<CachingVerifier>,
    /// Transactions whose signatures this node verified lately (API, intake, blocks).
    signatures: Arc<SignatureCache>,
    mempool: Mempool,
    tip: Tip,
    validators: ValidatorSet,
    previous_validators: Option<ValidatorSet>,
    /// Blocks carried by proposals at the current height, by hash.
    proposals: BTreeMap<Hash, Block>,
    /// Execution results of blocks validated at the current height, reused when one is decided.
    executed: BTreeMap<Hash, BlockOutcome>,
    /// A proposal we owe, waiting for transactions or the block time.
    pending_value: Option<(Height, Round)>,
    /// The mempool's generation when a selection at this height found nothing includable (only
    /// transactions behind a nonce gap): until something is added, selecting again is wasted.
    nothing_includable: Option<u64>,
    sync: SyncState,
    /// Outbound sync requests run on their own tasks and answer here: the driver must never
    /// await a peer, since that peer's driver serves our request from its own loop (two nodes
    /// probing each other would each wait out the timeout while the other's request queues).
    sync_replies_tx: mpsc::Sender<SyncReply>,
    sync_replies: mpsc::Receiver<SyncReply>,
    /// Whether a sync request is outstanding (one at a time).
    sync_in_flight: bool,
    commands: mpsc::Receiver<ChainCommand>,
    /// Consensus, sync and peer events: served before anything else.
    network: mpsc::Receiver<NetworkEvent>,
    /// Gossiped transactions, until `run` hands them to the intake task.
    intake_lane: Option<TransactionLane>,
    checked_tx: mpsc::Sender<Vec<CheckedGossip>>,
    /// Gossiped transactions whose signatures the intake verified.
    checked: mpsc::Receiver<Vec<CheckedGossip>>,
    recent: RecentInclusions,
    replay_log: crate::p2p::LogBudget,
    timers_tx: mpsc::Sender<Timer>,
    timers: mpsc::Receiver<Timer>,
    events: broadcast::Sender<ChainEvent>,
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl ChainDriver {
    /// Opens the chain at its stored tip (initialising genesis on first start) and prepares the
    /// engine from the persisted safety record.
    pub fn new(
        cfg: ChainConfig,
        store: Arc<dyn Store>,
        net: NetworkHandle,
        network: NetworkEvents,
    ) -> Result<(ChainDriver, ChainHandle), ChainError> {
        let chain = cfg.genesis.chain_id.clone();
        let ws = Ledger::genesis(&cfg.genesis)?;
        store.init_genesis(&chain, cfg.genesis.hash(), &ws)?;
        let t = store.tip()?;
        let certificate = if t.height.0 > 0 { store.certificate(t.height)? } else { None };
        let tip =
            Tip { height: t.height, block_hash: t.block_hash, app_hash: t.app_hash, certificate };
        let safety = match store.load_safety_record()? {
            Some(bytes) => Some(
                SafetyRecord::from_bytes(&bytes).map_err(|e| ChainError::Safety(e.to_string()))?,
            ),
            None => None,
        };
        let verifier = Arc::new(CachingVerifier::new(16_384));
        let engine_cfg = EngineConfig::from_params(chain.clone(), &cfg.genesis.consensus);
        // A node not run as a validator still runs the engine to follow decisions, under a key
        // derived from its hotkey that is in no validator set, so it can never sign a vote even
        // if its hotkey is a validator's (that validator's own node must be the only signer).
        let signer = if cfg.validator {
            cfg.hotkey.clone()
        } else {
            let secret = cfg.hotkey.secret_bytes();
            Keypair::from_seed(&blake3::derive_key("tau follower engine key v1", &secret))
        };
        let engine = Engine::new(engine_cfg, signer, safety).with_verifier(verifier.clone());
        let (validators, previous_validators) =
            super::validator_sets::load(store.as_ref(), &cfg.genesis, tip.height)?;
        let (cmd_tx, commands) = mpsc::channel(4096);
        let (timers_tx, timers) = mpsc::channel(4096);
        let (sync_replies_tx, sync_replies) = mpsc::channel(4);
        // Each entry holds up to 2,048 transactions (intake.rs); a few are enough to keep the
        // driver busy while the intake verifies the next round.
        let (checked_tx, checked) = mpsc::channel(4);
        let (events, _) = broadcast::channel(4096);
        let signatures = Arc::new(SignatureCache::default());
        let handle = ChainHandle {
            chain: chain.clone(),
            signatures: signatures.clone(),
            tx: cmd_tx,
            events: events.clone(),
        };
        let min_fee = cfg.genesis.economics.min_tx_fee;
        let driver = ChainDriver {
            chain,
            genesis: cfg.genesis,
            hotkey: cfg.hotkey,
            store,
            net,
            engine,
            verifier,
            signatures,
            mempool: Mempool::new(cfg.mempool_capacity, min_fee),
            tip,
            validators,
            previous_validators,
            proposals: BTreeMap::new(),
            executed: BTreeMap::new(),
            pending_value: None,
            nothing_includable: None,
            sync: SyncState::default(),
            sync_replies_tx,
            sync_replies,
            sync_in_flight: false,
            commands,
            network: network.priority,
            intake_lane: Some(network.transactions),
            checked_tx,
            checked,
            recent: RecentInclusions::default(),
            replay_log: crate::p2p::LogBudget::new(8, 1),
            timers_tx,
            timers,
            events,
        };
        Ok((driver, handle))
    }

    /// Runs until the network and every handle are gone, or a fatal error.
    pub async fn run(mut self) -> Result<(), ChainError> {
        info!(height = self.tip.height.0, app_hash = %self.tip.app_hash, "chain opened");
        if let Some(lane) = self.intake_lane.take() {
            let (chain, net, checked) =
                (self.chain.clone(), self.net.clone(), self.checked_tx.clone());
            tokio::spawn(intake::run(lane, chain, self.signatures.clone(), net, checked));
        }
        self.start_height().await?;
        let mut sync_tick = tokio::time::interval(Duration::from_millis(500));
        // Network events handled in a row; past the cap the other branches get a turn, so a
        // flood of consensus traffic cannot starve the API or the intake.
        let mut streak = 0u32;
        loop {
            // Biased: timers and consensus first, so no amount of transactions delays a vote.
            tokio::select! {
                biased;
                Some(t) = self.timers.recv() => self.on_timer(t).await?,
                ev = self.network.recv() => {
                    match ev {
                        Some(ev) => self.on_network(ev).await?,
                        None => return Ok(()),
                    }
                    streak += 1;
                    if streak < NETWORK_STREAK {
                        continue;
                    }
                    // The network's turn is over: serve one of each of the others if waiting.
                    if let Ok(c) = self.commands.try_recv() {
                        self.on_command(c).await?;
                    }
                    if let Ok(batch) = self.checked.try_recv() {
                        self.on_checked_gossip(batch).await;
                    }
                }
                Some(r) = self.sync_replies.recv() => self.on_sync_reply(r).await,
                _ = sync_tick.tick() => self.sync_tick(),
                Some(c) = self.commands.recv() => self.on_command(c).await?,
                Some(batch) = self.checked.recv() => self.on_checked_gossip(batch).await,
            }
            streak = 0;
        }
    }

    async fn start_height(&mut self) -> Result<(), ChainError> {
        let input = self.next_height_input();
        self.drive(input).await
    }

    /// Clears the per-height state and returns the input that starts the height after the tip.
    fn next_height_input(&mut self) -> Input {
        self.proposals.clear();
        self.executed.clear();
        self.pending_value = None;
        self.nothing_includable = None;
        Input::StartHeight {
            height: Height(self.tip.height.0 + 1),
            validators: self.validators.clone(),
        }
    }

    /// Feeds one input and carries out its effects, and those of any inputs they produce.
    async fn drive(&mut self, first: Input) -> Result<(), ChainError> {
        let mut queue = VecDeque::from([first]);
        while let Some(input) = queue.pop_front() {
            match self.engine.handle(input) {
                Ok(effects) => {
                    for effect in effects {
                        if let Some(next) = self.apply(effect).await? {
                            queue.push_back(next);
                        }
                    }
                }
                Err(reason) => debug!(%reason, "input ignored"),
            }
        }
        Ok(())
    }

    async fn apply(&mut self, effect: Effect) -> Result<Option<Input>, ChainError> {
        match effect {
            Effect::PersistSafety(record) => {
                // Synced before anything it covers leaves the process (ADR: persist before speak).
                self.store.save_safety_record(&record.to_bytes())?;
            }
            Effect::Broadcast(msg) => {
                if let ConsensusMessage::Proposal(p) = &msg {
                    self.proposals.insert(p.body.block_hash, p.block.clone());
                }
                if let Err(e) = self.net.publish(TopicKind::Consensus, codec::encode(&msg)).await {
                    debug!(error = %e, "consensus broadcast not sent (no peers yet?)");
                }
            }
            Effect::ScheduleTimeout { timeout, after_ms } => {
                let tx = self.timers_tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(after_ms)).await;
                    let _ = tx.send(Timer::Consensus(timeout)).await;
                });
            }
            Effect::RequestValue { height, round } => {
                if let Some(input) = self.build_value(height, round, false) {
                    return Ok(Some(input));
                }
                // Nothing includable waits (an empty mempool, or only transactions behind a
                // nonce gap): propose after the block time. A transaction arriving first
                // triggers the proposal at once (no fixed sleep on a waiting transaction's path).
                self.pending_value = Some((height, round));
                let tx = self.timers_tx.clone();
                let wait = self.genesis.consensus.block_time_ms;
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                    let _ = tx.send(Timer::BuildBlock(height, round)).await;
                });
            }
            Effect::ValidateBlock { height, round: _, block } => {
                let valid = self.validate(&block);
                return Ok(Some(Input::BlockVerdict { height, block_hash: block.hash(), valid }));
            }
            Effect::Decide { certificate, block } => {
                let block = block
                    .map(|b| *b)
                    .or_else(|| self.proposals.get(&certificate.block_hash).cloned());
                match block {
                    Some(block) => {
                        let announce = ConsensusMessage::Commit(certificate.clone());
                        self.commit(block, certificate)?;
                        // The engine leaves this to the host: a certificate on gossip lets a
                        // laggard decide the height without waiting for a sync round trip.
                        if let Err(e) =
                            self.net.publish(TopicKind::Consensus, codec::encode(&announce)).await
                        {
                            debug!(error = %e, "commit certificate not gossiped");
                        }
                        return Ok(Some(self.next_height_input()));
                    }
                    None => {
                        info!(
                            height = certificate.height.0,
                            "decided a block we never received; fetching it"
                        );
                        self.sync.want(certificate.height);
                    }
                }
            }
            Effect::Evidence(evidence) => {
                warn!(offender = %evidence.offender(), "equivocation detected; submitting evidence");
                let nonce = self.account_nonce(&self.hotkey.public());
                let fee = self.genesis.economics.min_tx_fee;
                let tx = Transaction::sign(
                    &self.hotkey,
                    &self.chain,
                    nonce,
                    fee,
                    Payload::SubmitEvidence(*evidence),
                );
                match VerifiedTransaction::verify(tx, &self.chain) {
                    Ok(tx) => {
                        // Queued and gossiped; not proposed from here (this runs inside `drive`).
                        let (mut results, outbound) = self.queue_own(vec![tx]);
                        for form in outbound {
                            self.gossip_transaction(form).await;
                        }
                        if let Some(Err(e)) = results.pop() {
                            warn!(error = %e, "evidence transaction not queued");
                        }
                    }
                    Err(e) => warn!(error = %e, "evidence transaction does not verify"),
                }
            }
        }
        Ok(None)
    }

    /// The proposal for (height, round); `None` when it would be empty and `allow_empty` is not
    /// set (the caller then waits for transactions or the block time).
    fn build_value(&mut self, height: Height, round: Round, allow_empty: bool) -> Option<Input> {
        let generation = self.mempool.generation();
        if !allow_empty && (self.mempool.is_empty() || self.nothing_includable == Some(generation))
        {
            return None;
        }
        let max_txs = self.genesis.consensus.max_block_transactions as usize;
        let max_bytes = (self.genesis.consensus.max_block_bytes as usize).saturating_sub(64 * 1024);
        let reader = self.reader();
        let txs = match &reader {
            Ok(r) => self.mempool.select(max_txs, max_bytes, |k| nonce_in(r, k)),
            Err(_) => Vec::new(),
        };
        drop(reader);
        if txs.is_empty() && !allow_empty {
            self.nothing_includable = Some(generation);
            return None;
        }
        self.pending_value = None;
        let block = blocks::build(&self.tip, self.hotkey.public(), &self.validators, now_ms(), txs);
        debug!(height = height.0, round = round.0, txs = block.transactions.len(), "proposing");
        Some(Input::ValueReady { height, round, block })
    }

    fn reader(&self) -> Result<StoreReader<'_>, storage::StoreError> {
        Ok(StoreReader::new(self.store.snapshot()?))
    }

    fn account_nonce(&self, who: &protocol::PublicKey) -> u64 {
        match self.reader() {
            Ok(r) => nonce_in(&r, who),
            Err(_) => 0,
        }
    }

    /// Header, body and execution checks of a proposed block; the execution result is kept for
    /// the decision.
    fn validate(&mut self, block: &Block) -> bool {
        let hash = block.hash();
        if let Err(e) = self.check_block(block) {
            warn!(height = block.header.height.0, %hash, error = %e, "rejecting proposed block");
            return false;
        }
        match self.execute(block) {
            Ok(outcome) => {
                self.executed.insert(hash, outcome);
                self.proposals.insert(hash, block.clone());
                true
            }
            Err(e) => {
                warn!(height = block.header.height.0, %hash, error = %e, "proposed block does not execute");
                false
            }
        }
    }

    /// Header, body and signature checks of a block meant to follow the tip.
    pub(super) fn check_block(&self, block: &Block) -> Result<(), blocks::BlockError> {
        let rules = blocks::CheckRules {
            chain: &self.chain,
            max_transactions: self.genesis.consensus.max_block_transactions as usize,
            verifier: self.verifier.as_ref(),
        };
        blocks::check(
            block,
            &self.tip,
            &self.validators,
            self.previous_validators.as_ref(),
            &rules,
            // Mempool transactions were verified on arrival, others perhaps by the intake since.
            |tx| self.mempool.contains(&tx.hash()) || self.signatures.check(tx, &self.chain),
        )
    }

    fn execute(&self, block: &Block) -> Result<BlockOutcome, ChainError> {
        let reader = self.reader()?;
        let ctx = BlockContext {
            height: block.header.height,
            proposer: block.header.proposer,
            chain_id: self.chain.clone(),
        };
        let outcome = Ledger::execute_block(&reader, &ctx, &block.transactions);
        if let Some(e) = reader.take_error() {
            return Err(e.into());
        }
        Ok(outcome?)
    }

    /// Executes (or reuses the execution of) a decided block and commits it in one synced batch.
    pub(super) fn commit(
        &mut self,
        block: Block,
        certificate: CommitCertificate,
    ) -> Result<(), ChainError> {
        let hash = block.hash();
        let outcome = match self.executed.remove(&hash) {
            Some(o) => o,
            None => self
                .execute(&block)
                .map_err(|e| ChainError::DecidedBlockInvalid(hash, e.to_string()))?,
        };
        let app_hash = next_app_hash(&self.tip.app_hash, &outcome.write_set);
        let commit = BlockCommit {
            block: &block,
            certificate: &certificate,
            write_set: &outcome.write_set,
            app_hash,
        };
        let t = self.store.commit_block(&commit)?;
        info!(height = t.height.0, hash = %hash, txs = block.transactions.len(), round = certificate.round.0, "block committed");
        let outcomes: Arc<[TransactionOutcome]> = block
            .transactions
            .iter()
            .zip(&outcome.tx_results)
            .map(|(tx, result)| TransactionOutcome {
                hash: tx.hash(),
                ok: result.is_ok(),
                error: result.as_ref().err().map(|e| e.to_string()),
            })
            .collect();
        self.recent.record(outcomes.iter().map(|o| o.hash), t.height, Instant::now());
        let _ = self.events.send(ChainEvent::Block {
            height: t.height,
            hash,
            app_hash,
            transactions: block.transactions.len(),
            round: certificate.round.0,
            outcomes,
        });
        self.tip = Tip {
            height: t.height,
            block_hash: t.block_hash,
            app_hash: t.app_hash,
            certificate: Some(certificate),
        };
        let store = self.store.clone();
        let reader = StoreReader::new(store.snapshot()?);
        self.mempool.prune(|k| nonce_in(&reader, k));
        let next = super::validator_sets::advance(self.store.as_ref(), &self.validators, t.height)?;
        self.previous_validators = Some(std::mem::replace(&mut self.validators, next));
        self.sync.committed(t.height);
        Ok(())
    }

    async fn on_timer(&mut self, t: Timer) -> Result<(), ChainError> {
        match t {
            Timer::Consensus(timeout) => self.drive(Input::Timeout(timeout)).await,
            Timer::BuildBlock(height, round) => {
                if self.pending_value == Some((height, round))
                    && let Some(input) = self.build_value(height, round, true)
                {
                    self.drive(input).await?;
                }
                Ok(())
            }
        }
    }

    async fn on_command(&mut self, cmd: ChainCommand) -> Result<(), ChainError> {
        match cmd {
            ChainCommand::Submit { txs, reply } => {
                let results = self.admit(txs).await;
                let _ = reply.send(results);
            }
            ChainCommand::Status { reply } => {
                let _ = reply.send(ChainStatus {
                    height: self.tip.height,
                    block_hash: self.tip.block_hash,
                    app_hash: self.tip.app_hash,
                    round: self.engine.round().map(|r| r.0),
                    is_validator: self.validators.contains(&self.engine.public_key()),
                    syncing: self.sync.is_behind(self.tip.height),
                    best_seen_height: self.sync.best_seen(),
                    mempool: self.mempool.len(),
                });
            }
        }
        Ok(())
    }

    /// Queues our own (API-submitted or evidence) transactions, gossips those the mempool took
    /// and builds a pending proposal at once.
    async fn admit(&mut self, txs: Vec<VerifiedTransaction>) -> Vec<Result<Hash, MempoolError>> {
        let (results, outbound) = self.queue_own(txs);
        for form in outbound {
            self.gossip_transaction(form).await;
        }
        self.propose_if_pending().await;
        results
    }

    /// Mempool checks of our own transactions; returns each one's result and the gossip of
    /// those it took.
    #[allow(clippy::type_complexity)]
    fn queue_own(
        &mut self,
        txs: Vec<VerifiedTransaction>,
    ) -> (Vec<Result<Hash, MempoolError>>, Vec<(TopicKind, Vec<u8>)>) {
        let mut results = Vec::with_capacity(txs.len());
        let mut admitted = Vec::with_capacity(txs.len());
        let store = self.store.clone();
        let reader = store.snapshot().map(StoreReader::new);
        for tx in txs {
            let nonce = reader.as_ref().map_or(0, |r| nonce_in(r, &tx.get().body.signer));
            let copy = tx.get().clone();
            let result = self.mempool.insert(tx, nonce);
            if result.is_ok() {
                admitted.push(copy);
            }
            results.push(result);
        }
        (results, gossip::gossip_forms(admitted))
    }

    async fn propose_if_pending(&mut self) {
        if let Some((height, round)) = self.pending_value
            && let Some(input) = self.build_value(height, round, false)
            && let Err(e) = self.drive(input).await
        {
            error!(error = %e, "proposing failed");
        }
    }

    async fn on_network(&mut self, ev: NetworkEvent) -> Result<(), ChainError> {
        match ev {
            NetworkEvent::Gossip(g) => self.on_gossip(*g).await,
            NetworkEvent::SyncRequest { peer, request, channel } => {
                let response = super::sync::serve(self.store.as_ref(), request, self.tip.height);
                debug!(%peer, from = request.from.0, blocks = response.blocks.len(), "serving sync");
                self.net.respond_sync(channel, response).await;
                Ok(())
            }
            NetworkEvent::PeerConnected(p) => {
                self.sync.peer_up(p);
                Ok(())
            }
            NetworkEvent::PeerDisconnected(p) => {
                self.sync.peer_down(&p);
                Ok(())
            }
            NetworkEvent::Listening(_) => Ok(()),
        }
    }
}

fn nonce_in(reader: &StoreReader<'_>, who: &protocol::PublicKey) -> u64 {
    consensus::ledger::query::account(reader, who).map(|a| a.nonce).unwrap_or(0)
}

#[cfg(test)]
mod tests;
