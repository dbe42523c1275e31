//! `tau validator opt-in | list`: the ledger (BFT) validator set. A hotkey opts in; the top
//! `max_ledger_validators` opted-in hotkeys by root stake vote on blocks, weighted by that stake.

use anyhow::bail;
use clap::{Args, Subcommand};
use protocol::Payload;

use super::context::{CommonArgs, Ctx, KeyRef, hotkey_name};
use super::submit::{self, Plan, TxArgs};
use super::ui;

#[derive(Args)]
pub struct ValidatorCommand {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Ask for the wallet's hotkey to join the ledger validator set (signed by the hotkey).
    OptIn(OptInArgs),
    /// The ledger validator set in force, with voting power.
    List,
}

#[derive(Args)]
struct OptInArgs {
    #[command(flatten)]
    tx: TxArgs,
    /// The wallet's hotkey that opts in (and signs).
    #[arg(long, default_value = "default", value_name = "NAME")]
    hotkey: String,
}

pub fn run(cmd: ValidatorCommand) -> anyhow::Result<()> {
    let ctx = Ctx::new(cmd.common)?;
    match cmd.action {
        Action::OptIn(a) => opt_in(&ctx, a),
        Action::List => list(&ctx),
    }
}

fn opt_in(ctx: &Ctx, a: OptInArgs) -> anyhow::Result<()> {
    let chain = ctx.client.chain()?;
    let name = hotkey_name(&a.hotkey)?;
    let hotkey = ctx.wallet()?.hotkey_public(&name)?;
    let Some(info) = ctx.client.hotkey(&hotkey)? else {
        bail!(
            "hotkey `{name}` ({hotkey}) is not known to the ledger: register it on a subnet first \
             (`tau register --netuid N --hotkey {name}`)"
        );
    };
    let next = chain.height.0 + 1;
    match info.ledger_validator {
        Some(v) if v.jailed_until.is_some_and(|until| until > next) => {
            let until = v.jailed_until.unwrap_or_default();
            bail!(
                "hotkey {hotkey} is jailed for equivocation until block {until} (in {} blocks): \
                 it may opt in again after that",
                until - chain.height.0
            );
        }
        Some(v) if v.jailed_until.is_none() => {
            bail!("hotkey {hotkey} already opted in at block {}: nothing to do", v.opted_in_at);
        }
        _ => {}
    }
    let mut plan = Plan::new(
        format!("Opt hotkey `{name}` in to the ledger validator set"),
        KeyRef::Hotkey(name.clone()),
        Payload::OptInValidator,
    )
    .detail("hotkey", hotkey)
    .detail("set size", chain.consensus.max_ledger_validators);
    // Voting power is root stake: without it, an opted-in hotkey never makes the set.
    if info.root_stake.is_zero() {
        plan = plan.detail(
            "note",
            format!(
                "it has no root stake, and the set takes the top root stakes: add some with \
                 `tau stake add --netuid 0 --hotkey {name}`"
            ),
        );
    } else {
        plan = plan.detail("root stake", info.root_stake);
    }
    submit::run(ctx, &a.tx, &chain, plan)
}

fn list(ctx: &Ctx) -> anyhow::Result<()> {
    let set = ctx.client.validators()?;
    if ctx.json {
        return ui::print_json(&set);
    }
    let n = set.validators.len();
    println!("Ledger validator set in force since block {}: {n} validator(s)", set.since);
    let total: u128 = set.validators.iter().map(|v| u128::from(v.power)).sum();
    let mut t = ui::table(&["hotkey", "power (τ)", "share"], &[1, 2]);
    for v in &set.validators {
        let share = if total == 0 { 0.0 } else { v.power as f64 * 100.0 / total as f64 };
        t.add_row(vec![v.key.to_string(), ui::decimal(v.power), format!("{share:.2}%")]);
    }
    println!("{t}");
    Ok(())
}
