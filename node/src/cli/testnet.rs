//! `tau testnet …`: prepare (and, once the node lands, run) a local testnet.

use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use clap::{Args, Subcommand};
use protocol::ChainId;
use testnet::{TestnetLayout, TestnetSpec};

#[derive(Subcommand)]
pub enum TestnetCommand {
    /// Create keys and genesis for a local testnet (node processes: not yet, see the output).
    Up(UpArgs),
}

#[derive(Args)]
pub struct UpArgs {
    #[arg(long, default_value_t = 4)]
    validators: u16,
    #[arg(long, default_value_t = 4)]
    miners: u16,
    #[arg(long, default_value_t = 1)]
    subnets: u16,
    /// Target time between blocks, in ms.
    #[arg(long, default_value_t = 500)]
    block_time: u64,
    #[arg(long, default_value = "tau-local")]
    chain_id: String,
    /// Where the testnet's keys, genesis, data and logs live.
    #[arg(long, default_value = ".tau-testnet", env = "TAU_TESTNET_DIR")]
    dir: PathBuf,
    /// Derive every key from this seed, for a reproducible testnet.
    #[arg(long)]
    seed: Option<u64>,
}

pub fn run(cmd: TestnetCommand) -> anyhow::Result<()> {
    match cmd {
        TestnetCommand::Up(args) => up(args),
    }
}

fn up(args: UpArgs) -> anyhow::Result<()> {
    let spec = TestnetSpec {
        chain_id: ChainId::new(args.chain_id)?,
        validators: args.validators,
        miners: args.miners,
        subnets: args.subnets,
        block_time_ms: args.block_time,
        seed: args.seed,
    };
    let nodes = spec.node_keys()?;
    let now_ms =
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    let genesis = spec.genesis(&nodes, now_ms)?;
    let layout = TestnetLayout::write(&args.dir, &genesis, &nodes)
        .with_context(|| format!("writing the testnet to {}", args.dir.display()))?;

    println!("Prepared testnet `{}` in {}", genesis.chain_id, layout.dir.display());
    println!("  genesis: {} (hash {})", layout.genesis_path().display(), genesis.hash());
    println!("  {:<14} {:<10} hotkey", "node", "role");
    for n in &nodes {
        println!("  {:<14} {:<10} {}", n.name, n.role.as_str(), n.hotkey.public());
    }
    println!();
    println!(
        "Started: nothing. The tau node (networking, BFT, ledger execution) has not landed yet,"
    );
    println!(
        "so this command prepares keys and genesis only; it will start the processes once it does."
    );
    Ok(())
}
