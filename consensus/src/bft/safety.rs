//! The record that keeps a validator from signing twice across crashes.
//!
//! Tendermint signs in strictly increasing `(height, round, step)` order (propose, prevote,
//! precommit within a round; rounds and heights only grow). So a high-water mark is enough: the
//! engine signs only above the last signed slot, or at that slot the very same content again. The
//! record also carries the lock, which changes only together with a precommit, so one record per
//! signature captures both. The node stores it (as `protocol::codec::encode` bytes) durably
//! before the message it guards leaves the process: [`super::Effect::PersistSafety`] always comes
//! before the matching [`super::Effect::Broadcast`] in one batch.
//!
//! While locked, the record also carries the lock's proof: the locked block and the prevotes of
//! its polka. Safety does not need them, liveness does: if every validator that saw the polka
//! crashes, a locked validator must still be able to re-propose the value with a justification
//! others can check (line 28), or the locked validators and the rest wait for each other forever
//! (the simulator's every-node-crashes scenario found this). It is what CometBFT gets from
//! replaying its WAL, kept to the one thing that matters.

use serde::{Deserialize, Serialize};

use protocol::block::MAX_BLOCK_BYTES;
use protocol::codec::{self, DecodeError, Encodable};
use protocol::consensus::MAX_VALIDATORS;
use protocol::consensus::ProposalBody;
use protocol::{Block, Hash, Height, Round, Signature, Vote, VoteKind};

/// A step of a round, in the order a validator signs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Step {
    Propose,
    Prevote,
    Precommit,
}

impl Step {
    pub fn of_vote(kind: VoteKind) -> Step {
        match kind {
            VoteKind::Prevote => Step::Prevote,
            VoteKind::Precommit => Step::Precommit,
        }
    }
}

/// A value this validator is locked on: it precommitted `value` in `round`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    pub round: Round,
    pub value: Hash,
}

/// What justifies a lock: the block and the prevotes for it in the lock's round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockProof {
    pub block: Block,
    pub prevotes: Vec<Vote>,
}

/// The last thing signed, whole, so that it can be re-sent after a restart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Signed {
    /// A proposal's signed part (the block is not kept: it can be large and is not needed to
    /// refuse a second, different proposal).
    Proposal {
        body: ProposalBody,
        signature: Signature,
    },
    Vote(Vote),
}

/// The persisted high-water mark of a validator's signatures, with its lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyRecord {
    pub height: Height,
    pub round: Round,
    pub step: Step,
    pub signed: Signed,
    /// When `signed` is a precommit: this validator's prevote of the same round, so that both
    /// can be re-sent after a restart (peers that lost them would otherwise wait forever).
    pub prevote: Option<Vote>,
    /// The lock at `height` (meaningless at other heights).
    pub locked: Option<Lock>,
    /// The lock's block and polka, while locked.
    pub lock_proof: Option<Box<LockProof>>,
}

impl Encodable for SafetyRecord {
    const NAME: &'static str = "safety record";
    const MAX_LEN: usize = MAX_BLOCK_BYTES + 4096 + MAX_VALIDATORS * 256;
}

/// What the high-water mark allows for a message about to be signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permit {
    /// Strictly above the mark: sign, persist, send.
    Fresh,
    /// Exactly the last signed content again: re-send it, nothing new is signed.
    Repeat(Signed),
    /// At or below the mark with different content, or below it: signing would equivocate.
    Refuse,
}

/// The content hash a slot was signed for: a proposal's block, a vote's value.
fn content(signed: &Signed) -> Option<Hash> {
    match signed {
        Signed::Proposal { body, .. } => Some(body.block_hash),
        Signed::Vote(v) => v.body.value,
    }
}

impl SafetyRecord {
    pub fn slot(&self) -> (Height, Round, Step) {
        (self.height, self.round, self.step)
    }

    /// Whether `(height, round, step)` with content `value` may be signed.
    pub fn permits(&self, height: Height, round: Round, step: Step, value: Option<Hash>) -> Permit {
        let slot = (height, round, step);
        if slot > self.slot() {
            Permit::Fresh
        } else if slot == self.slot() && content(&self.signed) == value {
            Permit::Repeat(self.signed.clone())
        } else {
            Permit::Refuse
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        codec::encode(self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<SafetyRecord, DecodeError> {
        codec::decode(bytes)
    }
}

/// `permits` for a validator that has never signed: everything is fresh.
pub fn permits(
    record: Option<&SafetyRecord>,
    height: Height,
    round: Round,
    step: Step,
    value: Option<Hash>,
) -> Permit {
    record.map_or(Permit::Fresh, |r| r.permits(height, round, step, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{ChainId, Keypair};

    fn record(round: u32, kind: VoteKind, value: Option<Hash>) -> SafetyRecord {
        let kp = Keypair::from_seed(&[1; 32]);
        let chain = ChainId::new("test").unwrap();
        let vote = Vote::sign(&kp, &chain, kind, Height(5), Round(round), value);
        SafetyRecord {
            height: Height(5),
            round: Round(round),
            step: Step::of_vote(kind),
            signed: Signed::Vote(vote),
            prevote: None,
            locked: value.map(|value| Lock { round: Round(round), value }),
            lock_proof: None,
        }
    }

    #[test]
    fn high_water_mark() {
        let v = Some(Hash([7; 32]));
        let r = record(2, VoteKind::Prevote, v);
        assert_eq!(r.permits(Height(5), Round(2), Step::Precommit, None), Permit::Fresh);
        assert_eq!(r.permits(Height(5), Round(3), Step::Propose, v), Permit::Fresh);
        assert_eq!(r.permits(Height(6), Round(0), Step::Propose, v), Permit::Fresh);
        assert!(matches!(r.permits(Height(5), Round(2), Step::Prevote, v), Permit::Repeat(_)));
        assert_eq!(r.permits(Height(5), Round(2), Step::Prevote, None), Permit::Refuse);
        assert_eq!(r.permits(Height(5), Round(2), Step::Propose, v), Permit::Refuse);
        assert_eq!(r.permits(Height(5), Round(1), Step::Precommit, v), Permit::Refuse);
        assert_eq!(r.permits(Height(4), Round(9), Step::Precommit, v), Permit::Refuse);
        assert_eq!(permits(None, Height(0), Round(0), Step::Propose, None), Permit::Fresh);
    }

    #[test]
    fn bytes_round_trip_and_are_bounded() {
        let r = record(3, VoteKind::Precommit, Some(Hash([1; 32])));
        let bytes = r.to_bytes();
        assert!(bytes.len() < 512, "a record without a lock proof stays small");
        assert_eq!(SafetyRecord::from_bytes(&bytes).unwrap(), r);
        assert!(SafetyRecord::from_bytes(&bytes[..bytes.len() - 1]).is_err());
    }
}
