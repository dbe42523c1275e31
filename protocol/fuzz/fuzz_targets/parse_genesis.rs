//! Fuzz target: genesis JSON from a file. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = protocol::Genesis::from_json(s);
    }
});
