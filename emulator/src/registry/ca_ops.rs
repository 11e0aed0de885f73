//! CA certificate writes: the registration code, RegisterCACertificate with its
//! verification certificate, UpdateCACertificate and DeleteCACertificate.

use std::collections::BTreeMap;

use super::ca::{
    ca_not_found, AutoRegistrationStatus, CaCertificate, CaStatus, RegistrationConfig,
};
use super::certificate::CertificateMode;
use super::{validate, ErrorKind, Inner, IotError, IotResult, Registry};
use crate::pki::parse::{self, CertInfo};

/// The `meta` key holding the account's registration code.
pub const REGISTRATION_CODE_KEY: &str = "registration_code";

/// At most this many CA certificates may share one subject (AWS quota).
const MAX_CAS_PER_SUBJECT: usize = 10;

/// The input of RegisterCACertificate.
#[derive(Debug, Clone, Default)]
pub struct RegisterCa {
    pub ca_certificate: String,
    pub verification_certificate: Option<String>,
    pub registration_config: Option<RegistrationConfig>,
    pub tags: BTreeMap<String, String>,
    pub certificate_mode: Option<String>,
    pub set_as_active: bool,
    pub allow_auto_registration: bool,
}

/// The input of UpdateCACertificate.
#[derive(Debug, Clone, Default)]
pub struct UpdateCa {
    pub new_status: Option<String>,
    pub new_auto_registration_status: Option<String>,
    pub registration_config: Option<RegistrationConfig>,
    pub remove_auto_registration: bool,
}

fn validation(message: impl Into<String>) -> IotError {
    IotError::new(ErrorKind::CertificateValidation, message)
}

fn enum_error(field: &str, value: &str, set: &str) -> IotError {
    IotError::invalid(format!(
        "1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: Member must satisfy enum value set: [{set}]"
    ))
}

fn parse_ca_status(value: &str) -> IotResult<CaStatus> {
    match value {
        "ACTIVE" => Ok(CaStatus::Active),
        "INACTIVE" => Ok(CaStatus::Inactive),
        _ => Err(enum_error("newStatus", value, "ACTIVE, INACTIVE")),
    }
}

fn parse_auto_registration(value: &str) -> IotResult<AutoRegistrationStatus> {
    match value {
        "ENABLE" => Ok(AutoRegistrationStatus::Enable),
        "DISABLE" => Ok(AutoRegistrationStatus::Disable),
        _ => Err(enum_error(
            "newAutoRegistrationStatus",
            value,
            "ENABLE, DISABLE",
        )),
    }
}

/// Checks a RegistrationConfig: either a template name (of an existing JITP template) or
/// an inline body with its role.
fn check_registration_config(inner: &Inner, config: &RegistrationConfig) -> IotResult<()> {
    if config.template_name.is_some() && config.template_body.is_some() {
        return Err(IotError::invalid(
            "A registration config may specify either templateName or templateBody, not both",
        ));
    }
    if let Some(body) = &config.template_body {
        validate::pattern("registrationConfig.templateBody", body, 0, 10240, |_| true)?;
    }
    if let Some(role) = &config.role_arn {
        validate::pattern("registrationConfig.roleArn", role, 20, 2048, |_| true)?;
    }
    if let Some(name) = &config.template_name {
        validate::template_name(name)?;
        let template = inner.templates.get(name).ok_or_else(|| {
            IotError::not_found(format!("The provisioning template {name} does not exist."))
        })?;
        if template.template_type != "JITP" {
            return Err(IotError::invalid(format!(
                "The provisioning template {name} is not of type JITP"
            )));
        }
    }
    Ok(())
}

impl Registry {
    /// GetRegistrationCode: created on first use, then the same until deleted.
    pub fn get_registration_code(&self) -> IotResult<String> {
        self.write(|inner, tx| {
            if let Some(code) = inner
                .meta
                .get(REGISTRATION_CODE_KEY)
                .and_then(|v| v.as_str())
            {
                return Ok(code.to_string());
            }
            let code = self.entropy().hex("registration-code", 32);
            inner.meta.put(
                tx,
                REGISTRATION_CODE_KEY,
                serde_json::Value::String(code.clone()),
            );
            Ok(code)
        })
    }

