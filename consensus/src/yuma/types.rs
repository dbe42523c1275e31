//! Plain data in and out of the Yuma epoch, and its error type.

use thiserror::Error;

/// Most neurons an epoch accepts: a uid is a `u16`.
pub const MAX_NEURONS: usize = u16::MAX as usize + 1;

/// Largest `bonds_moving_average` (per 1e6): 1.0, i.e. bonds never move.
pub const MAX_BONDS_MOVING_AVERAGE: u64 = 1_000_000;

/// Liquid-alpha settings (economics.md §5 step 12), as the subnet stores them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiquidAlphaParams {
    /// Lower EMA coefficient, u16-normalised (`AlphaValues.0`, e.g. 45,875 ≈ 0.7).
    pub alpha_low_u16: u16,
    /// Upper EMA coefficient, u16-normalised (`AlphaValues.1`).
    pub alpha_high_u16: u16,
    /// Sigmoid slope ×100 (`AlphaSigmoidSteepness`, default 1,000 → slope 10).
    pub steepness: i16,
}

/// One uid's state as the epoch reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NeuronEpochState {
    /// Raw stake weight in rao (alpha + weighted root stake, already resolved by the ledger).
    pub stake: u64,
    /// Block of the last `set_weights` / commit, or of registration.
    pub last_update: u64,
    /// Block at which this uid was (last) registered.
    pub block_at_registration: u64,
    /// Stored permit, i.e. the `validator_permit` output of the previous epoch.
    pub validator_permit: bool,
    /// Commit-reveal only: block of this uid's earliest unexpired weight commit.
    /// `None` when it has none, or when commit-reveal is off for the subnet.
    pub earliest_commit_block: Option<u64>,
    /// Stored weight row `(uid, value)`, row max-upscaled u16 (only ratios matter).
    pub weights: Vec<(u16, u16)>,
    /// Stored bond row `(uid, value)`: column max-upscaled u16 for classic Yuma,
    /// absolute u16 proportions for Yuma3 (whichever rule wrote it).
    pub bonds: Vec<(u16, u16)>,
}

/// Everything one epoch of one subnet needs. Uid `i` is `neurons[i]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochInput {
    /// Current block `t`.
    pub block: u64,
    /// Subnet tempo `T`.
    pub tempo: u64,
    /// Activity cutoff in blocks, already resolved (§5: `max(1, ⌊factor·T/1000⌋)`).
    pub activity_cutoff: u64,
    /// Kappa, u16-normalised.
    pub kappa_u16: u16,
    /// Bonds penalty β, u16-normalised.
    pub bonds_penalty_u16: u16,
    /// Bonds moving average, per 1e6 (≤ 1,000,000).
    pub bonds_moving_average: u64,
    /// `MaxAllowedValidators` K.
    pub max_allowed_validators: u16,
    /// Stake (rao) below which a non-owner uid counts as zero stake.
    pub stake_threshold: u64,
    /// Uid of the subnet owner's hotkey, if registered.
    pub owner_uid: Option<u16>,
    /// Bond rule: Yuma3 (§5 step 12) when true, classic (§5 step 11) otherwise.
    pub yuma3: bool,
    /// Liquid alpha; only used by the Yuma3 rule.
    pub liquid_alpha: Option<LiquidAlphaParams>,
    /// Block of the previous epoch of this subnet, `None` if it never ran.
    pub last_mechanism_step_block: Option<u64>,
    /// Neurons by uid.
    pub neurons: Vec<NeuronEpochState>,
    /// Rao to distribute this epoch.
    pub emission_rao: u64,
}

/// What happens to a uid's stored bond row (§5 step 14).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BondsUpdate {
    /// The uid holds a new permit: store this row (ascending uids, zero entries omitted).
    Replace(Vec<(u16, u16)>),
    /// The uid lost its permit: clear its row.
    Clear,
    /// The uid had and has no permit: leave its row as it is.
    Keep,
}

/// One uid's epoch results. u16 values are proportions (`⌊x·65535⌋`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeuronEpochOutput {
    /// `last_update + activity_cutoff ≥ block`.
    pub active: bool,
    /// Stake-weighted median of the weights on this uid.
    pub consensus: u16,
    /// Share of miner emission.
    pub incentive: u16,
    /// Share of validator emission.
    pub dividends: u16,
    /// Sum of this validator's weights after clipping at consensus.
    pub validator_trust: u16,
    /// Normalised (threshold-filtered) stake.
    pub stake_weight: u16,
    /// Rao earned as a miner.
    pub server_emission: u64,
    /// Rao earned as a validator.
    pub validator_emission: u64,
    /// Subtensor's stored `Emission`: normalised (incentive + dividends) × rao, truncated
    /// once (so it may differ by one rao from `server_emission + validator_emission`).
    /// Pruning reads it.
    pub emission: u64,
    /// Permit to store; it takes effect at the next epoch.
    pub validator_permit: bool,
    /// What to do with this uid's stored bond row.
    pub bonds: BondsUpdate,
}

/// Results by uid, same order as `EpochInput::neurons`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochOutput {
    /// One entry per uid.
    pub neurons: Vec<NeuronEpochOutput>,
}

/// Inputs the epoch refuses to interpret.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum EpochError {
    /// More neurons than uids exist.
    #[error("subnet has {n} neurons but uids are u16 (at most {MAX_NEURONS}); trim the subnet")]
    TooManyNeurons {
        /// Neurons given.
        n: usize,
    },
    /// A stored weight row names the same uid twice; the ledger must store one entry per uid.
    #[error("weight row of uid {row} names uid {uid} twice; deduplicate stored weights")]
    DuplicateWeight {
        /// Row (setter uid).
        row: u16,
        /// Repeated target uid.
        uid: u16,
    },
    /// A stored bond row names the same uid twice.
    #[error("bond row of uid {row} names uid {uid} twice; deduplicate stored bonds")]
    DuplicateBond {
        /// Row (holder uid).
        row: u16,
        /// Repeated target uid.
        uid: u16,
    },
    /// Total stake above `i64::MAX` rao cannot be normalised in `I64F64` (the supply cap keeps
    /// real subnets far below it).
    #[error("total stake {0} rao exceeds 2^63 - 1; stake weights must respect the supply cap")]
    StakeOverflow(u128),
    /// `bonds_moving_average` above 1,000,000 would give a negative EMA coefficient.
    #[error("bonds_moving_average {0} exceeds 1,000,000 (per-million); clamp the hyperparameter")]
    BondsMovingAverageOutOfRange(u64),
}
