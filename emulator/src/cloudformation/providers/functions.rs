//! AWS::Lambda::Function and Permission (through the local Lambda runtime),
//! AWS::IoT::TopicRule (through the rules engine's checks) and AWS::Logs::LogGroup
//! (through the Logs engine).

use std::io::Write;

use base64::Engine;
use serde_json::{json, Map, Value};

use super::iot::camel_keys;
use super::{created, opt_text, text, Context, Created, HandlerError, HandlerResult};
use crate::lambda::code::{fetch_from, inline_s3_location};
use crate::lambda::function::CreateFunction;
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

pub(super) fn function(p: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    let name = opt_text(p, "FunctionName").unwrap_or_else(|| cx.generated_name(64));
    let mut body = p.as_object().cloned().unwrap_or_default();
    body.insert("FunctionName".into(), json!(name));
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
    body.insert("Code".into(), Value::Object(code));
    if let Some(Value::Array(tags)) = body.get("Tags") {
        let map: Map<String, Value> = tags
            .iter()
            .filter_map(|t| Some((t.get("Key")?.as_str()?.to_string(), t.get("Value")?.clone())))
            .collect();
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
