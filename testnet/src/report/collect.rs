//! Folding capture files into compact per-message and per-node tables, one record at a time: a
//! five-minute, 32-node run is millions of records, and none of them is kept whole.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::capture::{Kind, Record, read_records};

/// Index of a node among the captures.
pub type NodeIx = u16;
/// Index of an interned topic name.
pub type TopicIx = u16;
/// A receipt whose forwarder was not recorded.
pub const NO_PEER: u32 = u32::MAX;

/// One capturing node.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct NodeInfo {
    /// The testnet node's name (its directory), or a short peer id.
    pub name: String,
    /// Its peer id, from the capture file's name or its start record.
    pub peer: Option<String>,
    pub records: u64,
    /// Lines that were not records (a crash mid-line, a foreign file).
    pub bad_lines: u64,
    /// Records the node itself dropped because its writer fell behind.
    pub dropped: u64,
    /// Undecodable messages it received.
    pub garbage: u64,
}

/// What the captures say about one message id.
#[derive(Clone, Debug, Default)]
pub struct Msg {
    pub topic: TopicIx,
    pub payload: Option<String>,
    pub size: u64,
    /// Each publishing node with its earliest publish time.
    pub publishes: Vec<(NodeIx, u64)>,
    /// Each receiving node with the time it first received the message and the forwarder of
    /// that first copy (an index into [`Collected::peer_id`]; [`NO_PEER`] when not recorded).
    pub seen: Vec<(NodeIx, u64, u32)>,
    /// Duplicate copies over all nodes.
    pub duplicates: u64,
}

/// Message and byte counts of one node on one topic, over the whole capture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Traffic {
    pub published: u64,
    pub published_bytes: u64,
    pub received: u64,
    pub received_bytes: u64,
    pub duplicates: u64,
    pub duplicate_bytes: u64,
    /// First deliveries this node made to the others, as their `forwarder` fields say.
    pub forwarded: u64,
    pub forwarded_bytes: u64,
}

/// Mesh snapshots of one node on one topic.
#[derive(Clone, Debug, Default)]
pub struct MeshSeries {
    /// (time, mesh degree) of every snapshot.
    pub samples: Vec<(u64, u32)>,
    /// The peers in the latest snapshot.
    pub last: Vec<String>,
}

#[derive(Default)]
pub struct Collected {
    pub nodes: Vec<NodeInfo>,
    pub topics: Vec<String>,
    pub messages: Vec<Msg>,
    pub traffic: BTreeMap<(NodeIx, TopicIx), Traffic>,
    pub mesh: BTreeMap<(NodeIx, TopicIx), MeshSeries>,
    /// (node, topic) pairs with any sign of a subscription: a mesh snapshot or a message.
    pub subscribed: BTreeSet<(NodeIx, TopicIx)>,
    /// Earliest and latest record time over every capture.
    pub span: Option<(u64, u64)>,
    /// First deliveries per forwarding peer id and topic: (messages, bytes).
    forwarded_by_peer: BTreeMap<(String, TopicIx), (u64, u64)>,
    ids: HashMap<String, u32>,
    /// Every peer id seen (capturing nodes and forwarders), interned.
    peer_ids: HashMap<String, u32>,
    topic_ix: HashMap<String, TopicIx>,
    peer_ix: HashMap<String, NodeIx>,
}

#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("more than {0} capture files or topics; this report is for testnet-sized runs")]
    TooMany(usize),
}

impl Collected {
    /// The node a capture belongs to, by peer id when known, so a restarted node's files (or a
    /// file per run) fold into one.
    fn node(&mut self, name: &str, peer: Option<&str>) -> Result<NodeIx, CollectError> {
        if let Some(p) = peer
            && let Some(ix) = self.peer_ix.get(p)
        {
            return Ok(*ix);
        }
        let ix = NodeIx::try_from(self.nodes.len()).map_err(|_| CollectError::TooMany(1 << 16))?;
        self.nodes.push(NodeInfo {
            name: name.to_string(),
            peer: peer.map(str::to_string),
            ..NodeInfo::default()
        });
        if let Some(p) = peer {
            self.peer_ix.insert(p.to_string(), ix);
        }
        Ok(ix)
    }

    fn topic(&mut self, name: &str) -> Result<TopicIx, CollectError> {
        if let Some(ix) = self.topic_ix.get(name) {
            return Ok(*ix);
        }
        let ix =
            TopicIx::try_from(self.topics.len()).map_err(|_| CollectError::TooMany(1 << 16))?;
        self.topics.push(name.to_string());
        self.topic_ix.insert(name.to_string(), ix);
        Ok(ix)
    }

    fn intern_peer(&mut self, peer: &str) -> u32 {
        let next = self.peer_ids.len() as u32;
        *self.peer_ids.entry(peer.to_string()).or_insert(next)
    }

    /// The interned index of a peer id, if it was ever seen.
    pub fn peer_id(&self, peer: &str) -> Option<u32> {
        self.peer_ids.get(peer).copied()
    }

