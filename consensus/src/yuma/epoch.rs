//! One Yuma Consensus epoch of one subnet (economics.md §5), as a pure function.
//!
//! The operation order and the fixed-point widths follow subtensor's sparse
//! `epoch_mechanism` (§5 "Widths") so the §12 vectors come out bit for bit.

use fixed::types::{I32F32, I96F32};

use super::bonds::{self, BondInputs, LiquidAlpha};
use super::math::{
    Row, ZERO, col_clip, col_weighted_sums, interpolate, normalize, normalize_by,
    proportion_to_u16, row_normalize, row_sums, stake_proportions, sum, top_k_nonzero,
    u16_proportion, weighted_median_cols,
};
use super::types::{
    BondsUpdate, EpochError, EpochInput, EpochOutput, MAX_BONDS_MOVING_AVERAGE, MAX_NEURONS,
    NeuronEpochOutput, NeuronEpochState,
};

/// Runs one epoch. Deterministic, allocation-bounded by the input, never panics.
///
/// Out-of-range uids in weight or bond rows are ignored (as subtensor does); a uid repeated
/// within one row is rejected, since its meaning would depend on storage order.
pub fn run_epoch(input: &EpochInput) -> Result<EpochOutput, EpochError> {
    let neurons = &input.neurons;
    let n = neurons.len();
    if n > MAX_NEURONS {
        return Err(EpochError::TooManyNeurons { n });
    }
    if input.bonds_moving_average > MAX_BONDS_MOVING_AVERAGE {
        return Err(EpochError::BondsMovingAverageOutOfRange(input.bonds_moving_average));
    }
    let stored_weights = parse_rows(neurons, n, |nr| &nr.weights, I32F32::saturating_from_num)
        .map_err(|(row, uid)| EpochError::DuplicateWeight { row, uid })?;
    // Classic bonds are read as raw integers (only column ratios matter); Yuma3 bonds as
    // absolute fractions of 65535.
    let bond_value: fn(u16) -> I32F32 =
        if input.yuma3 { u16_proportion } else { I32F32::saturating_from_num };
    let stored_bonds = parse_rows(neurons, n, |nr| &nr.bonds, bond_value)
        .map_err(|(row, uid)| EpochError::DuplicateBond { row, uid })?;
    let owner = input.owner_uid.map(usize::from).filter(|o| *o < n);

    // Step 1: activity.
    let active: Vec<bool> = neurons
        .iter()
        .map(|nr| nr.last_update.saturating_add(input.activity_cutoff) >= input.block)
        .collect();

    // Step 2: stake below the threshold counts as zero (the owner is exempt).
    let counts =
        |i: usize, nr: &NeuronEpochState| Some(i) == owner || nr.stake >= input.stake_threshold;
    let filtered: Vec<u64> = neurons
        .iter()
        .enumerate()
        .map(|(i, nr)| if counts(i, nr) { nr.stake } else { 0 })
        .collect();
    let total_stake: u128 = filtered.iter().map(|s| u128::from(*s)).sum();
    if total_stake > i64::MAX as u128 {
        return Err(EpochError::StakeOverflow(total_stake));
    }
    let stake = stake_proportions(&filtered);

    // Step 3: permits in force now, and the ones this epoch grants for the next.
    let mut permit: Vec<bool> = neurons.iter().map(|nr| nr.validator_permit).collect();
    let mut new_permit = top_k_nonzero(&stake, usize::from(input.max_allowed_validators));
    if let Some(o) = owner {
        for p in [&mut permit, &mut new_permit] {
            if let Some(cell) = p.get_mut(o) {
                *cell = true;
            }
        }
    }

    // Step 4: only active permit holders vote.
    let mut active_stake: Vec<I32F32> = stake
        .iter()
        .zip(active.iter().zip(&permit))
        .map(|(s, (a, p))| if *a && *p { *s } else { ZERO })
        .collect();
    normalize(&mut active_stake);

    // Step 5: weights that count.
    let mut weights: Vec<Row> = stored_weights
        .into_iter()
        .zip(neurons)
        .enumerate()
        .map(|(i, (row, nr))| {
            if !permit.get(i).copied().unwrap_or(false) {
                return Row::new();
            }
            row.into_iter()
                .filter(|&(j, _)| weight_counts(i, usize::from(j), nr, neurons, owner))
                .collect()
        })
        .collect();
    row_normalize(&mut weights);

    // Steps 6–8: consensus, clipping, validator trust, incentive.
    let kappa = u16_proportion(input.kappa_u16);
    let consensus = weighted_median_cols(&active_stake, &weights, n, kappa);
    let clipped = col_clip(&weights, &consensus);
    let validator_trust = row_sums(&clipped);
    let mut incentive = col_weighted_sums(&clipped, &active_stake, n);
    normalize(&mut incentive);

    // Step 9: bond weights.
    let beta = u16_proportion(input.bonds_penalty_u16);
    let weights_for_bonds = interpolate(&weights, &clipped, beta);

    // Step 10: forget bonds on uids registered since the previous epoch.
    let last_step = match input.last_mechanism_step_block {
        Some(b) => b.saturating_add(1),
        None => input.block.saturating_sub(input.tempo),
    };
    let old: Vec<Row> = stored_bonds
        .into_iter()
        .map(|row| {
            row.into_iter()
                .filter(|&(j, _)| {
                    neurons
                        .get(usize::from(j))
                        .is_some_and(|nj| last_step > nj.block_at_registration)
                })
                .collect()
        })
        .collect();

    // Steps 11–12: bonds and dividends.
    let bond_inputs = BondInputs {
        old,
        weights_for_bonds: &weights_for_bonds,
        active_stake: &active_stake,
        incentive: &incentive,
        consensus: &consensus,
        n,
        alpha: bonds::ema_coefficient(input.bonds_moving_average),
    };
    let outcome = if input.yuma3 {
        bonds::yuma3(bond_inputs, input.liquid_alpha.map(LiquidAlpha::new))
    } else {
        bonds::classic(bond_inputs)
    };
    let dividends = outcome.dividends;

    // Step 13: emission split.
    let combined: Vec<I32F32> =
        incentive.iter().zip(&dividends).map(|(i, d)| i.saturating_add(*d)).collect();
    let combined_total = sum(&combined);
    let mut server_share = incentive.clone();
    let mut validator_share = dividends.clone();
    let mut combined_share = combined;
    normalize_by(&mut server_share, combined_total);
    normalize_by(&mut validator_share, combined_total);
    normalize(&mut combined_share);
    if combined_total == ZERO {
        // Nobody earned anything (no weights, all outdated, self-weights only): pay
        // validators by stake, active stake first.
        let fallback = if sum(&active_stake) == ZERO { &stake } else { &active_stake };
        validator_share.clone_from(fallback);
        combined_share.clone_from(fallback);
    }
    let rao = I96F32::saturating_from_num(input.emission_rao);
    let to_rao = |share: &I32F32| {
        I96F32::saturating_from_num(*share).saturating_mul(rao).saturating_to_num::<u64>()
    };

    // Step 14: outputs.
    let out = (0..n)
        .map(|i| {
            let at = |v: &[I32F32]| v.get(i).copied().unwrap_or(ZERO);
            let new_p = new_permit.get(i).copied().unwrap_or(false);
            let bonds = if new_p {
                let row = outcome.bonds.get(i).map(Vec::as_slice).unwrap_or_default();
                BondsUpdate::Replace(
                    row.iter()
                        .map(|&(j, v)| (j, proportion_to_u16(v)))
                        .filter(|&(_, v)| v != 0)
                        .collect(),
                )
            } else if permit.get(i).copied().unwrap_or(false) {
                BondsUpdate::Clear
            } else {
                BondsUpdate::Keep
            };
            NeuronEpochOutput {
                active: active.get(i).copied().unwrap_or(false),
                consensus: proportion_to_u16(at(&consensus)),
                incentive: proportion_to_u16(at(&incentive)),
                dividends: proportion_to_u16(at(&dividends)),
                validator_trust: proportion_to_u16(at(&validator_trust)),
                stake_weight: proportion_to_u16(at(&stake)),
                server_emission: to_rao(&at(&server_share)),
                validator_emission: to_rao(&at(&validator_share)),
                emission: to_rao(&at(&combined_share)),
                validator_permit: new_p,
                bonds,
            }
        })
        .collect();
    Ok(EpochOutput { neurons: out })
}

