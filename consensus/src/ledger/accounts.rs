//! Balances, nonces, transfers and the supply totals.
//!
//! No existential minimum: an account with zero balance and nonce zero is deleted, and one with a
//! nonce is kept forever so its nonce can never be replayed (ADR 006).

use protocol::{PublicKey, Rao};

use super::error::{LedgerError, TxError, ovf};
use super::events::Event;
use super::keys;
use super::records::{Account, ChainConfig, Totals};
use super::state::Overlay;

pub fn load_account(st: &Overlay, who: &PublicKey) -> Result<Account, LedgerError> {
    st.read_or_default(&keys::account(who))
}

pub fn store_account(st: &mut Overlay, who: &PublicKey, account: &Account) {
    if account.balance.is_zero() && account.nonce == 0 {
        st.delete(keys::account(who));
    } else {
        st.write(keys::account(who), account);
    }
}

/// Takes `amount` from `who`, or fails with what the balance is.
pub fn debit(st: &mut Overlay, who: &PublicKey, amount: Rao) -> Result<(), TxError> {
    let mut a = load_account(st, who)?;
    a.balance = a
        .balance
        .checked_sub(amount)
        .ok_or(TxError::InsufficientBalance { balance: a.balance, needed: amount })?;
    store_account(st, who, &a);
    Ok(())
}

pub fn credit(st: &mut Overlay, who: &PublicKey, amount: Rao) -> Result<(), TxError> {
    let mut a = load_account(st, who)?;
    a.balance = a.balance.checked_add(amount).ok_or(ovf("balance"))?;
    store_account(st, who, &a);
    Ok(())
}

pub fn load_totals(st: &Overlay) -> Result<Totals, LedgerError> {
    st.read(keys::TOTALS)?.ok_or(LedgerError::Missing("totals"))
}

pub fn store_totals(st: &mut Overlay, totals: &Totals) {
    st.write(keys::TOTALS.to_vec(), totals);
}

pub fn load_config(st: &Overlay) -> Result<ChainConfig, LedgerError> {
    st.read(keys::CONFIG)?.ok_or(LedgerError::Missing("chain config"))
}

/// Records τ destroyed (registration burns, slashes): balances already lost it.
pub fn record_burn(st: &mut Overlay, amount: Rao) -> Result<(), TxError> {
    let mut t = load_totals(st)?;
    t.burned = t.burned.checked_add(amount).ok_or(ovf("burned"))?;
    store_totals(st, &t);
    Ok(())
}

/// Moves root (netuid 0) τ in or out of the stake total.
pub fn adjust_root_stake(st: &mut Overlay, add: Rao, sub: Rao) -> Result<(), TxError> {
    let mut t = load_totals(st)?;
    t.root_stake =
        t.root_stake.checked_add(add).and_then(|r| r.checked_sub(sub)).ok_or(ovf("root stake"))?;
    store_totals(st, &t);
    Ok(())
}

/// `Transfer`: moves τ between coldkeys. Zero amounts are refused (they would only bump a nonce).
pub fn transfer(
    st: &mut Overlay,
    from: &PublicKey,
    to: &PublicKey,
    amount: Rao,
    events: &mut Vec<Event>,
) -> Result<(), TxError> {
    if amount.is_zero() {
        return Err(TxError::ZeroAmount);
    }
    debit(st, from, amount)?;
    credit(st, to, amount)?;
    events.push(Event::Transfer { from: *from, to: *to, amount });
    Ok(())
}
