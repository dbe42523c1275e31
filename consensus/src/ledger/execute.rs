//! The block pipeline: begin block (validator-set promotion, registration-burn adjustment,
//! emission, moving prices), each transaction in order, end block (epochs due, validator-set
//! change). Output: the write-set, events, a result per transaction and any validator-set change.
//!
//! Transaction envelope rule: a transaction whose nonce is not the signer's next nonce, whose fee
//! is below the minimum or who cannot pay the fee is **invalid**: it changes nothing (a proposer
//! should never include it). Otherwise the fee is burned and the nonce consumed, and the payload
//! either applies entirely or, if a rule rejects it, not at all.

use protocol::consensus::ValidatorInfo;
use protocol::state::{WriteSet, next_app_hash};
use protocol::{ChainId, Hash, Height, Payload, PublicKey, Transaction};

use super::accounts::{
    load_account, load_config, load_totals, store_account, store_totals, transfer,
};
use super::error::{LedgerError, TxError};
use super::events::Event;
use super::keys;
use super::records::ChainConfig;
use super::state::{Overlay, StateReader};
use super::validators::ValidatorSetChange;
use super::{emission, epoch, registration, staking, subnets, validators, weights};

/// What every step of one block reads: the chain's parameters and the height being executed.
#[derive(Clone, Debug)]
pub struct Env {
    pub cfg: ChainConfig,
    pub height: u64,
}

/// What the node tells the ledger about the block it executes.
#[derive(Clone, Debug)]
pub struct BlockContext {
    pub height: Height,
    /// Informational: fees are burned, not paid to the proposer (ADR 006).
    pub proposer: PublicKey,
    pub chain_id: ChainId,
}

/// Everything one block did.
#[derive(Clone, Debug)]
pub struct BlockOutcome {
    /// Sorted keys written (`None` = deleted); the state commitment is over this.
    pub write_set: WriteSet,
    pub events: Vec<Event>,
    /// One per transaction, in block order.
    pub tx_results: Vec<Result<(), TxError>>,
    /// A new validator set decided by this block, with the height it takes over.
    pub validator_set_change: Option<ValidatorSetChange>,
}

impl BlockOutcome {
    /// The state commitment after this block (design.md §6).
    pub fn app_hash(&self, previous: &Hash) -> Hash {
        next_app_hash(previous, &self.write_set)
    }

    /// The new set's members, if this block changed it.
    pub fn new_validators(&self) -> Option<&[ValidatorInfo]> {
        self.validator_set_change.as_ref().map(|c| c.validators.as_slice())
    }
}

/// Executes one block over `state` (the state after the previous block).
pub fn execute_block(
    state: &dyn StateReader,
    ctx: &BlockContext,
    txs: &[Transaction],
) -> Result<BlockOutcome, LedgerError> {
    let mut st = Overlay::new(state);
    let mut cfg = load_config(&st)?;
    if cfg.chain_id != ctx.chain_id {
        return Err(LedgerError::WrongChain {
            expected: cfg.chain_id.to_string(),
            got: ctx.chain_id.to_string(),
        });
    }
    if cfg.height.next() != Some(ctx.height) {
        return Err(LedgerError::HeightMismatch { expected_previous: cfg.height, got: ctx.height });
    }
    cfg.height = ctx.height;
    st.write(keys::CONFIG.to_vec(), &cfg);
    let env = Env { cfg, height: ctx.height.0 };
    let mut events = Vec::new();

    validators::promote(&mut st, &env)?;
    registration::adjust_burns(&mut st, &env, &mut events)?;
    emission::run_emission(&mut st, &env, &mut events)?;
    emission::update_moving_prices(&mut st, &env)?;
    st.commit_tx();

    let mut tx_results = Vec::with_capacity(txs.len());
    for tx in txs {
        tx_results.push(apply_transaction(&mut st, &env, tx, &mut events)?);
    }

    epoch::run_due_epochs(&mut st, &env, &mut events)?;
    let validator_set_change = validators::schedule_change(&mut st, &env, &mut events)?;
    st.commit_tx();
    Ok(BlockOutcome { write_set: st.into_write_set(), events, tx_results, validator_set_change })
}

