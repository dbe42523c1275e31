//! Ledger benchmarks: one Yuma epoch through the ledger's glue (state → `run_epoch` → payout and
//! write-set) at 256 uids × 64 validators and 4096 uids × 256 validators, the epoch math alone on
//! the same input, and a block of 10,000 transfers.
//!
//! Run: `CARGO_TARGET_DIR=$HOME/.cache/tau/target cargo bench -p consensus --bench ledger`

use std::hint::black_box;

use consensus::ledger::records::ChainConfig;
use consensus::ledger::{
    BlockContext, Env, Ledger, MemState, Overlay, StateReader, keys, load_epoch_input,
    run_subnet_epoch,
};
use consensus::yuma::run_epoch;
use criterion::{Criterion, criterion_group, criterion_main};
use protocol::genesis::{GenesisAccount, GenesisSubnet, GenesisValidator};
use protocol::hyperparams::{ConsensusParams, EconomicParams, SubnetHyperparameters};
use protocol::{
    AlphaRao, ChainId, Genesis, Height, Keypair, NetUid, Payload, RAO_PER_TAO, Rao, Transaction,
};

const NET: NetUid = NetUid(1);

fn key(tag: u8, i: u32) -> Keypair {
    let mut seed = [tag; 32];
    seed[..4].copy_from_slice(&i.to_le_bytes());
    Keypair::from_seed(&seed)
}

fn genesis(accounts: Vec<GenesisAccount>, hp: SubnetHyperparameters) -> Genesis {
    let owner = key(1, 0);
    let val = key(2, 0);
    Genesis {
        chain_id: ChainId::new("tau-bench").unwrap(),
        genesis_time_ms: 0,
        consensus: ConsensusParams::default(),
        economics: EconomicParams::default(),
        accounts,
        validators: vec![GenesisValidator {
            hotkey: val.public(),
            coldkey: val.public(),
            stake: Rao(1_000 * RAO_PER_TAO),
        }],
        subnets: vec![GenesisSubnet {
            netuid: NET,
            name: "bench".into(),
            owner_coldkey: owner.public(),
            owner_hotkey: owner.public(),
            hyperparameters: hp,
            pool_tao: Rao(10_000 * RAO_PER_TAO),
            pool_alpha: AlphaRao(10_000 * RAO_PER_TAO),
        }],
    }
}

struct Chain {
    state: MemState,
    height: u64,
    chain: ChainId,
}

impl Chain {
    fn block(&mut self, txs: &[Transaction]) {
        let ctx = BlockContext {
            height: Height(self.height + 1),
            proposer: key(2, 0).public(),
            chain_id: self.chain.clone(),
        };
        let out = Ledger::execute_block(&self.state, &ctx, txs).expect("block");
        assert!(out.tx_results.iter().all(|r| r.is_ok()), "setup transaction rejected");
        self.state.apply(&out.write_set);
        self.height += 1;
    }

    fn env(&self) -> Env {
        let raw = self.state.get(keys::CONFIG).unwrap();
        let cfg: ChainConfig = protocol::codec::decode(&raw).unwrap();
        Env { cfg, height: self.height }
    }
}

