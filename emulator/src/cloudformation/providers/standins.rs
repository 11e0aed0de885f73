//! Recorded stand-ins for the service the emulator does not run: IAM roles and policies.
//! They hold AWS-shaped names and ARNs so that `Ref` and `Fn::GetAtt` give what AWS
//! gives; nothing enforces them.

use serde_json::{json, Value};

use super::{created, opt_text, Context, Created, HandlerResult};

pub(super) fn role(p: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    let name = opt_text(p, "RoleName").unwrap_or_else(|| cx.generated_name(64));
    let path = opt_text(p, "Path").unwrap_or_else(|| "/".to_string());
    let account = cx.registry.account();
    let arn = format!(
        "arn:{}:iam::{}:role{path}{name}",
        account.partition(),
        account.account_id
    );
    let role_id = format!(
        "AROA{}",
        cx.registry
            .entropy()
            .lower_alnum("cfn-role-id", 17)
            .to_uppercase()
    );
    Ok(created(
        name,
        &[("Arn", json!(arn)), ("RoleId", json!(role_id))],
    ))
}

pub(super) fn iam_policy(kind: &str, p: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    let key = if kind == "AWS::IAM::Policy" {
        "PolicyName"
    } else {
        "ManagedPolicyName"
    };
    let name = opt_text(p, key).unwrap_or_else(|| cx.generated_name(128));
    let account = cx.registry.account();
    let arn = format!(
        "arn:{}:iam::{}:policy/{name}",
        account.partition(),
        account.account_id
    );
    // A managed policy's Ref is its ARN; an inline policy's is its name.
    let physical = if kind == "AWS::IAM::ManagedPolicy" {
        arn.clone()
    } else {
        name.clone()
    };
    Ok(created(
        physical,
        &[("PolicyArn", json!(arn)), ("PolicyId", json!(name))],
    ))
}
