//! Who is connecting: the post-handshake decision on a client certificate chain, shared by
//! every mutual-TLS listener (broker and credentials provider), with the hook where
//! just-in-time registration plugs in.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;

use crate::pki::parse::certificate_id;
use crate::policy::certvars::CertificateVars;
use crate::provisioning::jit::{self, AutoRegistration};
use crate::registry::ca::{CaCertificate, CaStatus};
use crate::registry::certificate::{CertStatus, Certificate};
use crate::state::Emulator;

/// The authenticated identity behind a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The certificate id (hex SHA-256 of the leaf DER); empty for an IAM principal.
    pub certificate_id: String,
    /// The certificate's policy variables (`iot:Certificate.*`), read once at connect.
    pub certificate: Arc<CertificateVars>,
    /// For a SigV4-signed connection (MQTT over WebSockets): the signer's IAM user or
    /// role id. `None` for a certificate.
    pub iam_user_id: Option<String>,
}

impl Principal {
    /// The principal of a SigV4-signed connection, the IAM identity `user_id`.
    pub fn iam(user_id: String) -> Self {
        Principal {
            certificate_id: String::new(),
            certificate: Arc::default(),
            iam_user_id: Some(user_id),
        }
    }

    /// What AWS reports as the connection's principal (lifecycle events'
    /// `principalIdentifier`, the rules' `principal()`): the certificate id, or the IAM
    /// user or role id.
    pub fn identifier(&self) -> &str {
        self.iam_user_id.as_deref().unwrap_or(&self.certificate_id)
    }
}

/// Why a certificate may not connect. AWS closes such connections without a CONNACK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NoCertificate,
    Unknown,
    NotActive(CertStatus),
    /// A provisioning-claim certificate past its expiry.
    ClaimExpired,
    /// The registered CA that signed it is not ACTIVE (or gone).
    CaNotActive,
    /// Just-in-time registration registered the certificate; the client must reconnect.
    JustRegistered,
}

/// The outcome for one presented chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow(Principal),
    Refuse(Refusal),
}

/// Decides whether the presented chain (leaf first) may connect.
pub fn decide(emulator: &Emulator, chain: &[CertificateDer<'_>]) -> Decision {
    let Some(leaf) = chain.first() else {
        return Decision::Refuse(Refusal::NoCertificate);
    };
    let id = certificate_id(leaf);
    let now_ms = emulator.registry.clock().now_ms();
    match emulator.registry.certificate_with_ca(&id) {
        Some((cert, ca)) => match judge(&cert, ca.as_ref(), now_ms) {
            Ok(()) => Decision::Allow(Principal {
                certificate_id: id,
                certificate: Arc::new(CertificateVars::from_der(leaf)),
                iam_user_id: None,
            }),
            Err(refusal) => {
                if refusal == Refusal::NotActive(CertStatus::PendingActivation) {
                    jit::pending_attempt(emulator, &id);
                }
                Decision::Refuse(refusal)
            }
        },
        None => {
            just_in_time_registration(emulator, chain).unwrap_or(Decision::Refuse(Refusal::Unknown))
        }
    }
}

/// Just-in-time registration for a certificate the registry does not know: when an
/// ACTIVE CA with auto-registration enabled signed it (whether or not the chain carries
/// the CA), it is registered (JITR) or provisioned (JITP), and this first connection is
/// still refused, as AWS closes it. `None` means nothing was registered.
pub fn just_in_time_registration(
    emulator: &Emulator,
    chain: &[CertificateDer<'_>],
) -> Option<Decision> {
    let leaf = chain.first()?;
    match jit::auto_register(emulator, leaf) {
        Ok(AutoRegistration::Registered { status }) => {
            tracing::info!(?status, "certificate auto-registered");
            Some(Decision::Refuse(Refusal::JustRegistered))
        }
        Ok(AutoRegistration::NotEligible) => None,
        Err(e) => {
            tracing::warn!(%e, "auto-registration failed");
            None
        }
    }
}

/// The rules for a registered certificate, given the CA record it names (if found).
fn judge(cert: &Certificate, ca: Option<&CaCertificate>, now_ms: i64) -> Result<(), Refusal> {
    if cert.status != CertStatus::Active {
        return Err(Refusal::NotActive(cert.status));
    }
    if cert.expires_at_ms.is_some_and(|at| at < now_ms) {
        return Err(Refusal::ClaimExpired);
    }
    if cert.ca_certificate_id.is_some() && !ca.is_some_and(|ca| ca.status == CaStatus::Active) {
        return Err(Refusal::CaNotActive);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::certificate::CertificateMode;

    fn cert(status: CertStatus) -> Certificate {
        Certificate {
            certificate_id: "c".into(),
            certificate_pem: String::new(),
            ca_certificate_id: None,
            status,
            owned_by: "123456789012".into(),
            creation_date_ms: 0,
            last_modified_date_ms: 0,
            customer_version: 1,
            generation_id: "g".into(),
            not_before_ms: 0,
            not_after_ms: i64::MAX,
            certificate_mode: CertificateMode::Default,
            expires_at_ms: None,
            claim_template: None,
        }
    }

    #[test]
    fn only_active_certificates_connect() {
        assert_eq!(judge(&cert(CertStatus::Active), None, 0), Ok(()));
        for status in [
            CertStatus::Inactive,
            CertStatus::Revoked,
            CertStatus::PendingActivation,
            CertStatus::PendingTransfer,
            CertStatus::RegisterInactive,
        ] {
            assert_eq!(
                judge(&cert(status), None, 0),
                Err(Refusal::NotActive(status))
            );
        }
    }

    #[test]
    fn expired_claims_are_refused() {
        let mut claim = cert(CertStatus::Active);
        claim.expires_at_ms = Some(1000);
        assert_eq!(judge(&claim, None, 1000), Ok(()));
        assert_eq!(judge(&claim, None, 1001), Err(Refusal::ClaimExpired));
    }

    #[test]
    fn a_missing_ca_refuses() {
        let mut signed = cert(CertStatus::Active);
        signed.ca_certificate_id = Some("ca".into());
        assert_eq!(judge(&signed, None, 0), Err(Refusal::CaNotActive));
    }
}
