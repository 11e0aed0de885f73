//! The fleet provisioning handlers behind the reserved topics: request payloads in,
//! `/accepted` or `/rejected` replies out (the MQTT mapping of provisioning errors).

use std::collections::BTreeMap;

use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::codec::{Properties, QoS};
use super::reserved::{self, Request, Route};
use super::router::Message;
use super::session::Session;
use crate::provisioning::{self, Caller, CreatedCertificate, Registered};
use crate::registry::{ErrorKind, IotError, IotResult};
use crate::state::Emulator;

/// The `{statusCode, errorCode}` a provisioning error is rejected with. AWS documents
/// only some of these on the wire (dataplane spec §1.4); the rest follow its naming.
pub(crate) fn rejection(kind: ErrorKind) -> (u16, &'static str) {
    use ErrorKind::*;
    match kind {
        InvalidCertificateOwnershipToken => (400, "InvalidCertificateOwnershipToken"),
        InvalidParameters => (400, "InvalidParameters"),
        InvalidPayload => (400, "InvalidPayload"),
        ResourceNotFound => (404, "ResourceNotFound"),
        AccessDenied | Unauthorized => (403, "AccessDenied"),
        ResourceConflicts | ResourceAlreadyExists => (409, "ResourceConflict"),
        Throttling | LimitExceeded => (429, "Throttled"),
        InternalFailure | ServiceUnavailable => (500, "InternalError"),
        // The rest reach fleet provisioning only as a request the registry refused
        // (a bad name, a certificate in the wrong state, a policy that doesn't parse):
        // AWS's catch-all for a request it can't carry out.
        CertificateConflict
        | Conflict
        | CertificateState
        | CertificateValidation
        | ConflictingResourceUpdate
        | DeleteConflict
        | InvalidRequest
        | InvalidStateTransition
        | MalformedPolicy
        | NotConfigured
        | RegistrationCodeValidation
        | ResourceRegistrationFailure
        | SqlParse
        | VersionConflict
        | VersionsLimitExceeded => (400, "InvalidRequest"),
    }
}

/// The `/rejected` payload for `error`.
pub fn rejected_body(error: &IotError) -> Value {
    let (status, code) = rejection(error.kind);
    json!({ "statusCode": status, "errorCode": code, "errorMessage": error.message })
}

fn invalid_payload(message: &str) -> IotError {
    IotError::new(ErrorKind::InvalidPayload, message)
}

fn created_body(created: CreatedCertificate) -> Value {
    let mut body = json!({
        "certificateId": created.certificate_id,
        "certificatePem": created.certificate_pem,
        "certificateOwnershipToken": created.ownership_token,
    });
    if let Some(key) = created.private_key {
        body["privateKey"] = json!(key);
    }
    body
}

fn registered_body(registered: Registered) -> Value {
    let mut body = json!({ "deviceConfiguration": registered.device_configuration });
    if let Some(name) = registered.thing_name {
        body["thingName"] = json!(name);
    }
    body
}

/// A claim from CreateProvisioningClaim may be used only until it expires.
fn check_caller(emulator: &Emulator, caller: &Caller) -> IotResult<()> {
    let now = emulator.registry.clock().now_ms();
    let cert = emulator.registry.certificate_by_id(&caller.certificate_id);
    match cert.and_then(|c| c.expires_at_ms) {
        Some(expiry) if expiry <= now => Err(IotError::new(
            ErrorKind::AccessDenied,
            "The provisioning claim certificate has expired.",
        )),
        _ => Ok(()),
    }
}

fn string_field<'a>(request: &'a Map<String, Value>, name: &str) -> IotResult<Option<&'a str>> {
    match request.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid_payload(&format!("{name} must be a string"))),
    }
}

fn parameters(request: &Map<String, Value>) -> IotResult<BTreeMap<String, String>> {
    let bad = || invalid_payload("parameters must be a map of strings to strings");
    match request.get("parameters") {
        None | Some(Value::Null) => Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| {
                v.as_str()
                    .map(|v| (k.clone(), v.to_string()))
                    .ok_or_else(bad)
            })
            .collect(),
        Some(_) => Err(bad()),
    }
}

/// Runs one request and returns the reply body, or the error to reject it with.
async fn answer(
    emulator: &Emulator,
    caller: &Caller,
    request: &Request,
    body: &Map<String, Value>,
) -> IotResult<Value> {
    check_caller(emulator, caller)?;
    match request {
        Request::CreateKeysAndCertificate => {
            provisioning::fleet::create_keys_and_certificate(emulator, caller)
                .await
                .map(created_body)
        }
        Request::CreateCertificateFromCsr => {
            let csr = string_field(body, "certificateSigningRequest")?
                .ok_or_else(|| invalid_payload("certificateSigningRequest is required"))?;
            provisioning::fleet::create_certificate_from_csr(emulator, caller, csr)
                .await
                .map(created_body)
        }
        Request::RegisterThing { template_name } => {
            let token = string_field(body, "certificateOwnershipToken")?.unwrap_or_default();
            let params = parameters(body)?;
            provisioning::fleet::register_thing_with_token(
                emulator,
                caller,
                template_name,
                token,
                params,
            )
            .await
            .map(registered_body)
        }
    }
}

/// Decodes, answers and builds the reply message (on `/accepted` or `/rejected`).
pub async fn handle(
    emulator: &Emulator,
    caller: &Caller,
    route: &Route,
    payload: &[u8],
) -> Message {
    let outcome = match reserved::decode(route.format, payload) {
        Some(Value::Object(body)) => answer(emulator, caller, &route.request, &body).await,
        _ => Err(invalid_payload("The request payload could not be parsed.")),
    };
    let (topic, body) = match outcome {
        Ok(body) => (route.accepted_topic(), body),
        Err(error) => {
            tracing::info!(topic = %route.topic, %error, "provisioning request rejected");
            (route.rejected_topic(), rejected_body(&error))
        }
    };
    Message {
        topic,
        payload: Bytes::from(reserved::encode(route.format, &body)),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: Properties::default(),
    }
}

impl Session {
    /// Answers a reserved-topic request off the packet loop; the reply goes only to this
    /// connection, and only if it subscribed to the reply topic (as on AWS).
    pub fn spawn_reserved(&self, route: Route, payload: Bytes) {
        let broker = self.broker.clone();
        let caller = Caller {
            certificate_id: self.principal.certificate_id.clone(),
            client_id: self.client_id.clone(),
        };
        let conn_id = self.conn_id;
        tokio::spawn(async move {
            let shared = &broker.shared;
            let reply = handle(&shared.emulator, &caller, &route, &payload).await;
            if !shared.router.reply_to(&caller.client_id, conn_id, reply) {
                tracing::debug!(topic = %route.topic, "reply not delivered: not subscribed");
            }
        });
    }
}
