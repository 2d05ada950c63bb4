//! Arbitrary bytes into `io::rtneural::parse`: it must return (Ok or Err), never panic, and never
//! allocate beyond a small multiple of the input (run with `-malloc_limit_mb`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tinyrnn::host::io;

fuzz_target!(|data: &[u8]| {
    if let Ok(spec) = io::rtneural::parse(data, "fuzz") {
        // Whatever a loader accepts is a valid spec.
        assert!(spec.validate().is_ok());
    }
});
