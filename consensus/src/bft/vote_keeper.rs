//! Stake-weighted tallies of one height's votes, per (round, kind, value), and equivocation
//! detection.
//!
//! A validator's first vote in a (round, kind) slot counts everywhere. A different vote for the
//! same slot is an equivocation, reported once as [`EquivocationEvidence`]; it still counts for
//! its own value (up to [`MAX_VALUES_PER_SLOT`] values per slot, to bound memory) but not again in
//! the "any value" tallies and the round-skip participation, which count distinct validators.
//!
//! Why count it at all: the paper counts messages per value from distinct senders, and a quorum
//! for one value is still a set of distinct signers of that value, so two quorums for different
//! values still share an honest validator (safety is unchanged). Counting only the first vote
//! instead lets an equivocator show half the network a polka the other half can never confirm,
//! which stalls rounds forever (the simulator found this).
//! Callers check signatures and membership before adding; the keeper only counts.

use std::collections::{BTreeMap, BTreeSet};

use protocol::{EquivocationEvidence, Hash, PublicKey, Round, Vote, VoteKind};

use super::threshold::{add_power, is_one_third_plus, is_quorum};

/// Most distinct values one validator's votes count for in one (round, kind) slot.
pub const MAX_VALUES_PER_SLOT: usize = 3;

/// What adding a vote did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddOutcome {
    /// A new vote, counted.
    Counted,
    /// The same vote again: nothing changed.
    Duplicate,
    /// A different vote for a slot the validator already voted in. Counted for its value if
    /// the slot has room (`counted`). Carries the evidence the first time this validator is
    /// caught in this slot.
    Equivocation { evidence: Option<Box<EquivocationEvidence>>, counted: bool },
}

#[derive(Debug, Clone, Default)]
struct RoundVotes {
    /// Each validator's votes per kind: the first, then conflicting ones.
    votes: BTreeMap<(VoteKind, PublicKey), Vec<Vote>>,
    /// Power per (kind, value); `None` is nil.
    tallies: BTreeMap<(VoteKind, Option<Hash>), u64>,
    /// Power of all counted votes of a kind, whatever their value.
    any: BTreeMap<VoteKind, u64>,
    /// Power of the distinct validators with any vote in the round (for the round skip).
    voters: BTreeSet<PublicKey>,
    participation: u64,
}

/// The votes of one height.
#[derive(Debug, Clone)]
pub struct VoteKeeper {
    total: u64,
    rounds: BTreeMap<Round, RoundVotes>,
    reported: BTreeSet<(PublicKey, Round, VoteKind)>,
    /// (round, value) pairs with a precommit quorum: the decision rule scans only these.
    precommit_quorums: BTreeSet<(Round, Hash)>,
    /// Rounds where more than a third of the power has voted (either kind).
    skip_rounds: BTreeSet<Round>,
}

impl VoteKeeper {
    /// A keeper for a set whose total power is `total`.
    pub fn new(total: u64) -> VoteKeeper {
        VoteKeeper {
            total,
            rounds: BTreeMap::new(),
            reported: BTreeSet::new(),
            precommit_quorums: BTreeSet::new(),
            skip_rounds: BTreeSet::new(),
        }
    }

    /// Adds a vote (already verified, from a member of power `power`).
    pub fn add(&mut self, vote: Vote, power: u64) -> AddOutcome {
        let b = &vote.body;
        let (round, kind, validator, value) = (b.round, b.kind, b.validator, b.value);
        let votes = self.rounds.entry(round).or_default();
        let slot = votes.votes.entry((kind, validator)).or_default();
        if slot.iter().any(|v| v.body == vote.body) {
            return AddOutcome::Duplicate;
        }
        if let Some(first) = slot.first() {
            let evidence = if self.reported.insert((validator, round, kind)) {
                Some(Box::new(EquivocationEvidence::new(first.clone(), vote.clone())))
            } else {
                None
            };
            let counted = slot.len() < MAX_VALUES_PER_SLOT;
            if counted {
                slot.push(vote);
                let tally = votes.tallies.entry((kind, value)).or_insert(0);
                *tally = add_power(*tally, power).unwrap_or(u64::MAX);
                let tally = *tally;
                self.note_precommit_quorum(kind, round, value, tally);
            }
            return AddOutcome::Equivocation { evidence, counted };
        }
        slot.push(vote);
        let tally = votes.tallies.entry((kind, value)).or_insert(0);
        *tally = add_power(*tally, power).unwrap_or(u64::MAX);
        let tally = *tally;
        let any = votes.any.entry(kind).or_insert(0);
        *any = add_power(*any, power).unwrap_or(u64::MAX);
        if votes.voters.insert(validator) {
            votes.participation = add_power(votes.participation, power).unwrap_or(u64::MAX);
        }
        let participation = votes.participation;
        self.note_precommit_quorum(kind, round, value, tally);
        if is_one_third_plus(participation, self.total) {
            self.skip_rounds.insert(round);
        }
        AddOutcome::Counted
    }

