//! Network partitions between real node processes, through each node's admin API: every node of
//! one side puts every node of the other sides on its libp2p block list, which closes their
//! connections and refuses new ones in both directions. Nodes named on no side keep talking to
//! everyone (and so may relay gossip across the cut). Nothing is persisted: a node that restarts
//! comes back with an empty block list, i.e. healed.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::http::{self, HttpError};
use crate::layout::TestnetLayout;
use crate::ops::{self, NodeView, OpsError};

#[derive(Debug, thiserror::Error)]
pub enum PartitionError {
    #[error(
        "a partition needs at least two non-empty sides, e.g. `validator-0,validator-1 validator-2,validator-3`"
    )]
    TooFewSides,
    #[error("node {0} is named twice")]
    Twice(String),
    #[error("node {0} has never started, so its peer id is unknown")]
    NeverStarted(String),
    #[error(
        "node {name} has no admin API ({source}); restart it with this tau (`tau testnet restart {name}`)"
    )]
    NoAdmin { name: String, source: HttpError },
    #[error("node {name}: {source}")]
    Http { name: String, source: HttpError },
    #[error("node {name} answered without a block list: {body}")]
    Malformed { name: String, body: String },
    #[error(transparent)]
    Ops(#[from] OpsError),
}

/// What a partition or heal did.
#[derive(Clone, Debug, Default)]
pub struct CutReport {
    /// Per running node: how many testnet peers it now refuses.
    pub blocking: Vec<(String, usize)>,
    /// Named nodes that are not running: they could not be told, and talk to everyone once
    /// restarted.
    pub not_running: Vec<String>,
    /// Running nodes on no side.
    pub bystanders: Vec<String>,
}

/// The testnet's nodes as the directory and process table show them.
struct Nodes {
    views: Vec<NodeView>,
}

impl Nodes {
    fn load(layout: &TestnetLayout) -> Result<Nodes, PartitionError> {
        Ok(Nodes { views: ops::views(layout)? })
    }

    fn get(&self, name: &str) -> Result<&NodeView, PartitionError> {
        self.views.iter().find(|v| v.name == name).ok_or_else(|| {
            PartitionError::Ops(OpsError::UnknownNode {
                name: name.to_string(),
                known: self.views.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", "),
            })
        })
    }

    /// Peer ids of every node that has ever started.
    fn peer_ids(&self) -> BTreeSet<String> {
        self.views.iter().filter_map(|v| v.peer_id.clone()).collect()
    }

    /// p2p addresses of every node that has ever started, for redialling after an unblock.
    fn addrs(&self) -> Vec<String> {
        self.views.iter().filter_map(NodeView::p2p_addr).collect()
    }
}

fn admin(
    name: &str,
    api: SocketAddr,
    path: &str,
    body: Option<Value>,
) -> Result<BTreeSet<String>, PartitionError> {
    let reply = match &body {
        Some(b) => http::post(api, path, b),
        None => http::get(api, path),
    };
    let reply = reply.map_err(|source| match source {
        HttpError::Status { status: 404, .. } => {
            PartitionError::NoAdmin { name: name.to_string(), source }
        }
        source => PartitionError::Http { name: name.to_string(), source },
    })?;
    let list = reply.get("blocked").and_then(Value::as_array).ok_or_else(|| {
        PartitionError::Malformed { name: name.to_string(), body: reply.to_string() }
    })?;
    Ok(list.iter().filter_map(|p| p.as_str().map(str::to_string)).collect())
}

/// Makes one node refuse exactly `refuse` among the testnet's peers: lifts any other block on a
/// testnet peer (an earlier partition's) and adds the missing ones. Peers outside the testnet
/// (banned for misbehaviour) are left alone. Returns how many testnet peers it refuses.
fn converge(
    nodes: &Nodes,
    view: &NodeView,
    api: SocketAddr,
    refuse: &BTreeSet<String>,
) -> Result<usize, PartitionError> {
    let ours = nodes.peer_ids();
    let now = admin(&view.name, api, "/admin/peers/blocked", None)?;
    let lift: Vec<&String> =
        now.iter().filter(|p| ours.contains(*p) && !refuse.contains(*p)).collect();
    if !lift.is_empty() {
        let body = json!({ "peers": lift, "addrs": nodes.addrs() });
        admin(&view.name, api, "/admin/peers/unblock", Some(body))?;
    }
    let add: Vec<&String> = refuse.iter().filter(|p| !now.contains(*p)).collect();
    if !add.is_empty() {
        admin(&view.name, api, "/admin/peers/block", Some(json!({ "peers": add })))?;
    }
    Ok(refuse.len())
}

/// Cuts the testnet into `sides` (node names). Replaces any earlier partition.
pub fn partition(
    layout: &TestnetLayout,
    sides: &[Vec<String>],
) -> Result<CutReport, PartitionError> {
    let sides: Vec<&Vec<String>> = sides.iter().filter(|s| !s.is_empty()).collect();
    if sides.len() < 2 {
        return Err(PartitionError::TooFewSides);
    }
    let nodes = Nodes::load(layout)?;
    let mut side_of: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, side) in sides.iter().enumerate() {
        for name in side.iter() {
            nodes.get(name)?;
            if side_of.insert(name, i).is_some() {
                return Err(PartitionError::Twice(name.clone()));
            }
        }
    }
    let mut peer_of: BTreeMap<&str, String> = BTreeMap::new();
    for name in side_of.keys() {
        let peer = nodes.get(name)?.peer_id.clone();
        peer_of.insert(name, peer.ok_or_else(|| PartitionError::NeverStarted(name.to_string()))?);
    }
    let mut report = CutReport::default();
    for view in &nodes.views {
        let Some(api) = view.live_api() else {
            if side_of.contains_key(view.name.as_str()) {
                report.not_running.push(view.name.clone());
            }
            continue;
        };
        let refuse: BTreeSet<String> = match side_of.get(view.name.as_str()) {
            Some(mine) => side_of
                .iter()
                .filter(|(_, side)| *side != mine)
                .filter_map(|(name, _)| peer_of.get(name).cloned())
                .collect(),
            None => {
                report.bystanders.push(view.name.clone());
                BTreeSet::new()
            }
        };
        let n = converge(&nodes, view, api, &refuse)?;
        report.blocking.push((view.name.clone(), n));
    }
    Ok(report)
}

/// Lifts every block between testnet nodes and has each node redial the peers it had refused.
pub fn heal(layout: &TestnetLayout) -> Result<CutReport, PartitionError> {
    let nodes = Nodes::load(layout)?;
    let mut report = CutReport::default();
    for view in &nodes.views {
        let Some(api) = view.live_api() else { continue };
        converge(&nodes, view, api, &BTreeSet::new())?;
        report.blocking.push((view.name.clone(), 0));
    }
    Ok(report)
}

/// Parses `a,b c,d` style sides: each argument is one side, names separated by commas.
pub fn parse_sides(args: &[String]) -> Vec<Vec<String>> {
    args.iter()
        .map(|a| {
            a.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_string).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_parse_and_bad_partitions_are_refused_before_any_request() {
        let sides = parse_sides(&["a, b".into(), "c,,d".into(), "".into()]);
        assert_eq!(sides, vec![vec!["a", "b"], vec!["c", "d"], vec![]]);
        let dir = tempfile::tempdir().unwrap();
        let layout = TestnetLayout { dir: dir.path().to_path_buf() };
        assert!(matches!(
            partition(&layout, &parse_sides(&["a,b".into()])),
            Err(PartitionError::TooFewSides)
        ));
    }
}
