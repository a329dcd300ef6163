//! A PAW peer on rust-libp2p, written from protocols/*.md and docs/chain.md.
pub mod chain;
pub mod store;
pub mod wire;
