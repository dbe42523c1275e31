//! Subnet creation (lock cost), hyperparameters, registration (burn, uids, pruning), endpoints.

use super::*;
use crate::ledger::registration::next_burn;

fn create(c: &mut Chain, who: u8, hot: u8, max: u64) -> Result<(), TxError> {
    c.exec(
        &kp(who),
        Payload::CreateSubnet {
            owner_hotkey: pk(hot),
            max_lock_cost: Rao(max),
            hyperparameters: test_hp(),
        },
    )
}

fn register(c: &mut Chain, cold: u8, hot: u8) -> Result<(), TxError> {
    c.exec(
        &kp(cold),
        Payload::RegisterNeuron { netuid: SUBNET, hotkey: pk(hot), max_burn: Rao(u64::MAX) },
    )
}

#[test]
fn create_subnet_pays_lock_into_pool_and_registers_owner() {
    let mut c = Chain::standard();
    let cost = query::subnet_lock_cost(&c.state).unwrap();
    assert_eq!(cost, Rao(1_000 * TAO));
    create(&mut c, ALICE, 40, u64::MAX).unwrap();
    assert_eq!(c.balance(&pk(ALICE)), 9_000 * TAO);
    let info = query::subnet(&c.state, NetUid(2)).unwrap().unwrap();
    assert_eq!(info.owner_coldkey, pk(ALICE));
    assert_eq!(info.pool.tao, Rao(1_000 * TAO));
    assert_eq!(info.n, 1);
    assert!(query::neuron(&c.state, NetUid(2), &pk(40)).unwrap().is_some());
    // The next lock starts at double the last and decays linearly (§8).
    let doubled = query::subnet_lock_cost(&c.state).unwrap();
    assert!(doubled.0 < 2_000 * TAO && doubled.0 > 1_999 * TAO, "{doubled}");
}

#[test]
fn create_subnet_rejections() {
    let mut c = Chain::standard();
    assert!(matches!(create(&mut c, ALICE, 40, 999 * TAO), Err(TxError::LockCostAboveMax { .. })));
    assert!(matches!(
        create(&mut c, CAROL, 41, u64::MAX),
        Err(TxError::InsufficientBalance { .. })
    ));
    let mut hp = test_hp();
    hp.tempo = 0;
    let bad = Payload::CreateSubnet {
        owner_hotkey: pk(40),
        max_lock_cost: Rao(u64::MAX),
        hyperparameters: hp,
    };
    assert!(matches!(
        c.exec(&kp(ALICE), bad),
        Err(TxError::BadHyperparameter { name: "tempo", .. })
    ));
    // A hotkey owned by someone else cannot own the new subnet.
    assert!(matches!(
        create(&mut c, ALICE, VAL1_HOT, u64::MAX),
        Err(TxError::HotkeyOwnedByOther { .. })
    ));
    create(&mut c, ALICE, 40, u64::MAX).unwrap();
    assert!(matches!(create(&mut c, BOB, 42, u64::MAX), Err(TxError::SubnetRateLimited { .. })));
    let mut g = test_genesis();
    g.economics.subnet_limit = 1;
    let mut c = Chain::new(&g);
    assert_eq!(create(&mut c, ALICE, 40, u64::MAX), Err(TxError::SubnetLimitReached(1)));
}

#[test]
fn hyperparameters_owner_only_and_range_checked() {
    let mut c = Chain::standard();
    let mut hp = test_hp();
    hp.kappa = 40_000;
    let set = |hp: SubnetHyperparameters| Payload::SetHyperparameters {
        netuid: SUBNET,
        hyperparameters: hp,
    };
    assert_eq!(c.exec(&kp(ALICE), set(hp.clone())), Err(TxError::NotSubnetOwner(SUBNET)));
    c.exec(&kp(OWNER_COLD), set(hp.clone())).unwrap();
    assert_eq!(query::subnet(&c.state, SUBNET).unwrap().unwrap().hyperparameters.kappa, 40_000);
    hp.bonds_moving_average = 2_000_000;
    assert!(matches!(c.exec(&kp(OWNER_COLD), set(hp)), Err(TxError::BadHyperparameter { .. })));
    assert_eq!(
        c.exec(
            &kp(OWNER_COLD),
            Payload::SetHyperparameters { netuid: NetUid(9), hyperparameters: test_hp() }
        ),
        Err(TxError::UnknownSubnet(NetUid(9)))
    );
    assert_eq!(
        c.exec(
            &kp(OWNER_COLD),
            Payload::SetHyperparameters { netuid: NetUid::ROOT, hyperparameters: test_hp() }
        ),
        Err(TxError::RootSubnet)
    );
}

#[test]
fn registration_burns_and_assigns_uids() {
    let mut c = Chain::standard();
    let burn = query::registration_burn(&c.state, SUBNET).unwrap().unwrap().0;
    let burned = c.totals().burned.0;
    register(&mut c, ALICE, 50).unwrap();
    assert_eq!(c.balance(&pk(ALICE)), 10_000 * TAO - burn);
    assert_eq!(c.totals().burned.0, burned + burn);
    let n = query::neuron(&c.state, SUBNET, &pk(50)).unwrap().unwrap();
    assert_eq!((n.uid.0, n.coldkey, n.registered_at), (1, pk(ALICE), 1));
    assert_eq!(register(&mut c, ALICE, 50), Err(TxError::AlreadyRegistered(pk(50))));
    assert!(matches!(register(&mut c, BOB, 50), Err(TxError::AlreadyRegistered(_))));
    // The hotkey belongs to Alice: Bob cannot register it elsewhere either.
    let tx =
        Payload::RegisterNeuron { netuid: SUBNET, hotkey: pk(OWNER_HOT), max_burn: Rao(u64::MAX) };
    assert!(matches!(c.exec(&kp(BOB), tx), Err(TxError::AlreadyRegistered(_))));
    let tx = Payload::RegisterNeuron { netuid: SUBNET, hotkey: pk(51), max_burn: Rao(1) };
    assert!(matches!(c.exec(&kp(BOB), tx), Err(TxError::BurnAboveMax { .. })));
    let tx = Payload::RegisterNeuron { netuid: NetUid(7), hotkey: pk(51), max_burn: Rao(u64::MAX) };
    assert_eq!(c.exec(&kp(BOB), tx), Err(TxError::UnknownSubnet(NetUid(7))));
}

