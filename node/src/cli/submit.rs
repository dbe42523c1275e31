//! The one path every write command takes: check that the signer can pay, show what will be
//! signed, confirm, unlock the key, sign, submit, and wait for the block that includes it. The
//! ledger records rejected transactions too (the fee is burned, the payload is not applied), so
//! "included" is not "done": the receipt's verdict decides success.

use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Args;
use protocol::{Hash, Payload, PublicKey, Rao, Transaction};
use serde_json::json;

use super::client::{ChainInfo, ClientError, Receipt};
use super::context::{Ctx, KeyRef};
use super::ui::{self, parse_tao};

/// Flags of every command that signs a transaction.
#[derive(Args, Clone, Debug)]
#[command(next_help_heading = "Transaction")]
pub struct TxArgs {
    /// Fee in τ, burned [default: the chain's minimum fee].
    #[arg(long, value_parser = parse_tao, value_name = "TAU")]
    pub fee: Option<Rao>,
    /// Return once the node has accepted the transaction, without waiting for its block.
    #[arg(long)]
    pub no_wait: bool,
    /// Seconds to wait for the block that includes the transaction.
    #[arg(long, default_value = "60", value_name = "SECS")]
    pub timeout: u64,
}

/// A transaction about to be signed, described for the confirmation prompt.
pub struct Plan {
    /// One line: what happens, e.g. "Transfer 1.500000000 τ".
    pub title: String,
    /// Label and value lines shown under the title.
    pub details: Vec<(String, String)>,
    pub signer: KeyRef,
    pub payload: Payload,
    /// τ the payload takes from the signer's balance besides the fee, and what it is.
    pub spend: Rao,
    pub spend_label: &'static str,
}

impl Plan {
    pub fn new(title: impl Into<String>, signer: KeyRef, payload: Payload) -> Plan {
        Plan {
            title: title.into(),
            details: Vec::new(),
            signer,
            payload,
            spend: Rao::ZERO,
            spend_label: "amount",
        }
    }

    pub fn detail(mut self, label: &str, value: impl ToString) -> Plan {
        self.details.push((label.to_string(), value.to_string()));
        self
    }

    pub fn spending(mut self, amount: Rao, label: &'static str) -> Plan {
        self.spend = amount;
        self.spend_label = label;
        self
    }
}

/// The fee a transaction will carry: `--fee`, else the chain's minimum; never below the minimum.
pub fn fee(args: &TxArgs, chain: &ChainInfo) -> anyhow::Result<Rao> {
    let min = chain.economics.min_tx_fee;
    let fee = args.fee.unwrap_or(min);
    if fee < min {
        bail!("fee {fee} is below the chain's minimum fee {min}: pass --fee {min} or more");
    }
    Ok(fee)
}

/// The refusal when `balance` cannot cover `spend + fee`, naming the amount missing.
pub fn insufficient(
    who: &str,
    key: &PublicKey,
    balance: Rao,
    spend: Rao,
    label: &str,
    fee: Rao,
) -> anyhow::Error {
    let need = spend.checked_add(fee).unwrap_or(Rao::MAX);
    let missing = need.saturating_sub(balance);
    anyhow::anyhow!(
        "insufficient balance: need {need} ({label} {spend} + fee {fee}), have {balance} in \
         {who} {key}: missing {missing}. Transfer at least {missing} to {key} first."
    )
}

/// The signing key as the summary and errors name it.
fn describe(key: &KeyRef) -> String {
    match key {
        KeyRef::Coldkey => "coldkey".to_string(),
        KeyRef::Hotkey(name) => format!("hotkey `{name}`"),
    }
}

/// How a write ended, when it did not fail.
pub enum Outcome {
    /// In a block, with the ledger's verdict (never a rejection: that is a [`TxFailure`]).
    Included(Receipt),
    /// Accepted by the node; not waited for (`--no-wait`).
    Submitted,
}

/// Why a write failed, sorted by what is known of the transaction's fate.
#[derive(Debug, thiserror::Error)]
pub enum TxFailure {
    /// Refused before anything was signed or sent: nothing can happen on chain.
    #[error("{0:#}")]
    NotSent(anyhow::Error),
    /// Included, and rejected by the ledger: only the fee and nonce took effect.
    #[error("{0:#}")]
    Rejected(anyhow::Error),
    /// Sent, but its fate is unknown (timeout, lost connection): it may still be included.
    #[error("{0:#}")]
    Unknown(anyhow::Error),
}

/// Checks, confirms, signs, submits and waits, for commands that need nothing back.
pub fn run(ctx: &Ctx, args: &TxArgs, chain: &ChainInfo, plan: Plan) -> anyhow::Result<()> {
    execute(ctx, args, chain, plan)?;
    Ok(())
}

