//! One rule against one message: WHERE and SELECT, then every action with its templates
//! rendered; republish runs in order on the worker, the others in a task of their own,
//! and a match with failed actions runs the errorAction once with AWS's error document.

use base64::Engine as _;
use bytes::Bytes;
use serde_json::{json, Value};
use tokio::task::JoinSet;

use super::action::Action;
use super::engine::{Engine, Inbound};
use super::filter;
use super::http::{self, Post};
use super::rule::Compiled;
use super::sql::{MessageContext, Outcome, Template};
use crate::state::DataMessage;

/// One message as every template and the SQL see it, owned so that actions running
/// later can render their templates too.
#[derive(Debug, Clone)]
pub(super) struct Subject {
    /// The full topic as published (for the error document).
    published: String,
    /// What `topic()` sees: without the Basic Ingest prefix.
    topic: String,
    payload: Bytes,
    client_id: Option<String>,
    principal: Option<String>,
    timestamp_ms: i64,
}

impl Subject {
    fn of(message: &Inbound, timestamp_ms: i64) -> Subject {
        let topic = match filter::basic_ingest(&message.topic) {
            Some((_, rest)) => rest.to_string(),
            None => message.topic.clone(),
        };
        Subject {
            published: message.topic.clone(),
            topic,
            payload: message.payload.clone(),
            client_id: message.client_id.clone(),
            principal: message.principal.clone(),
            timestamp_ms,
        }
    }
}

/// Why one action failed: an entry of the error document's `failures`.
#[derive(Debug, Clone)]
pub(super) struct Failure {
    pub(super) action: String,
    pub(super) resource: String,
    pub(super) message: String,
}

/// An action with its templates rendered, ready to run without the message.
#[derive(Debug)]
pub(super) enum Ready {
    Republish(DataMessage),
    Http(Post),
    Lambda { arn: String, payload: Vec<u8> },
    Logs { group: String, payload: Vec<u8> },
}

impl Engine {
    pub(super) fn context<R>(&self, s: &Subject, f: impl FnOnce(&MessageContext<'_>) -> R) -> R {
        let registry = &self.shared.registry;
        // `--seed` makes these deterministic: they come from the emulator's entropy.
        let new_uuid = || registry.entropy().uuid("rules-newuuid");
        let context = MessageContext {
            topic: &s.topic,
            payload: &s.payload,
            client_id: s.client_id.as_deref(),
            principal: s.principal.as_deref(),
            timestamp_ms: s.timestamp_ms,
            account_id: &registry.account().account_id,
            new_uuid: &new_uuid,
        };
        f(&context)
    }

    /// Runs `rule` against `message` (the worker awaits only for a free action slot).
    pub(super) async fn evaluate(&self, rule: &Compiled, message: &Inbound) {
        let subject = Subject::of(message, self.shared.registry.clock().now_ms());
        let outcome = match self.context(&subject, |c| rule.statement.evaluate(c)) {
            Ok(Some(outcome)) => outcome,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(rule = %rule.name, topic = %subject.published, cause = %e.message,
                    "topic rule evaluation failed");
                return;
            }
        };
        let (mut failures, later) = self.start_actions(rule, &subject, &outcome);
        if later.is_empty() && (failures.is_empty() || rule.error_action.is_none()) {
            return;
        }
        let Ok(permit) = self.shared.running.clone().acquire_owned().await else {
            return;
        };
        let (engine, rule) = (self.clone(), rule.clone());
        tokio::spawn(async move {
            failures.extend(engine.run_later(later).await);
            if !failures.is_empty() {
                engine.on_failures(&rule, &subject, failures).await;
            }
            drop(permit);
        });
    }

