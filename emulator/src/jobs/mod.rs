//! AWS IoT Jobs: jobs and their executions on things, the execution state machine, targets
//! (things and thing groups, SNAPSHOT or CONTINUOUS), timers on the emulator clock, job
//! templates, and the `notify` / `notify-next` / `$aws/events/...` messages that follow
//! every change.
//!
//! - [`machine`]: the execution state machine; [`request`]: device requests, parsed.
//! - [`control`]: the control-plane operations on jobs; [`executions`]: on executions;
//!   [`templates`]: job templates.
//! - The configuration blocks that act: [`abort`] (`abortConfig`), [`rollout`]
//!   (`jobExecutionsRolloutConfig`), [`retry`] (`jobExecutionsRetryConfig`) and
//!   [`presign`] (`presignedUrlConfig`); [`validate`] checks their members.
//! - [`device`]: the device operations (MQTT and iot-jobs-data share them).
//! - [`tick`]: timers that run out and CONTINUOUS jobs that grow, on the emulator clock.
//! - [`notify`]: what is published after a change, through the [`Publisher`] the broker
//!   installs at wiring (the control plane never names the broker).
//!
//! State lives in the registry (`registry/job.rs`), changed only through
//! [`crate::registry::Registry::jobs_write`].

pub mod abort;
pub mod config;
pub mod control;
pub mod device;
pub mod executions;
pub mod machine;
pub mod notify;
pub mod presign;
pub mod request;
pub mod retry;
pub mod rollout;
pub mod templates;
pub mod tick;
pub mod validate;

use std::sync::{Arc, OnceLock};

use crate::registry::job::Execution;
use crate::registry::job_write::JobChanges;
use crate::registry::Registry;

/// Publishes a message as the broker itself (policies decide who receives it).
pub trait Publisher: std::fmt::Debug + Send + Sync {
    fn publish(&self, topic: String, payload: Vec<u8>);
}

/// Where the broker installs its [`Publisher`] once it exists.
#[derive(Clone, Debug, Default)]
pub struct PublisherSlot(Arc<OnceLock<Arc<dyn Publisher>>>);

impl PublisherSlot {
    /// Installs `publisher`; a second install is ignored.
    pub fn install(&self, publisher: Arc<dyn Publisher>) {
        let _ = self.0.set(publisher);
    }

    fn get(&self) -> Option<&Arc<dyn Publisher>> {
        self.0.get()
    }
}

/// The jobs engine of one region (cheap to clone).
#[derive(Clone, Debug)]
pub struct Jobs {
    registry: Registry,
    publisher: PublisherSlot,
    s3: crate::s3::S3,
    /// The API URL, where presigned URLs point (set once the listener is bound).
    endpoint: Arc<OnceLock<String>>,
}

impl Jobs {
    pub fn new(registry: Registry, s3: crate::s3::S3) -> Self {
        Jobs {
            registry,
            publisher: PublisherSlot::default(),
            s3,
            endpoint: Default::default(),
        }
    }

    /// Where the S3 stand-in answers presigned URLs: the emulator's API URL.
    pub fn set_endpoint(&self, url: String) {
        let _ = self.endpoint.set(url);
    }

    /// `job`'s document as devices get it (presigned URLs filled in).
    pub fn device_document(&self, job: &crate::registry::job::Job) -> String {
        let region = self.registry.account().region.clone();
        let endpoint = self
            .endpoint
            .get()
            .map_or("http://localhost", String::as_str);
        let signer = presign::Signer {
            endpoint,
            region: &region,
            now_ms: self.registry.clock().now_ms(),
        };
        presign::for_device(job, &signer)
    }

    /// The slot the broker fills with its publisher.
    pub fn publisher(&self) -> &PublisherSlot {
        &self.publisher
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Publishes what `changes` calls for (nothing when no broker is installed).
    fn announce(&self, changes: &JobChanges) {
        if let Some(publisher) = self.publisher.get() {
            notify::announce(self, publisher.as_ref(), changes);
        }
    }
}

/// The error codes of the device side (shadow-jobs-rules §2.7), each protocol mapping
/// them in full: MQTT's `/rejected` `code`, iot-jobs-data's exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceCode {
    InvalidTopic,
    InvalidJson,
    InvalidRequest,
    InvalidStateTransition,
    ResourceNotFound,
    VersionMismatch,
    TerminalStateReached,
    InternalError,
}

impl DeviceCode {
    /// The MQTT `code`, as AWS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceCode::InvalidTopic => "InvalidTopic",
            DeviceCode::InvalidJson => "InvalidJson",
            DeviceCode::InvalidRequest => "InvalidRequest",
            DeviceCode::InvalidStateTransition => "InvalidStateTransition",
            DeviceCode::ResourceNotFound => "ResourceNotFound",
            DeviceCode::VersionMismatch => "VersionMismatch",
            DeviceCode::TerminalStateReached => "TerminalStateReached",
            DeviceCode::InternalError => "InternalError",
        }
    }
}

/// A refused device request.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceError {
    pub code: DeviceCode,
    pub message: String,
    /// For InvalidStateTransition and VersionMismatch: the execution as it is.
    pub execution_state: Option<Box<Execution>>,
}

impl DeviceError {
    pub fn new(code: DeviceCode, message: impl Into<String>) -> Self {
        DeviceError {
            code,
            message: message.into(),
            execution_state: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(DeviceCode::InvalidRequest, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(DeviceCode::ResourceNotFound, message)
    }
}

impl From<crate::registry::IotError> for DeviceError {
    /// Registry failures (the store) are the service's fault.
    fn from(e: crate::registry::IotError) -> Self {
        tracing::error!(cause = %e, "jobs write failed");
        DeviceError::new(DeviceCode::InternalError, "Internal error")
    }
}

#[cfg(test)]
mod engine_tests;

#[cfg(test)]
mod config_tests;
