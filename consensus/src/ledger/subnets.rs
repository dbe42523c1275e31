//! Subnets: creation by paying a lock cost that doubles on demand and decays linearly
//! (economics.md §8), hyperparameters with range checks, owner-only changes.

use protocol::hyperparams::{MAX_TASK_NAME_LEN, SubnetHyperparameters};
use protocol::transaction::MAX_WEIGHTS;
use protocol::{AlphaRao, NetUid, PublicKey, RAO_PER_TAO, Rao};

use super::accounts::{debit, load_totals, store_totals};
use super::emission::block_emission;
use super::error::{LedgerError, TxError};
use super::events::Event;
use super::execute::Env;
use super::keys;
use super::records::{Pool, Registration, Subnet, Totals};
use super::registration::{append_neuron, clamp_burn};
use super::staking::claim_hotkey;
use super::state::Overlay;

/// Registration price of a new subnet before clamping (subtensor's `DefaultNeuronBurnCost`).
pub const INITIAL_BURN: Rao = Rao(RAO_PER_TAO);
/// Largest tempo an owner may set (subtensor's `MAX_TEMPO`).
pub const MAX_TEMPO: u16 = 50_400;

pub fn load_subnet(st: &Overlay, netuid: NetUid) -> Result<Option<Subnet>, LedgerError> {
    if netuid == NetUid::ROOT {
        return Ok(None);
    }
    st.read(&keys::subnet(netuid))
}

pub fn load_pool(st: &Overlay, netuid: NetUid) -> Result<Option<Pool>, LedgerError> {
    st.read(&keys::pool(netuid))
}

pub fn load_registration(st: &Overlay, netuid: NetUid) -> Result<Registration, LedgerError> {
    st.read(&keys::registration(netuid))?.ok_or(LedgerError::Missing("registration"))
}

/// Every subnet (root excluded), by netuid.
pub fn subnet_ids(st: &Overlay) -> Result<Vec<NetUid>, LedgerError> {
    let mut out = Vec::new();
    for (k, _) in st.prefix_raw(&keys::subnet_prefix()) {
        let b: [u8; 2] = k.get(1..3).and_then(|s| s.try_into().ok()).ok_or_else(|| {
            LedgerError::Corrupt { key: format!("{k:02x?}"), reason: "short subnet key".into() }
        })?;
        out.push(NetUid(u16::from_be_bytes(b)));
    }
    Ok(out)
}

/// A subnet that must exist (and is not root), for transactions.
pub fn require_subnet(st: &Overlay, netuid: NetUid) -> Result<Subnet, TxError> {
    if netuid == NetUid::ROOT {
        return Err(TxError::RootSubnet);
    }
    load_subnet(st, netuid)?.ok_or(TxError::UnknownSubnet(netuid))
}

fn bad(name: &'static str, reason: impl Into<String>) -> TxError {
    TxError::BadHyperparameter { name, reason: reason.into() }
}

/// Range checks: what every hyperparameter must satisfy for the epoch and registration to work.
pub fn validate_hyperparameters(h: &SubnetHyperparameters) -> Result<(), TxError> {
    if h.tempo == 0 || h.tempo > MAX_TEMPO {
        return Err(bad("tempo", format!("must be 1..={MAX_TEMPO}")));
    }
    if h.max_uids == 0 || usize::from(h.max_uids) > MAX_WEIGHTS {
        return Err(bad("max_uids", format!("must be 1..={MAX_WEIGHTS}")));
    }
    if h.max_validators == 0 || h.max_validators > h.max_uids {
        return Err(bad("max_validators", "must be 1..=max_uids"));
    }
    if h.min_allowed_weights > h.max_uids {
        return Err(bad("min_allowed_weights", "must not exceed max_uids"));
    }
    if !(1_000..=50_000).contains(&h.activity_cutoff_factor_milli) {
        return Err(bad("activity_cutoff_factor_milli", "must be 1000..=50000"));
    }
    if h.bonds_moving_average > 1_000_000 {
        return Err(bad("bonds_moving_average", "must be at most 1,000,000 (per million)"));
    }
    if h.alpha_low > h.alpha_high {
        return Err(bad("alpha_low", "must not exceed alpha_high"));
    }
    if h.alpha_sigmoid_steepness > i16::MAX as u16 {
        return Err(bad("alpha_sigmoid_steepness", "must be at most 32767"));
    }
    if !(1..=100).contains(&h.reveal_period_epochs) {
        return Err(bad("reveal_period_epochs", "must be 1..=100"));
    }
    if h.min_burn > h.max_burn || h.max_burn.is_zero() {
        return Err(bad("min_burn", "need 0 < max_burn and min_burn <= max_burn"));
    }
    if h.target_registrations_per_interval == 0 {
        return Err(bad("target_registrations_per_interval", "must be at least 1"));
    }
    if h.adjustment_interval == 0 {
        return Err(bad("adjustment_interval", "must be at least 1"));
    }
    if h.max_registrations_per_block == 0 {
        return Err(bad("max_registrations_per_block", "must be at least 1"));
    }
    if h.task.is_empty() || h.task.len() > MAX_TASK_NAME_LEN {
        return Err(bad("task", format!("must be 1..={MAX_TASK_NAME_LEN} bytes")));
    }
    Ok(())
}

