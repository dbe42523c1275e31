//! `tau subnet create | list | show | hyperparameters | set`, and `tau metagraph` (the same table
//! as `subnet show`): subnets, their pools and their neurons.

use anyhow::bail;
use clap::{Args, Subcommand};
use consensus::ledger::query::{NeuronInfo, SubnetInfo};
use protocol::hyperparams::SubnetHyperparameters;
use protocol::{NetUid, Payload, Rao};
use serde_json::json;

use super::context::{CommonArgs, Ctx, KeyRef};
use super::hyperparams;
use super::submit::{self, Plan, TxArgs};
use super::ui::{self, parse_tao};

#[derive(Args)]
pub struct SubnetCommand {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Create a subnet owned by the wallet's coldkey, burning the current lock cost.
    Create(CreateArgs),
    /// Every subnet with its pool, price and registration burn.
    List,
    /// A subnet's metagraph: every uid with its keys, stake and last epoch's results.
    #[command(visible_alias = "metagraph")]
    Show(ShowArgs),
    /// A subnet's hyperparameters.
    #[command(visible_alias = "hparams")]
    Hyperparameters(NetuidArg),
    /// Owner only: change hyperparameters, as NAME=VALUE pairs (e.g. tempo=100).
    Set(SetArgs),
}

#[derive(Args)]
pub struct NetuidArg {
    /// The subnet.
    #[arg(long)]
    netuid: u16,
}

#[derive(Args)]
pub struct ShowArgs {
    /// The subnet.
    #[arg(long)]
    netuid: u16,
}

#[derive(Args)]
struct CreateArgs {
    #[command(flatten)]
    tx: TxArgs,
    /// The wallet's hotkey that becomes the subnet's owner hotkey (uid 0).
    #[arg(long, default_value = "default", value_name = "NAME")]
    hotkey: String,
    /// Most τ to lock [default: the current lock cost].
    #[arg(long, value_parser = parse_tao, value_name = "TAU")]
    max_lock_cost: Option<Rao>,
    /// Hyperparameters other than the defaults, as NAME=VALUE pairs.
    #[arg(value_name = "NAME=VALUE")]
    set: Vec<String>,
}

#[derive(Args)]
struct SetArgs {
    #[command(flatten)]
    tx: TxArgs,
    /// The subnet.
    #[arg(long)]
    netuid: u16,
    /// NAME=VALUE pairs; `tau subnet hyperparameters` lists the names.
    #[arg(value_name = "NAME=VALUE", required = true)]
    set: Vec<String>,
}

pub fn run(cmd: SubnetCommand) -> anyhow::Result<()> {
    let ctx = Ctx::new(cmd.common)?;
    match cmd.action {
        Action::Create(a) => create(&ctx, a),
        Action::List => list(&ctx),
        Action::Show(a) => show(&ctx, NetUid(a.netuid)),
        Action::Hyperparameters(a) => hyperparameters(&ctx, NetUid(a.netuid)),
        Action::Set(a) => set(&ctx, a),
    }
}

/// `tau metagraph --netuid N`.
pub fn metagraph(common: CommonArgs, a: ShowArgs) -> anyhow::Result<()> {
    show(&Ctx::new(common)?, NetUid(a.netuid))
}

fn require(ctx: &Ctx, netuid: NetUid) -> anyhow::Result<SubnetInfo> {
    if netuid == NetUid::ROOT {
        bail!("netuid 0 is root: it has no pool, neurons or hyperparameters");
    }
    ctx.client.subnet(netuid)?.ok_or_else(|| {
        anyhow::anyhow!("subnet {netuid} does not exist: `tau subnet list` shows the subnets")
    })
}

fn create(ctx: &Ctx, a: CreateArgs) -> anyhow::Result<()> {
    let chain = ctx.client.chain()?;
    let coldkey = ctx.coldkey()?;
    let hotkey = ctx.wallet()?.hotkey_public(&a.hotkey)?;
    let hyperparameters = hyperparams::apply(&SubnetHyperparameters::default(), &a.set)
        .map_err(anyhow::Error::msg)?;
    let next_block = chain.height.0 + 1;
    if let Some(next) = chain.next_subnet_creation_block.filter(|n| *n > next_block) {
        bail!(
            "subnet creation is rate limited to one per {} blocks: next allowed at block {next} \
             (in {} blocks)",
            chain.economics.network_rate_limit,
            next - chain.height.0
        );
    }
    let existing = ctx.client.subnets()?.len();
    if existing >= usize::from(chain.economics.subnet_limit) {
        bail!("the network already has its limit of {} subnets", chain.economics.subnet_limit);
    }
    if let Some(owner) = ctx.client.hotkey(&hotkey)?.map(|h| h.coldkey)
        && owner != coldkey
    {
        bail!("hotkey {hotkey} belongs to coldkey {owner}: pick a hotkey this wallet owns");
    }
    let cost = chain.subnet_lock_cost;
    let max_lock_cost = a.max_lock_cost.unwrap_or(cost);
    if cost > max_lock_cost {
        bail!("the lock cost is {cost}, above your --max-lock-cost {max_lock_cost}");
    }
    let mut plan = Plan::new(
        format!("Create a subnet, locking {cost}"),
        KeyRef::Coldkey,
        Payload::CreateSubnet {
            owner_hotkey: hotkey,
            max_lock_cost,
            hyperparameters: hyperparameters.clone(),
        },
    )
    .detail("owner hotkey", hotkey)
    .detail("lock", cost)
    .spending(cost, "lock cost");
    for (name, change) in hyperparams::changes(&SubnetHyperparameters::default(), &hyperparameters)
    {
        plan = plan.detail(&name, change);
    }
    submit::run(ctx, &a.tx, &chain, plan)
}

