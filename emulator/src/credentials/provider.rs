//! One credentials request: the checks AWS makes, in its order (thing name, policy, role
//! alias), the temporary credentials it returns, and the HTTP mapping of its errors.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

use crate::identity::Principal;
use crate::policy;
use crate::registry::issued_credentials::IssuedCredentials;
use crate::registry::{ErrorKind, IotError, IotResult};
use crate::state::Emulator;

/// The header naming the thing the device acts as.
pub const THING_NAME_HEADER: &str = "x-amzn-iot-thingname";

/// A credentials request after routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsRequest {
    pub role_alias: String,
    pub thing_name: Option<String>,
}

/// Parses `/role-aliases/<alias>/credentials`.
pub fn route(path: &str) -> Option<String> {
    let alias = path
        .strip_prefix("/role-aliases/")?
        .strip_suffix("/credentials")?;
    let alias = percent_encoding::percent_decode_str(alias)
        .decode_utf8()
        .ok()?;
    (!alias.is_empty() && !alias.contains('/')).then(|| alias.into_owned())
}

/// The status, `x-amzn-ErrorType` and body AWS answers an error with (dataplane §4.4).
pub fn error_response(error: &IotError) -> (u16, &'static str, Value) {
    use ErrorKind::*;
    let (status, name) = match error.kind {
        AccessDenied | Unauthorized => (403, "AccessDeniedException"),
        ResourceNotFound => (404, "ResourceNotFoundException"),
        Throttling | LimitExceeded => (429, "ThrottlingException"),
        InternalFailure | ServiceUnavailable => (500, "InternalFailureException"),
        // The provider documents only these four; everything else is a request it
        // can't carry out.
        CertificateConflict
        | Conflict
        | CertificateState
        | CertificateValidation
        | ConflictingResourceUpdate
        | DeleteConflict
        | InvalidCertificateOwnershipToken
        | InvalidParameters
        | InvalidPayload
        | InvalidRequest
        | InvalidStateTransition
        | MalformedPolicy
        | NotConfigured
        | RegistrationCodeValidation
        | ResourceAlreadyExists
        | ResourceConflicts
        | ResourceRegistrationFailure
        | SqlParse
        | VersionConflict
        | VersionsLimitExceeded => (400, "InvalidRequestException"),
    };
    (status, name, json!({ "message": error.message }))
}

fn access_denied(message: &str) -> IotError {
    IotError::new(ErrorKind::AccessDenied, message)
}

/// The thing named by the header must exist and be attached to the certificate.
fn check_thing(emulator: &Emulator, principal: &Principal, thing: &str) -> IotResult<()> {
    let arn = emulator
        .registry
        .account()
        .cert_arn(&principal.certificate_id);
    let attached = emulator.registry.things_for_principal(&arn);
    if attached.iter().any(|t| t.thing_name == thing) {
        Ok(())
    } else {
        Err(access_denied("Invalid thing name passed"))
    }
}

/// `iot:AssumeRoleWithCertificate` on the role-alias ARN, under the certificate's policies.
fn check_policy(
    emulator: &Emulator,
    principal: &Principal,
    thing: Option<&str>,
    alias_arn: &str,
) -> IotResult<()> {
    if policy_allows(emulator, principal, thing, alias_arn) {
        Ok(())
    } else {
        Err(access_denied("Access Denied"))
    }
}

/// The certificate's policies (and its thing's groups' when a thing is named) decide.
fn policy_allows(
    emulator: &Emulator,
    principal: &Principal,
    thing: Option<&str>,
    alias_arn: &str,
) -> bool {
    let who = policy::Principal {
        identity: policy::Identity::Certificate(&principal.certificate_id),
        client_id: None,
        thing_name: thing,
        certificate: Some(&principal.certificate),
        extra: &[],
        thing_keys: thing.is_some(),
    };
    policy::authorize(
        &emulator.registry,
        &who,
        "iot:AssumeRoleWithCertificate",
        alias_arn,
    )
}

/// Runs the checks and issues credentials for the role behind the alias.
pub fn get_credentials(
    emulator: &Emulator,
    principal: &Principal,
    request: &CredentialsRequest,
) -> IotResult<IssuedCredentials> {
    let registry = &emulator.registry;
    let thing = request.thing_name.as_deref();
    if let Some(thing) = thing {
        check_thing(emulator, principal, thing)?;
    }
    let alias_arn = registry.account().role_alias_arn(&request.role_alias);
    check_policy(emulator, principal, thing, &alias_arn)?;
    let alias = registry
        .role_alias(&request.role_alias)
        .ok_or_else(|| IotError::not_found("Role alias does not exist"))?;
    let now = registry.clock().now_ms();
    let issued = IssuedCredentials {
        access_key_id: access_key_id(emulator),
        secret_access_key: secret_access_key(emulator),
        session_token: STANDARD.encode(registry.entropy().bytes("credentials-token", 384)),
        role_alias: alias.role_alias,
        role_arn: alias.role_arn,
        certificate_id: principal.certificate_id.clone(),
        thing_name: request.thing_name.clone(),
        issued_at_ms: now,
        expires_at_ms: now + i64::from(alias.credential_duration_seconds) * 1000,
    };
    registry.record_issued_credentials(issued.clone())?;
    Ok(issued)
}

/// `ASIA` and 16 characters of AWS's access-key alphabet (A–Z, 2–7).
fn access_key_id(emulator: &Emulator) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bytes = emulator.registry.entropy().bytes("credentials-key-id", 16);
    let tail: String = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    format!("ASIA{tail}")
}

/// 40 characters of base64, like AWS's secret keys.
fn secret_access_key(emulator: &Emulator) -> String {
    let bytes = emulator.registry.entropy().bytes("credentials-secret", 30);
    STANDARD.encode(bytes)
}

/// The 200 body: `{"credentials":{accessKeyId, secretAccessKey, sessionToken, expiration}}`.
pub fn success_body(issued: &IssuedCredentials) -> Value {
    let expiration = time::OffsetDateTime::from_unix_timestamp(issued.expires_at_ms / 1000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    json!({ "credentials": {
        "accessKeyId": issued.access_key_id,
        "secretAccessKey": issued.secret_access_key,
        "sessionToken": issued.session_token,
        "expiration": expiration,
    }})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_only_the_credentials_path() {
        assert_eq!(
            route("/role-aliases/my-alias/credentials"),
            Some("my-alias".into())
        );
        assert_eq!(route("/role-aliases/a%40b/credentials"), Some("a@b".into()));
        for bad in [
            "/role-aliases//credentials",
            "/role-aliases/a/b/credentials",
            "/x",
        ] {
            assert_eq!(route(bad), None, "{bad}");
        }
    }

    #[test]
    fn errors_map_to_the_captured_statuses() {
        let denied = access_denied("Invalid thing name passed");
        assert_eq!(error_response(&denied).0, 403);
        let missing = IotError::not_found("Role alias does not exist");
        let (status, name, body) = error_response(&missing);
        assert_eq!((status, name), (404, "ResourceNotFoundException"));
        assert_eq!(body, json!({"message": "Role alias does not exist"}));
    }
}
