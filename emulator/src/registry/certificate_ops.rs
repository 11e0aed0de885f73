//! Certificate writes: issuing, registering, status changes, deletion and provisioning
//! claims.

use super::ca::{CaCertificate, CaStatus};
use super::certificate::{cert_not_found, CertStatus, Certificate, CertificateMode};
use super::{validate, ErrorKind, Inner, IotError, IotResult, Registry, RegistryEvent, Tx};
use crate::pki::parse::{self, CertInfo};
use crate::pki::IssuedCertificate;

/// Everything needed to store a new certificate.
#[derive(Debug, Clone)]
struct NewCert {
    certificate_id: String,
    certificate_pem: String,
    not_before_ms: i64,
    not_after_ms: i64,
    status: CertStatus,
    ca_certificate_id: Option<String>,
    certificate_mode: CertificateMode,
    expires_at_ms: Option<i64>,
    claim_template: Option<String>,
}

impl NewCert {
    fn issued(cert: &IssuedCertificate, status: CertStatus) -> Self {
        NewCert {
            certificate_id: cert.certificate_id.clone(),
            certificate_pem: cert.certificate_pem.clone(),
            not_before_ms: cert.not_before_ms,
            not_after_ms: cert.not_after_ms,
            status,
            ca_certificate_id: None,
            certificate_mode: CertificateMode::Default,
            expires_at_ms: None,
            claim_template: None,
        }
    }

    fn registered(pem: &str, info: &CertInfo, status: CertStatus) -> Self {
        NewCert {
            certificate_id: info.certificate_id.clone(),
            certificate_pem: pem.to_string(),
            not_before_ms: info.not_before_ms,
            not_after_ms: info.not_after_ms,
            status,
            ca_certificate_id: None,
            certificate_mode: CertificateMode::Default,
            expires_at_ms: None,
            claim_template: None,
        }
    }
}

fn status_from(active: bool) -> CertStatus {
    if active {
        CertStatus::Active
    } else {
        CertStatus::Inactive
    }
}

fn validation(message: impl Into<String>) -> IotError {
    IotError::new(ErrorKind::CertificateValidation, message)
}

fn state(message: impl Into<String>) -> IotError {
    IotError::new(ErrorKind::CertificateState, message)
}

/// The `status` of RegisterCertificate(WithoutCA). PENDING_ACTIVATION is refused with the
/// error AWS returns (seen on AWS: CertificateStateException, HTTP 406).
fn registration_status(value: &str) -> IotResult<CertStatus> {
    if value == "PENDING_ACTIVATION" {
        return Err(state(
            "Not allowed to register certificate with PENDING_ACTIVATION status",
        ));
    }
    CertStatus::parse_settable("status", value)
}

/// The registered CA that signed `der`, if any.
pub(crate) fn signing_ca<'a>(inner: &'a Inner, der: &[u8]) -> Option<&'a CaCertificate> {
    inner.ca_certificates.values().find(|ca| {
        parse::pem_to_der(&ca.certificate_pem)
            .is_some_and(|ca_der| parse::is_signed_by(der, &ca_der))
    })
}

impl Registry {
    fn insert_certificate(
        &self,
        inner: &mut Inner,
        tx: &mut Tx,
        new: NewCert,
    ) -> IotResult<Certificate> {
        let id = new.certificate_id;
        if inner.certificates.contains(&id) {
            let arn = self.account().cert_arn(&id);
            return Err(IotError::already_exists(
                "The certificate is already provisioned or registered",
                &id,
                &arn,
            ));
        }
        let now = self.clock().now_ms();
        let record = Certificate {
            certificate_id: id.clone(),
            certificate_pem: new.certificate_pem,
            ca_certificate_id: new.ca_certificate_id,
            status: new.status,
            owned_by: self.account().account_id.clone(),
            creation_date_ms: now,
            last_modified_date_ms: now,
            customer_version: 1,
            generation_id: self.entropy().uuid("generation-id"),
            not_before_ms: new.not_before_ms,
            not_after_ms: new.not_after_ms,
            certificate_mode: new.certificate_mode,
            expires_at_ms: new.expires_at_ms,
            claim_template: new.claim_template,
        };
        inner.certificates.put(tx, id, record.clone());
        Ok(record)
    }

