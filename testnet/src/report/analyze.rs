//! From folded captures to the report's figures: propagation delay (first publish anywhere →
//! first receipt at each other node), reach, duplicates, traffic and mesh degree.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::collect::{Collected, NodeInfo, NodeIx, TopicIx, Traffic};
use super::stats::Summary;

/// Which part of a run the delay and mesh figures cover.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    /// Messages first published within this many seconds of the capture's first record are left
    /// out (gossipsub needs a while to reach steady state: meshes form, caches fill).
    pub warmup_s: f64,
    /// Messages first published within this many seconds of the capture's last record are left
    /// out: nodes were stopping and their receipts may be missing.
    pub cooldown_s: f64,
}

impl Default for Window {
    fn default() -> Self {
        Window { warmup_s: 0.0, cooldown_s: 2.0 }
    }
}

/// Propagation figures of one topic, or of one payload kind within a topic.
#[derive(Clone, Debug, Serialize)]
pub struct DelayGroup {
    /// The topic without its `tau/<chain>/` prefix: consensus, tx, weights/1.
    pub topic: String,
    /// Set for a per-payload breakdown (proposal, prevote, …); `None` for the whole topic.
    pub payload: Option<String>,
    /// Messages with a captured publish in the window.
    pub messages: u64,
    /// First publish → first receipt, over every (message, receiving node) pair.
    pub delay: Option<Summary>,
    /// First publish → receipt at the last node, over messages that reached every subscribed
    /// node that did not publish them.
    pub to_all: Option<Summary>,
    /// Receipts seen over receipts expected (subscribed nodes that did not publish the message).
    pub reach: f64,
    /// Share of receipts whose first copy came straight from the (first) publisher: one hop.
    pub one_hop: f64,
    /// The delays themselves, for the plot.
    #[serde(skip)]
    pub samples: Vec<u64>,
}

/// Duplicate copies on one topic.
#[derive(Clone, Debug, Serialize)]
pub struct DuplicateRow {
    pub topic: String,
    pub messages: u64,
    pub copies: u64,
    /// Copies per node that held the message (publishers and receivers).
    pub per_holder: f64,
    /// Copies per message over all nodes.
    pub per_message: Option<Summary>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TrafficRow {
    pub node: String,
    pub topic: String,
    #[serde(flatten)]
    pub traffic: Traffic,
}

#[derive(Clone, Debug, Serialize)]
pub struct MeshRow {
    pub topic: String,
    /// Mesh degree over every snapshot in the window, from every node.
    pub degree: Option<Summary>,
    pub nodes: u64,
}

/// An undirected mesh link in the last snapshot, with whether both ends listed each other.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct MeshEdge {
    pub topic: String,
    pub a: String,
    pub b: String,
    pub mutual: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    /// First and last record time, ns since the Unix epoch.
    pub span_ns: (u64, u64),
    /// The window the delay and mesh figures cover.
    pub window_ns: (u64, u64),
    pub nodes: Vec<NodeInfo>,
    pub delays: Vec<DelayGroup>,
    pub duplicates: Vec<DuplicateRow>,
    pub traffic: Vec<TrafficRow>,
    pub mesh: Vec<MeshRow>,
    pub mesh_edges: Vec<MeshEdge>,
    /// Messages first received in the window but never captured being published (their
    /// publisher had no capture, or published before its capture started): no delay can be
    /// measured for them.
    pub unpublished_messages: u64,
    /// Receipts timed before their message's first publish (clock trouble); counted as 0 ms.
    pub early_receipts: u64,
}

/// `tau/<chain>/weights/1` → `weights/1`.
pub fn topic_label(topic: &str) -> String {
    let mut parts = topic.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("tau"), Some(_), Some(tail)) => tail.to_string(),
        _ => topic.to_string(),
    }
}

