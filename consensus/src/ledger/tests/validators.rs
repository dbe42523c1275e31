//! Ledger validators: opt-in, election by root stake with a delay, equivocation evidence.

use super::*;
use crate::ledger::{JAIL_BLOCKS, SLASH_PER_MILLE};
use protocol::Round;
use protocol::consensus::{EquivocationEvidence, Vote, VoteKind};

/// Registers `hot` (owned by Alice) and stakes `tao` on root to it.
fn staked_hotkey(c: &mut Chain, hot: u8, tao: u64) {
    let reg = Payload::RegisterNeuron { netuid: SUBNET, hotkey: pk(hot), max_burn: Rao(u64::MAX) };
    c.exec(&kp(ALICE), reg).unwrap();
    let stake = Payload::AddStake {
        hotkey: pk(hot),
        netuid: NetUid::ROOT,
        amount: Rao(tao * TAO),
        limit_price: None,
    };
    c.exec(&kp(ALICE), stake).unwrap();
}

#[test]
fn opted_in_stake_joins_the_set_after_the_delay() {
    let mut c = Chain::standard();
    staked_hotkey(&mut c, 30, 2_000);
    let out = c.block(&[c.sign(&kp(30), Payload::OptInValidator)]);
    assert_eq!(out.tx_results, vec![Ok(())]);
    let change = out.validator_set_change.expect("a new set");
    assert_eq!(change.effective, Height(c.height + 2));
    assert_eq!(change.validators.len(), 3);
    assert!(change.validators.iter().any(|v| v.key == pk(30) && v.power == 2_000 * TAO));
    // Not in force yet; scheduled for the effective height.
    assert_eq!(query::validator_set(&c.state).unwrap().1.len(), 2);
    assert_eq!(query::validator_set_at(&c.state, change.effective).unwrap(), change.validators);
    c.advance(2);
    let (since, set) = query::validator_set(&c.state).unwrap();
    assert_eq!((since, set), (change.effective, change.validators));
    // Nothing changed since: no new schedule.
    assert!(c.block(&[]).validator_set_change.is_none());
    assert_eq!(c.exec(&kp(77), Payload::OptInValidator), Err(TxError::UnknownHotkey(pk(77))));
}

#[test]
fn the_set_is_capped_at_max_ledger_validators_by_stake() {
    let mut c = Chain::standard();
    for (i, hot) in [30u8, 31, 32].into_iter().enumerate() {
        staked_hotkey(&mut c, hot, 100 + 600 * i as u64);
        c.exec(&kp(hot), Payload::OptInValidator).unwrap();
    }
    c.advance(3);
    let set = query::validator_set(&c.state).unwrap().1;
    // Stakes: VAL1 1000, VAL2 500, 30: 100, 31: 700, 32: 1300; the top 4 exclude hotkey 30.
    assert_eq!(set.len(), 4);
    assert!(!set.iter().any(|v| v.key == pk(30)));
}

fn evidence(c: &Chain, signer: u8, h: u64, a: u8, b: u8) -> EquivocationEvidence {
    let vote = |v: u8| {
        Vote::sign(
            &kp(signer),
            &c.chain_id,
            VoteKind::Precommit,
            Height(h),
            Round(0),
            Some(Hash([v; 32])),
        )
    };
    EquivocationEvidence::new(vote(a), vote(b))
}

#[test]
fn equivocation_slashes_and_jails_once() {
    let mut c = Chain::standard();
    c.advance(3);
    let stake = c.stake(VAL1_COLD, VAL1_HOT, NetUid::ROOT);
    let burned = c.totals().burned.0;
    let ev = evidence(&c, VAL1_HOT, 2, 1, 2);
    let out = c.block(&[c.sign(&kp(BOB), Payload::SubmitEvidence(ev.clone()))]);
    assert_eq!(out.tx_results, vec![Ok(())]);
    let slash = stake * SLASH_PER_MILLE / 1000;
    assert_eq!(c.stake(VAL1_COLD, VAL1_HOT, NetUid::ROOT), stake - slash);
    assert_eq!(c.totals().burned.0, burned + slash);
    // The jailed validator leaves the next set.
    let change = out.validator_set_change.expect("set without the offender");
    assert!(!change.validators.iter().any(|v| v.key == pk(VAL1_HOT)));
    // The same offence again is refused; so is a pair that does not conflict.
    assert_eq!(c.exec(&kp(BOB), Payload::SubmitEvidence(ev)), Err(TxError::DuplicateEvidence));
    let same = evidence(&c, VAL1_HOT, 2, 1, 1);
    assert!(matches!(
        c.exec(&kp(BOB), Payload::SubmitEvidence(same)),
        Err(TxError::BadEvidence(_))
    ));
    let future = evidence(&c, VAL2_HOT, 1_000, 1, 2);
    assert!(matches!(
        c.exec(&kp(BOB), Payload::SubmitEvidence(future)),
        Err(TxError::BadEvidence(_))
    ));
    let stranger = evidence(&c, 77, 1, 1, 2);
    assert_eq!(
        c.exec(&kp(BOB), Payload::SubmitEvidence(stranger)),
        Err(TxError::NotLedgerValidator(pk(77)))
    );
    // Jailed: no re-entry before the jail ends.
    let r = c.exec(&kp(VAL1_HOT), Payload::OptInValidator);
    assert!(matches!(r, Err(TxError::Jailed(_, until)) if until == 4 + JAIL_BLOCKS));
}
