//! The handshake-signature check on X.509 v1 client certificates (`fixtures/x509-v1`):
//! signatures by the certificate's key pass, under TLS 1.2 and 1.3, and anything else fails.

use super::*;

const RSA_CERT: &str = include_str!("../../fixtures/x509-v1/device-rsa.crt");
const RSA_KEY: &str = include_str!("../../fixtures/x509-v1/device-rsa.key");
const P256_CERT: &str = include_str!("../../fixtures/x509-v1/device-p256.crt");
const P256_KEY: &str = include_str!("../../fixtures/x509-v1/device-p256.key");

fn verifier() -> AnyClientCertificate {
    AnyClientCertificate::new(&rustls::crypto::ring::default_provider())
}

fn der(pem: &str) -> Vec<u8> {
    crate::pki::parse::pem_to_der(pem).unwrap()
}

/// `message` signed with `key_pem` under `scheme`, by the provider's signer.
fn sign(key_pem: &str, scheme: SignatureScheme, message: &[u8]) -> Vec<u8> {
    let provider = rustls::crypto::ring::default_provider();
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
    let key = provider.key_provider.load_private_key(key).unwrap();
    let signer = key
        .choose_scheme(&[scheme])
        .expect("the key signs with the scheme");
    signer.sign(message).unwrap()
}

fn verify(cert: &str, scheme: SignatureScheme, msg: &[u8], sig: &[u8], tls: Tls) -> bool {
    verifier().verify(&der(cert), scheme, msg, sig, tls).is_ok()
}

#[test]
fn the_fixtures_are_x509_v1() {
    for pem in [RSA_CERT, P256_CERT] {
        let bytes = der(pem);
        let (_, cert) = <x509_parser::certificate::X509Certificate as x509_parser::prelude::FromDer<_>>::from_der(&bytes).unwrap();
        assert_eq!(cert.version(), x509_parser::x509::X509Version::V1);
    }
}

#[test]
fn v1_rsa_signatures_verify_under_both_versions() {
    let msg = b"handshake transcript";
    let pss = sign(RSA_KEY, SignatureScheme::RSA_PSS_SHA256, msg);
    assert!(verify(
        RSA_CERT,
        SignatureScheme::RSA_PSS_SHA256,
        msg,
        &pss,
        Tls::V13
    ));
    assert!(verify(
        RSA_CERT,
        SignatureScheme::RSA_PSS_SHA256,
        msg,
        &pss,
        Tls::V12
    ));
    let pkcs1 = sign(RSA_KEY, SignatureScheme::RSA_PKCS1_SHA256, msg);
    assert!(verify(
        RSA_CERT,
        SignatureScheme::RSA_PKCS1_SHA256,
        msg,
        &pkcs1,
        Tls::V12
    ));
    assert!(
        !verify(
            RSA_CERT,
            SignatureScheme::RSA_PKCS1_SHA256,
            msg,
            &pkcs1,
            Tls::V13
        ),
        "TLS 1.3 has no PKCS#1 v1.5 handshake signatures"
    );
    assert!(!verify(
        RSA_CERT,
        SignatureScheme::RSA_PSS_SHA256,
        b"other",
        &pss,
        Tls::V13
    ));
}

#[test]
fn v1_ecdsa_signatures_verify_under_both_versions() {
    let msg = b"handshake transcript";
    let scheme = SignatureScheme::ECDSA_NISTP256_SHA256;
    let sig = sign(P256_KEY, scheme, msg);
    assert!(verify(P256_CERT, scheme, msg, &sig, Tls::V13));
    assert!(verify(P256_CERT, scheme, msg, &sig, Tls::V12));
    assert!(!verify(P256_CERT, scheme, b"other", &sig, Tls::V13));
}

#[test]
fn a_signature_by_another_key_fails() {
    let msg = b"handshake transcript";
    let scheme = SignatureScheme::ECDSA_NISTP256_SHA256;
    let sig = sign(P256_KEY, scheme, msg);
    // The RSA certificate's key did not make it, whatever the scheme claims.
    assert!(!verify(RSA_CERT, scheme, msg, &sig, Tls::V13));
    assert!(!verify(RSA_CERT, scheme, msg, &sig, Tls::V12));
    let pss = sign(RSA_KEY, SignatureScheme::RSA_PSS_SHA256, msg);
    assert!(!verify(
        P256_CERT,
        SignatureScheme::RSA_PSS_SHA256,
        msg,
        &pss,
        Tls::V13
    ));
    assert!(verifier()
        .verify(b"not a certificate", scheme, msg, &sig, Tls::V13)
        .is_err());
}
