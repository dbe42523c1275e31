//! `tau wallet …`: create, restore and inspect wallets. The keys, files and formats are in
//! `crate::wallet`; this file is prompts, flags and output only.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::wallet::{
    self, KdfParams, KeyInfo, Mnemonic, Password, Purpose, Wallet, WalletSummary, WordCount,
    WriteOptions,
};

#[derive(Args)]
pub struct WalletCommand {
    #[command(flatten)]
    opts: CommonArgs,
    #[command(subcommand)]
    action: Action,
}

#[derive(Args)]
struct CommonArgs {
    /// Directory holding the wallets [default: ~/.tau/wallets].
    #[arg(long, global = true, env = "TAU_WALLET_DIR", value_name = "DIR")]
    wallet_dir: Option<PathBuf>,
    /// The wallet to use.
    #[arg(long, short = 'w', global = true, default_value = "default", value_name = "NAME")]
    wallet: String,
    /// Read the password from this file (one trailing newline is ignored) instead of prompting;
    /// TAU_WALLET_PASSWORD works too.
    #[arg(long, global = true, value_name = "PATH")]
    password_file: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Answer yes to confirmation prompts.
    #[arg(short = 'y', long = "yes", global = true)]
    yes: bool,
    /// Tests only: argon2 parameters so cheap that the password is easy to guess.
    #[arg(
        long,
        global = true,
        hide = true,
        env = "TAU_WALLET_INSECURE_TEST_KDF",
        hide_env = true,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    insecure_test_kdf: bool,
}

#[derive(Subcommand)]
enum Action {
    /// List the wallets with their coldkey and hotkey addresses (no password needed).
    List,
    /// Create the coldkey, encrypted with a password, and print its mnemonic once.
    NewColdkey(NewArgs),
    /// Create a hotkey (plain unless --encrypt) and print its mnemonic once.
    NewHotkey(NewHotkeyArgs),
    /// Restore the coldkey from its mnemonic.
    RegenColdkey(RegenArgs),
    /// Restore a hotkey from its mnemonic.
    RegenHotkey(RegenHotkeyArgs),
    /// Print a wallet's addresses.
    #[command(visible_alias = "address")]
    Show(ShowArgs),
    /// Check a password: decrypt the coldkey (or, with --hotkey, a hotkey) and compare it with
    /// its address.
    Check(CheckArgs),
    /// The coldkey's balance, read from a running node's API.
    Balance(ApiArgs),
    /// Balance and stake of the coldkey and every hotkey, read from a running node's API.
    Overview(ApiArgs),
}

#[derive(Args)]
struct NewArgs {
    /// Words in the mnemonic: 12, 15, 18, 21 or 24.
    #[arg(long, default_value = "12", value_parser = parse_words, value_name = "N")]
    words: WordCount,
    /// Replace an existing key (it is lost for good unless you have its mnemonic).
    #[arg(long)]
    overwrite: bool,
}

#[derive(Args)]
struct HotkeyArg {
    /// The hotkey's name.
    #[arg(long, default_value = "default", value_name = "NAME")]
    hotkey: String,
}

#[derive(Args)]
struct NewHotkeyArgs {
    #[command(flatten)]
    name: HotkeyArg,
    #[command(flatten)]
    new: NewArgs,
    /// Encrypt the hotkey with a password (a node using it then needs the password to start).
    #[arg(long)]
    encrypt: bool,
}

#[derive(Args)]
struct RegenArgs {
    /// The mnemonic's words. Omit it (or pass `-`) to type them at a hidden prompt or pipe them
    /// on stdin, which keeps them out of shell history.
    #[arg(long, value_name = "WORDS")]
    mnemonic: Option<String>,
    /// Replace an existing key (it is lost for good unless you have its mnemonic).
    #[arg(long)]
    overwrite: bool,
}

#[derive(Args)]
struct RegenHotkeyArgs {
    #[command(flatten)]
    name: HotkeyArg,
    #[command(flatten)]
    regen: RegenArgs,
    /// Encrypt the hotkey with a password.
    #[arg(long)]
    encrypt: bool,
}

