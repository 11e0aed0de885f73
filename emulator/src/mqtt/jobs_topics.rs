//! The jobs topics the broker answers, `$aws/things/<thing>/jobs/{get, start-next,
//! <jobId>/get, <jobId>/update}`: requests in, `/accepted` or `/rejected` out to the
//! requesting connection alone (the MQTT mapping of the device error codes); and the
//! publisher through which the jobs engine's `notify`, `notify-next` and events reach
//! subscribers.

use bytes::Bytes;
use serde_json::{json, Map, Value};

use super::codec::{Properties, QoS};
use super::reserved::Disposition;
use super::router::Message;
use super::service_publisher::ServicePublisher;
use super::session::Session;
use super::Broker;
use crate::jobs::notify::{execution, execution_state, seconds, summary};
use crate::jobs::{request, DeviceCode, DeviceError, Jobs};
use crate::registry::job::Execution;

/// What a publish under `$aws/things/<thing>/jobs/` asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobsOp {
    GetPending,
    StartNext,
    Describe {
        job_id: String,
    },
    Update {
        job_id: String,
    },
    /// Nothing AWS maps: answered with `InvalidTopic`.
    Unknown,
}

/// A jobs request and the topic it came on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobsRoute {
    pub thing: String,
    pub op: JobsOp,
    pub topic: String,
}

/// Classifies `$aws/things/<thing>/jobs/<tail...>`: requests are answered, the
/// service's own topics (replies, `notify`, `notify-next`) may not be published to.
pub fn classify(thing: &str, tail: &[&str], topic: &str) -> Disposition {
    let op = match tail {
        [.., "accepted" | "rejected"] | ["notify" | "notify-next"] => return Disposition::Drop,
        ["get"] => JobsOp::GetPending,
        ["start-next"] => JobsOp::StartNext,
        [job, "get"] => JobsOp::Describe {
            job_id: job.to_string(),
        },
        [job, "update"] => JobsOp::Update {
            job_id: job.to_string(),
        },
        _ => JobsOp::Unknown,
    };
    Disposition::Jobs(JobsRoute {
        thing: thing.to_string(),
        op,
        topic: topic.to_string(),
    })
}

/// The `/rejected` `code` of each device error: the codes are AWS's own names.
fn code(code: DeviceCode) -> &'static str {
    code.as_str()
}

