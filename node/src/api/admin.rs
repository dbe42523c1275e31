//! Operator routes: the peer block list (`/admin/peers/…`), which is how `tau testnet partition`
//! cuts real links between real processes.
//!
//! Mounted only when the node runs with `admin_api = true` (`--admin-api`), which the node accepts
//! only with a loopback API address; every request must also come from a loopback address. Two
//! locks because either alone fails open: a default-on admin surface is exposed by anyone who
//! binds the API publicly to serve reads, and a peer-address check alone would not stop a local
//! reverse proxy from forwarding outside requests.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::ApiState;
use crate::p2p::{Multiaddr, PeerId};

/// Most peers one request may name (a testnet has a handful; this only bounds the work).
const MAX_PEERS: usize = 1024;

pub fn router() -> Router<ApiState> {
    Router::new()
        .route("/admin/peers/blocked", get(blocked))
        .route("/admin/peers/block", post(block))
        .route("/admin/peers/unblock", post(unblock))
}

/// `{"peers": ["12D3KooW…"], "addrs": ["/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…"]}`; `addrs` is
/// optional and only read by `unblock`, to redial the peers at once.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeersRequest {
    peers: Vec<String>,
    #[serde(default)]
    addrs: Vec<String>,
}

pub struct AdminError(StatusCode, String);

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

type AdminResult = Result<Json<serde_json::Value>, AdminError>;

fn loopback_only(from: SocketAddr) -> Result<(), AdminError> {
    if from.ip().is_loopback() {
        Ok(())
    } else {
        Err(AdminError(StatusCode::FORBIDDEN, "admin routes answer loopback clients only".into()))
    }
}

fn bad(e: impl std::fmt::Display) -> AdminError {
    AdminError(StatusCode::BAD_REQUEST, e.to_string())
}

fn stopped(e: impl std::fmt::Display) -> AdminError {
    AdminError(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
}

fn parse_peers(req: &PeersRequest) -> Result<Vec<PeerId>, AdminError> {
    if req.peers.len() > MAX_PEERS || req.addrs.len() > MAX_PEERS {
        return Err(bad(format!("at most {MAX_PEERS} peers and {MAX_PEERS} addresses")));
    }
    req.peers
        .iter()
        .map(|p| p.parse::<PeerId>().map_err(|e| bad(format!("peer id `{p}`: {e}"))))
        .collect()
}

fn listing(peers: Vec<PeerId>) -> Json<serde_json::Value> {
    Json(json!({ "blocked": peers.iter().map(|p| p.to_string()).collect::<Vec<_>>() }))
}

async fn blocked(
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    State(s): State<ApiState>,
) -> AdminResult {
    loopback_only(from)?;
    Ok(listing(s.net.blocked_peers().await.map_err(stopped)?))
}

async fn block(
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    State(s): State<ApiState>,
    Json(req): Json<PeersRequest>,
) -> AdminResult {
    loopback_only(from)?;
    let peers = parse_peers(&req)?;
    Ok(listing(s.net.block_peers(peers).await.map_err(stopped)?))
}

async fn unblock(
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    State(s): State<ApiState>,
    Json(req): Json<PeersRequest>,
) -> AdminResult {
    loopback_only(from)?;
    let peers = parse_peers(&req)?;
    let addrs = req
        .addrs
        .iter()
        .map(|a| a.parse::<Multiaddr>().map_err(|e| bad(format!("address `{a}`: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(listing(s.net.unblock_peers(peers, addrs).await.map_err(stopped)?))
}
