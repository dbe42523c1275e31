//! Random transaction sequences over many blocks and epochs: supply invariants after every block
//! (checked by `Chain`), issuance exactly on schedule, no panics on any amount, and the same
//! blocks giving the same state commitment.

use proptest::prelude::*;

use super::*;
use crate::ledger::block_emission;

const COLDS: [u8; 3] = [ALICE, BOB, CAROL];
const HOTS: [u8; 6] = [OWNER_HOT, VAL1_HOT, 50, 51, 52, 53];
const NETS: [NetUid; 3] = [NetUid::ROOT, SUBNET, NetUid(2)];

#[derive(Clone, Debug)]
enum Op {
    Transfer { from: usize, to: usize, amount: u64 },
    Register { cold: usize, hot: usize },
    AddStake { cold: usize, hot: usize, net: usize, amount: u64, limit: Option<u64> },
    RemoveStake { cold: usize, hot: usize, net: usize, percent: u64 },
    MoveStake { cold: usize, from: usize, to: usize, nets: (usize, usize), percent: u64 },
    SetWeights { hot: usize, targets: Vec<(u16, u16)> },
    CreateSubnet { cold: usize },
    SetTake { cold: usize, hot: usize, take: u16 },
}

fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![4 => 1u64..200 * TAO, 1 => any::<u64>()]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, 0..3usize, amount()).prop_map(|(from, to, amount)| Op::Transfer {
            from,
            to,
            amount
        }),
        (0..3usize, 2..6usize).prop_map(|(cold, hot)| Op::Register { cold, hot }),
        (0..3usize, 0..6usize, 0..3usize, amount(), proptest::option::of(any::<u64>())).prop_map(
            |(cold, hot, net, amount, limit)| Op::AddStake { cold, hot, net, amount, limit }
        ),
        (0..3usize, 0..6usize, 0..3usize, 1..=100u64)
            .prop_map(|(cold, hot, net, percent)| Op::RemoveStake { cold, hot, net, percent }),
        (0..3usize, 0..6usize, 0..6usize, (0..3usize, 0..3usize), 1..=100u64).prop_map(
            |(cold, from, to, nets, percent)| Op::MoveStake { cold, from, to, nets, percent }
        ),
        (0..6usize, proptest::collection::vec((0..8u16, any::<u16>()), 0..5))
            .prop_map(|(hot, targets)| Op::SetWeights { hot, targets }),
        (0..3usize).prop_map(|cold| Op::CreateSubnet { cold }),
        (0..3usize, 0..6usize, any::<u16>()).prop_map(|(cold, hot, take)| Op::SetTake {
            cold,
            hot,
            take
        }),
    ]
}

fn payload(c: &Chain, op: &Op) -> (u8, Payload) {
    let stake_pct = |cold: u8, hot: u8, net: NetUid, pct: u64| {
        (u128::from(c.stake(cold, hot, net)) * u128::from(pct) / 100) as u64
    };
    match op.clone() {
        Op::Transfer { from, to, amount } => {
            (COLDS[from], Payload::Transfer { to: pk(COLDS[to]), amount: Rao(amount) })
        }
        Op::Register { cold, hot } => (
            COLDS[cold],
            Payload::RegisterNeuron {
                netuid: SUBNET,
                hotkey: pk(HOTS[hot]),
                max_burn: Rao(u64::MAX),
            },
        ),
        Op::AddStake { cold, hot, net, amount, limit } => (
            COLDS[cold],
            Payload::AddStake {
                hotkey: pk(HOTS[hot]),
                netuid: NETS[net],
                amount: Rao(amount),
                limit_price: limit.map(protocol::PriceRao),
            },
        ),
        Op::RemoveStake { cold, hot, net, percent } => (
            COLDS[cold],
            Payload::RemoveStake {
                hotkey: pk(HOTS[hot]),
                netuid: NETS[net],
                amount: AlphaRao(stake_pct(COLDS[cold], HOTS[hot], NETS[net], percent)),
                limit_price: None,
            },
        ),
        Op::MoveStake { cold, from, to, nets, percent } => (
            COLDS[cold],
            Payload::MoveStake {
                from_hotkey: pk(HOTS[from]),
                to_hotkey: pk(HOTS[to]),
                from_netuid: NETS[nets.0],
                to_netuid: NETS[nets.1],
                amount: AlphaRao(stake_pct(COLDS[cold], HOTS[from], NETS[nets.0], percent)),
                limit_price: None,
            },
        ),
        Op::SetWeights { hot, targets } => {
            (HOTS[hot], Payload::SetWeights { netuid: SUBNET, weights: targets, version_key: 0 })
        }
        Op::CreateSubnet { cold } => (
            COLDS[cold],
            Payload::CreateSubnet {
                owner_hotkey: pk(60 + cold as u8),
                max_lock_cost: Rao(u64::MAX),
                hyperparameters: SubnetHyperparameters { tempo: 2, ..test_hp() },
            },
        ),
        Op::SetTake { cold, hot, take } => {
            (COLDS[cold], Payload::SetTake { hotkey: pk(HOTS[hot]), take })
        }
    }
}

