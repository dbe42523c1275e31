//! The router and the node-level handlers (status, blocks, submission, events). Reads go to a
//! consistent storage snapshot through the ledger's queries; the ledger views a wallet needs
//! (stakes, hotkeys, weights, receipts) are in `ledger.rs`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use consensus::ledger::query;
use futures::Stream;
use protocol::codec;
use protocol::transaction::Transaction;
use protocol::wire::TransactionBatch;
use protocol::{Height, NetUid, PublicKey};
use serde_json::{Value, json};
use tokio_stream::wrappers::BroadcastStream;

use super::ApiState;
use super::ledger;
use super::receipts::Receipts;
use crate::chain::{ChainEvent, StoreReader};
use crate::p2p::GRAYLIST_THRESHOLD;

/// Everything the handlers share: the node's handles and the receipt cache the API keeps itself.
#[derive(Clone)]
pub struct AppState {
    pub api: ApiState,
    pub receipts: Arc<Receipts>,
}

impl FromRef<AppState> for ApiState {
    fn from_ref(s: &AppState) -> ApiState {
        s.api.clone()
    }
}

impl FromRef<AppState> for Arc<Receipts> {
    fn from_ref(s: &AppState) -> Arc<Receipts> {
        s.receipts.clone()
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/status", get(status))
        .route("/neuron", get(neuron))
        .route("/supply", get(supply))
        .route("/blocks/latest", get(latest_block))
        .route("/blocks/{height}", get(block))
        .route("/chain", get(ledger::chain))
        .route("/accounts/{address}", get(account))
        .route("/accounts/{address}/stakes", get(ledger::stakes))
        .route("/hotkeys/{address}", get(ledger::hotkey))
        .route("/subnets", get(subnets))
        .route("/subnets/{netuid}", get(subnet))
        .route("/subnets/{netuid}/metagraph", get(metagraph))
        .route("/subnets/{netuid}/neurons/{hotkey}", get(ledger::neuron))
        .route("/subnets/{netuid}/weights/{hotkey}", get(ledger::weights_status))
        .route("/validators", get(validators))
        .route("/peers", get(peers))
        .route("/transactions", post(submit))
        .route("/transactions/{hash}", get(ledger::receipt))
        .route(
            "/transactions/batch",
            post(submit_batch).layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024)),
        )
        .route("/events", get(events))
        .route("/metrics", get(super::metrics::render))
        .with_state(state)
}

/// An error as JSON with a status code.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

pub(super) fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

pub(super) fn not_found(what: String) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, what)
}

pub(super) fn bad_request(what: String) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, what)
}

pub(super) type ApiResult = Result<Json<Value>, ApiError>;

async fn status(State(s): State<ApiState>) -> ApiResult {
    let chain = s.chain.status().await.ok_or_else(|| internal("chain driver stopped"))?;
    let net = s.net.status().await;
    let config = query::chain_config(&reader(&s)?).map_err(internal)?;
    Ok(Json(json!({
        "chain_id": config.chain_id,
        "role": s.role,
        "peer_id": net.local_peer_id.map(|p| p.to_string()),
        "listen_addrs": net.listen_addrs.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        "peers": net.connected_peers.len(),
        "height": chain.height,
        "block_hash": chain.block_hash,
        "app_hash": chain.app_hash,
        "round": chain.round,
        "validator": chain.is_validator,
        "syncing": chain.syncing,
        "best_seen_height": chain.best_seen_height,
        "mempool": chain.mempool,
    })))
}

/// The miner's or validator's state per subnet: registration, requests served, weights.
async fn neuron(State(s): State<ApiState>) -> ApiResult {
    Ok(Json(json!({ "role": s.role, "subnets": s.neuron.snapshot() })))
}

fn block_json(s: &ApiState, height: Height) -> ApiResult {
    let block = s
        .store
        .block(height)
        .map_err(internal)?
        .ok_or_else(|| not_found(format!("no block at height {}", height.0)))?;
    let cert = s.store.certificate(height).map_err(internal)?;
    let app_hash = s.store.app_hash(height).map_err(internal)?;
    Ok(Json(json!({
        "hash": block.hash(),
        "header": block.header,
        "transactions": block.transactions.iter().map(|t| json!({ "hash": t.hash(), "tx": t })).collect::<Vec<_>>(),
        "certificate": cert,
        "app_hash_after": app_hash,
    })))
}

async fn block(State(s): State<ApiState>, Path(height): Path<u64>) -> ApiResult {
    block_json(&s, Height(height))
}

async fn latest_block(State(s): State<ApiState>) -> ApiResult {
    let tip = s.store.tip().map_err(internal)?;
    block_json(&s, tip.height)
}

pub(super) fn reader(s: &ApiState) -> Result<StoreReader<'_>, ApiError> {
    Ok(StoreReader::new(s.store.snapshot().map_err(internal)?))
}

pub(super) fn parse_key(address: &str) -> Result<PublicKey, ApiError> {
    PublicKey::from_address(address).map_err(|e| bad_request(format!("`{address}`: {e}")))
}

async fn account(State(s): State<ApiState>, Path(address): Path<String>) -> ApiResult {
    let key = parse_key(&address)?;
    let r = reader(&s)?;
    let acct = query::account(&r, &key).map_err(internal)?;
    let stakes = query::stakes_of(&r, &key).map_err(internal)?;
    Ok(Json(
        json!({ "address": key, "balance": acct.balance, "nonce": acct.nonce, "stakes": stakes }),
    ))
}