pub fn analyze(c: &Collected, window: Window) -> Analysis {
    let span = c.span.unwrap_or((0, 0));
    let from = span.0.saturating_add(secs(window.warmup_s));
    let to = span.1.saturating_sub(secs(window.cooldown_s));
    let labels: Vec<String> = c.topics.iter().map(|t| topic_label(t)).collect();
    let subscribers: BTreeMap<TopicIx, BTreeSet<NodeIx>> =
        c.subscribed.iter().fold(BTreeMap::new(), |mut m, (n, t)| {
            m.entry(*t).or_default().insert(*n);
            m
        });

    // (topic, payload) → delays; None payload = whole topic.
    let mut groups: BTreeMap<(TopicIx, Option<String>), GroupAcc> = BTreeMap::new();
    let mut dups: BTreeMap<TopicIx, DupAcc> = BTreeMap::new();
    let mut unpublished = 0;
    let mut early = 0;
    for m in &c.messages {
        let Some(&(first_publisher, t0)) = m.publishes.iter().min_by_key(|(_, t)| *t) else {
            // Only within the window: at the edges a publish may simply not be flushed yet.
            if m.seen.iter().map(|(_, t, _)| *t).min().is_some_and(|t| t >= from && t <= to) {
                unpublished += 1;
            }
            continue;
        };
        if t0 < from || t0 > to {
            continue;
        }
        let empty = BTreeSet::new();
        let subs = subscribers.get(&m.topic).unwrap_or(&empty);
        // A node that published the message before (or without) receiving it is a source, not
        // a receiver, of this message.
        let source_node = |node: NodeIx| {
            m.publishes.iter().any(|(n, tp)| {
                *n == node
                    && m.seen.iter().find(|(s, _, _)| *s == node).is_none_or(|(_, t, _)| tp <= t)
            })
        };
        let publisher_peer =
            c.nodes[first_publisher as usize].peer.as_deref().and_then(|p| c.peer_id(p));
        let mut delays = Vec::with_capacity(m.seen.len());
        let mut direct = 0u64;
        for (node, t, via) in &m.seen {
            if source_node(*node) {
                continue;
            }
            if *t < t0 {
                early += 1;
            }
            if publisher_peer == Some(*via) {
                direct += 1;
            }
            delays.push(t.saturating_sub(t0));
        }
        let expected = subs.iter().filter(|n| !source_node(**n)).count();
        let reached_all = expected > 0 && delays.len() >= expected;
        let to_all = delays.iter().copied().max().filter(|_| reached_all);
        let keys = [(m.topic, None), (m.topic, m.payload.clone())];
        for key in keys.iter().take(if m.payload.is_some() { 2 } else { 1 }) {
            let g = groups.entry(key.clone()).or_default();
            g.messages += 1;
            g.delays.extend_from_slice(&delays);
            g.direct += direct;
            g.expected += expected as u64;
            g.to_all.extend(to_all);
        }
        let d = dups.entry(m.topic).or_default();
        d.messages += 1;
        d.copies += m.duplicates;
        d.holders += (m.seen.len() + m.publishes.len()) as u64;
        d.per_message.push(m.duplicates);
    }

    // A payload breakdown only where a topic carries more than one kind.
    let kinds: BTreeMap<TopicIx, usize> =
        groups.keys().filter(|(_, p)| p.is_some()).fold(BTreeMap::new(), |mut m, (t, _)| {
            *m.entry(*t).or_default() += 1;
            m
        });
    let delays = groups
        .into_iter()
        .filter(|((t, p), _)| p.is_none() || kinds.get(t).copied().unwrap_or(0) > 1)
        .map(|((t, payload), mut g)| DelayGroup {
            topic: labels[t as usize].clone(),
            payload,
            messages: g.messages,
            delay: Summary::of(&mut g.delays),
            to_all: Summary::of(&mut g.to_all),
            reach: if g.expected == 0 { 0.0 } else { g.delays.len() as f64 / g.expected as f64 },
            one_hop: if g.delays.is_empty() {
                0.0
            } else {
                g.direct as f64 / g.delays.len() as f64
            },
            samples: g.delays,
        })
        .collect();

    let duplicates = dups
        .into_iter()
        .map(|(t, mut d)| DuplicateRow {
            topic: labels[t as usize].clone(),
            messages: d.messages,
            copies: d.copies,
            per_holder: if d.holders == 0 { 0.0 } else { d.copies as f64 / d.holders as f64 },
            per_message: Summary::of(&mut d.per_message),
        })
        .collect();

    let traffic = c
        .traffic
        .iter()
        .map(|((n, t), tr)| TrafficRow {
            node: c.nodes[*n as usize].name.clone(),
            topic: labels[*t as usize].clone(),
            traffic: *tr,
        })
        .collect();

    let mut degrees: BTreeMap<TopicIx, (Vec<u64>, BTreeSet<NodeIx>)> = BTreeMap::new();
    for ((n, t), s) in &c.mesh {
        let e = degrees.entry(*t).or_default();
        for (time, d) in &s.samples {
            if *time >= from && *time <= span.1 {
                e.0.push(u64::from(*d));
                e.1.insert(*n);
            }
        }
    }
    let mesh = degrees
        .into_iter()
        .map(|(t, (mut d, nodes))| MeshRow {
            topic: labels[t as usize].clone(),
            degree: Summary::of(&mut d),
            nodes: nodes.len() as u64,
        })
        .collect();

    Analysis {
        span_ns: span,
        window_ns: (from, to),
        nodes: c.nodes.clone(),
        delays,
        duplicates,
        traffic,
        mesh,
        mesh_edges: mesh_edges(c, &labels),
        unpublished_messages: unpublished,
        early_receipts: early,
    }
}

#[derive(Default)]
struct GroupAcc {
    messages: u64,
    delays: Vec<u64>,
    direct: u64,
    expected: u64,
    to_all: Vec<u64>,
}

#[derive(Default)]
struct DupAcc {
    messages: u64,
    copies: u64,
    holders: u64,
    per_message: Vec<u64>,
}

fn secs(s: f64) -> u64 {
    if s.is_finite() && s > 0.0 { (s * 1e9) as u64 } else { 0 }
}

/// The mesh as of each node's last snapshot: a link per (topic, pair), mutual when both ends
/// list each other. Peers without a capture of their own appear by short peer id.
fn mesh_edges(c: &Collected, labels: &[String]) -> Vec<MeshEdge> {
    let name_of = |peer: &str| match c.node_of_peer(peer) {
        Some(n) => c.nodes[n as usize].name.clone(),
        None => short_peer(peer),
    };
    let mut directed: BTreeSet<(TopicIx, String, String)> = BTreeSet::new();
    for ((n, t), s) in &c.mesh {
        let me = c.nodes[*n as usize].name.clone();
        for p in &s.last {
            directed.insert((*t, me.clone(), name_of(p)));
        }
    }
    let mut out = BTreeSet::new();
    for (t, a, b) in &directed {
        let mutual = directed.contains(&(*t, b.clone(), a.clone()));
        let (a, b) = if a <= b { (a.clone(), b.clone()) } else { (b.clone(), a.clone()) };
        out.insert(MeshEdge { topic: labels[*t as usize].clone(), a, b, mutual });
    }
    out.into_iter().collect()
}

/// `12D3KooW…` → its last 6 characters, marked as a peer id.
pub fn short_peer(peer: &str) -> String {
    let n = peer.chars().count();
    format!("peer…{}", peer.chars().skip(n.saturating_sub(6)).collect::<String>())
}