fn fast_genesis() -> Genesis {
    let mut g = test_genesis();
    g.subnets[0].hyperparameters.tempo = 3;
    g.subnets[0].hyperparameters.immunity_period = 2;
    g.economics.network_rate_limit = 3;
    g.economics.network_min_lock_cost = Rao(100 * TAO);
    g
}

/// Runs the blocks, checking issuance against the schedule; returns the final commitment and
/// every block's transactions (to replay).
fn run(blocks: &[Vec<Op>]) -> (Hash, Vec<Vec<Transaction>>) {
    let g = fast_genesis();
    let mut c = Chain::new(&g);
    let mut all = setup(&mut c);
    for ops in blocks {
        let mut offsets: BTreeMap<u8, u64> = BTreeMap::new();
        let txs: Vec<Transaction> = ops
            .iter()
            .map(|op| {
                let (signer, p) = payload(&c, op);
                let off = offsets.entry(signer).or_default();
                let tx = c.sign_at(&kp(signer), *off, 0, p);
                *off += 1;
                tx
            })
            .collect();
        let before = c.totals();
        let ks: Vec<(NetUid, u128)> =
            query::subnets(&c.state).unwrap().into_iter().map(|n| (n, c.pool(n).k())).collect();
        c.block(&txs);
        let after = c.totals();
        // Swaps, injections and root sales never lower a pool's constant product.
        for (n, k) in ks {
            assert!(c.pool(n).k() >= k, "k of subnet {n} decreased");
        }
        // Every block has an eligible subnet, so it mints exactly the schedule's amount.
        assert_eq!(
            after.minted.0 - before.minted.0,
            block_emission(before.issuance, &g.economics).0
        );
        all.push(txs);
    }
    (c.app_hash, all)
}

/// Two blocks that give the random operations something to work with: four more neurons and
/// stake from every coldkey on several hotkeys, on root and on subnet 1.
fn setup(c: &mut Chain) -> Vec<Vec<Transaction>> {
    let reg = |hot: u8| Payload::RegisterNeuron {
        netuid: SUBNET,
        hotkey: pk(hot),
        max_burn: Rao(u64::MAX),
    };
    let b1 = vec![
        c.sign_at(&kp(ALICE), 0, 0, reg(50)),
        c.sign_at(&kp(BOB), 0, 0, reg(51)),
        c.sign_at(&kp(CAROL), 0, 0, reg(52)),
    ];
    let out = c.block(&b1);
    assert!(out.tx_results.iter().all(|r| r.is_ok()));
    let mut b2 = vec![c.sign_at(&kp(ALICE), 0, 0, reg(53))];
    for cold in COLDS {
        let mut offset = u64::from(cold == ALICE);
        for hot in [50u8, 51, 52, 53, OWNER_HOT] {
            for netuid in [NetUid::ROOT, SUBNET] {
                let p = Payload::AddStake {
                    hotkey: pk(hot),
                    netuid,
                    amount: Rao(4 * TAO),
                    limit_price: None,
                };
                b2.push(c.sign_at(&kp(cold), offset, 0, p));
                offset += 1;
            }
        }
    }
    let out = c.block(&b2);
    assert!(out.tx_results.iter().all(|r| r.is_ok()), "{:?}", out.tx_results);
    vec![b1, b2]
}

fn replay(blocks: &[Vec<Transaction>]) -> Hash {
    let mut c = Chain::new(&fast_genesis());
    for txs in blocks {
        c.block(txs);
    }
    c.app_hash
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_blocks_keep_every_invariant(
        blocks in proptest::collection::vec(proptest::collection::vec(op(), 0..6), 1..30)
    ) {
        let (hash, txs) = run(&blocks);
        prop_assert_eq!(replay(&txs), hash);
    }
}
