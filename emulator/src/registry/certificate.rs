//! Device certificates: records, status rules and the certificate reads (the writes are in
//! `certificate_ops`).

use serde::{Deserialize, Serialize};

use super::{validate, IotError, IotResult, Registry};

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

impl CertStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CertStatus::Active => "ACTIVE",
            CertStatus::Inactive => "INACTIVE",
            CertStatus::Revoked => "REVOKED",
            CertStatus::PendingTransfer => "PENDING_TRANSFER",
            CertStatus::RegisterInactive => "REGISTER_INACTIVE",
            CertStatus::PendingActivation => "PENDING_ACTIVATION",
        }
    }

    /// Parses the wire spelling, with the model's enum validation message for `field`.
    pub fn parse(field: &str, value: &str) -> IotResult<Self> {
        serde_json::from_value(serde_json::Value::String(value.to_string())).map_err(|_| {
            IotError::invalid(format!(
                "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [ACTIVE, INACTIVE, REVOKED, PENDING_TRANSFER, REGISTER_INACTIVE, PENDING_ACTIVATION]"
            ))
        })
    }

    /// The statuses a caller may set: AWS keeps PENDING_TRANSFER and PENDING_ACTIVATION
    /// for itself and has deprecated REGISTER_INACTIVE.
    pub fn parse_settable(field: &str, value: &str) -> IotResult<Self> {
        let status = Self::parse(field, value)?;
        match status {
            CertStatus::Active | CertStatus::Inactive | CertStatus::Revoked => Ok(status),
            // AWS documents "an exception" for these without naming it; InvalidRequest is
            // the plausible one.
            _ => Err(IotError::invalid(format!(
                "The certificate status {value} cannot be set directly"
            ))),
        }
    }
}

/// `DEFAULT` or `SNI_ONLY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CertificateMode {
    #[default]
    Default,
    SniOnly,
}

impl CertificateMode {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateMode::Default => "DEFAULT",
            CertificateMode::SniOnly => "SNI_ONLY",
        }
    }

    /// Parses `certificateMode`.
    pub fn parse(value: &str) -> IotResult<Self> {
        match value {
            "DEFAULT" => Ok(CertificateMode::Default),
            "SNI_ONLY" => Ok(CertificateMode::SniOnly),
            _ => Err(IotError::invalid(format!(
                "1 validation error detected: Value '{value}' at 'certificateMode' failed to satisfy constraint: Member must satisfy enum value set: [DEFAULT, SNI_ONLY]"
            ))),
        }
    }
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

/// AWS's ResourceNotFoundException for a certificate id.
pub(crate) fn cert_not_found(id: &str) -> IotError {
    IotError::not_found(format!("The certificate {id} does not exist."))
}

/// Orders by creation date (then id), oldest first when `ascending`, else newest first.
pub(crate) fn by_creation(mut certs: Vec<Certificate>, ascending: bool) -> Vec<Certificate> {
    certs.sort_by(|a, b| {
        (a.creation_date_ms, &a.certificate_id).cmp(&(b.creation_date_ms, &b.certificate_id))
    });
    if !ascending {
        certs.reverse();
    }
    certs
}

impl Registry {
    /// The certificate with `id`, if registered (for the broker and credentials provider).
    pub fn certificate_by_id(&self, id: &str) -> Option<Certificate> {
        self.read(|inner| inner.certificates.get(id).cloned())
    }

    /// DescribeCertificate.
    pub fn describe_certificate(&self, id: &str) -> IotResult<Certificate> {
        validate::certificate_id("certificateId", id)?;
        self.certificate_by_id(id).ok_or_else(|| cert_not_found(id))
    }

    /// ListCertificates: every certificate except temporary provisioning claims, which
    /// AWS keeps out of the account's list.
    pub fn list_certificates(&self, ascending: bool) -> Vec<Certificate> {
        let certs = self.read(|inner| {
            inner
                .certificates
                .values()
                .filter(|c| c.claim_template.is_none())
                .cloned()
                .collect()
        });
        by_creation(certs, ascending)
    }

