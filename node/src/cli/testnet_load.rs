//! `tau testnet load`: drive signed transfers into a running testnet and report what became of
//! them (the generator itself is `testnet::txload`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use testnet::TestnetLayout;
use testnet::txload::{self, LoadProgress, LoadSpec};

use super::progress::Progress;

#[derive(Args)]
pub struct LoadArgs {
    /// Target transfers per second, over all nodes together.
    #[arg(long, alias = "rate", default_value_t = 50.0)]
    tps: f64,
    /// How long to submit, in seconds.
    #[arg(long, default_value_t = 30)]
    duration: u64,
    /// Transfers per request: 1 sends each through `POST /transactions` of its sender's own
    /// node; more use `POST /transactions/batch`, round-robin over the nodes.
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// After the last submission, how long to wait for the rest to be included, in seconds.
    #[arg(long, default_value_t = 30)]
    settle: u64,
    #[arg(long, default_value = ".tau-testnet", env = "TAU_TESTNET_DIR")]
    dir: PathBuf,
}

fn counts(p: &LoadProgress) -> String {
    format!(
        "submitted {} accepted {} rejected {} included {} (height {})",
        p.submitted, p.accepted, p.rejected, p.included, p.height
    )
}

pub fn load(args: LoadArgs) -> anyhow::Result<()> {
    let layout = TestnetLayout::open(&args.dir).with_context(|| {
        format!("{} holds no testnet (tau testnet up creates one)", args.dir.display())
    })?;
    let spec = LoadSpec {
        tps: args.tps,
        duration: Duration::from_secs(args.duration),
        batch: args.batch,
        settle: Duration::from_secs(args.settle),
    };
    println!(
        "Submitting {} transfers/s for {} s in requests of {} (the testnet's coldkeys send to each other)…",
        args.tps, args.duration, args.batch
    );
    let bar = Progress::bar(args.duration, "load");
    let mut last_line = Instant::now();
    let mut settling = false;
    let result = txload::run(&layout, &spec, |p| {
        if p.settling && !settling {
            settling = true;
            bar.note(format!("submission over: {}; waiting for inclusion", counts(p)));
            bar.set_length(p.accepted.max(1));
        }
        if settling {
            bar.set_position(p.included.min(p.accepted));
        } else {
            bar.set_position(p.elapsed.as_secs().min(args.duration));
        }
        bar.set_message(counts(p));
        // Without a terminal the bar is hidden: a line every five seconds keeps a log honest.
        if !bar.live() && last_line.elapsed() >= Duration::from_secs(5) {
            last_line = Instant::now();
            println!("  {:>5.1} s: {}", p.elapsed.as_secs_f64(), counts(p));
        }
    });
    bar.abandon();
    let s = result?;
    let c = &s.counts;
    println!("Load over {} sender(s) through {} node(s):", s.senders, s.nodes);
    println!(
        "  submitted  {:>8}  in {:.1} s ({:.1}/s)",
        c.submitted,
        s.submit_time.as_secs_f64(),
        s.submitted_tps()
    );
    println!("  accepted   {:>8}  (distinct, into a mempool)", c.accepted);
    println!("  rejected   {:>8}", c.rejected);
    println!(
        "  included   {:>8}  final in blocks {}..{}, {:.1}/s over {:.1} s",
        c.included,
        s.start_height + 1,
        c.height,
        s.included_tps(),
        s.total_time.as_secs_f64()
    );
    if let Some(e) = &s.first_rejection {
        println!("  first rejection: {e}");
    }
    if c.included < c.accepted {
        println!(
            "  {} accepted transfer(s) not seen in a block yet (a longer --settle waits for them)",
            c.accepted - c.included
        );
    }
    Ok(())
}
