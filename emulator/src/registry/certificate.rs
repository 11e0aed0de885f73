//! Device certificates: records, status rules and the certificate operations.

use serde::{Deserialize, Serialize};

/// AWS's `CertificateStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CertStatus {
    Active,
    Inactive,
    Revoked,
    PendingTransfer,
    RegisterInactive,
    PendingActivation,
}

/// `DEFAULT` or `SNI_ONLY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CertificateMode {
    #[default]
    Default,
    SniOnly,
}

/// A registered certificate, keyed by its id (hex SHA-256 of the DER).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Certificate {
    pub certificate_id: String,
    pub certificate_pem: String,
    /// The registered CA that signed it, if any.
    pub ca_certificate_id: Option<String>,
    pub status: CertStatus,
    pub owned_by: String,
    pub creation_date_ms: i64,
    pub last_modified_date_ms: i64,
    pub customer_version: u32,
    pub generation_id: String,
    pub not_before_ms: i64,
    pub not_after_ms: i64,
    pub certificate_mode: CertificateMode,
    /// Claim certificates from CreateProvisioningClaim stop working at this instant.
    pub expires_at_ms: Option<i64>,
    /// The template a provisioning claim was issued for.
    pub claim_template: Option<String>,
}
