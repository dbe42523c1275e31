//! Dynamic-TAO staking: swaps through the pool, root stake, price limits, moves, take.

use super::*;
use protocol::PriceRao;

fn add(hot: u8, netuid: NetUid, tao: u64, limit: Option<u64>) -> Payload {
    Payload::AddStake {
        hotkey: pk(hot),
        netuid,
        amount: Rao(tao),
        limit_price: limit.map(PriceRao),
    }
}

fn remove(hot: u8, netuid: NetUid, alpha: u64, limit: Option<u64>) -> Payload {
    Payload::RemoveStake {
        hotkey: pk(hot),
        netuid,
        amount: AlphaRao(alpha),
        limit_price: limit.map(PriceRao),
    }
}

#[test]
fn add_stake_swaps_tau_for_alpha() {
    let mut c = Chain::standard();
    let before = c.pool(SUBNET);
    c.exec(&kp(ALICE), add(OWNER_HOT, SUBNET, 10 * TAO, None)).unwrap();
    let after = c.pool(SUBNET);
    let got = c.stake(ALICE, OWNER_HOT, SUBNET);
    // Δα = α·net/(τ + net) at the pool's reserves of that block (emission grew them a little).
    assert!(got > 9 * TAO && got < 10 * TAO, "{got}");
    assert!(after.price() > before.price());
    assert_eq!(c.balance(&pk(ALICE)), 9_990 * TAO);
    assert_eq!(query::stakes_of(&c.state, &pk(ALICE)).unwrap(), vec![(pk(OWNER_HOT), SUBNET, got)]);
}

#[test]
fn stake_then_unstake_never_returns_more() {
    let mut c = Chain::standard();
    c.exec(&kp(ALICE), add(OWNER_HOT, SUBNET, 50 * TAO, None)).unwrap();
    let alpha = c.stake(ALICE, OWNER_HOT, SUBNET);
    c.exec(&kp(ALICE), remove(OWNER_HOT, SUBNET, alpha, None)).unwrap();
    assert_eq!(c.stake(ALICE, OWNER_HOT, SUBNET), 0);
    assert!(c.balance(&pk(ALICE)) <= 10_000 * TAO);
}

#[test]
fn root_stake_is_tau_one_to_one() {
    let mut c = Chain::standard();
    let root_before = c.totals().root_stake.0;
    c.exec(&kp(ALICE), add(VAL1_HOT, NetUid::ROOT, 10 * TAO, None)).unwrap();
    assert_eq!(c.stake(ALICE, VAL1_HOT, NetUid::ROOT), 10 * TAO);
    assert_eq!(c.totals().root_stake.0, root_before + 10 * TAO);
    c.exec(&kp(ALICE), remove(VAL1_HOT, NetUid::ROOT, 4 * TAO, None)).unwrap();
    assert_eq!(c.stake(ALICE, VAL1_HOT, NetUid::ROOT), 6 * TAO);
    assert_eq!(c.balance(&pk(ALICE)), 9_994 * TAO);
    // Root's price is 1 τ: a ceiling below it or a floor above it cannot hold.
    let r = c.exec(&kp(ALICE), add(VAL1_HOT, NetUid::ROOT, TAO, Some(TAO - 1)));
    assert!(matches!(r, Err(TxError::PriceLimitExceeded { .. })));
    let r = c.exec(&kp(ALICE), remove(VAL1_HOT, NetUid::ROOT, TAO, Some(TAO + 1)));
    assert!(matches!(r, Err(TxError::PriceLimitExceeded { .. })));
}

#[test]
fn price_limits_fail_rather_than_slip() {
    let mut c = Chain::standard();
    let price = c.pool(SUBNET).price().0;
    // Current price already above the ceiling.
    let r = c.exec(&kp(ALICE), add(OWNER_HOT, SUBNET, 10 * TAO, Some(price / 2)));
    assert!(matches!(r, Err(TxError::PriceLimitExceeded { .. })));
    // The swap would push the price past the ceiling: 100 τ into a 1000 τ pool moves it ~21%.
    let r = c.exec(&kp(ALICE), add(OWNER_HOT, SUBNET, 100 * TAO, Some(price + price / 10)));
    assert!(matches!(r, Err(TxError::SlippageExceeded { .. })));
    assert_eq!(c.stake(ALICE, OWNER_HOT, SUBNET), 0);
    assert_eq!(c.balance(&pk(ALICE)), 10_000 * TAO);
    // A generous ceiling passes.
    c.exec(&kp(ALICE), add(OWNER_HOT, SUBNET, 100 * TAO, Some(2 * price))).unwrap();
    let alpha = c.stake(ALICE, OWNER_HOT, SUBNET);
    // Selling it all would drop the price below a floor near the current price.
    let now = c.pool(SUBNET).price().0;
    let r = c.exec(&kp(ALICE), remove(OWNER_HOT, SUBNET, alpha, Some(now - now / 20)));
    assert!(matches!(r, Err(TxError::SlippageExceeded { .. })));
    let r = c.exec(&kp(ALICE), remove(OWNER_HOT, SUBNET, alpha, Some(2 * now)));
    assert!(matches!(r, Err(TxError::PriceLimitExceeded { .. })));
    assert_eq!(c.stake(ALICE, OWNER_HOT, SUBNET), alpha);
}

