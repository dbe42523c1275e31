//! `tau testnet logs | kill | restart | partition | heal | status`, and the waits of `up` with
//! progress bars: operating a running local testnet node by node.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use testnet::ops::{self, RestartStep, Signal};
use testnet::process::RunningNode;
use testnet::status::NodeStatus;
use testnet::{NodeKeys, TestnetLayout, logs, orchestrate, partition};

use super::progress::Progress;

fn open(dir: &Path) -> anyhow::Result<TestnetLayout> {
    TestnetLayout::open(dir)
        .with_context(|| format!("{} holds no testnet (tau testnet up creates one)", dir.display()))
}

#[derive(Args)]
pub struct LogsArgs {
    /// The node, e.g. validator-0 (`tau testnet status` lists them).
    node: String,
    /// Keep printing what the node writes (polls the file; Ctrl-C stops).
    #[arg(long, short)]
    follow: bool,
    /// How many of the last lines to print first.
    #[arg(long, short = 'n', default_value_t = 50)]
    lines: usize,
    #[arg(long, default_value = ".tau-testnet", env = "TAU_TESTNET_DIR")]
    dir: PathBuf,
}

pub fn logs(args: LogsArgs) -> anyhow::Result<()> {
    let layout = open(&args.dir)?;
    let node = ops::find(&layout, &args.node)?;
    let (tail, offset) =
        logs::tail(&node.log, args.lines).with_context(|| format!("{}", node.log.display()))?;
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(&tail)?;
    out.flush()?;
    if args.follow {
        logs::follow(&node.log, offset, &mut out, Duration::from_millis(250), || false)?;
    }
    Ok(())
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SignalArg {
    /// Ask the node to shut down cleanly.
    #[value(name = "TERM", alias = "term")]
    Term,
    /// Crash it: no shutdown, like a power cut for the process.
    #[value(name = "KILL", alias = "kill")]
    Kill,
}

#[derive(Args)]
pub struct KillArgs {
    node: String,
    #[arg(long, short, value_enum, default_value = "TERM")]
    signal: SignalArg,
    #[arg(long, default_value = ".tau-testnet", env = "TAU_TESTNET_DIR")]
    dir: PathBuf,
}

pub fn kill(args: KillArgs) -> anyhow::Result<()> {
    let layout = open(&args.dir)?;
    let signal = match args.signal {
        SignalArg::Term => Signal::Term,
        SignalArg::Kill => Signal::Kill,
    };
    let pid = ops::kill(&layout, &args.node, signal, Duration::from_secs(15))?;
    println!(
        "{} (pid {pid}) stopped by SIG{}; its data is kept. Bring it back: tau testnet restart {} --dir {}",
        args.node,
        signal.name(),
        args.node,
        layout.dir.display()
    );
    Ok(())
}

#[derive(Args)]
pub struct RestartArgs {
    node: String,
    /// How long to wait for its API and for it to catch up, in seconds.
    #[arg(long, default_value_t = 120)]
    wait: u64,
    #[arg(long, default_value = ".tau-testnet", env = "TAU_TESTNET_DIR")]
    dir: PathBuf,
}

pub fn restart(args: RestartArgs) -> anyhow::Result<()> {
    let layout = open(&args.dir)?;
    let tau = std::env::current_exe().context("cannot locate the tau binary")?;
    let spinner = Progress::spinner(&args.node);
    spinner.set_message("starting");
    let mut catch_up: Option<Progress> = None;
    let patience = Duration::from_secs(args.wait);
    let node = ops::restart(&tau, &layout, &args.node, patience, |step| match step {
        RestartStep::Stopped { pid } => spinner.note(format!("stopped the running process {pid}")),
        RestartStep::Started { pid, port, same_port } => {
            let port_note = if same_port { "same p2p port" } else { "new p2p port, old one taken" };
            spinner.note(format!("started pid {pid} on port {port} ({port_note})"));
            spinner.set_message("waiting for its API");
        }
        RestartStep::Api { api } => {
            spinner.note(format!("API up at http://{api}"));
            spinner.abandon();
        }
        RestartStep::CatchingUp { height, target } => {
            let bar = catch_up.get_or_insert_with(|| {
                let b = Progress::bar(target, "catching up");
                b.note(format!("catching up to height {target}"));
                b
            });
            bar.set_position(height.min(target));
        }
    });
    if let Some(bar) = &catch_up {
        bar.abandon();
    }
    let node = node?;
    let height = orchestrate::height(&node).map_or("-".into(), |h| h.to_string());
    println!(
        "{} is back at height {height} (pid {}, api http://{}).",
        node.name, node.pid, node.api
    );
    Ok(())
}

#[derive(Args)]
pub struct PartitionArgs {
    /// Two or more sides, each a comma-separated list of nodes: `validator-0,validator-1
    /// validator-2,validator-3`. Each node refuses every node of the other sides (its libp2p
    /// block list, through its admin API). Nodes on no side keep talking to everyone and can
    /// relay gossip across the cut. Nothing is persisted: a restarted node is healed.
    #[arg(required = true, num_args = 2.., value_name = "SIDE")]
    sides: Vec<String>,
    #[arg(long, default_value = ".tau-testnet", env = "TAU_TESTNET_DIR")]
    dir: PathBuf,
}

pub fn partition(args: PartitionArgs) -> anyhow::Result<()> {
    let layout = open(&args.dir)?;
    let sides = partition::parse_sides(&args.sides);
    let report = partition::partition(&layout, &sides)?;
    for (name, n) in &report.blocking {
        println!("{name:<14} refuses {n} testnet peer(s)");
    }
    if !report.not_running.is_empty() {
        println!(
            "Not running, so not told (they talk to everyone once restarted): {}",
            report.not_running.join(", ")
        );
    }
    if !report.bystanders.is_empty() {
        println!(
            "On no side, still connected to both (they can relay gossip across the cut): {}",
            report.bystanders.join(", ")
        );
    }
    println!("Heal with: tau testnet heal --dir {}", layout.dir.display());
    Ok(())
}

#[derive(Args)]
pub struct HealArgs {
    #[arg(long, default_value = ".tau-testnet", env = "TAU_TESTNET_DIR")]
    dir: PathBuf,
}

pub fn heal(args: HealArgs) -> anyhow::Result<()> {
    let layout = open(&args.dir)?;
    let report = partition::heal(&layout)?;
    println!(
        "Lifted every block between testnet nodes on {} running node(s); they redial each other now.",
        report.blocking.len()
    );
    Ok(())
}

/// `tau testnet status`: the table, or `--json`.
pub fn status(dir: &Path, json: bool) -> anyhow::Result<()> {
    let layout = open(dir)?;
    let rows = testnet::status::collect(&layout)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "{:<14} {:<10} {:<8} {:>8} {:>6} {:>6}  {:<10} {:<11} {:<11}",
        "node", "role", "running", "height", "peers", "round", "uid", "incentive", "dividends"
    );
    for r in &rows {
        print_status_row(r);
    }
    Ok(())
}

