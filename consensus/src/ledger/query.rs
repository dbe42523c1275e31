//! Read-only views for the node's API, over any [`StateReader`] (a committed snapshot).

use multiaddr::Multiaddr;
use protocol::consensus::ValidatorInfo;
use protocol::hyperparams::SubnetHyperparameters;
use protocol::{AlphaRao, Height, NetUid, PriceRao, PublicKey, Rao, Uid};
use serde::{Deserialize, Serialize};

use super::accounts::{load_account, load_config, load_totals};
use super::emission::block_emission;
use super::error::LedgerError;
use super::execute::Env;
use super::keys;
use super::records::{Account, ChainConfig, LedgerValidator, Neuron, Totals};
use super::registration::{load_neuron, uid_of};
use super::staking::{ROOT_PRICE, load_hotkey, share_value, stake_of, stake_pool};
use super::state::{Overlay, StateReader};
use super::subnets::{load_pool, load_registration, load_subnet, lock_cost, subnet_ids};
use super::validators::current_set;
use super::weights::{epoch_index, next_weights_block};

fn view(state: &dyn StateReader) -> Overlay<'_> {
    Overlay::new(state)
}

/// Balance and next nonce of any key.
pub fn account(state: &dyn StateReader, who: &PublicKey) -> Result<Account, LedgerError> {
    load_account(&view(state), who)
}

/// Supply accounting and the last executed height.
pub fn totals(state: &dyn StateReader) -> Result<Totals, LedgerError> {
    load_totals(&view(state))
}

pub fn height(state: &dyn StateReader) -> Result<Height, LedgerError> {
    Ok(load_config(&view(state))?.height)
}

/// The network's parameters from genesis (chain id, economics, consensus) and the executed height.
pub fn chain_config(state: &dyn StateReader) -> Result<ChainConfig, LedgerError> {
    load_config(&view(state))
}

