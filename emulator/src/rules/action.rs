//! A rule's actions, checked and compiled from the `Action` unions the control plane
//! stores: which ones the emulator executes, their substitution templates parsed once.

use serde::Deserialize;
use serde_json::Value;

use super::sql::{SqlParseError, SqlVersion, Template};
use crate::registry::{ErrorKind, IotError, IotResult};

/// The action types AWS defines that the emulator accepts, records and does NOT execute
/// (every match logs a warning; README "Topic rules").
pub const NOT_EXECUTED: &[&str] = &[
    "dynamoDB",
    "dynamoDBv2",
    "sns",
    "sqs",
    "kinesis",
    "s3",
    "firehose",
    "cloudwatchMetric",
    "cloudwatchAlarm",
    "elasticsearch",
    "salesforce",
    "iotAnalytics",
    "iotEvents",
    "iotSiteWise",
    "stepFunctions",
    "timestream",
    "kafka",
    "openSearch",
    "location",
    "influxDB",
];

/// MQTT 5 properties a republish action sets (`headers`), each a template.
#[derive(Debug, Clone, Default)]
pub struct Headers {
    pub payload_format_utf8: Option<bool>,
    pub content_type: Option<Template>,
    pub response_topic: Option<Template>,
    /// Renders to base64 text.
    pub correlation_data: Option<Template>,
    /// Renders to a number of seconds.
    pub message_expiry: Option<Template>,
    pub user_properties: Vec<(Template, Template)>,
}

/// One compiled action.
#[derive(Debug, Clone)]
pub enum Action {
    Republish {
        topic: Template,
        qos: u8,
        headers: Headers,
    },
    Http {
        url: Template,
        headers: Vec<(String, Template)>,
    },
    Lambda {
        function_arn: Template,
    },
    CloudwatchLogs {
        log_group: Template,
    },
    /// Stored, never run: the action's union key (`sqs`, `s3`, ...).
    NotExecuted {
        kind: String,
    },
}

impl Action {
    /// The API shape name AWS puts in an error document's `failedAction`.
    pub fn shape_name(&self) -> String {
        match self {
            Action::Republish { .. } => "RepublishAction".into(),
            Action::Http { .. } => "HttpAction".into(),
            Action::Lambda { .. } => "LambdaAction".into(),
            Action::CloudwatchLogs { .. } => "CloudwatchLogsAction".into(),
            Action::NotExecuted { kind } => {
                let mut chars = kind.chars();
                let first = chars.next().map(|c| c.to_ascii_uppercase());
                format!("{}{}Action", first.unwrap_or_default(), chars.as_str())
            }
        }
    }
}

fn invalid(message: impl Into<String>) -> IotError {
    IotError::invalid(message)
}

fn sql_error(e: SqlParseError) -> IotError {
    IotError::new(ErrorKind::SqlParse, e.message)
}

fn template(text: &str, version: SqlVersion) -> IotResult<Template> {
    Template::parse(text, version).map_err(sql_error)
}

fn optional(text: Option<&String>, version: SqlVersion) -> IotResult<Option<Template>> {
    text.map(|t| template(t, version)).transpose()
}

fn body<T: for<'de> Deserialize<'de>>(kind: &str, value: &Value) -> IotResult<T> {
    serde_json::from_value(value.clone())
        .map_err(|e| invalid(format!("Invalid {kind} action: {e}")))
}

/// Compiles one `Action` union: exactly one known key whose body is well formed.
pub fn compile(value: &Value, version: SqlVersion) -> IotResult<Action> {
    let Some(object) = value.as_object().filter(|o| o.len() == 1) else {
        return Err(invalid(
            "Each action must name exactly one action type, e.g. {\"republish\": {...}}",
        ));
    };
    let (kind, inner) = object.iter().next().expect("one entry");
    match kind.as_str() {
        "republish" => republish(body(kind, inner)?, version),
        "http" => http(body(kind, inner)?, version),
        "lambda" => {
            let lambda: LambdaIn = body(kind, inner)?;
            let arn = lambda.function_arn.ok_or_else(|| required("functionArn"))?;
            let function_arn = template(&arn, version)?;
            Ok(Action::Lambda { function_arn })
        }
        "cloudwatchLogs" => {
            let logs: LogsIn = body(kind, inner)?;
            if logs.batch_mode == Some(true) {
                // Refused rather than ignored: events are written one message at a time.
                return Err(invalid(
                    "iot-emulator does not support batchMode on cloudwatchLogs actions",
                ));
            }
            let group = logs
                .log_group_name
                .ok_or_else(|| required("logGroupName"))?;
            let log_group = template(&group, version)?;
            Ok(Action::CloudwatchLogs { log_group })
        }
        other if NOT_EXECUTED.contains(&other) => Ok(Action::NotExecuted {
            kind: other.to_string(),
        }),
        other => Err(invalid(format!("Unknown action type {other}"))),
    }
}

