//! A steady transaction load on a running testnet: every node in turn signs a 1-rao transfer
//! from its own coldkey and submits it to its own API, so transactions enter gossip at every
//! node, not only at the validators. Gossip research needs traffic on the tx topic; this makes
//! it at a chosen rate.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use protocol::ids::ChainId;
use protocol::keys::Keypair;
use protocol::transaction::{Payload, Transaction};
use protocol::{PublicKey, Rao};

use crate::http;
use crate::layout::TestnetLayout;
use crate::process;

/// One node taking part in the load.
struct Sender {
    api: SocketAddr,
    coldkey: Keypair,
    next_nonce: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadStats {
    /// Nodes submitting (running, with a funded coldkey).
    pub senders: u64,
    pub submitted: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Transfers skipped because the loop fell behind its schedule (HTTP slower than the rate).
    pub behind: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("no running node with a funded coldkey in {0}")]
    NoSenders(String),
    #[error("reading {path}: {reason}")]
    Key { path: String, reason: String },
}

fn read_key(path: &std::path::Path) -> Result<Keypair, LoadError> {
    let bad = |reason: String| LoadError::Key { path: path.display().to_string(), reason };
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let seed: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| bad("not a 64-hex-character secret".into()))?;
    Ok(Keypair::from_seed(&seed))
}

/// The account's next nonce from a node's API, if its coldkey is funded.
fn funded_nonce(api: SocketAddr, key: &PublicKey) -> Option<u64> {
    let acct = http::get(api, &format!("/accounts/{key}")).ok()?;
    (acct.get("balance")?.as_u64()? > 0).then(|| acct.get("nonce")?.as_u64()).flatten()
}

/// Submits `rate` transfers a second for `duration`, round-robin over the running nodes whose
/// coldkeys are funded; `progress` is called about once a second.
pub fn run(
    layout: &TestnetLayout,
    chain: &ChainId,
    rate: f64,
    duration: Duration,
    mut progress: impl FnMut(&LoadStats, Duration),
) -> Result<LoadStats, LoadError> {
    let mut senders = Vec::new();
    for e in layout.nodes()? {
        let dir = layout.node_dir(&e.name);
        if process::running_pid(layout, &e.name).is_none() {
            continue;
        }
        let Some(api) =
            std::fs::read_to_string(dir.join("api.addr")).ok().and_then(|s| s.trim().parse().ok())
        else {
            continue;
        };
        let coldkey = read_key(&dir.join("coldkey.secret"))?;
        if let Some(next_nonce) = funded_nonce(api, &coldkey.public()) {
            senders.push(Sender { api, coldkey, next_nonce });
        }
    }
    if senders.is_empty() {
        return Err(LoadError::NoSenders(layout.dir.display().to_string()));
    }
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let start = Instant::now();
    let mut stats = LoadStats { senders: senders.len() as u64, ..LoadStats::default() };
    let mut last_progress = start;
    let mut k: u64 = 0;
    while start.elapsed() < duration {
        let due = start + interval.mul_f64(k as f64);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        } else if now - due > interval * 4 {
            // Far behind: skip ahead rather than burst, so the rate stays what was asked.
            let skipped = ((now - due).as_secs_f64() / interval.as_secs_f64()) as u64;
            stats.behind += skipped;
            k += skipped;
            continue;
        }
        let i = (k as usize) % senders.len();
        let to = senders[(i + 1) % senders.len()].coldkey.public();
        let s = &mut senders[i];
        let tx = Transaction::sign(
            &s.coldkey,
            chain,
            s.next_nonce,
            Rao(0),
            Payload::Transfer { to, amount: Rao(1) },
        );
        stats.submitted += 1;
        match serde_json::to_value(&tx).ok().map(|body| http::post(s.api, "/transactions", &body)) {
            Some(Ok(_)) => {
                stats.accepted += 1;
                s.next_nonce += 1;
            }
            _ => {
                stats.rejected += 1;
                // Most likely a nonce out of step (a block dropped a transfer): ask again.
                if let Some(n) = funded_nonce(s.api, &s.coldkey.public()) {
                    s.next_nonce = n;
                }
            }
        }
        k += 1;
        if last_progress.elapsed() >= Duration::from_secs(1) {
            progress(&stats, start.elapsed());
            last_progress = Instant::now();
        }
    }
    Ok(stats)
}
