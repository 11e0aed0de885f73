//! AWS::Lambda::Function and Permission (through the local Lambda runtime),
//! AWS::IoT::TopicRule (through the rules engine's checks) and AWS::Logs::LogGroup
//! (through the Logs engine).

use std::io::Write;

use base64::Engine;
use serde_json::{json, Map, Value};

use super::iot::camel_keys;
use super::{created, opt_text, text, Context, Created, HandlerError, HandlerResult};
use crate::lambda::code::{fetch_from, inline_s3_location};
use crate::lambda::function::{CreateFunction, Settings, DEFAULT_MEMORY, DEFAULT_TIMEOUT};
use crate::lambda::permissions::AddPermission;

fn lambda_error(e: crate::lambda::LambdaError) -> HandlerError {
    HandlerError(format!(
        "Resource handler returned message: \"{e}\" (HandlerErrorCode: InvalidRequest)"
    ))
}

/// `Code.ZipFile` in a template is the handler's source text: CloudFormation writes it
/// to `index.py` (`index.js` for Node.js) and zips it.
fn inline_source(source: &str, runtime: &str) -> HandlerResult<String> {
    let file = if runtime.starts_with("nodejs") {
        "index.js"
    } else {
        "index.py"
    };
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let written = zip
        .start_file(file, options)
        .and_then(|()| zip.write_all(source.as_bytes()).map_err(Into::into))
        .and_then(|()| zip.finish());
    let bytes = written
        .map_err(|e| HandlerError(format!("zipping inline code: {e}")))?
        .into_inner();
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The `Code` property as Lambda takes it: inline source zipped, an S3 location read
/// from the S3 stand-in, both as a base64 `ZipFile`.
fn code(p: &Value, cx: &Context<'_>) -> HandlerResult<Map<String, Value>> {
    let runtime = opt_text(p, "Runtime").unwrap_or_default();
    let mut code = p
        .get("Code")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(source) = code.get("ZipFile").and_then(Value::as_str) {
        let zipped = inline_source(source, &runtime)?;
        code.insert("ZipFile".into(), json!(zipped));
    }
    inline_s3_location(&mut code, &fetch_from(cx.s3)).map_err(lambda_error)?;
    Ok(code)
}

/// CloudFormation's `Tags` list (`[{Key, Value}]`) as Lambda's map.
fn tag_map(p: &Value) -> Option<Map<String, Value>> {
    let Some(Value::Array(tags)) = p.get("Tags") else {
        return None;
    };
    let map = tags
        .iter()
        .filter_map(|t| Some((t.get("Key")?.as_str()?.to_string(), t.get("Value")?.clone())))
        .collect();
    Some(map)
}

pub(super) fn function(p: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    let name = opt_text(p, "FunctionName").unwrap_or_else(|| cx.generated_name(64));
    let mut body = p.as_object().cloned().unwrap_or_default();
    body.insert("FunctionName".into(), json!(name));
    body.insert("Code".into(), Value::Object(code(p, cx)?));
    if let Some(map) = tag_map(p) {
        body.insert("Tags".into(), Value::Object(map));
    }
    let input: CreateFunction = serde_json::from_value(Value::Object(body)).map_err(|e| {
        HandlerError(format!(
            "Properties validation failed for resource with message: {e}"
        ))
    })?;
    let made = cx.lambda.create_function(input).map_err(lambda_error)?;
    let arn = made.get("FunctionArn").cloned().unwrap_or(Value::Null);
    Ok(created(name, &[("Arn", arn)]))
}

/// Updates function `name` where it is, as CloudFormation's handler does: the code
/// through UpdateFunctionCode when `Code` changed, every setting through
/// UpdateFunctionConfiguration (a setting no longer in the template goes back to
/// Lambda's default), the tags through UntagResource and TagResource. Its ARN.
pub(super) fn update_function(
    name: &str,
    old: &Value,
    new: &Value,
    cx: &Context<'_>,
) -> HandlerResult<Value> {
    if old.get("Code") != new.get("Code") {
        let code = Value::Object(code(new, cx)?);
        cx.lambda
            .update_function_code(name, &code)
            .map_err(lambda_error)?;
    }
    let made = cx
        .lambda
        .update_function_configuration(name, settings(new)?)
        .map_err(lambda_error)?;
    let arn = made.get("FunctionArn").cloned().unwrap_or(Value::Null);
    if old.get("Tags") != new.get("Tags") {
        let arn_text = arn.as_str().unwrap_or(name);
        let keys: Vec<String> = tag_map(old).unwrap_or_default().keys().cloned().collect();
        let tags = Value::Object(tag_map(new).unwrap_or_default());
        let tagged = cx
            .lambda
            .untag_resource(arn_text, &keys)
            .and_then(|()| cx.lambda.tag_resource(arn_text, &json!({ "Tags": tags })));
        tagged.map_err(lambda_error)?;
    }
    Ok(arn)
}

/// UpdateFunctionConfiguration's settings for properties `p`: every one given, the
/// defaults for those left out.
fn settings(p: &Value) -> HandlerResult<Settings> {
    let mut body = p.as_object().cloned().unwrap_or_default();
    for key in ["FunctionName", "Code", "Tags", "PackageType"] {
        body.remove(key);
    }
    let mut s: Settings = serde_json::from_value(Value::Object(body)).map_err(|e| {
        HandlerError(format!(
            "Properties validation failed for resource with message: {e}"
        ))
    })?;
    s.description.get_or_insert_with(String::new);
    s.timeout.get_or_insert(DEFAULT_TIMEOUT);
    s.memory_size.get_or_insert(DEFAULT_MEMORY);
    s.environment.get_or_insert_with(Default::default);
    s.layers.get_or_insert_with(Vec::new);
    Ok(s)
}

pub(super) fn delete_function(name: &str, cx: &Context<'_>) -> HandlerResult<()> {
    match cx.lambda.delete_function(name, None) {
        Ok(()) | Err(crate::lambda::LambdaError::ResourceNotFound(_)) => Ok(()),
        Err(e) => Err(lambda_error(e)),
    }
}

/// The function name of a name, a partial ARN or a full ARN.
fn function_name(given: &str) -> String {
    match given.split_once(":function:") {
        Some((_, rest)) => rest.split(':').next().unwrap_or(rest).to_string(),
        None => given.to_string(),
    }
}

pub(super) fn permission(p: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    let function = function_name(&text(p, "FunctionName")?);
    let sid = cx.generated_name(100);
    let input = AddPermission {
        statement_id: sid.clone(),
        action: text(p, "Action")?,
        principal: text(p, "Principal")?,
        source_arn: opt_text(p, "SourceArn"),
        source_account: opt_text(p, "SourceAccount"),
        principal_org_id: opt_text(p, "PrincipalOrgID"),
        revision_id: None,
        other: Map::new(),
    };
    cx.lambda
        .add_permission(&function, None, input)
        .map_err(lambda_error)?;
    Ok(created(sid, &[]))
}

pub(super) fn delete_permission(sid: &str, p: &Value, cx: &Context<'_>) -> HandlerResult<()> {
    let function = function_name(&text(p, "FunctionName")?);
    match cx.lambda.remove_permission(&function, sid, None, None) {
        Ok(()) | Err(crate::lambda::LambdaError::ResourceNotFound(_)) => Ok(()),
        Err(e) => Err(lambda_error(e)),
    }
}

pub(super) fn topic_rule(p: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    let name = opt_text(p, "RuleName").unwrap_or_else(|| cx.generated_name(128).replace('-', "_"));
    let payload = p.get("TopicRulePayload").ok_or_else(|| {
        HandlerError("Properties validation failed for resource with message: #: required key [TopicRulePayload] not found".into())
    })?;
    let payload = serde_json::from_value(camel_keys(payload)).map_err(|e| {
        HandlerError(format!(
            "Properties validation failed for resource with message: {e}"
        ))
    })?;
    let made = crate::rules::create(cx.registry, &name, payload, Vec::new())?;
    let api_url = cx.lambda.api_url().unwrap_or_default();
    crate::rules::confirmation::send(cx.registry, made, &api_url);
    let arn = cx.registry.account().rule_arn(&name);
    Ok(created(name, &[("Arn", json!(arn))]))
}

pub(super) fn log_group(p: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    let name = opt_text(p, "LogGroupName").unwrap_or_else(|| cx.generated_name(512));
    cx.logs.create_log_group(&name).map_err(|e| {
        HandlerError(format!(
            "Resource handler returned message: \"{e}\" (HandlerErrorCode: AlreadyExists)"
        ))
    })?;
    let account = cx.registry.account();
    let arn = format!(
        "arn:{}:logs:{}:{}:log-group:{name}:*",
        account.partition(),
        account.region,
        account.account_id
    );
    Ok(created(name, &[("Arn", json!(arn))]))
}

pub(super) fn delete_log_group(name: &str, cx: &Context<'_>) -> HandlerResult<()> {
    match cx.logs.delete_log_group(name) {
        Ok(()) | Err(crate::logs::LogsError::ResourceNotFound(_)) => Ok(()),
        Err(e) => Err(HandlerError(e.to_string())),
    }
}