#[test]
fn staking_rejections() {
    let mut c = Chain::standard();
    assert!(matches!(
        c.exec(&kp(ALICE), add(OWNER_HOT, SUBNET, 1_000, None)),
        Err(TxError::BelowMinStake { .. })
    ));
    assert_eq!(c.exec(&kp(ALICE), add(77, SUBNET, TAO, None)), Err(TxError::UnknownHotkey(pk(77))));
    assert_eq!(
        c.exec(&kp(ALICE), add(OWNER_HOT, NetUid(5), TAO, None)),
        Err(TxError::UnknownSubnet(NetUid(5)))
    );
    assert!(matches!(
        c.exec(&kp(CAROL), add(OWNER_HOT, SUBNET, 200 * TAO, None)),
        Err(TxError::InsufficientBalance { .. })
    ));
    assert!(matches!(
        c.exec(&kp(ALICE), remove(OWNER_HOT, SUBNET, 5, None)),
        Err(TxError::InsufficientStake { .. })
    ));
    assert_eq!(c.exec(&kp(ALICE), remove(OWNER_HOT, SUBNET, 0, None)), Err(TxError::ZeroAmount));
    // Leaving a position with dust out: the τ out must reach the minimum stake.
    c.exec(&kp(ALICE), add(OWNER_HOT, SUBNET, TAO, None)).unwrap();
    assert!(matches!(
        c.exec(&kp(ALICE), remove(OWNER_HOT, SUBNET, 1_000, None)),
        Err(TxError::BelowMinStake { .. })
    ));
}

#[test]
fn move_stake_between_hotkeys_and_subnets() {
    let mut c = Chain::standard();
    c.exec(&kp(ALICE), add(OWNER_HOT, SUBNET, 20 * TAO, None)).unwrap();
    let alpha = c.stake(ALICE, OWNER_HOT, SUBNET);
    let mv = |from: (u8, NetUid), to: (u8, NetUid), amount: u64, limit: Option<u64>| {
        Payload::MoveStake {
            from_hotkey: pk(from.0),
            to_hotkey: pk(to.0),
            from_netuid: from.1,
            to_netuid: to.1,
            amount: AlphaRao(amount),
            limit_price: limit.map(PriceRao),
        }
    };
    // Same subnet, other hotkey: no swap.
    c.exec(&kp(ALICE), mv((OWNER_HOT, SUBNET), (VAL1_HOT, SUBNET), alpha / 2, None)).unwrap();
    assert_eq!(c.stake(ALICE, VAL1_HOT, SUBNET), alpha / 2);
    // To root: sold for τ.
    let rest = c.stake(ALICE, OWNER_HOT, SUBNET);
    let r =
        c.exec(&kp(ALICE), mv((OWNER_HOT, SUBNET), (VAL1_HOT, NetUid::ROOT), rest, Some(10 * TAO)));
    assert!(matches!(r, Err(TxError::PriceLimitExceeded { .. })));
    c.exec(&kp(ALICE), mv((OWNER_HOT, SUBNET), (VAL1_HOT, NetUid::ROOT), rest, Some(TAO / 2)))
        .unwrap();
    let root = c.stake(ALICE, VAL1_HOT, NetUid::ROOT);
    assert!(root > 9 * TAO && root < 11 * TAO, "{root}");
    assert_eq!(
        c.exec(&kp(ALICE), mv((VAL1_HOT, NetUid::ROOT), (77, SUBNET), TAO, None)),
        Err(TxError::UnknownHotkey(pk(77)))
    );
    assert!(matches!(
        c.exec(&kp(ALICE), mv((VAL1_HOT, NetUid::ROOT), (OWNER_HOT, SUBNET), 100 * TAO, None)),
        Err(TxError::InsufficientStake { .. })
    ));
}

#[test]
fn delegation_take_rules() {
    let mut c = Chain::standard();
    let set = |hot: u8, take: u16| Payload::SetTake { hotkey: pk(hot), take };
    assert_eq!(c.exec(&kp(ALICE), set(VAL1_HOT, 100)), Err(TxError::NotHotkeyOwner(pk(VAL1_HOT))));
    assert!(matches!(
        c.exec(&kp(VAL1_COLD), set(VAL1_HOT, 20_000)),
        Err(TxError::TakeTooHigh { .. })
    ));
    c.exec(&kp(VAL1_COLD), set(VAL1_HOT, 0)).unwrap();
    assert_eq!(c.exec(&kp(VAL1_COLD), set(77, 0)), Err(TxError::UnknownHotkey(pk(77))));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, ..Default::default() })]

    /// Through the ledger (fees, share rounding): staking then unstaking everything never returns
    /// more τ than was put in.
    #[test]
    fn round_trip_through_the_ledger_loses(tao in 2_000_000u64..5_000 * TAO, net in 0..2u16) {
        let mut c = Chain::standard();
        let netuid = NetUid(net);
        c.exec(&kp(ALICE), add(OWNER_HOT, netuid, tao, None)).unwrap();
        let alpha = c.stake(ALICE, OWNER_HOT, netuid);
        c.exec(&kp(ALICE), remove(OWNER_HOT, netuid, alpha, None)).unwrap();
        proptest::prop_assert!(c.balance(&pk(ALICE)) <= 10_000 * TAO);
        proptest::prop_assert_eq!(c.stake(ALICE, OWNER_HOT, netuid), 0);
    }
}
