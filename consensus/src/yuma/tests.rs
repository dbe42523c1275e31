//! Subtensor's epoch test vectors (economics.md §12.1–12.4), replayed through a small model of
//! the pallet storage and mock helpers those tests use.

use super::*;

/// `max(1, ⌊13,889·tempo/1000⌋)`, the mock's effective activity cutoff (§12).
fn activity_cutoff(tempo: u64) -> u64 {
    (13_889 * tempo / 1000).max(1)
}

/// The storage a subtensor epoch test touches, with the mock's defaults (§12): Kappa 32,767,
/// BondsMovingAverage 900,000, BondsPenalty 65,535, StakeThreshold 0, no owner hotkey,
/// commit-reveal and Yuma3 off (`add_network_disable_commit_reveal`), and
/// `MaxAllowedValidators` 64 from `init_new_network`.
struct Subnet {
    block: u64,
    params: EpochInput,
    neurons: Vec<NeuronEpochState>,
}

impl Subnet {
    fn new(block: u64, tempo: u64) -> Self {
        let params = EpochInput {
            tempo,
            activity_cutoff: activity_cutoff(tempo),
            kappa_u16: 32_767,
            bonds_penalty_u16: 65_535,
            bonds_moving_average: 900_000,
            max_allowed_validators: 64,
            emission_rao: 1_000_000_000,
            ..EpochInput::default()
        };
        Self { block, params, neurons: Vec::new() }
    }

    /// `register` / `append_neuron` at `block`, then stake written directly.
    fn register_at(&mut self, block: u64, stake: u64) {
        self.neurons.push(NeuronEpochState {
            stake,
            last_update: block,
            block_at_registration: block,
            ..NeuronEpochState::default()
        });
    }

    fn register(&mut self, stake: u64) {
        self.register_at(self.block, stake);
    }

    /// `set_weights` with commit-reveal off: max-upscale, store, stamp `LastUpdate`.
    fn set_weights(&mut self, uid: usize, uids: &[u16], values: &[u16]) {
        let block = self.block;
        let nr = &mut self.neurons[uid];
        nr.weights = uids.iter().copied().zip(max_upscale_u16(values)).collect();
        nr.last_update = block;
    }

    fn next_block(&mut self) {
        self.block += 1;
    }

    fn run_to_block(&mut self, block: u64) {
        self.block = self.block.max(block);
    }

    /// `SubtensorModule::epoch(netuid, 1e9)`: run and persist permits and bonds.
    /// Manual epochs never set `LastMechansimStepBlock`, so it stays unset.
    fn epoch(&mut self) -> EpochOutput {
        let mut input = self.params.clone();
        input.block = self.block;
        input.neurons = self.neurons.clone();
        let out = run_epoch(&input).expect("epoch input is valid");
        for (nr, o) in self.neurons.iter_mut().zip(&out.neurons) {
            nr.validator_permit = o.validator_permit;
            match &o.bonds {
                BondsUpdate::Replace(row) => nr.bonds.clone_from(row),
                BondsUpdate::Clear => nr.bonds.clear(),
                BondsUpdate::Keep => {}
            }
        }
        out
    }

    /// `get_bonds()[i][j]` (dense, 0 when absent).
    fn bond(&self, i: usize, j: u16) -> u16 {
        self.neurons[i].bonds.iter().find(|(k, _)| *k == j).map_or(0, |(_, v)| *v)
    }
}

