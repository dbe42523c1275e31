//! The Tendermint rules ("The latest gossip on BFT consensus", Buchman, Kwon, Milosevic 2018,
//! Algorithm 1), evaluated to a fixed point after every input. Line numbers refer to the paper.
//!
//! Deviations, each for a stated reason:
//! - `getValue()` and `valid(v)` are asynchronous host calls (effects answered by inputs); rules
//!   that need `valid(v)` wait for the verdict. The proposer therefore also schedules the propose
//!   timeout, in case its host never answers.
//! - Line 49 decides on a precommit quorum for `v` even without the proposal or a verdict: the
//!   quorum contains honest validators that checked `v` (same reasoning as catch-up from a
//!   certificate). The decision then carries no block and the host fetches it by sync.
//! - Line 55 counts the distinct voters (prevotes and precommits) of a higher round, not
//!   proposals, and jumps to the highest such round.
//! - Own messages of the current round are re-sent on a timer, standing in for the gossip layer's
//!   eventual delivery that the paper assumes (partitions and drops lose messages for good).

use protocol::{Block, CommitCertificate, ConsensusMessage, Hash, Proposal, Round, Vote, VoteKind};

use super::certificate;
use super::effect::Effect;
use super::engine::Engine;
use super::input::{Timeout, TimeoutKind};
use super::safety::{self, Lock, Permit, SafetyRecord, Signed, Step};

/// Bound on rule firings per input: each firing advances the step or sets a once-flag, so a
/// handful suffice; the bound turns a logic bug into a stall instead of a hang.
const MAX_FIRINGS: usize = 64;

impl Engine {
    /// Fires every rule whose condition holds, until none does.
    pub(crate) fn run_rules(&mut self, out: &mut Vec<Effect>) {
        for _ in 0..MAX_FIRINGS {
            if !self.fire_one(out) {
                return;
            }
        }
    }

    /// Fires the first applicable rule; false if none applies.
    fn fire_one(&mut self, out: &mut Vec<Effect>) -> bool {
        let Some(s) = self.state.as_mut() else { return false };
        if s.decided {
            return false;
        }
        // Line 49: a precommit quorum for a value in any round decides.
        if let Some((round, value)) = s.keeper.precommit_quorum() {
            let cert = certificate::build(&s.keeper, s.height, round, value);
            self.decide(cert, out);
            return true;
        }
        // Line 55: more than a third of the power is in a higher round: join it.
        if let Some(round) = s.keeper.skip_round_above(s.round) {
            self.start_round(round, out);
            return true;
        }
        let round = s.round;
        let proposal = s.proposals.get(&round).map(|p| (p.body.block_hash, p.body.pol_round));
        if s.step == Step::Propose
            && let Some((v, pol_round)) = proposal
        {
            let verdict = s.verdict(&v);
            match pol_round {
                // Line 22: a fresh proposal.
                None => {
                    if let Some(valid) = verdict {
                        let ok = valid && s.locked.is_none_or(|l| l.value == v);
                        self.prevote(ok.then_some(v), out);
                        return true;
                    }
                }
                // Line 28: a re-proposal justified by a polka in round `vr`.
                Some(vr) => {
                    if vr < round
                        && s.keeper.is_quorum_for(vr, VoteKind::Prevote, Some(v))
                        && let Some(valid) = verdict
                    {
                        let ok = valid && s.locked.is_none_or(|l| l.round <= vr || l.value == v);
                        self.prevote(ok.then_some(v), out);
                        return true;
                    }
                }
            }
        }
        // Line 34.
        if s.step == Step::Prevote
            && !s.flags.prevote_timeout
            && s.keeper.is_quorum_any(round, VoteKind::Prevote)
        {
            s.flags.prevote_timeout = true;
            out.push(self.timer(TimeoutKind::Prevote));
            return true;
        }
        // Line 36: a polka for this round's valid proposal.
        if s.step >= Step::Prevote
            && !s.flags.polka
            && let Some((v, _)) = proposal
            && s.verdict(&v) == Some(true)
            && s.keeper.is_quorum_for(round, VoteKind::Prevote, Some(v))
        {
            s.flags.polka = true;
            s.valid = Some(Lock { round, value: v });
            if s.step == Step::Prevote {
                s.locked = Some(Lock { round, value: v });
                self.precommit(Some(v), out);
            }
            return true;
        }
        // Line 44: a polka for nil.
        if s.step == Step::Prevote && s.keeper.is_quorum_for(round, VoteKind::Prevote, None) {
            self.precommit(None, out);
            return true;
        }
        // Line 47.
        if !s.flags.precommit_timeout && s.keeper.is_quorum_any(round, VoteKind::Precommit) {
            s.flags.precommit_timeout = true;
            out.push(self.timer(TimeoutKind::Precommit));
            return true;
        }
        false
    }