#[derive(Args)]
struct ShowArgs {
    /// Show only this hotkey (and the coldkey).
    #[arg(long, value_name = "NAME")]
    hotkey: Option<String>,
}

#[derive(Args)]
struct CheckArgs {
    /// Check this hotkey instead of the coldkey.
    #[arg(long, value_name = "NAME")]
    hotkey: Option<String>,
}

#[derive(Args)]
struct ApiArgs {
    /// URL of a running node's HTTP API.
    #[arg(long, env = "TAU_API", value_name = "URL")]
    api: Option<String>,
}

fn parse_words(s: &str) -> Result<WordCount, String> {
    let n: usize = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    WordCount::from_words(n).map_err(|e| e.to_string())
}

pub fn run(cmd: WalletCommand) -> anyhow::Result<()> {
    let ctx = Ctx::new(cmd.opts)?;
    match cmd.action {
        Action::List => list(&ctx),
        Action::NewColdkey(a) => new_coldkey(&ctx, a),
        Action::NewHotkey(a) => new_hotkey(&ctx, a),
        Action::RegenColdkey(a) => regen_coldkey(&ctx, a),
        Action::RegenHotkey(a) => regen_hotkey(&ctx, a),
        Action::Show(a) => show(&ctx, a),
        Action::Check(a) => check(&ctx, a),
        Action::Balance(a) => needs_api(&ctx, "balance", a, false),
        Action::Overview(a) => needs_api(&ctx, "overview", a, true),
    }
}

/// The options every subcommand shares, resolved.
struct Ctx {
    dir: PathBuf,
    wallet: String,
    password_file: Option<PathBuf>,
    json: bool,
    yes: bool,
    kdf: KdfParams,
}

impl Ctx {
    fn new(o: CommonArgs) -> anyhow::Result<Ctx> {
        let dir = match o.wallet_dir.or_else(wallet::default_wallets_dir) {
            Some(dir) => dir,
            None => bail!(
                "no home directory to find ~/.tau/wallets: pass --wallet-dir or set TAU_WALLET_DIR"
            ),
        };
        let kdf = if o.insecure_test_kdf {
            eprintln!("warning: insecure test KDF parameters: never use them for real keys");
            KdfParams::INSECURE_FOR_TESTS
        } else {
            KdfParams::DEFAULT
        };
        let (wallet, password_file, json, yes) = (o.wallet, o.password_file, o.json, o.yes);
        Ok(Ctx { dir, wallet, password_file, json, yes, kdf })
    }

    fn open(&self) -> anyhow::Result<Wallet> {
        Ok(Wallet::open(&self.dir, &self.wallet)?)
    }

    fn open_or_create(&self) -> anyhow::Result<Wallet> {
        Ok(Wallet::open_or_create(&self.dir, &self.wallet)?)
    }

    fn password(&self, what: &str, purpose: Purpose) -> anyhow::Result<Password> {
        Ok(wallet::obtain_password(self.password_file.as_deref(), what, purpose)?)
    }

    fn write_options(&self, overwrite: bool) -> WriteOptions {
        WriteOptions { overwrite, kdf: self.kdf }
    }

    fn confirm(&self, question: &str) -> anyhow::Result<()> {
        super::ui::confirm(self.yes, question)
    }
}

/// Confirms replacing an existing key; refuses early (before any prompt) without --overwrite.
fn guard_overwrite(ctx: &Ctx, path: &Path, exists: bool, overwrite: bool) -> anyhow::Result<()> {
    if exists && !overwrite {
        return Err(wallet::WalletError::AlreadyExists { path: path.to_path_buf() }.into());
    }
    if exists {
        ctx.confirm(&format!(
            "Replace the key at {}? It is lost for good unless you have its mnemonic.",
            path.display()
        ))?;
    }
    Ok(())
}