fn required(field: &str) -> IotError {
    invalid(format!(
        "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LambdaIn {
    function_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogsIn {
    log_group_name: Option<String>,
    batch_mode: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RepublishIn {
    topic: Option<String>,
    qos: Option<i64>,
    headers: Option<HeadersIn>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct HeadersIn {
    payload_format_indicator: Option<String>,
    content_type: Option<String>,
    response_topic: Option<String>,
    correlation_data: Option<String>,
    message_expiry: Option<String>,
    #[serde(default)]
    user_properties: Vec<KeyValue>,
}

#[derive(Deserialize)]
struct KeyValue {
    key: String,
    value: String,
}

fn republish(input: RepublishIn, version: SqlVersion) -> IotResult<Action> {
    let topic = input.topic.ok_or_else(|| required("topic"))?;
    let qos = match input.qos.unwrap_or(0) {
        q @ (0 | 1) => q as u8,
        q => {
            return Err(invalid(format!(
                "1 validation error detected: Value '{q}' at 'qos' failed to satisfy constraint: Member must have value less than or equal to 1"
            )))
        }
    };
    let h = input.headers.unwrap_or_default();
    let payload_format_utf8 = match h.payload_format_indicator.as_deref() {
        None => None,
        Some("UTF8_DATA") => Some(true),
        Some("UNSPECIFIED_BYTES") => Some(false),
        Some(other) => {
            return Err(invalid(format!(
                "payloadFormatIndicator must be UTF8_DATA or UNSPECIFIED_BYTES, not {other}"
            )))
        }
    };
    if h.user_properties.len() > 100 {
        return Err(invalid("A republish action has at most 100 userProperties"));
    }
    let mut user_properties = Vec::new();
    for kv in &h.user_properties {
        user_properties.push((template(&kv.key, version)?, template(&kv.value, version)?));
    }
    let headers = Headers {
        payload_format_utf8,
        content_type: optional(h.content_type.as_ref(), version)?,
        response_topic: optional(h.response_topic.as_ref(), version)?,
        correlation_data: optional(h.correlation_data.as_ref(), version)?,
        message_expiry: optional(h.message_expiry.as_ref(), version)?,
        user_properties,
    };
    Ok(Action::Republish {
        topic: template(&topic, version)?,
        qos,
        headers,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HttpIn {
    url: Option<String>,
    confirmation_url: Option<String>,
    #[serde(default)]
    headers: Vec<KeyValue>,
    auth: Option<Value>,
    enable_batching: Option<bool>,
}

fn http(input: HttpIn, version: SqlVersion) -> IotResult<Action> {
    let url = input.url.ok_or_else(|| required("url"))?;
    if url.len() > 2000 {
        return Err(invalid(
            "The url of an http action is at most 2000 characters",
        ));
    }
    if url.contains("${") && input.confirmation_url.is_none() {
        // AWS: "If substitution templates are used in the URL, you must also specify a
        // confirmationUrl."
        return Err(invalid(
            "An http action whose url has substitution templates needs a confirmationUrl",
        ));
    }
    if let Some(c) = &input.confirmation_url {
        // AWS: "The value of the confirmation URL must be a prefix of the endpoint URL."
        if !c.contains("${") && !url.starts_with(c.as_str()) {
            return Err(invalid(
                "The confirmationUrl of an http action must be a prefix of its url",
            ));
        }
    }
    if input.headers.len() > 100 {
        return Err(invalid("An http action has at most 100 headers"));
    }
    // Refused rather than ignored: the emulator neither signs nor batches requests.
    if input.auth.is_some() {
        return Err(invalid(
            "iot-emulator does not support SigV4 auth on http actions",
        ));
    }
    if input.enable_batching == Some(true) {
        return Err(invalid(
            "iot-emulator does not support batching on http actions",
        ));
    }
    let mut headers = Vec::new();
    for kv in &input.headers {
        if kv.key.is_empty() || kv.key.len() > 256 {
            return Err(invalid("An http header key is 1 to 256 characters"));
        }
        headers.push((kv.key.clone(), template(&kv.value, version)?));
    }
    Ok(Action::Http {
        url: template(&url, version)?,
        headers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kind(value: Value) -> ErrorKind {
        compile(&value, SqlVersion::default()).unwrap_err().kind
    }

    #[test]
    fn executed_and_recorded_actions() {
        let v = SqlVersion::default();
        let a = compile(
            &json!({"republish": {"topic": "out", "roleArn": "r", "qos": 1}}),
            v,
        );
        assert!(matches!(a, Ok(Action::Republish { qos: 1, .. })));
        let a = compile(&json!({"http": {"url": "http://127.0.0.1:1/x"}}), v).unwrap();
        assert_eq!(a.shape_name(), "HttpAction");
        let a = compile(&json!({"sqs": {"queueUrl": "q"}}), v).unwrap();
        assert_eq!(a.shape_name(), "SqsAction");
        let a = compile(&json!({"dynamoDBv2": {}}), v).unwrap();
        assert_eq!(a.shape_name(), "DynamoDBv2Action");
    }

    #[test]
    fn malformed_actions_are_refused() {
        use ErrorKind::InvalidRequest;
        assert_eq!(kind(json!({})), InvalidRequest);
        assert_eq!(
            kind(json!({"republish": {"topic": "a"}, "lambda": {}})),
            InvalidRequest
        );
        assert_eq!(kind(json!({"teleport": {}})), InvalidRequest);
        assert_eq!(kind(json!({"republish": {"roleArn": "r"}})), InvalidRequest);
        assert_eq!(
            kind(json!({"republish": {"topic": "a", "qos": 2}})),
            InvalidRequest
        );
        assert_eq!(kind(json!({"lambda": {}})), InvalidRequest);
        let signed = json!({"http": {"url": "http://h/", "auth": {"sigv4": {}}}});
        assert_eq!(kind(signed), InvalidRequest);
    }
}
