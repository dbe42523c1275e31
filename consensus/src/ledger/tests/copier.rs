//! Weight copying under commit-reveal, measured on the ledger (the issue's requirement: "a
//! validator that copies the others' published weights earns less than an honest one when
//! commit-reveal is on").
//!
//! One subnet, six miners whose true quality drifts every epoch (seeded), three honest
//! validators that weigh the current quality (each through its own measurement noise), and a
//! copier with the same stake as each honest one. The copier sees only what is on chain and
//! commits (or sets) the stake-weighted mean of the rows the other validators published. Every
//! weight goes through a real transaction and `Ledger::execute_block`, with the subnet's default
//! economics (Yuma3 or classic bonds, bonds moving average 0.9, bonds penalty 1, kappa 0.5,
//! no liquid alpha). Dividends are each validator's stake growth over epochs 20..50, checked
//! against the epochs' `EpochRun` dividend events.
//!
//! Every mode follows the same block pattern, so the only difference is what is public when the
//! copier copies. Let `Y` be a block whose end runs the Yuma epoch (the first block of an epoch
//! index):
//! - block `Y + 1`: honest validators commit (commit-reveal on) or set (off) this epoch's rows;
//! - block `Y + 2`: the copier reads the published rows and commits or sets their mean;
//! - commit-reveal on: everyone reveals in the first block of the reveal epoch, the block whose
//!   end runs the epoch (with reveal period 1, the epoch in which the rows would have counted
//!   without commit-reveal).
//!
//! Without commit-reveal the copier copies this epoch's rows before the epoch runs, its best
//! case. With it, the rows public at `Y + 2` were committed one reveal period earlier, so the copy
//! that counts is one reveal period older than the honest rows it competes with: its stale
//! weights are clipped at consensus and its bonds sit on yesterday's best miners.
//!
//! Measured (`cargo test --release -p consensus copier -- --nocapture`), copier's dividends over
//! the least-paid honest validator's, seeds 1–5:
//!
//! | bonds   | commit-reveal, period 1 | period 2    | commit-reveal off |
//! |---------|-------------------------|-------------|-------------------|
//! | Yuma3   | 0.877–0.903             | 0.841–0.872 | 1.038–1.043       |
//! | classic | 0.896–0.917             | 0.873–0.897 | 1.043–1.050       |
//!
//! Sensitivity to `DRIFT` (same ratio, reveal period 1, Yuma3 / classic): 0 → 0.99–1.01 /
//! 0.98–0.99 (nothing to lag behind: the copy only misses the current noise), 0.25 →
//! 0.95–0.96 / 0.95–0.96, 1 (fresh quality every epoch) → 0.64–0.71 / 0.74–0.79. Without
//! commit-reveal the copier beats every honest validator at every drift (by 3–5%, 11–14% for
//! classic bonds at drift 1): the stake-weighted mean of the honest rows is the consensus, so
//! it is never clipped.

use std::collections::VecDeque;

use protocol::transaction::{WeightRow, weight_commitment};
use protocol::{Uid, hyperparams::SubnetHyperparameters};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

use super::*;
use crate::ledger::Event;
use crate::ledger::records::Row;

const MINERS: usize = 6;
const HONEST: usize = 3;
/// Epoch rounds per run; the first `WARM_UP` are not measured: bonds start empty and their EMA
/// keeps 0.9 per epoch, so after 20 epochs the start is down to 0.9^20 ≈ 12% of them.
const ROUNDS: u64 = 50;
const WARM_UP: u64 = 20;
/// Share of a miner's quality redrawn each epoch: consecutive epochs correlate at about 0.5,
/// so the ranking of miners changes most epochs and consensus keeps moving.
const DRIFT: f64 = 0.5;
/// Half-width of each honest validator's measurement noise (quality is in [0, 1]).
const NOISE: f64 = 0.1;
const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];
/// τ staked behind each validator (bought in one swap, then split into equal alpha stakes).
const STAKE_TAO: u64 = 1_000;

/// Under commit-reveal (period 1) the copier must earn at least this fraction less than every
/// honest validator; measured 8.3–12.3% less (table above).
const MIN_PENALTY: f64 = 0.05;