fn print_status_row(r: &NodeStatus) {
    let s = r.status.as_ref();
    let f = |k: &str| {
        s.and_then(|s| s.get(k)).filter(|v| !v.is_null()).map_or("-".to_string(), |v| v.to_string())
    };
    // One entry per subnet the node's hotkey is on: `netuid/uid` and shares of emission.
    let join = |g: &dyn Fn(&testnet::status::NeuronRow) -> String| {
        if r.neurons.is_empty() {
            "-".to_string()
        } else {
            r.neurons.iter().map(g).collect::<Vec<_>>().join(" ")
        }
    };
    println!(
        "{:<14} {:<10} {:<8} {:>8} {:>6} {:>6}  {:<10} {:<11} {:<11}",
        r.name,
        r.role,
        if r.running { "yes" } else { "no" },
        f("height"),
        f("peers"),
        f("round"),
        join(&|n| format!("{}/{}", n.netuid, n.uid)),
        join(&|n| format!("{:.4}", n.incentive)),
        join(&|n| format!("{:.4}", n.dividends)),
    );
}

/// Starts every node with a bar that fills as each node's API comes up.
pub fn start_nodes(
    tau: &Path,
    layout: &TestnetLayout,
    keys: &[NodeKeys],
    patience: Duration,
    extra_args: impl Fn(&NodeKeys) -> Vec<String> + Sync,
) -> anyhow::Result<Vec<RunningNode>> {
    // No node runs (checked by the caller): old API addresses are stale, and their absence is
    // how the bar counts nodes that are up.
    for k in keys {
        let _ = std::fs::remove_file(layout.node_dir(&k.name).join("api.addr"));
    }
    let bar = Progress::bar(keys.len() as u64, "starting");
    let result = std::thread::scope(|scope| {
        let starter =
            scope.spawn(|| orchestrate::start_all_with(tau, layout, keys, patience, &extra_args));
        let mut announced = vec![false; keys.len()];
        loop {
            // Read before scanning: the last node's address must not slip past the last scan.
            let finished = starter.is_finished();
            for (k, done) in keys.iter().zip(announced.iter_mut()) {
                if *done {
                    continue;
                }
                let api = std::fs::read_to_string(layout.node_dir(&k.name).join("api.addr")).ok();
                if let Some(api) = api.and_then(|a| a.trim().parse::<SocketAddr>().ok()) {
                    *done = true;
                    bar.note(format!("{:<14} up, API http://{api}", k.name));
                    bar.set_message(&k.name);
                }
            }
            bar.set_position(announced.iter().filter(|d| **d).count() as u64);
            if finished {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        starter.join()
    });
    bar.abandon();
    match result {
        Ok(r) => Ok(r?),
        Err(_) => bail!("starting the nodes panicked"),
    }
}

/// Waits for every node to commit the first block, with a spinner showing the lowest height.
pub fn wait_first_block(
    layout: &TestnetLayout,
    nodes: &[RunningNode],
    patience: Duration,
) -> anyhow::Result<()> {
    let spinner = Progress::spinner("consensus");
    spinner.set_message("waiting for the first finalised block");
    let started = Instant::now();
    let r = orchestrate::wait_for_height(nodes, 1, patience, |h| {
        spinner.set_message(format!("waiting for the first finalised block (lowest height {h})"));
    });
    spinner.abandon();
    r.with_context(|| format!("see the logs under {}", layout.dir.display()))?;
    println!("First block finalised on every node after {:.1} s.", started.elapsed().as_secs_f64());
    Ok(())
}
