//! What a neuron tells its operator: per subnet, its registration, and as a validator when it
//! last set weights and the next block it may, and why the last attempt failed if it did. Served
//! at `GET /neuron` and mirrored in the logs.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde::Serialize;

#[derive(Clone, Debug, Default, Serialize)]
pub struct SubnetNeuronStatus {
    pub netuid: u16,
    pub role: &'static str,
    pub uid: Option<u16>,
    /// Why the neuron is not (yet) working on this subnet, if it is not.
    pub waiting_for: Option<String>,
    /// Miner: requests answered by status.
    pub served: Option<crate::neuron::MinerStats>,
    /// Validator: query rounds run and miners in the score book.
    pub rounds: u64,
    pub scored_uids: usize,
    pub last_weights_block: Option<u64>,
    /// `set`, `commit` or `reveal`.
    pub last_weights_kind: Option<&'static str>,
    pub next_weights_block: Option<u64>,
    pub pending_reveals: usize,
    pub last_error: Option<String>,
}

/// Shared between the neuron tasks (writers) and the API (reader).
#[derive(Clone, Default)]
pub struct NeuronStatusBoard {
    inner: Arc<RwLock<BTreeMap<u16, SubnetNeuronStatus>>>,
}

impl NeuronStatusBoard {
    pub fn update(&self, netuid: u16, f: impl FnOnce(&mut SubnetNeuronStatus)) {
        if let Ok(mut map) = self.inner.write() {
            let entry = map
                .entry(netuid)
                .or_insert_with(|| SubnetNeuronStatus { netuid, ..SubnetNeuronStatus::default() });
            f(entry);
        }
    }

    pub fn snapshot(&self) -> Vec<SubnetNeuronStatus> {
        self.inner.read().map(|m| m.values().cloned().collect()).unwrap_or_default()
    }
}
