//! The network actor's mailbox: typed commands in, typed events out, and the cloneable handle the
//! rest of the node holds. Nothing but the actor touches the Swarm.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use libp2p::gossipsub::{MessageAcceptance, MessageId};
use libp2p::request_response::ResponseChannel;
use libp2p::{Multiaddr, PeerId};
use protocol::wire::{
    ConsensusMessage, InferenceRequest, InferenceResponse, SyncRequest, SyncResponse,
    TransactionBatch, WeightAnnouncement,
};
use tokio::sync::{broadcast, mpsc, oneshot};

use super::capture::Record as CaptureRecord;
use super::topics::TopicKind;

/// A decoded gossip message; semantic checks (signatures, membership) are the receiver's job.
#[derive(Clone, Debug)]
pub enum GossipMessage {
    Consensus(ConsensusMessage),
    Transactions(Box<TransactionBatch>),
    Weights(Box<WeightAnnouncement>),
}

/// A gossip message waiting for the application's verdict (Accept / Reject / Ignore).
#[derive(Clone, Debug)]
pub struct InboundGossip {
    pub id: MessageId,
    /// The peer that forwarded it to us.
    pub propagation_source: PeerId,
    pub topic: TopicKind,
    pub size: usize,
    pub message: GossipMessage,
}

/// An inference request from `peer` (its Noise-authenticated hotkey), to be answered on `channel`.
#[derive(Debug)]
pub struct InboundInference {
    pub peer: PeerId,
    pub request: InferenceRequest,
    pub channel: ResponseChannel<InferenceResponse>,
}

/// The network's events in two lanes, so consensus, sync and peer events never queue behind a
/// flood of transactions: transaction and weight gossip goes to the node's intake (signature
/// checks off the chain driver), everything else to the priority lane. A full transaction lane
/// sheds load (the message is Ignored, not forwarded); the priority lane is sized never to fill.
pub struct NetworkEvents {
    pub priority: mpsc::Receiver<NetworkEvent>,
    pub transactions: TransactionLane,
}

/// The receiving end of the transaction lane. It is bounded in messages and in bytes (a
/// message may be up to 1 MiB): the network task sheds what would pass either bound.
pub struct TransactionLane {
    rx: mpsc::Receiver<InboundGossip>,
    queued_bytes: Arc<AtomicUsize>,
}

/// The network task's end of the transaction lane.
pub(crate) struct LaneSender {
    tx: mpsc::Sender<InboundGossip>,
    queued_bytes: Arc<AtomicUsize>,
    max_bytes: usize,
}

impl TransactionLane {
    /// A lane holding at most `messages` messages and `max_bytes` bytes of them.
    pub(crate) fn channel(messages: usize, max_bytes: usize) -> (LaneSender, TransactionLane) {
        let (tx, rx) = mpsc::channel(messages);
        let queued_bytes = Arc::new(AtomicUsize::new(0));
        let sender = LaneSender { tx, queued_bytes: queued_bytes.clone(), max_bytes };
        (sender, TransactionLane { rx, queued_bytes })
    }

    pub async fn recv(&mut self) -> Option<InboundGossip> {
        let g = self.rx.recv().await?;
        self.queued_bytes.fetch_sub(g.size, Ordering::Relaxed);
        Some(g)
    }

    pub fn try_recv(&mut self) -> Option<InboundGossip> {
        let g = self.rx.try_recv().ok()?;
        self.queued_bytes.fetch_sub(g.size, Ordering::Relaxed);
        Some(g)
    }
}

/// Why the lane did not take a message.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LaneRefusal {
    Full,
    Closed,
}

impl LaneSender {
    pub(crate) fn try_send(&self, gossip: InboundGossip) -> Result<(), LaneRefusal> {
        let size = gossip.size;
        // Counted before the send, so the receiver never subtracts what was not yet added.
        let before = self.queued_bytes.fetch_add(size, Ordering::Relaxed);
        if before + size > self.max_bytes {
            self.queued_bytes.fetch_sub(size, Ordering::Relaxed);
            return Err(LaneRefusal::Full);
        }
        self.tx.try_send(gossip).map_err(|e| {
            self.queued_bytes.fetch_sub(size, Ordering::Relaxed);
            match e {
                mpsc::error::TrySendError::Full(_) => LaneRefusal::Full,
                mpsc::error::TrySendError::Closed(_) => LaneRefusal::Closed,
            }
        })
    }
}