    /// Lines 11-21: enter `round` of the current height.
    pub(crate) fn start_round(&mut self, round: Round, out: &mut Vec<Effect>) {
        let me = self.me;
        let Some(s) = self.state.as_mut() else { return };
        s.round = round;
        s.step = Step::Propose;
        s.flags = Default::default();
        s.own = Default::default();
        let proposer = s.proposer(round);
        let is_validator = s.my_power.is_some();
        let height = s.height;
        let reproposal = s.valid.and_then(|l| s.block(&l.value).cloned().map(|b| (l.round, b)));
        out.push(self.timer(TimeoutKind::Propose));
        out.push(self.timer(TimeoutKind::Rebroadcast));
        if is_validator && proposer == me {
            if let Some(s) = self.state.as_mut() {
                s.flags.proposing = true;
            }
            match reproposal {
                Some((valid_round, block)) => self.propose(block, Some(valid_round), out),
                None => out.push(Effect::RequestValue { height, round }),
            }
        }
    }

    /// Picks up a height this validator already signed in before a restart: same round, same
    /// step, same lock, and its last vote re-sent (it may never have left the process).
    pub(crate) fn resume(&mut self, record: SafetyRecord, out: &mut Vec<Effect>) {
        let Some(s) = self.state.as_mut() else { return };
        s.round = record.round;
        s.step = record.step;
        s.locked = record.locked;
        if let (Some(lock), Some(proof)) = (record.locked, record.lock_proof)
            && proof.block.hash() == lock.value
        {
            // Our own persisted data, checked when it was counted: no signature checks.
            for vote in proof.prevotes {
                let b = &vote.body;
                if b.height == s.height
                    && b.round == lock.round
                    && b.value == Some(lock.value)
                    && let Some(power) = s.validators.power_of(&b.validator)
                {
                    s.keeper.add(vote, power);
                }
            }
            s.verdicts.insert(lock.value, true);
            s.valid = Some(lock);
            s.restored_block = Some(proof.block);
        }
        let votes = match record.signed {
            Signed::Vote(vote) => record.prevote.into_iter().chain([vote]).collect(),
            // The block is gone with the crash; the round proceeds without it.
            Signed::Proposal { .. } => {
                s.flags.proposing = true;
                Vec::new()
            }
        };
        for vote in votes {
            if vote.body.height != s.height || vote.body.round != s.round {
                continue;
            }
            if let Some(power) = s.my_power {
                s.keeper.add(vote.clone(), power);
            }
            match vote.body.kind {
                VoteKind::Prevote => s.own.prevote = Some(vote.clone()),
                VoteKind::Precommit => s.own.precommit = Some(vote.clone()),
            }
            out.push(Effect::Broadcast(ConsensusMessage::Vote(vote)));
        }
        out.push(self.timer(TimeoutKind::Propose));
        out.push(self.timer(TimeoutKind::Rebroadcast));
    }

    /// Signs and sends a proposal for the current round (lines 14-19), unless the high-water
    /// mark forbids it.
    pub(crate) fn propose(
        &mut self,
        block: Block,
        pol_round: Option<Round>,
        out: &mut Vec<Effect>,
    ) {
        let Some(s) = self.state.as_mut() else { return };
        let (height, round) = (s.height, s.round);
        let hash = block.hash();
        let permit =
            safety::permits(self.safety.as_ref(), height, round, Step::Propose, Some(hash));
        if permit == Permit::Refuse {
            return;
        }
        let proposal = Proposal::sign(&self.keypair, &self.config.chain, round, pol_round, block);
        if permit == Permit::Fresh {
            let record = SafetyRecord {
                height,
                round,
                step: Step::Propose,
                signed: Signed::Proposal {
                    body: proposal.body.clone(),
                    signature: proposal.signature,
                },
                prevote: None,
                locked: s.locked,
                lock_proof: s.lock_proof(),
            };
            self.safety = Some(record.clone());
            out.push(Effect::PersistSafety(record));
        }
        // The host built (or already validated) this block: no need to ask about it.
        s.verdicts.insert(hash, true);
        s.proposals.insert(round, proposal.clone());
        s.own.proposal = Some(proposal.clone());
        self.broadcast_proposal(proposal, out);
    }