fn list(ctx: &Ctx) -> anyhow::Result<()> {
    let subnets = ctx.client.subnets()?;
    if ctx.json {
        return ui::print_json(&subnets);
    }
    if subnets.is_empty() {
        println!("No subnets yet: create one with `tau subnet create`.");
        return Ok(());
    }
    let header = [
        "netuid",
        "name",
        "uids",
        "price (τ/α)",
        "pool τ",
        "reg. burn τ",
        "tempo",
        "next epoch",
        "owner",
    ];
    let mut t = ui::table(&header, &[0, 2, 3, 4, 5, 6, 7]);
    for s in &subnets {
        t.add_row(vec![
            s.netuid.to_string(),
            s.name.clone(),
            format!("{}/{}", s.n, s.hyperparameters.max_uids),
            ui::decimal(s.pool.price.0),
            ui::decimal(s.pool.tao.0),
            ui::decimal(s.registration_burn.0),
            s.hyperparameters.tempo.to_string(),
            s.next_epoch_block.to_string(),
            ui::short(&s.owner_coldkey),
        ]);
    }
    println!("{t}");
    Ok(())
}

fn show(ctx: &Ctx, netuid: NetUid) -> anyhow::Result<()> {
    let info = require(ctx, netuid)?;
    let neurons = ctx.client.metagraph(netuid)?.unwrap_or_default();
    if ctx.json {
        return ui::print_json(&json!({ "subnet": info, "neurons": neurons }));
    }
    let hp = &info.hyperparameters;
    println!(
        "Subnet {netuid} `{}`: {}/{} uids, tempo {}, next epoch at block {}, task `{}`",
        info.name, info.n, hp.max_uids, hp.tempo, info.next_epoch_block, hp.task
    );
    println!(
        "  price {}, pool {} / {}, registration burn {}",
        info.pool.price, info.pool.tao, info.pool.alpha_in, info.registration_burn
    );
    println!("  owner {} (hotkey {})", info.owner_coldkey, info.owner_hotkey);
    print_neurons(&neurons, &info);
    Ok(())
}

fn print_neurons(neurons: &[NeuronInfo], info: &SubnetInfo) {
    if neurons.is_empty() {
        println!("No neurons: register one with `tau register --netuid {}`.", info.netuid);
        return;
    }
    let header = [
        "uid",
        "hotkey",
        "coldkey",
        "stake α",
        "root τ",
        "incentive",
        "dividends",
        "consensus",
        "vtrust",
        "emission α",
        "permit",
        "active",
        "updated",
    ];
    let mut t = ui::table(&header, &[0, 3, 4, 5, 6, 7, 8, 9, 12]);
    for n in neurons {
        let mut hotkey = n.hotkey.to_string();
        if n.hotkey == info.owner_hotkey {
            hotkey.push_str(" (owner)");
        }
        t.add_row(vec![
            n.uid.to_string(),
            hotkey,
            ui::short(&n.coldkey),
            ui::decimal(n.stake.0),
            ui::decimal(n.root_stake.0),
            ui::u16_frac(n.incentive),
            ui::u16_frac(n.dividends),
            ui::u16_frac(n.consensus),
            ui::u16_frac(n.validator_trust),
            ui::decimal(n.emission),
            if n.validator_permit { "yes" } else { "" }.to_string(),
            if n.active { "yes" } else { "no" }.to_string(),
            n.last_update.to_string(),
        ]);
    }
    println!("{t}");
}

fn hyperparameters(ctx: &Ctx, netuid: NetUid) -> anyhow::Result<()> {
    let info = require(ctx, netuid)?;
    if ctx.json {
        return ui::print_json(
            &json!({ "netuid": netuid, "hyperparameters": info.hyperparameters }),
        );
    }
    println!("Subnet {netuid} `{}` hyperparameters", info.name);
    let mut t = ui::table(&["name", "value"], &[]);
    for (name, value) in hyperparams::rows(&info.hyperparameters) {
        t.add_row(vec![name, value]);
    }
    println!("{t}");
    println!("Change them (owner only) with `tau subnet set --netuid {netuid} NAME=VALUE …`.");
    Ok(())
}

fn set(ctx: &Ctx, a: SetArgs) -> anyhow::Result<()> {
    let chain = ctx.client.chain()?;
    let netuid = NetUid(a.netuid);
    let info = require(ctx, netuid)?;
    let coldkey = ctx.coldkey()?;
    if info.owner_coldkey != coldkey {
        bail!(
            "only the owner of subnet {netuid} ({}) may change its hyperparameters; this wallet's \
             coldkey is {coldkey}",
            info.owner_coldkey
        );
    }
    let new = hyperparams::apply(&info.hyperparameters, &a.set).map_err(anyhow::Error::msg)?;
    if new.max_uids < info.n {
        bail!("max_uids {} is below the {} uids the subnet already has", new.max_uids, info.n);
    }
    let changes = hyperparams::changes(&info.hyperparameters, &new);
    if changes.is_empty() {
        bail!("these values are the current ones: nothing to change");
    }
    let mut plan = Plan::new(
        format!("Change {} hyperparameter(s) of subnet {netuid}", changes.len()),
        KeyRef::Coldkey,
        Payload::SetHyperparameters { netuid, hyperparameters: new },
    );
    for (name, change) in changes {
        plan = plan.detail(&name, change);
    }
    submit::run(ctx, &a.tx, &chain, plan)
}
