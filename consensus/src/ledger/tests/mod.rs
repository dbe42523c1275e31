//! Ledger tests: a small chain driver over `MemState`, supply invariants checked after every
//! block, and one file per concept.

mod accounts;
mod copier;
mod economics;
mod proptests;
mod staking;
mod subnets;
mod validators;
mod weights;

use std::collections::BTreeMap;

use protocol::genesis::{GenesisAccount, GenesisSubnet, GenesisValidator};
use protocol::hyperparams::{ConsensusParams, EconomicParams, SubnetHyperparameters};
use protocol::state::genesis_app_hash;
use protocol::{
    AlphaRao, ChainId, Genesis, Hash, Height, Keypair, NetUid, Payload, PublicKey, RAO_PER_TAO,
    Rao, Transaction,
};

use super::records::{Account, Commits, Pool, StakePool, StakeShares, Totals};
use super::state::{StateReader, decode_bytes};
use super::{BlockContext, BlockOutcome, Ledger, MemState, TxError, keys, query};

pub const TAO: u64 = RAO_PER_TAO;

pub fn kp(n: u8) -> Keypair {
    Keypair::from_seed(&[n; 32])
}

pub fn pk(n: u8) -> PublicKey {
    kp(n).public()
}

/// Named keys of the test genesis.
pub const ALICE: u8 = 1;
pub const BOB: u8 = 2;
pub const CAROL: u8 = 3;
pub const VAL1_HOT: u8 = 11;
pub const VAL1_COLD: u8 = 12;
pub const VAL2_HOT: u8 = 13;
pub const VAL2_COLD: u8 = 14;
pub const OWNER_COLD: u8 = 20;
pub const OWNER_HOT: u8 = 21;
pub const SUBNET: NetUid = NetUid(1);

/// Small, fast hyperparameters: tempo 9 (epochs at the end of blocks 8, 18, 28, … for netuid 1),
/// commit-reveal off, no weights rate limit, classic Yuma.
pub fn test_hp() -> SubnetHyperparameters {
    SubnetHyperparameters {
        tempo: 9,
        max_uids: 8,
        max_validators: 4,
        immunity_period: 10,
        min_allowed_weights: 1,
        weights_rate_limit: 0,
        yuma3: false,
        commit_reveal_enabled: false,
        min_burn: Rao(1_000),
        max_burn: Rao(100 * TAO),
        target_registrations_per_interval: 2,
        adjustment_interval: 100,
        max_registrations_per_block: 3,
        ..SubnetHyperparameters::default()
    }
}

pub fn test_genesis() -> Genesis {
    let account = |n: u8, tao: u64| GenesisAccount { coldkey: pk(n), balance: Rao(tao * TAO) };
    Genesis {
        chain_id: ChainId::new("tau-test").unwrap(),
        genesis_time_ms: 0,
        consensus: ConsensusParams { max_ledger_validators: 4, ..ConsensusParams::default() },
        economics: EconomicParams { network_rate_limit: 10, ..EconomicParams::default() },
        accounts: vec![
            account(ALICE, 10_000),
            account(BOB, 10_000),
            account(CAROL, 100),
            account(OWNER_COLD, 100),
            account(VAL1_COLD, 100),
            account(VAL2_COLD, 100),
        ],
        validators: vec![
            GenesisValidator {
                hotkey: pk(VAL1_HOT),
                coldkey: pk(VAL1_COLD),
                stake: Rao(1_000 * TAO),
            },
            GenesisValidator {
                hotkey: pk(VAL2_HOT),
                coldkey: pk(VAL2_COLD),
                stake: Rao(500 * TAO),
            },
        ],
        subnets: vec![GenesisSubnet {
            netuid: SUBNET,
            name: "test".into(),
            owner_coldkey: pk(OWNER_COLD),
            owner_hotkey: pk(OWNER_HOT),
            hyperparameters: test_hp(),
            pool_tao: Rao(1_000 * TAO),
            pool_alpha: AlphaRao(1_000 * TAO),
        }],
    }
}

/// A chain driven block by block over `MemState`, checking invariants after each block.
pub struct Chain {
    pub state: MemState,
    pub height: u64,
    pub chain_id: ChainId,
    pub app_hash: Hash,
    pub last: Option<BlockOutcome>,
}

impl Chain {
    pub fn new(g: &Genesis) -> Chain {
        let ws = Ledger::genesis(g).expect("genesis");
        let mut state = MemState::new();
        state.apply(&ws);
        let chain = Chain {
            state,
            height: 0,
            chain_id: g.chain_id.clone(),
            app_hash: genesis_app_hash(&ws),
            last: None,
        };
        chain.check_invariants();
        chain
    }

    pub fn standard() -> Chain {
        Chain::new(&test_genesis())
    }

    pub fn nonce(&self, who: &PublicKey) -> u64 {
        query::account(&self.state, who).unwrap().nonce
    }

    pub fn balance(&self, who: &PublicKey) -> u64 {
        query::account(&self.state, who).unwrap().balance.0
    }

    /// Signs with the signer's next nonce (plus `offset` for several in one block).
    pub fn sign_at(&self, k: &Keypair, offset: u64, fee: u64, payload: Payload) -> Transaction {
        let nonce = self.nonce(&k.public()) + offset;
        Transaction::sign(k, &self.chain_id, nonce, Rao(fee), payload)
    }

    pub fn sign(&self, k: &Keypair, payload: Payload) -> Transaction {
        self.sign_at(k, 0, 0, payload)
    }

