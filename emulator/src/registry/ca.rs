//! CA certificates: records, auto-registration settings and the CA reads (the writes are
//! in `ca_ops`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::certificate::{Certificate, CertificateMode};
use super::{validate, IotError, IotResult, Registry};
use crate::pki::parse;

/// `ACTIVE` or `INACTIVE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CaStatus {
    Active,
    Inactive,
}

impl CaStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CaStatus::Active => "ACTIVE",
            CaStatus::Inactive => "INACTIVE",
        }
    }
}

/// `ENABLE` or `DISABLE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AutoRegistrationStatus {
    Enable,
    Disable,
}

impl AutoRegistrationStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AutoRegistrationStatus::Enable => "ENABLE",
            AutoRegistrationStatus::Disable => "DISABLE",
        }
    }
}

/// A CA's JITP configuration (the wire shape `RegistrationConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    /// Tags given at registration.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

impl CaCertificate {
    /// Whether just-in-time registration registers the certificates it signed.
    pub fn auto_registers(&self) -> bool {
        self.status == CaStatus::Active
            && self.auto_registration_status == AutoRegistrationStatus::Enable
    }
}

/// AWS's ResourceNotFoundException for a CA id.
pub(crate) fn ca_not_found(id: &str) -> IotError {
    IotError::not_found(format!("The CA certificate {id} does not exist."))
}

impl Registry {
    /// The CA certificate with `id`, if registered (for the broker's auto-registration).
    pub fn ca_certificate_by_id(&self, id: &str) -> Option<CaCertificate> {
        self.read(|inner| inner.ca_certificates.get(id).cloned())
    }

    /// The registered, auto-registering CA that signed `leaf_der`, if any.
    pub fn auto_registering_ca_of(&self, leaf_der: &[u8]) -> Option<CaCertificate> {
        self.read(|inner| {
            inner
                .ca_certificates
                .values()
                .filter(|ca| ca.auto_registers())
                .find(|ca| {
                    parse::pem_to_der(&ca.certificate_pem)
                        .is_some_and(|ca_der| parse::is_signed_by(leaf_der, &ca_der))
                })
                .cloned()
        })
    }

    /// The certificate with `id` and the record of the CA it names (if that is
    /// registered), read together: what a TLS listener judges a presented certificate by.
    pub fn certificate_with_ca(&self, id: &str) -> Option<(Certificate, Option<CaCertificate>)> {
        self.read(|inner| {
            let cert = inner.certificates.get(id).cloned()?;
            let ca = cert
                .ca_certificate_id
                .as_deref()
                .and_then(|ca_id| inner.ca_certificates.get(ca_id).cloned());
            Some((cert, ca))
        })
    }

    /// DescribeCACertificate.
    pub fn describe_ca_certificate(&self, id: &str) -> IotResult<CaCertificate> {
        validate::certificate_id("caCertificateId", id)?;
        self.ca_certificate_by_id(id)
            .ok_or_else(|| ca_not_found(id))
    }

    /// ListCACertificates, optionally only those whose registrationConfig names
    /// `template_name`; ordered by creation date like ListCertificates.
    pub fn list_ca_certificates(
        &self,
        template_name: Option<&str>,
        ascending: bool,
    ) -> IotResult<Vec<CaCertificate>> {
        if let Some(name) = template_name {
            validate::template_name(name)?;
        }
        let mut cas: Vec<CaCertificate> = self.read(|inner| {
            inner
                .ca_certificates
                .values()
                .filter(|ca| {
                    template_name.is_none_or(|name| {
                        ca.registration_config
                            .as_ref()
                            .and_then(|c| c.template_name.as_deref())
                            == Some(name)
                    })
                })
                .cloned()
                .collect()
        });
        cas.sort_by(|a, b| {
            (a.creation_date_ms, &a.certificate_id).cmp(&(b.creation_date_ms, &b.certificate_id))
        });
        if !ascending {
            cas.reverse();
        }
        Ok(cas)
    }
}

#[cfg(test)]
mod tests {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

    use super::*;
    use crate::registry::ca_ops::{RegisterCa, UpdateCa};
    use crate::registry::certificate::tests::registry;
    use crate::registry::certificate::CertStatus;
    use crate::registry::ErrorKind;

    fn ca(cn: &str) -> (String, Issuer<'static, KeyPair>) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let pem = params.self_signed(&key).unwrap().pem();
        let issuer = Issuer::from_ca_cert_pem(&pem, key).unwrap();
        (pem, issuer)
    }

    fn leaf(issuer: &Issuer<'static, KeyPair>, cn: &str) -> String {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.signed_by(&key, issuer).unwrap().pem()
    }

    fn kind<T: std::fmt::Debug>(r: IotResult<T>) -> ErrorKind {
        r.unwrap_err().kind
    }

    fn input(ca_pem: &str, verification: Option<String>) -> RegisterCa {
        RegisterCa {
            ca_certificate: ca_pem.to_string(),
            verification_certificate: verification,
            ..RegisterCa::default()
        }
    }

