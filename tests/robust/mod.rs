//! Shared by the robustness tests (`tests/properties.rs`, `tests/bad_input.rs`,
//! `tests/regression.rs`) and the fuzz crate (`fuzz/src/lib.rs` includes this file by path), so a
//! fuzz target and the replay of its crash files run the same code.

#![allow(dead_code)]

pub mod harness;
pub mod invariants;
pub mod reference;
pub mod targets;
