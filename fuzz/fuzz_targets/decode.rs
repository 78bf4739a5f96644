//! The CLI's image path: `io::decode_image` with the default `Limits`, then the analysis.
//! The body is `tests/robust/targets/decode.rs`, shared with the regression replay
//! (`cargo test --test regression`).

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fingerqc_fuzz::robust::targets::decode::run(data));
