//! `tau stake add | remove | move | list`: stake τ behind hotkeys in subnets (swapped for the
//! subnet's alpha through its pool), take it back, move it, and list the positions. Writes carry a
//! price limit derived from `--tolerance` and the pool's current price; the swap is previewed
//! first, so a trade the limit would refuse is refused before anything is signed.

use anyhow::bail;
use clap::{Args, Subcommand};
use consensus::ledger::query::SubnetInfo;
use protocol::{AlphaRao, NetUid, Payload, PriceRao, PublicKey, Rao};
use serde_json::json;

use super::client::{ChainInfo, StakePosition};
use super::context::{CommonArgs, Ctx, KeyRef};
use super::submit::{self, Plan, TxArgs};
use super::swap::{self, Reserves};
use super::ui::{self, Ppb, parse_alpha, parse_tao, parse_tolerance};

#[derive(Args)]
pub struct StakeCommand {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Stake τ behind a hotkey on a subnet (bought as the subnet's alpha; root stays τ).
    Add(AddArgs),
    /// Unstake alpha back to τ.
    Remove(RemoveArgs),
    /// Move stake to another hotkey and/or subnet.
    Move(MoveArgs),
    /// The coldkey's stake positions and their value at current prices.
    List(ListArgs),
}

#[derive(Args)]
struct LimitArgs {
    /// How far the swap may move the pool's price: `0.5%` or `0.005`.
    #[arg(long, default_value = "0.5%", value_parser = parse_tolerance, value_name = "PCT")]
    tolerance: Ppb,
    /// Send no price limit at all: the swap executes at whatever price it reaches.
    #[arg(long)]
    no_limit: bool,
}

#[derive(Args)]
struct AddArgs {
    #[command(flatten)]
    tx: TxArgs,
    /// The subnet (0 for root).
    #[arg(long)]
    netuid: u16,
    /// Stake behind this hotkey: a hotkey name of the wallet, or any `tau1…` address.
    #[arg(long, default_value = "default", value_name = "NAME|ADDRESS")]
    hotkey: String,
    /// τ to stake.
    #[arg(long, value_parser = parse_tao, value_name = "TAU")]
    amount: Rao,
    #[command(flatten)]
    limit: LimitArgs,
}

#[derive(Args)]
struct RemoveArgs {
    #[command(flatten)]
    tx: TxArgs,
    /// The subnet (0 for root).
    #[arg(long)]
    netuid: u16,
    /// The hotkey the stake is behind: a hotkey name of the wallet, or any `tau1…` address.
    #[arg(long, default_value = "default", value_name = "NAME|ADDRESS")]
    hotkey: String,
    /// Alpha to unstake (τ on root).
    #[arg(long, value_parser = parse_alpha, value_name = "ALPHA", required_unless_present = "all")]
    amount: Option<AlphaRao>,
    /// Unstake the whole position.
    #[arg(long, conflicts_with = "amount")]
    all: bool,
    #[command(flatten)]
    limit: LimitArgs,
}

#[derive(Args)]
struct MoveArgs {
    #[command(flatten)]
    tx: TxArgs,
    /// The hotkey the stake is behind: a hotkey name of the wallet, or any `tau1…` address.
    #[arg(long, default_value = "default", value_name = "NAME|ADDRESS")]
    from_hotkey: String,
    /// [default: the same hotkey]
    #[arg(long, value_name = "NAME|ADDRESS")]
    to_hotkey: Option<String>,
    /// The subnet the stake is in (0 for root).
    #[arg(long)]
    from_netuid: u16,
    /// [default: the same subnet]
    #[arg(long)]
    to_netuid: Option<u16>,
    /// Alpha of the origin subnet to move.
    #[arg(long, value_parser = parse_alpha, value_name = "ALPHA", required_unless_present = "all")]
    amount: Option<AlphaRao>,
    /// Move the whole position.
    #[arg(long, conflicts_with = "amount")]
    all: bool,
    #[command(flatten)]
    limit: LimitArgs,
}

#[derive(Args)]
struct ListArgs {
    /// List another coldkey's positions instead of the wallet's.
    #[arg(long, value_name = "ADDRESS")]
    coldkey: Option<String>,
}

pub fn run(cmd: StakeCommand) -> anyhow::Result<()> {
    let ctx = Ctx::new(cmd.common)?;
    match cmd.action {
        Action::Add(a) => add(&ctx, a),
        Action::Remove(a) => remove(&ctx, a),
        Action::Move(a) => move_stake(&ctx, a),
        Action::List(a) => list(&ctx, a),
    }
}

/// The subnet's pool, `None` for root; an unknown subnet is an error that says where to look.
fn pool_of(ctx: &Ctx, netuid: NetUid) -> anyhow::Result<Option<Reserves>> {
    if netuid == NetUid::ROOT {
        return Ok(None);
    }
    Ok(Some(Reserves::from(&subnet(ctx, netuid)?.pool)))
}

fn subnet(ctx: &Ctx, netuid: NetUid) -> anyhow::Result<SubnetInfo> {
    ctx.client.subnet(netuid)?.ok_or_else(|| {
        anyhow::anyhow!("subnet {netuid} does not exist: `tau subnet list` shows the subnets")
    })
}

/// Stake goes only to hotkeys the ledger knows (registered somewhere, or a subnet owner's).
fn require_known_hotkey(ctx: &Ctx, hotkey: &PublicKey, netuid: NetUid) -> anyhow::Result<()> {
    if ctx.client.hotkey(hotkey)?.is_none() {
        bail!(
            "hotkey {hotkey} is not known to the ledger, so it cannot hold stake: register it with \
             `tau register --netuid {netuid}`, or stake behind a validator listed by `tau subnet \
             show --netuid {netuid}`"
        );
    }
    Ok(())
}

fn unit(netuid: NetUid) -> &'static str {
    if netuid == NetUid::ROOT { "τ" } else { "α" }
}