    /// DeleteRegistrationCode: the next GetRegistrationCode makes a new one.
    pub fn delete_registration_code(&self) -> IotResult<()> {
        self.write(|inner, tx| {
            inner.meta.remove(tx, REGISTRATION_CODE_KEY);
            Ok(())
        })
    }

    /// RegisterCACertificate.
    pub fn register_ca_certificate(&self, input: RegisterCa) -> IotResult<CaCertificate> {
        let mode = match input.certificate_mode.as_deref() {
            Some(m) => CertificateMode::parse(m)?,
            None => CertificateMode::Default,
        };
        let ca = parse::parse_certificate_pem(&input.ca_certificate)
            .ok_or_else(|| validation("The CA certificate is not a valid X.509 certificate."))?;
        if !ca.is_ca {
            return Err(validation("The certificate is not a CA certificate."));
        }
        if ca.not_after_ms < self.clock().now_ms() {
            return Err(validation("The CA certificate has expired."));
        }
        let verification = match (mode, input.verification_certificate.as_deref()) {
            (CertificateMode::Default, None) => {
                return Err(IotError::invalid(
                    "A verification certificate is required when certificateMode is DEFAULT",
                ))
            }
            (CertificateMode::SniOnly, Some(_)) => return Err(IotError::invalid(
                "A verification certificate must not be provided when certificateMode is SNI_ONLY",
            )),
            (_, pem) => pem,
        };
        self.write(|inner, tx| {
            if let Some(pem) = verification {
                check_verification(inner, &ca, pem)?;
            }
            self.check_new_ca(inner, &ca)?;
            if let Some(config) = &input.registration_config {
                check_registration_config(inner, config)?;
            }
            let record = self.new_ca_record(&input, &ca, mode);
            inner
                .ca_certificates
                .put(tx, ca.certificate_id.clone(), record.clone());
            Ok(record)
        })
    }

    fn check_new_ca(&self, inner: &Inner, ca: &CertInfo) -> IotResult<()> {
        if inner.ca_certificates.contains(&ca.certificate_id) {
            let arn = self.account().cacert_arn(&ca.certificate_id);
            return Err(IotError::already_exists(
                "The CA certificate is already registered",
                &ca.certificate_id,
                &arn,
            ));
        }
        let same_subject = inner
            .ca_certificates
            .values()
            .filter_map(|c| parse::parse_certificate_pem(&c.certificate_pem))
            .filter(|c| c.subject_der == ca.subject_der)
            .count();
        if same_subject >= MAX_CAS_PER_SUBJECT {
            return Err(IotError::new(
                ErrorKind::LimitExceeded,
                "The maximum number of CA certificates with the same subject has been reached",
            ));
        }
        Ok(())
    }

    fn new_ca_record(
        &self,
        input: &RegisterCa,
        ca: &CertInfo,
        mode: CertificateMode,
    ) -> CaCertificate {
        let now = self.clock().now_ms();
        CaCertificate {
            certificate_id: ca.certificate_id.clone(),
            certificate_pem: input.ca_certificate.clone(),
            status: if input.set_as_active {
                CaStatus::Active
            } else {
                CaStatus::Inactive
            },
            auto_registration_status: if input.allow_auto_registration {
                AutoRegistrationStatus::Enable
            } else {
                AutoRegistrationStatus::Disable
            },
            registration_config: input.registration_config.clone(),
            owned_by: self.account().account_id.clone(),
            creation_date_ms: now,
            last_modified_date_ms: now,
            customer_version: 1,
            generation_id: self.entropy().uuid("generation-id"),
            not_before_ms: ca.not_before_ms,
            not_after_ms: ca.not_after_ms,
            certificate_mode: mode,
            tags: input.tags.clone(),
        }
    }
}