const STAKER: u8 = 80;
const VALI_COLD: u8 = 81;
const MINER_COLD: u8 = 82;
const HONEST_HOT: [u8; HONEST] = [90, 91, 92];
const COPIER_HOT: u8 = 93;
const MINER_HOT: [u8; MINERS] = [100, 101, 102, 103, 104, 105];

/// How weights reach the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Commit-reveal off: `SetWeights`, public at once.
    Direct,
    /// Commit-reveal on with this reveal period (epochs).
    CommitReveal(u64),
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mode::Direct => write!(f, "commit-reveal off"),
            Mode::CommitReveal(p) => write!(f, "commit-reveal on (reveal period {p})"),
        }
    }
}

fn hyperparameters(mode: Mode, yuma3: bool) -> SubnetHyperparameters {
    let defaults = SubnetHyperparameters::default();
    SubnetHyperparameters {
        // Scheduling only: short epochs, weights every epoch, all registrations in one block,
        // and permits for exactly the validators (miners earn stake too, but never vote).
        tempo: 9,
        weights_rate_limit: 0,
        max_validators: (HONEST + 1) as u16,
        target_registrations_per_interval: 16,
        max_registrations_per_block: 16,
        commit_reveal_enabled: mode != Mode::Direct,
        reveal_period_epochs: match mode {
            Mode::Direct => defaults.reveal_period_epochs,
            Mode::CommitReveal(p) => p,
        },
        yuma3,
        ..defaults
    }
}

fn genesis(hp: SubnetHyperparameters) -> Genesis {
    let mut g = test_genesis();
    for (n, tao) in
        [(STAKER, (HONEST as u64 + 1) * STAKE_TAO + 100), (VALI_COLD, 100), (MINER_COLD, 100)]
    {
        g.accounts.push(GenesisAccount { coldkey: pk(n), balance: Rao(tao * TAO) });
    }
    let subnet = &mut g.subnets[0];
    subnet.hyperparameters = hp;
    // A deep pool keeps the price near 1 while the validators buy in.
    subnet.pool_tao = Rao(100_000 * TAO);
    subnet.pool_alpha = AlphaRao(100_000 * TAO);
    g
}

fn validators() -> impl Iterator<Item = u8> {
    HONEST_HOT.into_iter().chain([COPIER_HOT])
}

fn uid(c: &Chain, hot: u8) -> u16 {
    query::neuron(&c.state, SUBNET, &pk(hot)).unwrap().unwrap().uid.0
}

fn hotkey_stake(c: &Chain, hot: u8) -> u64 {
    query::neuron(&c.state, SUBNET, &pk(hot)).unwrap().unwrap().stake.0
}

/// Executes a block and insists every transaction in it was accepted: a rejected commit or
/// reveal would silently change the experiment.
fn block_ok(c: &mut Chain, txs: &[Transaction]) -> u64 {
    let out = c.block(txs);
    for (i, r) in out.tx_results.iter().enumerate() {
        assert!(r.is_ok(), "block {}: transaction {i} rejected: {r:?}", c.height);
    }
    out.events
        .iter()
        .map(|e| match e {
            Event::EpochRun { dividends, .. } => dividends.0,
            _ => 0,
        })
        .sum()
}

