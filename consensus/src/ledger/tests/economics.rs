//! Emission, pending accumulation and the epoch payout over several tempos.

use super::*;
use crate::ledger::Event;

#[test]
fn block_emission_enters_pool_and_accumulates_pending() {
    let mut c = Chain::standard();
    let before = c.pool(SUBNET);
    c.block(&[]);
    let p = c.pool(SUBNET);
    // The whole block emission (1 τ) goes into the only subnet's pool: injected or chain-bought.
    assert_eq!(p.tao.0 - before.tao.0, TAO);
    // One α of participant emission per block: 18% owner cut, the rest half to miners.
    let cut = TAO * 11_796 / 65_535;
    assert_eq!(p.pending_owner.0, cut);
    assert_eq!(p.pending_server.0, (TAO - cut) / 2);
    assert_eq!(p.pending_server.0 + p.pending_validator.0 + p.pending_root.0, TAO - cut);
    // Root proportion ρ = R·w/(R·w + alpha issuance), with 1500 τ on root and w ≈ 0.0527.
    assert!(p.pending_root.0 > 0 && p.pending_root.0 < p.pending_validator.0);
    let ev =
        c.last.as_ref().unwrap().events.iter().find(|e| matches!(e, Event::SubnetEmission { .. }));
    assert!(ev.is_some());
}

#[test]
fn epoch_at_tempo_drains_pending_and_pays_owner_cut() {
    let mut c = Chain::standard();
    c.advance_to(8);
    let cut = TAO * 11_796 / 65_535;
    assert_eq!(c.pool(SUBNET).pending_owner.0, 7 * cut);
    c.block(&[]);
    // Netuid 1, tempo 9: (8 + 1 + 1) mod 10 = 0, the epoch ran at the end of block 8.
    assert_eq!(c.pool(SUBNET).pending_owner.0, 0);
    assert_eq!(c.stake(OWNER_COLD, OWNER_HOT, SUBNET), 8 * cut);
    let info = query::subnet(&c.state, SUBNET).unwrap().unwrap();
    assert_eq!(info.last_epoch_block, Some(8));
    assert_eq!(info.next_epoch_block, 18);
}

const V1: u8 = 52;
const V2: u8 = 53;
const M1: u8 = 60;
const M2: u8 = 61;
const M3: u8 = 62;
const OWNER_MINER: u8 = 63;

#[test]
fn miners_validators_owner_and_root_stakers_earn_over_several_tempos() {
    let mut g = test_genesis();
    g.subnets[0].hyperparameters.target_registrations_per_interval = 4;
    let mut c = Chain::new(&g);
    let reg = |cold: u8, hot: u8| {
        (cold, Payload::RegisterNeuron { netuid: SUBNET, hotkey: pk(hot), max_burn: Rao(u64::MAX) })
    };
    for (cold, p) in [
        reg(CAROL, M1),
        reg(CAROL, M2),
        reg(CAROL, M3),
        reg(BOB, V1),
        reg(ALICE, V2),
        reg(VAL1_COLD, VAL1_HOT),
        reg(OWNER_COLD, OWNER_MINER),
    ] {
        c.exec(&kp(cold), p).unwrap();
    }
    let stake = |hot: u8, tao: u64| Payload::AddStake {
        hotkey: pk(hot),
        netuid: SUBNET,
        amount: Rao(tao * TAO),
        limit_price: None,
    };
    c.exec(&kp(BOB), stake(V1, 200)).unwrap();
    c.exec(&kp(ALICE), stake(V2, 100)).unwrap();
    c.advance_to(19); // the epoch at block 18 grants permits
    for v in [V1, V2, VAL1_HOT] {
        let n = query::neuron(&c.state, SUBNET, &pk(v)).unwrap().unwrap();
        assert!(n.validator_permit, "permit for {v}");
    }
    let uid = |h: u8| query::neuron(&c.state, SUBNET, &pk(h)).unwrap().unwrap().uid.0;
    let row = vec![(uid(M1), 3u16), (uid(M2), 1), (uid(OWNER_MINER), 1)];
    let txs: Vec<_> = [V1, V2, VAL1_HOT]
        .iter()
        .map(|v| {
            c.sign(
                &kp(*v),
                Payload::SetWeights { netuid: SUBNET, weights: row.clone(), version_key: 0 },
            )
        })
        .collect();
    assert!(c.block(&txs).tx_results.iter().all(|r| r.is_ok()));
    let v1_before = query::neuron(&c.state, SUBNET, &pk(V1)).unwrap().unwrap().stake.0;
    let v2_before = query::neuron(&c.state, SUBNET, &pk(V2)).unwrap().unwrap().stake.0;
    let root_before = c.stake(VAL1_COLD, VAL1_HOT, NetUid::ROOT);
    let owner_before = c.stake(OWNER_COLD, OWNER_HOT, SUBNET);
    let burned_before = c.pool(SUBNET).alpha_burned.0;
    c.advance(50);

    // Miners earn in proportion to their consensus weight; no weight, no incentive.
    let (m1, m2, m3) =
        (c.stake(CAROL, M1, SUBNET), c.stake(CAROL, M2, SUBNET), c.stake(CAROL, M3, SUBNET));
    assert!(m2 > 0 && m3 == 0, "{m1} {m2} {m3}");
    let ratio = m1 as f64 / m2 as f64;
    assert!((2.9..3.1).contains(&ratio), "incentive ratio {ratio}");
    // The owner's own miner earns nothing: its incentive is burned.
    assert_eq!(c.stake(OWNER_COLD, OWNER_MINER, SUBNET), 0);
    assert!(c.pool(SUBNET).alpha_burned.0 > burned_before);
    // Validators earn dividends, more with more stake.
    let v1_gain = query::neuron(&c.state, SUBNET, &pk(V1)).unwrap().unwrap().stake.0 - v1_before;
    let v2_gain = query::neuron(&c.state, SUBNET, &pk(V2)).unwrap().unwrap().stake.0 - v2_before;
    assert!(v1_gain > v2_gain && v2_gain > 0, "{v1_gain} {v2_gain}");
    // Bob's own position behind V1 grew (nominator share), and V1's take went to Bob too.
    assert!(c.stake(BOB, V1, SUBNET) > v1_before);
    // The validator with only root stake is paid in τ on root (the root proportion).
    assert!(c.stake(VAL1_COLD, VAL1_HOT, NetUid::ROOT) > root_before);
    // The owner's cut keeps arriving.
    let cut = TAO * 11_796 / 65_535;
    assert_eq!(c.stake(OWNER_COLD, OWNER_HOT, SUBNET) - owner_before, 50 * cut);
}

#[test]
fn without_weights_validators_get_everything_by_stake() {
    let mut c = Chain::standard();
    let p = Payload::RegisterNeuron { netuid: SUBNET, hotkey: pk(V1), max_burn: Rao(u64::MAX) };
    c.exec(&kp(BOB), p).unwrap();
    let p = Payload::AddStake {
        hotkey: pk(V1),
        netuid: SUBNET,
        amount: Rao(10 * TAO),
        limit_price: None,
    };
    c.exec(&kp(BOB), p).unwrap();
    let before = c.stake(BOB, V1, SUBNET);
    c.advance_to(9);
    let p = c.pool(SUBNET);
    // Everything pending for miners and validators went to V1 (the only staked uid), except
    // the root share, which had no root-staked validator to go to and was folded in as well.
    assert_eq!(p.pending_server.0 + p.pending_validator.0 + p.pending_root.0, 0);
    assert!(c.stake(BOB, V1, SUBNET) > before);
}