// §12.1 test_active_stake: classic Yuma, exact.
#[test]
fn vector_12_1_active_stake() {
    let mut net = Subnet::new(0, 1);
    for _ in 0..4 {
        net.register(1);
    }
    net.params.max_allowed_validators = 4;
    net.epoch(); // grants permits
    net.next_block();

    for uid in 0..2 {
        net.set_weights(uid, &[2, 3], &[32_767, 32_767]);
    }
    let a = net.epoch();
    for uid in 0..2 {
        assert_eq!(a.neurons[uid].dividends, 32_767);
    }
    for uid in 0..4 {
        assert_eq!(a.neurons[uid].emission, 250_000_000);
    }
    for i in 0..2 {
        for j in 0..2 {
            assert_eq!(net.bond(i, j), 0);
        }
        for j in 2..4 {
            assert_eq!(net.bond(i, j), 65_535);
        }
    }

    // uid 1's weights become outdated; uid 0 re-sets its own.
    net.run_to_block(5_002);
    net.set_weights(0, &[2, 3], &[32_767, 32_767]);
    let b = net.epoch();
    assert_eq!(b.neurons[0].dividends, 36_044);
    assert_eq!(b.neurons[0].emission, 274_999_999);
    assert_eq!(b.neurons[1].dividends, 29_490);
    assert_eq!(b.neurons[1].emission, 224_999_999);
    for j in 2..4 {
        assert_eq!(net.bond(0, j), 65_535);
        assert_eq!(net.bond(1, j), 53_619);
    }

    net.set_weights(1, &[2, 3], &[32_767, 32_767]);
    net.run_to_block(5_003);
    let c = net.epoch();
    assert_eq!(c.neurons[0].dividends, 35_716);
    assert_eq!(c.neurons[0].emission, 272_501_132);
    assert_eq!(c.neurons[1].dividends, 29_818);
    assert_eq!(c.neurons[1].emission, 227_498_866);
    for j in 2..4 {
        assert_eq!(net.bond(0, j), 65_535);
        assert_eq!(net.bond(1, j), 54_712);
    }
}

// §12.2 test_bonds: classic Yuma bonds, exact (I32F32 rounding gives 49150, not 49151).
#[test]
fn vector_12_2_bonds() {
    let mut net = Subnet::new(1, 1);
    for stake in [1, 2, 3, 4, 0, 0, 0, 0] {
        net.register(stake);
    }
    net.params.max_allowed_validators = 8;
    net.epoch();
    net.next_block();

    let col = |net: &Subnet, j: u16| -> Vec<u16> { (0..4).map(|i| net.bond(i, j)).collect() };

    // Step 1: validators weight servers 4..7 as 0.1, 0.2, 0.3, 0.4.
    for uid in 0..4 {
        net.set_weights(uid, &[4, 5, 6, 7], &[16_383, 32_767, 49_149, 65_535]);
    }
    net.epoch();
    assert_eq!(col(&net, 4), [16_383, 32_767, 49_151, 65_535]);

    // Steps 2-5: one weight change, advance one block, epoch.
    let steps: [(usize, u16, u16, [u16; 4]); 4] = [
        (0, 0, 4, [14_582, 32_767, 49_151, 65_535]),
        (1, 1, 4, [12_603, 28_321, 49_151, 65_535]),
        (2, 2, 7, [12_602, 28_320, 49_150, 65_535]),
        (2, 7, 7, [10_951, 24_609, 49_150, 65_535]),
    ];
    for (setter, target, column, want) in steps {
        net.set_weights(setter, &[target], &[u16::MAX]);
        net.next_block();
        net.epoch();
        assert_eq!(col(&net, column), want, "after uid {setter} set weight on {target}");
    }

    // Steps 6-7: no changes.
    for want in [[9_559, 21_482, 49_150, 65_535], [8_376, 18_824, 49_150, 65_535]] {
        net.next_block();
        net.epoch();
        assert_eq!(col(&net, 7), want);
    }
}

// §12.3 test_10_graph: no permits yet, so Z = 0 and validators are paid by stake.
#[test]
fn vector_12_3_ten_graph() {
    let mut net = Subnet::new(1, 65_534);
    for _ in 0..10 {
        net.register_at(0, 1);
    }
    for uid in 0..10 {
        net.set_weights(uid, &[uid as u16], &[u16::MAX]);
    }
    let out = net.epoch();
    for nr in &out.neurons {
        assert_eq!((nr.consensus, nr.incentive, nr.dividends, nr.validator_trust), (0, 0, 0, 0));
        assert_eq!(nr.emission, 99_999_999);
        assert_eq!((nr.server_emission, nr.validator_emission), (0, 99_999_999));
    }
}

