//! Stake in dynamic TAO (economics.md §9): per `(hotkey, netuid)` a share pool owned by coldkeys;
//! adding stake swaps τ into the subnet's alpha, removing swaps back, moving re-stakes. Root
//! (netuid 0) stake is τ, 1:1, no pool. Price limits are honoured by failing, never by partial fills.

use protocol::{AlphaRao, NetUid, PriceRao, PublicKey, RAO_PER_TAO, Rao};

use super::accounts::{adjust_root_stake, credit, debit};
use super::error::{LedgerError, TxError, ovf};
use super::events::Event;
use super::execute::Env;
use super::keys;
use super::pool::{price_above, price_below};
use super::records::{Hotkey, Pool, StakePool, StakeShares};
use super::state::Overlay;
use super::subnets::{load_pool, load_subnet};

/// Root's fixed price: one τ per "alpha".
pub const ROOT_PRICE: PriceRao = PriceRao(RAO_PER_TAO);

pub fn load_hotkey(st: &Overlay, hotkey: &PublicKey) -> Result<Option<Hotkey>, LedgerError> {
    st.read(&keys::hotkey(hotkey))
}

/// The hotkey's owner, creating the record for `coldkey` if the hotkey is new.
pub fn claim_hotkey(
    st: &mut Overlay,
    env: &Env,
    hotkey: &PublicKey,
    coldkey: &PublicKey,
) -> Result<(), TxError> {
    match load_hotkey(st, hotkey)? {
        Some(h) if h.coldkey != *coldkey => {
            Err(TxError::HotkeyOwnedByOther { hotkey: *hotkey, owner: h.coldkey })
        }
        Some(_) => Ok(()),
        None => {
            let rec = Hotkey { coldkey: *coldkey, take: env.cfg.economics.default_take };
            st.write(keys::hotkey(hotkey), &rec);
            Ok(())
        }
    }
}

pub fn stake_pool(
    st: &Overlay,
    hotkey: &PublicKey,
    netuid: NetUid,
) -> Result<StakePool, LedgerError> {
    st.read_or_default(&keys::stake_pool(hotkey, netuid))
}

/// Stores a hotkey's pool after its value grew by `added` or shrank by `removed`. Root stake is
/// τ, so the root total moves with it here: no caller can change a root pool and forget it.
fn store_pool(
    st: &mut Overlay,
    hotkey: &PublicKey,
    netuid: NetUid,
    pool: &StakePool,
    added: u64,
    removed: u64,
) -> Result<(), TxError> {
    let key = keys::stake_pool(hotkey, netuid);
    if pool.value == 0 && pool.shares == 0 {
        st.delete(key);
    } else {
        st.write(key, pool);
    }
    if netuid == NetUid::ROOT {
        adjust_root_stake(st, Rao(added), Rao(removed))?;
    }
    Ok(())
}

pub fn shares_of(
    st: &Overlay,
    coldkey: &PublicKey,
    hotkey: &PublicKey,
    netuid: NetUid,
) -> Result<u128, LedgerError> {
    Ok(st.read_or_default::<StakeShares>(&keys::stake(coldkey, hotkey, netuid))?.0)
}

fn store_shares(st: &mut Overlay, ck: &PublicKey, hk: &PublicKey, netuid: NetUid, shares: u128) {
    let key = keys::stake(ck, hk, netuid);
    if shares == 0 { st.delete(key) } else { st.write(key, &StakeShares(shares)) }
}

