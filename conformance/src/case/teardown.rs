//! Deleting what a case created, in the order AWS insists on: detach, deactivate,
//! delete.

use aws_sdk_iot::types::{AutoRegistrationStatus, CaCertificateStatus, CertificateStatus};
use aws_sdk_iot::Client;

use super::Created;

type Outcome = Result<(), String>;

fn text<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

pub(super) async fn remove(
    iot: &Client,
    lambda: &aws_sdk_lambda::Client,
    item: &Created,
) -> Outcome {
    match item {
        Created::Policy(name) => policy(iot, name).await,
        Created::Template(name) => iot
            .delete_provisioning_template()
            .template_name(name)
            .send()
            .await
            .map(drop)
            .map_err(text),
        Created::Thing(name) => thing(iot, name).await,
        Created::Certificate(id) => certificate(iot, id).await,
        Created::CaCertificate(id) => ca_certificate(iot, id).await,
        Created::ThingGroup(name) => iot
            .delete_thing_group()
            .thing_group_name(name)
            .send()
            .await
            .map(drop)
            .map_err(text),
        Created::Function(name) => lambda
            .delete_function()
            .function_name(name)
            .send()
            .await
            .map(drop)
            .map_err(text),
        Created::TopicRule(name) => iot
            .delete_topic_rule()
            .rule_name(name)
            .send()
            .await
            .map(drop)
            .map_err(text),
        Created::RoleAlias(name) => iot
            .delete_role_alias()
            .role_alias(name)
            .send()
            .await
            .map(drop)
            .map_err(text),
    }
}

/// As S2's teardown: auto-registration off and removed, INACTIVE, then deleted.
async fn ca_certificate(iot: &Client, id: &str) -> Outcome {
    iot.update_ca_certificate()
        .certificate_id(id)
        .new_status(CaCertificateStatus::Inactive)
        .new_auto_registration_status(AutoRegistrationStatus::Disable)
        .remove_auto_registration(true)
        .send()
        .await
        .map_err(text)?;
    iot.delete_ca_certificate()
        .certificate_id(id)
        .send()
        .await
        .map(drop)
        .map_err(text)
}

async fn policy(iot: &Client, name: &str) -> Outcome {
    let targets = iot
        .list_targets_for_policy()
        .policy_name(name)
        .send()
        .await
        .map_err(text)?;
    for target in targets.targets() {
        iot.detach_policy()
            .policy_name(name)
            .target(target)
            .send()
            .await
            .map_err(text)?;
    }
    iot.delete_policy()
        .policy_name(name)
        .send()
        .await
        .map(drop)
        .map_err(text)
}

async fn thing(iot: &Client, name: &str) -> Outcome {
    let principals = iot
        .list_thing_principals()
        .thing_name(name)
        .send()
        .await
        .map_err(text)?;
    for principal in principals.principals() {
        iot.detach_thing_principal()
            .thing_name(name)
            .principal(principal)
            .send()
            .await
            .map_err(text)?;
    }
    iot.delete_thing()
        .thing_name(name)
        .send()
        .await
        .map(drop)
        .map_err(text)
}

async fn certificate(iot: &Client, id: &str) -> Outcome {
    let described = iot
        .describe_certificate()
        .certificate_id(id)
        .send()
        .await
        .map_err(text)?;
    let arn = described
        .certificate_description()
        .and_then(|d| d.certificate_arn())
        .ok_or("no certificateArn")?
        .to_string();
    let things = iot
        .list_principal_things()
        .principal(&arn)
        .send()
        .await
        .map_err(text)?;
    for thing in things.things() {
        iot.detach_thing_principal()
            .thing_name(thing)
            .principal(&arn)
            .send()
            .await
            .map_err(text)?;
    }
    let policies = iot
        .list_attached_policies()
        .target(&arn)
        .send()
        .await
        .map_err(text)?;
    for p in policies.policies() {
        let name = p.policy_name().unwrap_or_default();
        iot.detach_policy()
            .policy_name(name)
            .target(&arn)
            .send()
            .await
            .map_err(text)?;
    }
    iot.update_certificate()
        .certificate_id(id)
        .new_status(CertificateStatus::Inactive)
        .send()
        .await
        .map_err(text)?;
    iot.delete_certificate()
        .certificate_id(id)
        .send()
        .await
        .map(drop)
        .map_err(text)
}