/// A subnet with `n` uids of which `v` validators hold stake, permits and dense weight rows.
fn epoch_state(n: u32, v: u32) -> Chain {
    let funder = key(3, 0);
    let hp = SubnetHyperparameters {
        tempo: 10_000,
        max_uids: n as u16,
        max_validators: v as u16,
        min_allowed_weights: 1,
        weights_rate_limit: 0,
        commit_reveal_enabled: false,
        target_registrations_per_interval: u16::MAX,
        max_registrations_per_block: u16::MAX,
        min_burn: Rao(1),
        max_burn: Rao(1),
        ..SubnetHyperparameters::default()
    };
    let fund = GenesisAccount { coldkey: funder.public(), balance: Rao(1_000_000 * RAO_PER_TAO) };
    let g = genesis(vec![fund], hp);
    let mut c = Chain { state: MemState::new(), height: 0, chain: g.chain_id.clone() };
    c.state.apply(&Ledger::genesis(&g).unwrap());
    let sign = |nonce: u64, p: Payload| Transaction::sign(&funder, &c.chain, nonce, Rao(0), p);
    let mut nonce = 0;
    let mut txs = Vec::new();
    for i in 1..n {
        let p =
            Payload::RegisterNeuron { netuid: NET, hotkey: key(4, i).public(), max_burn: Rao(1) };
        txs.push(sign(nonce, p));
        nonce += 1;
    }
    for i in 1..=v {
        let p = Payload::AddStake {
            hotkey: key(4, i).public(),
            netuid: NET,
            amount: Rao(u64::from(i) * RAO_PER_TAO),
            limit_price: None,
        };
        txs.push(sign(nonce, p));
        nonce += 1;
    }
    c.block(&txs);
    // One epoch grants the permits.
    let env = c.env();
    let mut ov = Overlay::new(&c.state);
    run_subnet_epoch(&mut ov, &env, NET, &mut Vec::new()).unwrap();
    ov.commit_tx();
    let ws = ov.into_write_set();
    c.state.apply(&ws);
    let weights: Vec<Transaction> = (1..=v)
        .map(|i| {
            let hk = key(4, i);
            let row = (0..n as u16).map(|j| (j, (u32::from(j) * 31 + i * 17) as u16 % 1000 + 1));
            let p = Payload::SetWeights { netuid: NET, weights: row.collect(), version_key: 0 };
            Transaction::sign(&hk, &c.chain, 0, Rao(0), p)
        })
        .collect();
    c.block(&weights);
    c
}

fn bench_epochs(cr: &mut Criterion) {
    let mut group = cr.benchmark_group("ledger::epoch");
    group.sample_size(10);
    for (n, v) in [(256u32, 64u32), (4096, 256)] {
        let c = epoch_state(n, v);
        let env = c.env();
        group.bench_function(format!("glue/uids={n}/validators={v}"), |b| {
            b.iter(|| {
                let mut ov = Overlay::new(&c.state);
                run_subnet_epoch(&mut ov, &env, NET, &mut Vec::new()).unwrap();
                ov.commit_tx();
                black_box(ov.into_write_set())
            })
        });
        let ov = Overlay::new(&c.state);
        let subnet = decode(&c.state, &keys::subnet(NET));
        let pool = decode(&c.state, &keys::pool(NET));
        let loaded = load_epoch_input(&ov, &env, NET, &subnet, &pool).unwrap();
        group.bench_function(format!("yuma_only/uids={n}/validators={v}"), |b| {
            b.iter(|| black_box(run_epoch(&loaded.input).unwrap()))
        });
        group.bench_function(format!("load_input/uids={n}/validators={v}"), |b| {
            b.iter(|| black_box(load_epoch_input(&ov, &env, NET, &subnet, &pool).unwrap()))
        });
    }
    group.finish();
}

fn decode<T: protocol::codec::Encodable>(state: &MemState, key: &[u8]) -> T {
    protocol::codec::decode(&state.get(key).unwrap()).unwrap()
}

fn bench_transfers(cr: &mut Criterion) {
    const N: u32 = 10_000;
    let senders: Vec<Keypair> = (0..N).map(|i| key(5, i)).collect();
    let accounts = senders
        .iter()
        .map(|k| GenesisAccount { coldkey: k.public(), balance: Rao(10 * RAO_PER_TAO) })
        .collect();
    let g = genesis(accounts, SubnetHyperparameters::default());
    let mut state = MemState::new();
    state.apply(&Ledger::genesis(&g).unwrap());
    let txs: Vec<Transaction> = senders
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let to = senders[(i + 1) % senders.len()].public();
            Transaction::sign(
                k,
                &g.chain_id,
                0,
                Rao(1_000),
                Payload::Transfer { to, amount: Rao(RAO_PER_TAO) },
            )
        })
        .collect();
    let ctx = BlockContext {
        height: Height(1),
        proposer: key(2, 0).public(),
        chain_id: g.chain_id.clone(),
    };
    let mut group = cr.benchmark_group("ledger::block");
    group.sample_size(10);
    group.bench_function("transfers/n=10000", |b| {
        b.iter(|| {
            let out = Ledger::execute_block(&state, &ctx, &txs).unwrap();
            assert!(out.tx_results.iter().all(|r| r.is_ok()));
            black_box(out.write_set.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_epochs, bench_transfers);
criterion_main!(benches);
