//! A bare libp2p swarm for attacking the request-response protocols: its codec writes whatever
//! bytes it is given (no length prefix added) and reads whatever comes back, so a test can send
//! frames that end early, lie about their length, are oversized or do not decode.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, StreamExt};
use libp2p::request_response::{self, OutboundFailure, ProtocolSupport};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{Multiaddr, PeerId, StreamProtocol, Swarm, noise, tcp, yamux};
use node::p2p;
use testnet::process::RunningNode;

/// How long the attacker waits for anything.
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(90);

/// A codec that writes requests verbatim (no length prefix added) and reads whatever comes back.
#[derive(Clone, Default)]
struct RawCodec;

/// Above the largest response frame (a sync response of 8 MiB plus its prefix).
const RESPONSE_LIMIT: u64 = 16 * 1024 * 1024;

impl request_response::Codec for RawCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        _: &mut T,
    ) -> io::Result<Vec<u8>> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "the attacker serves nothing"))
    }

    async fn read_response<T: AsyncRead + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
    ) -> io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        io.take(RESPONSE_LIMIT).read_to_end(&mut buf).await?;
        Ok(buf)
    }

    async fn write_request<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        bytes: Vec<u8>,
    ) -> io::Result<()> {
        io.write_all(&bytes).await?;
        io.close().await
    }

    async fn write_response<T: AsyncWrite + Unpin + Send>(
        &mut self,
        _: &StreamProtocol,
        _: &mut T,
        _: Vec<u8>,
    ) -> io::Result<()> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "the attacker serves nothing"))
    }
}

#[derive(NetworkBehaviour)]
struct RawBehaviour {
    sync: request_response::Behaviour<RawCodec>,
    infer: request_response::Behaviour<RawCodec>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Sync,
    Infer,
}

#[derive(Debug)]
pub enum Outcome {
    /// A response frame, as sent.
    Answered(Vec<u8>),
    /// The stream or connection ended without one.
    NoAnswer(String),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Answered(bytes) => write!(f, "answered ({} bytes)", bytes.len()),
            Outcome::NoAnswer(why) => write!(f, "no answer ({why})"),
        }
    }
}

pub struct RawAttacker {
    swarm: Swarm<RawBehaviour>,
    target: PeerId,
    addr: Multiaddr,
}

impl RawAttacker {
    pub fn new(target: &RunningNode) -> RawAttacker {
        let rr = |protocol| {
            request_response::Behaviour::new(
                [(protocol, ProtocolSupport::Outbound)],
                request_response::Config::default().with_request_timeout(PATIENCE / 3),
            )
        };
        let swarm = libp2p::SwarmBuilder::with_new_identity()
            .with_tokio()
            .with_tcp(tcp::Config::default(), noise::Config::new, yamux::Config::default)
            .unwrap()
            .with_behaviour(|_| RawBehaviour {
                sync: rr(p2p::SYNC_PROTOCOL),
                infer: rr(p2p::INFER_PROTOCOL),
            })
            .unwrap()
            .with_swarm_config(|c| c.with_idle_connection_timeout(PATIENCE))
            .build();
        RawAttacker {
            swarm,
            target: target.peer_id.parse().unwrap(),
            addr: target.p2p.parse().unwrap(),
        }
    }

    pub fn peer_id(&self) -> PeerId {
        *self.swarm.local_peer_id()
    }

    /// Sends `bytes` as one request and drives the swarm until it is answered or fails.
    pub async fn request(&mut self, proto: Proto, bytes: Vec<u8>) -> Outcome {
        let (target, addrs) = (self.target, vec![self.addr.clone()]);
        let b = self.swarm.behaviour_mut();
        let rr = if proto == Proto::Sync { &mut b.sync } else { &mut b.infer };
        // With the address every time: request-response forgets one whose dial failed.
        let id = rr.send_request_with_addresses(&target, bytes, addrs);
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let event = tokio::time::timeout_at(deadline, self.swarm.select_next_some())
                .await
                .expect("a request neither answered nor failed");
            let event = match (proto, event) {
                (Proto::Sync, SwarmEvent::Behaviour(RawBehaviourEvent::Sync(e)))
                | (Proto::Infer, SwarmEvent::Behaviour(RawBehaviourEvent::Infer(e))) => e,
                _ => continue,
            };
            match event {
                request_response::Event::Message {
                    message: request_response::Message::Response { request_id, response },
                    ..
                } if request_id == id => {
                    return if response.is_empty() {
                        Outcome::NoAnswer("stream closed without a response".into())
                    } else {
                        Outcome::Answered(response)
                    };
                }
                request_response::Event::OutboundFailure { request_id, error, .. }
                    if request_id == id =>
                {
                    return Outcome::NoAnswer(describe(&error));
                }
                _ => {}
            }
        }
    }
}

fn describe(e: &OutboundFailure) -> String {
    match e {
        OutboundFailure::Io(io) => format!("i/o: {:?}: {io}", io.kind()),
        other => other.to_string(),
    }
}

/// One length-prefixed frame as the node's codec writes it.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}