/// Registers miners and validators, stakes `STAKE_TAO` worth of alpha behind each validator
/// (bought once, then moved in equal parts, so stakes differ by at most 3 rao), and runs the
/// first epoch, which grants the validators their permits.
fn setup(mode: Mode, yuma3: bool) -> Chain {
    let hp = hyperparameters(mode, yuma3);
    let mut c = Chain::new(&genesis(hp.clone()));
    let register = |c: &Chain, cold: u8, i: usize, hot: u8| {
        let p = Payload::RegisterNeuron { netuid: SUBNET, hotkey: pk(hot), max_burn: Rao(TAO) };
        c.sign_at(&kp(cold), i as u64, 0, p)
    };
    let mut txs: Vec<Transaction> =
        MINER_HOT.iter().enumerate().map(|(i, h)| register(&c, MINER_COLD, i, *h)).collect();
    txs.extend(validators().enumerate().map(|(i, h)| register(&c, VALI_COLD, i, h)));
    block_ok(&mut c, &txs);

    let first = HONEST_HOT[0];
    let buy = Payload::AddStake {
        hotkey: pk(first),
        netuid: SUBNET,
        amount: Rao((HONEST as u64 + 1) * STAKE_TAO * TAO),
        limit_price: None,
    };
    let tx = c.sign(&kp(STAKER), buy);
    block_ok(&mut c, &[tx]);
    let each = hotkey_stake(&c, first) / (HONEST as u64 + 1);
    let moves: Vec<Transaction> = validators()
        .skip(1)
        .enumerate()
        .map(|(i, h)| {
            let p = Payload::MoveStake {
                from_hotkey: pk(first),
                to_hotkey: pk(h),
                from_netuid: SUBNET,
                to_netuid: SUBNET,
                amount: AlphaRao(each),
                limit_price: None,
            };
            c.sign_at(&kp(STAKER), i as u64, 0, p)
        })
        .collect();
    block_ok(&mut c, &moves);

    while !crate::ledger::epoch_due(c.height, SUBNET, hp.tempo) {
        block_ok(&mut c, &[]);
    }
    // That epoch paid the validators by stake (nobody had weights yet), which keeps the
    // stakes equal up to rounding.
    let stakes: Vec<u64> = validators().map(|h| hotkey_stake(&c, h)).collect();
    let spread = stakes.iter().max().unwrap() - stakes.iter().min().unwrap();
    assert!(spread <= 10, "validator stakes {stakes:?} should be equal");
    for h in validators() {
        let n = query::neuron(&c.state, SUBNET, &pk(h)).unwrap().unwrap();
        assert!(n.validator_permit, "validator {h} has a permit");
    }
    c
}

/// The miners' true quality, a seeded random walk with mean reversion: each epoch every
/// miner keeps `1 − DRIFT` of its quality and draws the rest uniformly from [0, 1].
struct Market {
    quality: [f64; MINERS],
    rng: ChaCha8Rng,
}