fn token(body: &Map<String, Value>) -> Option<String> {
    body.get("clientToken")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Runs one request; the accepted body (without token and timestamp) or the error.
fn answer(jobs: &Jobs, route: &JobsRoute, body: &Map<String, Value>) -> Result<Value, DeviceError> {
    let thing = &route.thing;
    let now = jobs.registry().clock().now_ms();
    match &route.op {
        JobsOp::Unknown => Err(DeviceError::new(
            DeviceCode::InvalidTopic,
            "The topic is not a jobs API",
        )),
        JobsOp::GetPending => {
            let (in_progress, queued) = jobs.pending(thing);
            let list = |l: &[Execution]| l.iter().map(summary).collect::<Vec<_>>();
            Ok(json!({ "inProgressJobs": list(&in_progress), "queuedJobs": list(&queued) }))
        }
        JobsOp::StartNext => {
            let details = request::status_details(body)?;
            let step = request::step_timeout(body, false)?;
            let started = jobs.start_next(thing, details, step)?;
            Ok(match started {
                Some(w) => json!({ "execution": execution(&w.execution, Some(&w.document), now) }),
                None => json!({}),
            })
        }
        JobsOp::Describe { job_id } => {
            let number = request::number(body, "executionNumber")?;
            let include = request::flag(body, "includeJobDocument", true)?;
            let w = jobs.describe(thing, job_id, number)?;
            let document = include.then_some(w.document.as_str());
            Ok(json!({ "execution": execution(&w.execution, document, now) }))
        }
        JobsOp::Update { job_id } => {
            let update = request::update(body)?;
            let include_state = request::flag(body, "includeJobExecutionState", false)?;
            let include_document = request::flag(body, "includeJobDocument", false)?;
            let w = jobs.update(thing, job_id, &update)?;
            let mut v = json!({});
            if include_state {
                v["executionState"] = execution_state(&w.execution);
            }
            if include_document {
                v["jobDocument"] = serde_json::from_str(&w.document).unwrap_or_else(|_| json!({}));
            }
            Ok(v)
        }
    }
}

/// Decodes, answers and builds the reply (on `/accepted` or `/rejected`).
pub fn handle(jobs: &Jobs, route: &JobsRoute, payload: &[u8]) -> Message {
    let now = jobs.registry().clock().now_ms();
    let decoded = match payload.iter().all(u8::is_ascii_whitespace) {
        true => Some(Map::new()),
        false => match serde_json::from_slice(payload) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        },
    };
    let body = decoded.clone().unwrap_or_default();
    let outcome = match decoded {
        Some(body) => answer(jobs, route, &body),
        None => Err(DeviceError::new(
            DeviceCode::InvalidJson,
            "The payload is not a JSON object",
        )),
    };
    let (topic, mut reply) = match outcome {
        Ok(v) => (format!("{}/accepted", route.topic), v),
        Err(e) => {
            tracing::info!(topic = %route.topic, code = e.code.as_str(), message = %e.message, "jobs request rejected");
            let mut v = json!({ "code": code(e.code), "message": e.message });
            if let Some(state) = &e.execution_state {
                v["executionState"] = execution_state(state);
            }
            (format!("{}/rejected", route.topic), v)
        }
    };
    reply["timestamp"] = json!(seconds(now));
    if let Some(token) = token(&body) {
        reply["clientToken"] = json!(token);
    }
    Message {
        topic,
        payload: Bytes::from(reply.to_string()),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: Properties::default(),
    }
}

impl Session {
    /// Answers a jobs request off the packet loop; the reply goes only to this connection.
    pub fn spawn_jobs(&self, route: JobsRoute, payload: Bytes) {
        let broker = self.broker.clone();
        let client_id = self.client_id.clone();
        let conn_id = self.conn_id;
        tokio::spawn(async move {
            let jobs = broker.shared.emulator.jobs.clone();
            let work = tokio::task::spawn_blocking(move || handle(&jobs, &route, &payload));
            let Ok(reply) = work.await else {
                return;
            };
            if !broker
                .shared
                .router
                .reply_direct(&client_id, conn_id, reply)
            {
                tracing::debug!(%client_id, "jobs reply not delivered: connection gone");
            }
        });
    }
}

impl Broker {
    /// Makes this broker publish the jobs engine's notifications and events.
    pub fn install_jobs_publisher(&self) {
        let publisher = ServicePublisher::new(self, "jobs");
        self.shared.emulator.jobs.publisher().install(publisher);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(topic: &str) -> Option<JobsOp> {
        match super::super::reserved::classify(topic) {
            Disposition::Jobs(r) => Some(r.op),
            _ => None,
        }
    }

    #[test]
    fn jobs_topics_are_classified() {
        assert_eq!(op("$aws/things/t/jobs/get"), Some(JobsOp::GetPending));
        assert_eq!(op("$aws/things/t/jobs/start-next"), Some(JobsOp::StartNext));
        let describe = JobsOp::Describe {
            job_id: "$next".into(),
        };
        assert_eq!(op("$aws/things/t/jobs/$next/get"), Some(describe));
        let update = JobsOp::Update {
            job_id: "j1".into(),
        };
        assert_eq!(op("$aws/things/t/jobs/j1/update"), Some(update));
        assert_eq!(op("$aws/things/t/jobs/j1/delete"), Some(JobsOp::Unknown));
        for forged in [
            "$aws/things/t/jobs/get/accepted",
            "$aws/things/t/jobs/j1/update/rejected",
            "$aws/things/t/jobs/notify",
            "$aws/things/t/jobs/notify-next",
        ] {
            assert_eq!(
                super::super::reserved::classify(forged),
                Disposition::Drop,
                "{forged}"
            );
        }
    }
}
