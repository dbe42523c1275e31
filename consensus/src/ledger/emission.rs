//! Block emission (economics.md §2), its split among subnets (§3.4, moving-price shares), and the
//! per-subnet injection, alpha emission and pending accumulation (§4.1–4.3).

use fixed::types::U64F64;
use protocol::hyperparams::EconomicParams;
use protocol::{AlphaRao, NetUid, Rao};

use super::accounts::{load_totals, store_totals};
use super::error::LedgerError;
use super::events::Event;
use super::execute::Env;
use super::keys;
use super::pool::{price_fixed, quote};
use super::records::{Pool, Subnet};
use super::state::Overlay;
use super::subnets::{load_pool, load_subnet, subnet_ids};

fn overflow(what: &'static str) -> LedgerError {
    LedgerError::Overflow(what)
}

/// Issuance per block for `issuance` already issued (§2), integer-exact: with `S` the supply,
/// `k = max{k : (S − I)·2^k ≤ S}` halvings, `base >> k`, and never past the supply.
pub fn emission_for_issuance(issuance: u64, base: u64, supply: u64) -> u64 {
    if issuance >= supply {
        return 0;
    }
    let left = u128::from(supply - issuance);
    let supply = u128::from(supply);
    let mut k = 0u32;
    while k < 64 && (left << (k + 1)) <= supply {
        k += 1;
    }
    let e = if k >= 64 { 0 } else { base >> k };
    e.min(supply as u64 - issuance)
}

/// τ issued by the next block given the current issuance.
pub fn block_emission(issuance: Rao, eco: &EconomicParams) -> Rao {
    Rao(emission_for_issuance(issuance.0, eco.block_emission.0, eco.total_supply.0))
}

/// A subnet receives emission when it accepts registrations (§3.1; tau has no `start_call`).
pub fn is_eligible(subnet: &Subnet) -> bool {
    subnet.hyperparameters.registration_allowed
}

/// Splits `total` by `weights` (floor), the remainder to the largest weight (lowest index on
/// ties), so the parts add up to `total` exactly. Equal split if every weight is zero.
pub fn split(total: u64, weights: &[u128]) -> Vec<u64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let sum: u128 = weights.iter().fold(0u128, |a, w| a.saturating_add(*w));
    let mut parts: Vec<u64> = if sum == 0 {
        vec![total / weights.len() as u64; weights.len()]
    } else {
        weights.iter().map(|w| (u128::from(total) * *w / sum) as u64).collect()
    };
    let given: u64 = parts.iter().sum();
    let mut top = 0;
    for (i, w) in weights.iter().enumerate() {
        if *w > weights[top] {
            top = i;
        }
    }
    parts[top] += total - given;
    parts
}

/// Root's weighted stake `R·w` (§4.1), in rao.
pub fn weighted_root(root: u64, tao_weight: u64) -> u128 {
    u128::from(root) * u128::from(tao_weight) / u128::from(u64::MAX)
}

/// Begin-block emission: mint, split among eligible subnets, inject, emit alpha, accumulate.
pub fn run_emission(
    st: &mut Overlay,
    env: &Env,
    events: &mut Vec<Event>,
) -> Result<(), LedgerError> {
    let eco = &env.cfg.economics;
    let mut totals = load_totals(st)?;
    let mut eligible: Vec<(NetUid, Pool)> = Vec::new();
    for netuid in subnet_ids(st)? {
        let subnet = load_subnet(st, netuid)?.ok_or(LedgerError::Missing("subnet"))?;
        if is_eligible(&subnet) {
            eligible.push((netuid, load_pool(st, netuid)?.ok_or(LedgerError::Missing("pool"))?));
        }
    }
    if eligible.is_empty() {
        return Ok(());
    }
    let e = block_emission(totals.issuance, eco).0;
    let weights: Vec<u128> = eligible.iter().map(|(_, p)| p.moving_price_bits).collect();
    let shares = split(e, &weights);
    let rw = weighted_root(totals.root_stake.0, eco.tao_weight);
    let mut minted = 0u64;
    for ((netuid, mut pool), tao) in eligible.into_iter().zip(shares) {
        let ev = emit_to_subnet(&mut pool, netuid, tao, e, rw, eco)?;
        minted = minted.checked_add(tao).ok_or(overflow("minted"))?;
        st.write(keys::pool(netuid), &pool);
        events.push(ev);
    }
    totals.minted = totals.minted.checked_add(Rao(minted)).ok_or(overflow("minted"))?;
    totals.issuance = totals.issuance.checked_add(Rao(minted)).ok_or(overflow("issuance"))?;
    store_totals(st, &totals);
    Ok(())
}

