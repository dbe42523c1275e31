//! Glue between state and `yuma::run_epoch`, and the payout at each epoch (economics.md §4.4–4.5):
//! incentive to miners, dividends to validators (their take, the rest to their nominators), the
//! owner's cut, and the root share of dividends sold through the pool and paid to root stakers in τ.

use protocol::{AlphaRao, NetUid, PublicKey, Rao, Uid};

use super::emission::weighted_root;
use super::error::{LedgerError, TxError};
use super::events::Event;
use super::execute::Env;
use super::keys;
use super::pool::quote;
use super::records::{Commits, Neuron, Pool, Row, Subnet};
use super::registration::uid_of;
use super::staking::{load_hotkey, mint_stake, raise_pool, stake_pool};
use super::state::Overlay;
use super::subnets::{load_pool, load_subnet, subnet_ids};
use super::weights::{epoch_due, epoch_index};
use crate::yuma::{BondsUpdate, EpochInput, LiquidAlphaParams, NeuronEpochState, run_epoch};

/// End-block step: every subnet whose tempo says so runs its epoch.
pub fn run_due_epochs(
    st: &mut Overlay,
    env: &Env,
    events: &mut Vec<Event>,
) -> Result<(), LedgerError> {
    for netuid in subnet_ids(st)? {
        let subnet = load_subnet(st, netuid)?.ok_or(LedgerError::Missing("subnet"))?;
        if epoch_due(env.height, netuid, subnet.hyperparameters.tempo) {
            run_subnet_epoch(st, env, netuid, events)?;
        }
    }
    Ok(())
}

/// What the glue read besides the epoch input: each uid's neuron and its raw stakes.
pub struct Loaded {
    pub input: EpochInput,
    pub neurons: Vec<Neuron>,
    /// Per uid: alpha stake on this subnet and τ stake on root.
    pub alpha: Vec<u64>,
    pub root: Vec<u64>,
}

fn corrupt(what: &str) -> LedgerError {
    LedgerError::Corrupt { key: what.to_string(), reason: "uids are not contiguous".into() }
}

/// Reads a subnet into an `EpochInput` (§5 inputs): stake `α + w·root`, rows, commits, permits.
pub fn load_epoch_input(
    st: &Overlay,
    env: &Env,
    netuid: NetUid,
    subnet: &Subnet,
    pool: &Pool,
) -> Result<Loaded, LedgerError> {
    let hp = &subnet.hyperparameters;
    let tao_weight = env.cfg.economics.tao_weight;
    let neurons: Vec<Neuron> = st
        .prefix_read::<Neuron>(&keys::neuron_prefix(netuid))?
        .into_iter()
        .enumerate()
        .map(|(i, (k, n))| match keys::uid_part(&k) {
            Some(u) if usize::from(u.0) == i => Ok(n),
            _ => Err(corrupt("neuron")),
        })
        .collect::<Result<_, _>>()?;
    let n = neurons.len();
    let mut states: Vec<NeuronEpochState> = Vec::with_capacity(n);
    let (mut alpha, mut root) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for nr in &neurons {
        let a = stake_pool(st, &nr.hotkey, netuid)?.value;
        let r = stake_pool(st, &nr.hotkey, NetUid::ROOT)?.value;
        let s = u128::from(a) + weighted_root(r, tao_weight);
        states.push(NeuronEpochState {
            stake: u64::try_from(s).unwrap_or(u64::MAX),
            last_update: nr.last_update,
            block_at_registration: nr.registered_at,
            validator_permit: nr.validator_permit,
            earliest_commit_block: None,
            weights: Vec::new(),
            bonds: Vec::new(),
        });
        alpha.push(a);
        root.push(r);
    }
    let slot = |k: &[u8]| -> Result<usize, LedgerError> {
        keys::uid_part(k).map(|u| usize::from(u.0)).filter(|u| *u < n).ok_or_else(|| corrupt("row"))
    };
    for (k, row) in st.prefix_read::<Row>(&keys::weights_prefix(netuid))? {
        states[slot(&k)?].weights = row.0;
    }
    for (k, row) in st.prefix_read::<Row>(&keys::bonds_prefix(netuid))? {
        states[slot(&k)?].bonds = row.0;
    }
    if hp.commit_reveal_enabled {
        let now = epoch_index(env.height, netuid, hp.tempo);
        for (k, commits) in st.prefix_read::<Commits>(&keys::commits_prefix(netuid))? {
            states[slot(&k)?].earliest_commit_block = commits
                .0
                .iter()
                .filter(|c| c.epoch.saturating_add(hp.reveal_period_epochs) >= now)
                .map(|c| c.block)
                .min();
        }
    }
    let tempo = u64::from(hp.tempo);
    let input = EpochInput {
        block: env.height,
        tempo,
        activity_cutoff: (u64::from(hp.activity_cutoff_factor_milli) * tempo / 1000).max(1),
        kappa_u16: hp.kappa,
        bonds_penalty_u16: hp.bonds_penalty,
        bonds_moving_average: hp.bonds_moving_average,
        max_allowed_validators: hp.max_validators,
        stake_threshold: 0,
        owner_uid: uid_of(st, netuid, &subnet.owner_hotkey)?.map(|u| u.0),
        yuma3: hp.yuma3,
        liquid_alpha: hp.liquid_alpha_enabled.then(|| LiquidAlphaParams {
            alpha_low_u16: hp.alpha_low,
            alpha_high_u16: hp.alpha_high,
            steepness: i16::try_from(hp.alpha_sigmoid_steepness).unwrap_or(i16::MAX),
        }),
        last_mechanism_step_block: subnet.last_epoch_block,
        neurons: states,
        emission_rao: pool
            .pending_server
            .0
            .saturating_add(pool.pending_validator.0)
            .saturating_add(pool.pending_root.0),
    };
    Ok(Loaded { input, neurons, alpha, root })
}