    pub fn try_block(&mut self, txs: &[Transaction]) -> Result<BlockOutcome, super::LedgerError> {
        let ctx = BlockContext {
            height: Height(self.height + 1),
            proposer: pk(VAL1_HOT),
            chain_id: self.chain_id.clone(),
        };
        let out = Ledger::execute_block(&self.state, &ctx, txs)?;
        self.state.apply(&out.write_set);
        self.height += 1;
        self.app_hash = out.app_hash(&self.app_hash);
        self.check_invariants();
        Ok(out)
    }

    pub fn block(&mut self, txs: &[Transaction]) -> BlockOutcome {
        let out = self.try_block(txs).expect("block executes");
        self.last = Some(out.clone());
        out
    }

    /// One transaction in its own block; its result.
    pub fn exec(&mut self, k: &Keypair, payload: Payload) -> Result<(), TxError> {
        let tx = self.sign(k, payload);
        self.block(&[tx]).tx_results.remove(0)
    }

    pub fn advance(&mut self, blocks: u64) {
        for _ in 0..blocks {
            self.block(&[]);
        }
    }

    /// Advances until the block about to be executed is `height`.
    pub fn advance_to(&mut self, height: u64) {
        while self.height + 1 < height {
            self.block(&[]);
        }
    }

    pub fn totals(&self) -> Totals {
        query::totals(&self.state).unwrap()
    }

    pub fn pool(&self, netuid: NetUid) -> Pool {
        let raw = self.state.get(&keys::pool(netuid)).unwrap();
        decode_bytes(&keys::pool(netuid), &raw).unwrap()
    }

    pub fn stake(&self, cold: u8, hot: u8, netuid: NetUid) -> u64 {
        query::stake(&self.state, &pk(cold), &pk(hot), netuid).unwrap()
    }

    pub fn commits(&self, netuid: NetUid, uid: u16) -> Commits {
        let key = keys::commits(netuid, protocol::Uid(uid));
        self.state.get(&key).map(|v| decode_bytes(&key, &v).unwrap()).unwrap_or_default()
    }

    /// τ conservation, issuance = schedule bookkeeping, alpha conservation, share consistency.
    pub fn check_invariants(&self) {
        check_invariants(&self.state);
    }
}

fn decoded<T: protocol::codec::Encodable>(state: &MemState, prefix: &[u8]) -> Vec<(Vec<u8>, T)> {
    state
        .prefix(prefix)
        .into_iter()
        .map(|(k, v)| (k.clone(), decode_bytes(&k, &v).unwrap()))
        .collect()
}

pub fn check_invariants(state: &MemState) {
    let totals = query::totals(state).unwrap();
    assert_eq!(totals.issuance.0, totals.genesis.0 + totals.minted.0, "issuance bookkeeping");
    let balances: u128 = decoded::<Account>(state, &keys::account_prefix())
        .iter()
        .map(|(_, a)| u128::from(a.balance.0))
        .sum();
    let mut pool_tao = 0u128;
    for netuid in query::subnets(state).unwrap() {
        let raw = state.get(&keys::pool(netuid)).unwrap();
        let p: Pool = decode_bytes(&keys::pool(netuid), &raw).unwrap();
        pool_tao += u128::from(p.tao.0);
        assert_eq!(
            u128::from(p.alpha_in.0) + u128::from(p.alpha_out.0),
            u128::from(p.alpha_minted.0) - u128::from(p.alpha_burned.0),
            "alpha issuance of subnet {netuid}"
        );
        let staked: u128 = decoded::<StakePool>(state, &keys::stake_pool_prefix())
            .iter()
            .filter(|(k, _)| keys::stake_pool_parts(k).unwrap().1 == netuid)
            .map(|(_, p)| u128::from(p.value))
            .sum();
        let held = staked
            + u128::from(p.protocol_alpha.0)
            + u128::from(p.pending_server.0)
            + u128::from(p.pending_validator.0)
            + u128::from(p.pending_root.0)
            + u128::from(p.pending_owner.0);
        assert_eq!(held, u128::from(p.alpha_out.0), "alpha outstanding of subnet {netuid}");
    }
    let root: u128 = decoded::<StakePool>(state, &keys::stake_pool_prefix())
        .iter()
        .filter(|(k, _)| keys::stake_pool_parts(k).unwrap().1 == NetUid::ROOT)
        .map(|(_, p)| u128::from(p.value))
        .sum();
    assert_eq!(root, u128::from(totals.root_stake.0), "root stake total");
    let lhs = balances
        + pool_tao
        + u128::from(totals.root_stake.0)
        + u128::from(totals.burned.0)
        + u128::from(totals.fees_burned.0);
    assert_eq!(lhs, u128::from(totals.issuance.0), "τ conservation");
    // Shares held by coldkeys add up to each pool's share count.
    let mut shares: BTreeMap<Vec<u8>, u128> = BTreeMap::new();
    for (k, s) in decoded::<StakeShares>(state, &[0x0e]) {
        let (hk, netuid) = keys::stake_parts(&k).unwrap();
        *shares.entry(keys::stake_pool(&hk, netuid)).or_default() += s.0;
    }
    for (k, p) in decoded::<StakePool>(state, &keys::stake_pool_prefix()) {
        assert_eq!(shares.get(&k).copied().unwrap_or(0), p.shares, "shares of a stake pool");
    }
}
