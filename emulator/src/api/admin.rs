//! Emulator-only routes under `/_emulator/` (not AWS operations): health, reset, clock,
//! and the credentials the credentials provider issued.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiResult;
use super::extract::AwsQuery;
use crate::bootstrap::KEPT_ON_RESET;
use crate::registry::IotError;
use crate::state::Emulator;

/// Routes of this family.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/_emulator/health", get(health))
        .route("/_emulator/reset", post(reset))
        .route("/_emulator/clock", get(clock))
        .route("/_emulator/clock/advance", post(advance_clock))
        .route("/_emulator/credentials", get(issued_credentials))
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Deletes every resource (Lambda functions and logs too); the CA, endpoints and seed
/// stay.
async fn reset(State(emu): State<Emulator>) -> ApiResult<Json<Value>> {
    emu.registry.reset(KEPT_ON_RESET)?;
    emu.s3
        .reset()
        .map_err(|e| IotError::internal(e.to_string()))?;
    emu.lambda.reset();
    emu.logs.reset();
    Ok(Json(json!({ "reset": true })))
}

async fn clock(State(emu): State<Emulator>) -> Json<Value> {
    let clock = emu.registry.clock();
    Json(json!({ "nowMs": clock.now_ms(), "frozen": clock.is_frozen() }))
}

#[derive(Deserialize)]
struct Advance {
    seconds: i64,
}

/// Moves the emulator clock forward by `?seconds=N` (expires claims and tokens).
async fn advance_clock(State(emu): State<Emulator>, AwsQuery(q): AwsQuery<Advance>) -> Json<Value> {
    let clock = emu.registry.clock();
    clock.advance_ms(q.seconds.saturating_mul(1000));
    Json(json!({ "nowMs": clock.now_ms(), "frozen": clock.is_frozen() }))
}

/// Every credential the credentials provider issued: alias, role, certificate, thing and
/// expiry, oldest first.
async fn issued_credentials(State(emu): State<Emulator>) -> Json<Value> {
    Json(json!({ "issued": emu.registry.list_issued_credentials() }))
}
