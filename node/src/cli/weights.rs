//! `tau weights set | commit | reveal | status`: a validator's weights on a subnet, signed by its
//! hotkey. Subnets with commit-reveal take a hash first and the weights an epoch later; the salt
//! and weights behind a commit are kept in the wallet (`commits.rs`) until the reveal.

use anyhow::bail;
use clap::{Args, Subcommand};
use consensus::ledger::epoch_index;
use consensus::ledger::query::{NeuronInfo, SubnetInfo, WeightsStatus};
use protocol::transaction::{WeightRow, weight_commitment};
use protocol::{Hash, NetUid, Payload, PublicKey};
use serde_json::json;

use super::client::ClientError;
use super::commits::{self, SavedCommit};
use super::context::{CommonArgs, Ctx, KeyRef, hotkey_name};
use super::submit::{self, Outcome, Plan, TxArgs, TxFailure};
use super::ui;

#[derive(Args)]
pub struct WeightsCommand {
    #[command(flatten)]
    common: CommonArgs,
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Set weights directly (subnets without commit-reveal).
    Set(RowArgs),
    /// Commit to weights now and reveal them later (subnets with commit-reveal).
    Commit(RowArgs),
    /// Reveal the weights of a commit whose reveal epoch has come.
    Reveal(RevealArgs),
    /// A hotkey's weight status: uid, last update, next allowed block, pending commits.
    Status(StatusArgs),
}

#[derive(Args)]
struct Target {
    /// The subnet.
    #[arg(long)]
    netuid: u16,
    /// The wallet's hotkey that signs.
    #[arg(long, default_value = "default", value_name = "NAME")]
    hotkey: String,
}

#[derive(Args)]
struct RowArgs {
    #[command(flatten)]
    tx: TxArgs,
    #[command(flatten)]
    target: Target,
    /// The uids to weigh, comma-separated: `0,1,5`.
    #[arg(long, value_delimiter = ',', required = true, value_name = "UIDS")]
    uids: Vec<u16>,
    /// Their weights in any scale, comma-separated: `0.5,0.3,0.2`.
    #[arg(long, value_delimiter = ',', required = true, value_name = "WEIGHTS")]
    weights: Vec<f64>,
    #[arg(long, default_value = "0")]
    version_key: u64,
}

#[derive(Args)]
struct RevealArgs {
    #[command(flatten)]
    tx: TxArgs,
    #[command(flatten)]
    target: Target,
    /// Reveal a commit made elsewhere: its uids (with --weights and --salt).
    #[arg(long, value_delimiter = ',', requires_all = ["weights", "salt"], value_name = "UIDS")]
    uids: Option<Vec<u16>>,
    /// The committed weights, as given to the commit.
    #[arg(long, value_delimiter = ',', requires = "uids", value_name = "WEIGHTS")]
    weights: Option<Vec<f64>>,
    /// The commit's salt, 64 hex digits.
    #[arg(long, requires = "uids")]
    salt: Option<String>,
    #[arg(long, default_value = "0")]
    version_key: u64,
}

#[derive(Args)]
struct StatusArgs {
    /// The subnet.
    #[arg(long)]
    netuid: u16,
    /// A hotkey name of the wallet, or any `tau1…` address.
    #[arg(long, default_value = "default", value_name = "NAME|ADDRESS")]
    hotkey: String,
}

pub fn run(cmd: WeightsCommand) -> anyhow::Result<()> {
    let ctx = Ctx::new(cmd.common)?;
    match cmd.action {
        Action::Set(a) => set(&ctx, a, false),
        Action::Commit(a) => set(&ctx, a, true),
        Action::Reveal(a) => reveal(&ctx, a),
        Action::Status(a) => status(&ctx, a),
    }
}

/// What every weights transaction needs to know about its signer on the subnet.
struct Setter {
    name: String,
    hotkey: PublicKey,
    netuid: NetUid,
    subnet: SubnetInfo,
    neuron: NeuronInfo,
    status: WeightsStatus,
    height: u64,
}

fn setter(ctx: &Ctx, t: &Target) -> anyhow::Result<Setter> {
    let netuid = NetUid(t.netuid);
    if netuid == NetUid::ROOT {
        bail!("netuid 0 is root: it has no weights");
    }
    let name = hotkey_name(&t.hotkey)?;
    let hotkey = ctx.wallet()?.hotkey_public(&name)?;
    let Some(subnet) = ctx.client.subnet(netuid)? else {
        bail!("subnet {netuid} does not exist: `tau subnet list` shows the subnets");
    };
    let not_registered = || {
        anyhow::anyhow!(
            "hotkey `{name}` ({hotkey}) is not registered on subnet {netuid}: register it with \
             `tau register --netuid {netuid} --hotkey {name}`"
        )
    };
    let answer = match ctx.client.weights_status(netuid, &hotkey) {
        Ok(a) => a,
        Err(ClientError::NotFound(_)) => return Err(not_registered()),
        Err(e) => return Err(e.into()),
    };
    let neuron = ctx.client.neuron(netuid, &hotkey)?.ok_or_else(not_registered)?;
    Ok(Setter {
        name,
        hotkey,
        netuid,
        subnet,
        neuron,
        status: answer.status,
        height: answer.height.0,
    })
}