    fn message(&mut self, id: &str, topic: TopicIx) -> &mut Msg {
        let next = self.messages.len() as u32;
        let ix = *self.ids.entry(id.to_string()).or_insert(next);
        if ix == next {
            self.messages.push(Msg { topic, ..Msg::default() });
        }
        &mut self.messages[ix as usize]
    }

    /// Folds one capture file in, as node `name` (peer id `peer`, if the file name tells).
    pub fn add_file(
        &mut self,
        path: &Path,
        name: &str,
        peer: Option<&str>,
    ) -> Result<(), CollectError> {
        let io = |source| CollectError::Io { path: path.to_path_buf(), source };
        let file = std::fs::File::open(path).map_err(io)?;
        let node = self.node(name, peer)?;
        let mut failed = None;
        let stats = read_records(std::io::BufReader::new(file), |r| {
            if failed.is_none()
                && let Err(e) = self.add(node, r)
            {
                failed = Some(e);
            }
        })
        .map_err(io)?;
        if let Some(e) = failed {
            return Err(e);
        }
        let info = &mut self.nodes[node as usize];
        info.records += stats.records;
        info.bad_lines += stats.bad;
        Ok(())
    }

    /// Folds one record of `node` in.
    pub fn add(&mut self, node: NodeIx, r: Record) -> Result<(), CollectError> {
        let t = r.time_ns;
        self.span = Some(match self.span {
            None => (t, t),
            Some((a, b)) => (a.min(t), b.max(t)),
        });
        let topic = match &r.topic {
            Some(name) => Some(self.topic(name)?),
            None => None,
        };
        match (r.kind, topic, r.id.as_deref()) {
            (Kind::Start, _, _) => {
                let info = &mut self.nodes[node as usize];
                if info.peer.is_none()
                    && let Some(p) = r.node
                {
                    self.peer_ix.insert(p.clone(), node);
                    info.peer = Some(p);
                }
            }
            (Kind::Publish, Some(tp), Some(id)) => {
                let size = r.size.unwrap_or(0);
                let m = self.message(id, tp);
                note_payload(m, r.payload, size);
                earliest(&mut m.publishes, node, t);
                let tr = self.traffic.entry((node, tp)).or_default();
                tr.published += 1;
                tr.published_bytes += size;
                self.subscribed.insert((node, tp));
            }
            (Kind::Receive, Some(tp), Some(id)) => {
                let size = r.size.unwrap_or(0);
                let via = r.forwarder.as_deref().map_or(NO_PEER, |f| self.intern_peer(f));
                let m = self.message(id, tp);
                note_payload(m, r.payload, size);
                match m.seen.iter_mut().find(|(n, _, _)| *n == node) {
                    Some(s) if t < s.1 => *s = (node, t, via),
                    Some(_) => {}
                    None => m.seen.push((node, t, via)),
                }
                let tr = self.traffic.entry((node, tp)).or_default();
                tr.received += 1;
                tr.received_bytes += size;
                if let Some(f) = r.forwarder {
                    let e = self.forwarded_by_peer.entry((f, tp)).or_default();
                    e.0 += 1;
                    e.1 += size;
                }
                self.subscribed.insert((node, tp));
            }
            (Kind::Duplicate, Some(tp), Some(id)) => {
                let (count, size) = (r.count.unwrap_or(0), r.size.unwrap_or(0));
                self.message(id, tp).duplicates += count;
                let tr = self.traffic.entry((node, tp)).or_default();
                tr.duplicates += count;
                tr.duplicate_bytes += count * size;
            }
            (Kind::Garbage, _, _) => self.nodes[node as usize].garbage += 1,
            (Kind::Dropped, _, _) => self.nodes[node as usize].dropped += r.count.unwrap_or(0),
            (Kind::Mesh, Some(tp), _) => {
                let peers = r.peers.unwrap_or_default();
                let s = self.mesh.entry((node, tp)).or_default();
                s.samples.push((t, peers.len() as u32));
                s.last = peers;
                self.subscribed.insert((node, tp));
            }
            _ => {}
        }
        Ok(())
    }

    /// Credits each node with the first deliveries others received through it. Call once, after
    /// every file is in (a forwarder's peer id is known only once its own capture is read).
    pub fn attribute_forwarding(&mut self) {
        for ((peer, tp), (n, b)) in std::mem::take(&mut self.forwarded_by_peer) {
            if let Some(node) = self.peer_ix.get(&peer).copied() {
                let tr = self.traffic.entry((node, tp)).or_default();
                tr.forwarded += n;
                tr.forwarded_bytes += b;
            }
        }
    }

    /// The node with this peer id, if it is one of the captures.
    pub fn node_of_peer(&self, peer: &str) -> Option<NodeIx> {
        self.peer_ix.get(peer).copied()
    }
}

fn note_payload(m: &mut Msg, payload: Option<String>, size: u64) {
    if m.payload.is_none() {
        m.payload = payload;
    }
    m.size = m.size.max(size);
}

/// Keeps the earliest time per node.
fn earliest(list: &mut Vec<(NodeIx, u64)>, node: NodeIx, t: u64) {
    match list.iter_mut().find(|(n, _)| *n == node) {
        Some((_, old)) => *old = (*old).min(t),
        None => list.push((node, t)),
    }
}
