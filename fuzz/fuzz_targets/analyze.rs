//! Arbitrary bytes -> a frame of any pixel format, size and strides (lies included) through the checked constructors, then `Analyzer::analyze`.
//! The body is `tests/robust/targets/analyze.rs`, shared with the regression replay
//! (`cargo test --test regression`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fingerqc_fuzz::robust::targets::analyze::run(data));