fn new_coldkey(ctx: &Ctx, a: NewArgs) -> anyhow::Result<()> {
    let w = ctx.open_or_create()?;
    guard_overwrite(ctx, &w.coldkey_path(), w.has_coldkey(), a.overwrite)?;
    let what = format!("the new coldkey of wallet `{}`", w.name());
    let password = ctx.password(&what, Purpose::Create)?;
    let (mnemonic, info) = w.create_coldkey(a.words, &password, ctx.write_options(a.overwrite))?;
    report_written(ctx, &w, None, &info, Some(&mnemonic))
}

fn new_hotkey(ctx: &Ctx, a: NewHotkeyArgs) -> anyhow::Result<()> {
    let w = ctx.open_or_create()?;
    let name = a.name.hotkey;
    guard_overwrite(ctx, &w.hotkey_path(&name)?, w.has_hotkey(&name)?, a.new.overwrite)?;
    let password = hotkey_password(ctx, &w, &name, a.encrypt)?;
    let opts = ctx.write_options(a.new.overwrite);
    let (mnemonic, info) = w.create_hotkey(&name, a.new.words, password.as_ref(), opts)?;
    report_written(ctx, &w, Some(&name), &info, Some(&mnemonic))
}

fn regen_coldkey(ctx: &Ctx, a: RegenArgs) -> anyhow::Result<()> {
    let w = ctx.open_or_create()?;
    guard_overwrite(ctx, &w.coldkey_path(), w.has_coldkey(), a.overwrite)?;
    let mnemonic = read_mnemonic(a.mnemonic)?;
    let what = format!("the coldkey of wallet `{}`", w.name());
    let password = ctx.password(&what, Purpose::Create)?;
    let info = w.regen_coldkey(&mnemonic, &password, ctx.write_options(a.overwrite))?;
    report_written(ctx, &w, None, &info, None)
}

fn regen_hotkey(ctx: &Ctx, a: RegenHotkeyArgs) -> anyhow::Result<()> {
    let w = ctx.open_or_create()?;
    let name = a.name.hotkey;
    guard_overwrite(ctx, &w.hotkey_path(&name)?, w.has_hotkey(&name)?, a.regen.overwrite)?;
    let mnemonic = read_mnemonic(a.regen.mnemonic)?;
    let password = hotkey_password(ctx, &w, &name, a.encrypt)?;
    let opts = ctx.write_options(a.regen.overwrite);
    let info = w.regen_hotkey(&name, &mnemonic, password.as_ref(), opts)?;
    report_written(ctx, &w, Some(&name), &info, None)
}

fn hotkey_password(
    ctx: &Ctx,
    w: &Wallet,
    name: &str,
    encrypt: bool,
) -> anyhow::Result<Option<Password>> {
    if !encrypt {
        return Ok(None);
    }
    let what = format!("hotkey `{name}` of wallet `{}`", w.name());
    Ok(Some(ctx.password(&what, Purpose::Create)?))
}

/// The mnemonic from `--mnemonic`, else a hidden prompt in a terminal, else one line of stdin.
fn read_mnemonic(arg: Option<String>) -> anyhow::Result<Mnemonic> {
    let phrase = match arg {
        Some(words) if words != "-" => Zeroizing::new(words),
        from_stdin => {
            if from_stdin.is_none() && std::io::stdin().is_terminal() {
                Zeroizing::new(
                    rpassword::prompt_password("Mnemonic (input hidden): ")
                        .context("reading the mnemonic from the terminal")?,
                )
            } else {
                // A mnemonic is at most 24 words of at most 8 letters: 4 KiB is plenty.
                let mut buf = Zeroizing::new(String::new());
                std::io::stdin()
                    .take(4096)
                    .read_to_string(&mut buf)
                    .context("reading the mnemonic from stdin")?;
                buf
            }
        }
    };
    Ok(Mnemonic::parse(&phrase)?)
}

/// What `new-*` and `regen-*` print. The mnemonic is in the JSON because scripts must capture
/// it; the warning goes to stderr so the JSON stays parseable.
#[derive(Serialize)]
struct Written<'a> {
    wallet: &'a str,
    key: &'a str,
    hotkey: Option<&'a str>,
    address: String,
    path: String,
    encrypted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    mnemonic: Option<&'a str>,
}