    fn note_precommit_quorum(
        &mut self,
        kind: VoteKind,
        round: Round,
        value: Option<Hash>,
        tally: u64,
    ) {
        if kind == VoteKind::Precommit
            && let Some(v) = value
            && is_quorum(tally, self.total)
        {
            self.precommit_quorums.insert((round, v));
        }
    }

    /// Whether this exact vote body is already held.
    pub fn contains(&self, body: &protocol::consensus::VoteBody) -> bool {
        self.rounds
            .get(&body.round)
            .and_then(|r| r.votes.get(&(body.kind, body.validator)))
            .is_some_and(|slot| slot.iter().any(|v| v.body == *body))
    }

    /// Power of the votes of `kind` in `round` for `value` (`None`: nil).
    pub fn power_for(&self, round: Round, kind: VoteKind, value: Option<Hash>) -> u64 {
        self.rounds.get(&round).and_then(|r| r.tallies.get(&(kind, value))).copied().unwrap_or(0)
    }

    /// Power of all votes of `kind` in `round`.
    pub fn power_any(&self, round: Round, kind: VoteKind) -> u64 {
        self.rounds.get(&round).and_then(|r| r.any.get(&kind)).copied().unwrap_or(0)
    }

    /// More than 2/3 for `value` (2f+1 of the paper).
    pub fn is_quorum_for(&self, round: Round, kind: VoteKind, value: Option<Hash>) -> bool {
        is_quorum(self.power_for(round, kind, value), self.total)
    }

    /// More than 2/3 of any values (2f+1 `*` of the paper).
    pub fn is_quorum_any(&self, round: Round, kind: VoteKind) -> bool {
        is_quorum(self.power_any(round, kind), self.total)
    }

    /// The earliest (round, value) with a precommit quorum, if any.
    pub fn precommit_quorum(&self) -> Option<(Round, Hash)> {
        self.precommit_quorums.first().copied()
    }

    /// The highest round above `round` in which more than 1/3 of the power has voted.
    pub fn skip_round_above(&self, round: Round) -> Option<Round> {
        self.skip_rounds.last().copied().filter(|r| *r > round)
    }

