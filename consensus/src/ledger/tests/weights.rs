//! Weights: direct setting and its checks; commit-reveal with its timing rules.

use super::*;
use crate::ledger::epoch_index;
use protocol::Uid;
use protocol::transaction::{WeightRow, weight_commitment};

const MINER_A: u8 = 50;
const MINER_B: u8 = 51;
const VALI: u8 = 52;

/// Two miners (Alice) and a staked validator (Bob), past the first epoch (block 8) so the
/// validator holds a permit.
pub fn setup(hp: SubnetHyperparameters) -> Chain {
    let mut g = test_genesis();
    g.subnets[0].hyperparameters = hp;
    let mut c = Chain::new(&g);
    for (cold, hot) in [(ALICE, MINER_A), (ALICE, MINER_B), (BOB, VALI)] {
        let reg =
            Payload::RegisterNeuron { netuid: SUBNET, hotkey: pk(hot), max_burn: Rao(u64::MAX) };
        c.exec(&kp(cold), reg).unwrap();
    }
    let stake = Payload::AddStake {
        hotkey: pk(VALI),
        netuid: SUBNET,
        amount: Rao(100 * TAO),
        limit_price: None,
    };
    c.exec(&kp(BOB), stake).unwrap();
    c.advance_to(9);
    let n = query::neuron(&c.state, SUBNET, &pk(VALI)).unwrap().unwrap();
    assert!(n.validator_permit);
    c
}

fn set(w: WeightRow) -> Payload {
    Payload::SetWeights { netuid: SUBNET, weights: w, version_key: 0 }
}

#[test]
fn set_weights_stores_max_upscaled_row() {
    let mut c = setup(test_hp());
    c.exec(&kp(VALI), set(vec![(2, 100), (1, 300)])).unwrap();
    let st = query::weights_status(&c.state, SUBNET, &pk(VALI)).unwrap().unwrap();
    assert_eq!(st.last_update, c.height);
    let key = keys::weights(SUBNET, Uid(3));
    let row: crate::ledger::records::Row = decode_bytes(&key, &c.state.get(&key).unwrap()).unwrap();
    assert_eq!(row.0, vec![(1, 65_535), (2, 21_845)]);
}

#[test]
fn set_weights_rejections() {
    let mut c = setup(test_hp());
    assert!(matches!(c.exec(&kp(ALICE), set(vec![(1, 1)])), Err(TxError::NotRegistered { .. })));
    assert_eq!(c.exec(&kp(MINER_A), set(vec![(2, 1)])), Err(TxError::NoValidatorPermit(Uid(1))));
    // A self-weight needs no permit.
    c.exec(&kp(MINER_A), set(vec![(1, 1)])).unwrap();
    assert_eq!(c.exec(&kp(VALI), set(vec![(1, 1), (1, 2)])), Err(TxError::DuplicateUid(1)));
    assert_eq!(
        c.exec(&kp(VALI), set(vec![(1, 1), (9, 2)])),
        Err(TxError::UnknownUid { uid: 9, n: 4 })
    );
    let many: WeightRow = (0..5).map(|u| (u, 1)).collect();
    assert!(matches!(c.exec(&kp(VALI), set(many)), Err(TxError::TooManyWeights { .. })));
    let hp = |f: &dyn Fn(&mut SubnetHyperparameters)| {
        let mut h = test_hp();
        f(&mut h);
        Payload::SetHyperparameters { netuid: SUBNET, hyperparameters: h }
    };
    c.exec(&kp(OWNER_COLD), hp(&|h| h.min_allowed_weights = 2)).unwrap();
    assert_eq!(
        c.exec(&kp(VALI), set(vec![(1, 1)])),
        Err(TxError::TooFewWeights { got: 1, min: 2 })
    );
    c.exec(&kp(OWNER_COLD), hp(&|h| h.max_weight_limit = 40_000)).unwrap();
    assert_eq!(
        c.exec(&kp(VALI), set(vec![(1, 65_535), (2, 1)])),
        Err(TxError::MaxWeightExceeded(40_000))
    );
    c.exec(&kp(VALI), set(vec![(1, 10), (2, 10)])).unwrap();
    c.exec(&kp(OWNER_COLD), hp(&|h| h.weights_rate_limit = 5)).unwrap();
    assert!(matches!(
        c.exec(&kp(VALI), set(vec![(1, 1)])),
        Err(TxError::WeightsRateLimited { .. })
    ));
    let commit = Payload::CommitWeights { netuid: SUBNET, commitment: Hash::ZERO };
    assert!(matches!(c.exec(&kp(VALI), commit), Err(TxError::WrongWeightsMode("off", _))));
    let s = Payload::SetWeights { netuid: NetUid::ROOT, weights: vec![], version_key: 0 };
    assert_eq!(c.exec(&kp(VALI), s), Err(TxError::RootSubnet));
}