/// Lock cost at block `t` (economics.md §8): `max(MinLock, m·L − ⌊L/R⌋·(t − t_L))` with `m = 2`
/// after a creation (1 before any), `R` the reduction interval scaled by the current emission.
pub fn lock_cost(env: &Env, totals: &Totals) -> Rao {
    let eco = &env.cfg.economics;
    let min = eco.network_min_lock_cost;
    let last = if totals.last_lock_cost.is_zero() { min } else { totals.last_lock_cost };
    let m: u128 = if totals.last_lock_block == 0 { 1 } else { 2 };
    let e = block_emission(totals.issuance, eco);
    let base = eco.block_emission.0.max(1);
    let r = (u128::from(eco.network_lock_reduction_interval) * u128::from(e.0) / u128::from(base))
        .max(1);
    let per_block = u128::from(last.0) / r;
    let elapsed = u128::from(env.height.saturating_sub(totals.last_lock_block));
    let cost = (m * u128::from(last.0)).saturating_sub(per_block.saturating_mul(elapsed));
    Rao(u64::try_from(cost).unwrap_or(u64::MAX)).max(min)
}

/// `CreateSubnet`: pays the lock into the new pool (price 1), registers the owner hotkey as uid 0.
pub fn create_subnet(
    st: &mut Overlay,
    env: &Env,
    owner: &PublicKey,
    owner_hotkey: &PublicKey,
    max_lock_cost: Rao,
    hyperparameters: &SubnetHyperparameters,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    validate_hyperparameters(hyperparameters)?;
    let eco = &env.cfg.economics;
    let existing = subnet_ids(st)?;
    if existing.len() >= usize::from(eco.subnet_limit) {
        return Err(TxError::SubnetLimitReached(eco.subnet_limit));
    }
    let mut totals = load_totals(st)?;
    if totals.last_lock_block != 0 {
        let next = totals.last_lock_block.saturating_add(eco.network_rate_limit);
        if env.height < next {
            return Err(TxError::SubnetRateLimited { limit: eco.network_rate_limit, next });
        }
    }
    let cost = lock_cost(env, &totals);
    if cost > max_lock_cost {
        return Err(TxError::LockCostAboveMax { cost, max: max_lock_cost });
    }
    claim_hotkey(st, env, owner_hotkey, owner)?;
    debit(st, owner, cost)?;
    let netuid = (1..=u16::MAX)
        .map(NetUid)
        .find(|n| existing.binary_search(n).is_err())
        .ok_or(TxError::SubnetLimitReached(eco.subnet_limit))?;
    let subnet = Subnet {
        name: format!("subnet-{}", netuid.0),
        owner_coldkey: *owner,
        owner_hotkey: *owner_hotkey,
        hyperparameters: hyperparameters.clone(),
        created_at: env.height,
        n: 0,
        last_epoch_block: None,
    };
    let pool = Pool {
        tao: cost,
        alpha_in: AlphaRao(cost.0),
        alpha_minted: AlphaRao(cost.0),
        ..Pool::default()
    };
    init_subnet(st, env, netuid, subnet, pool)?;
    // Re-read: `init_subnet` does not touch totals, but claim/debit may have in other layers.
    totals = load_totals(st)?;
    totals.last_lock_cost = cost;
    totals.last_lock_block = env.height;
    store_totals(st, &totals);
    events.push(Event::SubnetCreated {
        netuid,
        owner: *owner,
        owner_hotkey: *owner_hotkey,
        lock: cost,
    });
    Ok(())
}

/// Writes a new subnet's records and registers its owner hotkey as uid 0 (genesis uses it too).
pub fn init_subnet(
    st: &mut Overlay,
    env: &Env,
    netuid: NetUid,
    subnet: Subnet,
    pool: Pool,
) -> Result<(), TxError> {
    let reg = Registration {
        burn: clamp_burn(INITIAL_BURN, &subnet.hyperparameters),
        last_adjustment_block: env.height,
        ..Registration::default()
    };
    let (owner_hotkey, owner) = (subnet.owner_hotkey, subnet.owner_coldkey);
    st.write(keys::subnet(netuid), &subnet);
    st.write(keys::pool(netuid), &pool);
    st.write(keys::registration(netuid), &reg);
    append_neuron(st, env, netuid, &owner_hotkey, &owner)?;
    Ok(())
}

/// `SetHyperparameters`: owner only; ranges checked; `max_uids` cannot drop below the uids in use.
pub fn set_hyperparameters(
    st: &mut Overlay,
    signer: &PublicKey,
    netuid: NetUid,
    hyperparameters: &SubnetHyperparameters,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    let mut subnet = require_subnet(st, netuid)?;
    if subnet.owner_coldkey != *signer {
        return Err(TxError::NotSubnetOwner(netuid));
    }
    validate_hyperparameters(hyperparameters)?;
    if hyperparameters.max_uids < subnet.n {
        return Err(bad("max_uids", format!("subnet already has {} uids", subnet.n)));
    }
    let mut reg = load_registration(st, netuid)?;
    reg.burn = clamp_burn(reg.burn, hyperparameters);
    st.write(keys::registration(netuid), &reg);
    subnet.hyperparameters = hyperparameters.clone();
    st.write(keys::subnet(netuid), &subnet);
    events.push(Event::HyperparametersSet { netuid });
    Ok(())
}