fn report_written(
    ctx: &Ctx,
    w: &Wallet,
    hotkey: Option<&str>,
    info: &KeyInfo,
    mnemonic: Option<&Mnemonic>,
) -> anyhow::Result<()> {
    let phrase = mnemonic.map(Mnemonic::phrase);
    let out = Written {
        wallet: w.name(),
        key: if hotkey.is_some() { "hotkey" } else { "coldkey" },
        hotkey,
        address: info.public.to_address(),
        path: info.path.display().to_string(),
        encrypted: info.encrypted,
        mnemonic: phrase.as_ref().map(|p| p.as_str()),
    };
    const WARNING: &str = "Write this mnemonic down and keep it offline. It is the only way to \
        restore the key\nif the file is lost or the password forgotten; anyone who has it \
        controls the key. It is not\nshown again.";
    if ctx.json {
        let text = Zeroizing::new(serde_json::to_string_pretty(&out)?);
        println!("{}", text.as_str());
        if phrase.is_some() {
            eprintln!("{WARNING}");
        }
        return Ok(());
    }
    let verb = if mnemonic.is_some() { "Created" } else { "Restored" };
    let which = match hotkey {
        Some(h) => format!("hotkey `{h}`"),
        None => "the coldkey".to_string(),
    };
    println!("{verb} {which} of wallet `{}`: {}", w.name(), out.address);
    let protection = if info.encrypted { "encrypted" } else { "plain, mode 0600" };
    println!("  file: {} ({protection})", out.path);
    if let Some(p) = &phrase {
        println!();
        println!("{WARNING}");
        println!();
        println!("    {}", p.as_str());
        println!();
    }
    Ok(())
}

#[derive(Serialize)]
struct WalletJson {
    name: String,
    path: String,
    coldkey: Option<String>,
    hotkeys: Vec<HotkeyJson>,
    problems: Vec<String>,
}

#[derive(Serialize)]
struct HotkeyJson {
    name: String,
    address: String,
    encrypted: bool,
}

impl From<&WalletSummary> for WalletJson {
    fn from(s: &WalletSummary) -> WalletJson {
        WalletJson {
            name: s.name.clone(),
            path: s.path.display().to_string(),
            coldkey: s.coldkey.map(|c| c.to_address()),
            hotkeys: s
                .hotkeys
                .iter()
                .map(|h| HotkeyJson {
                    name: h.name.clone(),
                    address: h.public.to_address(),
                    encrypted: h.encrypted,
                })
                .collect(),
            problems: s.problems.clone(),
        }
    }
}

fn list(ctx: &Ctx) -> anyhow::Result<()> {
    let wallets = wallet::list_wallets(&ctx.dir)?;
    if ctx.json {
        let out = serde_json::json!({
            "wallet_dir": ctx.dir.display().to_string(),
            "wallets": wallets.iter().map(WalletJson::from).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    if wallets.is_empty() {
        println!("No wallets in {}: create one with `tau wallet new-coldkey`.", ctx.dir.display());
        return Ok(());
    }
    println!("Wallets in {}", ctx.dir.display());
    for s in &wallets {
        print_summary(s);
    }
    Ok(())
}

fn show(ctx: &Ctx, a: ShowArgs) -> anyhow::Result<()> {
    let summary = ctx.open()?.summary_of(a.hotkey.as_deref())?;
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&WalletJson::from(&summary))?);
    } else {
        print_summary(&summary);
    }
    Ok(())
}