    /// Renders every action; republishes at once (in order, on the worker) and returns
    /// the failures so far and the actions that wait on something outside.
    fn start_actions(
        &self,
        rule: &Compiled,
        subject: &Subject,
        outcome: &Outcome,
    ) -> (Vec<Failure>, Vec<(String, Ready)>) {
        let mut failures = Vec::new();
        let mut later = Vec::new();
        for action in &rule.actions {
            match self.prepare(rule, action, subject, outcome) {
                Ok(Some(Ready::Republish(m))) => {
                    if let Err(f) = self.republish(action, m) {
                        failures.push(f);
                    }
                }
                Ok(Some(ready)) => later.push((action.shape_name(), ready)),
                Ok(None) => {}
                Err(f) => failures.push(f),
            }
        }
        (failures, later)
    }

    /// Renders `action`'s templates; `Ok(None)` for an action that is not executed.
    fn prepare(
        &self,
        rule: &Compiled,
        action: &Action,
        s: &Subject,
        outcome: &Outcome,
    ) -> Result<Option<Ready>, Failure> {
        let (body, json) = match outcome {
            Outcome::Json(v) => (serde_json::to_vec(v).unwrap_or_default(), true),
            Outcome::Bytes(b) => (b.clone(), false),
        };
        let render = |t: &Template| self.render(action, s, t, "");
        Ok(Some(match action {
            Action::Republish {
                topic,
                qos,
                headers,
            } => {
                let topic = render(topic)?;
                let message = self.republished(action, s, topic, *qos, headers, body)?;
                Ready::Republish(message)
            }
            Action::Http { url, headers } => {
                Ready::Http(self.http(action, s, url, headers, body, json)?)
            }
            Action::Lambda { function_arn } => {
                let arn = render(function_arn)?;
                if self.shared.invoker.get().is_none() {
                    not_wired(rule, "lambda", &arn, "Lambda");
                    return Ok(None);
                }
                Ready::Lambda { arn, payload: body }
            }
            Action::CloudwatchLogs { log_group } => {
                let group = render(log_group)?;
                if self.shared.logs.get().is_none() {
                    not_wired(rule, "cloudwatchLogs", &group, "CloudWatch Logs");
                    return Ok(None);
                }
                Ready::Logs {
                    group,
                    payload: body,
                }
            }
            Action::NotExecuted { kind } => {
                tracing::warn!(rule = %rule.name, action = %kind,
                    "topic rule matched: its {kind} action is NOT executed by iot-emulator");
                return Ok(None);
            }
        }))
    }

    /// Renders one template of `action`; a failure names `resource`.
    pub(super) fn render(
        &self,
        action: &Action,
        s: &Subject,
        template: &Template,
        resource: &str,
    ) -> Result<String, Failure> {
        self.context(s, |c| template.render(c))
            .map_err(|e| Failure {
                action: action.shape_name(),
                resource: resource.to_string(),
                message: e.message,
            })
    }

    /// The request an http action sends.
    fn http(
        &self,
        action: &Action,
        s: &Subject,
        url: &Template,
        headers: &[(String, Template)],
        body: Vec<u8>,
        json: bool,
    ) -> Result<Post, Failure> {
        let url = self.render(action, s, url, "")?;
        let mut rendered = Vec::new();
        for (key, value) in headers {
            rendered.push((key.clone(), self.render(action, s, value, &url)?));
        }
        let content_type = if json {
            "application/json"
        } else {
            "application/octet-stream"
        };
        Ok(Post {
            url,
            headers: rendered,
            body: Bytes::from(body),
            content_type,
        })
    }

    /// Runs the actions that wait on something outside (HTTP, Lambda, Logs) side by side.
    async fn run_later(&self, later: Vec<(String, Ready)>) -> Vec<Failure> {
        let mut set = JoinSet::new();
        for (shape, ready) in later {
            let engine = self.clone();
            set.spawn(async move { engine.run_one(shape, ready).await });
        }
        let mut failures = Vec::new();
        while let Some(joined) = set.join_next().await {
            if let Ok(Err(f)) = joined {
                failures.push(f);
            }
        }
        failures
    }

