//! Weights (economics.md §10): direct setting when commit-reveal is off; otherwise a hash commit
//! and a reveal in exactly the epoch `commit epoch + reveal_period_epochs`. Rate limits, permits,
//! duplicate and range checks, min allowed weights and the max weight limit.

use protocol::transaction::{WeightRow, weight_commitment};
use protocol::{Hash, NetUid, PublicKey, Uid};

use super::error::{LedgerError, TxError};
use super::events::Event;
use super::execute::Env;
use super::keys;
use super::records::{Commits, MAX_COMMITS, Neuron, Row, Subnet, WeightCommit};
use super::registration::{load_neuron, require_uid};
use super::state::Overlay;
use super::subnets::require_subnet;
use crate::yuma::max_upscale_u16;

/// Epoch index of block `t` (the legacy stateless schedule, §4.4): `⌊(t + netuid + 1)/(tempo + 1)⌋`.
pub fn epoch_index(height: u64, netuid: NetUid, tempo: u16) -> u64 {
    height.saturating_add(u64::from(netuid.0) + 1) / (u64::from(tempo) + 1)
}

/// Whether subnet `netuid`'s epoch runs at the end of block `t`: `(t + netuid + 1) mod (tempo + 1) = 0`.
pub fn epoch_due(height: u64, netuid: NetUid, tempo: u16) -> bool {
    tempo > 0 && height.saturating_add(u64::from(netuid.0) + 1).is_multiple_of(u64::from(tempo) + 1)
}

/// First block at which `neuron` may set or commit weights again.
pub fn next_weights_block(neuron: &Neuron, subnet: &Subnet) -> u64 {
    if neuron.last_update == 0 {
        return 0;
    }
    neuron.last_update.saturating_add(subnet.hyperparameters.weights_rate_limit)
}

fn rate_limit(env: &Env, neuron: &Neuron, subnet: &Subnet) -> Result<(), TxError> {
    let next = next_weights_block(neuron, subnet);
    if env.height < next {
        return Err(TxError::WeightsRateLimited {
            limit: subnet.hyperparameters.weights_rate_limit,
            next,
        });
    }
    Ok(())
}

/// The checks of subtensor's `internal_set_weights` after rate limiting, in its order; returns the
/// row to store (ascending uids, max-upscaled).
fn check_row(
    subnet: &Subnet,
    uid: Uid,
    neuron: &Neuron,
    weights: &WeightRow,
) -> Result<Row, TxError> {
    let n = subnet.n;
    let hp = &subnet.hyperparameters;
    if weights.len() > usize::from(n) {
        return Err(TxError::TooManyWeights { got: weights.len(), n });
    }
    let self_weight = weights.len() == 1 && weights[0].0 == uid.0;
    let owner = neuron.hotkey == subnet.owner_hotkey;
    if !self_weight && !owner && !neuron.validator_permit {
        return Err(TxError::NoValidatorPermit(uid));
    }
    let mut sorted = weights.clone();
    sorted.sort_unstable_by_key(|(u, _)| *u);
    if let Some(w) = sorted.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(TxError::DuplicateUid(w[0].0));
    }
    if let Some((u, _)) = sorted.iter().find(|(u, _)| *u >= n) {
        return Err(TxError::UnknownUid { uid: *u, n });
    }
    let min = usize::from(hp.min_allowed_weights.min(n));
    if !self_weight && sorted.len() < min {
        return Err(TxError::TooFewWeights { got: sorted.len(), min });
    }
    let limit = hp.max_weight_limit;
    if limit < u16::MAX && !self_weight {
        let sum: u64 = sorted.iter().map(|(_, w)| u64::from(*w)).sum();
        let max = sorted.iter().map(|(_, w)| u64::from(*w)).max().unwrap_or(0);
        if sum > 0 && max * 65_535 > u64::from(limit) * sum {
            return Err(TxError::MaxWeightExceeded(limit));
        }
    }
    let values: Vec<u16> = sorted.iter().map(|(_, w)| *w).collect();
    let upscaled = max_upscale_u16(&values);
    Ok(Row(sorted.iter().map(|(u, _)| *u).zip(upscaled).collect()))
}

fn store_row(st: &mut Overlay, netuid: NetUid, uid: Uid, row: &Row) {
    if row.0.is_empty() {
        st.delete(keys::weights(netuid, uid));
    } else {
        st.write(keys::weights(netuid, uid), row);
    }
}

