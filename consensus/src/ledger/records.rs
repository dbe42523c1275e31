//! The records the ledger stores, one per key kind of `keys.rs`, encoded with `protocol::codec`.
//! Amounts are integer rao; the only fixed-point value stored is the moving price (U64F64 bits).

use multiaddr::Multiaddr;
use protocol::codec::Encodable;
use protocol::consensus::ValidatorInfo;
use protocol::hash::Hash;
use protocol::hyperparams::{ConsensusParams, EconomicParams, SubnetHyperparameters};
use protocol::{AlphaRao, ChainId, Height, PublicKey, Rao};
use serde::{Deserialize, Serialize};

macro_rules! record {
    ($ty:ty, $name:literal, $max:expr) => {
        impl Encodable for $ty {
            const NAME: &'static str = $name;
            const MAX_LEN: usize = $max;
        }
    };
}

/// Network-wide parameters from genesis and the height last executed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainConfig {
    pub chain_id: ChainId,
    pub economics: EconomicParams,
    pub consensus: ConsensusParams,
    /// Height of the last executed block (0 after genesis).
    pub height: Height,
}
record!(ChainConfig, "chain config", 4096);

/// Supply accounting. τ conservation (checked by tests):
/// `Σ balances + Σ pool τ + root_stake + burned + fees_burned = issuance = genesis + minted`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// τ that existed at genesis (balances, root stakes, pool reserves).
    pub genesis: Rao,
    /// τ minted by block emission since genesis.
    pub minted: Rao,
    /// `genesis + minted`: what the emission schedule reads (economics.md §2). Burning never
    /// lowers it: tau burns, it does not recycle (ADR 006).
    pub issuance: Rao,
    /// τ destroyed by registration burns and slashing.
    pub burned: Rao,
    /// τ destroyed as transaction fees.
    pub fees_burned: Rao,
    /// τ staked on root (netuid 0), 1:1 (subtensor's `SubnetTAO[root]`).
    pub root_stake: Rao,
    /// Lock paid by the last subnet creation and its block (economics.md §8); block 0 = never.
    pub last_lock_cost: Rao,
    pub last_lock_block: u64,
}
record!(Totals, "totals", 256);

/// A balance and the signer's next nonce. No existential minimum (ADR 006).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub balance: Rao,
    pub nonce: u64,
}
record!(Account, "account", 64);

/// A subnet's identity and configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    pub name: String,
    pub owner_coldkey: PublicKey,
    pub owner_hotkey: PublicKey,
    pub hyperparameters: SubnetHyperparameters,
    /// Block of creation (0 for genesis subnets).
    pub created_at: u64,
    /// Number of uids in use; uids are `0..n`.
    pub n: u16,
    /// Block of the last epoch, `None` before the first.
    pub last_epoch_block: Option<u64>,
}
record!(Subnet, "subnet", 4096);

/// A subnet's τ/alpha pool and its alpha accounting (economics.md §4, §9.3). Alpha conservation:
/// `alpha_in + alpha_out = alpha_minted − alpha_burned` and
/// `alpha_out = Σ stake pools + protocol_alpha + pending_*`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    /// `SubnetTAO`: τ reserve.
    pub tao: Rao,
    /// `SubnetAlphaIn`: alpha reserve.
    pub alpha_in: AlphaRao,
    /// `SubnetAlphaOut`: alpha outside the pool (stake, pending emission, protocol alpha).
    pub alpha_out: AlphaRao,
    /// Alpha bought with excess emission τ; never distributed (§4.2).
    pub protocol_alpha: AlphaRao,
    /// Emission accumulated since the last epoch (§4.3–4.4).
    pub pending_server: AlphaRao,
    pub pending_validator: AlphaRao,
    pub pending_root: AlphaRao,
    pub pending_owner: AlphaRao,
    /// `SubnetMovingPrice` as U64F64 bits (§3.2).
    pub moving_price_bits: u128,
    /// All alpha ever created on this subnet (initial reserve included) and destroyed.
    pub alpha_minted: AlphaRao,
    pub alpha_burned: AlphaRao,
}
record!(Pool, "pool", 256);

/// Registration price and its counters (economics.md §7.2).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub burn: Rao,
    pub regs_this_interval: u16,
    pub last_adjustment_block: u64,
    pub regs_this_block: u16,
    pub last_registration_block: u64,
}
record!(Registration, "registration", 64);

/// One uid of a subnet: who holds it and its last epoch's results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Neuron {
    pub hotkey: PublicKey,
    pub coldkey: PublicKey,
    pub registered_at: u64,
    /// Block of the last weights set or commit (registration counts).
    pub last_update: u64,
    /// Permit granted by the last epoch; in force for the next one.
    pub validator_permit: bool,
    pub endpoints: Vec<Multiaddr>,
    pub active: bool,
    pub consensus: u16,
    pub incentive: u16,
    pub dividends: u16,
    pub validator_trust: u16,
    pub stake_weight: u16,
    /// Alpha rao earned in the last epoch (also the pruning score, economics.md §6).
    pub emission: u64,
}
record!(Neuron, "neuron", 4096);

/// Who owns a hotkey, and the share of delegated dividends it keeps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hotkey {
    pub coldkey: PublicKey,
    /// u16 proportion (economics.md §9.2).
    pub take: u16,
}
record!(Hotkey, "hotkey", 64);

/// A hotkey's stake on one subnet, owned by coldkeys in shares (economics.md §9.1). `value` is alpha
/// rao (τ rao on root). Dividends raise `value` only, so every nominator gains pro rata.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakePool {
    pub value: u64,
    pub shares: u128,
}
record!(StakePool, "stake pool", 64);

/// A coldkey's shares in one stake pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StakeShares(pub u128);
record!(StakeShares, "stake shares", 16);

/// A weight commitment waiting for its reveal (economics.md §10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightCommit {
    pub commitment: Hash,
    /// Epoch index at commit time; the reveal is due in `epoch + reveal_period_epochs`.
    pub epoch: u64,
    pub block: u64,
}

/// Most unrevealed commits one neuron may hold.
pub const MAX_COMMITS: usize = 10;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commits(pub Vec<WeightCommit>);
record!(Commits, "weight commits", 16 + MAX_COMMITS * 64);

/// A stored weight or bond row: `(uid, u16)` ascending by uid.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row(pub Vec<(u16, u16)>);
record!(Row, "weight row", 16 + protocol::transaction::MAX_WEIGHTS * 4);

/// A hotkey's opt-in to the ledger validator set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerValidator {
    pub opted_in_at: u64,
    /// Jailed by evidence: out of the set, and may not opt in again before this block.
    pub jailed_until: Option<u64>,
}
record!(LedgerValidator, "ledger validator", 64);

/// The validator set in force and the height from which it votes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorSetRecord {
    pub since: Height,
    pub validators: Vec<ValidatorInfo>,
}
record!(ValidatorSetRecord, "validator set", 16 + protocol::consensus::MAX_VALIDATORS * 48);

/// A set decided at one height, taking over at a later one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledSet(pub Vec<ValidatorInfo>);
record!(ScheduledSet, "scheduled validator set", 16 + protocol::consensus::MAX_VALIDATORS * 48);

/// Marks an equivocation as punished (value: the block that accepted it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceSeen(pub Height);
record!(EvidenceSeen, "evidence seen", 8);

/// A uid as stored in the hotkey index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UidRecord(pub u16);
record!(UidRecord, "uid", 2);