impl NetworkEvents {
    /// Both lanes as one stream, priority first, for tools and tests that handle everything in
    /// one place. `None` once both lanes are closed.
    pub async fn recv(&mut self) -> Option<NetworkEvent> {
        tokio::select! {
            biased;
            Some(e) = self.priority.recv() => Some(e),
            Some(g) = self.transactions.recv() => Some(NetworkEvent::Gossip(Box::new(g))),
            else => None,
        }
    }

    /// An event already waiting, priority lane first.
    pub fn try_recv(&mut self) -> Option<NetworkEvent> {
        if let Ok(e) = self.priority.try_recv() {
            return Some(e);
        }
        self.transactions.try_recv().map(|g| NetworkEvent::Gossip(Box::new(g)))
    }
}

#[derive(Debug)]
pub enum NetworkEvent {
    Gossip(Box<InboundGossip>),
    SyncRequest { peer: PeerId, request: SyncRequest, channel: ResponseChannel<SyncResponse> },
    PeerConnected(PeerId),
    PeerDisconnected(PeerId),
    Listening(Multiaddr),
}

/// Why an outbound request got no answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RequestError {
    #[error("request failed: {0}")]
    Failed(String),
    #[error("the network task has stopped")]
    Stopped,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum PublishError {
    #[error("publish failed: {0}")]
    Failed(String),
    #[error("the network task has stopped")]
    Stopped,
}

/// A snapshot of the network's state for status pages and tests.
#[derive(Clone, Debug, Default)]
pub struct NetworkStatus {
    pub local_peer_id: Option<PeerId>,
    pub listen_addrs: Vec<Multiaddr>,
    pub connected_peers: Vec<PeerId>,
    /// Mesh peers per subscribed topic.
    pub mesh: Vec<(String, usize)>,
    /// Gossipsub score of each connected peer (local policy, not consensus state).
    pub scores: Vec<(PeerId, f64)>,
    /// Request-response offences (garbage frames, undecodable responses) per peer, connected or
    /// not.
    pub offences: Vec<(PeerId, u32)>,
    /// Peers refused for good after [`BAN_THRESHOLD`](super::BAN_THRESHOLD) offences.
    pub banned: Vec<PeerId>,
}

pub(super) enum Command {
    Publish {
        topic: TopicKind,
        data: Vec<u8>,
        /// `None`: fire and forget (transactions relayed in bulk need no answer each).
        reply: Option<oneshot::Sender<Result<MessageId, PublishError>>>,
    },
    Validate {
        id: MessageId,
        source: PeerId,
        acceptance: MessageAcceptance,
    },
    Subscribe(TopicKind),
    Sync {
        peer: PeerId,
        request: SyncRequest,
        reply: oneshot::Sender<Result<SyncResponse, RequestError>>,
    },
    Infer {
        peer: PeerId,
        request: InferenceRequest,
        reply: oneshot::Sender<Result<InferenceResponse, RequestError>>,
    },
    RespondSync {
        channel: ResponseChannel<SyncResponse>,
        response: SyncResponse,
    },
    RespondInfer {
        channel: ResponseChannel<InferenceResponse>,
        response: InferenceResponse,
    },
    Dial(Multiaddr),
    /// From now on, inference requests go to this miner.
    ServeInference(mpsc::Sender<InboundInference>),
    /// Addresses a peer announced elsewhere (a miner's endpoints on chain), so requests to it
    /// can dial it.
    AddAddresses {
        peer: PeerId,
        addrs: Vec<Multiaddr>,
    },
    Penalize {
        peer: PeerId,
        reason: String,
    },
    Status {
        reply: oneshot::Sender<NetworkStatus>,
    },
    /// A live feed of gossip capture records (docs/capture-format.md).
    CaptureFeed {
        reply: oneshot::Sender<broadcast::Receiver<Arc<CaptureRecord>>>,
    },
    /// Refuse these peers: close their connections, deny new ones (operator's choice).
    Block {
        peers: Vec<PeerId>,
        reply: oneshot::Sender<Vec<PeerId>>,
    },
    /// Lift a block and dial the peers again at `addrs` or any address the swarm knows.
    Unblock {
        peers: Vec<PeerId>,
        addrs: Vec<Multiaddr>,
        reply: oneshot::Sender<Vec<PeerId>>,
    },
    Blocked {
        reply: oneshot::Sender<Vec<PeerId>>,
    },
}