/// §4.1–4.3 for one subnet: `tao` is its share of the block emission `e`, `rw` the weighted root.
fn emit_to_subnet(
    pool: &mut Pool,
    netuid: NetUid,
    tao: u64,
    e: u64,
    rw: u128,
    eco: &EconomicParams,
) -> Result<Event, LedgerError> {
    let supply = eco.total_supply.0;
    let (x, y) = (pool.alpha_in.0, pool.tao.0);
    let issuance = x.checked_add(pool.alpha_out.0).ok_or(overflow("alpha issuance"))?;
    let room = supply.saturating_sub(issuance);
    let alpha_out = emission_for_issuance(issuance, eco.block_emission.0, supply).min(room);
    // Injection at the current price, capped at min(alpha emission, E) (the pre-2026-06 cap; the
    // current ρ-cap would send everything to chain buys without root stake, §4.1 caution).
    let (mut tao_in, mut alpha_in) = (tao, 0u64);
    if x > 0 && y > 0 {
        let cap = alpha_out.min(e).min(room - alpha_out);
        let want = u128::from(tao) * u128::from(x) / u128::from(y);
        if want > u128::from(cap) {
            alpha_in = cap;
            tao_in = (u128::from(cap) * u128::from(y) / u128::from(x)) as u64;
        } else {
            alpha_in = want as u64;
        }
    }
    let excess = tao - tao_in;
    pool.tao = pool.tao.checked_add(Rao(tao_in)).ok_or(overflow("pool τ"))?;
    pool.alpha_in = pool.alpha_in.checked_add(AlphaRao(alpha_in)).ok_or(overflow("alpha in"))?;
    pool.alpha_minted =
        pool.alpha_minted.checked_add(AlphaRao(alpha_in)).ok_or(overflow("alpha minted"))?;
    // Excess τ buys alpha for the protocol (no fee, no limit, §4.2).
    if excess > 0 {
        let bought = quote(pool.tao.0, pool.alpha_in.0, excess, 0).map_or(0, |q| q.out);
        pool.tao = pool.tao.checked_add(Rao(excess)).ok_or(overflow("pool τ"))?;
        pool.alpha_in = AlphaRao(pool.alpha_in.0 - bought);
        pool.alpha_out = pool.alpha_out.checked_add(AlphaRao(bought)).ok_or(overflow("alpha"))?;
        pool.protocol_alpha =
            pool.protocol_alpha.checked_add(AlphaRao(bought)).ok_or(overflow("alpha"))?;
    }
    // Participant alpha (§4.3): owner cut, then half to miners, half to validators of which the
    // root proportion ρ = R·w/(R·w + alpha issuance) belongs to root stakers.
    let cut = (u128::from(alpha_out) * u128::from(eco.subnet_owner_cut) / 65_535) as u64;
    let rest = alpha_out - cut;
    let server = rest / 2;
    let half_v = rest - server;
    let denom = rw + u128::from(issuance);
    let root = (u128::from(half_v) * rw).checked_div(denom).unwrap_or(0) as u64;
    let add = |a: &mut AlphaRao, v: u64| -> Result<(), LedgerError> {
        *a = a.checked_add(AlphaRao(v)).ok_or(overflow("pending alpha"))?;
        Ok(())
    };
    add(&mut pool.alpha_out, alpha_out)?;
    add(&mut pool.alpha_minted, alpha_out)?;
    add(&mut pool.pending_owner, cut)?;
    add(&mut pool.pending_server, server)?;
    add(&mut pool.pending_validator, half_v - root)?;
    add(&mut pool.pending_root, root)?;
    Ok(Event::SubnetEmission {
        netuid,
        tao_in: Rao(tao_in),
        alpha_in: AlphaRao(alpha_in),
        alpha_out: AlphaRao(alpha_out),
        excess_tao: Rao(excess),
    })
}

/// `SubnetMovingAlpha` (§3.2, §11): 0.000003.
fn moving_alpha() -> U64F64 {
    U64F64::from_num(3) / U64F64::from_num(1_000_000)
}

/// After the coinbase (§0 step 5): `p̄ ← a·min(p, 1) + (1 − a)·p̄` with
/// `a = 0.000003·b/(b + h)`, `b` = blocks since the subnet's first emission.
pub fn update_moving_prices(st: &mut Overlay, env: &Env) -> Result<(), LedgerError> {
    let h = env.cfg.economics.ema_price_halving_blocks;
    for netuid in subnet_ids(st)? {
        let subnet = load_subnet(st, netuid)?.ok_or(LedgerError::Missing("subnet"))?;
        let Some(mut pool) = load_pool(st, netuid)? else { continue };
        let b = env.height.saturating_sub(subnet.created_at);
        let denom = b.saturating_add(h);
        if denom == 0 {
            continue;
        }
        let a = moving_alpha().saturating_mul(U64F64::from_num(b)) / U64F64::from_num(denom);
        let p = price_fixed(pool.tao.0, pool.alpha_in.0).min(U64F64::ONE);
        let old = U64F64::from_bits(pool.moving_price_bits);
        let new = a.saturating_mul(p).saturating_add((U64F64::ONE - a).saturating_mul(old));
        if new.to_bits() != pool.moving_price_bits {
            pool.moving_price_bits = new.to_bits();
            st.write(keys::pool(netuid), &pool);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAO: u64 = 1_000_000_000;
    const S: u64 = 21_000_000 * TAO;

    #[test]
    fn halvings_match_economics_table() {
        let e = |tao: u64| emission_for_issuance(tao * TAO, TAO, S);
        assert_eq!(e(0), 1_000_000_000);
        assert_eq!(e(10_499_999), 1_000_000_000);
        assert_eq!(e(10_500_000), 500_000_000);
        assert_eq!(e(12_000_000), 500_000_000);
        assert_eq!(e(16_000_000), 250_000_000);
        assert_eq!(e(18_375_000), 125_000_000);
        assert_eq!(e(20_000_000), 62_500_000);
        assert_eq!(e(20_343_750), 31_250_000);
        assert_eq!(e(21_000_000), 0);
        // Near the cap the halvings reach zero before the supply does; never past the supply.
        assert_eq!(emission_for_issuance(S - 5, TAO, S), 0);
        assert_eq!(emission_for_issuance(S - 5, u64::MAX, S), 5);
    }

    #[test]
    fn split_is_exact() {
        assert_eq!(split(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(split(10, &[0, 0]), vec![5, 5]);
        assert_eq!(split(7, &[1, 3]), vec![1, 6]);
        assert_eq!(split(5, &[]), Vec::<u64>::new());
    }
}
