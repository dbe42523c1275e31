//! The task a subnet declares, as this node can run it. The `next-token` text source is a
//! public seeded language every miner and validator of the subnet derives the same way, from the
//! chain id and netuid: miners can train on it, validators draw queries from it.

use std::sync::Arc;

use protocol::{ChainId, NetUid};

use crate::neuron::next_token::{self, LanguageConfig, LanguageError, MarkovLanguage};

/// The seed of a subnet's public language.
pub fn language_seed(chain: &ChainId, netuid: NetUid) -> u64 {
    let mut h = blake3::Hasher::new_derive_key("tau next-token language seed v1");
    h.update(chain.as_str().as_bytes());
    h.update(&netuid.0.to_le_bytes());
    let bytes = h.finalize();
    let mut seed = [0u8; 8];
    seed.copy_from_slice(&bytes.as_bytes()[..8]);
    u64::from_le_bytes(seed)
}

/// The subnet's public language.
pub fn language(chain: &ChainId, netuid: NetUid) -> Result<Arc<MarkovLanguage>, LanguageError> {
    let config = LanguageConfig { seed: language_seed(chain, netuid), ..LanguageConfig::default() };
    MarkovLanguage::new(config).map(Arc::new)
}

/// Whether this node can serve or score `task`.
pub fn is_known(task: &str) -> bool {
    task == next_token::NAME
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_differ_by_chain_and_subnet_and_are_stable() {
        let a = ChainId::new("tau-a").unwrap();
        let b = ChainId::new("tau-b").unwrap();
        assert_eq!(language_seed(&a, NetUid(1)), language_seed(&a, NetUid(1)));
        assert_ne!(language_seed(&a, NetUid(1)), language_seed(&a, NetUid(2)));
        assert_ne!(language_seed(&a, NetUid(1)), language_seed(&b, NetUid(1)));
    }
}