/// An alpha amount (τ on root) with the right symbol.
pub(super) fn stake_amount(amount: u64, netuid: NetUid) -> String {
    if netuid == NetUid::ROOT { Rao(amount).to_string() } else { AlphaRao(amount).to_string() }
}

/// The refusal of a swap beyond the tolerance, with the tolerance that would pass (`needed`).
fn slippage_error(
    what: &str,
    netuid: NetUid,
    (from, to): (PriceRao, PriceRao),
    tol: Ppb,
    needed: Ppb,
) -> anyhow::Error {
    anyhow::anyhow!(
        "{what} would move the price of subnet {netuid} from {from} to {to} ({needed}), beyond \
         your tolerance {tol}: use a smaller amount, or pass --tolerance {needed} or more (or \
         --no-limit to accept any price)"
    )
}

fn add(ctx: &Ctx, a: AddArgs) -> anyhow::Result<()> {
    let chain = ctx.client.chain()?;
    let netuid = NetUid(a.netuid);
    let hotkey = ctx.hotkey(&a.hotkey)?;
    let pool = pool_of(ctx, netuid)?;
    require_known_hotkey(ctx, &hotkey, netuid)?;
    let min = chain.economics.min_stake;
    if a.amount < min {
        bail!("{} is below the minimum stake {min}", a.amount);
    }
    let mut plan_details = vec![("hotkey".to_string(), hotkey.to_string())];
    let limit = match pool {
        None => None,
        Some(pool) => {
            let fee_rate = chain.economics.swap_fee_rate;
            let Some((alpha, after)) = pool.buy(a.amount.0, fee_rate) else {
                bail!("{} buys no alpha from subnet {netuid}'s pool: stake more", a.amount);
            };
            let (now, then) = (pool.price(), after.price());
            plan_details.push(("receive".into(), format!("~{}", AlphaRao(alpha))));
            plan_details.push(("price".into(), format!("{now} → {then}")));
            if a.limit.no_limit {
                None
            } else {
                let limit = ui::raise(now, a.limit.tolerance);
                if after.above(limit) {
                    // The exact price is below `then + 1`: a limit at that passes.
                    let needed = ui::relative_change(now, PriceRao(then.0.saturating_add(1)));
                    let what = format!("staking {}", a.amount);
                    let tol = a.limit.tolerance;
                    return Err(slippage_error(&what, netuid, (now, then), tol, needed));
                }
                plan_details.push(("price limit".into(), limit.to_string()));
                Some(limit)
            }
        }
    };
    let payload = Payload::AddStake { hotkey, netuid, amount: a.amount, limit_price: limit };
    let title = format!("Stake {} on subnet {netuid}", a.amount);
    let mut plan = Plan::new(title, KeyRef::Coldkey, payload).spending(a.amount, "stake");
    plan.details = plan_details;
    submit::run(ctx, &a.tx, &chain, plan)
}