    #[test]
    fn registration_code_is_stable_until_deleted() {
        let reg = registry();
        let code = reg.get_registration_code().unwrap();
        assert_eq!(code.len(), 64);
        assert_eq!(reg.get_registration_code().unwrap(), code);
        reg.delete_registration_code().unwrap();
        assert_ne!(reg.get_registration_code().unwrap(), code);
    }

    #[test]
    fn register_ca_checks_verification() {
        let reg = registry();
        let (ca_pem, issuer) = ca("Root");
        let code = reg.get_registration_code().unwrap();
        assert_eq!(
            kind(reg.register_ca_certificate(input(&ca_pem, None))),
            ErrorKind::InvalidRequest
        );
        let wrong_cn = leaf(&issuer, "not-the-code");
        let r = reg.register_ca_certificate(input(&ca_pem, Some(wrong_cn)));
        assert_eq!(kind(r), ErrorKind::RegistrationCodeValidation);
        let (_, other) = ca("Other");
        let r = reg.register_ca_certificate(input(&ca_pem, Some(leaf(&other, &code))));
        assert_eq!(kind(r), ErrorKind::CertificateValidation);
        let not_ca = leaf(&issuer, "device");
        let r = reg.register_ca_certificate(input(&not_ca, Some(leaf(&issuer, &code))));
        assert_eq!(kind(r), ErrorKind::CertificateValidation);
        let stored = reg
            .register_ca_certificate(input(&ca_pem, Some(leaf(&issuer, &code))))
            .unwrap();
        assert_eq!(stored.status, CaStatus::Inactive);
        assert_eq!(
            stored.auto_registration_status,
            AutoRegistrationStatus::Disable
        );
        let dup = reg.register_ca_certificate(input(&ca_pem, Some(leaf(&issuer, &code))));
        assert_eq!(kind(dup), ErrorKind::ResourceAlreadyExists);
        let (sni_pem, _) = ca("Sni");
        let mut sni = input(&sni_pem, None);
        sni.certificate_mode = Some("SNI_ONLY".into());
        let sni = reg.register_ca_certificate(sni).unwrap();
        assert_eq!(sni.certificate_mode, CertificateMode::SniOnly);
        assert_eq!(reg.list_ca_certificates(None, true).unwrap().len(), 2);
    }

    #[test]
    fn device_certificates_under_a_ca() {
        let reg = registry();
        let (ca_pem, issuer) = ca("Root");
        let code = reg.get_registration_code().unwrap();
        let ca_id = reg
            .register_ca_certificate(input(&ca_pem, Some(leaf(&issuer, &code))))
            .unwrap()
            .certificate_id;
        let device = leaf(&issuer, "device-1");
        let r = reg.register_certificate(&device, Some(&ca_pem), None, Some(true));
        assert_eq!(kind(r), ErrorKind::CertificateState);
        let activate = UpdateCa {
            new_status: Some("ACTIVE".into()),
            ..UpdateCa::default()
        };
        reg.update_ca_certificate(&ca_id, activate).unwrap();
        let (_, stranger) = ca("Stranger");
        let r = reg.register_certificate(&leaf(&stranger, "x"), Some(&ca_pem), None, None);
        assert_eq!(kind(r), ErrorKind::CertificateValidation);
        let cert = reg
            .register_certificate(&device, None, Some("ACTIVE"), None)
            .unwrap();
        assert_eq!(cert.ca_certificate_id.as_deref(), Some(ca_id.as_str()));
        assert_eq!(cert.status, CertStatus::Active);
        assert_eq!(reg.list_certificates_by_ca(&ca_id, true).unwrap().len(), 1);
        let free = reg
            .register_certificate_without_ca(&leaf(&stranger, "y"), None)
            .unwrap();
        assert_eq!(free.certificate_mode, CertificateMode::SniOnly);
        assert_eq!(free.status, CertStatus::Inactive);
        assert_eq!(
            kind(reg.delete_ca_certificate(&ca_id)),
            ErrorKind::CertificateState
        );
        let deactivate = UpdateCa {
            new_status: Some("INACTIVE".into()),
            ..UpdateCa::default()
        };
        reg.update_ca_certificate(&ca_id, deactivate).unwrap();
        assert_eq!(
            kind(reg.delete_ca_certificate(&ca_id)),
            ErrorKind::CertificateState
        );
        reg.update_certificate(&cert.certificate_id, "INACTIVE")
            .unwrap();
        reg.delete_certificate(&cert.certificate_id, false).unwrap();
        reg.delete_ca_certificate(&ca_id).unwrap();
        assert_eq!(
            kind(reg.describe_ca_certificate(&ca_id)),
            ErrorKind::ResourceNotFound
        );
    }

    #[test]
    fn registration_config_needs_a_jitp_template() {
        let reg = registry();
        let (ca_pem, _) = ca("Root");
        let mut sni = input(&ca_pem, None);
        sni.certificate_mode = Some("SNI_ONLY".into());
        sni.registration_config = Some(RegistrationConfig {
            template_name: Some("missing".into()),
            ..RegistrationConfig::default()
        });
        assert_eq!(
            kind(reg.register_ca_certificate(sni)),
            ErrorKind::ResourceNotFound
        );
    }
}
