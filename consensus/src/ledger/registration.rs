//! Neuron registration: a burned price that moves toward a target rate of registrations per
//! interval (economics.md §7.2), uid allocation, pruning when full (§6), and endpoints.

use multiaddr::Multiaddr;
use protocol::hyperparams::SubnetHyperparameters;
use protocol::transaction::{MAX_ENDPOINT_BYTES, MAX_ENDPOINTS};
use protocol::{NetUid, PublicKey, Rao, Uid};

use super::accounts::{debit, record_burn};
use super::error::{LedgerError, TxError, ovf};
use super::events::Event;
use super::execute::Env;
use super::keys;
use super::records::{Neuron, Registration, UidRecord};
use super::staking::claim_hotkey;
use super::state::Overlay;
use super::subnets::{load_registration, require_subnet, subnet_ids};

pub fn clamp_burn(burn: Rao, h: &SubnetHyperparameters) -> Rao {
    burn.max(h.min_burn).min(h.max_burn)
}

pub fn uid_of(
    st: &Overlay,
    netuid: NetUid,
    hotkey: &PublicKey,
) -> Result<Option<Uid>, LedgerError> {
    Ok(st.read::<UidRecord>(&keys::uid_of(netuid, hotkey))?.map(|u| Uid(u.0)))
}

pub fn load_neuron(st: &Overlay, netuid: NetUid, uid: Uid) -> Result<Neuron, LedgerError> {
    st.read(&keys::neuron(netuid, uid))?.ok_or(LedgerError::Missing("neuron"))
}

/// The uid a registered hotkey holds, or the typed rejection.
pub fn require_uid(st: &Overlay, netuid: NetUid, hotkey: &PublicKey) -> Result<Uid, TxError> {
    uid_of(st, netuid, hotkey)?.ok_or(TxError::NotRegistered { netuid, hotkey: *hotkey })
}

fn fresh_neuron(env: &Env, hotkey: &PublicKey, coldkey: &PublicKey) -> Neuron {
    Neuron {
        hotkey: *hotkey,
        coldkey: *coldkey,
        registered_at: env.height,
        last_update: env.height,
        validator_permit: false,
        endpoints: Vec::new(),
        active: true,
        consensus: 0,
        incentive: 0,
        dividends: 0,
        validator_trust: 0,
        stake_weight: 0,
        emission: 0,
    }
}

/// Appends a neuron at uid `n` (the caller checked there is room).
pub fn append_neuron(
    st: &mut Overlay,
    env: &Env,
    netuid: NetUid,
    hotkey: &PublicKey,
    coldkey: &PublicKey,
) -> Result<Uid, TxError> {
    let mut subnet = require_subnet(st, netuid)?;
    let uid = Uid(subnet.n);
    subnet.n = subnet.n.checked_add(1).ok_or(ovf("uid count"))?;
    st.write(keys::subnet(netuid), &subnet);
    st.write(keys::neuron(netuid, uid), &fresh_neuron(env, hotkey, coldkey));
    st.write(keys::uid_of(netuid, hotkey), &UidRecord(uid.0));
    Ok(uid)
}

/// The uid to replace in a full subnet (economics.md §6, with the rule that only
/// non-immune neurons are replaced): lowest emission, then earliest registration, then lowest uid;
/// the owner's hotkey is never a candidate.
pub fn uid_to_prune(
    st: &Overlay,
    env: &Env,
    netuid: NetUid,
    owner_hotkey: &PublicKey,
    immunity: u64,
) -> Result<Option<Uid>, LedgerError> {
    let mut best: Option<(u64, u64, Uid)> = None;
    for (k, n) in st.prefix_read::<Neuron>(&keys::neuron_prefix(netuid))? {
        let uid = keys::uid_part(&k).ok_or(LedgerError::Missing("uid in neuron key"))?;
        let immune = env.height.saturating_sub(n.registered_at) < immunity;
        if immune || n.hotkey == *owner_hotkey {
            continue;
        }
        let cand = (n.emission, n.registered_at, uid);
        if best.is_none_or(|b| cand < b) {
            best = Some(cand);
        }
    }
    Ok(best.map(|b| b.2))
}

/// Gives `uid` to a new hotkey: the old hotkey loses its index entry, weights, bonds and commits.
/// Other rows' weights to this uid are left: the epoch ignores weights older than a registration.
fn replace_neuron(
    st: &mut Overlay,
    env: &Env,
    netuid: NetUid,
    uid: Uid,
    hotkey: &PublicKey,
    coldkey: &PublicKey,
) -> Result<PublicKey, TxError> {
    let old = load_neuron(st, netuid, uid)?;
    st.delete(keys::uid_of(netuid, &old.hotkey));
    st.delete(keys::weights(netuid, uid));
    st.delete(keys::bonds(netuid, uid));
    st.delete(keys::commits(netuid, uid));
    st.write(keys::neuron(netuid, uid), &fresh_neuron(env, hotkey, coldkey));
    st.write(keys::uid_of(netuid, hotkey), &UidRecord(uid.0));
    Ok(old.hotkey)
}