fn cr_hp() -> SubnetHyperparameters {
    SubnetHyperparameters { commit_reveal_enabled: true, reveal_period_epochs: 1, ..test_hp() }
}

fn commitment(w: &WeightRow, salt: [u8; 32]) -> Hash {
    weight_commitment(&pk(VALI), SUBNET, w, &salt, 7)
}

fn reveal(w: WeightRow, salt: [u8; 32]) -> Payload {
    Payload::RevealWeights { netuid: SUBNET, weights: w, salt, version_key: 7 }
}

#[test]
fn commit_then_reveal_in_the_next_epoch() {
    let mut c = setup(cr_hp());
    let w: WeightRow = vec![(1, 3), (2, 1)];
    assert!(matches!(c.exec(&kp(VALI), set(w.clone())), Err(TxError::WrongWeightsMode("on", _))));
    let commit = Payload::CommitWeights { netuid: SUBNET, commitment: commitment(&w, [9; 32]) };
    c.exec(&kp(VALI), commit).unwrap();
    let e = epoch_index(c.height, SUBNET, 9);
    assert!(matches!(
        c.exec(&kp(VALI), reveal(w.clone(), [9; 32])),
        Err(TxError::RevealTooEarly { .. })
    ));
    // Epoch index changes at blocks 18, 28, …: move into epoch e + 1.
    while epoch_index(c.height + 1, SUBNET, 9) < e + 1 {
        c.block(&[]);
    }
    assert_eq!(c.exec(&kp(VALI), reveal(w.clone(), [8; 32])), Err(TxError::RevealMismatch));
    assert_eq!(c.commits(SUBNET, 3).0.len(), 1);
    // The mismatch above consumed this block; still in epoch e + 1 (tempo 9)?
    assert_eq!(epoch_index(c.height + 1, SUBNET, 9), e + 1);
    c.exec(&kp(VALI), reveal(w, [9; 32])).unwrap();
    assert!(c.commits(SUBNET, 3).0.is_empty());
    assert!(c.state.get(&keys::weights(SUBNET, Uid(3))).is_some());
}

#[test]
fn stale_reveals_expire_and_commits_are_bounded() {
    let mut c = setup(cr_hp());
    let w: WeightRow = vec![(1, 1)];
    c.exec(
        &kp(VALI),
        Payload::CommitWeights { netuid: SUBNET, commitment: commitment(&w, [1; 32]) },
    )
    .unwrap();
    let e = epoch_index(c.height, SUBNET, 9);
    while epoch_index(c.height + 1, SUBNET, 9) < e + 2 {
        c.block(&[]);
    }
    assert_eq!(
        c.exec(&kp(VALI), reveal(w, [1; 32])),
        Err(TxError::RevealExpired { expired: e + 1 })
    );
    // Ten unrevealed commits at most (expired ones are dropped first).
    let mut c = setup(cr_hp());
    let mut results = Vec::new();
    for i in 0..11u8 {
        let p = Payload::CommitWeights { netuid: SUBNET, commitment: Hash([i; 32]) };
        let tx = c.sign_at(&kp(VALI), u64::from(i), 0, p);
        results.push(tx);
    }
    let out = c.block(&results);
    assert!(out.tx_results[..10].iter().all(|r| r.is_ok()));
    assert_eq!(out.tx_results[10], Err(TxError::TooManyCommits(10)));
}
