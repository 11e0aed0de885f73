//! Just-in-time registration: a device certificate nobody registered, signed by a CA
//! with auto-registration enabled, is registered on its first TLS connection (JITR), and
//! provisioned with the CA's template when it has one (JITP).

use std::collections::BTreeMap;

use super::template::{Template, CERTIFICATE_ID};
use crate::pki::parse;
use crate::registry::ca::RegistrationConfig;
use crate::registry::certificate::CertStatus;
use crate::registry::{IotError, IotResult, RegistryEvent};
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

/// Registers an unknown certificate if an auto-registering CA signed it. The registered
/// event goes out for JITR; JITP applies the CA's template.
pub fn auto_register(emulator: &Emulator, leaf_der: &[u8]) -> IotResult<AutoRegistration> {
    let Some(ca) = emulator.registry.auto_registering_ca_of(leaf_der) else {
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
    let Some(config) = &ca.registration_config else {
        return Ok(AutoRegistration::Registered {
            status: cert.status,
        });
    };
    // A template that cannot be satisfied leaves the certificate PENDING_ACTIVATION and
    // creates nothing else (AWS reports it only in CloudWatch).
    if let Err(e) = provision(emulator, config, leaf_der, &cert.certificate_id) {
        tracing::warn!(%e, certificate_id = %cert.certificate_id, "JITP template failed");
    }
    let status = emulator
        .registry
        .certificate_by_id(&cert.certificate_id)
        .map_or(cert.status, |c| c.status);
    Ok(AutoRegistration::Registered { status })
}

/// The JITP template of a CA: its own body, or the named JITP template's default version.
fn template_body(emulator: &Emulator, config: &RegistrationConfig) -> IotResult<String> {
    if let Some(body) = &config.template_body {
        return Ok(body.clone());
    }
    let name = config.template_name.as_deref().unwrap_or_default();
    emulator
        .registry
        .provisioning_template(name)
        .map(|t| t.default_body().to_string())
        .ok_or_else(|| IotError::not_found(format!("Template {name} not found")))
}

/// The parameters JITP injects from the certificate (dataplane §3.4).
pub fn certificate_parameters(leaf_der: &[u8], certificate_id: &str) -> BTreeMap<String, String> {
    let mut params = BTreeMap::from([(CERTIFICATE_ID.to_string(), certificate_id.to_string())]);
    for (attribute, value) in parse::subject_attributes(leaf_der) {
        let name = match attribute.as_str() {
            "CN" => "CommonName",
            "C" => "Country",
            "O" => "Organization",
            "OU" => "OrganizationalUnit",
            "ST" => "StateName",
            "serialNumber" => "SerialNumber",
            "dnQualifier" => "DistinguishedNameQualifier",
            _ => continue,
        };
        params
            .entry(format!("AWS::IoT::Certificate::{name}"))
            .or_insert(value);
    }
    params
}

/// Evaluates the CA's template with the certificate's values and applies it.
fn provision(
    emulator: &Emulator,
    config: &RegistrationConfig,
    leaf_der: &[u8],
    certificate_id: &str,
) -> IotResult<()> {
    let template = Template::parse(&template_body(emulator, config)?)?;
    let injected = certificate_parameters(leaf_der, certificate_id);
    let plan = template.evaluate(&BTreeMap::new(), &injected)?;
    emulator
        .registry
        .apply_plan(&plan, certificate_id)
        .map(|_| ())
}

/// A PENDING_ACTIVATION certificate of an auto-registering CA presented again: AWS
/// publishes the registered event again on every attempt.
pub fn pending_attempt(emulator: &Emulator, certificate_id: &str) {
    let found = match emulator.registry.certificate_with_ca(certificate_id) {
        Some((cert, Some(ca))) => {
            let again = cert.status == CertStatus::PendingActivation && ca.auto_registers();
            again.then_some((ca.certificate_id, cert.creation_date_ms))
        }
        _ => None,
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_fields_become_the_documented_parameters() {
        let ca = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::default();
        let dn = &mut params.distinguished_name;
        dn.push(rcgen::DnType::CountryName, "US");
        dn.push(rcgen::DnType::OrganizationName, "Example Corp");
        dn.push(rcgen::DnType::CustomDnType(vec![2, 5, 4, 5]), "SN-1");
        dn.push(rcgen::DnType::CustomDnType(vec![2, 5, 4, 46]), "q1");
        dn.push(rcgen::DnType::CommonName, "thing-1");
        let cert = params.self_signed(&ca).unwrap();
        let got = certificate_parameters(cert.der(), "abc");
        let want = [
            ("Id", "abc"),
            ("CommonName", "thing-1"),
            ("Country", "US"),
            ("Organization", "Example Corp"),
            ("SerialNumber", "SN-1"),
            ("DistinguishedNameQualifier", "q1"),
        ];
        for (name, value) in want {
            let key = format!("AWS::IoT::Certificate::{name}");
            assert_eq!(
                got.get(&key).map(String::as_str),
                Some(value),
                "{key}: {got:?}"
            );
        }
    }
}
