//! Certificate signing requests: parsing, self-signature and key checks for
//! CreateCertificateFromCsr, and the subject the issued certificate keeps.

use rcgen::{DistinguishedName, DnType, DnValue};
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::{AttributeTypeAndValue, SubjectPublicKeyInfo, X509Name};

use super::PkiError;

/// A verified CSR: the subject to keep and the key to certify.
#[derive(Debug, Clone)]
pub struct CsrRequest {
    pub subject: DistinguishedName,
    /// The SubjectPublicKeyInfo DER.
    pub spki_der: Vec<u8>,
}

/// The named curves AWS accepts: P-256, P-384 and P-521 (the last one not here).
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";
const P521: &str = "1.3.132.0.35";

fn invalid(message: &str) -> PkiError {
    PkiError::Malformed(message.to_string())
}

/// Parses and verifies a PEM CSR. Every failure is a `Malformed` error (an
/// InvalidRequestException), never a panic.
pub fn parse_csr(pem: &str) -> Result<CsrRequest, PkiError> {
    // AWS's wording for an unparsable CSR is not documented; this follows its style.
    let bad = || invalid("The certificate signing request is not valid.");
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).map_err(|_| bad())?;
    if !block.label.contains("CERTIFICATE REQUEST") {
        return Err(bad());
    }
    let (_, csr) = X509CertificationRequest::from_der(&block.contents).map_err(|_| bad())?;
    let info = &csr.certification_request_info;
    check_key(&info.subject_pki)?;
    csr.verify_signature()
        .map_err(|_| invalid("The certificate signing request signature is invalid."))?;
    Ok(CsrRequest {
        subject: distinguished_name(&info.subject).ok_or_else(bad)?,
        spki_der: info.subject_pki.raw.to_vec(),
    })
}

/// RSA of at least 2048 bits or EC on P-256/P-384. AWS also accepts P-521, but the
/// emulator's crypto backend (ring) can neither sign for nor verify P-521 keys, so such
/// CSRs are refused with a message that says so.
fn check_key(spki: &SubjectPublicKeyInfo) -> Result<(), PkiError> {
    let unsupported = || {
        invalid("The certificate signing request must use an RSA key of at least 2048 bits or an EC key on the P-256, P-384 or P-521 curve.")
    };
    match spki.parsed().map_err(|_| unsupported())? {
        PublicKey::RSA(rsa) if rsa.key_size() >= 2048 => Ok(()),
        PublicKey::EC(_) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| oid.to_id_string())
                .ok_or_else(unsupported)?;
            match curve.as_str() {
                P256 | P384 => Ok(()),
                P521 => Err(invalid(
                    "iot-emulator cannot sign P-521 keys (AWS IoT accepts them); use an RSA, P-256 or P-384 key.",
                )),
                _ => Err(unsupported()),
            }
        }
        _ => Err(unsupported()),
    }
}

/// Converts an X.509 name to rcgen's, keeping each attribute's string type.
fn distinguished_name(name: &X509Name) -> Option<DistinguishedName> {
    let mut dn = DistinguishedName::new();
    for attr in name.iter_attributes() {
        let oid: Vec<u64> = attr.attr_type().iter()?.collect();
        dn.push(DnType::from_oid(&oid), dn_value(attr)?);
    }
    Some(dn)
}

fn dn_value(attr: &AttributeTypeAndValue) -> Option<DnValue> {
    let value = attr.attr_value();
    let text = std::str::from_utf8(value.data).ok()?;
    Some(match value.header.tag() {
        Tag::PrintableString => DnValue::PrintableString(text.try_into().ok()?),
        Tag::Ia5String => DnValue::Ia5String(text.try_into().ok()?),
        Tag::Utf8String => DnValue::Utf8String(text.to_string()),
        // Other string types are re-encoded as UTF8String when they decode as text.
        _ => DnValue::Utf8String(attr.as_str().ok()?.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, KeyPair};

    fn csr_pem(key: &KeyPair) -> String {
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "device-7");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "Acme");
        params.serialize_request(key).unwrap().pem().unwrap()
    }

    #[test]
    fn accepts_p256_and_keeps_subject() {
        let key = KeyPair::generate().unwrap();
        let parsed = parse_csr(&csr_pem(&key)).unwrap();
        let cn = parsed.subject.get(&DnType::CommonName).unwrap();
        assert!(matches!(cn, DnValue::Utf8String(s) if s == "device-7"));
        assert_eq!(
            parsed.spki_der,
            rcgen::PublicKeyData::subject_public_key_info(&key)
        );
    }

    #[test]
    fn rejects_garbage_and_tampering() {
        assert!(matches!(parse_csr("nope"), Err(PkiError::Malformed(_))));
        let pem = "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n";
        assert!(matches!(parse_csr(pem), Err(PkiError::Malformed(_))));
        let key = KeyPair::generate().unwrap();
        let good = csr_pem(&key);
        let (_, block) = x509_parser::pem::parse_x509_pem(good.as_bytes()).unwrap();
        let mut der = block.contents.clone();
        let last = der.len() - 1;
        der[last] ^= 0x01;
        let tampered = pem_of(&der);
        assert!(matches!(parse_csr(&tampered), Err(PkiError::Malformed(_))));
    }

    fn pem_of(der: &[u8]) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN CERTIFICATE REQUEST-----\n{b64}\n-----END CERTIFICATE REQUEST-----\n")
    }
}
