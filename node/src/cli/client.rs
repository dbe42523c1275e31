//! A node's HTTP API as the CLI sees it: typed reads, submission, and receipts. Every failure
//! says which node was asked and what to do; nothing from the network is trusted to be well formed.

use std::net::SocketAddr;

use consensus::ledger::query::{HotkeyInfo, NeuronInfo, SubnetInfo, WeightsStatus};
use protocol::hyperparams::{ConsensusParams, EconomicParams};
use protocol::{
    ChainId, Hash, Height, NetUid, PriceRao, PublicKey, Rao, Transaction, ValidatorInfo,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use testnet::http::{self, HttpError};

/// Where the CLI looks for a node when neither `--api` nor `TAU_API` says.
pub const DEFAULT_API: &str = "http://127.0.0.1:8080";

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(
        "could not reach the node API at {url} ({reason}): is a node running there? Point --api or \
         TAU_API at one"
    )]
    Unreachable { url: String, reason: String },
    /// The connection broke or timed out after the request may have been received.
    #[error(
        "the connection to the node at {url} failed during the request ({reason}); a transaction \
         being submitted may still reach the chain"
    )]
    Interrupted { url: String, reason: String },
    /// The API's own words for a 404 (an unknown subnet, hotkey, transaction).
    #[error("{0}")]
    NotFound(String),
    /// The node refused the request (a 4xx other than 404), in its own words.
    #[error("the node refused the request: {0}")]
    Refused(String),
    #[error("the node at {url} answered with an error: {message}")]
    Server { url: String, message: String },
    #[error("the node at {url} sent an unexpected answer to {path}: {reason}")]
    BadAnswer { url: String, path: String, reason: String },
}

/// The chain's parameters, as `GET /chain` gives them.
#[derive(Clone, Debug, Deserialize)]
pub struct ChainInfo {
    pub chain_id: ChainId,
    pub height: Height,
    pub economics: EconomicParams,
    pub consensus: ConsensusParams,
    pub subnet_lock_cost: Rao,
    pub next_subnet_creation_block: Option<u64>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct AccountInfo {
    pub balance: Rao,
    pub nonce: u64,
}

#[derive(Clone, Debug, Deserialize, serde::Serialize)]
pub struct StakePosition {
    pub hotkey: PublicKey,
    pub netuid: NetUid,
    /// Alpha rao (τ rao on root).
    pub stake: u64,
    pub price: PriceRao,
    pub value: Rao,
}

#[derive(Deserialize)]
struct Stakes {
    stakes: Vec<StakePosition>,
}

#[derive(Deserialize)]
struct HotkeyAnswer {
    hotkey: HotkeyInfo,
}

/// `GET /subnets/{netuid}/weights/{hotkey}`.
#[derive(Clone, Debug, Deserialize)]
pub struct WeightsAnswer {
    pub height: Height,
    pub status: WeightsStatus,
}

/// `GET /validators`: the ledger validator set in force.
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
pub struct ValidatorSet {
    pub since: Height,
    pub validators: Vec<ValidatorInfo>,
}

/// What became of a submitted transaction.
#[derive(Clone, Debug, Deserialize)]
pub struct Receipt {
    pub height: Height,
    /// `None` when the node found the transaction in a block but did not record its outcome.
    pub ok: Option<bool>,
    pub error: Option<String>,
}

#[derive(Deserialize)]
struct Submitted {
    hash: Hash,
}

/// A connection target: one node's API.
pub struct Client {
    addr: SocketAddr,
    url: String,
}

impl Client {
    pub fn new(url: &str) -> anyhow::Result<Client> {
        Ok(Client { addr: super::api_addr(url)?, url: url.to_string() })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn fail(&self, path: &str, e: HttpError) -> ClientError {
        match e {
            // Only a refused connection proves the node never saw the request.
            HttpError::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                ClientError::Unreachable { url: self.url.clone(), reason: e.to_string() }
            }
            HttpError::Io(e) => {
                ClientError::Interrupted { url: self.url.clone(), reason: e.to_string() }
            }
            HttpError::Status { status, body, .. } => {
                // Handlers answer `{"error": "…"}`; anything else is shown as it came.
                let message = serde_json::from_str::<Value>(&body)
                    .ok()
                    .and_then(|v| v.get("error")?.as_str().map(str::to_string))
                    .unwrap_or(body);
                match status {
                    404 => ClientError::NotFound(message),
                    400..=499 => ClientError::Refused(message),
                    _ => ClientError::Server { url: self.url.clone(), message },
                }
            }
            other => ClientError::BadAnswer {
                url: self.url.clone(),
                path: path.to_string(),
                reason: other.to_string(),
            },
        }
    }

