//! Genesis, transfers, the transaction envelope (nonce, fee), determinism and corrupt state.

use super::*;
use crate::ledger::LedgerError;

#[test]
fn genesis_sets_up_balances_validators_and_subnets() {
    let c = Chain::standard();
    assert_eq!(c.balance(&pk(ALICE)), 10_000 * TAO);
    assert_eq!(c.stake(VAL1_COLD, VAL1_HOT, NetUid::ROOT), 1_000 * TAO);
    let (since, set) = query::validator_set(&c.state).unwrap();
    assert_eq!(since, Height(1));
    assert_eq!(set.len(), 2);
    assert!(set.iter().any(|v| v.key == pk(VAL1_HOT) && v.power == 1_000 * TAO));
    let mg = query::metagraph(&c.state, SUBNET).unwrap().unwrap();
    assert_eq!(mg.len(), 1);
    assert_eq!(mg[0].hotkey, pk(OWNER_HOT));
    let info = query::subnet(&c.state, SUBNET).unwrap().unwrap();
    assert_eq!(info.pool.price.0, TAO);
    assert_eq!(info.registration_burn, Rao(TAO));
    let t = c.totals();
    assert_eq!(t.genesis.0, (20_400 + 1_500 + 1_000) * TAO);
}

#[test]
fn transfer_moves_tau_and_burns_the_fee() {
    let mut c = Chain::standard();
    let tx =
        c.sign_at(&kp(ALICE), 0, 1_000, Payload::Transfer { to: pk(CAROL), amount: Rao(5 * TAO) });
    let out = c.block(&[tx]);
    assert_eq!(out.tx_results, vec![Ok(())]);
    assert_eq!(c.balance(&pk(ALICE)), 9_995 * TAO - 1_000);
    assert_eq!(c.balance(&pk(CAROL)), 105 * TAO);
    assert_eq!(c.nonce(&pk(ALICE)), 1);
    assert_eq!(c.totals().fees_burned, Rao(1_000));
}

#[test]
fn rejected_transfer_pays_fee_and_consumes_nonce_only() {
    let mut c = Chain::standard();
    let tx = c.sign_at(&kp(CAROL), 0, 7, Payload::Transfer { to: pk(BOB), amount: Rao(101 * TAO) });
    let out = c.block(&[tx]);
    assert!(matches!(out.tx_results[0], Err(TxError::InsufficientBalance { .. })));
    assert_eq!(c.balance(&pk(CAROL)), 100 * TAO - 7);
    assert_eq!(c.nonce(&pk(CAROL)), 1);
    assert_eq!(c.balance(&pk(BOB)), 10_000 * TAO);
    assert!(out.events.iter().all(|e| !matches!(e, crate::ledger::Event::Transfer { .. })));
    assert_eq!(
        c.exec(&kp(CAROL), Payload::Transfer { to: pk(BOB), amount: Rao(0) }),
        Err(TxError::ZeroAmount)
    );
}

#[test]
fn envelope_errors_change_nothing() {
    let mut c = Chain::standard();
    let pay = Payload::Transfer { to: pk(BOB), amount: Rao(1) };
    let wrong_nonce = Transaction::sign(&kp(ALICE), &c.chain_id, 5, Rao(0), pay.clone());
    let out = c.block(&[wrong_nonce]);
    assert_eq!(out.tx_results[0], Err(TxError::BadNonce { expected: 0, got: 5 }));
    assert_eq!(c.nonce(&pk(ALICE)), 0);
    // An unknown signer cannot pay a fee.
    let poor = c.sign_at(&kp(99), 0, 1, pay.clone());
    let out = c.block(&[poor]);
    assert!(matches!(out.tx_results[0], Err(TxError::CannotPayFee { .. })));
    assert_eq!(c.nonce(&pk(99)), 0);
    // A minimum fee.
    let mut g = test_genesis();
    g.economics.min_tx_fee = Rao(10);
    let mut c = Chain::new(&g);
    let cheap = c.sign_at(&kp(ALICE), 0, 9, pay);
    let out = c.block(&[cheap]);
    assert_eq!(out.tx_results[0], Err(TxError::FeeTooLow { fee: Rao(9), min: Rao(10) }));
    assert_eq!(c.balance(&pk(ALICE)), 10_000 * TAO);
}

#[test]
fn several_transactions_of_one_signer_in_one_block() {
    let mut c = Chain::standard();
    let txs: Vec<_> = (0..3)
        .map(|i| c.sign_at(&kp(ALICE), i, 0, Payload::Transfer { to: pk(BOB), amount: Rao(TAO) }))
        .collect();
    let out = c.block(&txs);
    assert!(out.tx_results.iter().all(|r| r.is_ok()));
    assert_eq!(c.nonce(&pk(ALICE)), 3);
    assert_eq!(c.balance(&pk(BOB)), 10_003 * TAO);
}

#[test]
fn wrong_height_and_chain_are_fatal() {
    let c = Chain::standard();
    let ctx = BlockContext { height: Height(2), proposer: pk(1), chain_id: c.chain_id.clone() };
    assert!(matches!(
        Ledger::execute_block(&c.state, &ctx, &[]),
        Err(LedgerError::HeightMismatch { .. })
    ));
    let ctx = BlockContext {
        height: Height(1),
        proposer: pk(1),
        chain_id: ChainId::new("other").unwrap(),
    };
    assert!(matches!(
        Ledger::execute_block(&c.state, &ctx, &[]),
        Err(LedgerError::WrongChain { .. })
    ));
}

#[test]
fn corrupt_state_is_a_typed_error() {
    let mut c = Chain::standard();
    let mut ws = protocol::state::WriteSet::new();
    ws.insert(keys::account(&pk(ALICE)), Some(vec![1, 2, 3]));
    c.state.apply(&ws);
    let tx = c.sign_at(&kp(BOB), 0, 0, Payload::Transfer { to: pk(ALICE), amount: Rao(1) });
    let ctx = BlockContext { height: Height(1), proposer: pk(1), chain_id: c.chain_id.clone() };
    assert!(matches!(
        Ledger::execute_block(&c.state, &ctx, &[tx]),
        Err(LedgerError::Corrupt { .. })
    ));
}

#[test]
fn same_blocks_give_same_state_commitment() {
    let run = || {
        let mut c = Chain::standard();
        for i in 0..25u64 {
            let tx = c.sign(&kp(ALICE), Payload::Transfer { to: pk(BOB), amount: Rao(i + 1) });
            c.block(&[tx]);
        }
        (c.app_hash, c.state)
    };
    let (h1, s1) = run();
    let (h2, s2) = run();
    assert_eq!(h1, h2);
    assert_eq!(s1, s2);
}

#[test]
fn issuance_follows_the_emission_schedule() {
    let mut c = Chain::standard();
    let before = c.totals();
    c.advance(20);
    let after = c.totals();
    // Far below the first halving: exactly one τ per block, all of it into the one subnet's pool.
    assert_eq!(after.minted.0 - before.minted.0, 20 * TAO);
    assert_eq!(query::next_block_emission(&c.state).unwrap(), Rao(TAO));
}
