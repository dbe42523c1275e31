//! The engine: owns one validator's consensus state and turns each [`Input`] into the
//! [`Effect`]s its host must carry out, or a typed [`Ignored`] reason.
//!
//! This file checks inputs (height, round window, membership, signatures) and routes them; the
//! Tendermint rules themselves are in `state_machine.rs`.
//!
//! Signing: the engine holds the node's [`Keypair`] and signs itself. ed25519 signing is
//! deterministic, so this adds no randomness, and it lets the high-water mark of the
//! [`SafetyRecord`] be checked and advanced in the same step as the signature (a separate signer
//! would need its own copy of that check, as CometBFT's privval has).

use std::sync::Arc;

use protocol::{
    Block, CommitCertificate, ConsensusMessage, Hash, Height, Keypair, Proposal, PublicKey, Round,
    Vote,
};

use super::buffer::FutureBuffer;
use super::certificate;
use super::config::EngineConfig;
use super::effect::Effect;
use super::ignored::Ignored;
use super::input::{Input, Timeout, TimeoutKind};
use super::round_state::HeightState;
use super::safety::{Lock, SafetyRecord, Step};
use super::validator_set::ValidatorSet;
use super::verify::{Ed25519Verifier, SignatureVerifier};
use super::vote_keeper::AddOutcome;

/// The result of one input: effects to carry out in order, or why nothing happened.
pub type Outcome = Result<Vec<Effect>, Ignored>;

pub struct Engine {
    pub(crate) config: EngineConfig,
    pub(crate) keypair: Keypair,
    pub(crate) me: PublicKey,
    pub(crate) verifier: Arc<dyn SignatureVerifier>,
    pub(crate) safety: Option<SafetyRecord>,
    pub(crate) state: Option<HeightState>,
    buffer: FutureBuffer,
}

impl core::fmt::Debug for Engine {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Engine")
            .field("me", &self.me)
            .field("height", &self.height())
            .field("round", &self.round())
            .field("step", &self.step())
            .finish_non_exhaustive()
    }
}

/// Where a message's height puts it relative to the height in progress.
enum Route {
    Current,
    Future,
    Reject(Ignored),
}

impl Engine {
    /// An engine for the validator `keypair`. Pass the last persisted [`SafetyRecord`] after a
    /// restart (`None` only for a validator that has never signed), then `Input::StartHeight`.
    pub fn new(config: EngineConfig, keypair: Keypair, safety: Option<SafetyRecord>) -> Engine {
        let me = keypair.public();
        Engine {
            config,
            keypair,
            me,
            verifier: Arc::new(Ed25519Verifier),
            safety,
            state: None,
            buffer: FutureBuffer::default(),
        }
    }

    /// Uses `verifier` for all signature checks (e.g. a shared [`super::CachingVerifier`]).
    pub fn with_verifier(mut self, verifier: Arc<dyn SignatureVerifier>) -> Engine {
        self.verifier = verifier;
        self
    }

    pub fn public_key(&self) -> PublicKey {
        self.me
    }

    pub fn height(&self) -> Option<Height> {
        self.state.as_ref().map(|s| s.height)
    }

    pub fn round(&self) -> Option<Round> {
        self.state.as_ref().map(|s| s.round)
    }

    pub fn step(&self) -> Option<Step> {
        self.state.as_ref().map(|s| s.step)
    }

    pub fn locked(&self) -> Option<Lock> {
        self.state.as_ref().and_then(|s| s.locked)
    }