    fn store(&self, new: NewCert) -> IotResult<Certificate> {
        self.write(|inner, tx| self.insert_certificate(inner, tx, new))
    }

    /// CreateKeysAndCertificate: stores a certificate the emulator has just issued.
    pub fn create_keys_and_certificate(
        &self,
        issued: &IssuedCertificate,
        set_as_active: bool,
    ) -> IotResult<Certificate> {
        self.store(NewCert::issued(issued, status_from(set_as_active)))
    }

    /// CreateCertificateFromCsr: stores a certificate issued for a client's CSR.
    pub fn create_certificate_from_csr(
        &self,
        issued: &IssuedCertificate,
        set_as_active: bool,
    ) -> IotResult<Certificate> {
        self.store(NewCert::issued(issued, status_from(set_as_active)))
    }

    /// Fleet provisioning's Create* calls: stores an issued certificate as
    /// PENDING_ACTIVATION together with its ownership token (returned).
    pub fn create_fleet_certificate(
        &self,
        issued: &IssuedCertificate,
        claim_certificate_id: &str,
    ) -> IotResult<(Certificate, String)> {
        let new = NewCert::issued(issued, CertStatus::PendingActivation);
        self.write(|inner, tx| {
            let cert = self.insert_certificate(inner, tx, new)?;
            let token =
                self.issue_ownership_token(inner, tx, &cert.certificate_id, claim_certificate_id);
            Ok((cert, token))
        })
    }

    /// Fails unless `name` is an existing provisioning template.
    pub fn require_provisioning_template(&self, name: &str) -> IotResult<()> {
        validate::template_name(name)?;
        if self.read(|inner| inner.templates.contains(name)) {
            Ok(())
        } else {
            Err(IotError::not_found(format!(
                "The provisioning template {name} does not exist."
            )))
        }
    }

    /// CreateProvisioningClaim: stores an ACTIVE claim certificate that stays out of
    /// ListCertificates and expires when the certificate itself does (its notAfter, five
    /// minutes after issue).
    pub fn create_provisioning_claim(
        &self,
        template_name: &str,
        issued: &IssuedCertificate,
    ) -> IotResult<Certificate> {
        self.require_provisioning_template(template_name)?;
        let mut new = NewCert::issued(issued, CertStatus::Active);
        new.expires_at_ms = Some(issued.not_after_ms);
        new.claim_template = Some(template_name.to_string());
        self.write(|inner, tx| {
            if !inner.templates.contains(template_name) {
                return Err(IotError::not_found(format!(
                    "The provisioning template {template_name} does not exist."
                )));
            }
            self.insert_certificate(inner, tx, new)
        })
    }

    /// RegisterCertificate: a device certificate signed by a registered, ACTIVE CA.
    /// `status` wins over the deprecated `set_as_active`; the default is INACTIVE.
    pub fn register_certificate(
        &self,
        certificate_pem: &str,
        ca_certificate_pem: Option<&str>,
        status: Option<&str>,
        set_as_active: Option<bool>,
    ) -> IotResult<Certificate> {
        let status = match status {
            Some(s) => registration_status(s)?,
            None => status_from(set_as_active.unwrap_or(false)),
        };
        let info = self.device_certificate(certificate_pem)?;
        let ca_der = match ca_certificate_pem {
            Some(pem) => Some(parse::pem_to_der(pem).ok_or_else(|| {
                validation("The CA certificate is not a valid X.509 certificate.")
            })?),
            None => None,
        };
        let mut new = NewCert::registered(certificate_pem, &info, status);
        self.write(|inner, tx| {
            let ca = match &ca_der {
                Some(ca_der) => named_ca(inner, &info.der, ca_der)?,
                None => signing_ca(inner, &info.der).ok_or_else(|| {
                    validation("The certificate is not signed by a registered CA certificate.")
                })?,
            };
            if ca.status != CaStatus::Active {
                return Err(state(format!(
                    "The CA certificate {} is not ACTIVE.",
                    ca.certificate_id
                )));
            }
            new.ca_certificate_id = Some(ca.certificate_id.clone());
            new.certificate_mode = ca.certificate_mode;
            self.insert_certificate(inner, tx, new)
        })
    }