/// Checked arithmetic on pool amounts: a failure means the stored pool is inconsistent.
fn sub(a: u64, b: u64) -> Result<u64, LedgerError> {
    a.checked_sub(b).ok_or(LedgerError::Overflow("epoch payout (pool below what it owes)"))
}

fn add(a: u64, b: u64) -> Result<u64, LedgerError> {
    a.checked_add(b).ok_or(LedgerError::Overflow("epoch payout"))
}

fn fatal(e: TxError) -> LedgerError {
    match e {
        TxError::Ledger(l) => l,
        _ => LedgerError::Overflow("epoch payout"),
    }
}

/// Credits stake as new shares, or, if the amount is too small to mint a share, to the pool's value.
fn pay(
    st: &mut Overlay,
    ck: &PublicKey,
    hk: &PublicKey,
    netuid: NetUid,
    amount: u64,
) -> Result<(), LedgerError> {
    match mint_stake(st, ck, hk, netuid, amount) {
        Err(TxError::AmountTooSmall) => raise_pool(st, hk, ck, netuid, amount).map_err(fatal),
        r => r.map_err(fatal),
    }
}

/// Pays `amount` of a hotkey's dividend: `take` to its owner, the rest to all its nominators.
fn pay_dividend(
    st: &mut Overlay,
    hk: &PublicKey,
    netuid: NetUid,
    amount: u64,
) -> Result<(), LedgerError> {
    let owner = load_hotkey(st, hk)?.ok_or(LedgerError::Missing("hotkey of a validator"))?;
    let take = (u128::from(amount) * u128::from(owner.take) / 65_535) as u64;
    pay(st, &owner.coldkey, hk, netuid, take)?;
    raise_pool(st, hk, &owner.coldkey, netuid, amount - take).map_err(fatal)
}

/// Shares `total` in proportion to `parts` (floor); returns the shares and what they add up to.
fn pro_rata(total: u64, parts: &[u128], sum: u128) -> (Vec<u64>, u64) {
    if sum == 0 {
        return (vec![0; parts.len()], 0);
    }
    let out: Vec<u64> = parts.iter().map(|p| (u128::from(total) * p / sum) as u64).collect();
    let paid = out.iter().sum();
    (out, paid)
}

