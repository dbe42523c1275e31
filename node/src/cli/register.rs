//! `tau register`: burn a subnet's registration price to give one of the wallet's hotkeys a uid.
//! The coldkey signs and pays; the hotkey only has to exist in the wallet.

use anyhow::bail;
use clap::Args;
use protocol::{NetUid, Payload, Rao};

use super::context::{CommonArgs, Ctx, KeyRef};
use super::submit::{self, Plan, TxArgs};
use super::ui::parse_tao;

#[derive(Args)]
pub struct RegisterArgs {
    #[command(flatten)]
    common: CommonArgs,
    #[command(flatten)]
    tx: TxArgs,
    /// The subnet to register on.
    /// The subnet.
    #[arg(long)]
    netuid: u16,
    /// The wallet's hotkey to register.
    #[arg(long, default_value = "default", value_name = "NAME")]
    hotkey: String,
    /// Most τ to burn [default: the current price]. The price adjusts every interval; a higher
    /// ceiling still registers if it rose meanwhile.
    #[arg(long, value_parser = parse_tao, value_name = "TAU")]
    max_burn: Option<Rao>,
}

pub fn run(a: RegisterArgs) -> anyhow::Result<()> {
    let ctx = Ctx::new(a.common)?;
    let chain = ctx.client.chain()?;
    let netuid = NetUid(a.netuid);
    if netuid == NetUid::ROOT {
        bail!("netuid 0 is root: it has no neurons; register on a subnet (`tau subnet list`)");
    }
    let coldkey = ctx.coldkey()?;
    let hotkey = ctx.wallet()?.hotkey_public(&a.hotkey)?;
    let Some(subnet) = ctx.client.subnet(netuid)? else {
        bail!("subnet {netuid} does not exist: `tau subnet list` shows the subnets");
    };
    if !subnet.hyperparameters.registration_allowed {
        bail!("subnet {netuid} does not accept registrations (its owner closed them)");
    }
    if let Some(n) = ctx.client.neuron(netuid, &hotkey)? {
        bail!(
            "hotkey `{}` ({hotkey}) is already registered on subnet {netuid} as uid {}",
            a.hotkey,
            n.uid
        );
    }
    if let Some(owner) = ctx.client.hotkey(&hotkey)?.map(|h| h.coldkey)
        && owner != coldkey
    {
        bail!(
            "hotkey {hotkey} belongs to coldkey {owner}, not to this wallet's {coldkey}: only its \
             owner can register it"
        );
    }
    let burn = subnet.registration_burn;
    let max_burn = a.max_burn.unwrap_or(burn);
    if burn > max_burn {
        bail!("the registration price is {burn}, above your --max-burn {max_burn}");
    }
    let hp = &subnet.hyperparameters;
    let replaces = subnet.n >= hp.max_uids;
    let mut plan = Plan::new(
        format!("Register hotkey `{}` on subnet {netuid}", a.hotkey),
        KeyRef::Coldkey,
        Payload::RegisterNeuron { netuid, hotkey, max_burn },
    )
    .detail("hotkey", hotkey)
    .detail("burn", burn)
    .detail("uids", format!("{} of {}", subnet.n, hp.max_uids))
    .spending(burn, "registration burn");
    if replaces {
        plan = plan
            .detail("note", "the subnet is full: the lowest-scoring non-immune uid is replaced");
    }
    // The burn may rise at an interval boundary before the block; the ledger then refuses rather
    // than charging more than `max_burn`, and only the fee is spent.
    submit::run(&ctx, &a.tx, &chain, plan)
}
