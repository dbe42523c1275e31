//! The neuron wired to the node: a miner serves its subnets' tasks on `/tau/infer/1`, a validator
//! queries miners, scores them and sets weights on chain. Both register their hotkey (when given a
//! coldkey to pay with) and publish their state to a [`NeuronStatusBoard`] (`GET /neuron`).
//!
//! - [`serving`]: the miner's request dispatch and per-block upkeep.
//! - [`validating`]: query rounds and weight duties.
//! - [`enrol`]: registration and endpoint announcements.
//! - [`submit`]: sending transactions and learning their outcome.
//! - [`commits`]: a validator's unrevealed commits, kept on disk.
//! - [`subnet_task`]: the subnet's public language and known tasks.

pub mod commits;
pub mod enrol;
pub mod metrics;
pub mod serving;
pub mod status;
pub mod submit;
pub mod subnet_task;
pub mod validating;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use consensus::ledger::query::{self, NeuronInfo};
use protocol::keys::Keypair;
use protocol::{NetUid, Rao};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{Mutex, broadcast, mpsc};
use tracing::info;

pub use metrics::InferenceMetrics;
pub use status::{NeuronStatusBoard, SubnetNeuronStatus};
pub use submit::{ChainAccess, TxFailure};

use crate::chain::{ChainEvent, ChainHandle};
use crate::config::{BackendKind, NeuronSettings, Role};
use crate::neuron::backend::{Backend, ExecBackend, ExecConfig, HttpBackend, NgramBackend};
use crate::neuron::miner::{MinerConfig, MinerService};
use crate::neuron::next_token::{NextTokenCodec, NgramModel, TextSource};
use crate::neuron::{NextToken, NextTokenConfig, ScoreBook};
use crate::p2p::{InboundInference, NetworkHandle};

/// Block events only, skipping any the receiver lagged behind on (a neuron acts on the newest).
pub struct BlockTicker {
    events: broadcast::Receiver<ChainEvent>,
}

impl BlockTicker {
    pub fn new(chain: &ChainHandle) -> Self {
        BlockTicker { events: chain.subscribe() }
    }

