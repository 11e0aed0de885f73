//! Just-in-time registration: a device certificate nobody registered, signed by a CA
//! with auto-registration enabled, is registered on its first TLS connection (JITR), and
//! provisioned with the CA's template when it has one (JITP).

use crate::pki::parse;
use crate::registry::ca::{AutoRegistrationStatus, CaCertificate, CaStatus};
use crate::registry::certificate::CertStatus;
use crate::registry::{IotResult, RegistryEvent};
use crate::state::Emulator;

/// What auto-registration did with a presented certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutoRegistration {
    /// No ACTIVE, auto-registering CA signed it: nothing was registered.
    NotEligible,
    /// Registered PENDING_ACTIVATION (JITR), or provisioned by the CA's template (JITP)
    /// with its final status; either way this first connection is closed.
    Registered { status: CertStatus },
}

/// Whether `ca` registers the certificates it signed.
fn auto_registers(ca: &CaCertificate) -> bool {
    ca.status == CaStatus::Active && ca.auto_registration_status == AutoRegistrationStatus::Enable
}

/// The registered, auto-registering CA that signed `leaf_der`.
fn eligible_ca(emulator: &Emulator, leaf_der: &[u8]) -> Option<CaCertificate> {
    emulator.registry.read(|inner| {
        inner
            .ca_certificates
            .values()
            .filter(|ca| auto_registers(ca))
            .find(|ca| {
                parse::pem_to_der(&ca.certificate_pem)
                    .is_some_and(|ca_der| parse::is_signed_by(leaf_der, &ca_der))
            })
            .cloned()
    })
}

/// Registers an unknown certificate if an auto-registering CA signed it. The registered
/// event goes out for JITR; JITP applies the CA's template.
pub fn auto_register(emulator: &Emulator, leaf_der: &[u8]) -> IotResult<AutoRegistration> {
    let Some(ca) = eligible_ca(emulator, leaf_der) else {
        return Ok(AutoRegistration::NotEligible);
    };
    let pem = parse::der_to_pem(leaf_der);
    let cert = emulator
        .registry
        .register_pending_certificate(&pem, &ca.certificate_id)?;
    announce(
        emulator,
        &cert.certificate_id,
        &ca.certificate_id,
        cert.creation_date_ms,
    );
    Ok(AutoRegistration::Registered {
        status: cert.status,
    })
}

/// A PENDING_ACTIVATION certificate of an auto-registering CA presented again: AWS
/// publishes the registered event again on every attempt.
pub fn pending_attempt(emulator: &Emulator, certificate_id: &str) {
    let found = emulator.registry.read(|inner| {
        let cert = inner.certificates.get(certificate_id)?;
        let ca = inner
            .ca_certificates
            .get(cert.ca_certificate_id.as_deref()?)?;
        let again = cert.status == CertStatus::PendingActivation && auto_registers(ca);
        again.then(|| (ca.certificate_id.clone(), cert.creation_date_ms))
    });
    if let Some((ca_id, registered_at_ms)) = found {
        announce(emulator, certificate_id, &ca_id, registered_at_ms);
    }
}

fn announce(emulator: &Emulator, certificate_id: &str, ca_id: &str, registered_at_ms: i64) {
    emulator
        .registry
        .emit(RegistryEvent::CertificateRegistered {
            certificate_id: certificate_id.to_string(),
            ca_certificate_id: ca_id.to_string(),
            registered_at_ms,
        });
}
