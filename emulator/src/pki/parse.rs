//! Reading certificates and PEM: ids, validity and subject fields of what clients send,
//! and whether one certificate was signed by another.

use sha2::{Digest, Sha256};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

/// The first PEM block of `pem`, decoded, if it is a certificate.
pub fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).ok()?;
    (block.label == "CERTIFICATE").then_some(block.contents)
}

/// `der` as a PEM certificate.
pub fn der_to_pem(der: &[u8]) -> String {
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

/// AWS's certificate id: lowercase hex SHA-256 of the DER.
pub fn certificate_id(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// What the registry needs to know about a certificate a client sent.
#[derive(Debug, Clone)]
pub struct CertInfo {
    pub der: Vec<u8>,
    pub certificate_id: String,
    pub not_before_ms: i64,
    pub not_after_ms: i64,
    /// `basicConstraints CA:TRUE`.
    pub is_ca: bool,
    /// The first subject CN, if any.
    pub common_name: Option<String>,
    /// The subject's DER, to group CAs by subject.
    pub subject_der: Vec<u8>,
}

/// Parses the first certificate of `pem`; `None` when it is not a parsable certificate.
pub fn parse_certificate_pem(pem: &str) -> Option<CertInfo> {
    let der = pem_to_der(pem)?;
    let (_, cert) = X509Certificate::from_der(&der).ok()?;
    let validity = cert.validity();
    let common_name = cert
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string);
    Some(CertInfo {
        certificate_id: certificate_id(&der),
        not_before_ms: validity.not_before.timestamp().saturating_mul(1000),
        not_after_ms: validity.not_after.timestamp().saturating_mul(1000),
        is_ca: cert.is_ca(),
        common_name,
        subject_der: cert.subject().as_raw().to_vec(),
        der: der.clone(),
    })
}

/// True when `cert_der` names `issuer_der`'s subject as its issuer and carries a valid
/// signature by `issuer_der`'s key.
pub fn is_signed_by(cert_der: &[u8], issuer_der: &[u8]) -> bool {
    let (Ok((_, cert)), Ok((_, issuer))) = (
        X509Certificate::from_der(cert_der),
        X509Certificate::from_der(issuer_der),
    ) else {
        return false;
    };
    cert.issuer().as_raw() == issuer.subject().as_raw()
        && cert.verify_signature(Some(issuer.public_key())).is_ok()
}

/// A certificate's subject public key, read from any certificate version: webpki (behind
/// rustls) refuses X.509 v1 certificates, which `openssl x509 -req` makes and AWS IoT
/// accepts, so the TLS handshake reads the key from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectKey {
    /// The whole SubjectPublicKeyInfo, DER.
    pub spki_der: Vec<u8>,
    /// The contents of its AlgorithmIdentifier (OID and parameters), the form in which
    /// rustls' verification algorithms name the key type they take.
    pub algorithm_id: Vec<u8>,
    /// The key itself: the subjectPublicKey BIT STRING's bytes.
    pub key: Vec<u8>,
}

/// The subject public key of the certificate `der`; `None` when it does not parse.
pub fn subject_key(der: &[u8]) -> Option<SubjectKey> {
    use x509_parser::asn1_rs::{Any, FromDer as _};
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let spki = cert.public_key();
    let (_, outer) = Any::from_der(spki.raw).ok()?;
    let (_, algorithm) = Any::from_der(outer.data).ok()?;
    Some(SubjectKey {
        spki_der: spki.raw.to_vec(),
        algorithm_id: algorithm.data.to_vec(),
        key: spki.subject_public_key.data.to_vec(),
    })
}

/// The subject attributes as `(short name, value)` pairs, e.g. `("CN", "device-1")`, in
/// certificate order; attributes whose value is not a string are skipped.
pub fn subject_attributes(der: &[u8]) -> Vec<(String, String)> {
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return Vec::new();
    };
    let registry = x509_parser::objects::oid_registry();
    cert.subject()
        .iter_attributes()
        .filter_map(|attr| {
            let value = attr.as_str().ok()?.to_string();
            let name = x509_parser::objects::oid2abbrev(attr.attr_type(), registry)
                .map(str::to_string)
                .unwrap_or_else(|_| attr.attr_type().to_id_string());
            Some((name, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

    fn ca() -> (String, KeyPair) {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "Test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        (params.self_signed(&key).unwrap().pem(), key)
    }

    #[test]
    fn parses_and_checks_signatures() {
        let (ca_pem, ca_key) = ca();
        let ca_info = parse_certificate_pem(&ca_pem).unwrap();
        assert!(ca_info.is_ca);
        assert_eq!(ca_info.common_name.as_deref(), Some("Test CA"));
        let issuer = rcgen::Issuer::from_ca_cert_pem(&ca_pem, ca_key).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, "leaf");
        params.distinguished_name.push(DnType::CountryName, "JP");
        let leaf = params.signed_by(&leaf_key, &issuer).unwrap();
        let leaf_info = parse_certificate_pem(&leaf.pem()).unwrap();
        assert!(!leaf_info.is_ca);
        assert!(is_signed_by(&leaf_info.der, &ca_info.der));
        let (other_pem, _) = ca();
        let other = parse_certificate_pem(&other_pem).unwrap();
        assert!(!is_signed_by(&leaf_info.der, &other.der));
        let attrs = subject_attributes(&leaf_info.der);
        assert!(attrs.contains(&("CN".to_string(), "leaf".to_string())));
        assert!(attrs.contains(&("C".to_string(), "JP".to_string())));
        assert!(parse_certificate_pem("garbage").is_none());
    }
}
