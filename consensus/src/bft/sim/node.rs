//! One simulated node's host: its engine (absent while crashed), its disk (safety record and
//! decided chain), and how it builds and judges blocks.

use std::collections::BTreeMap;

use protocol::block::{BlockHeader, transactions_root};
use protocol::transaction::TransactionBody;
use protocol::{
    Block, CommitCertificate, Hash, Height, Keypair, NetUid, Payload, Rao, Signature, Transaction,
};

use crate::bft::Engine;

use super::rng::SimRng;
use super::scenario::Behaviour;

/// A decided height as the node stored it. `block` is `None` until sync delivered it.
#[derive(Clone, Debug)]
pub struct Decided {
    pub cert: CommitCertificate,
    pub block: Option<Block>,
    /// Simulated time of the decision.
    pub at_ms: u64,
}

/// What survives a crash.
#[derive(Clone, Debug, Default)]
pub struct Disk {
    /// `SafetyRecord::to_bytes()`, as the node's storage keeps it.
    pub safety: Option<Vec<u8>>,
    pub chain: Vec<Decided>,
}

pub struct SimNode {
    pub key: Keypair,
    pub behaviour: Behaviour,
    pub engine: Option<Engine>,
    /// Bumped on every crash, so timers of a previous life are dropped.
    pub incarnation: u32,
    pub disk: Disk,
    pub rng: SimRng,
    /// Last time a sync reply for (peer, height) was sent, to avoid answering every message.
    pub sync_sent: BTreeMap<(usize, u64), u64>,
}

impl SimNode {
    /// The next height to decide.
    pub fn next_height(&self) -> u64 {
        self.disk.chain.len() as u64 + 1
    }

    /// Hash of the last decided block (zero before the first).
    pub fn last_hash(&self) -> Hash {
        self.disk.chain.last().map_or(Hash::ZERO, |d| d.cert.block_hash)
    }
}

/// The simulated state commitment: a chain of the decided block hashes.
pub fn app_hash(prev: &Hash) -> Hash {
    Hash::digest_parts(&[b"sim-app", prev.as_bytes()])
}

/// Marks a block as one that validation must refuse (InvalidProposer).
const POISON_FEE: Rao = Rao(u64::MAX);

/// A block on top of `prev` (the certificate of `height - 1`), made unique by `nonce` so that two
/// proposers (or twins) never build the same block by accident.
pub fn make_block(
    key: &Keypair,
    height: u64,
    prev: Option<&CommitCertificate>,
    set_hash: Hash,
    now_ms: u64,
    nonce: u64,
    invalid: bool,
) -> Block {
    let prev_hash = prev.map_or(Hash::ZERO, |c| c.block_hash);
    let tx = Transaction {
        body: TransactionBody {
            signer: key.public(),
            nonce,
            fee: if invalid { POISON_FEE } else { Rao(0) },
            payload: Payload::CommitWeights { netuid: NetUid(0), commitment: Hash::ZERO },
        },
        // The simulated ledger does not execute transactions; the signature is not checked.
        signature: Signature::default(),
    };
    let transactions = vec![tx];
    Block {
        header: BlockHeader {
            height: Height(height),
            prev_hash,
            time_ms: now_ms,
            proposer: key.public(),
            transactions_root: transactions_root(&transactions),
            app_hash: app_hash(&prev_hash),
            validator_set_hash: set_hash,
            last_commit_hash: prev.map_or(Hash::ZERO, CommitCertificate::hash),
        },
        last_commit: prev.cloned(),
        transactions,
    }
}

/// The simulated ledger's validity: well formed, on top of `prev_hash`, for the right set.
pub fn check_block(
    block: &Block,
    height: u64,
    prev_hash: Hash,
    set_hash: Hash,
) -> Result<(), &'static str> {
    let h = &block.header;
    if h.height != Height(height) {
        return Err("wrong height");
    }
    if h.prev_hash != prev_hash {
        return Err("not on top of the decided chain");
    }
    if h.app_hash != app_hash(&prev_hash) {
        return Err("wrong app hash");
    }
    if h.validator_set_hash != set_hash {
        return Err("wrong validator set hash");
    }
    if block.check_shape().is_err() {
        return Err("body does not match header");
    }
    match &block.last_commit {
        None if height > 1 => return Err("missing last commit"),
        Some(c) if c.block_hash != prev_hash => return Err("last commit for another block"),
        _ => {}
    }
    if block.transactions.iter().any(|t| t.body.fee == POISON_FEE) {
        return Err("poisoned transaction");
    }
    Ok(())
}