/// §12.4 setup: five uids (A, B, C validate; 3, 4 serve), Yuma3 with liquid alpha
/// (0.1, 0.3) stored as u16 by `set_alpha_values_32`, one permit-granting epoch.
fn yuma3_scenario(stakes: [u64; 5]) -> Subnet {
    let mut net = Subnet::new(1, 1);
    for s in stakes {
        net.register(s);
    }
    net.params.bonds_penalty_u16 = 0;
    net.params.bonds_moving_average = 975_000;
    net.params.kappa_u16 = u16::MAX / 2;
    net.params.liquid_alpha =
        Some(LiquidAlphaParams { alpha_low_u16: 6_553, alpha_high_u16: 19_660, steepness: 1_000 });
    net.params.yuma3 = true;
    net.params.max_allowed_validators = 3;
    net.next_block();
    net.epoch();
    net
}

/// `(server 3, server 4)` weights of A, B, C.
type Round = [[u16; 2]; 3];
const TO_3: [u16; 2] = [u16::MAX, 0];
const TO_4: [u16; 2] = [0, u16::MAX];

/// Sets each round's weights (if any), advances one block, runs an epoch and checks
/// dividends within ±0.001 (targets in ten-thousandths).
fn play(net: &mut Subnet, rounds: &[(Option<Round>, [i64; 3])]) -> Vec<EpochOutput> {
    let mut outs = Vec::new();
    for (epoch, (weights, want)) in rounds.iter().enumerate() {
        if let Some(w) = weights {
            for (uid, row) in w.iter().enumerate() {
                net.set_weights(uid, &[3, 4], row);
            }
        }
        net.next_block();
        let out = net.epoch();
        let got: Vec<i64> = out.neurons.iter().map(|n| i64::from(n.dividends)).collect();
        for (uid, target) in want.iter().chain(&[0, 0]).enumerate() {
            let diff = (got[uid] * 10_000 - target * 65_535).abs();
            assert!(
                diff <= 10 * 65_535,
                "epoch {epoch} uid {uid}: {}/65535 vs {target}e-4",
                got[uid]
            );
        }
        outs.push(out);
    }
    outs
}

/// Checks a stored Yuma3 bond (fraction of 65535) against a target in ten-thousandths.
fn assert_bond(net: &Subnet, i: usize, j: u16, target: i64) {
    let got = i64::from(net.bond(i, j));
    assert!(
        (got * 10_000 - target * 65_535).abs() <= 10 * 65_535,
        "bond {i}->{j} = {got}/65535, want {target}e-4"
    );
}

#[test]
fn vector_12_4_yuma3_one_epoch_switch() {
    let mut net = yuma3_scenario([33, 33, 34, 0, 0]);
    let all_3 = Some([TO_3; 3]);
    let rounds = [
        (all_3, [3300, 3300, 3400]),
        (all_3, [3300, 3300, 3400]),
        (Some([TO_3, TO_3, TO_4]), [3782, 3782, 2436]),
        (all_3, [3628, 3628, 2745]),
        (all_3, [3541, 3541, 2917]),
        (all_3, [3487, 3487, 3026]),
    ];
    play(&mut net, &rounds);
    // The listed bond targets (not compared by subtensor) after epoch 5.
    assert_bond(&net, 0, 3, 4733);
    assert_bond(&net, 0, 4, 0);
    assert_bond(&net, 2, 3, 3987);
    assert_bond(&net, 2, 4, 2051);
}

