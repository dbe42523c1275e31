//! Two kinds of failure: a transaction the rules reject ([`TxError`], recorded in the block's
//! results; the chain goes on), and a state the ledger cannot interpret ([`LedgerError`], which
//! stops execution of the block: a node that hits it has a corrupt store or a bug).

use protocol::{Height, NetUid, PriceRao, PublicKey, Rao, Uid};
use thiserror::Error;

/// The ledger cannot go on: the state or the block is not something it can execute.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum LedgerError {
    #[error("state value at key {key} is corrupt ({reason}); restore the store from a snapshot")]
    Corrupt { key: String, reason: String },
    #[error("state has no {0} record: was genesis applied?")]
    Missing(&'static str),
    #[error("block height {got} does not follow the executed height {expected_previous}")]
    HeightMismatch { expected_previous: Height, got: Height },
    #[error("block is for chain `{got}` but this state belongs to `{expected}`")]
    WrongChain { expected: String, got: String },
    #[error("arithmetic overflow in {0}: an invariant of the ledger is broken")]
    Overflow(&'static str),
    #[error("yuma epoch of subnet {netuid} failed: {reason}")]
    Epoch { netuid: NetUid, reason: String },
    #[error("genesis is not usable: {0}")]
    Genesis(String),
}

/// Why a transaction was rejected. Only its fee and nonce took effect (see `execute.rs`), except
/// for the envelope errors (`BadNonce`, `FeeTooLow`, `CannotPayFee`), which change nothing at all.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum TxError {
    // Envelope.
    #[error("nonce {got} is not the signer's next nonce {expected}")]
    BadNonce { expected: u64, got: u64 },
    #[error("fee {fee} is below the minimum {min}")]
    FeeTooLow { fee: Rao, min: Rao },
    #[error("balance {balance} cannot pay the fee {fee}")]
    CannotPayFee { balance: Rao, fee: Rao },

    // Accounts.
    #[error("balance {balance} is less than the {needed} required")]
    InsufficientBalance { balance: Rao, needed: Rao },
    #[error("amount must be positive")]
    ZeroAmount,

    // Subnets.
    #[error("subnet {0} does not exist")]
    UnknownSubnet(NetUid),
    #[error("netuid 0 is root: it has no neurons, weights or pool")]
    RootSubnet,
    #[error("only the owner of subnet {0} may do this")]
    NotSubnetOwner(NetUid),
    #[error("the network already holds its limit of {0} subnets")]
    SubnetLimitReached(u16),
    #[error("subnets can be created every {limit} blocks; next allowed at block {next}")]
    SubnetRateLimited { limit: u64, next: u64 },
    #[error("lock cost {cost} exceeds the maximum {max} you allowed")]
    LockCostAboveMax { cost: Rao, max: Rao },
    #[error("hyperparameter {name} is out of range: {reason}")]
    BadHyperparameter { name: &'static str, reason: String },

    // Registration.
    #[error("subnet {0} does not accept registrations")]
    RegistrationClosed(NetUid),
    #[error("registration burn {burn} exceeds the maximum {max} you allowed")]
    BurnAboveMax { burn: Rao, max: Rao },
    #[error("hotkey {0} is already registered on this subnet")]
    AlreadyRegistered(PublicKey),
    #[error("hotkey {hotkey} belongs to coldkey {owner}")]
    HotkeyOwnedByOther { hotkey: PublicKey, owner: PublicKey },
    #[error("too many registrations on subnet {0} in this block or interval; retry later")]
    RegistrationRateLimited(NetUid),
    #[error("subnet {0} is full and every prunable neuron is still immune")]
    SubnetFullAllImmune(NetUid),
    #[error("hotkey {hotkey} is not registered on subnet {netuid}")]
    NotRegistered { netuid: NetUid, hotkey: PublicKey },
    #[error("at most {max} endpoints of {max_bytes} bytes each")]
    BadEndpoints { max: usize, max_bytes: usize },

    // Staking.
    #[error("hotkey {0} is not known: register it on a subnet first")]
    UnknownHotkey(PublicKey),
    #[error("only the coldkey owning hotkey {0} may do this")]
    NotHotkeyOwner(PublicKey),
    #[error("stake operation of {amount} rao is below the minimum {min} rao")]
    BelowMinStake { amount: u64, min: u64 },
    #[error("stake {have} is less than the {want} requested")]
    InsufficientStake { have: u64, want: u64 },
    #[error("pool of subnet {0} has an empty reserve")]
    EmptyPool(NetUid),
    #[error("amount too small to buy or sell anything at the current price")]
    AmountTooSmall,
    #[error("price {price} is already beyond your limit {limit}")]
    PriceLimitExceeded { price: PriceRao, limit: PriceRao },
    #[error("the swap would move the price to {reached}, beyond your limit {limit}")]
    SlippageExceeded { reached: PriceRao, limit: PriceRao },
    #[error("take {take} exceeds the maximum {max}")]
    TakeTooHigh { take: u16, max: u16 },

    // Weights.
    #[error("commit-reveal is {0} on this subnet: use {1}")]
    WrongWeightsMode(&'static str, &'static str),
    #[error("weights can be set every {limit} blocks; next allowed at block {next}")]
    WeightsRateLimited { limit: u64, next: u64 },
    #[error("uid {0} has no validator permit")]
    NoValidatorPermit(Uid),
    #[error("weight row names uid {0} twice")]
    DuplicateUid(u16),
    #[error("weight row names uid {uid}, but the subnet has {n} uids")]
    UnknownUid { uid: u16, n: u16 },
    #[error("weight row has {got} entries; at least {min} are required")]
    TooFewWeights { got: usize, min: usize },
    #[error("weight row has {got} entries; the subnet has only {n} uids")]
    TooManyWeights { got: usize, n: u16 },
    #[error("a single weight exceeds the subnet's max weight limit {0}/65535")]
    MaxWeightExceeded(u16),
    #[error("at most {0} unrevealed commits per neuron")]
    TooManyCommits(usize),
    #[error("no unrevealed commit matches these weights, salt and version")]
    RevealMismatch,
    #[error("reveal is allowed in epoch {allowed}; this is epoch {now}")]
    RevealTooEarly { allowed: u64, now: u64 },
    #[error("the matching commit expired in epoch {expired}; commit again")]
    RevealExpired { expired: u64 },

    // Ledger validators.
    #[error("hotkey {0} is jailed until block {1}")]
    Jailed(PublicKey, u64),
    #[error("evidence is invalid: {0}")]
    BadEvidence(String),
    #[error("this equivocation was already punished")]
    DuplicateEvidence,
    #[error("{0} is not a ledger validator")]
    NotLedgerValidator(PublicKey),

    // Arithmetic that would overflow if carried out: refused, never wrapped.
    #[error("amount overflow in {0}")]
    Overflow(&'static str),
    /// The state is corrupt: the block fails as a whole (never recorded as a tx result).
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// Shorthand for checked arithmetic inside transactions.
pub(crate) fn ovf(what: &'static str) -> TxError {
    TxError::Overflow(what)
}