impl Setter {
    /// The rate limit, as the ledger applies it to the next block.
    fn check_rate_limit(&self) -> anyhow::Result<()> {
        let next = self.status.next_allowed_block;
        if next > self.height + 1 {
            bail!(
                "weights on subnet {} can be set once every {} blocks and were last set at block \
                 {}: next allowed at block {next} (in {} blocks; the chain is at block {})",
                self.netuid,
                self.subnet.hyperparameters.weights_rate_limit,
                self.status.last_update,
                next - self.height,
                self.height
            );
        }
        Ok(())
    }

    /// The checks the ledger makes of a weight row, with what to do about each.
    fn check_row(&self, row: &WeightRow) -> anyhow::Result<()> {
        let (n, hp, uid) = (self.subnet.n, &self.subnet.hyperparameters, self.neuron.uid.0);
        let self_weight = row.len() == 1 && row[0].0 == uid;
        let owner = self.hotkey == self.subnet.owner_hotkey;
        if !self_weight && !owner && !self.neuron.validator_permit {
            bail!(
                "uid {uid} has no validator permit on subnet {}: each epoch gives one to the top \
                 {} neurons by stake; without it a neuron may only weigh itself (--uids {uid} \
                 --weights 1). Stake behind the hotkey with `tau stake add`",
                self.netuid,
                hp.max_validators
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for (u, _) in row {
            if *u >= n {
                bail!(
                    "uid {u} does not exist: subnet {} has uids 0 to {}",
                    self.netuid,
                    n.saturating_sub(1)
                );
            }
            if !seen.insert(*u) {
                bail!("uid {u} appears twice in --uids");
            }
        }
        let min = usize::from(hp.min_allowed_weights.min(n));
        if !self_weight && row.len() < min {
            bail!("subnet {} needs weights on at least {min} uids; got {}", self.netuid, row.len());
        }
        let limit = hp.max_weight_limit;
        let sum: u64 = row.iter().map(|(_, w)| u64::from(*w)).sum();
        let max = row.iter().map(|(_, w)| u64::from(*w)).max().unwrap_or(0);
        if limit < u16::MAX && !self_weight && sum > 0 && max * 65_535 > u64::from(limit) * sum {
            bail!(
                "a single weight is above the subnet's limit of {} of the row: spread the weights",
                ui::u16_pct(limit)
            );
        }
        Ok(())
    }

    fn epoch_of(&self, block: u64) -> u64 {
        epoch_index(block, self.netuid, self.subnet.hyperparameters.tempo)
    }

    /// First block of epoch `e` (the inverse of `epoch_index`).
    fn epoch_start(&self, e: u64) -> u64 {
        let m = u64::from(self.subnet.hyperparameters.tempo) + 1;
        e.saturating_mul(m).saturating_sub(u64::from(self.netuid.0) + 1)
    }
}

fn row_of(uids: &[u16], weights: &[f64]) -> anyhow::Result<WeightRow> {
    let weights = ui::scale_weights(weights).map_err(anyhow::Error::msg)?;
    if uids.len() != weights.len() {
        bail!("{} uids but {} weights: give one weight per uid", uids.len(), weights.len());
    }
    if uids.is_empty() {
        bail!("no weights given: pass --uids and --weights");
    }
    Ok(uids.iter().copied().zip(weights.iter().copied()).collect())
}

fn set(ctx: &Ctx, a: RowArgs, commit: bool) -> anyhow::Result<()> {
    let chain = ctx.client.chain()?;
    let s = setter(ctx, &a.target)?;
    let (netuid, cr) = (s.netuid, s.subnet.hyperparameters.commit_reveal_enabled);
    if cr && !commit {
        bail!(
            "subnet {netuid} uses commit-reveal: commit with `tau weights commit`, then reveal \
             with `tau weights reveal` {} epoch(s) later",
            s.subnet.hyperparameters.reveal_period_epochs
        );
    }
    if !cr && commit {
        bail!("subnet {netuid} does not use commit-reveal: set weights with `tau weights set`");
    }
    s.check_rate_limit()?;
    let row = row_of(&a.uids, &a.weights)?;
    s.check_row(&row)?;
    let shown: Vec<String> = row.iter().map(|(u, w)| format!("{u}:{}", ui::u16_pct(*w))).collect();
    let signer = KeyRef::Hotkey(s.name.clone());
    if !commit {
        let payload = Payload::SetWeights { netuid, weights: row, version_key: a.version_key };
        let plan = Plan::new(format!("Set weights on subnet {netuid}"), signer, payload)
            .detail("uid", s.neuron.uid)
            .detail("weights", shown.join(" "));
        return submit::run(ctx, &a.tx, &chain, plan);
    }
    let mut salt = [0u8; 32];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness for the salt: {e}"))?;
    let commitment = weight_commitment(&s.hotkey, netuid, &row, &salt, a.version_key);
    let mut saved = SavedCommit {
        netuid,
        hotkey: s.hotkey,
        weights: row,
        salt: hex::encode(salt),
        version_key: a.version_key,
        commitment,
        block: None,
    };
    let wallet_dir = ctx.wallet_path()?;
    let file = commits::save(&wallet_dir, &s.name, &saved)?;
    let reveal_epoch = s.epoch_of(s.height + 1) + s.subnet.hyperparameters.reveal_period_epochs;
    let plan = Plan::new(
        format!("Commit weights on subnet {netuid}"),
        signer,
        Payload::CommitWeights { netuid, commitment },
    )
    .detail("uid", s.neuron.uid)
    .detail("weights", shown.join(" "))
    .detail("commitment", commitment)
    .detail(
        "reveal",
        format!("in epoch {reveal_epoch}, from block {}", s.epoch_start(reveal_epoch)),
    )
    .detail("saved in", file.display());
    match submit::execute(ctx, &a.tx, &chain, plan) {
        Ok(Outcome::Included(r)) => {
            saved.block = Some(r.height.0);
            commits::save(&wallet_dir, &s.name, &saved)?;
            // The commit's epoch is its block's, which may be later than the preview's.
            let reveal_epoch =
                s.epoch_of(r.height.0) + s.subnet.hyperparameters.reveal_period_epochs;
            if !ctx.json {
                println!(
                    "Reveal with `tau weights reveal --netuid {netuid} --hotkey {}` in epoch \
                     {reveal_epoch} (blocks {} to {}).",
                    s.name,
                    s.epoch_start(reveal_epoch),
                    s.epoch_start(reveal_epoch + 1).saturating_sub(1)
                );
            }
            Ok(())
        }
        Ok(Outcome::Submitted) => Ok(()),
        Err(e @ (TxFailure::NotSent(_) | TxFailure::Rejected(_))) => {
            commits::remove(&wallet_dir, &s.name, &saved)?;
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}

fn reveal(ctx: &Ctx, a: RevealArgs) -> anyhow::Result<()> {
    let chain = ctx.client.chain()?;
    let s = setter(ctx, &a.target)?;
    let netuid = s.netuid;
    if !s.subnet.hyperparameters.commit_reveal_enabled {
        bail!("subnet {netuid} does not use commit-reveal: set weights with `tau weights set`");
    }
    let wallet_dir = ctx.wallet_path()?;
    let manual = match (&a.uids, &a.weights, &a.salt) {
        (Some(uids), Some(weights), Some(salt)) => {
            let bytes = hex::decode(salt.trim()).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
            let Some(salt_bytes) = bytes else { bail!("--salt must be 64 hex digits") };
            let weights = row_of(uids, weights)?;
            let commitment =
                weight_commitment(&s.hotkey, netuid, &weights, &salt_bytes, a.version_key);
            let (hotkey, version_key, salt) = (s.hotkey, a.version_key, hex::encode(salt_bytes));
            Some(SavedCommit {
                netuid,
                hotkey,
                weights,
                salt,
                version_key,
                commitment,
                block: None,
            })
        }
        _ => None,
    };
    let commit = match manual {
        Some(c) => c,
        None => due_commit(&s, &wallet_dir)?,
    };
    if s.status.pending_commits.is_empty() {
        bail!("hotkey `{}` has no unrevealed commit on subnet {netuid}: commit first", s.name);
    }
    s.check_row(&commit.weights)?;
    let salt = commit.salt_bytes()?;
    let shown: Vec<String> =
        commit.weights.iter().map(|(u, w)| format!("{u}:{}", ui::u16_pct(*w))).collect();
    let payload = Payload::RevealWeights {
        netuid,
        weights: commit.weights.clone(),
        salt,
        version_key: commit.version_key,
    };
    let plan = Plan::new(
        format!("Reveal weights on subnet {netuid}"),
        KeyRef::Hotkey(s.name.clone()),
        payload,
    )
    .detail("uid", s.neuron.uid)
    .detail("commitment", commit.commitment)
    .detail("weights", shown.join(" "));
    let result = submit::execute(ctx, &a.tx, &chain, plan);
    if matches!(result, Ok(Outcome::Included(_))) {
        // The ledger drops this commit (and older ones) once revealed.
        commits::remove(&wallet_dir, &s.name, &commit)?;
    }
    result.map(drop).map_err(Into::into)
}

/// The oldest saved commit that can be revealed now; expired ones are dropped with a note.
fn due_commit(s: &Setter, wallet_dir: &std::path::Path) -> anyhow::Result<SavedCommit> {
    let netuid = s.netuid;
    let saved = commits::load(wallet_dir, &s.name, netuid)?;
    if saved.is_empty() {
        bail!(
            "no saved commit of hotkey `{}` on subnet {netuid} in this wallet: commit with `tau \
             weights commit`, or reveal one made elsewhere with --uids, --weights and --salt",
            s.name
        );
    }
    let now = s.epoch_of(s.height + 1);
    let period = s.subnet.hyperparameters.reveal_period_epochs;
    let mut next_due: Option<u64> = None;
    for c in saved {
        let Some(block) = c.block else { return Ok(c) };
        let due = s.epoch_of(block) + period;
        if due == now {
            return Ok(c);
        }
        if due < now {
            eprintln!(
                "note: the commit {} from block {block} expired in epoch {due}; removing it",
                c.commitment
            );
            commits::remove(wallet_dir, &s.name, &c)?;
        } else {
            next_due = Some(next_due.map_or(due, |d| d.min(due)));
        }
    }
    match next_due {
        Some(due) => {
            let start = s.epoch_start(due);
            bail!(
                "no commit can be revealed yet: the next one is due in epoch {due}, from block \
                 {start} (in {} blocks; this is epoch {now})",
                start.saturating_sub(s.height)
            )
        }
        None => bail!("every saved commit has expired: commit again with `tau weights commit`"),
    }
}

fn status(ctx: &Ctx, a: StatusArgs) -> anyhow::Result<()> {
    let netuid = NetUid(a.netuid);
    let hotkey = ctx.hotkey(&a.hotkey)?;
    if ctx.client.subnet(netuid)?.is_none() {
        bail!("subnet {netuid} does not exist: `tau subnet list` shows the subnets");
    }
    let answer = match ctx.client.weights_status(netuid, &hotkey) {
        Ok(a) => a,
        Err(ClientError::NotFound(_)) => bail!(
            "hotkey {hotkey} is not registered on subnet {netuid}: register it with `tau register \
             --netuid {netuid} --hotkey NAME`"
        ),
        Err(e) => return Err(e.into()),
    };
    let (st, height) = (&answer.status, answer.height.0);
    // The next block is the earliest a transaction sent now can land in.
    let wait = st.next_allowed_block.saturating_sub(height + 1);
    let saved = match a.hotkey.starts_with("tau1") {
        true => Vec::new(),
        false => commits::load(&ctx.wallet_path()?, &a.hotkey, netuid)?,
    };
    let saved_hashes: Vec<Hash> = saved.iter().map(|c| c.commitment).collect();
    if ctx.json {
        return ui::print_json(&json!({
            "netuid": netuid,
            "hotkey": hotkey,
            "height": height,
            "uid": st.uid,
            "last_update": st.last_update,
            "next_allowed_block": st.next_allowed_block,
            "blocks_to_wait": wait,
            "can_set_now": wait == 0,
            "commit_reveal": st.commit_reveal,
            "epoch": st.epoch_index,
            "pending_commits": st.pending_commits.iter()
                .map(|(e, r)| json!({ "commit_epoch": e, "reveal_epoch": r }))
                .collect::<Vec<_>>(),
            "saved_commits": saved_hashes,
        }));
    }
    println!("Hotkey {hotkey} on subnet {netuid}: uid {}", st.uid);
    println!("  chain at block {height}, epoch {}", st.epoch_index);
    println!("  last weights/commit at block {}", st.last_update);
    if wait == 0 {
        println!("  next allowed at block {}: now", st.next_allowed_block.max(height + 1));
    } else {
        println!("  next allowed at block {} (in {} blocks)", st.next_allowed_block, wait + 1);
    }
    let mode = if st.commit_reveal { "on (commit, then reveal)" } else { "off (set directly)" };
    println!("  commit-reveal {mode}");
    for (e, r) in &st.pending_commits {
        println!("  pending commit from epoch {e}: reveal in epoch {r}");
    }
    if !saved.is_empty() {
        println!("  {} commit(s) saved in this wallet for the reveal", saved.len());
    }
    Ok(())
}
