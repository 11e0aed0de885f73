//! One region's state, the value every front end receives for the region a request or
//! connection is for: registry, PKI, endpoint names and configuration. [`crate::regions`]
//! holds one per region; an engine with per-region state adds a field here and builds it
//! in `bootstrap::open_region`.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::pki::Pki;
use crate::provisioning::HookBindings;
use crate::registry::Registry;

/// What makes this emulator instance itself; created once and kept in the data dir.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    pub seed: u64,
    /// The region this identity belongs to; `None` in data dirs from before regions
    /// (whose region is `--region`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub endpoint_prefix: String,
    pub credentials_prefix: String,
    pub ca_cert_pem: String,
    pub ca_key_pem: String,
}

/// The hostnames DescribeEndpoint returns.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Endpoints {
    pub data: String,
    pub data_ats: String,
    pub credentials: String,
    pub jobs: String,
}

impl Identity {
    /// The AWS-shaped endpoint names for `region`.
    pub fn endpoints(&self, region: &str) -> Endpoints {
        let p = &self.endpoint_prefix;
        let dns = crate::registry::arn::dns_suffix(region);
        Endpoints {
            data: format!("{p}.iot.{region}.{dns}"),
            data_ats: format!("{p}-ats.iot.{region}.{dns}"),
            credentials: format!("{}.credentials.iot.{region}.{dns}", self.credentials_prefix),
            jobs: format!("{p}.jobs.iot.{region}.{dns}"),
        }
    }
}

/// The shared state handed to every front end (cheap to clone).
#[derive(Clone, Debug)]
pub struct Emulator {
    pub registry: Registry,
    pub pki: Pki,
    pub endpoints: Arc<Endpoints>,
    pub root_ca_path: Arc<PathBuf>,
    /// Local stand-ins for pre-provisioning hook Lambdas.
    pub hooks: Arc<HookBindings>,
    /// CloudFormation: stacks made of the registry's resources.
    pub cloudformation: crate::cloudformation::CloudFormation,
    /// The S3 stand-in (one for the account, as S3's namespace is).
    pub s3: crate::s3::S3,
    /// The broker side of iot-data (Publish, DeleteConnection), installed at startup.
    pub data_plane: DataPlaneSlot,
    /// Local Lambda functions and their runtime.
    pub lambda: crate::lambda::Lambda,
    /// The CloudWatch Logs subset Lambda (and the rules engine) write to.
    pub logs: crate::logs::Logs,
    /// AWS IoT Jobs.
    pub jobs: crate::jobs::Jobs,
    /// Device shadows (their messages go out through the broker installed at start-up).
    pub shadows: crate::shadows::Shadows,
}

/// A message published over HTTP (iot-data Publish), with its MQTT 5 properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataMessage {
    pub topic: String,
    pub payload: Vec<u8>,
    /// 0 or 1.
    pub qos: u8,
    pub retain: bool,
    pub user_properties: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub response_topic: Option<String>,
    pub correlation_data: Option<Vec<u8>>,
    pub payload_format_utf8: Option<bool>,
    /// Message Expiry Interval in seconds.
    pub message_expiry: Option<u32>,
    /// What the rules' `principal()` gives for it: the SigV4 caller's user id.
    pub principal: Option<String>,
}

/// Why the broker refused a data-plane request (iot-data exception names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataPlaneError {
    InvalidRequest(String),
    Forbidden(String),
    ResourceNotFound(String),
    RequestEntityTooLarge(String),
    InternalFailure(String),
}

/// What the control plane's iot-data routes need from the MQTT broker. The broker
/// implements it (`mqtt::data_plane`); `api` only sees this trait.
pub trait DataPlane: std::fmt::Debug + Send + Sync {
    /// Publishes like an MQTT client would (retained ones stored or cleared first).
    fn publish(&self, message: DataMessage) -> Result<(), DataPlaneError>;
    /// DeleteConnection; `false` when `client_id` has neither connection nor session.
    fn delete_connection(&self, client_id: &str, clean_session: bool, prevent_will: bool) -> bool;
}

/// Where the broker installs its [`DataPlane`] once it exists.
#[derive(Clone, Debug, Default)]
pub struct DataPlaneSlot(Arc<OnceLock<Arc<dyn DataPlane>>>);

impl DataPlaneSlot {
    /// Installs `plane`; a second install is ignored.
    pub fn install(&self, plane: Arc<dyn DataPlane>) {
        let _ = self.0.set(plane);
    }

    /// The installed data plane, if the broker is running.
    pub fn get(&self) -> Option<&Arc<dyn DataPlane>> {
        self.0.get()
    }
}