/// The verification certificate must carry the registration code as its CN and be signed
/// by the CA.
fn check_verification(inner: &Inner, ca: &CertInfo, pem: &str) -> IotResult<()> {
    let cert = parse::parse_certificate_pem(pem).ok_or_else(|| {
        validation("The verification certificate is not a valid X.509 certificate.")
    })?;
    let code = inner
        .meta
        .get(REGISTRATION_CODE_KEY)
        .and_then(|v| v.as_str());
    if code.is_none() || cert.common_name.as_deref() != code {
        return Err(IotError::new(
            ErrorKind::RegistrationCodeValidation,
            "The registration code is invalid",
        ));
    }
    if !parse::is_signed_by(&cert.der, &ca.der) {
        return Err(validation(
            "The verification certificate is not signed by the CA certificate.",
        ));
    }
    Ok(())
}

impl UpdateCa {
    /// The new status and auto-registration status, validated with the combination rule.
    fn parsed(&self) -> IotResult<(Option<CaStatus>, Option<AutoRegistrationStatus>)> {
        let status = self
            .new_status
            .as_deref()
            .map(parse_ca_status)
            .transpose()?;
        let auto = self
            .new_auto_registration_status
            .as_deref()
            .map(parse_auto_registration)
            .transpose()?;
        // AWS's behaviour for both at once is undocumented; refusing it is the guess.
        if self.remove_auto_registration && self.registration_config.is_some() {
            return Err(IotError::invalid(
                "registrationConfig cannot be given together with removeAutoRegistration",
            ));
        }
        Ok((status, auto))
    }
}

impl Registry {
    /// UpdateCACertificate.
    pub fn update_ca_certificate(&self, id: &str, update: UpdateCa) -> IotResult<()> {
        validate::certificate_id("caCertificateId", id)?;
        let (status, auto) = update.parsed()?;
        let now = self.clock().now_ms();
        self.write(|inner, tx| {
            if !inner.ca_certificates.contains(id) {
                return Err(ca_not_found(id));
            }
            if let Some(config) = &update.registration_config {
                check_registration_config(inner, config)?;
            }
            let generation = self.entropy().uuid("generation-id");
            inner.ca_certificates.update(tx, id, |ca| {
                if let Some(s) = status {
                    ca.status = s;
                }
                if let Some(a) = auto {
                    ca.auto_registration_status = a;
                }
                if update.remove_auto_registration {
                    ca.registration_config = None;
                } else if let Some(config) = update.registration_config {
                    ca.registration_config = Some(config);
                }
                ca.last_modified_date_ms = now;
                ca.customer_version += 1;
                ca.generation_id = generation;
            });
            Ok(())
        })
    }

    /// DeleteCACertificate: the CA must be INACTIVE and no device certificate registered
    /// under it may remain.
    pub fn delete_ca_certificate(&self, id: &str) -> IotResult<()> {
        validate::certificate_id("caCertificateId", id)?;
        self.write(|inner, tx| {
            let ca = inner.ca_certificates.get(id).ok_or_else(|| ca_not_found(id))?;
            // AWS's exact wording for both refusals is not documented.
            if ca.status == CaStatus::Active {
                return Err(IotError::new(
                    ErrorKind::CertificateState,
                    format!("CA certificate must be deactivated (not ACTIVE) before deletion. Id: {id}"),
                ));
            }
            let in_use = inner
                .certificates
                .values()
                .any(|c| c.ca_certificate_id.as_deref() == Some(id));
            if in_use {
                return Err(IotError::new(
                    ErrorKind::CertificateState,
                    format!("Certificates registered with CA certificate {id} must be deleted before the CA certificate can be deleted."),
                ));
            }
            inner.ca_certificates.remove(tx, id);
            super::tags::forget(inner, tx, &self.account().cacert_arn(id));
            Ok(())
        })
    }
}