    pub async fn next(&mut self) -> Option<ChainEvent> {
        loop {
            match self.events.recv().await {
                Ok(ev) => return Some(ev),
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// A neuron's stake weight on its subnet, as the epoch counts it: alpha plus root τ scaled by
/// `tao_weight` (`/u64::MAX`). Used to order callers; integer math.
pub fn stake_weight(n: &NeuronInfo, tao_weight: u64) -> u64 {
    let root = u128::from(n.root_stake.0) * u128::from(tao_weight) / u128::from(u64::MAX);
    n.stake.0.saturating_add(u64::try_from(root).unwrap_or(u64::MAX))
}

/// Everything the neuron needs from the node.
pub struct NeuronContext<'a> {
    pub role: Role,
    pub settings: &'a NeuronSettings,
    pub hotkey: Keypair,
    pub access: ChainAccess,
    pub net: NetworkHandle,
    pub data_dir: &'a Path,
    pub tao_weight: u64,
    pub metrics: Arc<InferenceMetrics>,
    /// The network thread's runtime: the miner's dispatch runs there, next to the swarm.
    pub network_runtime: tokio::runtime::Handle,
}

/// Starts the miner or validator tasks. Returns the sender the chain driver hands inference
/// requests to (miners only) and the status board.
pub fn start(
    ctx: NeuronContext<'_>,
) -> anyhow::Result<(Option<mpsc::Sender<InboundInference>>, NeuronStatusBoard)> {
    let board = NeuronStatusBoard::default();
    if ctx.role == Role::Full {
        return Ok((None, board));
    }
    let coldkey = match &ctx.settings.coldkey {
        Some(path) => Some(crate::service::load_hex_key(path)?),
        None => None,
    };
    let netuids = subnets_to_work_on(&ctx)?;
    if netuids.is_empty() {
        // A validator still votes in BFT; a miner has nothing to serve yet.
        tracing::warn!("no subnet runs a task this node knows; the neuron is idle");
        return Ok((None, board));
    }
    let enroller = |netuid| validating_enroller(&ctx, &coldkey, netuid);
    match ctx.role {
        Role::Miner => {
            let mut services = BTreeMap::new();
            for netuid in netuids {
                let callers = Arc::new(serving::ChainCallers::default());
                let service = Arc::new(miner_service(&ctx, netuid, callers.clone())?);
                info!(netuid = netuid.0, backend = %service.backend().describe(), "mining");
                services.insert(netuid, service.clone());
                let subnet = serving::ServedSubnet { service, callers, enroller: enroller(netuid) };
                tokio::spawn(serving::upkeep(
                    ctx.access.clone(),
                    ctx.net.clone(),
                    subnet,
                    ctx.settings.announce.clone(),
                    board.clone(),
                    ctx.tao_weight,
                ));
            }
            let (tx, rx) = mpsc::channel(1024);
            // Requests arrive from the swarm and answers go back to it: dispatching them on the
            // swarm's own thread saves two thread hand-offs per request.
            ctx.network_runtime.spawn(serving::dispatch(
                ctx.net.clone(),
                services,
                rx,
                ctx.metrics.clone(),
            ));
            Ok((Some(tx), board))
        }
        Role::Validator => {
            for netuid in netuids {
                let language = subnet_task::language(&ctx.access.chain_id, netuid)?;
                let task = Arc::new(NextToken::new(language, NextTokenConfig::default()));
                let s = ctx.settings;
                let seed = u64::from_le_bytes(
                    blake3::derive_key("tau validator query seed v1", &ctx.hotkey.secret_bytes())
                        [..8]
                        .try_into()
                        .unwrap_or([0; 8]),
                ) ^ u64::from(netuid.0);
                let validator = validating::Validator {
                    access: ctx.access.clone(),
                    net: ctx.net.clone(),
                    enroller: enroller(netuid),
                    task,
                    settings: validating::ValidatorSettings {
                        sample_size: s.sample_size.max(1),
                        query_timeout_ms: s.query_timeout_ms.max(1),
                        query_interval: Duration::from_millis(s.query_interval_ms.max(10)),
                        weights_interval: s.weights_interval,
                    },
                    book: Arc::new(Mutex::new(ScoreBook::new(s.score_alpha_ppm))),
                    board: board.clone(),
                    commits: commits::CommitFile::open(&ctx.data_dir.join("neuron"), netuid),
                    rng_seed: seed,
                    metrics: ctx.metrics.clone(),
                };
                info!(netuid = netuid.0, "validating");
                tokio::spawn(validator.run());
            }
            Ok((None, board))
        }
        Role::Full => Ok((None, board)),
    }
}

fn validating_enroller(
    ctx: &NeuronContext<'_>,
    coldkey: &Option<Keypair>,
    netuid: NetUid,
) -> enrol::Enroller {
    enrol::Enroller {
        netuid,
        hotkey: ctx.hotkey.clone(),
        coldkey: coldkey.clone(),
        max_burn: Rao(ctx.settings.max_burn_rao),
    }
}

/// The configured subnets, or every subnet whose task this node knows.
fn subnets_to_work_on(ctx: &NeuronContext<'_>) -> anyhow::Result<Vec<NetUid>> {
    let all = ctx.access.read(|r| query::subnets(r)).context("reading the subnets")?;
    let mut out = Vec::new();
    for netuid in all {
        if netuid == NetUid::ROOT {
            continue;
        }
        if !ctx.settings.netuids.is_empty() && !ctx.settings.netuids.contains(&netuid.0) {
            continue;
        }
        let info = ctx.access.read(|r| query::subnet(r, netuid))?;
        match info {
            Some(s) if subnet_task::is_known(&s.hyperparameters.task) => out.push(netuid),
            Some(s) => {
                tracing::warn!(netuid = netuid.0, task = %s.hyperparameters.task, "unknown task; skipping subnet")
            }
            None => {}
        }
    }
    for n in &ctx.settings.netuids {
        if !out.contains(&NetUid(*n)) {
            bail!("subnet {n} does not exist or runs a task this node does not know");
        }
    }
    Ok(out)
}

fn miner_service(
    ctx: &NeuronContext<'_>,
    netuid: NetUid,
    callers: Arc<serving::ChainCallers>,
) -> anyhow::Result<MinerService> {
    let s = ctx.settings;
    let codec = Arc::new(NextTokenCodec);
    let backend: Arc<dyn Backend> = match s.backend {
        BackendKind::Ngram => {
            let language = subnet_task::language(&ctx.access.chain_id, netuid)?;
            let model = if s.ngram_order == 0 {
                NgramModel::uniform(language.vocab().clone())?
            } else {
                NgramModel::train_on(
                    language.as_ref(),
                    s.ngram_order,
                    s.ngram_train_words,
                    s.ngram_seed,
                )?
            };
            Arc::new(NgramBackend::new(Arc::new(model)))
        }
        BackendKind::Exec => {
            let Some((program, args)) = s.exec.split_first() else {
                bail!("backend = \"exec\" needs `exec = [\"program\", \"arg\", …]`");
            };
            Arc::new(ExecBackend::new(
                ExecConfig::new(program.clone(), args.to_vec()),
                codec.clone(),
            ))
        }
        BackendKind::Http => {
            let Some(url) = &s.http_url else { bail!("backend = \"http\" needs `http_url`") };
            Arc::new(HttpBackend::new(url, codec.clone())?)
        }
    };
    let mut config = MinerConfig::new(netuid);
    config.max_concurrent = s.max_concurrent.max(1);
    let require = ctx
        .access
        .read(|r| query::subnet(r, netuid))?
        .is_some_and(|s| s.hyperparameters.require_registered_callers);
    config.require_registered = require;
    Ok(MinerService::new(config, codec, backend, callers))
}