/// Supply accounting at the latest block: genesis τ, minted, issuance, burned, and what the next
/// block will mint.
async fn supply(State(s): State<ApiState>) -> ApiResult {
    let r = reader(&s)?;
    let totals = query::totals(&r).map_err(internal)?;
    let height = query::height(&r).map_err(internal)?;
    let next = query::next_block_emission(&r).map_err(internal)?;
    Ok(Json(json!({ "height": height, "totals": totals, "next_block_emission": next })))
}

async fn subnets(State(s): State<ApiState>) -> ApiResult {
    let r = reader(&s)?;
    let mut out = Vec::new();
    for n in query::subnets(&r).map_err(internal)? {
        if let Some(info) = query::subnet(&r, n).map_err(internal)? {
            out.push(info);
        }
    }
    Ok(Json(json!(out)))
}

async fn subnet(State(s): State<ApiState>, Path(netuid): Path<u16>) -> ApiResult {
    let r = reader(&s)?;
    let info = query::subnet(&r, NetUid(netuid))
        .map_err(internal)?
        .ok_or_else(|| not_found(format!("no subnet {netuid}")))?;
    Ok(Json(json!(info)))
}

async fn metagraph(State(s): State<ApiState>, Path(netuid): Path<u16>) -> ApiResult {
    let r = reader(&s)?;
    let m = query::metagraph(&r, NetUid(netuid)).map_err(internal)?;
    Ok(Json(json!(m)))
}

async fn validators(State(s): State<ApiState>) -> ApiResult {
    let r = reader(&s)?;
    let (since, set) = query::validator_set(&r).map_err(internal)?;
    Ok(Json(json!({ "since": since, "validators": set })))
}

/// What this node thinks of its peers, read-only: each connected peer's gossipsub score (local
/// policy, never consensus state; `null` before gossipsub knows the peer), whether that score
/// has it greylisted (its gossip dropped unread), its request-response offences, and the peers
/// banned for repeated offences.
async fn peers(State(s): State<ApiState>) -> ApiResult {
    let net = s.net.status().await;
    let offences = |p| net.offences.iter().find(|(q, _)| *q == p).map_or(0, |(_, n)| *n);
    let connected: Vec<Value> = net
        .connected_peers
        .iter()
        .map(|&p| {
            let score = net.scores.iter().find(|(q, _)| *q == p).map(|(_, s)| *s);
            json!({
                "peer_id": p.to_string(),
                "score": score,
                "graylisted": score.is_some_and(|s| s < GRAYLIST_THRESHOLD),
                "offences": offences(p),
            })
        })
        .collect();
    let banned: Vec<Value> = net
        .banned
        .iter()
        .map(|&p| json!({ "peer_id": p.to_string(), "offences": offences(p) }))
        .collect();
    Ok(Json(json!({ "peers": connected, "banned": banned })))
}

async fn submit(State(s): State<ApiState>, Json(tx): Json<Transaction>) -> ApiResult {
    match s.chain.submit(tx).await {
        Ok(hash) => Ok(Json(json!({ "hash": hash }))),
        Err(e) => Err(ApiError(StatusCode::BAD_REQUEST, e.to_string())),
    }
}

/// Many signed transactions at once; one result per transaction, in order. The body is a JSON
/// array (at most `MAX_BATCH`), or with `Content-Type: application/octet-stream` a canonical
/// `TransactionBatch` (the tx topic's payload: at most 1,024 transactions, 1 MiB), which spares
/// both sides the JSON and the bech32 of every address.
async fn submit_batch(State(s): State<ApiState>, headers: HeaderMap, body: Bytes) -> ApiResult {
    let binary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/octet-stream"));
    let txs = if binary {
        let batch = codec::decode::<TransactionBatch>(&body)
            .map_err(|e| bad_request(format!("body is not a transaction batch: {e}")))?;
        batch.check_shape().map_err(|e| bad_request(e.to_string()))?;
        batch.transactions
    } else {
        serde_json::from_slice::<Vec<Transaction>>(&body)
            .map_err(|e| bad_request(format!("body is not a JSON array of transactions: {e}")))?
    };
    if txs.len() > crate::chain::MAX_BATCH {
        return Err(ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} transactions; a batch holds at most {}",
                txs.len(),
                crate::chain::MAX_BATCH
            ),
        ));
    }
    let results = s.chain.submit_batch(txs).await.map_err(internal)?;
    let out: Vec<Value> = results
        .into_iter()
        .map(|r| match r {
            Ok(hash) => json!({ "hash": hash }),
            Err(e) => json!({ "error": e.to_string() }),
        })
        .collect();
    Ok(Json(json!(out)))
}

async fn events(State(s): State<ApiState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let stream = futures::StreamExt::flat_map(BroadcastStream::new(s.chain.subscribe()), |ev| {
        // A lagging client misses events rather than stalling the node.
        let mut out = Vec::new();
        if let Ok(ev) = ev {
            let ChainEvent::Block { height, outcomes, .. } = &ev;
            out.extend(Event::default().json_data(&ev).ok());
            // Each transaction follows its block as an event of its own.
            out.extend(
                outcomes.iter().filter_map(|o| Event::default().json_data(o.event(*height)).ok()),
            );
        }
        futures::stream::iter(out.into_iter().map(Ok::<_, Infallible>))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
