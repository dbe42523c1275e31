//! Everything that can happen to the engine: the whole input surface as one enum.

use protocol::{Block, CommitCertificate, ConsensusMessage, Hash, Height, Proposal, Round, Vote};

use super::validator_set::ValidatorSet;

/// Which timer fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimeoutKind {
    Propose,
    Prevote,
    Precommit,
    /// Re-send this round's own messages (see [`super::Timeouts::rebroadcast_ms`]).
    Rebroadcast,
}

/// A timer the engine asked for, handed back when it fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timeout {
    pub height: Height,
    pub round: Round,
    pub kind: TimeoutKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Begin `height`, voted on by `validators`. Heights must increase; after a restart, pass the
    /// first undecided height and the engine resumes from its safety record.
    StartHeight { height: Height, validators: ValidatorSet },
    /// A proposal from the network (signature not yet checked).
    Proposal(Proposal),
    /// A vote from the network (signature not yet checked).
    Vote(Vote),
    /// A commit certificate seen on the network or fetched by sync: decides its height if valid.
    Commit(CommitCertificate),
    /// A timer scheduled by [`super::Effect::ScheduleTimeout`] fired.
    Timeout(Timeout),
    /// The host's answer to [`super::Effect::RequestValue`]: the block to propose.
    ValueReady { height: Height, round: Round, block: Block },
    /// The host's answer to [`super::Effect::ValidateBlock`].
    BlockVerdict { height: Height, block_hash: Hash, valid: bool },
}

impl From<ConsensusMessage> for Input {
    fn from(m: ConsensusMessage) -> Self {
        match m {
            ConsensusMessage::Proposal(p) => Input::Proposal(*p),
            ConsensusMessage::Vote(v) => Input::Vote(v),
            ConsensusMessage::Commit(c) => Input::Commit(c),
        }
    }
}
