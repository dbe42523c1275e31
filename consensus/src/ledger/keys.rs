//! The ledger's key layout: one tag byte per record kind, then fixed-width fields.
//!
//! Integers are big-endian so the store's bytewise order is numeric order: a prefix scan of
//! `neuron ‖ netuid` returns a subnet's neurons by uid. Public keys are their 32 raw bytes.
//! Changing a tag or a field order changes every app hash: treat this file as a format.

use protocol::{Height, NetUid, PublicKey, Uid};

/// Chain configuration and the last executed height (`records::ChainConfig`).
pub const CONFIG: &[u8] = &[0x01];
/// Supply accounting (`records::Totals`).
pub const TOTALS: &[u8] = &[0x02];
/// The validator set in force (`records::ValidatorSetRecord`).
pub const VALIDATOR_SET: &[u8] = &[0x10];

const ACCOUNT: u8 = 0x03;
const SUBNET: u8 = 0x04;
const POOL: u8 = 0x05;
const REGISTRATION: u8 = 0x06;
const NEURON: u8 = 0x07;
const UID_OF: u8 = 0x08;
const WEIGHTS: u8 = 0x09;
const BONDS: u8 = 0x0a;
const COMMITS: u8 = 0x0b;
const HOTKEY: u8 = 0x0c;
const STAKE_POOL: u8 = 0x0d;
const STAKE: u8 = 0x0e;
const LEDGER_VALIDATOR: u8 = 0x0f;
const SCHEDULED_SET: u8 = 0x11;
const EVIDENCE: u8 = 0x12;

fn key(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let len = 1 + parts.iter().map(|p| p.len()).sum::<usize>();
    let mut k = Vec::with_capacity(len);
    k.push(tag);
    for p in parts {
        k.extend_from_slice(p);
    }
    k
}

/// `coldkey → Account` (balance, nonce). Any signer's nonce lives here, hotkeys included.
pub fn account(who: &PublicKey) -> Vec<u8> {
    key(ACCOUNT, &[who.as_bytes()])
}

/// Prefix of every account.
pub fn account_prefix() -> Vec<u8> {
    vec![ACCOUNT]
}

/// `netuid → Subnet` (owner, hyperparameters, size).
pub fn subnet(netuid: NetUid) -> Vec<u8> {
    key(SUBNET, &[&netuid.0.to_be_bytes()])
}

/// Prefix of every subnet record, in netuid order.
pub fn subnet_prefix() -> Vec<u8> {
    vec![SUBNET]
}

/// `netuid → Pool` (reserves, alpha outstanding, pending emission, moving price).
pub fn pool(netuid: NetUid) -> Vec<u8> {
    key(POOL, &[&netuid.0.to_be_bytes()])
}

/// `netuid → Registration` (burn price and its counters).
pub fn registration(netuid: NetUid) -> Vec<u8> {
    key(REGISTRATION, &[&netuid.0.to_be_bytes()])
}

/// `(netuid, uid) → Neuron`.
pub fn neuron(netuid: NetUid, uid: Uid) -> Vec<u8> {
    key(NEURON, &[&netuid.0.to_be_bytes(), &uid.0.to_be_bytes()])
}

/// Prefix of a subnet's neurons, in uid order.
pub fn neuron_prefix(netuid: NetUid) -> Vec<u8> {
    key(NEURON, &[&netuid.0.to_be_bytes()])
}

/// `(netuid, hotkey) → Uid`: which uid a hotkey holds on a subnet.
pub fn uid_of(netuid: NetUid, hotkey: &PublicKey) -> Vec<u8> {
    key(UID_OF, &[&netuid.0.to_be_bytes(), hotkey.as_bytes()])
}

/// `(netuid, uid) → WeightRow` set by that uid (max-upscaled, ascending uids).
pub fn weights(netuid: NetUid, uid: Uid) -> Vec<u8> {
    key(WEIGHTS, &[&netuid.0.to_be_bytes(), &uid.0.to_be_bytes()])
}

pub fn weights_prefix(netuid: NetUid) -> Vec<u8> {
    key(WEIGHTS, &[&netuid.0.to_be_bytes()])
}

/// `(netuid, uid) → bond row` held by that uid.
pub fn bonds(netuid: NetUid, uid: Uid) -> Vec<u8> {
    key(BONDS, &[&netuid.0.to_be_bytes(), &uid.0.to_be_bytes()])
}

pub fn bonds_prefix(netuid: NetUid) -> Vec<u8> {
    key(BONDS, &[&netuid.0.to_be_bytes()])
}

