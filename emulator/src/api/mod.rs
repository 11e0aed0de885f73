//! The control plane: AWS IoT's rest-json API on axum, as the aws CLI and boto3 call it.
//! One module per resource family; each handler is named after its AWS operation, calls
//! the registry operation of the same name and serialises the reply. iot-data
//! ([`iot_data`]) shares the port; [`dispatch`] picks the service per request.

pub mod admin;
pub mod authorization;
pub mod cas;
pub mod certificates;
pub mod dispatch;
pub mod endpoint;
pub mod error;
pub mod extract;
pub mod iot_data;
pub mod job_templates;
pub mod jobs;
pub mod jobs_data;
pub mod jobs_endpoint;
pub mod lambda;
pub mod logs;
pub mod policies;
pub mod register_thing;
pub mod role_aliases;
pub mod shadows;
pub mod tags;
pub mod templates;
pub mod thing_groups;
pub mod thing_types;
pub mod things;
pub mod topic_rules;
pub mod unsupported;

use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use axum::serve::ListenerExt;
use axum::Router;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::regions::Regions;
use crate::state::Emulator;

/// Every route of the control plane and of iot-data, and the query front end, on one port,
/// for every region.
pub fn router(regions: Regions) -> Router {
    dispatch::by_region(regions, fronts)
}

/// The front ends of one region.
fn fronts(emulator: Emulator) -> dispatch::Fronts {
    let data = Router::new()
        .merge(iot_data::routes())
        .merge(shadows::routes())
        .fallback(unknown_operation)
        .with_state(emulator.clone());
    let cfn = crate::query::CfnFront {
        engine: emulator.cloudformation.clone(),
        s3: emulator.s3.clone(),
    };
    let query = crate::query::QueryFront::new(emulator.registry.clone(), cfn);
    let s3 = crate::s3_rest::S3Front::new(emulator.s3.clone(), emulator.registry.clone());
    let jobs_data = Router::new()
        .merge(jobs_data::routes())
        .fallback(unknown_operation)
        .with_state(emulator.clone());
    dispatch::Fronts {
        jobs_data,
        lambda: lambda::router(emulator.lambda.clone(), emulator.s3.clone()),
        logs: logs::router(emulator.logs.clone()),
        control: control_router(emulator),
        data,
        query,
        s3,
    }
}

/// Every route of the control plane (`iot`).
fn control_router(emulator: Emulator) -> Router {
    Router::new()
        .merge(certificates::routes())
        .merge(cas::routes())
        .merge(things::routes())
        .merge(thing_types::routes())
        .merge(thing_groups::routes())
        .merge(policies::routes())
        .merge(authorization::routes())
        .merge(templates::routes())
        .merge(register_thing::routes())
        .merge(role_aliases::routes())
        .merge(topic_rules::routes())
        .merge(jobs::routes())
        .merge(job_templates::routes())
        .merge(tags::routes())
        .merge(endpoint::routes())
        .merge(admin::routes())
        .fallback(unknown_operation)
        .with_state(emulator)
}

/// Serves the control plane on `listener` until `shutdown` flips.
pub async fn serve(listener: TcpListener, regions: Regions, mut shutdown: watch::Receiver<bool>) {
    let app = router(regions);
    let stop = async move {
        let _ = shutdown.changed().await;
    };
    let listener = listener.tap_io(|stream| crate::net::tap(stream, crate::net::Kind::Api));
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
    {
        tracing::error!(cause = %e, "control plane stopped");
    }
}

/// A clean JSON 501 for anything we do not implement (a 500 would make botocore retry).
async fn unknown_operation(method: Method, uri: Uri) -> Response {
    error::error_response(
        StatusCode::NOT_IMPLEMENTED,
        "NotImplementedException",
        json!({ "message": format!("iot-emulator does not implement {method} {}", uri.path()) }),
    )
}
