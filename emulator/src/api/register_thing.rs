//! Control-plane RegisterThing (`POST /things`): single-thing provisioning with a template
//! body and parameters, through `provisioning::single`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::certificates::required;
use super::error::ApiResult;
use super::extract::AwsJson;
use crate::provisioning::single;
use crate::state::Emulator;

/// The model's limit on `templateBody`.
const MAX_TEMPLATE_BODY: usize = 10240;

/// Routes of this operation.
pub fn routes() -> Router<Emulator> {
    Router::new().route("/things", post(register_thing))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterThingBody {
    template_body: Option<String>,
    parameters: Option<BTreeMap<String, String>>,
}

async fn register_thing(
    State(emu): State<Emulator>,
    AwsJson(body): AwsJson<RegisterThingBody>,
) -> ApiResult<Json<Value>> {
    let template = required("templateBody", body.template_body, MAX_TEMPLATE_BODY)?;
    let parameters = body.parameters.unwrap_or_default();
    let done = single::register_thing(&emu, &template, &parameters).await?;
    let mut reply = json!({ "resourceArns": done.resource_arns });
    if let Some(pem) = done.certificate_pem {
        reply["certificatePem"] = json!(pem);
    }
    Ok(Json(reply))
}
