//! `tau transfer`: send τ from the wallet's coldkey to any address.

use anyhow::{Context as _, bail};
use clap::Args;
use protocol::{Payload, PublicKey, Rao};

use super::context::{CommonArgs, Ctx, KeyRef};
use super::submit::{self, Plan, TxArgs};
use super::ui::parse_tao;

#[derive(Args)]
pub struct TransferArgs {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    tx: TxArgs,
    /// The address to send to (`tau1…`).
    #[arg(long, value_name = "ADDRESS")]
    to: String,
    /// How much, in τ (e.g. 1.5).
    #[arg(long, value_parser = parse_tao, value_name = "TAU", required_unless_present = "all")]
    amount: Option<Rao>,
    /// Send the whole balance, less the fee.
    #[arg(long, conflicts_with = "amount")]
    all: bool,
}

pub fn run(a: TransferArgs) -> anyhow::Result<()> {
    let ctx = Ctx::new(a.common)?;
    let to = PublicKey::from_address(&a.to)
        .with_context(|| format!("`{}` is not a valid address to send to", a.to))?;
    let chain = ctx.client.chain()?;
    let from = ctx.coldkey()?;
    if from == to {
        bail!("{to} is this wallet's own coldkey: a transfer to itself would only burn the fee");
    }
    let amount = match a.amount {
        Some(amount) => amount,
        None => {
            let fee = submit::fee(&a.tx, &chain)?;
            let balance = ctx.client.account(&from)?.balance;
            balance.checked_sub(fee).filter(|x| !x.is_zero()).ok_or_else(|| {
                anyhow::anyhow!(
                    "balance {balance} of {from} leaves nothing to send after the fee {fee}"
                )
            })?
        }
    };
    if amount.is_zero() {
        bail!("the amount must be positive");
    }
    let plan = Plan::new(
        format!("Transfer {amount} to {to}"),
        KeyRef::Coldkey,
        Payload::Transfer { to, amount },
    )
    .detail("to", to)
    .detail("amount", amount)
    .spending(amount, "amount");
    submit::run(&ctx, &a.tx, &chain, plan)
}
