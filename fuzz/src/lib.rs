//! The fuzz targets' code lives in `tests/robust/` (included here by path) so that
//! `cargo test --test regression` replays kept crash files through exactly the same code.

#[path = "../../tests/robust/mod.rs"]
pub mod robust;
