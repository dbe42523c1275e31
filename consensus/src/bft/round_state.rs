//! What the engine knows about the height in progress: round, step, lock, valid value, the
//! proposals and votes received, and the "for the first time" flags of the paper's rules.

use std::collections::{BTreeMap, BTreeSet};

use protocol::{Block, Hash, Height, Proposal, PublicKey, Round, Vote, VoteKind};

use super::proposer_priority::ProposerSchedule;
use super::safety::{Lock, LockProof, Step};
use super::validator_set::ValidatorSet;
use super::vote_keeper::VoteKeeper;

/// Once-per-round guards (the paper's "for the first time").
#[derive(Debug, Clone, Default)]
pub(crate) struct RoundFlags {
    /// Line 34: prevote timeout scheduled.
    pub prevote_timeout: bool,
    /// Line 47: precommit timeout scheduled.
    pub precommit_timeout: bool,
    /// Line 36: a polka for this round's proposal was acted on.
    pub polka: bool,
    /// This validator proposed (or asked the host for a value) in this round.
    pub proposing: bool,
}

/// This validator's own messages of the current round, re-sent on the rebroadcast timer.
#[derive(Debug, Clone, Default)]
pub(crate) struct OwnMessages {
    pub proposal: Option<Proposal>,
    pub prevote: Option<Vote>,
    pub precommit: Option<Vote>,
}

#[derive(Debug, Clone)]
pub(crate) struct HeightState {
    pub height: Height,
    pub validators: ValidatorSet,
    pub schedule: ProposerSchedule,
    /// This node's power, `None` if it only follows.
    pub my_power: Option<u64>,
    pub keeper: VoteKeeper,
    pub round: Round,
    pub step: Step,
    pub locked: Option<Lock>,
    /// The paper's validValue/validRound: the latest value with a polka and a valid proposal.
    pub valid: Option<Lock>,
    /// The first well-formed proposal of each round from that round's proposer.
    pub proposals: BTreeMap<Round, Proposal>,
    pub verdicts: BTreeMap<Hash, bool>,
    pub requested: BTreeSet<Hash>,
    pub flags: RoundFlags,
    pub own: OwnMessages,
    pub decided: bool,
    /// The locked block restored from the safety record after a restart.
    pub restored_block: Option<Block>,
}

impl HeightState {
    pub fn new(height: Height, validators: ValidatorSet, me: &PublicKey) -> HeightState {
        HeightState {
            height,
            schedule: validators.schedule(),
            my_power: validators.power_of(me),
            keeper: VoteKeeper::new(validators.total_power()),
            validators,
            round: Round(0),
            step: Step::Propose,
            locked: None,
            valid: None,
            proposals: BTreeMap::new(),
            verdicts: BTreeMap::new(),
            requested: BTreeSet::new(),
            flags: RoundFlags::default(),
            own: OwnMessages::default(),
            decided: false,
            restored_block: None,
        }
    }

    /// The proposer of `round` (rounds are bounded by the caller's round window).
    pub fn proposer(&mut self, round: Round) -> PublicKey {
        let i = self.schedule.proposer_index(round.0);
        self.validators.validators().get(i).map(|v| v.key).unwrap_or_default()
    }

    /// A block received in any proposal of this height.
    pub fn block(&self, hash: &Hash) -> Option<&Block> {
        self.proposals
            .values()
            .map(|p| &p.block)
            .chain(self.restored_block.as_ref())
            .find(|b| b.hash() == *hash)
    }

    /// The locked block and its polka, for the safety record.
    pub fn lock_proof(&self) -> Option<Box<LockProof>> {
        let lock = self.locked?;
        let block = self.block(&lock.value)?.clone();
        let prevotes = self
            .keeper
            .votes_for(lock.round, VoteKind::Prevote, Some(lock.value))
            .cloned()
            .collect();
        Some(Box::new(LockProof { block, prevotes }))
    }

    /// The host's verdict on a block, if given yet.
    pub fn verdict(&self, hash: &Hash) -> Option<bool> {
        self.verdicts.get(hash).copied()
    }

    /// Whether `round` is within the window of rounds the engine keeps messages for.
    pub fn round_in_window(&self, round: Round, lead: u32) -> bool {
        u64::from(round.0) <= u64::from(self.round.0) + u64::from(lead)
    }
}
