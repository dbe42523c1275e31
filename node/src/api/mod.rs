//! The HTTP JSON API (loopback by default): node status, blocks, accounts, subnets, metagraphs,
//! transaction submission and receipts, a live event stream (SSE) and Prometheus metrics; with
//! `admin_api`, operator routes too (see `admin.rs`).

mod admin;
mod gossip;
mod ledger;
mod metrics;
mod receipts;
mod routes;

use std::net::SocketAddr;
use std::sync::Arc;

use storage::Store;
use tokio::net::TcpListener;

use crate::chain::ChainHandle;
use crate::neuron::runtime::NeuronStatusBoard;
use crate::p2p::NetworkHandle;

pub use metrics::Metrics;
pub use receipts::Receipt;

/// What the handlers read from.
#[derive(Clone)]
pub struct ApiState {
    pub chain: ChainHandle,
    pub net: NetworkHandle,
    pub store: Arc<dyn Store>,
    pub metrics: Arc<Metrics>,
    pub role: &'static str,
    /// The miner's or validator's state (empty on a full node).
    pub neuron: NeuronStatusBoard,
}

/// Binds the API and serves it until the task is dropped. Returns the bound address (port 0
/// picks a free one). `admin` mounts the operator routes, and is refused on a non-loopback
/// address: anyone who can reach them can cut the node off from its peers.
pub async fn serve(
    addr: SocketAddr,
    state: ApiState,
    admin: bool,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    if admin && !addr.ip().is_loopback() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("the admin API binds to loopback only, not {addr}"),
        ));
    }
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let receipts = receipts::Receipts::spawn(&state.chain);
    let mut app = routes::router(routes::AppState { api: state.clone(), receipts })
        .merge(gossip::router(state.clone()));
    if admin {
        app = app.merge(admin::router().with_state(state));
    }
    // Handlers see the client's address (the admin routes refuse non-loopback clients).
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "API server stopped");
        }
    });
    Ok((local, task))
}
