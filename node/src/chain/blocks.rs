//! Building a proposal on the current tip, and checking a proposed block's header and body
//! against it before the ledger executes it.

use consensus::bft::{SignatureVerifier, ValidatorSet, verify_certificate};
use protocol::block::{Block, BlockHeader, transactions_root};
use protocol::consensus::CommitCertificate;
use protocol::transaction::Transaction;
use protocol::{ChainId, Hash, Height, PublicKey};

/// What the next block builds on.
#[derive(Clone, Debug)]
pub struct Tip {
    pub height: Height,
    pub block_hash: Hash,
    pub app_hash: Hash,
    /// The certificate that finalised `height` (none at genesis).
    pub certificate: Option<CommitCertificate>,
}

pub fn build(
    tip: &Tip,
    proposer: PublicKey,
    validators: &ValidatorSet,
    time_ms: u64,
    transactions: Vec<Transaction>,
) -> Block {
    let last_commit = tip.certificate.clone();
    let header = BlockHeader {
        height: Height(tip.height.0 + 1),
        prev_hash: tip.block_hash,
        time_ms,
        proposer,
        transactions_root: transactions_root(&transactions),
        app_hash: tip.app_hash,
        validator_set_hash: validators.hash(),
        last_commit_hash: last_commit.as_ref().map_or(Hash::ZERO, CommitCertificate::hash),
    };
    Block { header, last_commit, transactions }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum BlockError {
    #[error("block is for height {got}, expected {expected}")]
    Height { expected: Height, got: Height },
    #[error("block does not build on our tip (prev_hash {got}, tip {expected})")]
    PrevHash { expected: Hash, got: Hash },
    #[error(
        "block's app hash {got} differs from ours {expected}: state diverged or proposer is faulty"
    )]
    AppHash { expected: Hash, got: Hash },
    #[error("block names validator set {got}, the height's set is {expected}")]
    ValidatorSet { expected: Hash, got: Hash },
    #[error("block body does not match its header: {0}")]
    Shape(#[from] protocol::block::BlockShapeError),
    #[error("block must carry the certificate of height {0}")]
    MissingLastCommit(Height),
    #[error("first block must not carry a certificate")]
    UnexpectedLastCommit,
    #[error("last commit does not certify our tip")]
    LastCommitMismatch,
    #[error("last commit is invalid: {0}")]
    LastCommit(#[from] consensus::bft::CertificateError),
    #[error("transaction {index} has an invalid signature")]
    TransactionSignature { index: usize },
    #[error("block has {count} transactions; the limit is {max}")]
    TooManyTransactions { count: usize, max: usize },
}

/// The fixed inputs of block checks.
pub struct CheckRules<'a> {
    pub chain: &'a ChainId,
    pub max_transactions: usize,
    pub verifier: &'a dyn SignatureVerifier,
}

/// Everything about a proposed block that does not need the ledger. `previous_validators` is the
/// set that signed `tip`'s certificate; `signature_ok` says whether a transaction's signature is
/// valid (the caller may know from an earlier check).
pub fn check(
    block: &Block,
    tip: &Tip,
    validators: &ValidatorSet,
    previous_validators: Option<&ValidatorSet>,
    rules: &CheckRules<'_>,
    signature_ok: impl Fn(&Transaction) -> bool,
) -> Result<(), BlockError> {
    let h = &block.header;
    let expected = Height(tip.height.0 + 1);
    if h.height != expected {
        return Err(BlockError::Height { expected, got: h.height });
    }
    if h.prev_hash != tip.block_hash {
        return Err(BlockError::PrevHash { expected: tip.block_hash, got: h.prev_hash });
    }
    if h.app_hash != tip.app_hash {
        return Err(BlockError::AppHash { expected: tip.app_hash, got: h.app_hash });
    }
    if h.validator_set_hash != validators.hash() {
        return Err(BlockError::ValidatorSet {
            expected: validators.hash(),
            got: h.validator_set_hash,
        });
    }
    block.check_shape()?;
    let (chain, max_transactions) = (rules.chain, rules.max_transactions);
    if block.transactions.len() > max_transactions {
        return Err(BlockError::TooManyTransactions {
            count: block.transactions.len(),
            max: max_transactions,
        });
    }
    match (&block.last_commit, tip.height) {
        (None, Height(0)) => {}
        (Some(_), Height(0)) => return Err(BlockError::UnexpectedLastCommit),
        (None, h) => return Err(BlockError::MissingLastCommit(h)),
        (Some(cert), _) => {
            if cert.height != tip.height || cert.block_hash != tip.block_hash {
                return Err(BlockError::LastCommitMismatch);
            }
            if let Some(prev) = previous_validators {
                verify_certificate(cert, prev, chain, rules.verifier)?;
            }
        }
    }
    for (index, tx) in block.transactions.iter().enumerate() {
        if !signature_ok(tx) {
            return Err(BlockError::TransactionSignature { index });
        }
    }
    Ok(())
}