fn check(ctx: &Ctx, a: CheckArgs) -> anyhow::Result<()> {
    let w = ctx.open()?;
    let (which, keypair) = match &a.hotkey {
        None => {
            let file = w.coldkey_file()?;
            let what = format!("the coldkey of wallet `{}`", w.name());
            let password = ctx.password(&what, Purpose::Unlock)?;
            ("the coldkey".to_string(), file.unlock(&password, &w.coldkey_path())?)
        }
        Some(name) if w.hotkey_file(name)?.is_encrypted() => {
            let what = format!("hotkey `{name}` of wallet `{}`", w.name());
            let password = ctx.password(&what, Purpose::Unlock)?;
            (format!("hotkey `{name}`"), w.unlock_hotkey(name, &password)?)
        }
        Some(name) => (format!("hotkey `{name}`"), w.hotkey(name)?),
    };
    // The public files must agree with the secret too, or addresses shown elsewhere are wrong.
    let public = match &a.hotkey {
        None => w.coldkey_public()?,
        Some(name) => w.hotkey_public(name)?,
    };
    if public != keypair.public() {
        bail!("{which} decrypts to {} but its address is {public}", keypair.public());
    }
    if ctx.json {
        let key = if a.hotkey.is_some() { "hotkey" } else { "coldkey" };
        let out = serde_json::json!({
            "wallet": w.name(), "key": key, "hotkey": a.hotkey, "address": public.to_address(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("OK: {which} of wallet `{}` unlocks and matches its address {public}", w.name());
    }
    Ok(())
}

fn print_summary(s: &WalletSummary) {
    println!("{}", s.name);
    match s.coldkey {
        Some(c) => println!("  coldkey  {c}"),
        None => println!("  coldkey  (none)"),
    }
    let width = s.hotkeys.iter().map(|h| h.name.len()).max().unwrap_or(0);
    for h in &s.hotkeys {
        let note = if h.encrypted { "  (encrypted)" } else { "" };
        println!("  hotkey   {:<width$}  {}{note}", h.name, h.public);
    }
    for p in &s.problems {
        println!("  problem: {p}");
    }
}

/// `balance` and `overview` read chain state through a node's HTTP API (`GET /accounts/…`).
fn needs_api(ctx: &Ctx, what: &str, a: ApiArgs, with_hotkeys: bool) -> anyhow::Result<()> {
    let keys = ctx.open()?.query_keys()?;
    let mut targets: Vec<(String, protocol::PublicKey)> = Vec::new();
    if let Some(c) = keys.coldkey {
        targets.push(("coldkey".to_string(), c));
    }
    if with_hotkeys {
        targets.extend(keys.hotkeys.iter().map(|(n, pk)| (format!("hotkey {n}"), *pk)));
    }
    if targets.is_empty() {
        bail!(
            "wallet `{}` has no keys to query: create one with `tau wallet new-coldkey`",
            ctx.wallet
        );
    }
    let url = a.api.unwrap_or_else(|| super::client::DEFAULT_API.to_string());
    let addr = super::api_addr(&url)?;
    let mut rows = Vec::new();
    for (label, key) in targets {
        let account = testnet::http::get(addr, &format!("/accounts/{key}")).with_context(|| {
            format!("`tau wallet {what}` could not reach the node API at {url}: is a node running there? (--api URL)")
        })?;
        rows.push(serde_json::json!({ "key": label, "address": key, "account": account }));
    }
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    for r in &rows {
        let acct = &r["account"];
        let balance =
            acct["balance"].as_u64().map(protocol::Rao).map_or("-".to_string(), |b| b.to_string());
        println!(
            "{:<16} {}  balance {}",
            r["key"].as_str().unwrap_or(""),
            r["address"].as_str().unwrap_or(""),
            balance
        );
        // `[hotkey, netuid, amount]` per position (`GET /accounts/{address}`).
        for st in acct["stakes"].as_array().into_iter().flatten() {
            let (Some(hotkey), Some(netuid), Some(amount)) =
                (st[0].as_str(), st[1].as_u64(), st[2].as_u64())
            else {
                continue;
            };
            let Ok(netuid) = u16::try_from(netuid).map(protocol::NetUid) else { continue };
            let amount = super::stake::stake_amount(amount, netuid);
            println!("    stake on netuid {} to {hotkey}: {amount}", netuid.0);
        }
    }
    Ok(())
}
