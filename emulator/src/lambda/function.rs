//! One function: its stored record, the `FunctionConfiguration` view AWS returns, and the
//! checks CreateFunction and UpdateFunctionConfiguration make on their input.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::error::{LambdaError, LambdaResult};

/// AWS's default timeout (seconds) and memory (MB).
pub const DEFAULT_TIMEOUT: u32 = 3;
pub const DEFAULT_MEMORY: u32 = 128;

/// Variables Lambda sets itself; a function may not set them (AWS refuses them too).
pub const RESERVED_VARIABLES: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// Request members the emulator records and shows back without acting on them: they
/// change nothing about how a function runs locally.
const RECORDED_ONLY: &[&str] = &["Tags", "Architectures", "EphemeralStorage", "TracingConfig"];

/// A function as stored (the data dir keeps it as JSON next to its code).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FunctionRecord {
    pub name: String,
    pub arn: String,
    pub runtime: String,
    pub role: String,
    pub handler: String,
    pub description: String,
    pub timeout: u32,
    pub memory_size: u32,
    pub variables: BTreeMap<String, String>,
    pub layers: Vec<String>,
    pub code_sha256: String,
    pub code_size: u64,
    pub last_modified: String,
    pub revision_id: String,
    /// Members recorded as given (Tags, Architectures, ...).
    pub recorded: Map<String, Value>,
    /// The resource policy's statements (AddPermission).
    pub statements: Vec<Value>,
    /// Which code and configuration the function's execution environments run: changed by
    /// the updates that make Lambda start new environments, not by permissions or tags.
    #[serde(default)]
    pub environment: String,
}

impl FunctionRecord {
    /// `/aws/lambda/<name>`.
    pub fn log_group(&self) -> String {
        format!("/aws/lambda/{}", self.name)
    }

    /// The `FunctionConfiguration` shape.
    pub fn configuration(&self) -> Value {
        let mut c = json!({
            "FunctionName": self.name,
            "FunctionArn": self.arn,
            "Runtime": self.runtime,
            "Role": self.role,
            "Handler": self.handler,
            "CodeSize": self.code_size,
            "Description": self.description,
            "Timeout": self.timeout,
            "MemorySize": self.memory_size,
            "LastModified": self.last_modified,
            "CodeSha256": self.code_sha256,
            "Version": "$LATEST",
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": self.revision_id,
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "PackageType": "Zip",
            "Architectures": ["x86_64"],
            "EphemeralStorage": {"Size": 512},
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": self.log_group()},
        });
        if !self.variables.is_empty() {
            c["Environment"] = json!({ "Variables": self.variables });
        }
        if !self.layers.is_empty() {
            let layers: Vec<Value> = self
                .layers
                .iter()
                .map(|arn| json!({"Arn": arn, "CodeSize": 0}))
                .collect();
            c["Layers"] = json!(layers);
        }
        for (key, value) in &self.recorded {
            if key != "Tags" {
                c[key] = value.clone();
            }
        }
        c
    }

    /// Tags given at creation.
    pub fn tags(&self) -> Option<&Value> {
        self.recorded.get("Tags")
    }
}

/// The settings CreateFunction and UpdateFunctionConfiguration share (PascalCase JSON).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Settings {
    pub runtime: Option<String>,
    pub role: Option<String>,
    pub handler: Option<String>,
    pub description: Option<String>,
    pub timeout: Option<u32>,
    pub memory_size: Option<u32>,
    pub environment: Option<Environment>,
    pub layers: Option<Vec<String>>,
    pub revision_id: Option<String>,
    /// Everything else the request carried.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `Environment: {Variables: {...}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Environment {
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

/// CreateFunction's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateFunction {
    pub function_name: String,
    pub code: Code,
    pub publish: Option<bool>,
    pub package_type: Option<String>,
    #[serde(flatten)]
    pub settings: Settings,
}

/// `Code`: a base64 `ZipFile` (S3 and images are refused).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Code {
    pub zip_file: Option<String>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

fn invalid(message: impl Into<String>) -> LambdaError {
    LambdaError::InvalidParameterValue(message.into())
}

/// Function names: 1 to 64 of `[A-Za-z0-9_-]`.
pub fn check_name(name: &str) -> LambdaResult<()> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        return Ok(());
    }
    Err(invalid(format!(
        "1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ and have length between 1 and 64"
    )))
}