    pub fn is_decided(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.decided)
    }

    pub fn safety_record(&self) -> Option<&SafetyRecord> {
        self.safety.as_ref()
    }

    /// Number of buffered future-height messages.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Processes one input. Never panics; unusable inputs come back as `Err(Ignored)`.
    pub fn handle(&mut self, input: Input) -> Outcome {
        match input {
            Input::StartHeight { height, validators } => self.start_height(height, validators),
            Input::Proposal(p) => match self.route(p.body.height) {
                Route::Current => self.on_proposal(p),
                Route::Future => Err(self.buffer_input(p.body.height, Input::Proposal(p))),
                Route::Reject(r) => Err(r),
            },
            Input::Vote(v) => match self.route(v.body.height) {
                Route::Current => self.on_vote(v),
                Route::Future => Err(self.buffer_input(v.body.height, Input::Vote(v))),
                Route::Reject(r) => Err(r),
            },
            Input::Commit(c) => match self.route(c.height) {
                Route::Current => self.on_commit(c),
                Route::Future => Err(self.buffer_input(c.height, Input::Commit(c))),
                Route::Reject(r) => Err(r),
            },
            Input::Timeout(t) => self.on_timeout(t),
            Input::ValueReady { height, round, block } => self.on_value(height, round, block),
            Input::BlockVerdict { height, block_hash, valid } => {
                self.on_verdict(height, block_hash, valid)
            }
        }
    }

    fn route(&self, height: Height) -> Route {
        let Some(s) = &self.state else { return Route::Future };
        if height < s.height {
            Route::Reject(Ignored::OldHeight { ours: s.height, theirs: height })
        } else if height > s.height {
            Route::Future
        } else if s.decided {
            Route::Reject(Ignored::AlreadyDecided(height))
        } else {
            Route::Current
        }
    }

    fn buffer_input(&mut self, height: Height, input: Input) -> Ignored {
        let current = self.height();
        let (ahead, max) = (self.config.max_future_heights, self.config.max_buffered);
        self.buffer.push(current, height, input, ahead, max)
    }

    fn start_height(&mut self, height: Height, validators: ValidatorSet) -> Outcome {
        if let Some(current) = self.height()
            && height <= current
        {
            return Err(Ignored::HeightNotIncreasing { current, requested: height });
        }
        self.state = Some(HeightState::new(height, validators, &self.me));
        let mut out = Vec::new();
        match self.safety.clone() {
            Some(record) if record.height == height => self.resume(record, &mut out),
            _ => self.start_round(Round(0), &mut out),
        }
        for input in self.buffer.take(height) {
            // Buffered inputs are judged now that the set is known; rejects are just dropped.
            if let Ok(effects) = self.handle(input) {
                out.extend(effects);
            }
        }
        self.run_rules(&mut out);
        Ok(out)
    }

    fn on_vote(&mut self, vote: Vote) -> Outcome {
        let lead = self.config.max_round_lead;
        let Some(s) = self.state.as_mut() else { return Err(Ignored::NotStarted) };
        let b = &vote.body;
        let Some(power) = s.validators.power_of(&b.validator) else {
            return Err(Ignored::NotAValidator { key: b.validator, height: s.height });
        };
        if !s.round_in_window(b.round, lead) {
            return Err(Ignored::RoundTooFar { ours: s.round, theirs: b.round });
        }
        // A vote already held needs no second signature check.
        if s.keeper.contains(b) {
            return Err(Ignored::Duplicate);
        }
        self.verifier.verify_vote(&self.config.chain, &vote).map_err(Ignored::BadSignature)?;
        let validator = vote.body.validator;
        let mut out = Vec::new();
        match s.keeper.add(vote, power) {
            AddOutcome::Counted => {}
            AddOutcome::Duplicate => return Err(Ignored::Duplicate),
            AddOutcome::Equivocation { evidence: Some(evidence), .. } => {
                out.push(Effect::Evidence(evidence));
            }
            AddOutcome::Equivocation { evidence: None, counted: true } => {}
            AddOutcome::Equivocation { evidence: None, counted: false } => {
                return Err(Ignored::Equivocation(validator));
            }
        }
        self.run_rules(&mut out);
        Ok(out)
    }

    fn on_proposal(&mut self, proposal: Proposal) -> Outcome {
        let lead = self.config.max_round_lead;
        let Some(s) = self.state.as_mut() else { return Err(Ignored::NotStarted) };
        let p = &proposal.body;
        let round = p.round;
        if !s.round_in_window(round, lead) {
            return Err(Ignored::RoundTooFar { ours: s.round, theirs: round });
        }
        let expected = s.proposer(round);
        if p.proposer != expected {
            return Err(Ignored::WrongProposer { round, expected, got: p.proposer });
        }
        if let Some(pol_round) = p.pol_round
            && pol_round >= round
        {
            return Err(Ignored::InvalidPolRound { round, pol_round });
        }
        if let Some(existing) = s.proposals.get(&round) {
            return Err(if existing.body == *p {
                Ignored::Duplicate
            } else {
                Ignored::ConflictingProposal { round }
            });
        }
        self.verifier
            .verify_proposal(&self.config.chain, &proposal)
            .map_err(Ignored::InvalidProposal)?;
        let mut out = Vec::new();
        let hash = proposal.body.block_hash;
        if s.verdict(&hash).is_none() && s.requested.insert(hash) {
            out.push(Effect::ValidateBlock {
                height: s.height,
                round,
                block: proposal.block.clone(),
            });
        }
        s.proposals.insert(round, proposal);
        self.run_rules(&mut out);
        Ok(out)
    }

    fn on_commit(&mut self, cert: CommitCertificate) -> Outcome {
        let Some(s) = self.state.as_mut() else { return Err(Ignored::NotStarted) };
        certificate::verify(&cert, &s.validators, &self.config.chain, self.verifier.as_ref())?;
        let mut out = Vec::new();
        // Its precommits may expose an equivocation against votes already counted.
        for vote in cert.votes() {
            let power = s.validators.power_of(&vote.body.validator).unwrap_or(0);
            if let AddOutcome::Equivocation { evidence: Some(e), .. } = s.keeper.add(vote, power) {
                out.push(Effect::Evidence(e));
            }
        }
        self.decide(cert, &mut out);
        Ok(out)
    }

    fn on_timeout(&mut self, t: Timeout) -> Outcome {
        let Some(s) = self.state.as_mut() else { return Err(Ignored::NotStarted) };
        if t.height != s.height || t.round != s.round || s.decided {
            return Err(Ignored::StaleTimeout);
        }
        let mut out = Vec::new();
        match t.kind {
            // Lines 57-64: nothing useful arrived in time; vote nil.
            TimeoutKind::Propose if s.step == Step::Propose => self.prevote(None, &mut out),
            TimeoutKind::Prevote if s.step == Step::Prevote => self.precommit(None, &mut out),
            // Lines 65-67.
            TimeoutKind::Precommit => {
                let Some(next) = s.round.0.checked_add(1) else {
                    return Err(Ignored::StaleTimeout);
                };
                self.start_round(Round(next), &mut out);
            }
            TimeoutKind::Rebroadcast => {
                let own = s.own.clone();
                if let Some(p) = own.proposal {
                    self.broadcast_proposal(p, &mut out);
                }
                let votes = [own.prevote, own.precommit];
                out.extend(
                    votes
                        .into_iter()
                        .flatten()
                        .map(|v| Effect::Broadcast(ConsensusMessage::Vote(v))),
                );
                out.push(self.timer(TimeoutKind::Rebroadcast));
            }
            _ => return Err(Ignored::StaleTimeout),
        }
        self.run_rules(&mut out);
        Ok(out)
    }

    fn on_value(&mut self, height: Height, round: Round, block: Block) -> Outcome {
        let Some(s) = self.state.as_mut() else { return Err(Ignored::NotStarted) };
        if block.header.height != height {
            return Err(Ignored::ValueHeightMismatch { height, block: block.header.height });
        }
        let wanted = height == s.height
            && round == s.round
            && s.step == Step::Propose
            && !s.decided
            && s.flags.proposing
            && s.own.proposal.is_none();
        if !wanted {
            return Err(Ignored::StaleValue { height, round });
        }
        let mut out = Vec::new();
        self.propose(block, None, &mut out);
        self.run_rules(&mut out);
        Ok(out)
    }

    fn on_verdict(&mut self, height: Height, hash: Hash, valid: bool) -> Outcome {
        let Some(s) = self.state.as_mut() else { return Err(Ignored::NotStarted) };
        if height != s.height || !s.requested.contains(&hash) || s.verdicts.contains_key(&hash) {
            return Err(Ignored::UnrequestedVerdict);
        }
        s.verdicts.insert(hash, valid);
        let mut out = Vec::new();
        self.run_rules(&mut out);
        Ok(out)
    }
}