/// `RegisterNeuron`: the signer (coldkey) burns the current price to register `hotkey`.
pub fn register_neuron(
    st: &mut Overlay,
    env: &Env,
    coldkey: &PublicKey,
    netuid: NetUid,
    hotkey: &PublicKey,
    max_burn: Rao,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    let subnet = require_subnet(st, netuid)?;
    let hp = &subnet.hyperparameters;
    if !hp.registration_allowed {
        return Err(TxError::RegistrationClosed(netuid));
    }
    if uid_of(st, netuid, hotkey)?.is_some() {
        return Err(TxError::AlreadyRegistered(*hotkey));
    }
    let mut reg = load_registration(st, netuid)?;
    if reg.last_registration_block != env.height {
        reg.regs_this_block = 0;
    }
    let interval_cap = u32::from(hp.target_registrations_per_interval) * 3;
    if reg.regs_this_block >= hp.max_registrations_per_block
        || u32::from(reg.regs_this_interval) >= interval_cap
    {
        return Err(TxError::RegistrationRateLimited(netuid));
    }
    if reg.burn > max_burn {
        return Err(TxError::BurnAboveMax { burn: reg.burn, max: max_burn });
    }
    claim_hotkey(st, env, hotkey, coldkey)?;
    let burn = reg.burn;
    debit(st, coldkey, burn)?;
    record_burn(st, burn)?;
    let (uid, replaced) = if subnet.n < hp.max_uids {
        (append_neuron(st, env, netuid, hotkey, coldkey)?, None)
    } else {
        let uid = uid_to_prune(st, env, netuid, &subnet.owner_hotkey, hp.immunity_period)?
            .ok_or(TxError::SubnetFullAllImmune(netuid))?;
        let old = replace_neuron(st, env, netuid, uid, hotkey, coldkey)?;
        (uid, Some(old))
    };
    reg.regs_this_block = reg.regs_this_block.saturating_add(1);
    reg.regs_this_interval = reg.regs_this_interval.saturating_add(1);
    reg.last_registration_block = env.height;
    st.write(keys::registration(netuid), &reg);
    events.push(Event::NeuronRegistered {
        netuid,
        uid,
        hotkey: *hotkey,
        coldkey: *coldkey,
        burn,
        replaced,
    });
    Ok(())
}

/// The legacy interval rule (economics.md §7.2) with `AdjustmentAlpha = 0`: after each interval,
/// more registrations than the target raise the burn by `(reg + target)/(2·target)`, none halve it,
/// and anything in between leaves it; then clamp to the subnet's bounds.
pub fn next_burn(burn: Rao, regs: u16, h: &SubnetHyperparameters) -> Rao {
    let target = u128::from(h.target_registrations_per_interval.max(1));
    let regs = u128::from(regs);
    let adjusted = if regs > target || regs == 0 {
        let b = u128::from(burn.0) * (regs + target) / (2 * target);
        Rao(u64::try_from(b).unwrap_or(u64::MAX))
    } else {
        burn
    };
    clamp_burn(adjusted, h)
}

/// Begin-block step: adjust every subnet whose interval has elapsed.
pub fn adjust_burns(
    st: &mut Overlay,
    env: &Env,
    events: &mut Vec<Event>,
) -> Result<(), LedgerError> {
    for netuid in subnet_ids(st)? {
        let Some(subnet) = super::subnets::load_subnet(st, netuid)? else { continue };
        let hp = &subnet.hyperparameters;
        let mut reg: Registration = load_registration(st, netuid)?;
        if env.height.saturating_sub(reg.last_adjustment_block) < u64::from(hp.adjustment_interval)
        {
            continue;
        }
        let burn = next_burn(reg.burn, reg.regs_this_interval, hp);
        reg.burn = burn;
        reg.regs_this_interval = 0;
        reg.last_adjustment_block = env.height;
        st.write(keys::registration(netuid), &reg);
        events.push(Event::RegistrationBurnAdjusted { netuid, burn });
    }
    Ok(())
}

/// `ServeEndpoint`: a registered hotkey says where it answers.
pub fn serve_endpoint(
    st: &mut Overlay,
    hotkey: &PublicKey,
    netuid: NetUid,
    endpoints: &[Multiaddr],
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    require_subnet(st, netuid)?;
    let uid = require_uid(st, netuid, hotkey)?;
    if endpoints.len() > MAX_ENDPOINTS || endpoints.iter().any(|m| m.len() > MAX_ENDPOINT_BYTES) {
        return Err(TxError::BadEndpoints { max: MAX_ENDPOINTS, max_bytes: MAX_ENDPOINT_BYTES });
    }
    let mut n = load_neuron(st, netuid, uid)?;
    n.endpoints = endpoints.to_vec();
    st.write(keys::neuron(netuid, uid), &n);
    events.push(Event::EndpointServed { netuid, hotkey: *hotkey });
    Ok(())
}
