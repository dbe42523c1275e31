//! Fuzz target: a weight announcement from untrusted bytes. Must never panic; an accepted input must be canonical.
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::codec;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = codec::decode::<protocol::wire::WeightAnnouncement>(data) {
        assert_eq!(codec::encode(&value), data, "accepted a non-canonical encoding");
    }
});
