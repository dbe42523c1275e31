//! The capture writer: a blocking thread that turns what the network actor observed into
//! [`Record`]s, appends them to `capture-<peer id>.jsonl` and hands them to live subscribers.
//! Decoding published payloads and formatting happen here, off the actor.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use libp2p::PeerId;
use libp2p::gossipsub::MessageId;
use protocol::ids::ChainId;
use testnet::capture::{Kind, Record};
use tokio::sync::broadcast;
use tracing::warn;

use super::describe::{Described, describe_bytes};
use super::duplicates::DuplicateReport;
use super::now_ns;
use crate::p2p::topics::TopicKind;

/// How often buffered records reach the file: the report's view of a run is at most this stale
/// when a node is killed without a clean shutdown.
const FLUSH_EVERY: Duration = Duration::from_millis(500);
const BUFFER_BYTES: usize = 256 * 1024;

/// One observation from the network actor, as cheap to build there as possible.
pub(super) enum Pending {
    Published {
        time_ns: u64,
        topic: TopicKind,
        id: MessageId,
        data: Vec<u8>,
    },
    Received {
        time_ns: u64,
        topic: TopicKind,
        id: MessageId,
        forwarder: PeerId,
        size: usize,
        described: Described,
    },
    Garbage {
        time_ns: u64,
        topic: String,
        id: MessageId,
        forwarder: PeerId,
        size: usize,
        error: String,
    },
    Duplicates {
        time_ns: u64,
        reports: Vec<DuplicateReport>,
        untracked: u64,
    },
    Mesh {
        time_ns: u64,
        topic: String,
        peers: Vec<PeerId>,
    },
}

pub(super) struct Writer {
    pub rx: Receiver<Pending>,
    pub file: Option<(PathBuf, BufWriter<File>)>,
    pub feed: broadcast::Sender<Arc<Record>>,
    pub dropped: Arc<AtomicU64>,
    pub chain: ChainId,
    pub local: PeerId,
}

/// `DIR/capture-<peer id>.jsonl`, opened for appending (a restarted node continues its file).
pub(super) fn open(dir: &Path, local: &PeerId) -> std::io::Result<(PathBuf, BufWriter<File>)> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("capture-{local}.jsonl"));
    let f = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
    Ok((path, BufWriter::with_capacity(BUFFER_BYTES, f)))
}

impl Writer {
    /// Runs until the network actor drops its sender, then flushes and returns.
    pub fn run(mut self) {
        let mut start = Record::new(now_ns(), Kind::Start);
        start.node = Some(self.local.to_string());
        start.summary = Some(format!("chain={} tau/{}", self.chain, env!("CARGO_PKG_VERSION")));
        self.emit(start);
        let mut last_flush = Instant::now();
        loop {
            match self.rx.recv_timeout(FLUSH_EVERY) {
                Ok(p) => {
                    for r in self.records(p) {
                        self.emit(r);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if last_flush.elapsed() >= FLUSH_EVERY {
                self.flush();
                last_flush = Instant::now();
            }
        }
        self.flush();
    }

    fn flush(&mut self) {
        let lost = self.dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            let mut r = Record::new(now_ns(), Kind::Dropped);
            r.count = Some(lost);
            self.emit(r);
        }
        if let Some((path, w)) = &mut self.file
            && let Err(e) = w.flush()
        {
            warn!(path = %path.display(), error = %e, "gossip capture file failed; capture stops");
            self.file = None;
        }
    }

    fn emit(&mut self, r: Record) {
        if let Some((path, w)) = &mut self.file {
            let written = serde_json::to_writer(&mut *w, &r)
                .map_err(std::io::Error::other)
                .and_then(|()| w.write_all(b"\n"));
            if let Err(e) = written {
                warn!(path = %path.display(), error = %e, "gossip capture file failed; capture stops");
                self.file = None;
            }
        }
        if self.feed.receiver_count() > 0 {
            // A slow subscriber lags and is told so; it never holds the writer up.
            let _ = self.feed.send(Arc::new(r));
        }
    }

    fn records(&self, p: Pending) -> Vec<Record> {
        match p {
            Pending::Published { time_ns, topic, id, data } => {
                let mut r = message(time_ns, Kind::Publish, topic.name(&self.chain), &id);
                r.size = Some(data.len() as u64);
                match describe_bytes(topic, &data) {
                    Ok(d) => fill(&mut r, d),
                    // The node published bytes it cannot decode itself: worth seeing, not hiding.
                    Err(e) => r.summary = Some(format!("undecodable: {e}")),
                }
                vec![r]
            }
            Pending::Received { time_ns, topic, id, forwarder, size, described } => {
                let mut r = message(time_ns, Kind::Receive, topic.name(&self.chain), &id);
                r.forwarder = Some(forwarder.to_string());
                r.size = Some(size as u64);
                fill(&mut r, described);
                vec![r]
            }
            Pending::Garbage { time_ns, topic, id, forwarder, size, error } => {
                let mut r = message(time_ns, Kind::Garbage, topic, &id);
                r.forwarder = Some(forwarder.to_string());
                r.size = Some(size as u64);
                r.summary = Some(error);
                vec![r]
            }
            Pending::Duplicates { time_ns, reports, untracked } => {
                let mut out: Vec<Record> = reports
                    .into_iter()
                    .map(|d| {
                        let mut r = Record::new(time_ns, Kind::Duplicate);
                        r.topic = Some(d.topic.as_str().to_string());
                        r.id = Some(hex::encode(d.id));
                        r.size = Some(d.size as u64);
                        r.count = Some(d.count);
                        r
                    })
                    .collect();
                if untracked > 0 {
                    let mut r = Record::new(time_ns, Kind::Duplicate);
                    r.count = Some(0);
                    r.summary = Some(format!("{untracked} message ids not tracked (table full)"));
                    out.push(r);
                }
                out
            }
            Pending::Mesh { time_ns, topic, peers } => {
                let mut r = Record::new(time_ns, Kind::Mesh);
                r.topic = Some(topic);
                r.peers = Some(peers.iter().map(PeerId::to_string).collect());
                vec![r]
            }
        }
    }
}

fn message(time_ns: u64, kind: Kind, topic: String, id: &MessageId) -> Record {
    let mut r = Record::new(time_ns, kind);
    r.topic = Some(topic);
    r.id = Some(hex::encode(&id.0));
    r
}

fn fill(r: &mut Record, d: Described) {
    r.payload = Some(d.payload.to_string());
    r.source = d.source;
    r.summary = Some(d.summary);
}
