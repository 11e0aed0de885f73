//! Reading certificates and PEM: ids, validity and subject fields of what clients send.

use sha2::{Digest, Sha256};

/// The first PEM block of `pem`, decoded, if it is a certificate.
pub fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).ok()?;
    (block.label == "CERTIFICATE").then_some(block.contents)
}

/// AWS's certificate id: lowercase hex SHA-256 of the DER.
pub fn certificate_id(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}