/// The rest of the node's way to the network. Cheap to clone.
#[derive(Clone)]
pub struct NetworkHandle {
    pub(super) tx: mpsc::Sender<Command>,
}

#[cfg(test)]
impl NetworkHandle {
    /// A handle to a network that never answers a sync request: each request's peer is
    /// reported on the returned channel and its reply is held open for good. Publishes fail.
    pub(crate) fn unanswering() -> (NetworkHandle, mpsc::UnboundedReceiver<PeerId>) {
        let (tx, mut commands) = mpsc::channel(1024);
        let (seen_tx, seen) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Some(c) = commands.recv().await {
                match c {
                    Command::Publish { reply: Some(reply), .. } => {
                        let _ = reply.send(Err(PublishError::Failed("no network".into())));
                    }
                    Command::Sync { peer, reply, .. } => {
                        held.push(reply);
                        let _ = seen_tx.send(peer);
                    }
                    _ => {}
                }
            }
        });
        (NetworkHandle { tx }, seen)
    }

    /// A handle to a network that records every gossip verdict it is given, in order. Publishes
    /// fail; other commands are dropped.
    pub(crate) fn recording()
    -> (NetworkHandle, mpsc::UnboundedReceiver<(MessageId, PeerId, MessageAcceptance)>) {
        let (tx, mut commands) = mpsc::channel(1024);
        let (verdicts_tx, verdicts) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(c) = commands.recv().await {
                match c {
                    Command::Validate { id, source, acceptance } => {
                        let _ = verdicts_tx.send((id, source, acceptance));
                    }
                    Command::Publish { reply: Some(reply), .. } => {
                        let _ = reply.send(Err(PublishError::Failed("no network".into())));
                    }
                    _ => {}
                }
            }
        });
        (NetworkHandle { tx }, verdicts)
    }
}

impl NetworkHandle {
    async fn send(&self, c: Command) -> bool {
        self.tx.send(c).await.is_ok()
    }

    pub async fn publish(
        &self,
        topic: TopicKind,
        data: Vec<u8>,
    ) -> Result<MessageId, PublishError> {
        let (reply, rx) = oneshot::channel();
        if !self.send(Command::Publish { topic, data, reply: Some(reply) }).await {
            return Err(PublishError::Stopped);
        }
        rx.await.unwrap_or(Err(PublishError::Stopped))
    }

    /// Publishes without waiting for the outcome: a failure (no peers yet) is only logged by
    /// the network task. For bulk relays, where a round trip per message would pace the caller.
    pub async fn publish_detached(&self, topic: TopicKind, data: Vec<u8>) -> bool {
        self.send(Command::Publish { topic, data, reply: None }).await
    }

    /// The verdict on a gossip message: Accept forwards it, Reject costs its sender score.
    pub async fn validate(&self, id: MessageId, source: PeerId, acceptance: MessageAcceptance) {
        self.send(Command::Validate { id, source, acceptance }).await;
    }

    pub async fn subscribe(&self, topic: TopicKind) {
        self.send(Command::Subscribe(topic)).await;
    }

    pub async fn sync(
        &self,
        peer: PeerId,
        request: SyncRequest,
    ) -> Result<SyncResponse, RequestError> {
        let (reply, rx) = oneshot::channel();
        if !self.send(Command::Sync { peer, request, reply }).await {
            return Err(RequestError::Stopped);
        }
        rx.await.unwrap_or(Err(RequestError::Stopped))
    }