    /// The counted votes of `kind` in `round` for `value`, in validator-key order.
    pub fn votes_for(
        &self,
        round: Round,
        kind: VoteKind,
        value: Option<Hash>,
    ) -> impl Iterator<Item = &Vote> + '_ {
        self.rounds.get(&round).into_iter().flat_map(move |r| {
            r.votes
                .iter()
                .filter(move |((k, _), _)| *k == kind)
                .flat_map(|(_, slot)| slot.iter())
                .filter(move |v| v.body.value == value)
        })
    }

    /// This validator's first vote of `kind` in `round`, if any.
    pub fn vote_of(&self, round: Round, kind: VoteKind, validator: &PublicKey) -> Option<&Vote> {
        self.rounds
            .get(&round)
            .and_then(|r| r.votes.get(&(kind, *validator)))
            .and_then(|s| s.first())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{ChainId, Height, Keypair};

    fn kp(i: u8) -> Keypair {
        Keypair::from_seed(&[i; 32])
    }

    fn chain() -> ChainId {
        ChainId::new("test").unwrap()
    }

    fn vote(i: u8, kind: VoteKind, round: u32, value: Option<Hash>) -> Vote {
        Vote::sign(&kp(i), &chain(), kind, Height(1), Round(round), value)
    }

    fn h(b: u8) -> Option<Hash> {
        Some(Hash([b; 32]))
    }

    #[test]
    fn tallies_per_round_kind_value() {
        let mut k = VoteKeeper::new(4);
        assert_eq!(k.add(vote(1, VoteKind::Prevote, 0, h(1)), 1), AddOutcome::Counted);
        assert_eq!(k.add(vote(2, VoteKind::Prevote, 0, h(1)), 1), AddOutcome::Counted);
        assert_eq!(k.add(vote(3, VoteKind::Prevote, 0, None), 1), AddOutcome::Counted);
        assert_eq!(k.add(vote(1, VoteKind::Precommit, 0, h(1)), 1), AddOutcome::Counted);
        assert_eq!(k.add(vote(1, VoteKind::Prevote, 1, h(2)), 1), AddOutcome::Counted);
        assert_eq!(k.power_for(Round(0), VoteKind::Prevote, h(1)), 2);
        assert_eq!(k.power_for(Round(0), VoteKind::Prevote, None), 1);
        assert_eq!(k.power_any(Round(0), VoteKind::Prevote), 3);
        assert_eq!(k.power_any(Round(0), VoteKind::Precommit), 1);
        assert_eq!(k.power_for(Round(1), VoteKind::Prevote, h(2)), 1);
        assert!(!k.is_quorum_for(Round(0), VoteKind::Prevote, h(1)));
        assert!(k.is_quorum_any(Round(0), VoteKind::Prevote));
        assert_eq!(k.add(vote(4, VoteKind::Prevote, 0, h(1)), 1), AddOutcome::Counted);
        assert!(k.is_quorum_for(Round(0), VoteKind::Prevote, h(1)));
        assert_eq!(k.votes_for(Round(0), VoteKind::Prevote, h(1)).count(), 3);
    }

    #[test]
    fn stake_weighted_quorum() {
        // One validator with 70 of 100 is not a quorum alone; with 1 more it is.
        let mut k = VoteKeeper::new(100);
        k.add(vote(1, VoteKind::Precommit, 0, h(9)), 66);
        assert_eq!(k.precommit_quorum(), None);
        k.add(vote(2, VoteKind::Precommit, 0, h(9)), 1);
        assert_eq!(k.precommit_quorum(), Some((Round(0), Hash([9; 32]))));
    }

    #[test]
    fn duplicates_do_not_count_twice() {
        let mut k = VoteKeeper::new(3);
        let v = vote(1, VoteKind::Prevote, 0, h(1));
        assert_eq!(k.add(v.clone(), 1), AddOutcome::Counted);
        assert_eq!(k.add(v, 1), AddOutcome::Duplicate);
        assert_eq!(k.power_for(Round(0), VoteKind::Prevote, h(1)), 1);
    }

    #[test]
    fn equivocation_yields_evidence_once_and_counts_per_value_only() {
        let mut k = VoteKeeper::new(3);
        let a = vote(1, VoteKind::Prevote, 0, h(1));
        let b = vote(1, VoteKind::Prevote, 0, None);
        let c = vote(1, VoteKind::Prevote, 0, h(3));
        let d = vote(1, VoteKind::Prevote, 0, h(4));
        assert_eq!(k.add(a.clone(), 1), AddOutcome::Counted);
        let AddOutcome::Equivocation { evidence: Some(e), counted: true } = k.add(b.clone(), 1)
        else {
            panic!("expected evidence");
        };
        assert_eq!(*e, EquivocationEvidence::new(a.clone(), b.clone()));
        assert!(e.verify(&chain()).is_ok());
        assert_eq!(e.offender(), kp(1).public());
        assert_eq!(k.add(b, 1), AddOutcome::Duplicate);
        assert_eq!(k.add(c, 1), AddOutcome::Equivocation { evidence: None, counted: true });
        // The slot is full: a fourth value is not counted.
        assert_eq!(k.add(d, 1), AddOutcome::Equivocation { evidence: None, counted: false });
        // Each value holds the equivocator once; "any" and participation hold it once in all.
        assert_eq!(k.power_for(Round(0), VoteKind::Prevote, h(1)), 1);
        assert_eq!(k.power_for(Round(0), VoteKind::Prevote, None), 1);
        assert_eq!(k.power_for(Round(0), VoteKind::Prevote, h(3)), 1);
        assert_eq!(k.power_for(Round(0), VoteKind::Prevote, h(4)), 0);
        assert_eq!(k.power_any(Round(0), VoteKind::Prevote), 1);
        assert_eq!(k.vote_of(Round(0), VoteKind::Prevote, &kp(1).public()), Some(&a));
    }

    #[test]
    fn different_kinds_or_rounds_are_not_equivocation() {
        let mut k = VoteKeeper::new(3);
        assert_eq!(k.add(vote(1, VoteKind::Prevote, 0, h(1)), 1), AddOutcome::Counted);
        assert_eq!(k.add(vote(1, VoteKind::Precommit, 0, None), 1), AddOutcome::Counted);
        assert_eq!(k.add(vote(1, VoteKind::Prevote, 1, h(2)), 1), AddOutcome::Counted);
    }

    #[test]
    fn skip_round_needs_more_than_a_third_of_distinct_power() {
        let mut k = VoteKeeper::new(9);
        k.add(vote(1, VoteKind::Prevote, 5, h(1)), 3);
        // The same validator's precommit adds no new participant.
        k.add(vote(1, VoteKind::Precommit, 5, h(1)), 3);
        assert_eq!(k.skip_round_above(Round(0)), None);
        k.add(vote(2, VoteKind::Precommit, 5, None), 1);
        assert_eq!(k.skip_round_above(Round(0)), Some(Round(5)));
        assert_eq!(k.skip_round_above(Round(5)), None);
    }
}
