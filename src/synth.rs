//! Synthetic, labelled four-finger capture scenes (seeded and deterministic), for tests,
//! tuning and integration testing.
