//! The `AWS::Serverless-2016-10-31` transform, for what the users' templates use:
//! `AWS::Serverless::Function` becomes an `AWS::Lambda::Function` plus, unless it names a
//! `Role`, an `AWS::IAM::Role` `<Function>Role` trusting lambda.amazonaws.com with
//! AWSLambdaBasicExecutionRole and one inline policy per `Policies` statement item, as
//! SAM expands it. `Globals.Function` applies to every function; `IoTRule` events become
//! a topic rule and a permission. Other SAM types and features are refused by name.

use serde_json::{json, Map, Value};

use super::error::{CfnError, CfnResult};

pub const TRANSFORM: &str = "AWS::Serverless-2016-10-31";

/// Properties that pass through to `AWS::Lambda::Function` unchanged.
const PASS_THROUGH: &[&str] = &[
    "FunctionName",
    "Handler",
    "Runtime",
    "Description",
    "MemorySize",
    "Timeout",
    "Environment",
    "Architectures",
    "Layers",
    "Role",
    "Tags",
    "EphemeralStorage",
    "TracingConfig",
    "ReservedConcurrentExecutions",
    "KmsKeyArn",
    "VpcConfig",
    "DeadLetterQueue",
    "PackageType",
    "ImageConfig",
    "LoggingConfig",
    "RuntimeManagementConfig",
    "FileSystemConfigs",
];

/// SAM function properties the emulator does not expand.
const REFUSED: &[&str] = &[
    "AutoPublishAlias",
    "DeploymentPreference",
    "ProvisionedConcurrencyConfig",
    "FunctionUrlConfig",
    "EventInvokeConfig",
    "SnapStart",
    "AutoPublishCodeSha256",
    "VersionDescription",
];

fn refuse(what: String) -> CfnError {
    CfnError::NotImplemented(format!(
        "Transform {TRANSFORM} failed: {what} is not supported by iot-emulator"
    ))
}

/// Expands every Serverless resource in `body` (the whole template).
pub fn expand(mut body: Value) -> CfnResult<Value> {
    let globals = body.as_object_mut().and_then(|top| top.remove("Globals"));
    let function_globals = match &globals {
        Some(Value::Object(g)) => {
            if let Some(other) = g.keys().find(|k| *k != "Function") {
                return Err(refuse(format!("Globals.{other}")));
            }
            g.get("Function")
                .cloned()
                .unwrap_or(Value::Object(Map::new()))
        }
        _ => Value::Object(Map::new()),
    };
    let Some(Value::Object(resources)) = body.get("Resources").cloned() else {
        return Ok(body);
    };
    let mut out = Map::new();
    for (id, decl) in resources {
        match decl.get("Type").and_then(Value::as_str) {
            Some("AWS::Serverless::Function") => {
                for (new_id, new_decl) in function(&id, &decl, &function_globals)? {
                    out.insert(new_id, new_decl);
                }
            }
            Some(kind) if kind.starts_with("AWS::Serverless::") => {
                return Err(refuse(kind.to_string()))
            }
            _ => {
                out.insert(id, decl);
            }
        }
    }
    body["Resources"] = Value::Object(out);
    Ok(body)
}

fn function(id: &str, decl: &Value, globals: &Value) -> CfnResult<Vec<(String, Value)>> {
    let mut props = globals.as_object().cloned().unwrap_or_default();
    if let Some(Value::Object(own)) = decl.get("Properties") {
        for (k, v) in own {
            props.insert(k.clone(), v.clone());
        }
    }
    if let Some(refused) = REFUSED.iter().find(|k| props.contains_key(**k)) {
        return Err(refuse(format!("{id}.{refused}")));
    }
    let mut lambda = Map::new();
    lambda.insert("Code".into(), code(id, &props)?);
    for key in PASS_THROUGH {
        if let Some(v) = props.get(*key) {
            lambda.insert(key.to_string(), v.clone());
        }
    }
    let mut tags = vec![json!({"Key": "lambda:createdBy", "Value": "SAM"})];
    if let Some(Value::Object(user)) = props.get("Tags") {
        tags.extend(user.iter().map(|(k, v)| json!({"Key": k, "Value": v})));
    }
    lambda.insert("Tags".into(), Value::Array(tags));
    let mut made = Vec::new();
    if !props.contains_key("Role") {
        let role_id = format!("{id}Role");
        lambda.insert("Role".into(), json!({"Fn::GetAtt": [role_id, "Arn"]}));
        made.push((role_id, role(id, props.get("Policies"))?));
    }
    let mut function_decl = Map::new();
    function_decl.insert("Type".into(), "AWS::Lambda::Function".into());
    function_decl.insert("Properties".into(), Value::Object(lambda));
    for key in [
        "DependsOn",
        "Condition",
        "DeletionPolicy",
        "UpdateReplacePolicy",
        "Metadata",
    ] {
        if let Some(v) = decl.get(key) {
            function_decl.insert(key.into(), v.clone());
        }
    }
    made.insert(0, (id.to_string(), Value::Object(function_decl)));
    made.extend(events(id, props.get("Events"))?);
    Ok(made)
}

