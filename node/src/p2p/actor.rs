//! The one task that owns the Swarm: it turns commands into swarm calls and swarm events into
//! typed [`NetworkEvent`]s. Gossip bytes are decoded here, so garbage is rejected (and costs its
//! sender score) before any other part of the node sees it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use libp2p::gossipsub::{self, MessageAcceptance};
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, InboundFailure, OutboundRequestId};
use libp2p::swarm::SwarmEvent;
use libp2p::swarm::dial_opts::DialOpts;
use libp2p::{Multiaddr, PeerId, Swarm, identify, noise, tcp, yamux};
use protocol::codec::{self, Encodable};
use protocol::keys::Keypair;
use protocol::wire::{
    ConsensusMessage, InferenceResponse, InferenceStatus, SyncResponse, TransactionBatch,
    WeightAnnouncement,
};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use super::behaviour::{Behaviour, BehaviourEvent};
use super::capture::{self, Capture};
use super::codec::Frame;
use super::config::P2pConfig;
use super::held::HeldPublishes;
use super::identity::libp2p_keypair;
use super::ingress::{
    Command, GossipMessage, InboundGossip, InboundInference, LaneRefusal, LaneSender, NetworkEvent,
    NetworkEvents, NetworkHandle, NetworkStatus, PublishError, RequestError, TransactionLane,
};
use super::log_budget::LogBudget;
use super::penalties::Penalties;
use super::resend;
use super::topics::TopicKind;

const COMMAND_QUEUE: usize = 1024;
const EVENT_QUEUE: usize = 8192;
/// Transaction gossip waiting for the intake, in messages and in bytes (a batch may be 1 MiB):
/// seconds of a heavy load. Past either bound new messages are shed (Ignored).
const TRANSACTION_QUEUE: usize = 4_096;
const TRANSACTION_QUEUE_BYTES: usize = 32 * 1024 * 1024;

/// Warnings a remote peer can trigger, per kind: a burst logged in full, then a few a second
/// with the count of those left out (see `log_budget`).
fn offence_log() -> LogBudget {
    LogBudget::new(32, 2)
}
fn ban_log() -> LogBudget {
    LogBudget::new(16, 1)
}
fn overload_log() -> LogBudget {
    LogBudget::new(4, 1)
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("building the transport: {0}")]
    Transport(String),
    #[error("building the network behaviour: {0}")]
    Behaviour(String),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: Multiaddr, reason: String },
    #[error("cannot start the gossip capture: {0}")]
    Capture(std::io::Error),
}

pub struct NetworkActor {
    swarm: Swarm<Behaviour>,
    config: P2pConfig,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<NetworkEvent>,
    transactions: LaneSender,
    pending_sync: BTreeMap<OutboundRequestId, oneshot::Sender<Result<SyncResponse, RequestError>>>,
    pending_infer:
        BTreeMap<OutboundRequestId, oneshot::Sender<Result<InferenceResponse, RequestError>>>,
    penalties: Penalties,
    /// Transaction gossip waiting for a peer to take it.
    held: HeldPublishes,
    /// Peers the operator blocked (admin API): never unblocked by forgetting a ban.
    operator_blocked: BTreeSet<PeerId>,
    /// The miner inference requests go to, straight from the swarm (no hop through the chain).
    inference: Option<mpsc::Sender<InboundInference>>,
    capture: Capture,
    offence_log: LogBudget,
    ban_log: LogBudget,
    overload_log: LogBudget,
    shed_log: LogBudget,
}

