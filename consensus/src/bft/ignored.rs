//! Why an input changed nothing. Every malformed, stale or hostile input ends here, typed, never
//! in a panic. For network inputs the host may use the reason to score the sending peer.

use protocol::consensus::ProposalError;
use protocol::{Height, PublicKey, Round, SignatureError};

/// Why a commit certificate does not prove a decision.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("certificate has {0} signatures, more than any validator set holds")]
    TooManySignatures(usize),
    #[error("validator {0} signs the certificate twice")]
    DuplicateSigner(PublicKey),
    #[error("{0} is not a validator of the certificate's height")]
    UnknownSigner(PublicKey),
    #[error("signature of {validator} does not verify: {error}")]
    BadSignature { validator: PublicKey, error: SignatureError },
    #[error("signers hold {power} of {total} power, not more than two thirds")]
    InsufficientPower { power: u64, total: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ignored {
    #[error("no height started yet: send Input::StartHeight first")]
    NotStarted,
    #[error("height {requested} does not come after the current height {current}")]
    HeightNotIncreasing { current: Height, requested: Height },
    #[error("message for height {theirs}, below our height {ours}")]
    OldHeight { ours: Height, theirs: Height },
    #[error("message for future height {theirs} (ours {ours}) buffered until that height starts")]
    Buffered { ours: Height, theirs: Height },
    #[error("message for height {theirs} is too far ahead of our height {ours}")]
    TooFarAhead { ours: Height, theirs: Height },
    #[error("future-height buffer is full; message dropped")]
    BufferFull,
    #[error("round {theirs} is more than the allowed lead ahead of our round {ours}")]
    RoundTooFar { ours: Round, theirs: Round },
    #[error("{key} is not a validator at height {height}")]
    NotAValidator { key: PublicKey, height: Height },
    #[error("vote signature: {0}")]
    BadSignature(SignatureError),
    #[error("invalid proposal: {0}")]
    InvalidProposal(ProposalError),
    #[error("proposal for round {round} signed by {got}, but that round's proposer is {expected}")]
    WrongProposer { round: Round, expected: PublicKey, got: PublicKey },
    #[error("proposal's POL round {pol_round} is not below its round {round}")]
    InvalidPolRound { round: Round, pol_round: Round },
    #[error("a different proposal for round {round} arrived first; keeping that one")]
    ConflictingProposal { round: Round },
    #[error("already have this message")]
    Duplicate,
    #[error("conflicting vote from {0}, already reported; not counted")]
    Equivocation(PublicKey),
    #[error("height {0} is already decided")]
    AlreadyDecided(Height),
    #[error("invalid commit certificate: {0}")]
    InvalidCertificate(#[from] CertificateError),
    #[error("timeout is not for the current height, round and step")]
    StaleTimeout,
    #[error("value for height {height} round {round} arrived when no longer wanted")]
    StaleValue { height: Height, round: Round },
    #[error("value's block is for height {block}, but height {height} asked for it")]
    ValueHeightMismatch { height: Height, block: Height },
    #[error("verdict for a block the engine did not ask about")]
    UnrequestedVerdict,
}