    /// ListCertificatesByCA: the certificates registered under `ca_id` (none when the CA
    /// is unknown; AWS's model lists no ResourceNotFoundException for this operation).
    pub fn list_certificates_by_ca(
        &self,
        ca_id: &str,
        ascending: bool,
    ) -> IotResult<Vec<Certificate>> {
        validate::certificate_id("caCertificateId", ca_id)?;
        let certs = self.read(|inner| {
            inner
                .certificates
                .values()
                .filter(|c| c.ca_certificate_id.as_deref() == Some(ca_id))
                .cloned()
                .collect()
        });
        Ok(by_creation(certs, ascending))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use rcgen::{CertificateParams, DnType, KeyPair};

    use super::*;

    use crate::pki::IssuedCertificate;
    use crate::registry::policy::{target_key, PolicyTarget};
    use crate::registry::template::ProvisioningTemplate;
    use crate::registry::thing::Thing;
    use crate::registry::ErrorKind;

    pub(crate) fn registry() -> Registry {
        crate::registry::testing::registry_at(0)
    }

    /// A self-signed certificate standing in for one the emulator issued.
    pub(crate) fn issued(cn: &str) -> IssuedCertificate {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        let pem = params.self_signed(&key).unwrap().pem();
        let info = crate::pki::parse::parse_certificate_pem(&pem).unwrap();
        IssuedCertificate {
            certificate_id: info.certificate_id,
            certificate_pem: pem,
            not_before_ms: info.not_before_ms,
            not_after_ms: info.not_after_ms,
        }
    }

    fn kind<T: std::fmt::Debug>(r: IotResult<T>) -> ErrorKind {
        r.unwrap_err().kind
    }

    #[test]
    fn create_describe_list_and_duplicates() {
        let reg = registry();
        let cert = issued("a");
        let stored = reg.create_keys_and_certificate(&cert, true).unwrap();
        assert_eq!(stored.status, CertStatus::Active);
        assert_eq!(stored.owned_by, "123456789012");
        let other = reg
            .create_certificate_from_csr(&issued("b"), false)
            .unwrap();
        assert_eq!(other.status, CertStatus::Inactive);
        let described = reg.describe_certificate(&cert.certificate_id).unwrap();
        assert_eq!(described.certificate_pem, cert.certificate_pem);
        assert_eq!(reg.list_certificates(true).len(), 2);
        let dup = reg.create_keys_and_certificate(&cert, true).unwrap_err();
        assert_eq!(dup.kind, ErrorKind::ResourceAlreadyExists);
        assert_eq!(dup.resource.unwrap().0, cert.certificate_id);
        assert_eq!(
            kind(reg.describe_certificate(&"0".repeat(64))),
            ErrorKind::ResourceNotFound
        );
        assert_eq!(
            kind(reg.describe_certificate("xyz")),
            ErrorKind::InvalidRequest
        );
    }

    #[test]
    fn status_transitions_follow_aws() {
        let reg = registry();
        let id = reg
            .create_keys_and_certificate(&issued("a"), false)
            .unwrap()
            .certificate_id;
        assert_eq!(
            kind(reg.update_certificate(&id, "BOGUS")),
            ErrorKind::InvalidRequest
        );
        assert_eq!(
            kind(reg.update_certificate(&id, "PENDING_TRANSFER")),
            ErrorKind::InvalidRequest
        );
        assert_eq!(
            kind(reg.update_certificate(&id, "PENDING_ACTIVATION")),
            ErrorKind::InvalidRequest
        );
        reg.update_certificate(&id, "ACTIVE").unwrap();
        let cert = reg.certificate_by_id(&id).unwrap();
        assert_eq!(
            (cert.status, cert.customer_version),
            (CertStatus::Active, 2)
        );
        reg.update_certificate(&id, "REVOKED").unwrap();
        assert_eq!(
            kind(reg.update_certificate(&id, "ACTIVE")),
            ErrorKind::CertificateState
        );
        reg.update_certificate(&id, "REVOKED").unwrap();
    }

    fn attach_thing(reg: &Registry, arn: &str) {
        let thing = Thing {
            thing_name: "t".into(),
            thing_id: "id".into(),
            thing_type_name: None,
            attributes: BTreeMap::new(),
            version: 1,
            billing_group_name: None,
            principals: BTreeMap::from([(arn.to_string(), "NON_EXCLUSIVE_THING".to_string())]),
            thing_groups: Vec::new(),
            creation_date_ms: 0,
        };
        reg.write(|inner, tx| {
            inner.things.put(tx, "t", thing);
            Ok(())
        })
        .unwrap();
    }

    fn attach_policy(reg: &Registry, arn: &str) {
        reg.write(|inner, tx| {
            let target = PolicyTarget {
                policy_name: "p".into(),
                target: arn.to_string(),
            };
            inner.policy_targets.put(tx, target_key("p", arn), target);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn delete_rules() {
        let reg = registry();
        let id = reg
            .create_keys_and_certificate(&issued("a"), true)
            .unwrap()
            .certificate_id;
        let arn = reg.account().cert_arn(&id);
        let err = reg.delete_certificate(&id, true).unwrap_err();
        assert_eq!(err.kind, ErrorKind::CertificateState);
        assert!(err
            .message
            .starts_with("Certificate must be deactivated (not ACTIVE)"));
        reg.update_certificate(&id, "INACTIVE").unwrap();
        attach_thing(&reg, &arn);
        assert_eq!(
            kind(reg.delete_certificate(&id, true)),
            ErrorKind::DeleteConflict
        );
        reg.write(|inner, tx| {
            inner.things.remove(tx, "t");
            Ok(())
        })
        .unwrap();
        attach_policy(&reg, &arn);
        assert_eq!(
            kind(reg.delete_certificate(&id, false)),
            ErrorKind::DeleteConflict
        );
        assert!(reg.certificate_by_id(&id).is_some());
        reg.delete_certificate(&id, true).unwrap();
        assert!(reg.certificate_by_id(&id).is_none());
        assert!(reg.read(|inner| inner.policy_targets.is_empty()));
        assert_eq!(
            kind(reg.delete_certificate(&id, false)),
            ErrorKind::ResourceNotFound
        );
    }

    #[test]
    fn provisioning_claims_expire_and_stay_unlisted() {
        let reg = registry();
        let cert = issued("claim");
        assert_eq!(
            kind(reg.create_provisioning_claim("tmpl", &cert)),
            ErrorKind::ResourceNotFound
        );
        let template = ProvisioningTemplate {
            template_name: "tmpl".into(),
            description: None,
            enabled: true,
            provisioning_role_arn: "arn:aws:iam::123456789012:role/r".into(),
            pre_provisioning_hook: None,
            template_type: "FLEET_PROVISIONING".into(),
            versions: BTreeMap::new(),
            default_version_id: 1,
            next_version_id: 2,
            creation_date_ms: 0,
            last_modified_date_ms: 0,
        };
        reg.write(|inner, tx| {
            inner.templates.put(tx, "tmpl", template);
            Ok(())
        })
        .unwrap();
        let claim = reg.create_provisioning_claim("tmpl", &cert).unwrap();
        assert_eq!(claim.status, CertStatus::Active);
        assert_eq!(claim.expires_at_ms, Some(cert.not_after_ms));
        assert_eq!(claim.claim_template.as_deref(), Some("tmpl"));
        assert!(reg.list_certificates(false).is_empty());
        assert!(reg.certificate_by_id(&claim.certificate_id).is_some());
    }
}
