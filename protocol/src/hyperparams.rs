//! Subnet hyperparameters and network-wide economic and consensus constants.
//!
//! Defaults are subtensor's values for a new subnet (shared/economics.md §11), so a tau subnet
//! behaves like a Bittensor one unless its owner says otherwise. Units are the chain's: u16
//! proportions are `/65535`, `bonds_moving_average` is `/1_000_000`, durations are in blocks.

use serde::{Deserialize, Serialize};

use crate::amount::Rao;

/// Longest task name a subnet may declare.
pub const MAX_TASK_NAME_LEN: usize = 32;

/// What a subnet's owner can set (with `SetHyperparameters`), and what its epoch reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubnetHyperparameters {
    /// Blocks per epoch; Yuma runs once per tempo.
    pub tempo: u16,
    pub max_uids: u16,
    /// Number of validator permits (top stakes).
    pub max_validators: u16,
    /// Blocks a newly registered uid cannot be pruned.
    pub immunity_period: u64,
    pub min_allowed_weights: u16,
    /// Largest single weight, as a u16 proportion of the row.
    pub max_weight_limit: u16,
    /// Blocks between two weight settings of one validator.
    pub weights_rate_limit: u64,
    /// Validators whose last weights are older than `tempo · factor / 1000` blocks are inactive.
    pub activity_cutoff_factor_milli: u32,
    /// Stake share that must support a weight for it to count in consensus (u16 proportion).
    pub kappa: u16,
    /// Bond EMA retention per epoch, per million.
    pub bonds_moving_average: u64,
    /// How far bonds follow clipped weights rather than raw ones (u16 proportion).
    pub bonds_penalty: u16,
    /// Yuma3 bonds (absolute EMA) rather than classic bonds.
    pub yuma3: bool,
    pub liquid_alpha_enabled: bool,
    /// Liquid alpha's range (u16 proportions) and sigmoid steepness (/100).
    pub alpha_low: u16,
    pub alpha_high: u16,
    pub alpha_sigmoid_steepness: u16,
    pub commit_reveal_enabled: bool,
    /// Epochs between a weight commit and its reveal.
    pub reveal_period_epochs: u64,
    pub registration_allowed: bool,
    pub min_burn: Rao,
    pub max_burn: Rao,
    /// Burn adjusts toward this many registrations per `adjustment_interval` blocks.
    pub target_registrations_per_interval: u16,
    pub adjustment_interval: u16,
    pub max_registrations_per_block: u16,
    /// Miners answer only callers registered on this subnet.
    pub require_registered_callers: bool,
    /// The task this subnet's miners serve and validators score (e.g. `next-token`).
    pub task: String,
}

impl Default for SubnetHyperparameters {
    fn default() -> Self {
        SubnetHyperparameters {
            tempo: 360,
            max_uids: 256,
            max_validators: 64,
            immunity_period: 5_000,
            min_allowed_weights: 1,
            max_weight_limit: u16::MAX,
            weights_rate_limit: 100,
            activity_cutoff_factor_milli: 13_889,
            kappa: 32_767,
            bonds_moving_average: 900_000,
            bonds_penalty: u16::MAX,
            yuma3: true,
            liquid_alpha_enabled: false,
            alpha_low: 45_875,
            alpha_high: 58_982,
            alpha_sigmoid_steepness: 1_000,
            commit_reveal_enabled: true,
            reveal_period_epochs: 1,
            registration_allowed: true,
            min_burn: Rao(500_000),
            max_burn: Rao(100 * crate::amount::RAO_PER_TAO),
            target_registrations_per_interval: 2,
            adjustment_interval: 100,
            max_registrations_per_block: 1,
            require_registered_callers: false,
            task: "next-token".to_string(),
        }
    }
}

/// Network-wide economics, fixed at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EconomicParams {
    /// Issuance per block before halvings.
    pub block_emission: Rao,
    /// Hard cap on τ issuance (and on each subnet's alpha issuance).
    pub total_supply: Rao,
    /// Owner's share of a subnet's participant alpha (u16 proportion).
    pub subnet_owner_cut: u16,
    /// Weight of root τ stake against alpha stake (`/u64::MAX`).
    pub tao_weight: u64,
    /// Validator take on delegated dividends: default and maximum (u16 proportions).
    pub default_take: u16,
    pub max_take: u16,
    /// Smallest stake operation.
    pub min_stake: Rao,
    /// Subnet creation lock: floor and linear decay period (blocks).
    pub network_min_lock_cost: Rao,
    pub network_lock_reduction_interval: u64,
    /// Blocks between two subnet creations.
    pub network_rate_limit: u64,
    pub subnet_limit: u16,
    /// Pool swap fee (u16 proportion).
    pub swap_fee_rate: u16,
    /// Half-life in blocks of the subnet moving-price EMA.
    pub ema_price_halving_blocks: u64,
    /// Smallest fee the ledger accepts on a transaction.
    pub min_tx_fee: Rao,
}

impl Default for EconomicParams {
    fn default() -> Self {
        let tao = crate::amount::RAO_PER_TAO;
        EconomicParams {
            block_emission: Rao(tao),
            total_supply: Rao(21_000_000 * tao),
            subnet_owner_cut: 11_796,
            tao_weight: 971_718_665_099_567_868,
            default_take: 11_796,
            max_take: 11_796,
            min_stake: Rao(2_000_000),
            network_min_lock_cost: Rao(1_000 * tao),
            network_lock_reduction_interval: 100_800,
            network_rate_limit: 7_200,
            subnet_limit: 128,
            swap_fee_rate: 33,
            ema_price_halving_blocks: 201_600,
            min_tx_fee: Rao(0),
        }
    }
}

/// BFT parameters, fixed at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsensusParams {
    /// Target time between blocks; the proposer waits this long after the previous commit.
    pub block_time_ms: u64,
    /// Round timeouts grow linearly: `base + round · delta`.
    pub timeout_propose_ms: u64,
    pub timeout_vote_ms: u64,
    pub timeout_delta_ms: u64,
    /// Size of the ledger validator set (top stakes among opted-in hotkeys).
    pub max_ledger_validators: u16,
    /// A validator-set change decided at height h takes effect at h + this.
    pub validator_set_delay: u64,
    pub max_block_bytes: u32,
    pub max_block_transactions: u32,
}

impl Default for ConsensusParams {
    fn default() -> Self {
        ConsensusParams {
            block_time_ms: 1_000,
            timeout_propose_ms: 3_000,
            timeout_vote_ms: 1_000,
            timeout_delta_ms: 500,
            max_ledger_validators: 32,
            validator_set_delay: 2,
            max_block_bytes: 4 * 1024 * 1024,
            max_block_transactions: 10_000,
        }
    }
}
