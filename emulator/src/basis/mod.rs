//! Foundations every layer may use: the clock, deterministic entropy and the durable store.

pub mod clock;
pub mod entropy;
pub mod store;

pub use clock::Clock;
pub use entropy::Entropy;
pub use store::{Change, Store, StoreError};
