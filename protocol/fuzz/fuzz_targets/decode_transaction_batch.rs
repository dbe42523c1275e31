//! Fuzz target: a transaction batch (the tx topic's payload) from untrusted bytes. Must never
//! panic; an accepted input must be canonical, and the shape check must be total too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::codec;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = codec::decode::<protocol::wire::TransactionBatch>(data) {
        assert_eq!(codec::encode(&value), data, "accepted a non-canonical encoding");
        let _ = value.check_shape();
    }
});