/// The wallet's position behind `hotkey` on `netuid`, which must hold at least `amount` (or
/// everything, for `None`).
fn position(
    ctx: &Ctx,
    hotkey: &PublicKey,
    netuid: NetUid,
    amount: Option<AlphaRao>,
) -> anyhow::Result<(u64, u64)> {
    let coldkey = ctx.coldkey()?;
    let have = ctx
        .client
        .stakes(&coldkey)?
        .into_iter()
        .find(|p| p.hotkey == *hotkey && p.netuid == netuid)
        .map_or(0, |p| p.stake);
    if have == 0 {
        bail!(
            "coldkey {coldkey} has no stake behind {hotkey} on subnet {netuid}: `tau stake list` \
             shows its positions"
        );
    }
    let want = amount.map_or(have, |a| a.0);
    if want == 0 {
        bail!("the amount must be positive");
    }
    if want > have {
        bail!(
            "you have {} staked behind {hotkey} on subnet {netuid}, less than the {} asked for \
             (missing {}); pass --all to take everything",
            stake_amount(have, netuid),
            stake_amount(want, netuid),
            stake_amount(want - have, netuid)
        );
    }
    Ok((want, have - want))
}

/// τ out of selling `alpha` on `netuid` (1:1 on root), and the reserves after.
fn preview_sale(
    chain: &ChainInfo,
    netuid: NetUid,
    pool: Option<Reserves>,
    alpha: u64,
) -> anyhow::Result<(Rao, Option<Reserves>)> {
    match pool {
        None => Ok((Rao(alpha), None)),
        Some(pool) => match pool.sell(alpha, chain.economics.swap_fee_rate) {
            Some((tao, after)) => Ok((Rao(tao), Some(after))),
            None => bail!("{} sells for nothing in subnet {netuid}'s pool", AlphaRao(alpha)),
        },
    }
}

fn remove(ctx: &Ctx, a: RemoveArgs) -> anyhow::Result<()> {
    let chain = ctx.client.chain()?;
    let netuid = NetUid(a.netuid);
    let hotkey = ctx.hotkey(&a.hotkey)?;
    let pool = pool_of(ctx, netuid)?;
    let (amount, left) = position(ctx, &hotkey, netuid, if a.all { None } else { a.amount })?;
    let (tao, after) = preview_sale(&chain, netuid, pool, amount)?;
    let min = chain.economics.min_stake;
    if left > 0 && tao < min {
        bail!(
            "unstaking would return {tao}, below the minimum stake operation {min}: unstake more, \
             or pass --all"
        );
    }
    let mut details = vec![("hotkey".to_string(), hotkey.to_string())];
    details.push(("receive".into(), format!("~{tao}")));
    let mut limit = None;
    if let (Some(pool), Some(after)) = (pool, after) {
        let (now, then) = (pool.price(), after.price());
        details.push(("price".into(), format!("{now} → {then}")));
        if !a.limit.no_limit {
            let floor = ui::lower(now, a.limit.tolerance);
            if after.below(floor) {
                let what = format!("unstaking {}", AlphaRao(amount));
                let needed = ui::relative_change(now, then);
                let tol = a.limit.tolerance;
                return Err(slippage_error(&what, netuid, (now, then), tol, needed));
            }
            details.push(("price limit".into(), floor.to_string()));
            limit = Some(floor);
        }
    }
    let payload =
        Payload::RemoveStake { hotkey, netuid, amount: AlphaRao(amount), limit_price: limit };
    let title = format!("Unstake {} from subnet {netuid}", stake_amount(amount, netuid));
    let mut plan = Plan::new(title, KeyRef::Coldkey, payload);
    plan.details = details;
    submit::run(ctx, &a.tx, &chain, plan)
}

