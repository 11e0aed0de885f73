//! The one value every front end receives: registry, PKI, identity and configuration.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::pki::Pki;
use crate::provisioning::HookBindings;
use crate::registry::Registry;

/// What makes this emulator instance itself; created once and kept in the data dir.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Identity {
    pub seed: u64,
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
        Endpoints {
            data: format!("{p}.iot.{region}.amazonaws.com"),
            data_ats: format!("{p}-ats.iot.{region}.amazonaws.com"),
            credentials: format!(
                "{}.credentials.iot.{region}.amazonaws.com",
                self.credentials_prefix
            ),
            jobs: format!("{p}.jobs.iot.{region}.amazonaws.com"),
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
}