fn unit(rng: &mut ChaCha8Rng) -> f64 {
    // 53 random bits: exact in f64, identical on every platform.
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

impl Market {
    fn new(seed: u64) -> Market {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let quality = std::array::from_fn(|_| unit(&mut rng));
        Market { quality, rng }
    }

    fn step(&mut self) {
        for q in &mut self.quality {
            *q = (1.0 - DRIFT) * *q + DRIFT * unit(&mut self.rng);
        }
    }
}

/// Scales non-negative scores to a row whose largest entry is 65535 (the ledger max-upscales
/// anyway; doing it here keeps the u16 rounding in one place).
fn to_row(uids: &[u16], scores: &[f64]) -> WeightRow {
    let max = scores.iter().copied().fold(0.0, f64::max);
    assert!(max > 0.0, "a row needs a positive weight");
    uids.iter()
        .zip(scores)
        .map(|(u, s)| (*u, (s / max * 65_535.0).round() as u16))
        .filter(|(_, w)| *w > 0)
        .collect()
}

/// What the copier can see: the stored rows of the other validators, averaged with their
/// stake as weights after normalising each row to sum 1. `None` while nobody has published.
fn public_mean(c: &Chain, others: &[u8], miners: &[u16]) -> Option<WeightRow> {
    let mut mean = vec![0.0; miners.len()];
    let mut seen = false;
    for hot in others {
        let key = keys::weights(SUBNET, Uid(uid(c, *hot)));
        let Some(raw) = c.state.get(&key) else { continue };
        let row: Row = decode_bytes(&key, &raw).unwrap();
        let total: f64 = row.0.iter().map(|(_, w)| f64::from(*w)).sum();
        let stake = hotkey_stake(c, *hot) as f64;
        for (j, w) in row.0 {
            let slot = miners.iter().position(|m| *m == j).expect("rows name miners only");
            mean[slot] += stake * f64::from(w) / total;
        }
        seen = true;
    }
    seen.then(|| to_row(miners, &mean))
}

/// A weight row committed in `round`, with the salt that hides it until its reveal.
struct Commitment {
    round: u64,
    row: WeightRow,
    salt: [u8; 32],
}

fn salt(hot: u8, round: u64) -> [u8; 32] {
    let mut s = [hot; 32];
    s[..8].copy_from_slice(&round.to_le_bytes());
    s
}

/// Weights through the subnet's mode: `SetWeights`, or `CommitWeights` remembering the row.
fn publish(
    c: &Chain,
    hot: u8,
    row: WeightRow,
    round: u64,
    mode: Mode,
    pending: &mut VecDeque<Commitment>,
) -> Transaction {
    if mode == Mode::Direct {
        let p = Payload::SetWeights { netuid: SUBNET, weights: row, version_key: 0 };
        return c.sign(&kp(hot), p);
    }
    let salt = salt(hot, round);
    let commitment = weight_commitment(&pk(hot), SUBNET, &row, &salt, 0);
    pending.push_back(Commitment { round, row, salt });
    c.sign(&kp(hot), Payload::CommitWeights { netuid: SUBNET, commitment })
}

/// The reveal due in the last block of `round`, which opens epoch index `commit + period`:
/// the earliest block at which the chain accepts it.
fn reveal(
    c: &Chain,
    hot: u8,
    round: u64,
    mode: Mode,
    pending: &mut VecDeque<Commitment>,
) -> Option<Transaction> {
    let Mode::CommitReveal(period) = mode else { return None };
    if pending.front()?.round + period != round + 1 {
        return None;
    }
    let Commitment { row, salt, .. } = pending.pop_front()?;
    let p = Payload::RevealWeights { netuid: SUBNET, weights: row, salt, version_key: 0 };
    Some(c.sign(&kp(hot), p))
}

/// Alpha each validator earned over the measured epochs.
struct Outcome {
    honest: [u64; HONEST],
    copier: u64,
}

impl Outcome {
    /// Copier's earnings over the mean honest validator's.
    fn ratio(&self) -> f64 {
        let mean = self.honest.iter().sum::<u64>() as f64 / HONEST as f64;
        self.copier as f64 / mean
    }

    /// Copier's earnings over the least-paid honest validator's.
    fn worst_case_ratio(&self) -> f64 {
        self.copier as f64 / *self.honest.iter().min().unwrap() as f64
    }
}

/// One seeded run of `ROUNDS` epochs; returns the dividends earned after the warm-up.
fn run(seed: u64, mode: Mode, yuma3: bool) -> Outcome {
    let mut c = setup(mode, yuma3);
    let tempo = u64::from(hyperparameters(mode, yuma3).tempo);
    let miners: Vec<u16> = MINER_HOT.iter().map(|h| uid(&c, *h)).collect();
    let mut market = Market::new(seed);
    // Measurement noise from its own stream (seeded with `seed` xor "noise" in ASCII), so the
    // quality path and the observations are the same in every mode.
    let mut noise = ChaCha8Rng::seed_from_u64(seed ^ 0x006e_6f69_7365);
    let mut honest_pending: [VecDeque<Commitment>; HONEST] = Default::default();
    let mut copier_pending = VecDeque::new();
    let mut start = [0u64; HONEST + 1];
    let mut paid = 0u64;

    for round in 0..ROUNDS {
        if round == WARM_UP {
            for (s, h) in start.iter_mut().zip(validators()) {
                *s = hotkey_stake(&c, h);
            }
            paid = 0;
        }
        let yuma = c.height;
        // Y + 1: honest validators weigh the current quality, each through its own noise.
        market.step();
        let txs: Vec<Transaction> = HONEST_HOT
            .iter()
            .zip(&mut honest_pending)
            .map(|(h, pending)| {
                let seen: Vec<f64> = market
                    .quality
                    .iter()
                    .map(|q| (q + NOISE * (2.0 * unit(&mut noise) - 1.0)).max(0.0))
                    .collect();
                publish(&c, *h, to_row(&miners, &seen), round, mode, pending)
            })
            .collect();
        paid += block_ok(&mut c, &txs);
        // Y + 2: the copier publishes the mean of what is public now.
        // Before anything is public (the first round under commit-reveal) it weighs every miner
        // equally, so its bonds start in the same epoch as everyone else's.
        let row = public_mean(&c, &HONEST_HOT, &miners)
            .unwrap_or_else(|| to_row(&miners, &[1.0; MINERS]));
        let tx = publish(&c, COPIER_HOT, row, round, mode, &mut copier_pending);
        paid += block_ok(&mut c, &[tx]);
        while c.height + 1 < yuma + tempo + 1 {
            paid += block_ok(&mut c, &[]);
        }
        // Y': reveals (commit-reveal on), then the epoch at the end of this block.
        let txs: Vec<Transaction> = HONEST_HOT
            .iter()
            .zip(&mut honest_pending)
            .chain([(&COPIER_HOT, &mut copier_pending)])
            .filter_map(|(h, pending)| reveal(&c, *h, round, mode, pending))
            .collect();
        paid += block_ok(&mut c, &txs);
        assert!(crate::ledger::epoch_due(c.height, SUBNET, tempo as u16), "rounds follow epochs");
    }

    let earned: Vec<u64> = validators().zip(start).map(|(h, s)| hotkey_stake(&c, h) - s).collect();
    // Validators move no stake during the run, so their stake growth is exactly the dividends
    // the epochs paid (take included): check that this is the quantity being measured.
    assert_eq!(earned.iter().sum::<u64>(), paid, "stake growth equals the epochs' dividends");
    Outcome { honest: std::array::from_fn(|i| earned[i]), copier: earned[HONEST] }
}

fn alpha(rao: u64) -> f64 {
    rao as f64 / TAO as f64
}

/// Runs every seed under commit-reveal (reveal periods 1 and 2) and without it, prints the
/// figures, and checks that commit-reveal's delay is what makes copying lose.
fn experiment(yuma3: bool) {
    let rule = if yuma3 { "yuma3" } else { "classic" };
    let modes = [Mode::CommitReveal(1), Mode::CommitReveal(2), Mode::Direct];
    let results: Vec<(u64, [Outcome; 3])> =
        SEEDS.iter().map(|&seed| (seed, modes.map(|mode| run(seed, mode, yuma3)))).collect();

    // One print per test, so the two tests' reports do not interleave line by line.
    let mut report = format!(
        "copier experiment, {rule} bonds: {MINERS} miners, drift {DRIFT}, noise ±{NOISE}, \
         {HONEST} honest validators + 1 copier (equal stake), dividends of epochs \
         {WARM_UP}..{ROUNDS}\n"
    );
    for (seed, outcomes) in &results {
        for (mode, o) in modes.iter().zip(outcomes) {
            let honest: Vec<String> =
                o.honest.iter().map(|h| format!("{:.3}", alpha(*h))).collect();
            report += &format!(
                "  {rule} seed {seed} {mode}: honest α [{}], copier α {:.3}, \
                 copier/mean honest {:.3}, copier/min honest {:.3}\n",
                honest.join(", "),
                alpha(o.copier),
                o.ratio(),
                o.worst_case_ratio(),
            );
        }
    }
    println!("{report}");

    for (seed, [p1, p2, direct]) in &results {
        assert!(
            p1.worst_case_ratio() <= 1.0 - MIN_PENALTY,
            "{rule} seed {seed}: under commit-reveal the copier earned {:.3} of the least-paid \
             honest validator, expected at most {:.3}",
            p1.worst_case_ratio(),
            1.0 - MIN_PENALTY
        );
        // A longer delay makes the copy staler (quality keeps half its value per epoch).
        assert!(
            p2.ratio() < p1.ratio(),
            "{rule} seed {seed}: reveal period 2 should cost the copier more than period 1 \
             ({:.3} vs {:.3})",
            p2.ratio(),
            p1.ratio()
        );
        // The control: a copy of the same epoch's rows sits at consensus and pays at least as
        // well as honest work, so the loss above is commit-reveal's doing.
        assert!(
            direct.worst_case_ratio() >= 1.0,
            "{rule} seed {seed}: without commit-reveal the copier earned {:.3} of the \
             least-paid honest validator",
            direct.worst_case_ratio()
        );
    }
}

#[test]
fn copier_earns_less_under_commit_reveal_yuma3() {
    assert!(SubnetHyperparameters::default().yuma3, "the defaults under test use Yuma3");
    experiment(true);
}

#[test]
fn copier_earns_less_under_commit_reveal_classic_bonds() {
    experiment(false);
}