/// Refuses members the emulator cannot honour; keeps the recorded-only ones.
pub fn recorded_members(other: &Map<String, Value>) -> LambdaResult<Map<String, Value>> {
    let mut kept = Map::new();
    for (key, value) in other {
        if value.is_null() {
            continue;
        }
        if !RECORDED_ONLY.contains(&key.as_str()) {
            return Err(invalid(format!(
                "iot-emulator does not support {key} for Lambda functions"
            )));
        }
        kept.insert(key.clone(), value.clone());
    }
    Ok(kept)
}

/// Checks one set of settings; `creating` requires what CreateFunction requires.
pub fn check_settings(s: &Settings, creating: bool) -> LambdaResult<()> {
    if creating && s.role.is_none() {
        return Err(invalid("The role defined for the function is required."));
    }
    if let Some(role) = &s.role {
        let ok = role.starts_with("arn:") && role.contains(":iam::") && role.contains(":role/");
        if !ok {
            return Err(invalid(format!(
                "1 validation error detected: Value '{role}' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{{12}}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"
            )));
        }
    }
    if creating && s.runtime.is_none() {
        return Err(invalid("Runtime is required for .zip deployment packages."));
    }
    if creating && s.handler.as_deref().is_none_or(str::is_empty) {
        return Err(invalid("Handler is required for .zip deployment packages."));
    }
    if let Some(t) = s.timeout {
        if !(1..=900).contains(&t) {
            return Err(invalid(format!(
                "1 validation error detected: Value '{t}' at 'timeout' failed to satisfy constraint: Member must have value between 1 and 900"
            )));
        }
    }
    if let Some(m) = s.memory_size {
        if !(128..=10240).contains(&m) {
            return Err(invalid(format!(
                "1 validation error detected: Value '{m}' at 'memorySize' failed to satisfy constraint: Member must have value between 128 and 10240"
            )));
        }
    }
    if let Some(env) = &s.environment {
        check_variables(&env.variables)?;
    }
    Ok(())
}

fn check_variables(variables: &BTreeMap<String, String>) -> LambdaResult<()> {
    let reserved: Vec<&str> = variables
        .keys()
        .map(String::as_str)
        .filter(|k| RESERVED_VARIABLES.contains(k))
        .collect();
    if reserved.is_empty() {
        return Ok(());
    }
    Err(invalid(format!(
        "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: {}",
        reserved.join(", ")
    )))
}

/// Applies `s` to `record` (UpdateFunctionConfiguration; also the initial settings).
pub fn apply_settings(record: &mut FunctionRecord, s: &Settings) -> LambdaResult<()> {
    if let Some(v) = &s.runtime {
        record.runtime = v.clone();
    }
    if let Some(v) = &s.role {
        record.role = v.clone();
    }
    if let Some(v) = &s.handler {
        record.handler = v.clone();
    }
    if let Some(v) = &s.description {
        record.description = v.clone();
    }
    if let Some(v) = s.timeout {
        record.timeout = v;
    }
    if let Some(v) = s.memory_size {
        record.memory_size = v;
    }
    if let Some(env) = &s.environment {
        record.variables = env.variables.clone();
    }
    if let Some(layers) = &s.layers {
        record.layers = layers.clone();
    }
    record.recorded.extend(recorded_members(&s.other)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_settings_and_reserved_variables() {
        assert!(check_name("otameshi-hook_1").is_ok());
        assert!(check_name("bad name").is_err());
        assert!(check_name(&"x".repeat(65)).is_err());
        let mut s = Settings {
            role: Some("arn:aws:iam::123456789012:role/r".into()),
            runtime: Some("python3.12".into()),
            handler: Some("app.handler".into()),
            ..Default::default()
        };
        assert!(check_settings(&s, true).is_ok());
        s.timeout = Some(0);
        assert!(check_settings(&s, true).is_err());
        s.timeout = Some(900);
        s.environment = Some(Environment {
            variables: BTreeMap::from([("AWS_REGION".into(), "x".into())]),
        });
        let e = check_settings(&s, true).unwrap_err();
        assert!(e.to_string().contains("AWS_REGION"), "{e}");
        s.environment = None;
        s.role = Some("role".into());
        assert!(check_settings(&s, true).is_err());
    }

    #[test]
    fn unknown_members_are_refused_and_descriptive_ones_recorded() {
        let other = json!({"Tags": {"a": "b"}, "VpcConfig": null});
        let kept = recorded_members(other.as_object().unwrap()).unwrap();
        assert_eq!(kept.len(), 1);
        let vpc = json!({"VpcConfig": {"SubnetIds": ["s"]}});
        let e = recorded_members(vpc.as_object().unwrap()).unwrap_err();
        assert_eq!(e.exception_name(), "InvalidParameterValueException");
    }
}
