//! Transactions: a signed envelope around one payload the ledger knows how to execute.
//!
//! The signer is a coldkey for money and stake, a hotkey for a neuron's own acts (serving an
//! endpoint, weights, opting in as a ledger validator). The ledger checks who may sign what; this
//! module only fixes the bytes.

use multiaddr::Multiaddr;
use serde::{Deserialize, Serialize};

use crate::amount::{AlphaRao, PriceRao, Rao};
use crate::codec::{self, Encodable};
use crate::consensus::EquivocationEvidence;
use crate::hash::Hash;
use crate::hyperparams::SubnetHyperparameters;
use crate::ids::{ChainId, NetUid};
use crate::keys::{Domain, Keypair, PublicKey, Signature, SignatureError};

/// Most endpoints a neuron may announce, and the longest each may be.
pub const MAX_ENDPOINTS: usize = 8;
pub const MAX_ENDPOINT_BYTES: usize = 256;
/// Most entries in one weight vector (a subnet's `max_uids` is at most this).
pub const MAX_WEIGHTS: usize = 4_096;
/// Largest encoded transaction.
pub const MAX_TRANSACTION_BYTES: usize = 64 * 1024;

/// A sparse weight row: `(uid, weight)` with weights as raw u16 values (the ledger normalises).
pub type WeightRow = Vec<(u16, u16)>;

/// What a transaction asks the ledger to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Payload {
    /// Move τ from the signer (coldkey) to `to`.
    Transfer { to: PublicKey, amount: Rao },
    /// Burn the current lock cost (at most `max_lock_cost`) to create a subnet owned by the signer,
    /// with `owner_hotkey` registered as its first neuron.
    CreateSubnet {
        owner_hotkey: PublicKey,
        max_lock_cost: Rao,
        hyperparameters: SubnetHyperparameters,
    },
    /// Owner only: replace a subnet's hyperparameters (the ledger checks their ranges).
    SetHyperparameters { netuid: NetUid, hyperparameters: SubnetHyperparameters },
    /// Burn the registration price (at most `max_burn`) to register `hotkey` on `netuid`.
    RegisterNeuron { netuid: NetUid, hotkey: PublicKey, max_burn: Rao },
    /// Signed by a registered hotkey: where its neuron answers queries.
    ServeEndpoint { netuid: NetUid, endpoints: Vec<Multiaddr> },
    /// Swap `amount` τ into `netuid`'s alpha, staked to `hotkey`; fail if the price would pass `limit`.
    AddStake { hotkey: PublicKey, netuid: NetUid, amount: Rao, limit_price: Option<PriceRao> },
    /// Swap `amount` alpha back to τ; fail if the price would fall below `limit`.
    RemoveStake {
        hotkey: PublicKey,
        netuid: NetUid,
        amount: AlphaRao,
        limit_price: Option<PriceRao>,
    },
    /// Re-stake alpha between hotkeys and/or subnets (sell then buy across subnets).
    MoveStake {
        from_hotkey: PublicKey,
        to_hotkey: PublicKey,
        from_netuid: NetUid,
        to_netuid: NetUid,
        amount: AlphaRao,
        limit_price: Option<PriceRao>,
    },
    /// Signed by a hotkey the signer owns: the share of delegated dividends it keeps (u16 proportion).
    SetTake { hotkey: PublicKey, take: u16 },
    /// Signed by a validator's hotkey: its weights on a subnet without commit-reveal.
    SetWeights { netuid: NetUid, weights: WeightRow, version_key: u64 },
    /// Signed by a validator's hotkey: a commitment to weights revealed later.
    CommitWeights { netuid: NetUid, commitment: Hash },
    /// Reveals weights committed earlier; `salt` makes the commitment hiding.
    RevealWeights { netuid: NetUid, weights: WeightRow, salt: [u8; 32], version_key: u64 },
    /// Signed by a hotkey: ask to join the ledger validator set (top stakes among those opted in).
    OptInValidator,
    /// Two conflicting signed votes by one validator.
    SubmitEvidence(EquivocationEvidence),
}

/// Everything a transaction's signature covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionBody {
    pub signer: PublicKey,
    /// The signer's next nonce: one transaction per nonce, in order.
    pub nonce: u64,
    /// Burned; orders the mempool.
    pub fee: Rao,
    pub payload: Payload,
}

/// A signed transaction as it travels in gossip and blocks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    pub body: TransactionBody,
    pub signature: Signature,
}

impl Encodable for Transaction {
    const NAME: &'static str = "transaction";
    const MAX_LEN: usize = MAX_TRANSACTION_BYTES;
}

impl Transaction {
    pub fn sign(
        keypair: &Keypair,
        chain: &ChainId,
        nonce: u64,
        fee: Rao,
        payload: Payload,
    ) -> Self {
        let body = TransactionBody { signer: keypair.public(), nonce, fee, payload };
        let signature = keypair.sign(Domain::Transaction, chain, &codec::encode(&body));
        Transaction { body, signature }
    }

    pub fn verify(&self, chain: &ChainId) -> Result<(), SignatureError> {
        self.body.signer.verify(
            Domain::Transaction,
            chain,
            &codec::encode(&self.body),
            &self.signature,
        )
    }

    /// Content address: blake3 of the canonical bytes (signature included).
    pub fn hash(&self) -> Hash {
        codec::hash_of(self)
    }
}

/// The commitment a `CommitWeights` carries: blake3 over the canonical bytes of
/// `(hotkey, netuid, weights, salt, version_key)`, as subtensor's hash scheme (economics.md §10).
pub fn weight_commitment(
    hotkey: &PublicKey,
    netuid: NetUid,
    weights: &WeightRow,
    salt: &[u8; 32],
    version_key: u64,
) -> Hash {
    Hash::digest(&codec::encode(&(hotkey, netuid, weights, salt, version_key)))
}