    /// RegisterCertificateWithoutCA: any valid certificate, in SNI_ONLY mode. The CA id is
    /// still recorded when a registered CA happens to have signed it.
    pub fn register_certificate_without_ca(
        &self,
        certificate_pem: &str,
        status: Option<&str>,
    ) -> IotResult<Certificate> {
        let status = match status {
            Some(s) => registration_status(s)?,
            None => CertStatus::Inactive,
        };
        let info = self.device_certificate(certificate_pem)?;
        let mut new = NewCert::registered(certificate_pem, &info, status);
        new.certificate_mode = CertificateMode::SniOnly;
        self.write(|inner, tx| {
            new.ca_certificate_id =
                signing_ca(inner, &info.der).map(|ca| ca.certificate_id.clone());
            self.insert_certificate(inner, tx, new)
        })
    }

    /// Registers a certificate presented by a device under an auto-registering CA (JITR
    /// and JITP): PENDING_ACTIVATION, in the CA's mode. Returns the stored record, or the
    /// existing one when it was registered already.
    pub fn register_pending_certificate(
        &self,
        certificate_pem: &str,
        ca_certificate_id: &str,
    ) -> IotResult<Certificate> {
        let info = self.device_certificate(certificate_pem)?;
        let mut new = NewCert::registered(certificate_pem, &info, CertStatus::PendingActivation);
        new.ca_certificate_id = Some(ca_certificate_id.to_string());
        self.write(|inner, tx| {
            if let Some(existing) = inner.certificates.get(&info.certificate_id) {
                return Ok(existing.clone());
            }
            let ca = inner
                .ca_certificates
                .get(ca_certificate_id)
                .ok_or_else(|| IotError::not_found("The CA certificate does not exist."))?;
            new.certificate_mode = ca.certificate_mode;
            self.insert_certificate(inner, tx, new)
        })
    }

    /// Control-plane RegisterThing: stores the certificate a template names by PEM (or
    /// one issued for its CSR, `issued`) as PENDING_ACTIVATION inside the caller's write,
    /// unless it exists already; applying the plan then sets its status. Returns its id.
    /// A PEM no registered CA signed is taken as RegisterCertificateWithoutCA takes it
    /// (AWS does not document this case).
    pub(crate) fn provision_certificate_tx(
        &self,
        inner: &mut Inner,
        tx: &mut Tx,
        pem: &str,
        issued: bool,
    ) -> IotResult<String> {
        let info = self.device_certificate(pem)?;
        if inner.certificates.contains(&info.certificate_id) {
            return Ok(info.certificate_id);
        }
        let mut new = NewCert::registered(pem, &info, CertStatus::PendingActivation);
        if !issued {
            let ca = signing_ca(inner, &info.der);
            new.ca_certificate_id = ca.map(|ca| ca.certificate_id.clone());
            new.certificate_mode = ca.map_or(CertificateMode::SniOnly, |ca| ca.certificate_mode);
        }
        Ok(self.insert_certificate(inner, tx, new)?.certificate_id)
    }

    /// Parses a device certificate a client registers; it must be unexpired.
    fn device_certificate(&self, pem: &str) -> IotResult<CertInfo> {
        let info = parse::parse_certificate_pem(pem)
            .ok_or_else(|| validation("The certificate is not a valid X.509 certificate."))?;
        // AWS's wording for an expired certificate is not documented.
        if info.not_after_ms < self.clock().now_ms() {
            return Err(validation("The certificate has expired."));
        }
        Ok(info)
    }
}

