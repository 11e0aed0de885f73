//! DescribeEndpoint: the AWS-shaped hostnames the server certificate covers.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiResult;
use super::extract::AwsQuery;
use crate::registry::IotError;
use crate::state::Emulator;

/// Routes of this resource family.
pub fn routes() -> Router<Emulator> {
    Router::new().route("/endpoint", get(describe_endpoint))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DescribeEndpointQuery {
    endpoint_type: Option<String>,
}

async fn describe_endpoint(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<DescribeEndpointQuery>,
) -> ApiResult<Json<Value>> {
    let e = &emu.endpoints;
    let address = match q.endpoint_type.as_deref() {
        None | Some("iot:Data") => &e.data,
        Some("iot:Data-ATS") => &e.data_ats,
        Some("iot:CredentialProvider") => &e.credentials,
        Some("iot:Jobs") => &e.jobs,
        Some(other) => {
            return Err(IotError::invalid(format!("Endpoint type {other} is not valid.")).into())
        }
    };
    Ok(Json(json!({ "endpointAddress": address })))
}
