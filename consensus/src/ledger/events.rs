//! What happened to whom, for the node's API and event stream. Events are not part of the state
//! commitment; the write-set is.

use protocol::{AlphaRao, Height, NetUid, PublicKey, Rao, Uid};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A transaction's fee was burned (emitted for rejected transactions too).
    FeeBurned {
        signer: PublicKey,
        fee: Rao,
    },
    Transfer {
        from: PublicKey,
        to: PublicKey,
        amount: Rao,
    },
    SubnetCreated {
        netuid: NetUid,
        owner: PublicKey,
        owner_hotkey: PublicKey,
        lock: Rao,
    },
    HyperparametersSet {
        netuid: NetUid,
    },
    NeuronRegistered {
        netuid: NetUid,
        uid: Uid,
        hotkey: PublicKey,
        coldkey: PublicKey,
        burn: Rao,
        /// The hotkey that lost this uid when the subnet was full.
        replaced: Option<PublicKey>,
    },
    EndpointServed {
        netuid: NetUid,
        hotkey: PublicKey,
    },
    StakeAdded {
        coldkey: PublicKey,
        hotkey: PublicKey,
        netuid: NetUid,
        tao: Rao,
        alpha: AlphaRao,
    },
    StakeRemoved {
        coldkey: PublicKey,
        hotkey: PublicKey,
        netuid: NetUid,
        alpha: AlphaRao,
        tao: Rao,
    },
    StakeMoved {
        coldkey: PublicKey,
        from: (PublicKey, NetUid),
        to: (PublicKey, NetUid),
        alpha_out: AlphaRao,
        alpha_in: AlphaRao,
    },
    TakeSet {
        hotkey: PublicKey,
        take: u16,
    },
    WeightsSet {
        netuid: NetUid,
        uid: Uid,
    },
    WeightsCommitted {
        netuid: NetUid,
        uid: Uid,
    },
    WeightsRevealed {
        netuid: NetUid,
        uid: Uid,
    },
    /// Per-block emission into a subnet (economics.md §4).
    SubnetEmission {
        netuid: NetUid,
        tao_in: Rao,
        alpha_in: AlphaRao,
        alpha_out: AlphaRao,
        excess_tao: Rao,
    },
    /// An epoch ran and paid out.
    EpochRun {
        netuid: NetUid,
        incentive: AlphaRao,
        dividends: AlphaRao,
        owner_cut: AlphaRao,
        root_tao: Rao,
        burned_owner_incentive: AlphaRao,
    },
    RegistrationBurnAdjusted {
        netuid: NetUid,
        burn: Rao,
    },
    ValidatorOptedIn {
        hotkey: PublicKey,
    },
    ValidatorSlashed {
        offender: PublicKey,
        burned: Rao,
        jailed_until: u64,
    },
    ValidatorSetScheduled {
        effective: Height,
        size: usize,
    },
}