/// τ the next block will issue.
pub fn next_block_emission(state: &dyn StateReader) -> Result<Rao, LedgerError> {
    let st = view(state);
    Ok(block_emission(load_totals(&st)?.issuance, &load_config(&st)?.economics))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolInfo {
    pub tao: Rao,
    pub alpha_in: AlphaRao,
    pub alpha_out: AlphaRao,
    pub price: PriceRao,
    /// Moving price as U64F64 bits (shares of emission, economics.md §3).
    pub moving_price_bits: u128,
    pub pending_emission: AlphaRao,
    pub pending_owner_cut: AlphaRao,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubnetInfo {
    pub netuid: NetUid,
    pub name: String,
    pub owner_coldkey: PublicKey,
    pub owner_hotkey: PublicKey,
    pub hyperparameters: SubnetHyperparameters,
    pub created_at: u64,
    pub n: u16,
    pub registration_burn: Rao,
    pub last_epoch_block: Option<u64>,
    /// Block at the end of which the next epoch runs.
    pub next_epoch_block: u64,
    pub pool: PoolInfo,
}

pub fn subnets(state: &dyn StateReader) -> Result<Vec<NetUid>, LedgerError> {
    subnet_ids(&view(state))
}

/// Pool reserves and price of a subnet (`None` for root or an unknown netuid).
pub fn pool(state: &dyn StateReader, netuid: NetUid) -> Result<Option<PoolInfo>, LedgerError> {
    Ok(load_pool(&view(state), netuid)?.map(|p| PoolInfo {
        tao: p.tao,
        alpha_in: p.alpha_in,
        alpha_out: p.alpha_out,
        price: p.price(),
        moving_price_bits: p.moving_price_bits,
        pending_emission: AlphaRao(p.pending_server.0 + p.pending_validator.0 + p.pending_root.0),
        pending_owner_cut: p.pending_owner,
    }))
}

/// Price of a subnet's alpha (root: one τ).
pub fn price(state: &dyn StateReader, netuid: NetUid) -> Result<Option<PriceRao>, LedgerError> {
    if netuid == NetUid::ROOT {
        return Ok(Some(ROOT_PRICE));
    }
    Ok(pool(state, netuid)?.map(|p| p.price))
}

pub fn subnet(state: &dyn StateReader, netuid: NetUid) -> Result<Option<SubnetInfo>, LedgerError> {
    let st = view(state);
    let Some(s) = load_subnet(&st, netuid)? else { return Ok(None) };
    let Some(pool) = pool(state, netuid)? else { return Ok(None) };
    let h = load_config(&st)?.height.0;
    // Next block b > h with (b + netuid + 1) mod (tempo + 1) = 0 (weights::epoch_due).
    let m = u64::from(s.hyperparameters.tempo) + 1;
    let wait = (m - (h + 1 + u64::from(netuid.0) + 1) % m) % m;
    Ok(Some(SubnetInfo {
        netuid,
        name: s.name,
        owner_coldkey: s.owner_coldkey,
        owner_hotkey: s.owner_hotkey,
        hyperparameters: s.hyperparameters,
        created_at: s.created_at,
        n: s.n,
        registration_burn: load_registration(&st, netuid)?.burn,
        last_epoch_block: s.last_epoch_block,
        next_epoch_block: h + 1 + wait,
        pool,
    }))
}

/// Current registration price of a subnet.
pub fn registration_burn(
    state: &dyn StateReader,
    netuid: NetUid,
) -> Result<Option<Rao>, LedgerError> {
    let st = view(state);
    if load_subnet(&st, netuid)?.is_none() {
        return Ok(None);
    }
    Ok(Some(load_registration(&st, netuid)?.burn))
}

/// What creating a subnet in the next block would cost.
pub fn subnet_lock_cost(state: &dyn StateReader) -> Result<Rao, LedgerError> {
    let st = view(state);
    let cfg = load_config(&st)?;
    let height = cfg.height.0 + 1;
    Ok(lock_cost(&Env { cfg, height }, &load_totals(&st)?))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeuronInfo {
    pub uid: Uid,
    pub hotkey: PublicKey,
    pub coldkey: PublicKey,
    /// Alpha staked to this hotkey on the subnet (all nominators).
    pub stake: AlphaRao,
    /// τ staked to this hotkey on root.
    pub root_stake: Rao,
    pub incentive: u16,
    pub dividends: u16,
    pub consensus: u16,
    pub validator_trust: u16,
    pub emission: u64,
    pub active: bool,
    pub validator_permit: bool,
    pub last_update: u64,
    pub registered_at: u64,
    pub endpoints: Vec<Multiaddr>,
}

fn neuron_info(
    st: &Overlay,
    netuid: NetUid,
    uid: Uid,
    n: Neuron,
) -> Result<NeuronInfo, LedgerError> {
    Ok(NeuronInfo {
        uid,
        stake: AlphaRao(stake_pool(st, &n.hotkey, netuid)?.value),
        root_stake: Rao(stake_pool(st, &n.hotkey, NetUid::ROOT)?.value),
        hotkey: n.hotkey,
        coldkey: n.coldkey,
        incentive: n.incentive,
        dividends: n.dividends,
        consensus: n.consensus,
        validator_trust: n.validator_trust,
        emission: n.emission,
        active: n.active,
        validator_permit: n.validator_permit,
        last_update: n.last_update,
        registered_at: n.registered_at,
        endpoints: n.endpoints,
    })
}

/// Every uid of a subnet, in uid order.
pub fn metagraph(
    state: &dyn StateReader,
    netuid: NetUid,
) -> Result<Option<Vec<NeuronInfo>>, LedgerError> {
    let st = view(state);
    if load_subnet(&st, netuid)?.is_none() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for (k, n) in st.prefix_read::<Neuron>(&keys::neuron_prefix(netuid))? {
        let uid = keys::uid_part(&k).ok_or(LedgerError::Missing("uid"))?;
        out.push(neuron_info(&st, netuid, uid, n)?);
    }
    Ok(Some(out))
}

/// One neuron by hotkey.
pub fn neuron(
    state: &dyn StateReader,
    netuid: NetUid,
    hotkey: &PublicKey,
) -> Result<Option<NeuronInfo>, LedgerError> {
    let st = view(state);
    let Some(uid) = uid_of(&st, netuid, hotkey)? else { return Ok(None) };
    let n = load_neuron(&st, netuid, uid)?;
    neuron_info(&st, netuid, uid, n).map(Some)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotkeyInfo {
    pub hotkey: PublicKey,
    /// The coldkey that owns it: the only one that may register it or set its take.
    pub coldkey: PublicKey,
    /// Share of delegated dividends it keeps (u16 proportion).
    pub take: u16,
    /// τ staked behind it on root, by every nominator: its ledger-validator voting power.
    pub root_stake: Rao,
    /// Its opt-in to the ledger validator set, if any (with a jail end after evidence).
    pub ledger_validator: Option<LedgerValidator>,
}

/// Owner, take and ledger-validator opt-in of a hotkey; `None` for a hotkey the ledger has never
/// seen (not registered anywhere, owns no subnet).
pub fn hotkey(
    state: &dyn StateReader,
    hotkey: &PublicKey,
) -> Result<Option<HotkeyInfo>, LedgerError> {
    let st = view(state);
    let Some(h) = load_hotkey(&st, hotkey)? else { return Ok(None) };
    Ok(Some(HotkeyInfo {
        hotkey: *hotkey,
        coldkey: h.coldkey,
        take: h.take,
        root_stake: Rao(stake_pool(&st, hotkey, NetUid::ROOT)?.value),
        ledger_validator: st.read(&keys::ledger_validator(hotkey))?,
    }))
}

/// Stake of `(coldkey, hotkey, netuid)`: alpha rao, τ rao on root.
pub fn stake(
    state: &dyn StateReader,
    coldkey: &PublicKey,
    hotkey: &PublicKey,
    netuid: NetUid,
) -> Result<u64, LedgerError> {
    stake_of(&view(state), coldkey, hotkey, netuid)
}

/// Every position of a coldkey: `(hotkey, netuid, amount)`.
pub fn stakes_of(
    state: &dyn StateReader,
    coldkey: &PublicKey,
) -> Result<Vec<(PublicKey, NetUid, u64)>, LedgerError> {
    let st = view(state);
    let mut out = Vec::new();
    for (k, shares) in
        st.prefix_read::<super::records::StakeShares>(&keys::stake_of_prefix(coldkey))?
    {
        let (hk, netuid) = keys::stake_parts(&k).ok_or(LedgerError::Missing("stake key"))?;
        out.push((hk, netuid, share_value(&stake_pool(&st, &hk, netuid)?, shares.0)));
    }
    Ok(out)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightsStatus {
    pub uid: Uid,
    pub last_update: u64,
    /// First block at which weights may be set or committed again.
    pub next_allowed_block: u64,
    pub commit_reveal: bool,
    pub epoch_index: u64,
    /// Unrevealed commits: `(commit epoch, epoch in which to reveal)`.
    pub pending_commits: Vec<(u64, u64)>,
}

pub fn weights_status(
    state: &dyn StateReader,
    netuid: NetUid,
    hotkey: &PublicKey,
) -> Result<Option<WeightsStatus>, LedgerError> {
    let st = view(state);
    let Some(subnet) = load_subnet(&st, netuid)? else { return Ok(None) };
    let Some(uid) = uid_of(&st, netuid, hotkey)? else { return Ok(None) };
    let n = load_neuron(&st, netuid, uid)?;
    let hp = &subnet.hyperparameters;
    let commits = super::weights::load_commits(&st, netuid, uid)?;
    let h = load_config(&st)?.height.0;
    Ok(Some(WeightsStatus {
        uid,
        last_update: n.last_update,
        next_allowed_block: next_weights_block(&n, &subnet),
        commit_reveal: hp.commit_reveal_enabled,
        epoch_index: epoch_index(h, netuid, hp.tempo),
        pending_commits: commits
            .0
            .iter()
            .map(|c| (c.epoch, c.epoch + hp.reveal_period_epochs))
            .collect(),
    }))
}

/// The ledger validator set in force and the height it has voted from.
pub fn validator_set(state: &dyn StateReader) -> Result<(Height, Vec<ValidatorInfo>), LedgerError> {
    let rec = current_set(&view(state))?;
    Ok((rec.since, rec.validators))
}

/// The set that votes on `height`: the latest scheduled set taking over at or before it, else the
/// set in force.
pub fn validator_set_at(
    state: &dyn StateReader,
    height: Height,
) -> Result<Vec<ValidatorInfo>, LedgerError> {
    let st = view(state);
    let mut set = current_set(&st)?.validators;
    for (k, s) in st.prefix_read::<super::records::ScheduledSet>(&keys::scheduled_set_prefix())? {
        match keys::scheduled_set_height(&k) {
            Some(h) if h <= height => set = s.0,
            _ => break,
        }
    }
    Ok(set)
}
