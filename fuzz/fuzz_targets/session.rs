//! Frame sequences with changing sizes, formats and timestamps through `fingerqc::Session`.
//! The body is `tests/robust/targets/session.rs`, shared with the regression replay
//! (`cargo test --test regression`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fingerqc_fuzz::robust::targets::session::run(data));
