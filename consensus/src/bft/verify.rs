//! Signature checks, behind a trait so they can be shared and memoised.
//!
//! The engine verifies every proposal and vote it counts, through a [`SignatureVerifier`]. The
//! default is plain ed25519. [`CachingVerifier`] memoises results by `blake3(body ‖ signature)`:
//! a node that sees a vote twice (gossip duplicates, a certificate made of votes it already
//! counted) pays once, and the simulator shares one cache among all its nodes so each signature
//! in a run is verified once. Memoising a pure function changes no outcome, only the cost.

use std::collections::HashMap;
use std::sync::Mutex;

use protocol::consensus::ProposalError;
use protocol::{ChainId, Domain, Hash, Proposal, SignatureError, Vote, codec};

pub trait SignatureVerifier: Send + Sync {
    fn verify_vote(&self, chain: &ChainId, vote: &Vote) -> Result<(), SignatureError>;
    fn verify_proposal(&self, chain: &ChainId, proposal: &Proposal) -> Result<(), ProposalError>;
}

/// Verifies every signature, every time.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ed25519Verifier;

impl SignatureVerifier for Ed25519Verifier {
    fn verify_vote(&self, chain: &ChainId, vote: &Vote) -> Result<(), SignatureError> {
        vote.verify(chain)
    }

    fn verify_proposal(&self, chain: &ChainId, proposal: &Proposal) -> Result<(), ProposalError> {
        proposal.verify(chain)
    }
}

/// Remembers up to `capacity` signature verdicts (then starts over: a cache, not a ledger).
#[derive(Debug)]
pub struct CachingVerifier {
    capacity: usize,
    seen: Mutex<HashMap<Hash, Result<(), SignatureError>>>,
    /// Signatures actually checked (cache misses), for measurements.
    checked: Mutex<u64>,
}

impl CachingVerifier {
    pub fn new(capacity: usize) -> CachingVerifier {
        CachingVerifier { capacity, seen: Mutex::new(HashMap::new()), checked: Mutex::new(0) }
    }

    /// How many signatures were really verified (not answered from the cache).
    pub fn checked(&self) -> u64 {
        self.checked.lock().map(|c| *c).unwrap_or(0)
    }

    fn memo(
        &self,
        body: &[u8],
        sig: &[u8; 64],
        check: impl FnOnce() -> Result<(), SignatureError>,
    ) -> Result<(), SignatureError> {
        let key = Hash::digest_parts(&[body, sig]);
        if let Ok(seen) = self.seen.lock()
            && let Some(r) = seen.get(&key)
        {
            return r.clone();
        }
        let result = check();
        if let Ok(mut c) = self.checked.lock() {
            *c += 1;
        }
        if let Ok(mut seen) = self.seen.lock() {
            if seen.len() >= self.capacity {
                seen.clear();
            }
            seen.insert(key, result.clone());
        }
        result
    }
}

impl SignatureVerifier for CachingVerifier {
    fn verify_vote(&self, chain: &ChainId, vote: &Vote) -> Result<(), SignatureError> {
        // The chain is part of what is signed, so it is part of the key.
        let body = codec::encode(&(chain, &vote.body));
        self.memo(&body, &vote.signature.0, || vote.verify(chain))
    }

    fn verify_proposal(&self, chain: &ChainId, proposal: &Proposal) -> Result<(), ProposalError> {
        let body = codec::encode(&(chain, &proposal.body));
        let p = &proposal.body;
        self.memo(&body, &proposal.signature.0, || {
            p.proposer.verify(Domain::Proposal, chain, &codec::encode(p), &proposal.signature)
        })?;
        // Cheap and not covered by the signature: that the carried block is the signed one.
        let carried = proposal.block.hash();
        if carried != p.block_hash {
            return Err(ProposalError::BlockMismatch { named: p.block_hash, carried });
        }
        if proposal.block.header.height != p.height {
            return Err(ProposalError::HeightMismatch {
                proposal: p.height,
                block: proposal.block.header.height,
            });
        }
        Ok(())
    }
}
