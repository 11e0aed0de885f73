//! The query protocol front end: a form-encoded request in (`Action=…&Version=…`), an XML
//! reply out. [`crate::api::dispatch`] hands it every request signed for a query service.
//! It serves STS's GetCallerIdentity; every other action of every query service
//! (CloudFormation, IAM, SNS, EC2…) gets a `NotImplemented` error in the query shape,
//! until a front end for that service takes its place in [`QueryFront::dispatch`].

mod cloudformation;
mod error;
mod form;
mod sts;
pub mod xml;

pub use cloudformation::CfnFront;
pub use error::QueryError;
pub use form::{looks_like_query, QueryRequest};

use std::sync::Arc;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;

use crate::registry::Registry;
use crate::sts::Sts;

/// A successful operation's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub action: &'static str,
    pub namespace: &'static str,
    pub result: Vec<xml::Node>,
}

/// What the query front end serves with (cheap to clone).
#[derive(Clone, Debug)]
pub struct QueryFront {
    sts: Arc<Sts>,
    cfn: CfnFront,
    /// Only for request ids, drawn like every other id so a seeded run repeats them.
    registry: Registry,
}

impl QueryFront {
    pub fn new(registry: Registry, cfn: CfnFront) -> Self {
        let account = registry.account();
        let sts = Sts::new(&account.account_id, &account.region);
        QueryFront {
            sts: Arc::new(sts),
            cfn,
            registry,
        }
    }

    /// Answers one request signed for `service`.
    pub async fn handle(&self, service: &str, request: Request) -> Response {
        let request_id = self.registry.entropy().uuid("query-request-id");
        let reply = match form::read(request).await {
            // CloudFormation runs a whole stack before it replies, off the async workers.
            Ok(query) if service == "cloudformation" => {
                let cfn = self.cfn.clone();
                tokio::task::spawn_blocking(move || cloudformation::dispatch(&cfn, &query))
                    .await
                    .unwrap_or_else(|e| Err(QueryError::Internal(e.to_string())))
            }
            Ok(query) => self.dispatch(service, &query),
            Err(e) => Err(e),
        };
        match reply {
            Ok(reply) => {
                let body = xml::success(reply.action, reply.namespace, &reply.result, &request_id);
                error::xml_response(StatusCode::OK, body, &request_id)
            }
            Err(e) => e.respond(service, namespace(service), &request_id),
        }
    }

    /// The operation `query.action` of `service`.
    fn dispatch(&self, service: &str, query: &QueryRequest) -> Result<Reply, QueryError> {
        match (service, query.action.as_str()) {
            ("sts", "GetCallerIdentity") => Ok(sts::get_caller_identity(&self.sts)),
            (service, action) => Err(QueryError::NotImplemented {
                service: service.to_string(),
                action: action.to_string(),
            }),
        }
    }
}

/// The XML namespace of the services this front end knows.
fn namespace(service: &str) -> Option<&'static str> {
    match service {
        "sts" => Some(sts::NAMESPACE),
        "cloudformation" => Some(cloudformation::NAMESPACE),
        _ => None,
    }
}
