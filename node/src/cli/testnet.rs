//! `tau testnet …`: a local testnet of real `tau node` processes on loopback.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use protocol::ChainId;
use testnet::layout::NodeEntry;
use testnet::process::{self, RunningNode};
use testnet::{NodeKeys, NodeRole, TestnetLayout, TestnetSpec, orchestrate};

#[derive(Subcommand)]
pub enum TestnetCommand {
    /// Create keys and genesis (unless the directory already holds a testnet), start every node,
    /// wait for the first finalised block and print the nodes.
    Up(UpArgs),
    /// Stop every node of the testnet; data is kept unless --wipe.
    Down(DirArgs),
    /// Heights, peers, rounds, and each node's uid, incentive and dividends per subnet.
    Status(DirArgs),
    /// Print the end of a node's log (`--follow` keeps printing).
    Logs(super::testnet_ops::LogsArgs),
    /// Stop one node with a signal (TERM by default; KILL to crash it). Data is kept.
    Kill(super::testnet_ops::KillArgs),
    /// Start one node again with the same keys, data and p2p port, and wait until it catches up.
    Restart(super::testnet_ops::RestartArgs),
    /// Cut links for real: each node of a side refuses the nodes of the other sides
    /// (e.g. `partition validator-0,validator-1 validator-2,validator-3`).
    Partition(super::testnet_ops::PartitionArgs),
    /// Undo `partition`: every node accepts every testnet node again and redials it.
    Heal(super::testnet_ops::HealArgs),
    /// Generate signed transfers at a target rate and report how many were included.
    Load(super::testnet_load::LoadArgs),
    /// Merge a run's gossip captures (`up --capture`) into propagation-delay percentiles,
    /// duplicates, traffic and mesh degree; writes report.md, delay.svg, mesh.dot, mesh.svg.
    Report(ReportArgs),
}

#[derive(Args)]
pub struct ReportArgs {
    /// The testnet's directory, or any directory holding capture-*.jsonl files.
    #[arg(default_value = ".tau-testnet", env = "TAU_TESTNET_DIR")]
    dir: PathBuf,
    /// Where to write the report's files (default: DIR/report).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Leave out messages first published in the capture's first SECS seconds (gossipsub's
    /// meshes and caches settle in about a minute).
    #[arg(long, default_value_t = 0.0, value_name = "SECS")]
    warmup: f64,
    /// Leave out messages first published in the capture's last SECS seconds (nodes stopping).
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    cooldown: f64,
    /// Print the figures as JSON instead of tables.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct DirArgs {
    /// The testnet's directory.
    #[arg(long, default_value = ".tau-testnet", env = "TAU_TESTNET_DIR")]
    dir: PathBuf,
    /// With `down`: delete the directory after stopping.
    #[arg(long)]
    wipe: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct UpArgs {
    #[arg(long, default_value_t = 4)]
    validators: u16,
    #[arg(long, default_value_t = 4)]
    miners: u16,
    /// Full nodes: follow the chain and relay gossip, vote in nothing (their coldkeys are funded).
    #[arg(long, default_value_t = 0)]
    full: u16,
    #[arg(long, default_value_t = 1)]
    subnets: u16,
    /// Target time between blocks when no transaction waits, in ms.
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
    /// How long to wait for the first finalised block, in seconds.
    #[arg(long, default_value_t = 60)]
    wait: u64,
    /// Every node captures its gossip into <node>/capture/ (for `tau testnet report`).
    #[arg(long)]
    capture: bool,
}

pub fn run(cmd: TestnetCommand) -> anyhow::Result<()> {
    match cmd {
        TestnetCommand::Up(args) => up(args),
        TestnetCommand::Down(args) => down(args),
        TestnetCommand::Status(args) => status(args),
        TestnetCommand::Logs(args) => super::testnet_ops::logs(args),
        TestnetCommand::Kill(args) => super::testnet_ops::kill(args),
        TestnetCommand::Restart(args) => super::testnet_ops::restart(args),
        TestnetCommand::Partition(args) => super::testnet_ops::partition(args),
        TestnetCommand::Heal(args) => super::testnet_ops::heal(args),
        TestnetCommand::Load(args) => super::testnet_load::load(args),
        TestnetCommand::Report(args) => super::testnet_research::report(
            &args.dir,
            args.out.as_deref(),
            testnet::report::Window { warmup_s: args.warmup, cooldown_s: args.cooldown },
            args.json,
        ),
    }
}

fn tau_binary() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("cannot locate the tau binary")
}