#[test]
fn registration_rate_limits_per_block() {
    let mut c = Chain::standard();
    let txs: Vec<_> = (0..4u8)
        .map(|i| {
            c.sign_at(
                &kp(ALICE),
                u64::from(i),
                0,
                Payload::RegisterNeuron {
                    netuid: SUBNET,
                    hotkey: pk(60 + i),
                    max_burn: Rao(u64::MAX),
                },
            )
        })
        .collect();
    let out = c.block(&txs);
    assert_eq!(out.tx_results[..3], [Ok(()), Ok(()), Ok(())]);
    assert_eq!(out.tx_results[3], Err(TxError::RegistrationRateLimited(SUBNET)));
    // And per interval: at most 3·target (6) registrations.
    for i in 0..3u8 {
        register(&mut c, ALICE, 80 + i).unwrap();
    }
    assert_eq!(register(&mut c, ALICE, 85), Err(TxError::RegistrationRateLimited(SUBNET)));
}

#[test]
fn registration_closed() {
    let mut c = Chain::standard();
    let mut hp = test_hp();
    hp.registration_allowed = false;
    c.exec(&kp(OWNER_COLD), Payload::SetHyperparameters { netuid: SUBNET, hyperparameters: hp })
        .unwrap();
    assert_eq!(register(&mut c, ALICE, 50), Err(TxError::RegistrationClosed(SUBNET)));
}

#[test]
fn full_subnet_prunes_lowest_non_immune_or_refuses() {
    let mut g = test_genesis();
    g.subnets[0].hyperparameters.target_registrations_per_interval = 4;
    let mut c = Chain::new(&g);
    for i in 0..7u8 {
        register(&mut c, ALICE, 70 + i).unwrap();
    }
    assert_eq!(query::subnet(&c.state, SUBNET).unwrap().unwrap().n, 8);
    // Everyone registered within the immunity period (10 blocks): nobody can be replaced.
    assert_eq!(register(&mut c, BOB, 90), Err(TxError::SubnetFullAllImmune(SUBNET)));
    c.advance(10);
    register(&mut c, BOB, 90).unwrap();
    let out = c.last.clone().unwrap();
    let replaced = out.events.iter().find_map(|e| match e {
        crate::ledger::Event::NeuronRegistered { replaced, uid, .. } => Some((*replaced, *uid)),
        _ => None,
    });
    // All emissions are equal, so the earliest registered non-owner uid (1) goes first.
    assert_eq!(replaced, Some((Some(pk(70)), protocol::Uid(1))));
    assert!(query::neuron(&c.state, SUBNET, &pk(70)).unwrap().is_none());
    assert_eq!(query::neuron(&c.state, SUBNET, &pk(90)).unwrap().unwrap().uid.0, 1);
    // The owner's uid 0 is never pruned.
    assert!(query::neuron(&c.state, SUBNET, &pk(OWNER_HOT)).unwrap().is_some());
}

#[test]
fn burn_moves_toward_the_target_rate() {
    let hp = test_hp();
    // More registrations than the target (2) raise the burn by (reg + target)/(2·target).
    assert_eq!(next_burn(Rao(1_000_000), 4, &hp), Rao(1_500_000));
    // None halve it; between one and the target leave it.
    assert_eq!(next_burn(Rao(1_000_000), 0, &hp), Rao(500_000));
    assert_eq!(next_burn(Rao(1_000_000), 2, &hp), Rao(1_000_000));
    // Clamped to the subnet's bounds.
    assert_eq!(next_burn(Rao(1_500), 0, &hp), Rao(1_000));
    assert_eq!(next_burn(Rao(90 * TAO), 6, &hp), Rao(100 * TAO));
    // In a chain: no registrations in the first interval halves the 1 τ start.
    let mut c = Chain::standard();
    c.advance(100);
    assert_eq!(query::registration_burn(&c.state, SUBNET).unwrap(), Some(Rao(TAO / 2)));
}

#[test]
fn serve_endpoint_by_registered_hotkey() {
    let mut c = Chain::standard();
    let addr: multiaddr::Multiaddr = "/ip4/127.0.0.1/tcp/4001".parse().unwrap();
    let serve =
        |e: Vec<multiaddr::Multiaddr>| Payload::ServeEndpoint { netuid: SUBNET, endpoints: e };
    c.exec(&kp(OWNER_HOT), serve(vec![addr.clone()])).unwrap();
    assert_eq!(
        query::neuron(&c.state, SUBNET, &pk(OWNER_HOT)).unwrap().unwrap().endpoints,
        vec![addr.clone()]
    );
    assert!(matches!(
        c.exec(&kp(ALICE), serve(vec![addr.clone()])),
        Err(TxError::NotRegistered { .. })
    ));
    assert!(matches!(
        c.exec(&kp(OWNER_HOT), serve(vec![addr; 9])),
        Err(TxError::BadEndpoints { .. })
    ));
}