    pub async fn infer(
        &self,
        peer: PeerId,
        request: InferenceRequest,
    ) -> Result<InferenceResponse, RequestError> {
        let (reply, rx) = oneshot::channel();
        if !self.send(Command::Infer { peer, request, reply }).await {
            return Err(RequestError::Stopped);
        }
        rx.await.unwrap_or(Err(RequestError::Stopped))
    }

    pub async fn respond_sync(
        &self,
        channel: ResponseChannel<SyncResponse>,
        response: SyncResponse,
    ) {
        self.send(Command::RespondSync { channel, response }).await;
    }

    pub async fn respond_infer(
        &self,
        channel: ResponseChannel<InferenceResponse>,
        response: InferenceResponse,
    ) {
        self.send(Command::RespondInfer { channel, response }).await;
    }

    pub async fn dial(&self, addr: Multiaddr) {
        self.send(Command::Dial(addr)).await;
    }

    /// Records misbehaviour outside gossip (e.g. a garbage sync response); repeated offenders are
    /// disconnected and refused.
    /// Hands every inbound inference request to `miner` from now on. Without a miner, requests
    /// are answered `WrongTask`; with its queue full, `Busy`: a caller never waits on a dropped
    /// stream.
    pub async fn serve_inference(&self, miner: mpsc::Sender<InboundInference>) {
        self.send(Command::ServeInference(miner)).await;
    }

    /// Teaches the swarm where `peer` can be reached (for example a miner's on-chain endpoints).
    pub async fn add_addresses(&self, peer: PeerId, addrs: Vec<Multiaddr>) {
        self.send(Command::AddAddresses { peer, addrs }).await;
    }

    pub async fn penalize(&self, peer: PeerId, reason: impl Into<String>) {
        self.send(Command::Penalize { peer, reason: reason.into() }).await;
    }

    /// Every gossip capture record from now on (publishes, receipts, duplicates, mesh), whether
    /// or not the node writes a capture file; `None` once the network task has stopped. A
    /// subscriber that falls behind skips records (the receiver reports how many).
    pub async fn gossip_feed(&self) -> Option<broadcast::Receiver<Arc<CaptureRecord>>> {
        let (reply, rx) = oneshot::channel();
        if !self.send(Command::CaptureFeed { reply }).await {
            return None;
        }
        rx.await.ok()
    }

    /// Puts peers on the block list: their connections close at once and new ones, either way,
    /// are refused. Returns the block list afterwards (repeat offenders included). Lives only in
    /// memory: a restarted node has an empty list.
    pub async fn block_peers(&self, peers: Vec<PeerId>) -> Result<Vec<PeerId>, RequestError> {
        let (reply, rx) = oneshot::channel();
        if !self.send(Command::Block { peers, reply }).await {
            return Err(RequestError::Stopped);
        }
        rx.await.map_err(|_| RequestError::Stopped)
    }

    /// Takes peers off the block list and dials them (at `addrs`, which should end in
    /// `/p2p/<peer>`, and at whatever addresses discovery learnt), so a healed link comes back
    /// without waiting for the next Kademlia bootstrap. Returns the block list afterwards.
    pub async fn unblock_peers(
        &self,
        peers: Vec<PeerId>,
        addrs: Vec<Multiaddr>,
    ) -> Result<Vec<PeerId>, RequestError> {
        let (reply, rx) = oneshot::channel();
        if !self.send(Command::Unblock { peers, addrs, reply }).await {
            return Err(RequestError::Stopped);
        }
        rx.await.map_err(|_| RequestError::Stopped)
    }

    pub async fn blocked_peers(&self) -> Result<Vec<PeerId>, RequestError> {
        let (reply, rx) = oneshot::channel();
        if !self.send(Command::Blocked { reply }).await {
            return Err(RequestError::Stopped);
        }
        rx.await.map_err(|_| RequestError::Stopped)
    }

    pub async fn status(&self) -> NetworkStatus {
        let (reply, rx) = oneshot::channel();
        if !self.send(Command::Status { reply }).await {
            return NetworkStatus::default();
        }
        rx.await.unwrap_or_default()
    }
}