fn prepare(args: &UpArgs) -> anyhow::Result<TestnetLayout> {
    if let Some(layout) = TestnetLayout::open(&args.dir) {
        println!(
            "Reusing the testnet in {} (remove it, or `tau testnet down --wipe`, for a fresh one)",
            args.dir.display()
        );
        return Ok(layout);
    }
    let spec = TestnetSpec {
        chain_id: ChainId::new(args.chain_id.clone())?,
        validators: args.validators,
        miners: args.miners,
        subnets: args.subnets,
        block_time_ms: args.block_time,
        seed: args.seed,
    };
    let mut nodes = spec.node_keys()?;
    let now_ms =
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    let mut genesis = spec.genesis(&nodes, now_ms)?;
    super::testnet_research::add_full_nodes(&mut nodes, &mut genesis, args.full, args.seed)?;
    let layout = TestnetLayout::write(&args.dir, &genesis, &nodes)
        .with_context(|| format!("writing the testnet to {}", args.dir.display()))?;
    println!(
        "Prepared testnet `{}` in {} (genesis {})",
        genesis.chain_id,
        layout.dir.display(),
        genesis.hash()
    );
    Ok(layout)
}

/// Node names and roles as the orchestrator needs them (keys stay in the node directories).
fn entries_to_keys(entries: &[NodeEntry]) -> Vec<NodeKeys> {
    entries
        .iter()
        .map(|e| NodeKeys {
            name: e.name.clone(),
            role: match e.role.as_str() {
                "validator" => NodeRole::Validator,
                "full" => NodeRole::Full,
                _ => NodeRole::Miner,
            },
            // The orchestrator passes key files by path; these in-memory keys are unused.
            hotkey: protocol::Keypair::from_seed(&[0; 32]),
            coldkey: protocol::Keypair::from_seed(&[0; 32]),
        })
        .collect()
}

fn up(args: UpArgs) -> anyhow::Result<()> {
    let layout = prepare(&args)?;
    let wallets = super::testnet_wallets::ensure(&layout).context("writing the testnet wallets")?;
    if wallets > 0 {
        println!(
            "Wrote {wallets} wallets to {}",
            super::testnet_wallets::wallets_dir(&layout).display()
        );
    }
    let entries = layout.nodes()?;
    let running: Vec<String> = entries
        .iter()
        .filter(|e| process::running_pid(&layout, &e.name).is_some())
        .map(|e| e.name.clone())
        .collect();
    if !running.is_empty() {
        bail!(
            "nodes already running in {}: {} (use `tau testnet down` first)",
            layout.dir.display(),
            running.join(", ")
        );
    }
    let tau = tau_binary()?;
    let keys = entries_to_keys(&entries);
    let capture = args.capture.then(|| super::testnet_research::capture_dirs(&layout, &keys));
    if let Some(dirs) = &capture {
        super::testnet_research::check_no_old_captures(dirs)?;
    }
    println!("Starting {} nodes…", keys.len());
    let capture_args =
        |k: &NodeKeys| super::testnet_research::capture_args(capture.as_deref(), &k.name);
    let nodes = super::testnet_ops::start_nodes(
        &tau,
        &layout,
        &keys,
        Duration::from_secs(30),
        capture_args,
    )?;
    super::testnet_ops::wait_first_block(&layout, &nodes, Duration::from_secs(args.wait))?;
    print_table(&nodes);
    if let Some(first) = nodes.first() {
        let api = format!("http://{}", first.api);
        println!("\n{}", super::testnet_wallets::usage(&layout, &first.name, &api));
    }
    println!(
        "\nStatus: tau testnet status --dir {0}   Stop: tau testnet down --dir {0}\n\
         (from a source checkout: scripts/testnet.sh status | down)",
        layout.dir.display()
    );
    Ok(())
}

fn print_table(nodes: &[RunningNode]) {
    println!("{:<14} {:<10} {:<8} {:<54} {:<24} log", "node", "role", "height", "peer id", "api");
    for n in nodes {
        let h = orchestrate::height(n).map_or("-".to_string(), |h| h.to_string());
        println!(
            "{:<14} {:<10} {:<8} {:<54} {:<24} {}",
            n.name,
            n.role.as_str(),
            h,
            n.peer_id,
            format!("http://{}", n.api),
            n.log.display()
        );
    }
}

fn open(dir: &Path) -> anyhow::Result<TestnetLayout> {
    TestnetLayout::open(dir)
        .with_context(|| format!("{} holds no testnet (tau testnet up creates one)", dir.display()))
}

fn down(args: DirArgs) -> anyhow::Result<()> {
    let layout = open(&args.dir)?;
    let names: Vec<String> = layout.nodes()?.into_iter().map(|e| e.name).collect();
    let stopped = orchestrate::stop_all(&layout, &names)?;
    println!("Stopped {stopped} node(s).");
    if args.wipe {
        std::fs::remove_dir_all(&layout.dir)?;
        println!("Removed {}.", layout.dir.display());
    } else {
        println!("Data kept in {} (add --wipe to remove it).", layout.dir.display());
    }
    Ok(())
}

fn status(args: DirArgs) -> anyhow::Result<()> {
    super::testnet_ops::status(&args.dir, args.json)
}