/// Builds the swarm, starts listening and dialling bootnodes. Run the returned actor on a task.
pub fn start(
    hotkey: &Keypair,
    config: P2pConfig,
) -> Result<(NetworkHandle, NetworkEvents, NetworkActor), StartError> {
    let key = libp2p_keypair(hotkey);
    let idle = config.idle_timeout;
    let local = key.public().to_peer_id();
    let capture = Capture::start(config.capture_dir.as_deref(), local, config.chain_id.clone())
        .map_err(StartError::Capture)?;
    let tap = capture.tap();
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)
        .map_err(|e| StartError::Transport(e.to_string()))?
        .with_quic()
        .with_behaviour(|key| {
            Behaviour::new(key, &config, tap)
                .map_err(Box::<dyn std::error::Error + Send + Sync>::from)
        })
        .map_err(|e| StartError::Behaviour(e.to_string()))?
        .with_swarm_config(|c| {
            c.with_idle_connection_timeout(idle)
                // One round trip less per request (shared/libp2p-notes.md).
                .with_substream_upgrade_protocol_override(libp2p::core::upgrade::Version::V1Lazy)
                .with_max_negotiating_inbound_streams(512)
        })
        .build();

    let chain = config.chain_id.clone();
    let mut topics = vec![TopicKind::Consensus, TopicKind::Transactions];
    topics.extend(config.subnets.iter().map(|n| TopicKind::Weights(*n)));
    for t in topics {
        swarm
            .behaviour_mut()
            .gossipsub
            .subscribe(&t.topic(&chain))
            .map_err(|e| StartError::Behaviour(format!("subscribe {}: {e}", t.name(&chain))))?;
    }
    for addr in &config.listen {
        swarm
            .listen_on(addr.clone())
            .map_err(|e| StartError::Listen { addr: addr.clone(), reason: e.to_string() })?;
    }
    for addr in &config.bootnodes {
        if let Some(peer) = peer_of(addr) {
            swarm.behaviour_mut().kad.add_address(&peer, addr.clone());
        }
        if let Err(e) = swarm.dial(addr.clone()) {
            warn!(%addr, error = %e, "cannot dial bootnode");
        }
    }

    let (cmd_tx, cmd_rx) = mpsc::channel(COMMAND_QUEUE);
    let (ev_tx, ev_rx) = mpsc::channel(EVENT_QUEUE);
    let (tx_tx, tx_rx) = TransactionLane::channel(TRANSACTION_QUEUE, TRANSACTION_QUEUE_BYTES);
    let actor = NetworkActor {
        swarm,
        config,
        commands: cmd_rx,
        events: ev_tx,
        transactions: tx_tx,
        pending_sync: BTreeMap::new(),
        pending_infer: BTreeMap::new(),
        penalties: Penalties::default(),
        operator_blocked: BTreeSet::new(),
        held: HeldPublishes::default(),
        inference: None,
        capture,
        offence_log: offence_log(),
        ban_log: ban_log(),
        overload_log: overload_log(),
        shed_log: overload_log(),
    };
    let events = NetworkEvents { priority: ev_rx, transactions: tx_rx };
    Ok((NetworkHandle { tx: cmd_tx }, events, actor))
}

fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter().find_map(|p| match p {
        Protocol::P2p(peer) => Some(peer),
        _ => None,
    })
}

impl NetworkActor {
    pub fn local_peer_id(&self) -> PeerId {
        *self.swarm.local_peer_id()
    }

