//! Everything the engine asks its host to do, in the order it must be done.

use protocol::{Block, CommitCertificate, ConsensusMessage, EquivocationEvidence, Height, Round};

use super::input::Timeout;
use super::safety::SafetyRecord;

/// One side effect. A batch (`Vec<Effect>`) is carried out in order: in particular a
/// `PersistSafety` must be durable before any later `Broadcast` of the same batch is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Store the record durably (e.g. `record.to_bytes()` in one synced write) before going on.
    PersistSafety(SafetyRecord),
    /// Send to every validator (gossip). The engine has already counted its own message.
    Broadcast(ConsensusMessage),
    /// Feed `Input::Timeout(timeout)` back after `after_ms` milliseconds. Timers are never
    /// cancelled: stale ones are ignored, so the host may also drop them after a new height.
    ScheduleTimeout { timeout: Timeout, after_ms: u64 },
    /// This validator proposes in `(height, round)`: answer with `Input::ValueReady`.
    RequestValue { height: Height, round: Round },
    /// Judge the block (transactions, state, header fields): answer with `Input::BlockVerdict`.
    ValidateBlock { height: Height, round: Round, block: Block },
    /// `certificate.height` is final. `block` is the decided block if the engine holds it; if
    /// `None` (decided from a certificate for a block never received), the host fetches the
    /// block with hash `certificate.block_hash` by sync before executing it. Either way the
    /// host then sends `Input::StartHeight` for the next height.
    Decide { certificate: CommitCertificate, block: Option<Box<Block>> },
    /// Two conflicting votes by one validator, for the ledger (slashing) and for gossip.
    Evidence(Box<EquivocationEvidence>),
}
