//! The body of each fuzz target, `run(&[u8])`: called by `fuzz/fuzz_targets/<name>.rs` under
//! libFuzzer and by `tests/regression.rs` on the kept crash files.

pub mod analyze;
#[cfg(feature = "capi")]
pub mod capi;
pub mod config;
pub mod decode;
pub mod session;
