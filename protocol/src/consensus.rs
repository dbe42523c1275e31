//! What Tendermint validators sign and exchange: proposals, prevotes, precommits, the commit
//! certificate that makes a block final, and the evidence that a validator signed twice.

use serde::{Deserialize, Serialize};

use crate::block::Block;
use crate::codec::{self, Encodable};
use crate::hash::Hash;
use crate::ids::{ChainId, Height, Round};
use crate::keys::{Domain, Keypair, PublicKey, Signature, SignatureError};

/// Most validators any set may hold; bounds certificates and evidence on decode.
pub const MAX_VALIDATORS: usize = 256;

/// One member of a ledger validator set with its voting power (stake in rao).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ValidatorInfo {
    pub key: PublicKey,
    pub power: u64,
}

/// The hash a block header commits to: blake3 over the canonical bytes of the set, ordered by key.
pub fn validator_set_hash(validators: &[ValidatorInfo]) -> Hash {
    let mut sorted: Vec<&ValidatorInfo> = validators.iter().collect();
    sorted.sort_by_key(|v| v.key);
    Hash::digest(&codec::encode(&sorted))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum VoteKind {
    Prevote,
    Precommit,
}

/// The signed content of a vote. `value` is a block hash, or `None` for nil.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VoteBody {
    pub kind: VoteKind,
    pub height: Height,
    pub round: Round,
    pub value: Option<Hash>,
    pub validator: PublicKey,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Vote {
    pub body: VoteBody,
    pub signature: Signature,
}

impl Encodable for Vote {
    const NAME: &'static str = "vote";
    const MAX_LEN: usize = 256;
}

impl Vote {
    pub fn sign(
        keypair: &Keypair,
        chain: &ChainId,
        kind: VoteKind,
        height: Height,
        round: Round,
        value: Option<Hash>,
    ) -> Vote {
        let body = VoteBody { kind, height, round, value, validator: keypair.public() };
        let signature = keypair.sign(Domain::Vote, chain, &codec::encode(&body));
        Vote { body, signature }
    }

    pub fn verify(&self, chain: &ChainId) -> Result<(), SignatureError> {
        self.body.validator.verify(Domain::Vote, chain, &codec::encode(&self.body), &self.signature)
    }
}

/// The signed content of a proposal: the proposer commits to a block by hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalBody {
    pub height: Height,
    pub round: Round,
    /// The round whose polka (2/3 prevotes) justifies re-proposing a locked value; `None` if fresh.
    pub pol_round: Option<Round>,
    pub block_hash: Hash,
    pub proposer: PublicKey,
}

/// A proposal with the full block it names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub body: ProposalBody,
    pub signature: Signature,
    pub block: Block,
}

impl Encodable for Proposal {
    const NAME: &'static str = "proposal";
    const MAX_LEN: usize = crate::block::MAX_BLOCK_BYTES + 1024;
}

/// Why a proposal is not well formed, before any judgement of the block's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProposalError {
    #[error("proposal signature: {0}")]
    Signature(#[from] SignatureError),
    #[error("proposal names block {named} but carries block {carried}")]
    BlockMismatch { named: Hash, carried: Hash },
    #[error("proposal's block does not match its own header: {0}")]
    Shape(#[from] crate::block::BlockShapeError),
    #[error("proposal is for height {proposal} but its block is at height {block}")]
    HeightMismatch { proposal: Height, block: Height },
}

impl Proposal {
    pub fn sign(
        keypair: &Keypair,
        chain: &ChainId,
        round: Round,
        pol_round: Option<Round>,
        block: Block,
    ) -> Proposal {
        let body = ProposalBody {
            height: block.header.height,
            round,
            pol_round,
            block_hash: block.hash(),
            proposer: keypair.public(),
        };
        let signature = keypair.sign(Domain::Proposal, chain, &codec::encode(&body));
        Proposal { body, signature, block }
    }

    /// Checks the signature, that the carried block is the one signed for, and that the block's
    /// body matches its header (roots), so a relayer cannot swap transactions under a signature.
    pub fn verify(&self, chain: &ChainId) -> Result<(), ProposalError> {
        self.body.proposer.verify(
            Domain::Proposal,
            chain,
            &codec::encode(&self.body),
            &self.signature,
        )?;
        let carried = self.block.hash();
        if carried != self.body.block_hash {
            return Err(ProposalError::BlockMismatch { named: self.body.block_hash, carried });
        }
        if self.block.header.height != self.body.height {
            return Err(ProposalError::HeightMismatch {
                proposal: self.body.height,
                block: self.block.header.height,
            });
        }
        self.block.check_shape()?;
        Ok(())
    }
}

/// One precommit inside a certificate: the rest of the vote is implied by the certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitSignature {
    pub validator: PublicKey,
    pub signature: Signature,
}

/// Precommits for `block_hash` at `(height, round)` from validators holding more than 2/3 of the
/// power. Whether the power suffices is checked against the height's validator set by the engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitCertificate {
    pub height: Height,
    pub round: Round,
    pub block_hash: Hash,
    pub signatures: Vec<CommitSignature>,
}

impl Encodable for CommitCertificate {
    const NAME: &'static str = "commit certificate";
    const MAX_LEN: usize = 64 + MAX_VALIDATORS * 128;
}

impl CommitCertificate {
    /// The precommit each signature claims to be.
    pub fn vote_body(&self, validator: PublicKey) -> VoteBody {
        VoteBody {
            kind: VoteKind::Precommit,
            height: self.height,
            round: self.round,
            value: Some(self.block_hash),
            validator,
        }
    }

    /// Rebuilds the full precommit votes, for verification.
    pub fn votes(&self) -> impl Iterator<Item = Vote> + '_ {
        self.signatures
            .iter()
            .map(|s| Vote { body: self.vote_body(s.validator), signature: s.signature })
    }

    /// Content address used in the next block's header.
    pub fn hash(&self) -> Hash {
        codec::hash_of(self)
    }
}

/// Two votes by one validator for the same height, round and kind, with different values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EquivocationEvidence {
    pub first: Vote,
    pub second: Vote,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error("the two votes are by different validators")]
    DifferentValidators,
    #[error("the two votes are for different heights, rounds or kinds")]
    DifferentSlots,
    #[error("the two votes are for the same value: no conflict")]
    SameValue,
    #[error("a vote's signature does not verify: {0}")]
    Signature(#[from] SignatureError),
}

impl EquivocationEvidence {
    /// Orders the pair canonically so the same offence always has the same bytes.
    pub fn new(a: Vote, b: Vote) -> EquivocationEvidence {
        if codec::encode(&a) <= codec::encode(&b) {
            EquivocationEvidence { first: a, second: b }
        } else {
            EquivocationEvidence { first: b, second: a }
        }
    }

    pub fn offender(&self) -> PublicKey {
        self.first.body.validator
    }

    /// Checks that the evidence proves an equivocation on `chain`.
    pub fn verify(&self, chain: &ChainId) -> Result<(), EvidenceError> {
        let (a, b) = (&self.first.body, &self.second.body);
        if a.validator != b.validator {
            return Err(EvidenceError::DifferentValidators);
        }
        if (a.kind, a.height, a.round) != (b.kind, b.height, b.round) {
            return Err(EvidenceError::DifferentSlots);
        }
        if a.value == b.value {
            return Err(EvidenceError::SameValue);
        }
        self.first.verify(chain)?;
        self.second.verify(chain)?;
        Ok(())
    }
}
