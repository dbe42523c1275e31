//! tau's shared vocabulary: the types every peer agrees on, their canonical bytes and signatures.
//!
//! Pure data plus encoding and crypto: no IO, no clock. Everything that arrives from the network or
//! a file is decoded through [`codec::decode`], which is bounded and never panics.

pub mod address;
pub mod amount;
pub mod block;
pub mod codec;
pub mod consensus;
mod fixed_bytes;
pub mod genesis;
pub mod hash;
pub mod hyperparams;
pub mod ids;
pub mod keys;
pub mod state;
pub mod transaction;
pub mod wire;

pub use address::AddressError;
pub use amount::{AlphaRao, PriceRao, RAO_PER_TAO, Rao};
pub use block::{Block, BlockHeader};
pub use codec::{DecodeError, Encodable};
pub use consensus::{
    CommitCertificate, EquivocationEvidence, Proposal, ValidatorInfo, Vote, VoteKind,
};
pub use genesis::Genesis;
pub use hash::Hash;
pub use hyperparams::{ConsensusParams, EconomicParams, SubnetHyperparameters};
pub use ids::{ChainId, Height, NetUid, Round, Uid};
pub use keys::{Domain, Keypair, PublicKey, Signature, SignatureError};
pub use transaction::{Payload, Transaction, TransactionBody};
pub use wire::{ConsensusMessage, InferenceRequest, InferenceResponse, WeightAnnouncement};
