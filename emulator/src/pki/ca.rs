//! The emulator's root CA: it signs device certificates the way AWS's issuer does, and the
//! TLS server certificate that covers localhost and the AWS-shaped endpoint names. Its key
//! is P-256 when made now, RSA-2048 when an older data directory holds one ([`CaKey`]).

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber, SubjectPublicKeyInfo,
};
use rustls::pki_types::CertificateDer;
use time::OffsetDateTime;

use super::ca_key::CaKey;
use super::PkiError;
use crate::basis::Entropy;

/// The single-OU issuer name AWS puts on every certificate it signs.
pub const AWS_ISSUER_OU: &str =
    "Amazon Web Services O=Amazon.com Inc. L=Seattle ST=Washington C=US";

/// A signing CA: its certificate and key.
#[derive(Debug)]
pub struct RootCa {
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    /// PKCS#8 PEM of the CA key.
    pub key_pem: String,
    issuer: Issuer<'static, CaKey>,
}

/// What the TLS listeners present.
#[derive(Debug, Clone)]
pub struct ServerIdentity {
    pub cert_chain_pem: String,
    pub key_pem: String,
}

fn fail(e: impl std::fmt::Display) -> PkiError {
    PkiError::Internal(e.to_string())
}

/// 2049-12-31T23:59:59Z, the notAfter of every AWS-issued device certificate.
pub fn aws_not_after() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(2_524_607_999).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl RootCa {
    /// A new CA whose key and certificate derive from `entropy`'s seed alone.
    pub fn generate(entropy: &Entropy) -> Result<Self, PkiError> {
        let key_pair = CaKey::derive(entropy);
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::OrganizationalUnitName, AWS_ISSUER_OU);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = OffsetDateTime::from_unix_timestamp(1_577_836_800).map_err(fail)?;
        params.not_after = aws_not_after();
        params.serial_number = Some(SerialNumber::from_slice(&positive(
            entropy.rng_at("root-ca-serial", 0),
        )));
        let cert = params.self_signed(&key_pair).map_err(fail)?;
        Self::from_pem(&cert.pem(), &key_pair.to_pem()?)
    }

    /// Loads a CA saved with [`RootCa::generate`] (or an RSA one saved before).
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<Self, PkiError> {
        let key_pair = CaKey::from_pem(key_pem)?;
        let der = super::parse::pem_to_der(cert_pem)
            .ok_or_else(|| PkiError::Internal("stored CA is not PEM".into()))?;
        let issuer =
            Issuer::from_ca_cert_der(&CertificateDer::from(der.clone()), key_pair).map_err(fail)?;
        Ok(RootCa {
            cert_pem: cert_pem.to_string(),
            cert_der: der,
            key_pem: key_pem.to_string(),
            issuer,
        })
    }

    /// Signs a device certificate for `spki_der` as AWS does: given subject, notBefore now,
    /// notAfter 2049-12-31, CA:FALSE and keyUsage digitalSignature, no EKU.
    pub fn issue(
        &self,
        subject: DistinguishedName,
        spki_der: &[u8],
        serial: [u8; 20],
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<String, PkiError> {
        let mut params = CertificateParams::default();
        params.distinguished_name = subject;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        params.not_before = not_before;
        params.not_after = not_after;
        let spki = SubjectPublicKeyInfo::from_der(spki_der)
            .map_err(|e| PkiError::InvalidKey(e.to_string()))?;
        let cert = params.signed_by(&spki, &self.issuer).map_err(fail)?;
        Ok(cert.pem())
    }

    /// A fresh P-256 TLS server certificate for `hosts` (DNS names or IP addresses).
    pub fn server_identity(&self, hosts: &[String]) -> Result<ServerIdentity, PkiError> {
        let key = KeyPair::generate().map_err(fail)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, "iot-emulator");
        params.subject_alt_names = hosts.iter().filter_map(|h| san(h)).collect();
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.not_before = OffsetDateTime::now_utc() - time::Duration::days(1);
        params.not_after = aws_not_after();
        let cert = params.signed_by(&key, &self.issuer).map_err(fail)?;
        Ok(ServerIdentity {
            cert_chain_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

fn san(host: &str) -> Option<SanType> {
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => Some(SanType::IpAddress(ip)),
        Err(_) => host.to_string().try_into().ok().map(SanType::DnsName),
    }
}

/// 20 random bytes forming a positive serial number.
pub fn positive(mut rng: impl rand_core::RngCore) -> [u8; 20] {
    let mut serial = [0u8; 20];
    rng.fill_bytes(&mut serial);
    serial[0] &= 0x7f;
    if serial[0] == 0 {
        serial[0] = 0x01;
    }
    serial
}