/// The CA a RegisterCertificate call names: registered, and the signer of the certificate.
fn named_ca<'a>(inner: &'a Inner, cert_der: &[u8], ca_der: &[u8]) -> IotResult<&'a CaCertificate> {
    let ca_id = parse::certificate_id(ca_der);
    let ca = inner
        .ca_certificates
        .get(&ca_id)
        .ok_or_else(|| validation("The CA certificate is not registered."))?;
    if !parse::is_signed_by(cert_der, ca_der) {
        return Err(validation(
            "The certificate is not signed by the given CA certificate.",
        ));
    }
    Ok(ca)
}

impl Registry {
    /// UpdateCertificate: ACTIVE, INACTIVE or REVOKED; a REVOKED certificate stays revoked.
    pub fn update_certificate(&self, id: &str, new_status: &str) -> IotResult<()> {
        validate::certificate_id("certificateId", id)?;
        let status = CertStatus::parse_settable("newStatus", new_status)?;
        self.write(|inner, tx| {
            let current = inner
                .certificates
                .get(id)
                .ok_or_else(|| cert_not_found(id))?;
            if current.status == status {
                return Ok(());
            }
            match current.status {
                // AWS: a revoked certificate cannot be reactivated (exact message unknown).
                CertStatus::Revoked => {
                    return Err(state(format!(
                        "Cannot update certificate {id} from REVOKED to {new_status}."
                    )))
                }
                CertStatus::PendingTransfer => {
                    return Err(state(format!(
                        "Certificate {id} is pending transfer and cannot be updated."
                    )))
                }
                _ => {}
            }
            self.set_certificate_status_tx(inner, tx, id, status);
            Ok(())
        })?;
        if status != CertStatus::Active {
            self.emit(RegistryEvent::CertificateUnusable {
                certificate_id: id.to_string(),
            });
        }
        Ok(())
    }

    /// Sets a certificate's status as a step of a larger write (transition checked by the
    /// caller); a new generation, as every status change gets.
    pub(crate) fn set_certificate_status_tx(
        &self,
        inner: &mut Inner,
        tx: &mut Tx,
        id: &str,
        status: CertStatus,
    ) {
        let now = self.clock().now_ms();
        let generation = self.draw(tx, |e| e.uuid("generation-id"));
        inner.certificates.update(tx, id, |c| {
            c.status = status;
            c.last_modified_date_ms = now;
            c.customer_version += 1;
            c.generation_id = generation;
        });
    }

    /// DeleteCertificate: not ACTIVE, no thing attached, and no policy attached unless
    /// `force_delete`, which detaches the policies (AWS: "Forces the deletion of a
    /// certificate if it is inactive and is not attached to an IoT thing").
    pub fn delete_certificate(&self, id: &str, force_delete: bool) -> IotResult<()> {
        validate::certificate_id("certificateId", id)?;
        let arn = self.account().cert_arn(id);
        self.write(|inner, tx| {
            let cert = inner
                .certificates
                .get(id)
                .ok_or_else(|| cert_not_found(id))?;
            if cert.status == CertStatus::Active {
                return Err(state(format!(
                    "Certificate must be deactivated (not ACTIVE) before deletion. Id: {id}"
                )));
            }
            let attached = attachments_blocking_delete(inner, &arn, force_delete)?;
            for key in attached {
                inner.policy_targets.remove(tx, &key);
            }
            inner.certificates.remove(tx, id);
            Ok(())
        })?;
        self.emit(RegistryEvent::CertificateUnusable {
            certificate_id: id.to_string(),
        });
        Ok(())
    }
}

/// The policy attachments of the certificate `arn`, which a forced delete removes; fails
/// while a thing is attached, or a policy is and the delete is not forced.
fn attachments_blocking_delete(inner: &Inner, arn: &str, force: bool) -> IotResult<Vec<String>> {
    if inner.things_of_principal(arn).next().is_some() {
        return Err(IotError::new(
            ErrorKind::DeleteConflict,
            format!("Things must be detached before deletion (arn: {arn})"),
        ));
    }
    let attached = super::policy::attachment_keys(inner, arn);
    if !attached.is_empty() && !force {
        return Err(IotError::new(
            ErrorKind::DeleteConflict,
            format!("Certificate policies must be detached before deletion (arn: {arn})"),
        ));
    }
    Ok(attached)
}
