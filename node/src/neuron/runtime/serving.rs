//! A miner node: one [`MinerService`] per subnet it serves, fed by the chain driver's inference
//! requests, with callers' stakes read from the chain at every block, and upkeep (registration,
//! endpoints, status) at every block.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use consensus::ledger::query::NeuronInfo;
use libp2p::{Multiaddr, PeerId};
use protocol::NetUid;
use protocol::transaction::{MAX_ENDPOINT_BYTES, MAX_ENDPOINTS};
use protocol::wire::{InferenceResponse, InferenceStatus};
use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::enrol::{Enroller, Enrolment};
use super::metrics::InferenceMetrics;
use super::status::NeuronStatusBoard;
use super::submit::ChainAccess;
use super::{BlockTicker, stake_weight};
use crate::chain::ChainEvent;
use crate::neuron::miner::{CallerPolicy, CallerStake, MinerService};
use crate::p2p::{InboundInference, NetworkHandle, identity};

/// Stakes of the callers registered on one subnet, refreshed every block.
#[derive(Default)]
pub struct ChainCallers {
    stakes: RwLock<BTreeMap<PeerId, u64>>,
}

impl ChainCallers {
    fn refresh(&self, metagraph: &[NeuronInfo], tao_weight: u64) {
        let stakes = metagraph
            .iter()
            .filter_map(|n| Some((identity::peer_id(&n.hotkey)?, stake_weight(n, tao_weight))))
            .collect();
        if let Ok(mut s) = self.stakes.write() {
            *s = stakes;
        }
    }
}

impl CallerPolicy for ChainCallers {
    fn stake(&self, _netuid: NetUid, peer: &PeerId) -> CallerStake {
        self.stakes.read().ok().and_then(|s| s.get(peer).copied())
    }
}

/// One subnet a miner serves.
pub struct ServedSubnet {
    pub service: Arc<MinerService>,
    pub callers: Arc<ChainCallers>,
    pub enroller: Enroller,
}

/// Answers inference requests: each on its own task, so a slow backend never holds up others.
pub async fn dispatch(
    net: NetworkHandle,
    services: BTreeMap<NetUid, Arc<MinerService>>,
    mut calls: mpsc::Receiver<InboundInference>,
    metrics: Arc<InferenceMetrics>,
) {
    while let Some(InboundInference { peer, request, channel }) = calls.recv().await {
        let net = net.clone();
        let netuid = request.netuid.0;
        match services.get(&request.netuid) {
            Some(service) => {
                let service = service.clone();
                let metrics = metrics.clone();
                tokio::spawn(async move {
                    let response = service.handle(&peer, request).await;
                    metrics.on_served(netuid, response.status);
                    net.respond_infer(channel, response).await;
                });
            }
            None => {
                let response = InferenceResponse {
                    status: InferenceStatus::WrongTask,
                    payload: Vec::new(),
                    server_time_us: 0,
                };
                metrics.on_served(netuid, response.status);
                net.respond_infer(channel, response).await;
            }
        }
    }
}

/// The addresses a miner announces: configured ones, else those it listens on (bounded as the
/// ledger requires).
pub async fn announce_addrs(net: &NetworkHandle, configured: &[Multiaddr]) -> Vec<Multiaddr> {
    let addrs =
        if configured.is_empty() { net.status().await.listen_addrs } else { configured.to_vec() };
    let mut out: Vec<Multiaddr> =
        addrs.into_iter().filter(|a| a.len() <= MAX_ENDPOINT_BYTES).collect();
    out.sort();
    out.dedup();
    out.truncate(MAX_ENDPOINTS);
    out
}

/// Keeps one served subnet in order at every block: registered, endpoints announced, caller
/// stakes current, status published.
pub async fn upkeep(
    access: ChainAccess,
    net: NetworkHandle,
    subnet: ServedSubnet,
    announce: Vec<Multiaddr>,
    board: NeuronStatusBoard,
    tao_weight: u64,
) {
    let netuid = subnet.enroller.netuid;
    let mut ticker = BlockTicker::new(&access.chain);
    let mut addrs = Vec::new();
    while let Some(ChainEvent::Block { height, .. }) = ticker.next().await {
        if addrs.is_empty() {
            addrs = announce_addrs(&net, &announce).await;
        }
        let (uid, waiting, error) = match subnet.enroller.ensure_registered(&access).await {
            Ok(Enrolment::Registered(n)) => {
                let served = subnet.enroller.ensure_served(&access, &n, &addrs).await;
                (Some(n.uid.0), None, served.err().map(|e| e.to_string()))
            }
            Ok(Enrolment::Waiting(why)) => {
                if height.0.is_multiple_of(20) {
                    warn!(netuid = netuid.0, "{why}");
                }
                (None, Some(why), None)
            }
            Err(e) => (None, None, Some(e.to_string())),
        };
        match access.read(|r| consensus::ledger::query::metagraph(r, netuid)) {
            Ok(Some(m)) => subnet.callers.refresh(&m, tao_weight),
            Ok(None) => {}
            Err(e) => debug!(error = %e, "metagraph unreadable"),
        }
        let stats = subnet.service.stats();
        board.update(netuid.0, |s| {
            s.role = "miner";
            s.uid = uid;
            s.waiting_for = waiting;
            s.served = Some(stats);
            if uid.is_some() && s.waiting_for.is_none() && error.is_none() {
                s.last_error = None;
            } else if error.is_some() {
                s.last_error = error;
            }
        });
    }
}
