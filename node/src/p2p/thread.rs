//! The network actor on a thread of its own with a single-threaded tokio runtime. Every request
//! is a new stream and most of its cost is wake-ups and hand-offs between threads; keeping the
//! whole swarm on one thread measured +50–60% request-response throughput at 64 in flight on two
//! cores (shared/libp2p-notes.md). The swarm is built inside that runtime, so its sockets belong
//! to the reactor that polls them.

use std::sync::mpsc as std_mpsc;

use libp2p::PeerId;
use protocol::keys::Keypair;

use super::actor::{StartError, start};
use super::config::P2pConfig;
use super::ingress::{NetworkEvents, NetworkHandle};

/// The running network: its handle, its events, its identity, and its thread's runtime, on which
/// latency-critical work next to the swarm (a miner's request dispatch) can run without crossing
/// threads.
pub struct NetworkThread {
    pub handle: NetworkHandle,
    pub events: NetworkEvents,
    pub peer_id: PeerId,
    pub runtime: tokio::runtime::Handle,
}

/// Starts the network on its own thread; returns once it listens (or failed to).
pub fn spawn(hotkey: &Keypair, config: P2pConfig) -> Result<NetworkThread, StartError> {
    let (ready_tx, ready_rx) = std_mpsc::sync_channel(1);
    let hotkey = hotkey.clone();
    std::thread::Builder::new()
        .name("tau-network".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(StartError::Transport(e.to_string())));
                    return;
                }
            };
            rt.block_on(async move {
                match start(&hotkey, config) {
                    Ok((handle, events, actor)) => {
                        let _ = ready_tx.send(Ok(NetworkThread {
                            handle,
                            events,
                            peer_id: actor.local_peer_id(),
                            runtime: tokio::runtime::Handle::current(),
                        }));
                        actor.run().await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        })
        .map_err(|e| StartError::Transport(format!("cannot start the network thread: {e}")))?;
    ready_rx
        .recv()
        .map_err(|_| StartError::Transport("the network thread died while starting".into()))?
}
