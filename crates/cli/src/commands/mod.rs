//! One module per command; each is glue between parsed flags and the engine.

pub mod ablation;
pub mod bench;
pub mod bench_hybrid;
pub mod eval;
pub mod index;
pub mod models;
pub mod search;
pub mod train;
