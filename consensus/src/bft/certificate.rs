//! Commit certificates: building one from counted precommits, and checking one received.

use std::collections::BTreeSet;

use protocol::consensus::{CommitSignature, MAX_VALIDATORS};
use protocol::{ChainId, CommitCertificate, Hash, Height, Round, VoteKind};

use super::ignored::CertificateError;
use super::threshold::{add_power, is_quorum};
use super::validator_set::ValidatorSet;
use super::verify::SignatureVerifier;
use super::vote_keeper::VoteKeeper;

/// The certificate for `value` at `(height, round)` from the precommits the keeper counted, in
/// validator-key order (so two nodes with the same votes build the same bytes).
pub(crate) fn build(
    keeper: &VoteKeeper,
    height: Height,
    round: Round,
    value: Hash,
) -> CommitCertificate {
    let signatures = keeper
        .votes_for(round, VoteKind::Precommit, Some(value))
        .map(|v| CommitSignature { validator: v.body.validator, signature: v.signature })
        .collect();
    CommitCertificate { height, round, block_hash: value, signatures }
}

/// Checks that `cert` proves a decision under `validators`: distinct members, more than two
/// thirds of the power, every signature valid. Cheap checks first: signatures are checked only
/// once the signers' power would suffice.
pub fn verify(
    cert: &CommitCertificate,
    validators: &ValidatorSet,
    chain: &ChainId,
    verifier: &dyn SignatureVerifier,
) -> Result<(), CertificateError> {
    if cert.signatures.len() > MAX_VALIDATORS {
        return Err(CertificateError::TooManySignatures(cert.signatures.len()));
    }
    let mut signers = BTreeSet::new();
    let mut power: u64 = 0;
    for s in &cert.signatures {
        if !signers.insert(s.validator) {
            return Err(CertificateError::DuplicateSigner(s.validator));
        }
        let p = validators
            .power_of(&s.validator)
            .ok_or(CertificateError::UnknownSigner(s.validator))?;
        power = add_power(power, p).unwrap_or(u64::MAX);
    }
    let total = validators.total_power();
    if !is_quorum(power, total) {
        return Err(CertificateError::InsufficientPower { power, total });
    }
    for vote in cert.votes() {
        verifier.verify_vote(chain, &vote).map_err(|error| CertificateError::BadSignature {
            validator: vote.body.validator,
            error,
        })?;
    }
    Ok(())
}
