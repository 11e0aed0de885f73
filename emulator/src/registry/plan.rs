//! What an evaluated provisioning template asks of the registry, as plain data: the
//! thing, certificate and policies to create, update and attach, with their
//! OverrideSettings. The template engine (`provisioning::template`) builds a [`Plan`];
//! [`Registry::apply_plan`](super::Registry::apply_plan) applies it.

use std::collections::BTreeMap;

use super::certificate::CertStatus;

/// An `OverrideSettings` value (dataplane §2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Override {
    /// Keep the existing value. Also what an omitted setting means: AWS does not say
    /// (UNCONFIRMED), and leaving an existing thing alone is the least surprising.
    #[default]
    DoNothing,
    Replace,
    Fail,
    Merge,
}

/// Per-property overrides for an existing thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ThingOverrides {
    /// Whether the resource has OverrideSettings at all (`{}` included); without them, a
    /// template that disagrees with an existing thing is refused (see `apply`).
    pub given: bool,
    pub attribute_payload: Override,
    pub thing_type_name: Override,
    pub thing_groups: Override,
    pub billing_group: Override,
}

/// The `AWS::IoT::Thing` resource, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThingPlan {
    pub logical_id: String,
    pub thing_name: String,
    pub attributes: Option<BTreeMap<String, String>>,
    pub thing_type_name: Option<String>,
    pub thing_groups: Option<Vec<String>>,
    pub billing_group: Option<String>,
    pub overrides: ThingOverrides,
}

/// How the `AWS::IoT::Certificate` resource names its certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateSource {
    Id(String),
    Pem {
        pem: String,
        ca_pem: Option<String>,
    },
    /// Bulk and single-thing registration only; fleet provisioning refuses it.
    Csr(String),
}

/// The `AWS::IoT::Certificate` resource, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificatePlan {
    pub logical_id: String,
    pub source: CertificateSource,
    /// ACTIVE (the default) or INACTIVE.
    pub status: CertStatus,
    pub status_override: Override,
}

/// An `AWS::IoT::Policy` resource, resolved: an existing policy when `document` is None.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyPlan {
    pub logical_id: String,
    pub policy_name: String,
    pub document: Option<String>,
}

/// Everything an evaluated template asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub thing: Option<ThingPlan>,
    pub certificate: Option<CertificatePlan>,
    pub policies: Vec<PolicyPlan>,
    pub device_configuration: BTreeMap<String, String>,
}
