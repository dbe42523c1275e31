//! Ledger (BFT) validators: hotkeys opt in; the top `max_ledger_validators` by root stake form
//! the set, with voting power = stake, taking over `validator_set_delay` blocks after the block
//! that decided it (design.md §6). Equivocation evidence burns a slice of the offender's root stake
//! and jails it.

use protocol::consensus::{EquivocationEvidence, ValidatorInfo, VoteKind};
use protocol::{Height, NetUid, PublicKey, Rao};

use super::accounts::record_burn;
use super::error::{LedgerError, TxError};
use super::events::Event;
use super::execute::Env;
use super::keys;
use super::records::{EvidenceSeen, LedgerValidator, ScheduledSet, ValidatorSetRecord};
use super::staking::{load_hotkey, slash_pool, stake_pool};
use super::state::Overlay;

/// Share of root stake burned per proven equivocation, per mille (5%).
pub const SLASH_PER_MILLE: u64 = 50;
/// Blocks a jailed validator must wait before opting in again (one day at 12 s blocks).
pub const JAIL_BLOCKS: u64 = 7_200;

/// A set decided by a block, and the first height it votes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSetChange {
    pub effective: Height,
    pub validators: Vec<ValidatorInfo>,
}

/// `OptInValidator`: signed by a known hotkey; lifts an expired jail.
pub fn opt_in(
    st: &mut Overlay,
    env: &Env,
    hotkey: &PublicKey,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    load_hotkey(st, hotkey)?.ok_or(TxError::UnknownHotkey(*hotkey))?;
    let rec = match st.read::<LedgerValidator>(&keys::ledger_validator(hotkey))? {
        Some(LedgerValidator { jailed_until: Some(until), .. }) if until > env.height => {
            return Err(TxError::Jailed(*hotkey, until));
        }
        Some(r) => LedgerValidator { jailed_until: None, ..r },
        None => LedgerValidator { opted_in_at: env.height, jailed_until: None },
    };
    st.write(keys::ledger_validator(hotkey), &rec);
    events.push(Event::ValidatorOptedIn { hotkey: *hotkey });
    Ok(())
}

fn kind_byte(kind: VoteKind) -> u8 {
    match kind {
        VoteKind::Prevote => 0,
        VoteKind::Precommit => 1,
    }
}

/// `SubmitEvidence`: two conflicting votes by one opted-in validator. Each offence is punished once.
pub fn submit_evidence(
    st: &mut Overlay,
    env: &Env,
    evidence: &EquivocationEvidence,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    evidence.verify(&env.cfg.chain_id).map_err(|e| TxError::BadEvidence(e.to_string()))?;
    let vote = &evidence.first.body;
    if vote.height.0 > env.height {
        return Err(TxError::BadEvidence("votes are for a height not yet reached".into()));
    }
    let offender = evidence.offender();
    let key = keys::ledger_validator(&offender);
    let mut rec = st.read::<LedgerValidator>(&key)?.ok_or(TxError::NotLedgerValidator(offender))?;
    let seen = keys::evidence(&offender, vote.height, vote.round.0, kind_byte(vote.kind));
    if st.get_raw(&seen).is_some() {
        return Err(TxError::DuplicateEvidence);
    }
    let burned = slash_pool(st, &offender, NetUid::ROOT, SLASH_PER_MILLE)?;
    record_burn(st, Rao(burned))?;
    let until = env.height.saturating_add(JAIL_BLOCKS);
    rec.jailed_until = Some(until);
    st.write(key, &rec);
    st.write(seen, &EvidenceSeen(Height(env.height)));
    events.push(Event::ValidatorSlashed { offender, burned: Rao(burned), jailed_until: until });
    Ok(())
}

/// The set the state elects now: opted in, not jailed, positive root stake; top by stake (ties by
/// key), sorted by key.
pub fn elect(st: &Overlay, env: &Env) -> Result<Vec<ValidatorInfo>, LedgerError> {
    let mut cands = Vec::new();
    for (k, rec) in st.prefix_read::<LedgerValidator>(&keys::ledger_validator_prefix())? {
        if rec.jailed_until.is_some_and(|u| u > env.height) {
            continue;
        }
        let hk = keys::ledger_validator_hotkey(&k).ok_or(LedgerError::Missing("validator key"))?;
        let power = stake_pool(st, &hk, NetUid::ROOT)?.value;
        if power > 0 {
            cands.push(ValidatorInfo { key: hk, power });
        }
    }
    cands.sort_by(|a, b| b.power.cmp(&a.power).then(a.key.cmp(&b.key)));
    cands.truncate(usize::from(env.cfg.consensus.max_ledger_validators));
    cands.sort_by_key(|v| v.key);
    Ok(cands)
}

/// The set in force now (`since` ≤ next height) and any later scheduled sets, in height order.
pub fn current_set(st: &Overlay) -> Result<ValidatorSetRecord, LedgerError> {
    st.read(keys::VALIDATOR_SET)?.ok_or(LedgerError::Missing("validator set"))
}

fn scheduled(st: &Overlay) -> Result<Vec<(Height, ScheduledSet)>, LedgerError> {
    st.prefix_read::<ScheduledSet>(&keys::scheduled_set_prefix())?
        .into_iter()
        .map(|(k, s)| {
            Ok((keys::scheduled_set_height(&k).ok_or(LedgerError::Missing("height"))?, s))
        })
        .collect()
}

/// Begin-block step: scheduled sets whose height has come become the set in force.
pub fn promote(st: &mut Overlay, env: &Env) -> Result<(), LedgerError> {
    for (h, set) in scheduled(st)? {
        if h.0 > env.height {
            break;
        }
        st.write(keys::VALIDATOR_SET.to_vec(), &ValidatorSetRecord { since: h, validators: set.0 });
        st.delete(keys::scheduled_set(h));
    }
    Ok(())
}

/// End-block step: if the elected set differs from the latest one in force or scheduled, schedule
/// it `validator_set_delay` (at least 1) blocks ahead. An empty election changes nothing: a chain
/// without validators could not continue.
pub fn schedule_change(
    st: &mut Overlay,
    env: &Env,
    events: &mut Vec<Event>,
) -> Result<Option<ValidatorSetChange>, LedgerError> {
    let elected = elect(st, env)?;
    if elected.is_empty() {
        return Ok(None);
    }
    let latest = match scheduled(st)?.pop() {
        Some((_, s)) => s.0,
        None => current_set(st)?.validators,
    };
    if elected == latest {
        return Ok(None);
    }
    let effective = Height(env.height.saturating_add(env.cfg.consensus.validator_set_delay.max(1)));
    st.write(keys::scheduled_set(effective), &ScheduledSet(elected.clone()));
    events.push(Event::ValidatorSetScheduled { effective, size: elected.len() });
    Ok(Some(ValidatorSetChange { effective, validators: elected }))
}