/// `CodeUri` (`s3://bucket/key` after `package`, or `{Bucket, Key, Version}`) or `InlineCode`.
fn code(id: &str, props: &Map<String, Value>) -> CfnResult<Value> {
    if let Some(inline) = props.get("InlineCode") {
        return Ok(json!({"ZipFile": inline}));
    }
    match props.get("CodeUri") {
        Some(Value::String(uri)) => {
            let (bucket, key) = uri
                .strip_prefix("s3://")
                .and_then(|rest| rest.split_once('/'))
                .ok_or_else(|| {
                    refuse(format!(
                        "{id}.CodeUri '{uri}' (run `aws cloudformation package` first)"
                    ))
                })?;
            Ok(json!({"S3Bucket": bucket, "S3Key": key}))
        }
        Some(Value::Object(loc)) => {
            let mut code = Map::new();
            code.insert(
                "S3Bucket".into(),
                loc.get("Bucket").cloned().unwrap_or(Value::Null),
            );
            code.insert(
                "S3Key".into(),
                loc.get("Key").cloned().unwrap_or(Value::Null),
            );
            if let Some(version) = loc.get("Version") {
                code.insert("S3ObjectVersion".into(), version.clone());
            }
            Ok(Value::Object(code))
        }
        _ => Err(refuse(format!("{id} without CodeUri or InlineCode"))),
    }
}

fn role(id: &str, policies: Option<&Value>) -> CfnResult<Value> {
    let mut managed = vec![
        json!({"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}),
    ];
    let mut inline = Vec::new();
    let items = match policies {
        None => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(one) => vec![one.clone()],
    };
    for item in items {
        match &item {
            Value::String(name) if name.starts_with("arn:") => managed.push(item.clone()),
            Value::String(name) => managed.push(
                json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:iam::aws:policy/{name}")}),
            ),
            Value::Object(doc) if doc.contains_key("Statement") => {
                let name = format!("{id}RolePolicy{}", inline.len());
                inline.push(json!({"PolicyName": name, "PolicyDocument": item}));
            }
            Value::Object(doc)
                if doc.len() == 1 && doc.keys().all(|k| k.starts_with("Fn::") || k == "Ref") =>
            {
                managed.push(item.clone());
            }
            Value::Object(doc) => {
                let template = doc.keys().next().cloned().unwrap_or_default();
                return Err(refuse(format!(
                    "the SAM policy template {template} in {id}.Policies"
                )));
            }
            other => return Err(refuse(format!("{id}.Policies item {other}"))),
        }
    }
    let mut properties = json!({
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}}],
        },
        "ManagedPolicyArns": managed,
        "Tags": [{"Key": "lambda:createdBy", "Value": "SAM"}],
    });
    if !inline.is_empty() {
        properties["Policies"] = Value::Array(inline);
    }
    Ok(json!({"Type": "AWS::IAM::Role", "Properties": properties}))
}

/// `Events` of type `IoTRule`: a topic rule `<Function><Event>` invoking the function, and
/// the permission for iot.amazonaws.com, as SAM makes them.
fn events(id: &str, events: Option<&Value>) -> CfnResult<Vec<(String, Value)>> {
    let Some(Value::Object(events)) = events else {
        return Ok(Vec::new());
    };
    let mut made = Vec::new();
    for (name, event) in events {
        let kind = event.get("Type").and_then(Value::as_str).unwrap_or("");
        if kind != "IoTRule" {
            return Err(refuse(format!(
                "the {kind} event source ({id}.Events.{name})"
            )));
        }
        let props = event.get("Properties").cloned().unwrap_or(json!({}));
        let mut payload = json!({
            "Sql": props.get("Sql").cloned().unwrap_or(Value::Null),
            "RuleDisabled": false,
            "Actions": [{"Lambda": {"FunctionArn": {"Fn::GetAtt": [id, "Arn"]}}}],
        });
        if let Some(version) = props.get("AwsIotSqlVersion") {
            payload["AwsIotSqlVersion"] = version.clone();
        }
        let rule_id = format!("{id}{name}");
        made.push((
            rule_id.clone(),
            json!({"Type": "AWS::IoT::TopicRule", "Properties": {"TopicRulePayload": payload}}),
        ));
        made.push((
            format!("{rule_id}Permission"),
            json!({"Type": "AWS::Lambda::Permission", "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": id},
                "Principal": "iot.amazonaws.com",
                "SourceAccount": {"Ref": "AWS::AccountId"},
                "SourceArn": {"Fn::Sub": format!("arn:${{AWS::Partition}}:iot:${{AWS::Region}}:${{AWS::AccountId}}:rule/${{{rule_id}}}")},
            }}),
        ));
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_expands_to_lambda_and_role() {
        let body = json!({
            "Transform": TRANSFORM,
            "Globals": {"Function": {"Timeout": 10}},
            "Resources": {"Hook": {"Type": "AWS::Serverless::Function", "Properties": {
                "CodeUri": "s3://artifacts/0123abcd", "Handler": "app.handler", "Runtime": "python3.12",
                "Environment": {"Variables": {"A": "b"}},
                "Policies": [{"Statement": [{"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]}, "AWSIoTFullAccess"],
            }}},
        });
        let out = expand(body).unwrap();
        let r = &out["Resources"];
        assert_eq!(r["Hook"]["Type"], "AWS::Lambda::Function");
        let p = &r["Hook"]["Properties"];
        assert_eq!(
            p["Code"],
            json!({"S3Bucket": "artifacts", "S3Key": "0123abcd"})
        );
        assert_eq!(p["Timeout"], 10);
        assert_eq!(p["Role"], json!({"Fn::GetAtt": ["HookRole", "Arn"]}));
        let role = &r["HookRole"]["Properties"];
        assert_eq!(role["Policies"][0]["PolicyName"], "HookRolePolicy0");
        assert_eq!(role["ManagedPolicyArns"].as_array().unwrap().len(), 2);
        assert!(out.get("Globals").is_none());
    }

    #[test]
    fn what_sam_cannot_expand_here_is_refused_by_name() {
        let api = json!({"Resources": {"A": {"Type": "AWS::Serverless::Api", "Properties": {}}}});
        assert!(expand(api)
            .unwrap_err()
            .to_string()
            .contains("AWS::Serverless::Api"));
        let local = json!({"Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "src/"}}}});
        assert!(expand(local).unwrap_err().to_string().contains("package"));
    }
}
