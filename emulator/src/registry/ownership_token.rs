//! Certificate ownership tokens from fleet provisioning's Create* calls: issuing them with
//! their PENDING_ACTIVATION certificate, resolving them for RegisterThing, and expiry.
//!
//! A token stays valid for its whole hour, also after a successful RegisterThing: AWS does
//! not document tokens as single-use, and a device that lost the accepted reply must be
//! able to retry. A certificate still PENDING_ACTIVATION with nothing attached when its
//! token expires is deleted, as AWS does.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::certificate::CertStatus;
use super::{ErrorKind, Inner, IotError, IotResult, Registry, Tx};

/// How long an ownership token may be used.
pub const TOKEN_LIFETIME_MS: i64 = 60 * 60 * 1000;
/// The size of the opaque part, chosen so tokens are as long as AWS's (~464 characters).
const CIPHER_BYTES: usize = 233;

/// One issued token, keyed by the token string itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OwnershipToken {
    pub certificate_id: String,
    /// The certificate of the connection that asked for it.
    pub claim_certificate_id: String,
    pub expires_at_ms: i64,
}

fn invalid_token(message: &str) -> IotError {
    IotError::new(ErrorKind::InvalidCertificateOwnershipToken, message)
}

impl Registry {
    /// A token shaped like AWS's: base64 of `{"version":"20191023","cipher":"<base64>"}`.
    fn new_token_string(&self) -> String {
        let cipher = self.entropy().bytes("ownership-token", CIPHER_BYTES);
        let inner = serde_json::json!({
            "version": "20191023",
            "cipher": STANDARD.encode(&cipher),
        });
        STANDARD.encode(inner.to_string())
    }

    /// Records a new token for `certificate_id` inside a write; returns the token.
    pub(super) fn issue_ownership_token(
        &self,
        inner: &mut Inner,
        tx: &mut Tx,
        certificate_id: &str,
        claim_certificate_id: &str,
    ) -> String {
        let token = self.new_token_string();
        let record = OwnershipToken {
            certificate_id: certificate_id.to_string(),
            claim_certificate_id: claim_certificate_id.to_string(),
            expires_at_ms: self.clock().now_ms() + TOKEN_LIFETIME_MS,
        };
        inner.ownership_tokens.put(tx, token.clone(), record);
        token
    }

    /// The token's record, if it is non-empty, known and unexpired.
    pub fn resolve_ownership_token(&self, token: &str) -> IotResult<OwnershipToken> {
        if token.is_empty() {
            return Err(invalid_token(
                "Certificate ownership token cannot be empty.",
            ));
        }
        let now = self.clock().now_ms();
        let found = self.read(|inner| inner.ownership_tokens.get(token).cloned());
        match found {
            Some(record) if record.expires_at_ms > now => Ok(record),
            Some(_) => Err(invalid_token("Certificate ownership token has expired.")),
            None => Err(invalid_token("Certificate ownership token is invalid.")),
        }
    }

    /// Drops expired tokens and deletes the certificates they leave unprovisioned
    /// (still PENDING_ACTIVATION, no thing, no policy); returns the deleted ids.
    pub fn expire_ownership_tokens(&self) -> IotResult<Vec<String>> {
        let now = self.clock().now_ms();
        let deleted = self.write(|inner, tx| {
            let expired: Vec<(String, String)> = inner
                .ownership_tokens
                .iter()
                .filter(|(_, t)| t.expires_at_ms <= now)
                .map(|(k, t)| (k.clone(), t.certificate_id.clone()))
                .collect();
            let mut deleted = Vec::new();
            for (token, certificate_id) in expired {
                inner.ownership_tokens.remove(tx, &token);
                if self.unprovisioned(inner, &certificate_id) {
                    inner.certificates.remove(tx, &certificate_id);
                    deleted.push(certificate_id);
                }
            }
            Ok(deleted)
        })?;
        for id in &deleted {
            self.emit(super::RegistryEvent::CertificateUnusable {
                certificate_id: id.clone(),
            });
        }
        Ok(deleted)
    }

    fn unprovisioned(&self, inner: &Inner, certificate_id: &str) -> bool {
        let Some(cert) = inner.certificates.get(certificate_id) else {
            return false;
        };
        let arn = self.account().cert_arn(certificate_id);
        let key = self.principal_key(&arn);
        cert.status == CertStatus::PendingActivation
            && super::policy::attachment_keys(inner, &arn).is_empty()
            && !inner
                .things
                .values()
                .any(|t| t.principals.contains_key(&key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::testing::{insert_certificate, registry_at};

    fn pending_cert(r: &Registry, id: &str) {
        insert_certificate(r, id);
        r.write(|inner, tx| {
            inner.certificates.update(tx, id, |c| {
                c.status = CertStatus::PendingActivation;
            });
            Ok(())
        })
        .unwrap();
    }

    fn issue(r: &Registry, id: &str) -> String {
        r.write(|inner, tx| Ok(r.issue_ownership_token(inner, tx, id, "claim")))
            .unwrap()
    }

    #[test]
    fn tokens_look_like_aws_and_resolve_until_they_expire() {
        let r = registry_at(0);
        pending_cert(&r, "c1");
        let token = issue(&r, "c1");
        assert!((440..=500).contains(&token.len()), "{}", token.len());
        assert!(token.starts_with("eyJ2ZXJzaW9uIjoiMjAxOTEwMjMi"));
        assert_eq!(
            r.resolve_ownership_token(&token).unwrap().certificate_id,
            "c1"
        );
        // Still valid after use, until the hour is over.
        assert!(r.resolve_ownership_token(&token).is_ok());
        r.clock().advance_ms(TOKEN_LIFETIME_MS);
        let e = r.resolve_ownership_token(&token).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidCertificateOwnershipToken);
        for bad in ["", "nope"] {
            let e = r.resolve_ownership_token(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidCertificateOwnershipToken);
        }
    }

    #[test]
    fn expiry_deletes_only_unprovisioned_certificates() {
        let r = registry_at(0);
        pending_cert(&r, "lost");
        pending_cert(&r, "kept");
        issue(&r, "lost");
        issue(&r, "kept");
        r.write(|inner, tx| {
            inner
                .certificates
                .update(tx, "kept", |c| c.status = CertStatus::Active);
            Ok(())
        })
        .unwrap();
        assert_eq!(r.expire_ownership_tokens().unwrap(), Vec::<String>::new());
        r.clock().advance_ms(TOKEN_LIFETIME_MS);
        assert_eq!(
            r.expire_ownership_tokens().unwrap(),
            vec!["lost".to_string()]
        );
        assert!(r.certificate_by_id("kept").is_some());
        assert!(r.read(|inner| inner.ownership_tokens.len()) == 0);
    }
}
