//! Fuzz target: `tau1…` address parsing. Must never panic; an accepted address re-encodes to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::PublicKey;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(key) = PublicKey::from_address(s) {
            assert_eq!(key.to_address(), s);
        }
    }
});