/// Envelope (nonce, fee), then the payload atomically. `Err` only for a fatal ledger error.
fn apply_transaction(
    st: &mut Overlay,
    env: &Env,
    tx: &Transaction,
    events: &mut Vec<Event>,
) -> Result<Result<(), TxError>, LedgerError> {
    let body = &tx.body;
    let signer = body.signer;
    let mut account = load_account(st, &signer)?;
    if body.nonce != account.nonce {
        return Ok(Err(TxError::BadNonce { expected: account.nonce, got: body.nonce }));
    }
    let min = env.cfg.economics.min_tx_fee;
    if body.fee < min {
        return Ok(Err(TxError::FeeTooLow { fee: body.fee, min }));
    }
    let Some(balance) = account.balance.checked_sub(body.fee) else {
        return Ok(Err(TxError::CannotPayFee { balance: account.balance, fee: body.fee }));
    };
    let Some(nonce) = account.nonce.checked_add(1) else {
        return Ok(Err(TxError::Overflow("nonce")));
    };
    account.balance = balance;
    account.nonce = nonce;
    store_account(st, &signer, &account);
    if !body.fee.is_zero() {
        let mut totals = load_totals(st)?;
        totals.fees_burned =
            totals.fees_burned.checked_add(body.fee).ok_or(LedgerError::Overflow("fees"))?;
        store_totals(st, &totals);
        events.push(Event::FeeBurned { signer, fee: body.fee });
    }
    st.commit_tx();

    let mark = events.len();
    match dispatch(st, env, &signer, &body.payload, events) {
        Ok(()) => {
            st.commit_tx();
            Ok(Ok(()))
        }
        Err(TxError::Ledger(e)) => Err(e),
        Err(e) => {
            st.rollback_tx();
            events.truncate(mark);
            Ok(Err(e))
        }
    }
}

fn dispatch(
    st: &mut Overlay,
    env: &Env,
    signer: &PublicKey,
    payload: &Payload,
    ev: &mut Vec<Event>,
) -> Result<(), TxError> {
    match payload {
        Payload::Transfer { to, amount } => transfer(st, signer, to, *amount, ev),
        Payload::CreateSubnet { owner_hotkey, max_lock_cost, hyperparameters } => {
            subnets::create_subnet(
                st,
                env,
                signer,
                owner_hotkey,
                *max_lock_cost,
                hyperparameters,
                ev,
            )
        }
        Payload::SetHyperparameters { netuid, hyperparameters } => {
            subnets::set_hyperparameters(st, signer, *netuid, hyperparameters, ev)
        }
        Payload::RegisterNeuron { netuid, hotkey, max_burn } => {
            registration::register_neuron(st, env, signer, *netuid, hotkey, *max_burn, ev)
        }
        Payload::ServeEndpoint { netuid, endpoints } => {
            registration::serve_endpoint(st, signer, *netuid, endpoints, ev)
        }
        Payload::AddStake { hotkey, netuid, amount, limit_price } => {
            staking::add_stake(st, env, signer, hotkey, *netuid, *amount, *limit_price, ev)
        }
        Payload::RemoveStake { hotkey, netuid, amount, limit_price } => {
            staking::remove_stake(st, env, signer, hotkey, *netuid, *amount, *limit_price, ev)
        }
        Payload::MoveStake {
            from_hotkey,
            to_hotkey,
            from_netuid,
            to_netuid,
            amount,
            limit_price,
        } => {
            let (from, to) = ((*from_hotkey, *from_netuid), (*to_hotkey, *to_netuid));
            staking::move_stake(st, env, signer, from, to, *amount, *limit_price, ev)
        }
        Payload::SetTake { hotkey, take } => staking::set_take(st, env, signer, hotkey, *take, ev),
        Payload::SetWeights { netuid, weights, version_key: _ } => {
            weights::set_weights(st, env, signer, *netuid, weights, ev)
        }
        Payload::CommitWeights { netuid, commitment } => {
            weights::commit_weights(st, env, signer, *netuid, *commitment, ev)
        }
        Payload::RevealWeights { netuid, weights, salt, version_key } => {
            weights::reveal_weights(st, env, signer, *netuid, weights, salt, *version_key, ev)
        }
        Payload::OptInValidator => validators::opt_in(st, env, signer, ev),
        Payload::SubmitEvidence(evidence) => validators::submit_evidence(st, env, evidence, ev),
    }
}
