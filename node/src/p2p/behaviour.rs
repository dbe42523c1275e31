//! The composed libp2p behaviour: gossip, two request-response protocols, discovery and limits.

use std::time::Duration;

use libp2p::gossipsub::{self, MessageAuthenticity, MessageId, ValidationMode};
use libp2p::swarm::NetworkBehaviour;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::{
    StreamProtocol, allow_block_list, connection_limits, identify, identity, kad, mdns, ping,
    request_response,
};
use protocol::wire::{InferenceRequest, InferenceResponse, SyncRequest, SyncResponse};

use super::capture::DuplicateTap;
use super::codec::FramedCodec;
use super::config::P2pConfig;
use super::scoring;
use super::topics::TopicKind;

pub const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/tau/sync/1");
pub const INFER_PROTOCOL: StreamProtocol = StreamProtocol::new("/tau/infer/1");
pub const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/tau/kad/1");
pub const IDENTIFY_PROTOCOL: &str = "/tau/id/1";

pub type SyncBehaviour = request_response::Behaviour<FramedCodec<SyncRequest, SyncResponse>>;
pub type InferBehaviour =
    request_response::Behaviour<FramedCodec<InferenceRequest, InferenceResponse>>;

#[derive(NetworkBehaviour)]
pub struct Behaviour {
    /// Peers refused outright: repeat offenders, and the far side of a testnet partition.
    pub blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    pub limits: connection_limits::Behaviour,
    /// With the capture's transform, which counts duplicate copies (identity on the bytes).
    pub gossipsub: gossipsub::Behaviour<DuplicateTap>,
    pub sync: SyncBehaviour,
    pub infer: InferBehaviour,
    pub identify: identify::Behaviour,
    pub ping: ping::Behaviour,
    pub kad: kad::Behaviour<kad::store::MemoryStore>,
    pub mdns: Toggle<mdns::tokio::Behaviour>,
}

/// Content address of a gossip message: blake3 of its bytes. With anonymous gossip (ADR 004) the
/// id must come from the content, or every message would share one id.
fn message_id(msg: &gossipsub::Message) -> MessageId {
    MessageId::from(blake3::hash(&msg.data).as_bytes().to_vec())
}

impl Behaviour {
    pub fn new(
        key: &identity::Keypair,
        cfg: &P2pConfig,
        tap: DuplicateTap,
    ) -> Result<Behaviour, String> {
        let local = key.public().to_peer_id();
        let chain = &cfg.chain_id;

        let mut gcfg = gossipsub::ConfigBuilder::default();
        gcfg.validation_mode(ValidationMode::Anonymous)
            .message_id_fn(message_id)
            .validate_messages()
            .heartbeat_interval(Duration::from_millis(700))
            // The BFT engine re-sends identical (deterministically signed) messages when a round
            // stalls; with content ids a 60 s duplicate window would swallow every re-send. 5 s
            // still outlasts the gossip history (3 heartbeats), so IHAVE/IWANT cannot loop.
            .duplicate_cache_time(super::resend::EPOCH)
            // Bursts of transactions must not push votes out of a full per-peer queue.
            .connection_handler_queue_len(20_000)
            // gossipsub 0.50's defaults disagree: IHAVE may list 5,000 ids (~170 KB) but an RPC's
            // control part may be 16 KB, and a receiver drops the inbound stream of a peer that
            // exceeds it, for good. Under a few thousand transactions a second every stream died
            // and consensus stopped. Send at most 1,500 ids (~51 KB); accept up to 256 KB, so
            // peers on the defaults are read too.
            .max_control_messages_sent(1_500)
            .max_control_message_size(256 * 1024)
            .max_transmit_size(TopicKind::Consensus.max_message_size());
        let mut topics = vec![TopicKind::Consensus, TopicKind::Transactions];
        topics.extend(cfg.subnets.iter().map(|n| TopicKind::Weights(*n)));
        for t in &topics {
            gcfg.max_transmit_size_for_topic(t.max_message_size(), t.hash(chain));
        }
        let gcfg = gcfg.build().map_err(|e| format!("gossipsub config: {e}"))?;
        let mut gossipsub =
            gossipsub::Behaviour::new_with_transform(MessageAuthenticity::Anonymous, gcfg, tap)
                .map_err(|e| format!("gossipsub: {e}"))?;
        let (params, thresholds) = scoring::params(chain, &topics);
        gossipsub.with_peer_score(params, thresholds).map_err(|e| format!("peer scoring: {e}"))?;

        let rr = |c: &P2pConfig| {
            request_response::Config::default()
                .with_request_timeout(c.request_timeout)
                .with_max_concurrent_streams(c.max_concurrent_streams)
        };
        let sync = request_response::Behaviour::new(
            [(SYNC_PROTOCOL, request_response::ProtocolSupport::Full)],
            rr(cfg),
        );
        let infer = request_response::Behaviour::new(
            [(INFER_PROTOCOL, request_response::ProtocolSupport::Full)],
            rr(cfg),
        );

        let identify = identify::Behaviour::new(
            identify::Config::new(IDENTIFY_PROTOCOL.to_string(), key.public())
                .with_agent_version(format!("tau/{}", env!("CARGO_PKG_VERSION"))),
        );
        let mut kad = kad::Behaviour::with_config(
            local,
            kad::store::MemoryStore::new(local),
            kad::Config::new(KAD_PROTOCOL),
        );
        kad.set_mode(Some(kad::Mode::Server));
        let mdns = if cfg.mdns {
            Some(
                mdns::tokio::Behaviour::new(mdns::Config::default(), local)
                    .map_err(|e| format!("mdns: {e}"))?,
            )
        } else {
            None
        };
        let limits = connection_limits::Behaviour::new(
            connection_limits::ConnectionLimits::default()
                .with_max_established(Some(cfg.max_connections))
                .with_max_established_per_peer(Some(cfg.max_connections_per_peer))
                .with_max_pending_incoming(Some(64)),
        );
        Ok(Behaviour {
            blocked: allow_block_list::Behaviour::default(),
            limits,
            gossipsub,
            sync,
            infer,
            identify,
            ping: ping::Behaviour::default(),
            kad,
            mdns: mdns.into(),
        })
    }
}
