//! The provisioning template language, as a pure function: a body is parsed into a
//! [`Template`] (the checks AWS makes at CreateProvisioningTemplate), then evaluated with a
//! parameter map into a [`Plan`] (what to create, update and attach, and the resolved
//! DeviceConfiguration). Nothing here touches the registry; `Registry::apply_plan` does.
//!
//! Fleet provisioning injects `AWS::IoT::Certificate::Id`; JITP injects the certificate's
//! subject fields too (dataplane §3.4). Both just pass them in the `injected` map.

mod eval;
mod parse;
mod plan;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::registry::{ErrorKind, IotError, IotResult};

pub use crate::registry::plan::{
    CertificatePlan, CertificateSource, Override, Plan, PolicyPlan, ThingOverrides, ThingPlan,
};

/// The parameter every fleet-provisioning and JITP evaluation injects.
pub const CERTIFICATE_ID: &str = "AWS::IoT::Certificate::Id";

/// The three resource types a template may declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    Thing,
    Certificate,
    Policy,
}

impl ResourceType {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "AWS::IoT::Thing" => Some(ResourceType::Thing),
            "AWS::IoT::Certificate" => Some(ResourceType::Certificate),
            "AWS::IoT::Policy" => Some(ResourceType::Policy),
            _ => None,
        }
    }
}

/// One entry of `Resources`, not yet evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub logical_id: String,
    pub kind: ResourceType,
    /// The raw `Properties`, intrinsics unresolved.
    pub properties: Map<String, Value>,
    /// `OverrideSettings`, keyed by the property name (upper-snake keys normalised).
    pub overrides: BTreeMap<String, Override>,
    /// Whether the resource has an `OverrideSettings` key at all (even `{}`).
    pub has_override_settings: bool,
    /// A `PolicyDocument` without intrinsic calls, written out and checked once here
    /// rather than at every evaluation.
    pub fixed_document: Option<FixedDocument>,
}

/// A constant policy document: its text, its check's error (if malformed) and the name a
/// policy given only by it gets.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedDocument {
    pub text: String,
    pub malformed: Option<(ErrorKind, String)>,
    pub hash_name: String,
}

/// A parsed template body.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Template {
    /// Declared parameters and their `Default`, if any.
    pub parameters: BTreeMap<String, Option<String>>,
    /// `Mappings`: map → top-level key → second-level key → value (a string or a list).
    pub mappings: Map<String, Value>,
    /// `Resources` in the body's order.
    pub resources: Vec<Resource>,
    /// `DeviceConfiguration`, intrinsics unresolved.
    pub device_configuration: Map<String, Value>,
}

impl Template {
    /// Parses and checks a body the way CreateProvisioningTemplate does.
    pub fn parse(body: &str) -> IotResult<Template> {
        parse::template(body)
    }

    /// Evaluates the template with the request's `parameters` and the values the service
    /// injects (which win over request values of the same name).
    pub fn evaluate(
        &self,
        parameters: &BTreeMap<String, String>,
        injected: &BTreeMap<String, String>,
    ) -> IotResult<Plan> {
        plan::build(self, parameters, injected)
    }
}

/// InvalidRequestException for a body CreateProvisioningTemplate refuses.
pub(crate) fn invalid_template(message: impl std::fmt::Display) -> IotError {
    IotError::invalid(format!("Invalid template: {message}"))
}

/// InvalidParameters for a template that cannot be evaluated with the given values.
pub(crate) fn invalid_parameters(message: impl Into<String>) -> IotError {
    IotError::new(ErrorKind::InvalidParameters, message)
}

/// AWS's message for a reference that resolves to nothing (dataplane §1.4).
pub(crate) fn unresolved(name: &str) -> IotError {
    invalid_parameters(format!("Cannot resolve reference value: {name}"))
}
