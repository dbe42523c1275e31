//! Ledger views a wallet needs before and after it signs: the chain's parameters, a coldkey's
//! stake positions with their value, a hotkey's owner, a neuron, weights status, and the receipt
//! of a submitted transaction. Each handler is one ledger query over one snapshot.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use consensus::ledger::query;
use protocol::{Hash, Height, NetUid, PriceRao, RAO_PER_TAO, Rao};
use serde::Serialize;
use serde_json::json;

use super::ApiState;
use super::receipts::Receipts;
use super::routes::{ApiError, ApiResult, bad_request, internal, not_found, parse_key, reader};
use crate::chain::StoreReader;

/// How far back a receipt request searches the blocks for a transaction whose outcome the
/// receipt cache did not record.
const RECEIPT_SEARCH_BLOCKS: u64 = 512;

/// A value computed over `r`, unless a read failed underneath (then the value is unusable).
fn checked<T>(r: &StoreReader<'_>, value: T) -> Result<T, ApiError> {
    match r.take_error() {
        Some(e) => Err(internal(e)),
        None => Ok(value),
    }
}

/// `GET /chain`: chain id, parameters, height, supply totals, and what a subnet costs now.
pub async fn chain(State(s): State<ApiState>) -> ApiResult {
    let r = reader(&s)?;
    let cfg = query::chain_config(&r).map_err(internal)?;
    let totals = query::totals(&r).map_err(internal)?;
    let lock_cost = query::subnet_lock_cost(&r).map_err(internal)?;
    let emission = query::next_block_emission(&r).map_err(internal)?;
    // Subnet creation is rate limited from the last creation (0: never created one).
    let next_subnet_block = (totals.last_lock_block != 0)
        .then(|| totals.last_lock_block.saturating_add(cfg.economics.network_rate_limit));
    let out = json!({
        "chain_id": cfg.chain_id,
        "height": cfg.height,
        "economics": cfg.economics,
        "consensus": cfg.consensus,
        "totals": totals,
        "next_block_emission": emission,
        "subnet_lock_cost": lock_cost,
        "next_subnet_creation_block": next_subnet_block,
    });
    Ok(Json(checked(&r, out)?))
}

/// One stake position with its spot value in τ (what it is worth at the pool's current price,
/// before the slippage a sale would have).
#[derive(Serialize)]
struct StakePosition {
    hotkey: protocol::PublicKey,
    netuid: NetUid,
    /// Alpha rao (τ rao on root).
    stake: u64,
    price: PriceRao,
    value: Rao,
}

/// `GET /accounts/{address}/stakes`: every position of a coldkey.
pub async fn stakes(State(s): State<ApiState>, Path(address): Path<String>) -> ApiResult {
    let key = parse_key(&address)?;
    let r = reader(&s)?;
    let mut out = Vec::new();
    for (hotkey, netuid, stake) in query::stakes_of(&r, &key).map_err(internal)? {
        let price = query::price(&r, netuid).map_err(internal)?.unwrap_or_default();
        let value = u128::from(stake) * u128::from(price.0) / u128::from(RAO_PER_TAO);
        let value = Rao(u64::try_from(value).unwrap_or(u64::MAX));
        out.push(StakePosition { hotkey, netuid, stake, price, value });
    }
    Ok(Json(checked(&r, json!({ "coldkey": key, "stakes": out }))?))
}

/// `GET /hotkeys/{address}`: owner, take and ledger-validator opt-in; 404 for an unknown hotkey.
pub async fn hotkey(State(s): State<ApiState>, Path(address): Path<String>) -> ApiResult {
    let key = parse_key(&address)?;
    let r = reader(&s)?;
    let info = query::hotkey(&r, &key).map_err(internal)?;
    let height = query::height(&r).map_err(internal)?;
    let info = checked(&r, info)?.ok_or_else(|| {
        not_found(format!("hotkey {key} is not known to the ledger: register it on a subnet first"))
    })?;
    Ok(Json(json!({ "height": height, "hotkey": info })))
}

fn require_subnet(r: &StoreReader<'_>, netuid: u16) -> Result<NetUid, ApiError> {
    let netuid = NetUid(netuid);
    if netuid == NetUid::ROOT {
        return Err(bad_request("netuid 0 is root: it has no neurons".into()));
    }
    match query::subnet(r, netuid).map_err(internal)? {
        Some(_) => Ok(netuid),
        None => Err(not_found(format!("no subnet {netuid}"))),
    }
}

/// `GET /subnets/{netuid}/neurons/{hotkey}`: the neuron a hotkey holds; 404 if it holds none.
pub async fn neuron(
    State(s): State<ApiState>,
    Path((netuid, address)): Path<(u16, String)>,
) -> ApiResult {
    let key = parse_key(&address)?;
    let r = reader(&s)?;
    let netuid = require_subnet(&r, netuid)?;
    let n = query::neuron(&r, netuid, &key).map_err(internal)?;
    let n = checked(&r, n)?
        .ok_or_else(|| not_found(format!("hotkey {key} is not registered on subnet {netuid}")))?;
    Ok(Json(json!(n)))
}

/// `GET /subnets/{netuid}/weights/{hotkey}`: rate limit and commits of a registered hotkey, with
/// the current height so a client can say how long to wait.
pub async fn weights_status(
    State(s): State<ApiState>,
    Path((netuid, address)): Path<(u16, String)>,
) -> ApiResult {
    let key = parse_key(&address)?;
    let r = reader(&s)?;
    let netuid = require_subnet(&r, netuid)?;
    let status = query::weights_status(&r, netuid, &key).map_err(internal)?;
    let height = query::height(&r).map_err(internal)?;
    let status = checked(&r, status)?
        .ok_or_else(|| not_found(format!("hotkey {key} is not registered on subnet {netuid}")))?;
    Ok(Json(json!({ "height": height, "netuid": netuid, "hotkey": key, "status": status })))
}

/// `GET /transactions/{hash}`: where a transaction was included and the ledger's verdict. 404
/// while it is not in a block (pending, or never seen by this node).
pub async fn receipt(
    State(s): State<ApiState>,
    State(receipts): State<Arc<Receipts>>,
    Path(hash): Path<String>,
) -> ApiResult {
    let hash: Hash = hash.parse().map_err(|e| {
        bad_request(format!("`{hash}` is not a transaction hash (64 hex digits): {e}"))
    })?;
    if let Some(rc) = receipts.get(&hash) {
        return Ok(Json(json!({
            "hash": hash, "status": "included", "height": rc.height, "ok": rc.ok, "error": rc.error,
        })));
    }
    // Not recorded: search the blocks the recorder did not see, most recent first.
    let tip = s.store.tip().map_err(internal)?.height.0;
    let below = receipts.complete_from().map_or(tip.saturating_add(1), |h| h.0);
    let lowest = tip.saturating_sub(RECEIPT_SEARCH_BLOCKS).max(1);
    let mut h = below.min(tip.saturating_add(1));
    while h > lowest {
        h -= 1;
        let Some(block) = s.store.block(Height(h)).map_err(internal)? else { continue };
        if block.transactions.iter().any(|t| t.hash() == hash) {
            return Ok(Json(json!({
                "hash": hash, "status": "included", "height": h, "ok": null, "error": null,
                "note": "this node did not record the outcome; check the affected balances",
            })));
        }
    }
    Err(not_found(format!(
        "transaction {hash} is not in a block yet (pending, or unknown to this node)"
    )))
}
