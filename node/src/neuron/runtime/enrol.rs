//! Getting a hotkey onto a subnet: registration (burning τ from the coldkey, when the node was
//! given one) and, for miners, announcing the addresses validators query it on.

use std::time::Duration;

use consensus::ledger::query::{self, NeuronInfo};
use libp2p::Multiaddr;
use protocol::keys::Keypair;
use protocol::transaction::Payload;
use protocol::{NetUid, Rao};
use tracing::{info, warn};

use super::submit::{ChainAccess, TxFailure};

/// How long to wait for a registration or serve transaction to land.
const TX_WAIT: Duration = Duration::from_secs(30);

/// Where a hotkey stands on one subnet.
pub enum Enrolment {
    Registered(Box<NeuronInfo>),
    /// Not registered; the reason says what the operator can do.
    Waiting(String),
}

pub struct Enroller {
    pub netuid: NetUid,
    pub hotkey: Keypair,
    pub coldkey: Option<Keypair>,
    pub max_burn: Rao,
}

impl Enroller {
    /// Registers the hotkey if it is not and a coldkey can pay; returns where it stands.
    pub async fn ensure_registered(&self, access: &ChainAccess) -> Result<Enrolment, TxFailure> {
        let hot = self.hotkey.public();
        if let Some(n) = access.read(|r| query::neuron(r, self.netuid, &hot))? {
            return Ok(Enrolment::Registered(Box::new(n)));
        }
        let Some(coldkey) = &self.coldkey else {
            return Ok(Enrolment::Waiting(format!(
                "hotkey {hot} is not registered on subnet {}: register it with `tau register \
                 --netuid {}` (or give the node a coldkey to pay the burn)",
                self.netuid.0, self.netuid.0
            )));
        };
        let burn = access.read(|r| query::registration_burn(r, self.netuid))?;
        let Some(burn) = burn else {
            return Ok(Enrolment::Waiting(format!("subnet {} does not exist", self.netuid.0)));
        };
        if burn > self.max_burn {
            return Ok(Enrolment::Waiting(format!(
                "registration on subnet {} burns {burn}, above this node's max_burn_rao {}",
                self.netuid.0, self.max_burn
            )));
        }
        let balance = access.read(|r| query::account(r, &coldkey.public()).map(|a| a.balance))?;
        let needed = burn.0.saturating_add(access.fee.0);
        if balance.0 < needed {
            return Ok(Enrolment::Waiting(format!(
                "coldkey {} holds {balance} but registering on subnet {} needs {} (burn {burn} + \
                 fee {}): fund it",
                coldkey.public(),
                self.netuid.0,
                Rao(needed),
                access.fee
            )));
        }
        info!(netuid = self.netuid.0, %burn, "registering the hotkey");
        // The configured ceiling, not today's price: the burn may rise before the block lands.
        let payload =
            Payload::RegisterNeuron { netuid: self.netuid, hotkey: hot, max_burn: self.max_burn };
        let height = access.send(coldkey, payload, TX_WAIT).await?;
        match access.read(|r| query::neuron(r, self.netuid, &hot))? {
            Some(n) => {
                info!(netuid = self.netuid.0, uid = n.uid.0, height = height.0, "registered");
                Ok(Enrolment::Registered(Box::new(n)))
            }
            None => Ok(Enrolment::Waiting("registration included but not yet visible".into())),
        }
    }

    /// Announces `addrs` as the miner's endpoints unless the chain already has exactly them.
    pub async fn ensure_served(
        &self,
        access: &ChainAccess,
        neuron: &NeuronInfo,
        addrs: &[Multiaddr],
    ) -> Result<(), TxFailure> {
        if addrs.is_empty() || neuron.endpoints == addrs {
            return Ok(());
        }
        let payload = Payload::ServeEndpoint { netuid: self.netuid, endpoints: addrs.to_vec() };
        match access.send(&self.hotkey, payload, TX_WAIT).await {
            Ok(height) => {
                info!(netuid = self.netuid.0, height = height.0, endpoints = ?addrs, "serving");
                Ok(())
            }
            Err(e) => {
                warn!(netuid = self.netuid.0, error = %e, "announcing endpoints failed");
                Err(e)
            }
        }
    }
}
