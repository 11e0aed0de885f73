//! The Device Shadow service, classic and named: get, update, delete and list, with
//! AWS's merge, delta, versions, metadata and limits. Front ends call it with a payload
//! as received (MQTT in `mqtt::shadow_topics`, iot-data HTTP in `api::shadows`); what it
//! publishes (`/accepted`, `/rejected`, `/update/delta`, `/update/documents`) goes through
//! a [`Publisher`] the broker installs at start-up, so this engine never names the broker.
//!
//! - [`limits`]: the request's shape, depth, size and names; [`merge`]: the merge and
//!   metadata; [`delta`]: the delta; [`documents`]: the JSON answered and published;
//!   [`topics`]: the topic names; [`service`]: the operations; [`rate`]: the per-thing
//!   update rate.
//! - State is the registry's `shadows` table (`registry::shadow`); timestamps come from
//!   the registry clock, so `--seed` makes them deterministic.

pub mod delta;
pub mod documents;
pub mod error;
pub mod limits;
pub mod merge;
pub mod rate;
pub mod service;
pub mod topics;

#[cfg(test)]
mod merge_tests;
#[cfg(test)]
mod prop_tests;
#[cfg(test)]
mod service_tests;

use std::sync::{Arc, OnceLock};

pub use error::{ShadowError, ShadowResult};
pub use topics::{Operation, ShadowId, ShadowRequest};

use crate::registry::Registry;

/// AWS's documented rate: 20 update requests per second per thing.
pub const DEFAULT_UPDATES_PER_SECOND: u32 = 20;

/// Where the service's messages go: the broker, publishing as itself (every subscriber
/// allowed to receive them gets them, and so do rules).
pub trait Publisher: std::fmt::Debug + Send + Sync {
    fn publish(&self, topic: String, payload: Vec<u8>);
}

/// The shadow service of one region (cheap to clone).
#[derive(Clone, Debug)]
pub struct Shadows {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    publisher: OnceLock<Arc<dyn Publisher>>,
    rate: rate::RateLimit,
}

impl Shadows {
    /// A service over `registry`'s shadows, allowing `updates_per_second` updates per
    /// thing (0: no limit).
    pub fn new(registry: Registry, updates_per_second: u32) -> Self {
        Shadows {
            inner: Arc::new(Inner {
                registry,
                publisher: OnceLock::new(),
                rate: rate::RateLimit::new(updates_per_second),
            }),
        }
    }

    /// Installs where messages are published; a second install is ignored.
    pub fn install_publisher(&self, publisher: Arc<dyn Publisher>) {
        let _ = self.inner.publisher.set(publisher);
    }

    /// Changes the per-thing update limit (0: none), e.g. for a benchmark.
    pub fn set_updates_per_second(&self, per_second: u32) {
        self.inner.rate.set(per_second);
    }

    fn publish(&self, topic: String, body: &serde_json::Value) {
        match self.inner.publisher.get() {
            Some(p) => p.publish(topic, body.to_string().into_bytes()),
            None => tracing::debug!(%topic, "no broker: shadow message not published"),
        }
    }

    fn now_ms(&self) -> i64 {
        self.inner.registry.clock().now_ms()
    }
}
