//! AWS::IoT provisioning templates, role aliases, CA certificates and certificates.

use serde_json::{json, Value};

use super::{created, flag, opt_text, text, Context, Created, HandlerError, HandlerResult};
use crate::registry::ca::RegistrationConfig;
use crate::registry::ca_ops::{RegisterCa, UpdateCa};
use crate::registry::template::{CreateTemplate, ProvisioningHook, UpdateTemplate, MAX_VERSIONS};

fn hook(p: &Value) -> Option<ProvisioningHook> {
    p.get("PreProvisioningHook").map(|h| ProvisioningHook {
        target_arn: h
            .get("TargetArn")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        payload_version: h
            .get("PayloadVersion")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

pub(super) fn template(p: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    let name = opt_text(p, "TemplateName").unwrap_or_else(|| cx.generated_name(36));
    let hook = hook(p);
    let input = CreateTemplate {
        template_name: Some(name.clone()),
        description: opt_text(p, "Description"),
        template_body: Some(text(p, "TemplateBody")?),
        enabled: flag(p, "Enabled")?,
        provisioning_role_arn: Some(text(p, "ProvisioningRoleArn")?),
        pre_provisioning_hook: hook,
        template_type: opt_text(p, "TemplateType"),
        tags: None,
    };
    cx.registry.create_provisioning_template(input)?;
    let arn = cx.registry.account().template_arn(&name);
    Ok(created(name, &[("TemplateArn", json!(arn))]))
}

/// Updates template `name` where it is: a changed body becomes a new default version
/// (CreateProvisioningTemplateVersion), the rest goes through UpdateProvisioningTemplate
/// (a description, hook or `Enabled` left out of the template is cleared, as an update of
/// the whole resource does).
pub(super) fn update_template(
    name: &str,
    old: &Value,
    new: &Value,
    cx: &Context<'_>,
) -> HandlerResult<()> {
    let r = cx.registry;
    let body = text(new, "TemplateBody")?;
    if old.get("TemplateBody") != new.get("TemplateBody") {
        make_room_for_version(name, cx)?;
        r.create_provisioning_template_version(name, Some(body), true)?;
    }
    let hook = hook(new);
    let update = UpdateTemplate {
        description: opt_text(new, "Description")
            .or_else(|| old.get("Description").map(|_| String::new())),
        enabled: Some(flag(new, "Enabled")?.unwrap_or(false)),
        default_version_id: None,
        provisioning_role_arn: Some(text(new, "ProvisioningRoleArn")?),
        remove_pre_provisioning_hook: Some(
            hook.is_none() && old.get("PreProvisioningHook").is_some(),
        ),
        pre_provisioning_hook: hook,
    };
    r.update_provisioning_template(name, update)?;
    Ok(())
}

/// At AWS's limit of versions, the oldest version that is not the default goes, so that
/// a stack can update a template's body any number of times. AWS does not document what
/// its handler does here: this is the emulator's choice (README, CloudFormation).
fn make_room_for_version(name: &str, cx: &Context<'_>) -> HandlerResult<()> {
    let t = cx.registry.describe_provisioning_template(name)?;
    if t.versions.len() < MAX_VERSIONS {
        return Ok(());
    }
    let oldest = t.versions.keys().find(|id| **id != t.default_version_id);
    if let Some(id) = oldest {
        cx.registry
            .delete_provisioning_template_version(name, *id)?;
    }
    Ok(())
}

pub(super) fn role_alias(p: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    let alias = opt_text(p, "RoleAlias").unwrap_or_else(|| cx.generated_name(128));
    let duration = p
        .get("CredentialDurationSeconds")
        .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
    cx.registry.create_role_alias(
        &alias,
        Some(text(p, "RoleArn")?),
        duration.map(|d| d as u32),
    )?;
    let arn = cx.registry.account().role_alias_arn(&alias);
    Ok(created(alias, &[("RoleAliasArn", json!(arn))]))
}

fn registration_config(p: &Value) -> Option<RegistrationConfig> {
    let c = p.get("RegistrationConfig")?;
    let field = |k: &str| c.get(k).and_then(Value::as_str).map(str::to_string);
    Some(RegistrationConfig {
        template_body: field("TemplateBody"),
        role_arn: field("RoleArn"),
        template_name: field("TemplateName"),
    })
}

pub(super) fn ca_certificate(p: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    let status = text(p, "Status")?;
    let input = RegisterCa {
        ca_certificate: text(p, "CACertificatePem")?,
        verification_certificate: opt_text(p, "VerificationCertificatePem"),
        registration_config: registration_config(p),
        tags: Default::default(),
        certificate_mode: opt_text(p, "CertificateMode"),
        set_as_active: status == "ACTIVE",
        allow_auto_registration: opt_text(p, "AutoRegistrationStatus").as_deref() == Some("ENABLE"),
    };
    let ca = cx.registry.register_ca_certificate(input)?;
    let id = ca.certificate_id;
    let arn = cx.registry.account().cacert_arn(&id);
    Ok(created(
        id.clone(),
        &[("Arn", json!(arn)), ("Id", json!(id))],
    ))
}

pub(super) fn delete_ca(id: &str, cx: &Context<'_>) -> crate::registry::IotResult<()> {
    let inactive = UpdateCa {
        new_status: Some("INACTIVE".into()),
        ..Default::default()
    };
    cx.registry.update_ca_certificate(id, inactive)?;
    cx.registry.delete_ca_certificate(id)
}

pub(super) fn certificate(p: &Value, cx: &Context<'_>) -> HandlerResult<Created> {
    let status = text(p, "Status")?;
    let cert = match (
        opt_text(p, "CertificateSigningRequest"),
        opt_text(p, "CertificatePem"),
    ) {
        (Some(csr_pem), _) => {
            let csr =
                crate::pki::csr::parse_csr(&csr_pem).map_err(|e| HandlerError(e.to_string()))?;
            let issued = cx
                .pki
                .sign(csr.subject, &csr.spki_der, crate::pki::ca::aws_not_after())
                .map_err(|e| HandlerError(e.to_string()))?;
            let cert = cx.registry.create_certificate_from_csr(&issued, false)?;
            cx.registry
                .update_certificate(&cert.certificate_id, &status)?;
            cert
        }
        (None, Some(pem)) => {
            let ca = opt_text(p, "CACertificatePem");
            cx.registry
                .register_certificate(&pem, ca.as_deref(), Some(&status), None)?
        }
        (None, None) => {
            return Err(HandlerError(
                "Either CertificateSigningRequest or CertificatePem is required".into(),
            ))
        }
    };
    let id = cert.certificate_id;
    let arn = cx.registry.account().cert_arn(&id);
    Ok(created(
        id.clone(),
        &[("Arn", json!(arn)), ("Id", json!(id))],
    ))
}

pub(super) fn delete_certificate(id: &str, cx: &Context<'_>) -> crate::registry::IotResult<()> {
    cx.registry.update_certificate(id, "INACTIVE")?;
    cx.registry.delete_certificate(id, true)
}
