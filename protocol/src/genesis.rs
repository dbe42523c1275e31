//! The genesis file: what every node of one network starts from. JSON on disk, canonical bytes for
//! its hash (which names the network alongside the chain id).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::amount::{AlphaRao, Rao};
use crate::codec::{self, Encodable};
use crate::hash::Hash;
use crate::hyperparams::{ConsensusParams, EconomicParams, SubnetHyperparameters};
use crate::ids::{ChainId, NetUid};
use crate::keys::PublicKey;

/// Largest genesis file accepted from disk.
pub const MAX_GENESIS_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisAccount {
    pub coldkey: PublicKey,
    pub balance: Rao,
}

/// An initial ledger validator: its hotkey votes, its coldkey owns the root stake behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisValidator {
    pub hotkey: PublicKey,
    pub coldkey: PublicKey,
    /// Root (netuid 0) stake in τ, which is also its voting power.
    pub stake: Rao,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisSubnet {
    pub netuid: NetUid,
    pub name: String,
    pub owner_coldkey: PublicKey,
    pub owner_hotkey: PublicKey,
    pub hyperparameters: SubnetHyperparameters,
    /// Initial pool reserves; their ratio is the initial alpha price.
    pub pool_tao: Rao,
    pub pool_alpha: AlphaRao,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Genesis {
    pub chain_id: ChainId,
    /// Informational start time (ms since the Unix epoch).
    pub genesis_time_ms: u64,
    pub consensus: ConsensusParams,
    pub economics: EconomicParams,
    pub accounts: Vec<GenesisAccount>,
    pub validators: Vec<GenesisValidator>,
    pub subnets: Vec<GenesisSubnet>,
}

impl Encodable for Genesis {
    const NAME: &'static str = "genesis";
    const MAX_LEN: usize = MAX_GENESIS_BYTES;
}

/// Why a genesis file is unusable, said so an operator can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenesisError {
    #[error("genesis file is {len} bytes; the limit is {max}")]
    TooLarge { len: usize, max: usize },
    #[error("genesis is not valid JSON for tau: {0}")]
    Json(String),
    #[error("genesis has no validators: at least one is needed to produce blocks")]
    NoValidators,
    #[error("genesis lists {0} validators; at most consensus.max_ledger_validators are allowed")]
    TooManyValidators(usize),
    #[error("validator {0} has zero stake: voting power must be positive")]
    ZeroStake(PublicKey),
    #[error("{what} {key} appears twice")]
    Duplicate { what: &'static str, key: String },
    #[error("subnet {0}: netuid 0 is root and cannot be declared as a subnet")]
    RootSubnet(NetUid),
    #[error("balances and stakes add up to more than the total supply")]
    SupplyExceeded,
}

impl Genesis {
    pub fn from_json(text: &str) -> Result<Genesis, GenesisError> {
        if text.len() > MAX_GENESIS_BYTES {
            return Err(GenesisError::TooLarge { len: text.len(), max: MAX_GENESIS_BYTES });
        }
        let genesis: Genesis =
            serde_json::from_str(text).map_err(|e| GenesisError::Json(e.to_string()))?;
        genesis.validate()?;
        Ok(genesis)
    }

    pub fn to_json(&self) -> String {
        // Plain structs with string map keys only: serde_json cannot fail on them. Should a future
        // field break that, fail loudly rather than write an empty genesis.
        match serde_json::to_string_pretty(self) {
            Ok(json) => json,
            Err(e) => panic!("genesis is not serialisable as JSON: {e}"),
        }
    }

    /// The network's identity: blake3 of the canonical encoding.
    pub fn hash(&self) -> Hash {
        codec::hash_of(self)
    }

    /// Structural checks: what must hold before a ledger is built from this file.
    pub fn validate(&self) -> Result<(), GenesisError> {
        if self.validators.is_empty() {
            return Err(GenesisError::NoValidators);
        }
        if self.validators.len() > usize::from(self.consensus.max_ledger_validators) {
            return Err(GenesisError::TooManyValidators(self.validators.len()));
        }
        let mut seen = BTreeSet::new();
        for v in &self.validators {
            if v.stake.is_zero() {
                return Err(GenesisError::ZeroStake(v.hotkey));
            }
            if !seen.insert(v.hotkey) {
                return Err(GenesisError::Duplicate {
                    what: "validator hotkey",
                    key: v.hotkey.to_string(),
                });
            }
        }
        let mut seen = BTreeSet::new();
        for a in &self.accounts {
            if !seen.insert(a.coldkey) {
                return Err(GenesisError::Duplicate {
                    what: "account",
                    key: a.coldkey.to_string(),
                });
            }
        }
        let mut seen = BTreeSet::new();
        for s in &self.subnets {
            if s.netuid == NetUid::ROOT {
                return Err(GenesisError::RootSubnet(s.netuid));
            }
            if !seen.insert(s.netuid) {
                return Err(GenesisError::Duplicate { what: "subnet", key: s.netuid.to_string() });
            }
        }
        let mut total = Rao::ZERO;
        let amounts = self
            .accounts
            .iter()
            .map(|a| a.balance)
            .chain(self.validators.iter().map(|v| v.stake))
            .chain(self.subnets.iter().map(|s| s.pool_tao));
        for amount in amounts {
            total = total.checked_add(amount).ok_or(GenesisError::SupplyExceeded)?;
        }
        if total > self.economics.total_supply {
            return Err(GenesisError::SupplyExceeded);
        }
        Ok(())
    }
}
