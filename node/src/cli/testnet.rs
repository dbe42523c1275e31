//! `tau testnet …`: a local testnet of real `tau node` processes on loopback.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use protocol::ChainId;
use testnet::layout::NodeEntry;
use testnet::process::{self, RunningNode};
use testnet::{NodeKeys, NodeRole, TestnetLayout, TestnetSpec, http, orchestrate};

#[derive(Subcommand)]
pub enum TestnetCommand {
    /// Create keys and genesis (unless the directory already holds a testnet), start every node,
    /// wait for the first finalised block and print the nodes.
    Up(UpArgs),
    /// Stop every node of the testnet; data is kept unless --wipe.
    Down(DirArgs),
    /// Heights, peers and roles of the running nodes.
    Status(DirArgs),
    /// Submit a steady load of transfers, each from a node's own coldkey through its own API.
    Load(LoadArgs),
    /// Merge a run's gossip captures (`up --capture`) into propagation-delay percentiles,
    /// duplicates, traffic and mesh degree; writes report.md, delay.svg, mesh.dot, mesh.svg.
    Report(ReportArgs),
}

#[derive(Args)]
pub struct LoadArgs {
    #[arg(long, default_value = ".tau-testnet", env = "TAU_TESTNET_DIR")]
    dir: PathBuf,
    /// Transfers per second, over all nodes together.
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
    /// How long to keep it up, in seconds.
    #[arg(long, default_value_t = 60)]
    duration: u64,
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
        TestnetCommand::Load(args) => {
            super::testnet_research::load(&args.dir, args.rate, args.duration)
        }
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
    let nodes = orchestrate::start_all_with(&tau, &layout, &keys, Duration::from_secs(30), |k| {
        super::testnet_research::capture_args(capture.as_deref(), &k.name)
    })?;
    print!("Waiting for the first finalised block");
    let mut last = u64::MAX;
    orchestrate::wait_for_height(&nodes, 1, Duration::from_secs(args.wait), |h| {
        if h != last {
            print!(" [lowest height {h}]");
            last = h;
        }
    })
    .with_context(|| format!("see the logs under {}", layout.dir.display()))?;
    println!();
    print_table(&nodes);
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
    let layout = open(&args.dir)?;
    let mut rows = Vec::new();
    for e in layout.nodes()? {
        let dir = layout.node_dir(&e.name);
        let api =
            std::fs::read_to_string(dir.join("api.addr")).ok().and_then(|s| s.trim().parse().ok());
        let alive = process::running_pid(&layout, &e.name).is_some();
        let st = match (alive, api) {
            (true, Some(a)) => http::get(a, "/status").ok(),
            _ => None,
        };
        rows.push(
            serde_json::json!({ "name": e.name, "role": e.role, "running": alive, "status": st }),
        );
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "{:<14} {:<10} {:<8} {:<8} {:<6} {:<8}",
        "node", "role", "running", "height", "peers", "round"
    );
    for r in rows {
        let s = &r["status"];
        let f = |k: &str| s.get(k).map_or("-".to_string(), |v| v.to_string());
        println!(
            "{:<14} {:<10} {:<8} {:<8} {:<6} {:<8}",
            r["name"].as_str().unwrap_or(""),
            r["role"].as_str().unwrap_or(""),
            r["running"],
            f("height"),
            f("peers"),
            f("round")
        );
    }
    Ok(())
}
