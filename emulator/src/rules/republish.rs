//! The republish action: the message it publishes (templates rendered, `$$` for a
//! leading `$`, MQTT 5 headers) and handing it to the broker's data plane.

use base64::Engine as _;

use super::action::{Action, Headers};
use super::engine::Engine;
use super::execute::{Failure, Subject};
use super::sql::Template;
use crate::state::DataMessage;

impl Engine {
    /// The message a republish action publishes (`$$` stands for a leading `$`).
    pub(super) fn republished(
        &self,
        action: &Action,
        s: &Subject,
        topic: String,
        qos: u8,
        headers: &Headers,
        payload: Vec<u8>,
    ) -> Result<DataMessage, Failure> {
        let topic = match topic.strip_prefix("$$") {
            Some(rest) => format!("${rest}"),
            None => topic,
        };
        let fail = |message: String| Failure {
            action: action.shape_name(),
            resource: topic.clone(),
            message,
        };
        if is_jobs_topic(&topic) {
            return Err(fail(
                "Republishing to a jobs reserved topic is not allowed".into(),
            ));
        }
        let mut message = DataMessage {
            topic: topic.clone(),
            payload,
            qos,
            payload_format_utf8: headers.payload_format_utf8,
            ..DataMessage::default()
        };
        self.render_headers(s, headers, &mut message)
            .map_err(fail)?;
        Ok(message)
    }

    /// Fills in the MQTT 5 properties of `headers`, each rendered for `s`.
    fn render_headers(
        &self,
        s: &Subject,
        headers: &Headers,
        message: &mut DataMessage,
    ) -> Result<(), String> {
        let render = |t: &Template| self.context(s, |c| t.render(c)).map_err(|e| e.message);
        let optional = |t: &Option<Template>| t.as_ref().map(render).transpose();
        message.content_type = optional(&headers.content_type)?;
        message.response_topic = optional(&headers.response_topic)?;
        if let Some(text) = optional(&headers.correlation_data)? {
            let data = base64::engine::general_purpose::STANDARD.decode(text.as_bytes());
            let data = data.map_err(|_| format!("correlationData is not base64: {text}"))?;
            message.correlation_data = Some(data);
        }
        if let Some(text) = optional(&headers.message_expiry)? {
            let seconds = text.trim().parse::<u32>();
            let seconds = seconds.map_err(|_| format!("messageExpiry is not a number: {text}"))?;
            message.message_expiry = Some(seconds);
        }
        for (key, value) in &headers.user_properties {
            message.user_properties.push((render(key)?, render(value)?));
        }
        Ok(())
    }

    pub(super) fn republish(&self, action: &Action, message: DataMessage) -> Result<(), Failure> {
        let topic = message.topic.clone();
        let fail = |message: String| Failure {
            action: action.shape_name(),
            resource: topic.clone(),
            message,
        };
        let plane = self.shared.data_plane.get();
        let plane = plane.ok_or_else(|| fail("the broker is not running".into()))?;
        plane
            .publish(message)
            .map_err(|e| fail(format!("republish refused: {}", refusal(e))))
    }
}

fn refusal(e: crate::state::DataPlaneError) -> String {
    use crate::state::DataPlaneError::*;
    match e {
        InvalidRequest(m)
        | Forbidden(m)
        | ResourceNotFound(m)
        | RequestEntityTooLarge(m)
        | InternalFailure(m) => m,
    }
}

/// `$aws/things/<thing>/jobs/...`: a republish action may not publish there.
fn is_jobs_topic(topic: &str) -> bool {
    let mut levels = topic.split('/');
    levels.next() == Some("$aws")
        && levels.next() == Some("things")
        && levels.next().is_some()
        && levels.next() == Some("jobs")
}
