//! Control-plane operations over the policy engine: TestAuthorization and
//! GetEffectivePolicies, answered by the same evaluator the broker enforces with.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::error::ApiResult;
use super::extract::{AwsJson, AwsQuery};
use crate::policy::principal::{self, Overrides};
use crate::policy::{Decision, Evaluation, Identity, Principal, Request};
use crate::registry::IotError;
use crate::state::Emulator;

/// Routes of this resource family.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/test-authorization", post(test_authorization))
        .route("/effective-policies", post(get_effective_policies))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientIdQuery {
    client_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThingNameQuery {
    thing_name: Option<String>,
}

#[derive(Deserialize, Serialize, Clone)]
#[serde(rename_all = "camelCase")]
struct AuthInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    action_type: Option<String>,
    #[serde(default)]
    resources: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TestAuthorizationBody {
    principal: Option<String>,
    #[serde(default)]
    auth_infos: Option<Vec<AuthInfo>>,
    #[serde(default)]
    policy_names_to_add: Vec<String>,
    #[serde(default)]
    policy_names_to_skip: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrincipalBody {
    principal: Option<String>,
}

/// What a `principal` string names: a certificate or thing-group ARN of this account,
/// or (anything not an ARN) a Cognito identity id.
fn identity<'a>(emu: &Emulator, principal: &'a str) -> Result<Identity<'a>, IotError> {
    if !principal.starts_with("arn:") {
        return Ok(Identity::Other(principal));
    }
    match emu.registry.account().parse_arn(principal) {
        Some(("cert", id)) if !id.is_empty() => Ok(Identity::Certificate(id)),
        Some(("thinggroup", name)) if !name.is_empty() => Ok(Identity::ThingGroup(name)),
        _ => Err(IotError::invalid(format!("Invalid principal: {principal}"))),
    }
}

/// The IoT action an `actionType` stands for.
fn action(action_type: Option<&str>) -> Result<&'static str, IotError> {
    match action_type {
        Some("PUBLISH") => Ok("iot:Publish"),
        Some("SUBSCRIBE") => Ok("iot:Subscribe"),
        Some("RECEIVE") => Ok("iot:Receive"),
        Some("CONNECT") => Ok("iot:Connect"),
        other => Err(IotError::invalid(format!(
            "1 validation error detected: Value '{}' at 'authInfos.member.actionType' failed to satisfy constraint: Member must satisfy enum value set: [PUBLISH, SUBSCRIBE, RECEIVE, CONNECT]",
            other.unwrap_or("null")
        ))),
    }
}

async fn test_authorization(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<ClientIdQuery>,
    AwsJson(body): AwsJson<TestAuthorizationBody>,
) -> ApiResult<Json<Value>> {
    let infos = body.auth_infos.clone().ok_or_else(|| {
        IotError::invalid("1 validation error detected: Value null at 'authInfos' failed to satisfy constraint: Member must not be null")
    })?;
    let principal_text = body.principal.as_deref().ok_or_else(|| {
        IotError::invalid("A principal or a Cognito identity pool id must be given")
    })?;
    let principal = Principal {
        identity: identity(&emu, principal_text)?,
        client_id: q.client_id.as_deref(),
        thing_name: None,
        certificate: None,
        extra: &[],
        thing_keys: true,
    };
    let overrides = Overrides {
        add: &body.policy_names_to_add,
        skip: &body.policy_names_to_skip,
    };
    let mut results = Vec::with_capacity(infos.len());
    for info in infos {
        let action = action(info.action_type.as_deref())?;
        let requests: Vec<Request<'_>> = info
            .resources
            .iter()
            .map(|resource| Request { action, resource })
            .collect();
        let evaluations = principal::evaluate(&emu.registry, &principal, overrides, &requests)?;
        results.push(auth_result(&emu, &info, &evaluations));
    }
    Ok(Json(json!({ "authResults": results })))
}

/// One `AuthResult`: every resource of the AuthInfo must be allowed; an explicit deny of
/// any of them wins (AWS's combination for several resources is our reading).
fn auth_result(emu: &Emulator, info: &AuthInfo, evaluations: &[Evaluation]) -> Value {
    let decisions: Vec<Decision> = evaluations.iter().map(Evaluation::decision).collect();
    let decision = if decisions.contains(&Decision::ExplicitDeny) {
        Decision::ExplicitDeny
    } else if decisions.is_empty() || decisions.contains(&Decision::ImplicitDeny) {
        Decision::ImplicitDeny
    } else {
        Decision::Allowed
    };
    let names = |pick: fn(&Evaluation) -> &Vec<String>| {
        let mut out: Vec<&String> = Vec::new();
        for name in evaluations.iter().flat_map(pick) {
            if !out.contains(&name) {
                out.push(name);
            }
        }
        let account = emu.registry.account();
        let shapes: Vec<Value> = out
            .into_iter()
            .map(|n| json!({ "policyName": n, "policyArn": account.policy_arn(n) }))
            .collect();
        json!({ "policies": shapes })
    };
    let implicit = match decision {
        Decision::ImplicitDeny => names(|e| &e.silent),
        _ => json!({ "policies": [] }),
    };
    let mut missing: Vec<&String> = evaluations.iter().flat_map(|e| &e.missing).collect();
    missing.sort();
    missing.dedup();
    json!({
        "authInfo": info,
        "allowed": names(|e| &e.allowed),
        "denied": { "implicitDeny": implicit, "explicitDeny": names(|e| &e.denied) },
        "authDecision": decision.as_str(),
        "missingContextValues": missing,
    })
}

async fn get_effective_policies(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<ThingNameQuery>,
    AwsJson(body): AwsJson<PrincipalBody>,
) -> ApiResult<Json<Value>> {
    // Without a principal only the thing's group policies apply.
    let identity = match body.principal.as_deref() {
        Some(p) => identity(&emu, p)?,
        None if q.thing_name.is_some() => Identity::Other(""),
        None => {
            return Err(IotError::invalid("A principal or a thing name must be given").into());
        }
    };
    let policies = principal::effective_policies(&emu.registry, identity, q.thing_name.as_deref())?;
    let account = emu.registry.account();
    let shapes: Vec<Value> = policies
        .into_iter()
        .map(|(name, document)| {
            json!({
                "policyName": name,
                "policyArn": account.policy_arn(&name),
                "policyDocument": document,
            })
        })
        .collect();
    Ok(Json(json!({ "effectivePolicies": shapes })))
}