#[test]
fn vector_12_4_yuma3_liquid_alpha_disabled() {
    let mut net = yuma3_scenario([33, 33, 34, 0, 0]);
    net.params.liquid_alpha = None;
    let all_3 = Some([TO_3; 3]);
    let rounds = [
        (all_3, [3300, 3300, 3400]),
        (all_3, [3300, 3300, 3400]),
        (Some([TO_3, TO_3, TO_4]), [3734, 3734, 2532]),
        (all_3, [3611, 3611, 2779]),
        (all_3, [3541, 3541, 2919]),
        (all_3, [3495, 3495, 3009]),
    ];
    play(&mut net, &rounds);
    // The listed targets' uid 3 / uid 4 columns after epoch 5.
    assert_bond(&net, 0, 3, 1409);
    assert_bond(&net, 2, 3, 1178);
    assert_bond(&net, 2, 4, 232);
}

#[test]
fn vector_12_4_yuma3_kappa_moves_first() {
    let mut net = yuma3_scenario([8, 1, 1, 0, 0]);
    let rounds = [
        (Some([TO_3; 3]), [8000, 1000, 1000]),
        (Some([TO_4, TO_3, TO_3]), [10000, 0, 0]),
        (Some([TO_4, TO_4, TO_3]), [9382, 618, 0]),
        (Some([TO_4; 3]), [8819, 773, 407]),
        (None, [8564, 844, 592]),
        (None, [8418, 884, 697]),
    ];
    play(&mut net, &rounds);
    for (uid, [b3, b4]) in [[588, 4139], [2157, 3478], [3089, 2742]].into_iter().enumerate() {
        assert_bond(&net, uid, 3, b3);
        assert_bond(&net, uid, 4, b4);
    }
}

#[test]
fn empty_subnet_is_fine() {
    let out = run_epoch(&EpochInput::default()).expect("empty input is valid");
    assert!(out.neurons.is_empty());
}

#[test]
fn zero_stake_pays_nothing() {
    let mut net = Subnet::new(10, 360);
    for _ in 0..3 {
        net.register(0);
    }
    let out = net.epoch();
    assert!(out.neurons.iter().all(|n| n.emission == 0 && !n.validator_permit));
}

#[test]
fn owner_keeps_permit_and_self_weight() {
    let mut net = Subnet::new(1, 1);
    net.register(0);
    net.register(10);
    net.params.owner_uid = Some(0);
    net.params.stake_threshold = 5;
    net.epoch();
    net.next_block();
    net.set_weights(0, &[0], &[u16::MAX]);
    let out = net.epoch();
    assert!(out.neurons[0].validator_permit);
    // The owner has no stake, so its self-weight carries no consensus; nothing breaks.
    assert_eq!(out.neurons[0].incentive, 0);
}

#[test]
fn duplicate_and_out_of_range_uids() {
    let mut net = Subnet::new(5, 1);
    net.register(1);
    net.register(1);
    net.neurons[0].weights = vec![(1, 5), (9, 5)];
    net.neurons[0].bonds = vec![(7, 65_535)];
    assert!(net.epoch().neurons.len() == 2);
    net.neurons[0].weights = vec![(1, 5), (1, 6)];
    let mut input = net.params.clone();
    input.neurons = net.neurons.clone();
    assert_eq!(run_epoch(&input), Err(EpochError::DuplicateWeight { row: 0, uid: 1 }));
    input.neurons[0].weights.clear();
    input.neurons[1].bonds = vec![(0, 1), (0, 1)];
    assert_eq!(run_epoch(&input), Err(EpochError::DuplicateBond { row: 1, uid: 0 }));
    input.neurons[1].bonds.clear();
    input.bonds_moving_average = 1_000_001;
    assert_eq!(run_epoch(&input), Err(EpochError::BondsMovingAverageOutOfRange(1_000_001)));
    input.bonds_moving_average = 0;
    input.neurons[0].stake = u64::MAX;
    assert!(matches!(run_epoch(&input), Err(EpochError::StakeOverflow(_))));
}