/// §5 step 5 masks for weight `i → j`: no self-weight (except the owner's), nothing set
/// before `j` registered, and with commit-reveal nothing committed before `j` registered.
fn weight_counts(
    i: usize,
    j: usize,
    setter: &NeuronEpochState,
    neurons: &[NeuronEpochState],
    owner: Option<usize>,
) -> bool {
    if i == j && owner != Some(i) {
        return false;
    }
    let Some(target) = neurons.get(j) else {
        return false;
    };
    if setter.last_update <= target.block_at_registration {
        return false;
    }
    setter.earliest_commit_block.is_none_or(|cb| cb >= target.block_at_registration)
}

/// Converts stored `(uid, u16)` rows to sorted fixed-point rows, dropping uids `≥ n`.
/// Returns `(row, uid)` of the first repeated uid.
fn parse_rows(
    neurons: &[NeuronEpochState],
    n: usize,
    field: impl Fn(&NeuronEpochState) -> &Vec<(u16, u16)>,
    value: impl Fn(u16) -> I32F32,
) -> Result<Vec<Row>, (u16, u16)> {
    neurons
        .iter()
        .enumerate()
        .map(|(i, nr)| {
            let mut row: Row = field(nr)
                .iter()
                .filter(|(j, _)| usize::from(*j) < n)
                .map(|&(j, v)| (j, value(v)))
                .collect();
            row.sort_by_key(|(j, _)| *j);
            match row.windows(2).find(|w| w[0].0 == w[1].0) {
                Some(w) => Err((u16::try_from(i).unwrap_or(u16::MAX), w[0].0)),
                None => Ok(row),
            }
        })
        .collect()
}