    /// Runs until every handle is dropped.
    pub async fn run(mut self) {
        let mut bootstrap = tokio::time::interval(Duration::from_secs(30));
        let mut capture_tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = self.commands.recv() => match command {
                    Some(c) => self.on_command(c),
                    None => break,
                },
                _ = bootstrap.tick() => {
                    // Fails harmlessly when no peer is known yet.
                    let _ = self.swarm.behaviour_mut().kad.bootstrap();
                }
                _ = capture_tick.tick() => {
                    self.capture.tick(&self.swarm.behaviour().gossipsub);
                    if !self.held.is_empty() {
                        self.retry_held(None);
                    }
                }
            }
        }
        debug!("network actor stopped");
    }

    fn emit(&mut self, event: NetworkEvent) -> bool {
        match self.events.try_send(event) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                if let Some(suppressed) = self.overload_log.admit() {
                    warn!(suppressed, "node is not keeping up with network events; dropping one");
                }
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Hands transaction or weight gossip to the intake; `false` when it was shed.
    fn emit_transaction(&mut self, gossip: InboundGossip) -> bool {
        let topic = gossip.topic.label();
        match self.transactions.try_send(gossip) {
            Ok(()) => true,
            Err(LaneRefusal::Full) => {
                self.config.traffic.on_shed(topic);
                if let Some(suppressed) = self.shed_log.admit() {
                    warn!(suppressed, topic, "transaction intake is full; shedding gossip");
                }
                false
            }
            Err(LaneRefusal::Closed) => false,
        }
    }

    fn penalize(&mut self, peer: PeerId, reason: &str) {
        if let Some(suppressed) = self.offence_log.admit() {
            warn!(%peer, reason, suppressed, "peer misbehaved");
        }
        let recorded = self.penalties.record(peer);
        if recorded.banned_now {
            if let Some(suppressed) = self.ban_log.admit() {
                warn!(%peer, suppressed, "peer banned after repeated misbehaviour");
            }
            self.swarm.behaviour_mut().blocked.block_peer(peer);
        }
        // Forgotten to bound memory (penalties.rs); an operator's own block stays.
        if let Some(old) = recorded.unban
            && !self.operator_blocked.contains(&old)
        {
            self.swarm.behaviour_mut().blocked.unblock_peer(old);
        }
    }

    fn on_command(&mut self, command: Command) {
        let chain = self.config.chain_id.clone();
        match command {
            Command::Publish { topic, data, reply } => {
                let data = match topic {
                    TopicKind::Consensus => resend::seal(data, SystemTime::now()),
                    _ => data,
                };
                let keep = (reply.is_none() && topic != TopicKind::Consensus).then(|| data.clone());
                let r = self.publish(topic, data);
                match reply {
                    Some(reply) => {
                        let _ = reply.send(r.map_err(|e| PublishError::Failed(e.to_string())));
                    }
                    None => match (r, keep) {
                        (Err(e), Some(data)) if worth_holding(&e) => {
                            debug!(error = %e, topic = topic.label(), "gossip held until a peer can take it");
                            let dropped = self.held.hold(topic, data);
                            if dropped > 0 {
                                warn!(
                                    dropped,
                                    "gossip held for lack of peers overflowed; dropped the oldest"
                                );
                            }
                        }
                        (Err(e), _) => {
                            debug!(error = %e, topic = topic.label(), "gossip not published")
                        }
                        (Ok(_), _) => {}
                    },
                }
            }
            Command::Validate { id, source, acceptance } => {
                // The node found a decodable message invalid (bad signature, not a weights
                // payload, …): gossipsub charges the forwarder for it, and so do the logs.
                if acceptance == MessageAcceptance::Reject
                    && let Some(suppressed) = self.offence_log.admit()
                {
                    warn!(peer = %source, message = %id, suppressed, "rejecting invalid gossip");
                }
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(&id, &source, acceptance);
            }
            Command::Subscribe(topic) => {
                if let Err(e) = self.swarm.behaviour_mut().gossipsub.subscribe(&topic.topic(&chain))
                {
                    warn!(topic = %topic.name(&chain), error = %e, "subscribe failed");
                }
            }
            Command::Sync { peer, request, reply } => {
                let id = self.swarm.behaviour_mut().sync.send_request(&peer, Frame::Valid(request));
                self.pending_sync.insert(id, reply);
            }
            Command::Infer { peer, request, reply } => {
                let id =
                    self.swarm.behaviour_mut().infer.send_request(&peer, Frame::Valid(request));
                self.pending_infer.insert(id, reply);
            }
            Command::RespondSync { channel, response } => {
                let _ = self.swarm.behaviour_mut().sync.send_response(channel, response);
            }
            Command::ServeInference(miner) => self.inference = Some(miner),
            Command::AddAddresses { peer, addrs } => {
                for addr in addrs {
                    self.swarm.add_peer_address(peer, addr);
                }
            }
            Command::RespondInfer { channel, response } => {
                let _ = self.swarm.behaviour_mut().infer.send_response(channel, response);
            }
            Command::Dial(addr) => {
                if let Err(e) = self.swarm.dial(addr.clone()) {
                    warn!(%addr, error = %e, "dial failed");
                }
            }
            Command::Penalize { peer, reason } => self.penalize(peer, &reason),
            Command::Status { reply } => {
                let gs = &self.swarm.behaviour().gossipsub;
                let mesh = gs.topics().map(|t| (t.to_string(), gs.mesh_peers(t).count())).collect();
                let scores = self
                    .swarm
                    .connected_peers()
                    .filter_map(|p| gs.peer_score(p).map(|s| (*p, s)))
                    .collect();
                let _ = reply.send(NetworkStatus {
                    local_peer_id: Some(*self.swarm.local_peer_id()),
                    listen_addrs: self.swarm.listeners().cloned().collect(),
                    connected_peers: self.swarm.connected_peers().copied().collect(),
                    mesh,
                    scores,
                    offences: self.penalties.offences().collect(),
                    banned: self.penalties.banned().collect(),
                });
            }
            Command::CaptureFeed { reply } => {
                let _ = reply.send(self.capture.subscribe());
            }
            Command::Block { peers, reply } => {
                for peer in peers {
                    self.operator_blocked.insert(peer);
                    if self.swarm.behaviour_mut().blocked.block_peer(peer) {
                        info!(%peer, "peer blocked by the operator");
                    }
                }
                let _ = reply.send(self.blocked_list());
            }
            Command::Unblock { peers, addrs, reply } => {
                self.unblock(&peers, &addrs);
                let _ = reply.send(self.blocked_list());
            }
            Command::Blocked { reply } => {
                let _ = reply.send(self.blocked_list());
            }
        }
    }

    fn publish(
        &mut self,
        topic: TopicKind,
        data: Vec<u8>,
    ) -> Result<gossipsub::MessageId, gossipsub::PublishError> {
        let chain = &self.config.chain_id;
        self.config.traffic.on_published(topic.label(), data.len());
        // Timed before the send: the report measures from the first publish.
        let captured = self.capture.active().then(|| (capture::now_ns(), data.clone()));
        let r = self.swarm.behaviour_mut().gossipsub.publish(topic.topic(chain), data);
        if let (Ok(id), Some((time_ns, data))) = (&r, captured) {
            self.capture.published(topic, chain, id, time_ns, data);
        }
        r
    }

    /// Publishes held gossip again (for `topic` only, when given); what still finds no peer is
    /// held again.
    fn retry_held(&mut self, topic: Option<TopicKind>) {
        for (topic, data) in self.held.take(topic) {
            match self.publish(topic, data.clone()) {
                Err(e) if worth_holding(&e) => {
                    self.held.hold(topic, data);
                }
                Err(e) => debug!(error = %e, topic = topic.label(), "held gossip not published"),
                Ok(_) => debug!(topic = topic.label(), "held gossip published"),
            }
        }
    }

    /// The block list, sorted so answers are stable.
    fn blocked_list(&self) -> Vec<PeerId> {
        let mut out: Vec<PeerId> =
            self.swarm.behaviour().blocked.blocked_peers().iter().copied().collect();
        out.sort();
        out
    }

    /// Lifts blocks and redials at once: nothing else would reconnect two nodes that have no
    /// other reason to dial each other until the next Kademlia bootstrap (30 s).
    fn unblock(&mut self, peers: &[PeerId], addrs: &[Multiaddr]) {
        for peer in peers {
            self.operator_blocked.remove(peer);
            if self.swarm.behaviour_mut().blocked.unblock_peer(*peer) {
                info!(%peer, "peer unblocked by the operator");
            }
        }
        for peer in peers {
            if self.swarm.is_connected(peer) {
                continue;
            }
            let known: Vec<Multiaddr> =
                addrs.iter().filter(|a| peer_of(a) == Some(*peer)).cloned().collect();
            let opts = DialOpts::peer_id(*peer)
                .addresses(known)
                .extend_addresses_through_behaviour()
                .build();
            if let Err(e) = self.swarm.dial(opts) {
                debug!(%peer, error = %e, "redial after unblock failed");
            }
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::NewListenAddr { address, .. } => {
                info!(%address, "listening");
                self.emit(NetworkEvent::Listening(address));
            }
            SwarmEvent::ConnectionEstablished { peer_id, num_established, .. }
                if num_established.get() == 1 =>
            {
                debug!(peer = %peer_id, "connected");
                self.emit(NetworkEvent::PeerConnected(peer_id));
            }
            SwarmEvent::ConnectionClosed { peer_id, num_established: 0, cause, .. } => {
                debug!(peer = %peer_id, ?cause, "disconnected");
                self.emit(NetworkEvent::PeerDisconnected(peer_id));
            }
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => self.on_gossip(propagation_source, message_id, message),
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Subscribed {
                topic,
                ..
            })) => {
                if !self.held.is_empty()
                    && let Some(kind) = TopicKind::parse(&self.config.chain_id, topic.as_str())
                {
                    self.retry_held(Some(kind));
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Sync(e)) => self.on_sync(e),
            SwarmEvent::Behaviour(BehaviourEvent::Infer(e)) => self.on_infer(e),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                for addr in info.listen_addrs {
                    self.swarm.behaviour_mut().kad.add_address(&peer_id, addr);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(libp2p::mdns::Event::Discovered(found))) => {
                for (peer, addr) in found {
                    self.swarm.behaviour_mut().kad.add_address(&peer, addr.clone());
                    let _ = self.swarm.dial(addr);
                }
            }
            _ => {}
        }
    }

    fn on_gossip(&mut self, source: PeerId, id: gossipsub::MessageId, message: gossipsub::Message) {
        let chain = &self.config.chain_id;
        let size = message.data.len();
        let Some(topic) = TopicKind::parse(chain, message.topic.as_str()) else {
            self.capture.garbage(message.topic.as_str(), &id, source, size, "unknown topic".into());
            self.swarm.behaviour_mut().gossipsub.report_message_validation_result(
                &id,
                &source,
                MessageAcceptance::Reject,
            );
            return;
        };
        self.config.traffic.on_received(topic.label(), size);
        let decoded = match topic {
            TopicKind::Consensus => match resend::open(&message.data) {
                Some(bytes) => {
                    codec::decode::<ConsensusMessage>(bytes).map(GossipMessage::Consensus)
                }
                None => Err(codec::DecodeError::Malformed {
                    what: "consensus frame",
                    reason: "shorter than its send epoch".into(),
                }),
            },
            TopicKind::Transactions => {
                codec::decode::<TransactionBatch>(&message.data).and_then(|b| {
                    b.check_shape().map(|()| GossipMessage::Transactions(Box::new(b))).map_err(
                        |e| codec::DecodeError::Malformed {
                            what: TransactionBatch::NAME,
                            reason: e.to_string(),
                        },
                    )
                })
            }
            TopicKind::Weights(_) => codec::decode::<WeightAnnouncement>(&message.data)
                .map(|a| GossipMessage::Weights(Box::new(a))),
        };
        match decoded {
            Ok(message) => {
                self.capture.received(topic, &id, source, size, &message);
                let gossip = InboundGossip {
                    id: id.clone(),
                    propagation_source: source,
                    topic,
                    size,
                    message,
                };
                let delivered = match gossip.message {
                    GossipMessage::Consensus(_) => {
                        self.emit(NetworkEvent::Gossip(Box::new(gossip)))
                    }
                    GossipMessage::Transactions(_) | GossipMessage::Weights(_) => {
                        self.emit_transaction(gossip)
                    }
                };
                if !delivered {
                    self.swarm.behaviour_mut().gossipsub.report_message_validation_result(
                        &id,
                        &source,
                        MessageAcceptance::Ignore,
                    );
                }
            }
            Err(e) => {
                if let Some(suppressed) = self.offence_log.admit() {
                    warn!(
                        peer = %source, topic = topic.label(), size, error = %e, suppressed,
                        "rejecting undecodable gossip"
                    );
                }
                self.config.traffic.on_garbage(topic.label());
                self.capture.garbage(message.topic.as_str(), &id, source, size, e.to_string());
                self.swarm.behaviour_mut().gossipsub.report_message_validation_result(
                    &id,
                    &source,
                    MessageAcceptance::Reject,
                );
            }
        }
    }

    fn on_sync(
        &mut self,
        event: request_response::Event<Frame<protocol::wire::SyncRequest>, SyncResponse>,
    ) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request { request, channel, .. } => match request {
                    Frame::Valid(request) => {
                        self.emit(NetworkEvent::SyncRequest { peer, request, channel });
                    }
                    // Dropping the channel closes the stream unanswered.
                    Frame::Garbage(e) => self.penalize(peer, &format!("garbage sync request: {e}")),
                },
                request_response::Message::Response { request_id, response } => {
                    if let Some(reply) = self.pending_sync.remove(&request_id) {
                        let _ = reply.send(Ok(response));
                    }
                }
            },
            request_response::Event::OutboundFailure { peer, request_id, error, .. } => {
                if is_garbage_outbound(&error) {
                    self.penalize(peer, "undecodable sync response");
                }
                if let Some(reply) = self.pending_sync.remove(&request_id) {
                    let _ = reply.send(Err(RequestError::Failed(error.to_string())));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                self.on_inbound_failure(peer, "sync", error)
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn route_inference(&mut self, call: InboundInference) {
        let (call, status) = match &self.inference {
            None => (call, InferenceStatus::WrongTask),
            Some(miner) => match miner.try_send(call) {
                Ok(()) => return,
                Err(mpsc::error::TrySendError::Full(call)) => (call, InferenceStatus::Busy),
                Err(mpsc::error::TrySendError::Closed(call)) => (call, InferenceStatus::WrongTask),
            },
        };
        let response = InferenceResponse { status, payload: Vec::new(), server_time_us: 0 };
        let _ = self.swarm.behaviour_mut().infer.send_response(call.channel, response);
    }

    fn on_infer(
        &mut self,
        event: request_response::Event<Frame<protocol::wire::InferenceRequest>, InferenceResponse>,
    ) {
        match event {
            request_response::Event::Message { peer, message, .. } => match message {
                request_response::Message::Request { request, channel, .. } => match request {
                    Frame::Valid(request) => {
                        self.route_inference(InboundInference { peer, request, channel });
                    }
                    Frame::Garbage(e) => {
                        self.penalize(peer, &format!("garbage inference request: {e}"))
                    }
                },
                request_response::Message::Response { request_id, response } => {
                    if let Some(reply) = self.pending_infer.remove(&request_id) {
                        let _ = reply.send(Ok(response));
                    }
                }
            },
            request_response::Event::OutboundFailure { peer, request_id, error, .. } => {
                if is_garbage_outbound(&error) {
                    self.penalize(peer, "undecodable inference response");
                }
                if let Some(reply) = self.pending_infer.remove(&request_id) {
                    let _ = reply.send(Err(RequestError::Failed(error.to_string())));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                self.on_inbound_failure(peer, "infer", error)
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn on_inbound_failure(&mut self, peer: PeerId, protocol: &str, error: InboundFailure) {
        // Garbage requests arrive as `Frame::Garbage` (see codec.rs) and are penalised there;
        // what fails here is timeouts, cut streams and closed connections: no offence.
        debug!(%peer, protocol, %error, "inbound request failed");
    }
}

fn is_garbage_outbound(error: &request_response::OutboundFailure) -> bool {
    matches!(error, request_response::OutboundFailure::Io(e) if e.kind() == std::io::ErrorKind::InvalidData)
}

/// Publish failures that a peer arriving later would cure.
fn worth_holding(e: &gossipsub::PublishError) -> bool {
    matches!(
        e,
        gossipsub::PublishError::NoPeersSubscribedToTopic
            | gossipsub::PublishError::AllQueuesFull(_)
    )
}
