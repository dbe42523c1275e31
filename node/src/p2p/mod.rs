//! The network layer: a libp2p Swarm over TCP and QUIC (Noise, yamux) with gossipsub, two
//! request-response protocols, identify, ping, Kademlia and optional mDNS, owned by one actor task.
//! The rest of the node holds a [`NetworkHandle`] and receives [`NetworkEvent`]s.

mod actor;
mod addresses;
mod behaviour;
pub mod capture;
mod codec;
mod config;
mod held;
pub mod identity;
mod ingress;
mod log_budget;
mod penalties;
pub(crate) mod resend;
mod scoring;
mod thread;
mod topics;
mod traffic;

#[cfg(test)]
mod tests;

pub use actor::{NetworkActor, StartError, start};
pub use addresses::prefer_quic;
pub use behaviour::{INFER_PROTOCOL, SYNC_PROTOCOL};
pub use config::P2pConfig;
pub use ingress::{
    GossipMessage, InboundGossip, InboundInference, NetworkEvent, NetworkEvents, NetworkHandle,
    NetworkStatus, PublishError, RequestError, TransactionLane,
};
pub use libp2p::gossipsub::{MessageAcceptance, MessageId};
pub use libp2p::{Multiaddr, PeerId};
pub(crate) use log_budget::LogBudget;
pub use penalties::BAN_THRESHOLD;
pub use scoring::GRAYLIST_THRESHOLD;
pub use thread::{NetworkThread, spawn};
pub use topics::TopicKind;
pub use traffic::TrafficMetrics;
