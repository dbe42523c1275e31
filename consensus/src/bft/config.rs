//! The engine's settings: chain id, round timeouts and the bounds that keep memory finite.

use protocol::{ChainId, ConsensusParams, Round};

use super::input::TimeoutKind;

/// Round timeouts in milliseconds. They grow linearly with the round (`base + round · delta`) so
/// that after the network stabilises some round is long enough for everyone (partial synchrony).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub propose_ms: u64,
    pub prevote_ms: u64,
    pub precommit_ms: u64,
    pub delta_ms: u64,
    /// Period of re-sending this round's own messages while the round lasts, so messages lost
    /// to a partition or a drop are eventually delivered (the paper assumes reliable gossip).
    pub rebroadcast_ms: u64,
}

impl Timeouts {
    /// How long to wait for `kind` in `round`. Saturating: a huge round waits "forever".
    pub fn duration(&self, kind: TimeoutKind, round: Round) -> u64 {
        let base = match kind {
            TimeoutKind::Propose => self.propose_ms,
            TimeoutKind::Prevote => self.prevote_ms,
            TimeoutKind::Precommit => self.precommit_ms,
            TimeoutKind::Rebroadcast => return self.rebroadcast_ms.max(1),
        };
        base.saturating_add(u64::from(round.0).saturating_mul(self.delta_ms))
    }
}

impl From<&ConsensusParams> for Timeouts {
    fn from(p: &ConsensusParams) -> Self {
        Timeouts {
            propose_ms: p.timeout_propose_ms,
            prevote_ms: p.timeout_vote_ms,
            precommit_ms: p.timeout_vote_ms,
            delta_ms: p.timeout_delta_ms,
            rebroadcast_ms: p.timeout_vote_ms,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    pub chain: ChainId,
    pub timeouts: Timeouts,
    /// Messages for rounds more than this far above the current round are ignored: it bounds the
    /// rounds of votes kept (and proposer schedules computed) per height.
    pub max_round_lead: u32,
    /// Messages for heights above the current one are buffered up to this many heights ahead…
    pub max_future_heights: u64,
    /// …and up to this many messages in all.
    pub max_buffered: usize,
}

impl EngineConfig {
    pub fn new(chain: ChainId, timeouts: Timeouts) -> EngineConfig {
        EngineConfig {
            chain,
            timeouts,
            max_round_lead: 64,
            max_future_heights: 2,
            max_buffered: 4096,
        }
    }

    pub fn from_params(chain: ChainId, params: &ConsensusParams) -> EngineConfig {
        EngineConfig::new(chain, Timeouts::from(params))
    }
}
