//! The C ABI (feature `capi`) called as a C host would, with arbitrary arguments inside its contract.
//! The body is `tests/robust/targets/capi.rs`, shared with the regression replay
//! (`cargo test --test regression`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fingerqc_fuzz::robust::targets::capi::run(data));
