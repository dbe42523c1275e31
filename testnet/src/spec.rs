//! What a local testnet is made of, and the genesis that follows from it.

use protocol::amount::{AlphaRao, Rao};
use protocol::genesis::{Genesis, GenesisAccount, GenesisSubnet, GenesisValidator};
use protocol::hyperparams::{ConsensusParams, EconomicParams, SubnetHyperparameters};
use protocol::ids::{ChainId, NetUid};

use crate::layout::{NodeKeys, NodeRole};

/// The shape of a local testnet, as `tau testnet up` flags describe it.
#[derive(Clone, Debug)]
pub struct TestnetSpec {
    pub chain_id: ChainId,
    pub validators: u16,
    pub miners: u16,
    pub subnets: u16,
    pub block_time_ms: u64,
    /// Keys derive from this seed when set (reproducible runs); from the OS otherwise.
    pub seed: Option<u64>,
}

/// Built-in models of testnet miners, best first: (Markov order, training words), 0 = uniform.
/// Mean losses on the subnet language are about 1.9, 2.4, 2.7, 3.7, 4.6 and 5.5 nats, so the
/// miners' true ranking is known (measured by `node/tests/neuron_ranking.rs`'s method).
pub const MINER_MODELS: [(usize, usize); 6] =
    [(2, 400_000), (1, 200_000), (2, 10_000), (2, 4_000), (2, 1_500), (0, 0)];

/// The model of the `index`-th miner (the ladder repeats past six miners).
pub fn miner_model(index: usize) -> (usize, usize) {
    MINER_MODELS[index % MINER_MODELS.len()]
}

/// Starting balance of every testnet coldkey, and the root stake of every validator.
const TESTNET_BALANCE_TAO: u64 = 10_000;
const VALIDATOR_STAKE_TAO: u64 = 1_000;
const POOL_TAO: u64 = 100;

#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("a testnet needs at least one validator")]
    NoValidators,
    #[error("a testnet with miners needs at least one subnet for them to serve")]
    MinersWithoutSubnet,
    #[error(transparent)]
    Keys(#[from] protocol::keys::EntropyError),
    #[error("generated genesis is invalid: {0}")]
    Genesis(#[from] protocol::genesis::GenesisError),
}

impl TestnetSpec {
    /// `validators` validators and no miners, one subnet: the shape most tests and benchmarks
    /// need. Keys derive from `seed`.
    pub fn validators_only(
        chain_id: &str,
        validators: u16,
        block_time_ms: u64,
        seed: u64,
    ) -> Result<TestnetSpec, protocol::ids::ChainIdError> {
        Ok(TestnetSpec {
            chain_id: ChainId::new(chain_id)?,
            validators,
            miners: 0,
            subnets: 1,
            block_time_ms,
            seed: Some(seed),
        })
    }

    /// Keys for every node, named `validator-0…`, `miner-0…`.
    pub fn node_keys(&self) -> Result<Vec<NodeKeys>, SpecError> {
        let mut nodes = Vec::new();
        for i in 0..self.validators {
            nodes.push(NodeKeys::new(format!("validator-{i}"), NodeRole::Validator, self.seed)?);
        }
        for i in 0..self.miners {
            nodes.push(NodeKeys::new(format!("miner-{i}"), NodeRole::Miner, self.seed)?);
        }
        Ok(nodes)
    }

    /// Genesis for these nodes: every coldkey funded, validators staked on root, subnets owned by
    /// the first validator with short tempos so a testnet shows epochs within a minute.
    pub fn genesis(&self, nodes: &[NodeKeys], genesis_time_ms: u64) -> Result<Genesis, SpecError> {
        if self.validators == 0 {
            return Err(SpecError::NoValidators);
        }
        if self.miners > 0 && self.subnets == 0 {
            return Err(SpecError::MinersWithoutSubnet);
        }
        let whole = |t: u64| Rao(t * protocol::RAO_PER_TAO);
        let accounts = nodes
            .iter()
            .map(|n| GenesisAccount {
                coldkey: n.coldkey.public(),
                balance: whole(TESTNET_BALANCE_TAO),
            })
            .collect();
        let validator_nodes: Vec<&NodeKeys> =
            nodes.iter().filter(|n| n.role == NodeRole::Validator).collect();
        let validators = validator_nodes
            .iter()
            .map(|n| GenesisValidator {
                hotkey: n.hotkey.public(),
                coldkey: n.coldkey.public(),
                stake: whole(VALIDATOR_STAKE_TAO),
            })
            .collect();
        let owner = validator_nodes[0];
        let subnets = (1..=self.subnets)
            .map(|netuid| GenesisSubnet {
                netuid: NetUid(netuid),
                name: format!("subnet-{netuid}"),
                owner_coldkey: owner.coldkey.public(),
                owner_hotkey: owner.hotkey.public(),
                hyperparameters: SubnetHyperparameters {
                    tempo: 20,
                    immunity_period: 100,
                    weights_rate_limit: 5,
                    activity_cutoff_factor_milli: 50_000,
                    max_validators: 16,
                    min_burn: Rao(1_000_000),
                    ..SubnetHyperparameters::default()
                },
                pool_tao: whole(POOL_TAO),
                pool_alpha: AlphaRao(POOL_TAO * protocol::RAO_PER_TAO),
            })
            .collect();
        let genesis = Genesis {
            chain_id: self.chain_id.clone(),
            genesis_time_ms,
            consensus: ConsensusParams {
                block_time_ms: self.block_time_ms,
                ..ConsensusParams::default()
            },
            economics: EconomicParams::default(),
            accounts,
            validators,
            subnets,
        };
        genesis.validate()?;
        Ok(genesis)
    }
}