/// Checks, confirms, signs, submits and (unless `--no-wait`) waits for the verdict.
pub fn execute(
    ctx: &Ctx,
    args: &TxArgs,
    chain: &ChainInfo,
    plan: Plan,
) -> Result<Outcome, TxFailure> {
    let title = plan.title.clone();
    let (tx, signer) = sign(ctx, args, chain, plan).map_err(TxFailure::NotSent)?;
    let hash = ctx.client.submit(&tx).map_err(|e| match e {
        // A refusal or an unreachable node: the transaction is not in any mempool.
        e @ (ClientError::Refused(_) | ClientError::Unreachable { .. }) => {
            TxFailure::NotSent(refused(e, &signer))
        }
        e => TxFailure::Unknown(e.into()),
    })?;
    if tx.hash() != hash {
        let e = anyhow::anyhow!(
            "the node acknowledged transaction {hash}, but this one is {}",
            tx.hash()
        );
        return Err(TxFailure::Unknown(e));
    }
    if args.no_wait {
        let printed = if ctx.json {
            ui::print_json(&json!({ "hash": hash, "status": "submitted", "tx": tx }))
        } else {
            println!("Submitted transaction {hash}; not waiting for its block (--no-wait).");
            Ok(())
        };
        printed.map_err(TxFailure::Unknown)?;
        return Ok(Outcome::Submitted);
    }
    let timeout = Duration::from_secs(args.timeout);
    let receipt = wait(ctx, &hash, &signer, tx.body.nonce, timeout).map_err(TxFailure::Unknown)?;
    report(ctx, &title, &tx, &receipt)?;
    Ok(Outcome::Included(receipt))
}

/// Everything before submission: balance, summary, confirmation, password, signature.
fn sign(
    ctx: &Ctx,
    args: &TxArgs,
    chain: &ChainInfo,
    plan: Plan,
) -> anyhow::Result<(Transaction, PublicKey)> {
    let signer = ctx.public(&plan.signer)?;
    let account = ctx.client.account(&signer)?;
    let fee = fee(args, chain)?;
    let who = describe(&plan.signer);
    let need = plan.spend.checked_add(fee).unwrap_or(Rao::MAX);
    if account.balance < need {
        return Err(insufficient(
            &who,
            &signer,
            account.balance,
            plan.spend,
            plan.spend_label,
            fee,
        ));
    }

    // The summary goes to stderr so that stdout holds only the result (and stays JSON with --json).
    eprintln!("{}", plan.title);
    let mut lines = plan.details.clone();
    lines.push(("signer".into(), format!("{signer} ({who} of wallet `{}`)", ctx.wallet_name())));
    lines.push(("fee".into(), fee.to_string()));
    lines.push((
        "balance".into(),
        format!("{} → {}", account.balance, account.balance.saturating_sub(need)),
    ));
    let width = lines.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0);
    for (label, value) in &lines {
        eprintln!("  {label:<width$}  {value}");
    }
    ui::confirm(ctx.yes, "Sign and submit this transaction?")?;

    let keypair = ctx.unlock(&plan.signer)?;
    if keypair.public() != signer {
        bail!("the {who} decrypts to {} but its address is {signer}", keypair.public());
    }
    let tx = Transaction::sign(&keypair, &chain.chain_id, account.nonce, fee, plan.payload);
    Ok((tx, signer))
}

/// Why the mempool refused a transaction, with what to do about a pending one from the same key.
fn refused(e: ClientError, signer: &PublicKey) -> anyhow::Error {
    match e {
        ClientError::Refused(msg) if msg.contains("nonce") || msg.contains("same nonce") => {
            anyhow::anyhow!(
                "the node refused the transaction: {msg}. Another transaction from {signer} is \
                 probably still waiting for a block: wait for it to be included, then run this \
                 again."
            )
        }
        other => other.into(),
    }
}

/// Polls for the receipt until `timeout`. A nonce that moves past ours without a receipt means
/// another transaction with the same nonce won.
fn wait(
    ctx: &Ctx,
    hash: &Hash,
    signer: &PublicKey,
    nonce: u64,
    timeout: Duration,
) -> anyhow::Result<Receipt> {
    let start = Instant::now();
    let mut replaced_seen = false;
    let mut polls = 0u32;
    loop {
        if let Some(r) = ctx.client.receipt(hash)? {
            return Ok(r);
        }
        polls += 1;
        if polls.is_multiple_of(10) {
            let now = ctx.client.account(signer)?.nonce;
            if now > nonce {
                // One more round first: the receipt may trail the block by a moment.
                if replaced_seen {
                    bail!(
                        "nonce {nonce} of {signer} was used by another transaction, so {hash} \
                         will never be included: check what else signed with this key"
                    );
                }
                replaced_seen = true;
            }
        }
        if start.elapsed() >= timeout {
            bail!(
                "transaction {hash} was accepted by the node but is not in a block after {} s; it \
                 may still be included: ask GET {}/transactions/{hash}, or wait longer with \
                 --timeout",
                timeout.as_secs(),
                ctx.client.url()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn report(ctx: &Ctx, title: &str, tx: &Transaction, r: &Receipt) -> Result<(), TxFailure> {
    let hash = tx.hash();
    if ctx.json {
        let printed = ui::print_json(&json!({
            "hash": hash,
            "status": "included",
            "height": r.height,
            "ok": r.ok,
            "error": r.error,
            "tx": tx,
        }));
        printed.map_err(TxFailure::Unknown)?;
    }
    match r.ok {
        Some(true) => {
            if !ctx.json {
                println!("Done in block {}: {title} (tx {hash})", r.height);
            }
            Ok(())
        }
        Some(false) => {
            let reason = r.error.as_deref().unwrap_or("no reason given");
            Err(TxFailure::Rejected(anyhow::anyhow!(
                "the ledger rejected the transaction in block {}: {reason}. Its fee {} was burned \
                 and nonce {} used; nothing else changed (tx {hash}).",
                r.height,
                tx.body.fee,
                tx.body.nonce
            )))
        }
        None => {
            if !ctx.json {
                println!(
                    "Included in block {} (tx {hash}), but this node did not record whether the \
                     ledger applied it: check the balances or stakes it should have changed.",
                    r.height
                );
            }
            Ok(())
        }
    }
}