/// `(netuid, uid) → Vec<WeightCommit>`: that uid's unrevealed commitments, oldest first.
pub fn commits(netuid: NetUid, uid: Uid) -> Vec<u8> {
    key(COMMITS, &[&netuid.0.to_be_bytes(), &uid.0.to_be_bytes()])
}

pub fn commits_prefix(netuid: NetUid) -> Vec<u8> {
    key(COMMITS, &[&netuid.0.to_be_bytes()])
}

/// `hotkey → Hotkey` (owning coldkey, delegate take).
pub fn hotkey(hotkey: &PublicKey) -> Vec<u8> {
    key(HOTKEY, &[hotkey.as_bytes()])
}

/// `(hotkey, netuid) → StakePool`: the hotkey's total stake there and its share count.
pub fn stake_pool(hotkey: &PublicKey, netuid: NetUid) -> Vec<u8> {
    key(STAKE_POOL, &[hotkey.as_bytes(), &netuid.0.to_be_bytes()])
}

/// Prefix of every stake pool (conservation checks walk it).
pub fn stake_pool_prefix() -> Vec<u8> {
    vec![STAKE_POOL]
}

/// `(coldkey, hotkey, netuid) → u128` shares of the hotkey's stake pool.
pub fn stake(coldkey: &PublicKey, hotkey: &PublicKey, netuid: NetUid) -> Vec<u8> {
    key(STAKE, &[coldkey.as_bytes(), hotkey.as_bytes(), &netuid.0.to_be_bytes()])
}

/// Prefix of one coldkey's stake positions.
pub fn stake_of_prefix(coldkey: &PublicKey) -> Vec<u8> {
    key(STAKE, &[coldkey.as_bytes()])
}

/// `hotkey → LedgerValidator` (opted in to the BFT set; jail state).
pub fn ledger_validator(hotkey: &PublicKey) -> Vec<u8> {
    key(LEDGER_VALIDATOR, &[hotkey.as_bytes()])
}

pub fn ledger_validator_prefix() -> Vec<u8> {
    vec![LEDGER_VALIDATOR]
}

/// `effective height → Vec<ValidatorInfo>`: a set decided earlier that takes over at that height.
pub fn scheduled_set(effective: Height) -> Vec<u8> {
    key(SCHEDULED_SET, &[&effective.0.to_be_bytes()])
}

pub fn scheduled_set_prefix() -> Vec<u8> {
    vec![SCHEDULED_SET]
}

/// `(offender, height, round, kind) → height accepted`: equivocations already punished.
pub fn evidence(offender: &PublicKey, height: Height, round: u32, kind: u8) -> Vec<u8> {
    key(EVIDENCE, &[offender.as_bytes(), &height.0.to_be_bytes(), &round.to_be_bytes(), &[kind]])
}

/// Splits the `Height` out of a scheduled-set key.
pub fn scheduled_set_height(key: &[u8]) -> Option<Height> {
    let bytes: [u8; 8] = key.get(1..9)?.try_into().ok()?;
    Some(Height(u64::from_be_bytes(bytes)))
}

/// Splits `(hotkey, netuid)` out of a stake-pool key.
pub fn stake_pool_parts(key: &[u8]) -> Option<(PublicKey, NetUid)> {
    let hk: [u8; 32] = key.get(1..33)?.try_into().ok()?;
    let n: [u8; 2] = key.get(33..35)?.try_into().ok()?;
    Some((PublicKey(hk), NetUid(u16::from_be_bytes(n))))
}

/// Splits `(hotkey, netuid)` out of a stake key (the coldkey is the scan prefix).
pub fn stake_parts(key: &[u8]) -> Option<(PublicKey, NetUid)> {
    let hk: [u8; 32] = key.get(33..65)?.try_into().ok()?;
    let n: [u8; 2] = key.get(65..67)?.try_into().ok()?;
    Some((PublicKey(hk), NetUid(u16::from_be_bytes(n))))
}

/// Splits the hotkey out of a ledger-validator key.
pub fn ledger_validator_hotkey(key: &[u8]) -> Option<PublicKey> {
    let hk: [u8; 32] = key.get(1..33)?.try_into().ok()?;
    Some(PublicKey(hk))
}

/// Splits the uid out of a `(netuid, uid)` key (neuron, weights, bonds, commits).
pub fn uid_part(key: &[u8]) -> Option<Uid> {
    let u: [u8; 2] = key.get(3..5)?.try_into().ok()?;
    Some(Uid(u16::from_be_bytes(u)))
}