    async fn run_one(&self, action: String, ready: Ready) -> Result<(), Failure> {
        let (resource, result) = match ready {
            Ready::Http(post) => (post.url.clone(), self.post(&post).await),
            Ready::Lambda { arn, payload } => {
                let result = match self.shared.invoker.get() {
                    Some(invoker) => invoker.invoke_event(&arn, payload).await,
                    None => Err("no Lambda engine is wired to the rules engine".into()),
                };
                (arn, result)
            }
            Ready::Logs { group, payload } => {
                let text = String::from_utf8_lossy(&payload).into_owned();
                // The stream is named after the message's trace (a choice: README).
                let stream = self.shared.registry.entropy().uuid("rules-log-stream");
                let result = match self.shared.logs.get() {
                    Some(sink) => sink.put(&group, &stream, text).await,
                    None => Err("no CloudWatch Logs engine is wired to the rules engine".into()),
                };
                (group, result)
            }
            Ready::Republish(m) => (m.topic, Err("republish runs on the worker".into())),
        };
        result.map_err(|message| Failure {
            action,
            resource,
            message,
        })
    }

    /// An http action: refused unless a destination for its URL is ENABLED (confirmed).
    async fn post(&self, post: &Post) -> Result<(), String> {
        let Some(d) = self.shared.registry.destination_for_url(&post.url) else {
            return Err(format!(
                "No topic rule destination is confirmed for {}",
                post.url
            ));
        };
        if d.status != crate::registry::topic_rule::DestinationStatus::Enabled {
            return Err(format!(
                "The topic rule destination {} is {}",
                d.arn,
                d.status.as_str()
            ));
        }
        http::send(post).await
    }

    /// Logs the failures and runs the rule's errorAction with AWS's error document.
    async fn on_failures(&self, rule: &Compiled, s: &Subject, failures: Vec<Failure>) {
        for f in &failures {
            tracing::warn!(rule = %rule.name, action = %f.action, resource = %f.resource,
                cause = %f.message, "topic rule action failed");
        }
        let Some(error_action) = &rule.error_action else {
            return;
        };
        let document = self.error_document(rule, s, &failures);
        let mut context = s.clone();
        context.payload = Bytes::from(serde_json::to_vec(&document).unwrap_or_default());
        let ready = self.prepare(rule, error_action, &context, &Outcome::Json(document));
        let outcome = match ready {
            Ok(Some(Ready::Republish(m))) => self.republish(error_action, m),
            Ok(Some(ready)) => self.run_one(error_action.shape_name(), ready).await,
            Ok(None) => Ok(()),
            Err(f) => Err(f),
        };
        // A failing errorAction is logged and goes no further.
        if let Err(f) = outcome {
            tracing::warn!(rule = %rule.name, resource = %f.resource, cause = %f.message,
                "topic rule errorAction failed");
        }
    }

    fn error_document(&self, rule: &Compiled, s: &Subject, failures: &[Failure]) -> Value {
        let failures: Vec<Value> = failures
            .iter()
            .map(|f| {
                json!({"failedAction": f.action, "failedResource": f.resource,
                       "errorMessage": f.message})
            })
            .collect();
        json!({
            "ruleName": rule.name,
            "topic": s.published,
            "cloudwatchTraceId": self.shared.registry.entropy().uuid("rules-trace-id"),
            "clientId": s.client_id.as_deref().unwrap_or("n/a"),
            "base64OriginalPayload": base64::engine::general_purpose::STANDARD.encode(&s.payload),
            "failures": failures,
        })
    }
}

/// The warning for a lambda or cloudwatchLogs action with no engine behind it.
fn not_wired(rule: &Compiled, action: &str, resource: &str, engine: &str) {
    tracing::warn!(rule = %rule.name, %resource,
        "{action} action NOT executed: no {engine} engine is wired to the rules engine");
}