    /// Sends a proposal; a re-proposal goes out with the prevotes of its POL round, so that
    /// peers who missed some of them (an equivocator showed them the other vote, a partition
    /// dropped them) can check the justification (line 28) instead of stalling.
    pub(crate) fn broadcast_proposal(&self, proposal: Proposal, out: &mut Vec<Effect>) {
        let pol = proposal.body.pol_round.zip(Some(proposal.body.block_hash));
        out.push(Effect::Broadcast(ConsensusMessage::Proposal(Box::new(proposal))));
        if let (Some((vr, v)), Some(s)) = (pol, self.state.as_ref()) {
            let votes = s.keeper.votes_for(vr, VoteKind::Prevote, Some(v)).cloned();
            out.extend(votes.map(|vote| Effect::Broadcast(ConsensusMessage::Vote(vote))));
        }
    }

    pub(crate) fn prevote(&mut self, value: Option<Hash>, out: &mut Vec<Effect>) {
        if let Some(s) = self.state.as_mut() {
            s.step = Step::Prevote;
        }
        self.vote(VoteKind::Prevote, value, out);
    }

    /// The caller sets the lock first, so the persisted record carries it with the precommit.
    pub(crate) fn precommit(&mut self, value: Option<Hash>, out: &mut Vec<Effect>) {
        if let Some(s) = self.state.as_mut() {
            s.step = Step::Precommit;
        }
        self.vote(VoteKind::Precommit, value, out);
    }

    /// Signs, persists, sends and counts this validator's vote, if the high-water mark allows.
    fn vote(&mut self, kind: VoteKind, value: Option<Hash>, out: &mut Vec<Effect>) {
        let Some(s) = self.state.as_mut() else { return };
        let Some(power) = s.my_power else { return };
        let (height, round, step) = (s.height, s.round, Step::of_vote(kind));
        let vote = match safety::permits(self.safety.as_ref(), height, round, step, value) {
            Permit::Refuse => return,
            Permit::Repeat(Signed::Vote(v)) => v,
            Permit::Repeat(Signed::Proposal { .. }) => return,
            Permit::Fresh => {
                let vote =
                    Vote::sign(&self.keypair, &self.config.chain, kind, height, round, value);
                let record = SafetyRecord {
                    height,
                    round,
                    step,
                    signed: Signed::Vote(vote.clone()),
                    prevote: match kind {
                        VoteKind::Precommit => s.own.prevote.clone(),
                        VoteKind::Prevote => None,
                    },
                    locked: s.locked,
                    lock_proof: s.lock_proof(),
                };
                self.safety = Some(record.clone());
                // Persist before broadcast: the order of this Vec is the contract.
                out.push(Effect::PersistSafety(record));
                vote
            }
        };
        out.push(Effect::Broadcast(ConsensusMessage::Vote(vote.clone())));
        match kind {
            VoteKind::Prevote => s.own.prevote = Some(vote.clone()),
            VoteKind::Precommit => s.own.precommit = Some(vote.clone()),
        }
        s.keeper.add(vote, power);
    }

    /// Ends the height with `certificate` (line 49, or catch-up).
    pub(crate) fn decide(&mut self, certificate: CommitCertificate, out: &mut Vec<Effect>) {
        let Some(s) = self.state.as_mut() else { return };
        s.decided = true;
        let block = s.block(&certificate.block_hash).cloned().map(Box::new);
        out.push(Effect::Decide { certificate, block });
    }

    /// A timer of `kind` for the current height and round.
    pub(crate) fn timer(&self, kind: TimeoutKind) -> Effect {
        let (height, round) = self.state.as_ref().map(|s| (s.height, s.round)).unwrap_or_default();
        Effect::ScheduleTimeout {
            timeout: Timeout { height, round, kind },
            after_ms: self.config.timeouts.duration(kind, round),
        }
    }
}
