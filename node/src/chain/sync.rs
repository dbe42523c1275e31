//! Block sync: serving finalised blocks by height range, and deciding whom to ask for what when
//! this node is behind (a new joiner, a restarted validator, a partition's losing side).

use std::collections::BTreeMap;

use libp2p::PeerId;
use protocol::Height;
use protocol::wire::{CertifiedBlock, MAX_SYNC_BLOCKS, SyncRequest, SyncResponse};
use storage::Store;

/// Bytes of blocks one response carries at most (below the response's decode ceiling).
const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// Answers a sync request from the store: consecutive blocks from `from`, bounded in count and size.
pub fn serve(store: &dyn Store, request: SyncRequest, tip: Height) -> SyncResponse {
    let mut blocks = Vec::new();
    let mut bytes = 0usize;
    let last = request.to.0.min(tip.0).min(request.from.0.saturating_add(MAX_SYNC_BLOCKS - 1));
    let mut h = request.from.0.max(1);
    while h <= last {
        let (Ok(Some(block)), Ok(Some(certificate))) =
            (store.block(Height(h)), store.certificate(Height(h)))
        else {
            break;
        };
        let cb = CertifiedBlock { block, certificate };
        bytes += protocol::codec::encode(&cb).len();
        if bytes > MAX_RESPONSE_BYTES && !blocks.is_empty() {
            break;
        }
        blocks.push(cb);
        h += 1;
    }
    SyncResponse { blocks, tip }
}

/// What the node knows about how far the chain has gone elsewhere.
#[derive(Default)]
pub struct SyncState {
    peers: BTreeMap<PeerId, Height>,
    best_seen: Height,
    /// Rotates requests over peers.
    cursor: usize,
    /// Ticks since the tip last moved; a stuck node probes peers even without evidence it is behind.
    idle_ticks: u32,
}

/// Probe a peer after this many idle ticks even when nothing says we are behind.
const PROBE_AFTER_IDLE_TICKS: u32 = 4;

impl SyncState {
    pub fn peer_up(&mut self, p: PeerId) {
        self.peers.entry(p).or_insert(Height(0));
    }

    pub fn peer_down(&mut self, p: &PeerId) {
        self.peers.remove(p);
    }

    pub fn peer_tip(&mut self, p: PeerId, tip: Height) {
        self.peers.insert(p, tip);
        self.seen(tip);
    }

    /// Evidence that the chain has reached at least `height`.
    pub fn seen(&mut self, height: Height) {
        self.best_seen = self.best_seen.max(height);
    }

    pub fn want(&mut self, height: Height) {
        self.seen(height);
    }

    pub fn committed(&mut self, _height: Height) {
        self.idle_ticks = 0;
    }

    pub fn best_seen(&self) -> Height {
        self.best_seen
    }

    pub fn is_behind(&self, tip: Height) -> bool {
        self.best_seen.0 > tip.0 + 1
    }

    /// A request to send this tick, if any: when behind, to a peer known (or hoped) to be ahead.
    pub fn next_request(&mut self, tip: Height) -> Option<(PeerId, SyncRequest)> {
        self.idle_ticks = self.idle_ticks.saturating_add(1);
        let behind = self.best_seen.0 > tip.0;
        if (!behind && self.idle_ticks < PROBE_AFTER_IDLE_TICKS) || self.peers.is_empty() {
            return None;
        }
        if !behind {
            self.idle_ticks = 0;
        }
        let ahead: Vec<PeerId> =
            self.peers.iter().filter(|(_, t)| t.0 > tip.0).map(|(p, _)| *p).collect();
        let candidates: Vec<PeerId> =
            if ahead.is_empty() { self.peers.keys().copied().collect() } else { ahead };
        self.cursor = self.cursor.wrapping_add(1);
        let peer = candidates[self.cursor % candidates.len()];
        let from = Height(tip.0 + 1);
        Some((peer, SyncRequest { from, to: Height(tip.0 + MAX_SYNC_BLOCKS) }))
    }
}
