//! Configuration parsing (TOML, JSON, raw field values) and validation; accepted configs analysed.
//! The body is `tests/robust/targets/config.rs`, shared with the regression replay
//! (`cargo test --test regression`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fingerqc_fuzz::robust::targets::config::run(data));
