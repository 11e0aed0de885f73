//! CA certificates: registration with verification, auto-registration settings.

use serde::{Deserialize, Serialize};

use super::certificate::CertificateMode;

/// `ACTIVE` or `INACTIVE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CaStatus {
    Active,
    Inactive,
}

/// `ENABLE` or `DISABLE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AutoRegistrationStatus {
    Enable,
    Disable,
}

/// A CA's JITP configuration (the wire shape `RegistrationConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_name: Option<String>,
}

/// A registered CA certificate, keyed by its id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaCertificate {
    pub certificate_id: String,
    pub certificate_pem: String,
    pub status: CaStatus,
    pub auto_registration_status: AutoRegistrationStatus,
    pub registration_config: Option<RegistrationConfig>,
    pub owned_by: String,
    pub creation_date_ms: i64,
    pub last_modified_date_ms: i64,
    pub customer_version: u32,
    pub generation_id: String,
    pub not_before_ms: i64,
    pub not_after_ms: i64,
    pub certificate_mode: CertificateMode,
}