struct Setter {
    subnet: Subnet,
    uid: Uid,
    neuron: Neuron,
}

fn setter(
    st: &Overlay,
    netuid: NetUid,
    hotkey: &PublicKey,
    reveal: bool,
) -> Result<Setter, TxError> {
    let subnet = require_subnet(st, netuid)?;
    let cr = subnet.hyperparameters.commit_reveal_enabled;
    if cr && !reveal {
        return Err(TxError::WrongWeightsMode("on", "CommitWeights then RevealWeights"));
    }
    if !cr && reveal {
        return Err(TxError::WrongWeightsMode("off", "SetWeights"));
    }
    let uid = require_uid(st, netuid, hotkey)?;
    let neuron = load_neuron(st, netuid, uid)?;
    Ok(Setter { subnet, uid, neuron })
}

/// `SetWeights` (commit-reveal off). The version key is accepted as is: tau has no
/// `WeightsVersionKey` hyperparameter (ADR 006).
pub fn set_weights(
    st: &mut Overlay,
    env: &Env,
    hotkey: &PublicKey,
    netuid: NetUid,
    weights: &WeightRow,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    let Setter { subnet, uid, mut neuron } = setter(st, netuid, hotkey, false)?;
    rate_limit(env, &neuron, &subnet)?;
    let row = check_row(&subnet, uid, &neuron, weights)?;
    store_row(st, netuid, uid, &row);
    neuron.last_update = env.height;
    st.write(keys::neuron(netuid, uid), &neuron);
    events.push(Event::WeightsSet { netuid, uid });
    Ok(())
}

pub fn load_commits(st: &Overlay, netuid: NetUid, uid: Uid) -> Result<Commits, LedgerError> {
    st.read_or_default(&keys::commits(netuid, uid))
}

/// `CommitWeights`: queue a commitment tagged with the current epoch; rate-limited like setting.
pub fn commit_weights(
    st: &mut Overlay,
    env: &Env,
    hotkey: &PublicKey,
    netuid: NetUid,
    commitment: Hash,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    let Setter { subnet, uid, mut neuron } = setter(st, netuid, hotkey, true)?;
    rate_limit(env, &neuron, &subnet)?;
    let hp = &subnet.hyperparameters;
    let now = epoch_index(env.height, netuid, hp.tempo);
    let mut commits = load_commits(st, netuid, uid)?;
    commits.0.retain(|c| c.epoch.saturating_add(hp.reveal_period_epochs) >= now);
    if commits.0.len() >= MAX_COMMITS {
        return Err(TxError::TooManyCommits(MAX_COMMITS));
    }
    commits.0.push(WeightCommit { commitment, epoch: now, block: env.height });
    st.write(keys::commits(netuid, uid), &commits);
    neuron.last_update = env.height;
    st.write(keys::neuron(netuid, uid), &neuron);
    events.push(Event::WeightsCommitted { netuid, uid });
    Ok(())
}

/// `RevealWeights`: only a reveal that hashes to a queued commitment, in its reveal epoch, counts.
/// It removes that commitment and every older one, then stores the weights after the usual checks.
#[allow(clippy::too_many_arguments)]
pub fn reveal_weights(
    st: &mut Overlay,
    env: &Env,
    hotkey: &PublicKey,
    netuid: NetUid,
    weights: &WeightRow,
    salt: &[u8; 32],
    version_key: u64,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    let Setter { subnet, uid, neuron } = setter(st, netuid, hotkey, true)?;
    let hp = &subnet.hyperparameters;
    let mut commits = load_commits(st, netuid, uid)?;
    let hash = weight_commitment(hotkey, netuid, weights, salt, version_key);
    let at = commits.0.iter().position(|c| c.commitment == hash).ok_or(TxError::RevealMismatch)?;
    let now = epoch_index(env.height, netuid, hp.tempo);
    let due = commits.0[at].epoch.saturating_add(hp.reveal_period_epochs);
    if now < due {
        return Err(TxError::RevealTooEarly { allowed: due, now });
    }
    if now > due {
        return Err(TxError::RevealExpired { expired: due });
    }
    let row = check_row(&subnet, uid, &neuron, weights)?;
    commits.0.drain(..=at);
    if commits.0.is_empty() {
        st.delete(keys::commits(netuid, uid));
    } else {
        st.write(keys::commits(netuid, uid), &commits);
    }
    store_row(st, netuid, uid, &row);
    events.push(Event::WeightsRevealed { netuid, uid });
    Ok(())
}