    fn decode<T: DeserializeOwned>(&self, path: &str, v: Value) -> Result<T, ClientError> {
        serde_json::from_value(v).map_err(|e| ClientError::BadAnswer {
            url: self.url.clone(),
            path: path.to_string(),
            reason: e.to_string(),
        })
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let v = http::get(self.addr, path).map_err(|e| self.fail(path, e))?;
        self.decode(path, v)
    }

    /// Like [`Client::get`], with a 404 as `None`.
    pub fn get_opt<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>, ClientError> {
        match self.get(path) {
            Ok(v) => Ok(Some(v)),
            Err(ClientError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn chain(&self) -> Result<ChainInfo, ClientError> {
        self.get("/chain")
    }

    pub fn account(&self, key: &PublicKey) -> Result<AccountInfo, ClientError> {
        self.get(&format!("/accounts/{key}"))
    }

    pub fn stakes(&self, coldkey: &PublicKey) -> Result<Vec<StakePosition>, ClientError> {
        Ok(self.get::<Stakes>(&format!("/accounts/{coldkey}/stakes"))?.stakes)
    }

    pub fn subnets(&self) -> Result<Vec<SubnetInfo>, ClientError> {
        self.get("/subnets")
    }

    /// A subnet; `None` if there is no such subnet (root included: it has no pool or neurons).
    pub fn subnet(&self, netuid: NetUid) -> Result<Option<SubnetInfo>, ClientError> {
        if netuid == NetUid::ROOT {
            return Ok(None);
        }
        self.get_opt(&format!("/subnets/{netuid}"))
    }

    pub fn metagraph(&self, netuid: NetUid) -> Result<Option<Vec<NeuronInfo>>, ClientError> {
        self.get(&format!("/subnets/{netuid}/metagraph"))
    }

    /// The hotkey's owner and opt-in; `None` for a hotkey the ledger does not know.
    pub fn hotkey(&self, hotkey: &PublicKey) -> Result<Option<HotkeyInfo>, ClientError> {
        Ok(self.get_opt::<HotkeyAnswer>(&format!("/hotkeys/{hotkey}"))?.map(|a| a.hotkey))
    }

    /// The neuron `hotkey` holds on `netuid`; `None` if it is not registered there.
    pub fn neuron(
        &self,
        netuid: NetUid,
        hotkey: &PublicKey,
    ) -> Result<Option<NeuronInfo>, ClientError> {
        self.get_opt(&format!("/subnets/{netuid}/neurons/{hotkey}"))
    }

    pub fn weights_status(
        &self,
        netuid: NetUid,
        hotkey: &PublicKey,
    ) -> Result<WeightsAnswer, ClientError> {
        self.get(&format!("/subnets/{netuid}/weights/{hotkey}"))
    }

    pub fn validators(&self) -> Result<ValidatorSet, ClientError> {
        self.get("/validators")
    }

    /// Hands a signed transaction to the node's mempool.
    pub fn submit(&self, tx: &Transaction) -> Result<Hash, ClientError> {
        let path = "/transactions";
        let body = serde_json::to_value(tx).map_err(|e| ClientError::BadAnswer {
            url: self.url.clone(),
            path: path.to_string(),
            reason: format!("cannot encode the transaction: {e}"),
        })?;
        let v = http::post(self.addr, path, &body).map_err(|e| self.fail(path, e))?;
        Ok(self.decode::<Submitted>(path, v)?.hash)
    }

    /// The transaction's receipt; `None` while it is not in a block.
    pub fn receipt(&self, hash: &Hash) -> Result<Option<Receipt>, ClientError> {
        self.get_opt(&format!("/transactions/{hash}"))
    }
}