/// Runs one subnet's epoch now and pays it out.
pub fn run_subnet_epoch(
    st: &mut Overlay,
    env: &Env,
    netuid: NetUid,
    events: &mut Vec<Event>,
) -> Result<(), LedgerError> {
    let mut subnet = load_subnet(st, netuid)?.ok_or(LedgerError::Missing("subnet"))?;
    let mut pool = load_pool(st, netuid)?.ok_or(LedgerError::Missing("pool"))?;
    let Loaded { input, neurons, alpha, root } = load_epoch_input(st, env, netuid, &subnet, &pool)?;
    let out =
        run_epoch(&input).map_err(|e| LedgerError::Epoch { netuid, reason: e.to_string() })?;
    if out.neurons.len() != neurons.len() {
        return Err(LedgerError::Epoch { netuid, reason: "output length differs".into() });
    }
    // Store the epoch's results per uid.
    for (i, (mut nr, o)) in neurons.iter().cloned().zip(&out.neurons).enumerate() {
        let uid = Uid(i as u16);
        nr.active = o.active;
        nr.consensus = o.consensus;
        nr.incentive = o.incentive;
        nr.dividends = o.dividends;
        nr.validator_trust = o.validator_trust;
        nr.stake_weight = o.stake_weight;
        nr.emission = o.emission;
        nr.validator_permit = o.validator_permit;
        if nr != neurons[i] {
            st.write(keys::neuron(netuid, uid), &nr);
        }
        match &o.bonds {
            BondsUpdate::Replace(row) if !row.is_empty() => {
                st.write(keys::bonds(netuid, uid), &Row(row.clone()))
            }
            BondsUpdate::Replace(_) | BondsUpdate::Clear => st.delete(keys::bonds(netuid, uid)),
            BondsUpdate::Keep => {}
        }
    }

    // Incentive, capped at what is pending for miners (the epoch splits E_ep about 50/50).
    let mut inc: Vec<u64> = out.neurons.iter().map(|o| o.server_emission).collect();
    let inc_sum: u128 = inc.iter().map(|v| u128::from(*v)).sum();
    let server = u128::from(pool.pending_server.0);
    if inc_sum > server {
        let weights: Vec<u128> = inc.iter().map(|v| u128::from(*v)).collect();
        inc = pro_rata(pool.pending_server.0, &weights, inc_sum).0;
    }
    let inc_paid: u64 = inc.iter().sum();
    let (mut v_pool, mut r_pool) = (pool.pending_validator.0, pool.pending_root.0);
    let mut server_left = sub(pool.pending_server.0, inc_paid)?;
    if inc_paid == 0 {
        v_pool = add(v_pool, server_left)?;
        server_left = 0;
    }
    // Dividends split into an alpha part and a root part by the hotkey's stake mix (§4.5 step 4).
    let tao_weight = env.cfg.economics.tao_weight;
    let (mut alpha_div, mut root_div) = (Vec::new(), Vec::new());
    for (i, o) in out.neurons.iter().enumerate() {
        let d = u128::from(o.validator_emission);
        let rw = weighted_root(root[i], tao_weight);
        let denom = u128::from(alpha[i]) + rw;
        let r = (d * rw).checked_div(denom).unwrap_or(0);
        alpha_div.push(d - r);
        root_div.push(r);
    }
    let (sum_a, sum_r): (u128, u128) = (alpha_div.iter().sum(), root_div.iter().sum());
    if sum_r == 0 {
        v_pool = add(v_pool, r_pool)?;
        r_pool = 0;
    } else if sum_a == 0 {
        r_pool = add(r_pool, v_pool)?;
        v_pool = 0;
    }
    let (a_paid, a_total) = pro_rata(v_pool, &alpha_div, sum_a);
    let (r_paid, r_total) = pro_rata(r_pool, &root_div, sum_r);
    pool.pending_server = AlphaRao(server_left);
    pool.pending_validator = AlphaRao(sub(v_pool, a_total)?);
    pool.pending_root = AlphaRao(sub(r_pool, r_total)?);
    let owner_cut = std::mem::take(&mut pool.pending_owner);

    // Credits. Owner cut to the owner's hotkey; miners' incentive to their coldkeys, except that
    // the subnet owner's own hotkeys' incentive is burned (§4.5 step 5).
    pay(st, &subnet.owner_coldkey, &subnet.owner_hotkey, netuid, owner_cut.0)?;
    let mut burned = 0u64;
    for (i, amount) in inc.iter().enumerate().filter(|(_, a)| **a > 0) {
        let nr = &neurons[i];
        if nr.coldkey == subnet.owner_coldkey {
            burned = add(burned, *amount)?;
        } else {
            pay(st, &nr.coldkey, &nr.hotkey, netuid, *amount)?;
        }
    }
    pool.alpha_out = AlphaRao(sub(pool.alpha_out.0, burned)?);
    pool.alpha_burned = pool
        .alpha_burned
        .checked_add(AlphaRao(burned))
        .ok_or(LedgerError::Overflow("alpha burned"))?;
    for (i, amount) in a_paid.iter().enumerate().filter(|(_, a)| **a > 0) {
        pay_dividend(st, &neurons[i].hotkey, netuid, *amount)?;
    }
    // Root share: sold through the pool (no fee), the τ paid to root stake of the same hotkeys.
    let mut root_tao = 0u64;
    if r_total > 0 {
        let tao_out = quote(pool.alpha_in.0, pool.tao.0, r_total, 0).map_or(0, |q| q.out);
        let weights: Vec<u128> = r_paid.iter().map(|v| u128::from(*v)).collect();
        let (tao_each, tao_paid) = pro_rata(tao_out, &weights, u128::from(r_total));
        pool.alpha_in = AlphaRao(add(pool.alpha_in.0, r_total)?);
        pool.alpha_out = AlphaRao(sub(pool.alpha_out.0, r_total)?);
        pool.tao = Rao(sub(pool.tao.0, tao_paid)?);
        for (i, amount) in tao_each.iter().enumerate().filter(|(_, a)| **a > 0) {
            pay_dividend(st, &neurons[i].hotkey, NetUid::ROOT, *amount)?;
        }
        root_tao = tao_paid;
    }
    st.write(keys::pool(netuid), &pool);
    subnet.last_epoch_block = Some(env.height);
    st.write(keys::subnet(netuid), &subnet);
    events.push(Event::EpochRun {
        netuid,
        incentive: AlphaRao(inc_paid - burned),
        dividends: AlphaRao(a_total),
        owner_cut,
        root_tao: Rao(root_tao),
        burned_owner_incentive: AlphaRao(burned),
    });
    Ok(())
}
