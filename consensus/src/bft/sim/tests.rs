//! The simulator's test suite: every scenario of issue #5 for 200 seeds, the negative control,
//! determinism, and (ignored) the 10,000-seed run and the throughput figures.

use std::time::Instant;

use super::scenario::{self, Scenario};
use super::{Report, Violation, run, run_seeds};

/// Seeds per scenario in the normal suite.
const SEEDS: u64 = 200;
/// Seeds per scenario in the long run (`SIM_SEEDS` overrides).
fn long_seeds() -> u64 {
    std::env::var("SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000)
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `seeds` of a scenario and fails with every violating seed listed.
fn assert_safe_and_live(
    name: &str,
    build: scenario::Builder,
    seeds: u64,
    threads: usize,
) -> Vec<Report> {
    let start = Instant::now();
    let reports = run_seeds(build, 0..seeds, threads);
    let bad: Vec<(u64, &Violation)> =
        reports.iter().filter_map(|r| r.violation.as_ref().map(|v| (r.seed, v))).collect();
    assert!(
        bad.is_empty(),
        "{name}: {} of {seeds} seeds failed, first: {:?}",
        bad.len(),
        &bad[..bad.len().min(3)]
    );
    let heights: u64 = reports.iter().map(|r| r.decided_height).sum();
    let evidence: u64 = reports.iter().map(|r| r.evidence).sum();
    eprintln!(
        "{name}: {seeds} seeds ok, {heights} heights, {evidence} evidence, {:.1}s",
        start.elapsed().as_secs_f64()
    );
    reports
}

macro_rules! scenario_tests {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            // One thread per test: the test harness already runs tests in parallel.
            assert_safe_and_live(stringify!($name), scenario::$name, SEEDS, 1);
        }
    )*};
}

scenario_tests!(
    n4_honest,
    n4_one_silent,
    n4_one_equivocating,
    n7_two_byzantine_mixed,
    unequal_stakes_30pct_byzantine,
    partition_2_2_then_heal,
    leader_crashes_every_round,
    every_node_crashes_and_restarts,
    loss_1pct_with_jitter,
    validator_set_change,
    n4_twins_quarter_stake,
    n4_one_amnesiac,
);

/// Replays one seed and prints where every node ended: `SIM_SCENARIO=name SIM_SEED=n`.
#[test]
#[ignore = "diagnosis: SIM_SCENARIO=n4_honest SIM_SEED=1 cargo test --release -p consensus bft::sim::tests::replay -- --ignored --nocapture"]
fn replay() {
    let name = std::env::var("SIM_SCENARIO").unwrap_or_else(|_| "n4_honest".into());
    let seed: u64 = std::env::var("SIM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let build = scenario::all()
        .into_iter()
        .chain([("twins_half_stake", scenario::twins_half_stake as scenario::Builder)])
        .find(|(n, _)| *n == name)
        .map(|(_, b)| b)
        .expect("unknown scenario");
    let s = build(seed);
    let r = run(&s, seed);
    println!("{s:#?}");
    println!(
        "violation: {:?}\ndecided {} in {} ms, {} events",
        r.violation, r.decided_height, r.sim_time_ms, r.events
    );
    for (i, n) in r.nodes.iter().enumerate() {
        println!("node {i}: {n}");
    }
}

#[test]
fn equivocators_are_caught() {
    let reports = run_seeds(scenario::n4_one_equivocating, 0..20, 1);
    assert!(reports.iter().all(|r| r.evidence > 0), "every run must produce evidence");
}

#[test]
fn set_change_really_changes_the_set() {
    // The joining key (4) must take part: with it, heights past the change are decided.
    let r = run(&scenario::validator_set_change(1), 1);
    assert!(r.violation.is_none(), "{:?}", r.violation);
    assert!(r.decided_height >= 12);
}

/// Negative control: with 50% of the stake run as twins, the checker must find a safety
/// violation for some seed, which proves it can fail.
#[test]
fn negative_control_twins_break_agreement() {
    let reports = run_seeds(scenario::twins_half_stake, 0..20, 1);
    let broken =
        reports.iter().filter(|r| matches!(r.violation, Some(Violation::Agreement { .. }))).count();
    eprintln!("twins_half_stake: agreement violated in {broken} of 20 seeds");
    assert!(broken > 0, "the checker never caught the twins: it cannot fail, so it proves nothing");
}

#[test]
fn same_seed_same_trace() {
    for (name, build) in scenario::all() {
        let a = run(&build(42), 42);
        let b = run(&build(42), 42);
        assert_eq!(a.trace, b.trace, "{name} is not deterministic");
        assert_eq!(a.events, b.events);
        let c = run(&build(43), 43);
        assert_ne!(a.trace, c.trace, "{name}: different seeds, same trace");
    }
}

/// Every scenario for 10,000 seeds, on all cores. Keeps going after a failing scenario, and
/// fails at the end listing them all.
#[test]
#[ignore = "long: cargo test --release -p consensus bft::sim::tests::long_10k_seeds_per_scenario -- --ignored --nocapture"]
fn long_10k_seeds_per_scenario() {
    let failed: Vec<&str> = scenario::all()
        .into_iter()
        .filter(|(name, build)| {
            std::panic::catch_unwind(|| assert_safe_and_live(name, *build, long_seeds(), threads()))
                .is_err()
        })
        .map(|(name, _)| name)
        .collect();
    assert!(failed.is_empty(), "failing scenarios: {failed:?}");
}

/// CPU time of the calling thread (Linux), so figures hold on a busy machine.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// Decided heights per CPU-second and messages per height for 4, 16 and 64 validators.
#[test]
#[ignore = "figures: cargo test --release -p consensus bft::sim::tests::bench_figures -- --ignored --nocapture"]
fn bench_figures() {
    println!(
        "| validators | signature cache | heights | CPU s | heights/CPU-s | msgs/height | sig checks/height |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (n, heights) in [(4usize, 400u64), (16, 100), (64, 20)] {
        for shared in [true, false] {
            let mut s = Scenario::honest("bench", n);
            s.target_height = heights;
            s.shared_verifier_cache = shared;
            s.max_time_ms = u64::MAX / 2;
            let wall = Instant::now();
            let cpu0 = thread_cpu_ns();
            let r = run(&s, 1);
            let cpu = match (cpu0, thread_cpu_ns()) {
                (Some(a), Some(b)) => (b - a) as f64 / 1e9,
                _ => wall.elapsed().as_secs_f64(),
            };
            assert!(r.violation.is_none(), "{:?}", r.violation);
            let h = r.decided_height as f64;
            println!(
                "| {n} | {} | {} | {cpu:.3} | {:.1} | {:.0} | {:.0} |",
                if shared { "shared (once per run)" } else { "per node" },
                r.decided_height,
                h / cpu,
                r.messages_sent as f64 / h,
                r.signatures_checked as f64 / h,
            );
        }
    }
}
