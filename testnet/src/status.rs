//! A testnet's live state in one pass: each node's process and `/status`, and where its hotkey
//! sits in every subnet's metagraph (uid, incentive, dividends, emission).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::http;
use crate::layout::TestnetLayout;
use crate::ops::{self, OpsError};

/// Incentive and dividends are u16 fractions of one on the chain.
const U16_ONE: f64 = 65_535.0;

#[derive(Clone, Debug, Serialize)]
pub struct NeuronRow {
    pub netuid: u64,
    pub uid: u64,
    /// Share of the subnet's miner emission, 0 to 1.
    pub incentive: f64,
    /// Share of the subnet's validator emission, 0 to 1.
    pub dividends: f64,
    /// Emission at the last epoch, in alpha rao.
    pub emission: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct NodeStatus {
    pub name: String,
    pub role: String,
    pub running: bool,
    pub pid: Option<u32>,
    pub api: Option<String>,
    pub peer_id: Option<String>,
    /// The node's `/status` answer, if it runs and answered.
    pub status: Option<Value>,
    /// Its hotkey's places in subnets' metagraphs.
    pub neurons: Vec<NeuronRow>,
}

fn u16_share(v: &Value) -> f64 {
    v.as_u64().map_or(0.0, |x| x as f64 / U16_ONE)
}

/// Hotkey address → neurons, read from one node's view of every subnet's metagraph.
fn metagraphs(api: std::net::SocketAddr) -> BTreeMap<String, Vec<NeuronRow>> {
    let mut out: BTreeMap<String, Vec<NeuronRow>> = BTreeMap::new();
    let Ok(subnets) = http::get(api, "/subnets") else { return out };
    let netuids = subnets.as_array().into_iter().flatten().filter_map(|s| s["netuid"].as_u64());
    for netuid in netuids {
        let Ok(graph) = http::get(api, &format!("/subnets/{netuid}/metagraph")) else { continue };
        for n in graph.as_array().into_iter().flatten() {
            let Some(hotkey) = n["hotkey"].as_str() else { continue };
            out.entry(hotkey.to_string()).or_default().push(NeuronRow {
                netuid,
                uid: n["uid"].as_u64().unwrap_or(0),
                incentive: u16_share(&n["incentive"]),
                dividends: u16_share(&n["dividends"]),
                emission: n["emission"].as_u64().unwrap_or(0),
            });
        }
    }
    out
}

/// Every node's state. Metagraphs come from the running node with the highest height.
pub fn collect(layout: &TestnetLayout) -> Result<Vec<NodeStatus>, OpsError> {
    let entries = layout.nodes()?;
    let mut rows = Vec::new();
    for e in &entries {
        let v = ops::view(layout, e)?;
        let status = v.live_api().and_then(|a| http::get(a, "/status").ok());
        rows.push((
            e.hotkey.clone(),
            NodeStatus {
                name: v.name.clone(),
                role: e.role.clone(),
                running: v.pid.is_some(),
                pid: v.pid,
                api: v.live_api().map(|a| format!("http://{a}")),
                peer_id: v.peer_id.clone(),
                status,
                neurons: Vec::new(),
            },
            v.live_api(),
        ));
    }
    let best = rows
        .iter()
        .filter_map(|(_, r, api)| Some((r.status.as_ref()?["height"].as_u64()?, (*api)?)))
        .max_by_key(|(h, _)| *h)
        .map(|(_, api)| api);
    let mut graphs = best.map(metagraphs).unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|(hotkey, mut r, _)| {
            r.neurons = graphs.remove(&hotkey).unwrap_or_default();
            r
        })
        .collect())
}
