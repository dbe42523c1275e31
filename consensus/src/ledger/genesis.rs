//! The genesis state: chain configuration, balances, validators with root stake and opt-in, the
//! first validator set, and subnets with their pools and owners registered as uid 0.

use protocol::genesis::Genesis;
use protocol::state::WriteSet;
use protocol::{AlphaRao, Height, NetUid, Rao};

use super::accounts::{credit, load_totals, store_totals};
use super::error::{LedgerError, TxError};
use super::execute::Env;
use super::keys;
use super::records::{ChainConfig, LedgerValidator, Pool, Subnet, Totals, ValidatorSetRecord};
use super::staking::{claim_hotkey, mint_stake};
use super::state::{MemState, Overlay};
use super::subnets::{init_subnet, validate_hyperparameters};
use super::validators::elect;

fn err(e: TxError) -> LedgerError {
    match e {
        TxError::Ledger(l) => l,
        other => LedgerError::Genesis(other.to_string()),
    }
}

/// The write-set that creates the genesis state (apply it to an empty store).
pub fn genesis(g: &Genesis) -> Result<WriteSet, LedgerError> {
    g.validate().map_err(|e| LedgerError::Genesis(e.to_string()))?;
    let empty = MemState::new();
    let mut st = Overlay::new(&empty);
    let cfg = ChainConfig {
        chain_id: g.chain_id.clone(),
        economics: g.economics.clone(),
        consensus: g.consensus.clone(),
        height: Height::GENESIS,
    };
    st.write(keys::CONFIG.to_vec(), &cfg);
    store_totals(&mut st, &Totals::default());
    let env = Env { cfg, height: 0 };
    let mut total = Rao::ZERO;
    let mut add = |r: Rao| -> Result<(), LedgerError> {
        total = total.checked_add(r).ok_or(LedgerError::Overflow("genesis supply"))?;
        Ok(())
    };

    for a in &g.accounts {
        credit(&mut st, &a.coldkey, a.balance).map_err(err)?;
        add(a.balance)?;
    }
    for v in &g.validators {
        claim_hotkey(&mut st, &env, &v.hotkey, &v.coldkey).map_err(err)?;
        mint_stake(&mut st, &v.coldkey, &v.hotkey, NetUid::ROOT, v.stake.0).map_err(err)?;
        let rec = LedgerValidator { opted_in_at: 0, jailed_until: None };
        st.write(keys::ledger_validator(&v.hotkey), &rec);
        add(v.stake)?;
    }
    for s in &g.subnets {
        validate_hyperparameters(&s.hyperparameters).map_err(err)?;
        claim_hotkey(&mut st, &env, &s.owner_hotkey, &s.owner_coldkey).map_err(err)?;
        let subnet = Subnet {
            name: s.name.clone(),
            owner_coldkey: s.owner_coldkey,
            owner_hotkey: s.owner_hotkey,
            hyperparameters: s.hyperparameters.clone(),
            created_at: 0,
            n: 0,
            last_epoch_block: None,
        };
        let pool = Pool {
            tao: s.pool_tao,
            alpha_in: s.pool_alpha,
            alpha_minted: AlphaRao(s.pool_alpha.0),
            ..Pool::default()
        };
        init_subnet(&mut st, &env, s.netuid, subnet, pool).map_err(err)?;
        add(s.pool_tao)?;
    }

    let mut totals = load_totals(&st)?;
    totals.genesis = total;
    totals.issuance = total;
    store_totals(&mut st, &totals);
    let validators = elect(&st, &env)?;
    st.write(keys::VALIDATOR_SET.to_vec(), &ValidatorSetRecord { since: Height(1), validators });
    st.commit_tx();
    Ok(st.into_write_set())
}