/// Value of `shares` in a pool, rounded down.
pub fn share_value(pool: &StakePool, shares: u128) -> u64 {
    if pool.shares == 0 {
        return 0;
    }
    let v = shares.saturating_mul(u128::from(pool.value)) / pool.shares;
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// A coldkey's stake (alpha rao, τ rao on root) behind a hotkey on a subnet.
pub fn stake_of(
    st: &Overlay,
    coldkey: &PublicKey,
    hotkey: &PublicKey,
    netuid: NetUid,
) -> Result<u64, LedgerError> {
    let pool = stake_pool(st, hotkey, netuid)?;
    Ok(share_value(&pool, shares_of(st, coldkey, hotkey, netuid)?))
}

/// Credits `amount` to a coldkey's position as new shares at the current share price.
pub fn mint_stake(
    st: &mut Overlay,
    coldkey: &PublicKey,
    hotkey: &PublicKey,
    netuid: NetUid,
    amount: u64,
) -> Result<(), TxError> {
    if amount == 0 {
        return Ok(());
    }
    let mut pool = stake_pool(st, hotkey, netuid)?;
    let new_shares = if pool.shares == 0 {
        u128::from(amount)
    } else if pool.value == 0 {
        // Worthless old shares: the newcomer takes (almost) everything.
        u128::from(amount).checked_mul(pool.shares).ok_or(ovf("shares"))?
    } else {
        u128::from(amount) * pool.shares / u128::from(pool.value)
    };
    if new_shares == 0 {
        return Err(TxError::AmountTooSmall);
    }
    pool.value = pool.value.checked_add(amount).ok_or(ovf("stake pool"))?;
    pool.shares = pool.shares.checked_add(new_shares).ok_or(ovf("shares"))?;
    let mine =
        shares_of(st, coldkey, hotkey, netuid)?.checked_add(new_shares).ok_or(ovf("shares"))?;
    store_pool(st, hotkey, netuid, &pool, amount, 0)?;
    store_shares(st, coldkey, hotkey, netuid, mine);
    Ok(())
}

/// Takes `amount` of value out of a coldkey's position. Shares are rounded up against the holder.
/// Returns the stake left in the position.
pub fn burn_stake(
    st: &mut Overlay,
    coldkey: &PublicKey,
    hotkey: &PublicKey,
    netuid: NetUid,
    amount: u64,
) -> Result<u64, TxError> {
    let mut pool = stake_pool(st, hotkey, netuid)?;
    let mine = shares_of(st, coldkey, hotkey, netuid)?;
    let have = share_value(&pool, mine);
    if amount == 0 || amount > have {
        return Err(TxError::InsufficientStake { have, want: amount });
    }
    let burn = if amount == have {
        mine
    } else {
        let num = u128::from(amount) * pool.shares;
        num.div_ceil(u128::from(pool.value)).min(mine)
    };
    pool.value -= amount;
    pool.shares -= burn;
    let left = mine - burn;
    store_pool(st, hotkey, netuid, &pool, 0, amount)?;
    store_shares(st, coldkey, hotkey, netuid, left);
    Ok(share_value(&pool, left))
}

/// Adds `amount` to a hotkey's pool without new shares: every nominator gains pro rata. A pool with
/// no shares has no nominators, so the amount goes to the hotkey's owner as new shares.
pub fn raise_pool(
    st: &mut Overlay,
    hotkey: &PublicKey,
    owner: &PublicKey,
    netuid: NetUid,
    amount: u64,
) -> Result<(), TxError> {
    if amount == 0 {
        return Ok(());
    }
    let mut pool = stake_pool(st, hotkey, netuid)?;
    if pool.shares == 0 {
        return mint_stake(st, owner, hotkey, netuid, amount);
    }
    pool.value = pool.value.checked_add(amount).ok_or(ovf("stake pool"))?;
    store_pool(st, hotkey, netuid, &pool, amount, 0)?;
    Ok(())
}

/// Removes `per_mille`/1000 of a hotkey's pool value (all nominators lose pro rata).
pub fn slash_pool(
    st: &mut Overlay,
    hotkey: &PublicKey,
    netuid: NetUid,
    per_mille: u64,
) -> Result<u64, TxError> {
    let mut pool = stake_pool(st, hotkey, netuid)?;
    let cut = (u128::from(pool.value) * u128::from(per_mille) / 1000) as u64;
    pool.value -= cut;
    store_pool(st, hotkey, netuid, &pool, 0, cut)?;
    Ok(cut)
}

fn subnet_pool(st: &Overlay, netuid: NetUid) -> Result<Pool, TxError> {
    load_subnet(st, netuid)?.ok_or(TxError::UnknownSubnet(netuid))?;
    load_pool(st, netuid)?.ok_or(TxError::UnknownSubnet(netuid))
}

fn require_hotkey(st: &Overlay, hotkey: &PublicKey) -> Result<Hotkey, TxError> {
    load_hotkey(st, hotkey)?.ok_or(TxError::UnknownHotkey(*hotkey))
}

fn price_of(st: &Overlay, netuid: NetUid) -> Result<PriceRao, TxError> {
    if netuid == NetUid::ROOT {
        return Ok(ROOT_PRICE);
    }
    Ok(subnet_pool(st, netuid)?.price())
}

#[allow(clippy::too_many_arguments)]
/// `AddStake`: τ from `coldkey` into alpha staked to `hotkey`. The limit is a price ceiling.
pub fn add_stake(
    st: &mut Overlay,
    env: &Env,
    coldkey: &PublicKey,
    hotkey: &PublicKey,
    netuid: NetUid,
    amount: Rao,
    limit: Option<PriceRao>,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    let min = env.cfg.economics.min_stake;
    if amount < min || amount.is_zero() {
        return Err(TxError::BelowMinStake { amount: amount.0, min: min.0 });
    }
    require_hotkey(st, hotkey)?;
    let alpha = if netuid == NetUid::ROOT {
        if let Some(limit) = limit.filter(|l| *l < ROOT_PRICE) {
            return Err(TxError::PriceLimitExceeded { price: ROOT_PRICE, limit });
        }
        debit(st, coldkey, amount)?;
        AlphaRao(amount.0)
    } else {
        let mut pool = subnet_pool(st, netuid)?;
        if let Some(limit) = limit.filter(|l| price_above(pool.tao.0, pool.alpha_in.0, *l)) {
            return Err(TxError::PriceLimitExceeded { price: pool.price(), limit });
        }
        debit(st, coldkey, amount)?;
        let alpha = pool.buy(netuid, amount, env.cfg.economics.swap_fee_rate)?;
        if let Some(limit) = limit.filter(|l| price_above(pool.tao.0, pool.alpha_in.0, *l)) {
            return Err(TxError::SlippageExceeded { reached: pool.price(), limit });
        }
        st.write(keys::pool(netuid), &pool);
        alpha
    };
    mint_stake(st, coldkey, hotkey, netuid, alpha.0)?;
    events.push(Event::StakeAdded {
        coldkey: *coldkey,
        hotkey: *hotkey,
        netuid,
        tao: amount,
        alpha,
    });
    Ok(())
}

#[allow(clippy::too_many_arguments)]
/// `RemoveStake`: alpha back to τ. The limit is a price floor.
pub fn remove_stake(
    st: &mut Overlay,
    env: &Env,
    coldkey: &PublicKey,
    hotkey: &PublicKey,
    netuid: NetUid,
    amount: AlphaRao,
    limit: Option<PriceRao>,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    if amount.is_zero() {
        return Err(TxError::ZeroAmount);
    }
    let tao = if netuid == NetUid::ROOT {
        if let Some(limit) = limit.filter(|l| *l > ROOT_PRICE) {
            return Err(TxError::PriceLimitExceeded { price: ROOT_PRICE, limit });
        }
        burn_stake(st, coldkey, hotkey, netuid, amount.0)?;
        Rao(amount.0)
    } else {
        let mut pool = subnet_pool(st, netuid)?;
        if let Some(limit) = limit.filter(|l| price_below(pool.tao.0, pool.alpha_in.0, *l)) {
            return Err(TxError::PriceLimitExceeded { price: pool.price(), limit });
        }
        let left = burn_stake(st, coldkey, hotkey, netuid, amount.0)?;
        let tao = pool.sell(netuid, amount, env.cfg.economics.swap_fee_rate)?;
        if let Some(limit) = limit.filter(|l| price_below(pool.tao.0, pool.alpha_in.0, *l)) {
            return Err(TxError::SlippageExceeded { reached: pool.price(), limit });
        }
        let min = env.cfg.economics.min_stake;
        if left > 0 && tao < min {
            return Err(TxError::BelowMinStake { amount: tao.0, min: min.0 });
        }
        st.write(keys::pool(netuid), &pool);
        tao
    };
    credit(st, coldkey, tao)?;
    events.push(Event::StakeRemoved {
        coldkey: *coldkey,
        hotkey: *hotkey,
        netuid,
        alpha: amount,
        tao,
    });
    Ok(())
}

/// `MoveStake`: between hotkeys and/or subnets. Across subnets it sells then buys, and the limit is
/// a floor on `origin price / destination price` (×1e9) after both swaps (economics.md §9.2).
#[allow(clippy::too_many_arguments)]
pub fn move_stake(
    st: &mut Overlay,
    env: &Env,
    coldkey: &PublicKey,
    from: (PublicKey, NetUid),
    to: (PublicKey, NetUid),
    amount: AlphaRao,
    limit: Option<PriceRao>,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    let ((from_hk, from_net), (to_hk, to_net)) = (from, to);
    if amount.is_zero() {
        return Err(TxError::ZeroAmount);
    }
    require_hotkey(st, &to_hk)?;
    let ratio = |st: &Overlay| -> Result<PriceRao, TxError> {
        let (a, b) = (price_of(st, from_net)?, price_of(st, to_net)?);
        if b.0 == 0 {
            return Ok(PriceRao(u64::MAX));
        }
        let r = u128::from(a.0) * u128::from(RAO_PER_TAO) / u128::from(b.0);
        Ok(PriceRao(u64::try_from(r).unwrap_or(u64::MAX)))
    };
    let cross = from_net != to_net;
    if let Some(limit) = limit.filter(|_| cross) {
        let r = ratio(st)?;
        if r < limit {
            return Err(TxError::PriceLimitExceeded { price: r, limit });
        }
    }
    if !cross {
        load_subnet_or_root(st, from_net)?;
    }
    burn_stake(st, coldkey, &from_hk, from_net, amount.0)?;
    let fee = env.cfg.economics.swap_fee_rate;
    let received = if !cross {
        amount
    } else {
        let tao = if from_net == NetUid::ROOT {
            Rao(amount.0)
        } else {
            let mut pool = subnet_pool(st, from_net)?;
            let tao = pool.sell(from_net, amount, fee)?;
            st.write(keys::pool(from_net), &pool);
            tao
        };
        let min = env.cfg.economics.min_stake;
        if tao < min {
            return Err(TxError::BelowMinStake { amount: tao.0, min: min.0 });
        }
        if to_net == NetUid::ROOT {
            AlphaRao(tao.0)
        } else {
            let mut pool = subnet_pool(st, to_net)?;
            let alpha = pool.buy(to_net, tao, fee)?;
            st.write(keys::pool(to_net), &pool);
            alpha
        }
    };
    if let Some(limit) = limit.filter(|_| cross) {
        let r = ratio(st)?;
        if r < limit {
            return Err(TxError::SlippageExceeded { reached: r, limit });
        }
    }
    mint_stake(st, coldkey, &to_hk, to_net, received.0)?;
    events.push(Event::StakeMoved {
        coldkey: *coldkey,
        from: (from_hk, from_net),
        to: (to_hk, to_net),
        alpha_out: amount,
        alpha_in: received,
    });
    Ok(())
}

fn load_subnet_or_root(st: &Overlay, netuid: NetUid) -> Result<(), TxError> {
    if netuid != NetUid::ROOT {
        load_subnet(st, netuid)?.ok_or(TxError::UnknownSubnet(netuid))?;
    }
    Ok(())
}

/// `SetTake`: the hotkey's owner sets the share of delegated dividends it keeps.
pub fn set_take(
    st: &mut Overlay,
    env: &Env,
    coldkey: &PublicKey,
    hotkey: &PublicKey,
    take: u16,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    let mut rec = require_hotkey(st, hotkey)?;
    if rec.coldkey != *coldkey {
        return Err(TxError::NotHotkeyOwner(*hotkey));
    }
    let max = env.cfg.economics.max_take;
    if take > max {
        return Err(TxError::TakeTooHigh { take, max });
    }
    rec.take = take;
    st.write(keys::hotkey(hotkey), &rec);
    events.push(Event::TakeSet { hotkey: *hotkey, take });
    Ok(())
}