fn move_stake(ctx: &Ctx, a: MoveArgs) -> anyhow::Result<()> {
    let chain = ctx.client.chain()?;
    let from_net = NetUid(a.from_netuid);
    let to_net = NetUid(a.to_netuid.unwrap_or(a.from_netuid));
    let from_hk = ctx.hotkey(&a.from_hotkey)?;
    let to_hk = match &a.to_hotkey {
        Some(h) => ctx.hotkey(h)?,
        None => from_hk,
    };
    if from_hk == to_hk && from_net == to_net {
        bail!("nothing to move: give --to-hotkey and/or --to-netuid different from the origin");
    }
    let (from_pool, to_pool) = (pool_of(ctx, from_net)?, pool_of(ctx, to_net)?);
    require_known_hotkey(ctx, &to_hk, to_net)?;
    let (amount, _) = position(ctx, &from_hk, from_net, if a.all { None } else { a.amount })?;
    let mut details = vec![
        ("from".to_string(), format!("{from_hk} on subnet {from_net}")),
        ("to".to_string(), format!("{to_hk} on subnet {to_net}")),
    ];
    let mut limit = None;
    if from_net != to_net {
        // Across subnets the stake is sold for τ, then the τ buys the destination's alpha.
        let (tao, from_after) = preview_sale(&chain, from_net, from_pool, amount)?;
        let min = chain.economics.min_stake;
        if tao < min {
            bail!("the move sells for {tao}, below the minimum stake operation {min}: move more");
        }
        let (received, to_after) = match to_pool {
            None => (tao.0, None),
            Some(pool) => match pool.buy(tao.0, chain.economics.swap_fee_rate) {
                Some((alpha, after)) => (alpha, Some(after)),
                None => bail!("{tao} buys no alpha on subnet {to_net}: move more"),
            },
        };
        details.push(("receive".into(), format!("~{}", stake_amount(received, to_net))));
        let now = swap::ratio(swap::price_of(from_pool), swap::price_of(to_pool));
        let then = swap::ratio(swap::price_of(from_after), swap::price_of(to_after));
        if !a.limit.no_limit {
            let floor = ui::lower(now, a.limit.tolerance);
            if then < floor {
                let needed = ui::relative_change(now, then);
                bail!(
                    "the move would change the price ratio of subnet {from_net} to subnet \
                     {to_net} from {now} to {then} ({needed}), beyond your tolerance {}: move \
                     less, or pass --tolerance {needed} or more (or --no-limit)",
                    a.limit.tolerance
                );
            }
            details.push(("ratio limit".into(), floor.to_string()));
            limit = Some(floor);
        }
    }
    let payload = Payload::MoveStake {
        from_hotkey: from_hk,
        to_hotkey: to_hk,
        from_netuid: from_net,
        to_netuid: to_net,
        amount: AlphaRao(amount),
        limit_price: limit,
    };
    let title = format!(
        "Move {} from subnet {from_net} to subnet {to_net}",
        stake_amount(amount, from_net)
    );
    let mut plan = Plan::new(title, KeyRef::Coldkey, payload);
    plan.details = details;
    submit::run(ctx, &a.tx, &chain, plan)
}

fn list(ctx: &Ctx, a: ListArgs) -> anyhow::Result<()> {
    let coldkey = match &a.coldkey {
        Some(address) => PublicKey::from_address(address)
            .map_err(|e| anyhow::anyhow!("`{address}` is not a valid coldkey address: {e}"))?,
        None => ctx.coldkey()?,
    };
    let balance = ctx.client.account(&coldkey)?.balance;
    let stakes = ctx.client.stakes(&coldkey)?;
    let staked = stakes.iter().fold(Rao::ZERO, |t, p| t.checked_add(p.value).unwrap_or(Rao::MAX));
    if ctx.json {
        return ui::print_json(&json!({
            "coldkey": coldkey,
            "balance": balance,
            "stakes": stakes,
            "total_value": staked,
        }));
    }
    println!("Coldkey {coldkey}");
    if stakes.is_empty() {
        println!(
            "No stake. Add some with `tau stake add --netuid N --hotkey HOTKEY --amount TAU`."
        );
    } else {
        print_positions(&stakes);
    }
    println!("Free balance  {balance}");
    println!("Staked value  {staked}");
    Ok(())
}

fn print_positions(stakes: &[StakePosition]) {
    let mut t =
        ui::table(&["netuid", "hotkey", "stake", "price (τ/α)", "value (τ)"], &[0, 2, 3, 4]);
    for p in stakes {
        t.add_row(vec![
            p.netuid.to_string(),
            p.hotkey.to_string(),
            format!("{} {}", ui::decimal(p.stake), unit(p.netuid)),
            ui::decimal(p.price.0),
            ui::decimal(p.value.0),
        ]);
    }
    println!("{t}");
}
