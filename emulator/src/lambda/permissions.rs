//! A function's resource-based policy: AddPermission, RemovePermission, GetPolicy. The
//! statements are recorded and shown as AWS shows them; the emulator does not evaluate
//! them (there is no IAM here, every caller may invoke).

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::control::check_revision;
use super::error::{LambdaError, LambdaResult};
use super::Lambda;

/// AddPermission's body.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddPermission {
    pub statement_id: String,
    pub action: String,
    pub principal: String,
    pub source_arn: Option<String>,
    pub source_account: Option<String>,
    pub principal_org_id: Option<String>,
    pub revision_id: Option<String>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

fn statement(p: &AddPermission, resource: &str) -> Value {
    let principal = if p.principal.ends_with(".amazonaws.com") {
        json!({ "Service": p.principal })
    } else if p.principal == "*" {
        json!("*")
    } else {
        json!({ "AWS": p.principal })
    };
    let mut conditions = Map::new();
    if let Some(arn) = &p.source_arn {
        conditions.insert("ArnLike".into(), json!({ "AWS:SourceArn": arn }));
    }
    let mut equals = Map::new();
    if let Some(account) = &p.source_account {
        equals.insert("AWS:SourceAccount".into(), json!(account));
    }
    if let Some(org) = &p.principal_org_id {
        equals.insert("aws:PrincipalOrgID".into(), json!(org));
    }
    if !equals.is_empty() {
        conditions.insert("StringEquals".into(), Value::Object(equals));
    }
    let mut s = json!({
        "Sid": p.statement_id,
        "Effect": "Allow",
        "Principal": principal,
        "Action": p.action,
        "Resource": resource,
    });
    if !conditions.is_empty() {
        s["Condition"] = Value::Object(conditions);
    }
    s
}

fn check_statement_id(sid: &str) -> LambdaResult<()> {
    let ok = (1..=100).contains(&sid.len())
        && sid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        return Ok(());
    }
    Err(LambdaError::InvalidParameterValue(format!(
        "1 validation error detected: Value '{sid}' at 'statementId' failed to satisfy constraint: Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)"
    )))
}

impl Lambda {
    /// AddPermission: `{"Statement": "<the statement as JSON text>"}`.
    pub fn add_permission(
        &self,
        name: &str,
        qualifier: Option<&str>,
        input: AddPermission,
    ) -> LambdaResult<Value> {
        check_statement_id(&input.statement_id)?;
        if let Some((key, _)) = input.other.iter().find(|(_, v)| !v.is_null()) {
            return Err(LambdaError::InvalidParameterValue(format!(
                "iot-emulator does not support {key} in AddPermission"
            )));
        }
        if !input.action.starts_with("lambda:") {
            return Err(LambdaError::InvalidParameterValue(format!(
                "Action {} is not a Lambda action",
                input.action
            )));
        }
        let mut record = self.record(name, qualifier)?;
        check_revision(&record, input.revision_id.as_deref())?;
        if record
            .statements
            .iter()
            .any(|s| s["Sid"] == json!(input.statement_id))
        {
            return Err(LambdaError::ResourceConflict(format!(
                "The statement id ({}) provided already exists. Please provide a new statement id, or remove the existing statement.",
                input.statement_id
            )));
        }
        let s = statement(&input, &record.arn);
        record.statements.push(s.clone());
        self.commit_metadata(record)?;
        Ok(json!({ "Statement": s.to_string() }))
    }

    /// RemovePermission.
    pub fn remove_permission(
        &self,
        name: &str,
        sid: &str,
        qualifier: Option<&str>,
        revision: Option<&str>,
    ) -> LambdaResult<()> {
        let mut record = self.record(name, qualifier)?;
        check_revision(&record, revision)?;
        let before = record.statements.len();
        record.statements.retain(|s| s["Sid"] != json!(sid));
        if record.statements.len() == before {
            return Err(LambdaError::ResourceNotFound(format!(
                "Statement {sid} is not found in resource policy."
            )));
        }
        self.commit_metadata(record)?;
        Ok(())
    }

    /// GetPolicy: the policy document as JSON text, and the revision.
    pub fn get_policy(&self, name: &str, qualifier: Option<&str>) -> LambdaResult<Value> {
        let record = self.record(name, qualifier)?;
        if record.statements.is_empty() {
            return Err(LambdaError::ResourceNotFound(
                "The resource you requested does not exist.".into(),
            ));
        }
        let policy = json!({
            "Version": "2012-10-17",
            "Id": "default",
            "Statement": record.statements,
        });
        Ok(json!({ "Policy": policy.to_string(), "RevisionId": record.revision_id }))
    }
}
