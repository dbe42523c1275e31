//! A seeded, deterministic simulator that runs many BFT engines against each other and against
//! faults, and checks agreement, validity and liveness.
//!
//! Compiled for this crate's own tests (`cfg(test)`) or with the `sim` feature. Everything is a
//! function of the seed: a ChaCha8 RNG drives latency, jitter, loss and Byzantine choices, the
//! clock is simulated (an event queue ordered by (time, sequence)), and a blake3 hash chained
//! over every processed event is the run's trace hash, so any failure replays from its seed.
//!
//! - `scenario.rs`: what a run is made of, and the named scenarios of issue #5.
//! - `runner.rs`: the event loop and the host logic (persist, send, timers, blocks, decisions).
//! - `network.rs`: event queue, links, partitions. `node.rs`: a node's disk and block rules.
//! - `checker.rs`: the properties. `rng.rs`: the seeded RNG.
//!
//! Run the suite: `cargo test --release -p consensus bft::sim` (200 seeds per scenario).
//! The long run (10,000 seeds per scenario):
//! `cargo test --release -p consensus bft::sim::tests::long_10k_seeds_per_scenario -- --ignored --nocapture`.
//! Figures: `cargo test --release -p consensus bft::sim::tests::bench_figures -- --ignored --nocapture`.

mod checker;
mod network;
mod node;
mod rng;
mod runner;
pub mod scenario;

#[cfg(test)]
mod tests;

use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

pub use checker::Violation;
pub use rng::SimRng;
pub use runner::{Report, run};
pub use scenario::{Behaviour, Crash, LinkSpec, NodeSpec, Partition, Scenario};

/// Runs `build(seed)` for every seed on `threads` OS threads; reports come back in seed order.
/// Each run is single-threaded and deterministic, so threading changes only the wall time.
pub fn run_seeds(build: scenario::Builder, seeds: Range<u64>, threads: usize) -> Vec<Report> {
    let next = AtomicU64::new(seeds.start);
    let reports = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= seeds.end {
                        break;
                    }
                    let report = run(&build(seed), seed);
                    if let Ok(mut r) = reports.lock() {
                        r.push(report);
                    }
                }
            });
        }
    });
    let mut reports = reports.into_inner().unwrap_or_default();
    reports.sort_by_key(|r| r.seed);
    reports
}
