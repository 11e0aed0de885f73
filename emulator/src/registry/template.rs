//! Provisioning templates (fleet and JITP): records, versions and their operations.

pub mod check;
mod versions;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{validate, ErrorKind, Inner, IotError, IotResult, Registry};

/// AWS keeps at most this many versions of a template (commonly cited; dataplane §1.10).
pub const MAX_VERSIONS: usize = 5;

/// `preProvisioningHook`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisioningHook {
    pub target_arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload_version: Option<String>,
}

/// One version of a template body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TemplateVersion {
    pub template_body: String,
    pub creation_date_ms: i64,
}

/// A provisioning template, keyed by name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProvisioningTemplate {
    pub template_name: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub provisioning_role_arn: String,
    pub pre_provisioning_hook: Option<ProvisioningHook>,
    /// `FLEET_PROVISIONING` or `JITP`.
    pub template_type: String,
    pub versions: BTreeMap<u32, TemplateVersion>,
    pub default_version_id: u32,
    pub next_version_id: u32,
    pub creation_date_ms: i64,
    pub last_modified_date_ms: i64,
}

impl ProvisioningTemplate {
    /// The body of the default version, the one RegisterThing evaluates.
    pub fn default_body(&self) -> &str {
        self.versions
            .get(&self.default_version_id)
            .map(|v| v.template_body.as_str())
            .unwrap_or_default()
    }
}

/// CreateProvisioningTemplate's input (JSON body members; the front end stores `tags`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTemplate {
    pub template_name: Option<String>,
    pub description: Option<String>,
    pub template_body: Option<String>,
    pub enabled: Option<bool>,
    pub provisioning_role_arn: Option<String>,
    pub pre_provisioning_hook: Option<ProvisioningHook>,
    #[serde(rename = "type")]
    pub template_type: Option<String>,
    pub tags: Option<serde_json::Value>,
}

/// UpdateProvisioningTemplate's input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateTemplate {
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub default_version_id: Option<u32>,
    pub provisioning_role_arn: Option<String>,
    pub pre_provisioning_hook: Option<ProvisioningHook>,
    pub remove_pre_provisioning_hook: Option<bool>,
}

/// The template `name`, or ResourceNotFoundException (the wording is the emulator's).
fn existing<'a>(inner: &'a Inner, name: &str) -> IotResult<&'a ProvisioningTemplate> {
    inner.templates.get(name).ok_or_else(|| {
        IotError::not_found(format!("The provisioning template {name} does not exist"))
    })
}

fn checked_new(input: CreateTemplate, now: i64) -> IotResult<ProvisioningTemplate> {
    let name = check::required("templateName", input.template_name)?;
    validate::template_name(&name)?;
    if let Some(d) = &input.description {
        check::description(d)?;
    }
    let body = check::required("templateBody", input.template_body)?;
    check::body(&body)?;
    let role = check::required("provisioningRoleArn", input.provisioning_role_arn)?;
    check::role_arn(&role)?;
    let template_type = check::template_type(input.template_type.as_deref())?;
    let hook = input
        .pre_provisioning_hook
        .map(|h| check::hook(h, &template_type))
        .transpose()?;
    let version = TemplateVersion {
        template_body: body,
        creation_date_ms: now,
    };
    Ok(ProvisioningTemplate {
        template_name: name,
        description: input.description,
        enabled: input.enabled.unwrap_or(false),
        provisioning_role_arn: role,
        pre_provisioning_hook: hook,
        template_type,
        versions: BTreeMap::from([(1, version)]),
        default_version_id: 1,
        next_version_id: 2,
        creation_date_ms: now,
        last_modified_date_ms: now,
    })
}

/// Applies an update's members to `t`, checking each.
fn apply_update(t: &mut ProvisioningTemplate, u: UpdateTemplate) -> IotResult<()> {
    let remove_hook = u.remove_pre_provisioning_hook.unwrap_or(false);
    if remove_hook && u.pre_provisioning_hook.is_some() {
        return Err(IotError::invalid(
            "preProvisioningHook and removePreProvisioningHook cannot both be set",
        ));
    }
    if let Some(d) = u.description {
        check::description(&d)?;
        t.description = Some(d);
    }
    if let Some(role) = u.provisioning_role_arn {
        check::role_arn(&role)?;
        t.provisioning_role_arn = role;
    }
    if let Some(id) = u.default_version_id {
        if !t.versions.contains_key(&id) {
            return Err(IotError::not_found(format!(
                "Version {id} of provisioning template {} does not exist",
                t.template_name
            )));
        }
        t.default_version_id = id;
    }
    if let Some(h) = u.pre_provisioning_hook {
        t.pre_provisioning_hook = Some(check::hook(h, &t.template_type)?);
    }
    if remove_hook {
        t.pre_provisioning_hook = None;
    }
    if let Some(enabled) = u.enabled {
        t.enabled = enabled;
    }
    Ok(())
}

impl Registry {
    /// CreateProvisioningTemplate: version 1 is the default; `enabled` defaults to false.
    pub fn create_provisioning_template(
        &self,
        input: CreateTemplate,
    ) -> IotResult<ProvisioningTemplate> {
        let template = checked_new(input, self.clock().now_ms())?;
        let name = template.template_name.clone();
        let arn = self.account().template_arn(&name);
        self.write(|inner, tx| {
            if inner.templates.contains(&name) {
                // CDK saw this wording (aws-cdk#17989).
                return Err(IotError::already_exists(
                    format!("Template with name {name} already exists"),
                    &name,
                    &arn,
                ));
            }
            inner.templates.put(tx, name.clone(), template.clone());
            Ok(template)
        })
    }

    /// The template `name`, if it exists (for the provisioning engines).
    pub fn provisioning_template(&self, name: &str) -> Option<ProvisioningTemplate> {
        self.read(|inner| inner.templates.get(name).cloned())
    }

    /// DescribeProvisioningTemplate.
    pub fn describe_provisioning_template(&self, name: &str) -> IotResult<ProvisioningTemplate> {
        validate::template_name(name)?;
        self.read(|inner| existing(inner, name).cloned())
    }

    /// ListProvisioningTemplates: every template in name order.
    pub fn list_provisioning_templates(&self) -> Vec<ProvisioningTemplate> {
        self.read(|inner| inner.templates.values().cloned().collect())
    }

    /// UpdateProvisioningTemplate.
    pub fn update_provisioning_template(
        &self,
        name: &str,
        update: UpdateTemplate,
    ) -> IotResult<()> {
        validate::template_name(name)?;
        let now = self.clock().now_ms();
        self.write(|inner, tx| {
            let mut template = existing(inner, name)?.clone();
            apply_update(&mut template, update)?;
            template.last_modified_date_ms = now;
            inner.templates.put(tx, name, template);
            Ok(())
        })
    }

    /// DeleteProvisioningTemplate: refused while a CA's registration config names it (our
    /// reading of the model's DeleteConflictException).
    pub fn delete_provisioning_template(&self, name: &str) -> IotResult<()> {
        validate::template_name(name)?;
        self.write(|inner, tx| {
            existing(inner, name)?;
            let in_use = inner.ca_certificates.values().any(|ca| {
                ca.registration_config
                    .as_ref()
                    .and_then(|c| c.template_name.as_deref())
                    == Some(name)
            });
            if in_use {
                return Err(IotError::new(
                    ErrorKind::DeleteConflict,
                    format!("The provisioning template {name} is used by a CA certificate's registration config"),
                ));
            }
            inner.templates.remove(tx, name);
            super::tags::forget(inner, tx, &self.account().template_arn(name));
            Ok(())
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {

    use super::*;

    pub(crate) const BODY: &str =
        r#"{"Parameters": {"SerialNumber": {"Type": "String"}}, "Resources": {}}"#;

    pub(crate) fn registry() -> Registry {
        crate::registry::testing::registry_at(1000)
    }

    pub(crate) fn input(name: &str) -> CreateTemplate {
        CreateTemplate {
            template_name: Some(name.into()),
            template_body: Some(BODY.into()),
            provisioning_role_arn: Some("arn:aws:iam::123456789012:role/Provisioning".into()),
            ..Default::default()
        }
    }

    #[test]
    fn create_describe_list_delete() {
        let reg = registry();
        let t = reg.create_provisioning_template(input("T1")).unwrap();
        assert!(!t.enabled);
        assert_eq!(
            (t.template_type.as_str(), t.default_version_id),
            ("FLEET_PROVISIONING", 1)
        );
        let e = reg.create_provisioning_template(input("T1")).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceAlreadyExists);
        reg.create_provisioning_template(input("T0")).unwrap();
        let names: Vec<_> = reg
            .list_provisioning_templates()
            .into_iter()
            .map(|t| t.template_name)
            .collect();
        assert_eq!(names, vec!["T0", "T1"]);
        assert_eq!(
            reg.describe_provisioning_template("T1")
                .unwrap()
                .default_body(),
            BODY
        );
        reg.delete_provisioning_template("T1").unwrap();
        let e = reg.describe_provisioning_template("T1").unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);
    }

    #[test]
    fn create_checks() {
        let reg = registry();
        let bad = |f: fn(&mut CreateTemplate)| {
            let mut i = input("T");
            f(&mut i);
            reg.create_provisioning_template(i).unwrap_err().kind
        };
        assert_eq!(bad(|i| i.template_body = None), ErrorKind::InvalidRequest);
        assert_eq!(
            bad(|i| i.template_body = Some("nope".into())),
            ErrorKind::InvalidRequest
        );
        assert_eq!(
            bad(|i| i.provisioning_role_arn = None),
            ErrorKind::InvalidRequest
        );
        assert_eq!(
            bad(|i| i.template_name = Some("bad name".into())),
            ErrorKind::InvalidRequest
        );
        assert_eq!(
            bad(|i| i.template_type = Some("X".into())),
            ErrorKind::InvalidRequest
        );
        assert_eq!(
            bad(|i| {
                i.template_type = Some("JITP".into());
                i.pre_provisioning_hook = Some(ProvisioningHook {
                    target_arn: "arn:aws:lambda:us-east-1:123456789012:function:hook".into(),
                    payload_version: None,
                });
            }),
            ErrorKind::InvalidRequest
        );
        assert!(reg.list_provisioning_templates().is_empty());
    }

    #[test]
    fn updates() {
        let reg = registry();
        reg.create_provisioning_template(input("T")).unwrap();
        let hook = ProvisioningHook {
            target_arn: "arn:aws:lambda:us-east-1:123456789012:function:hook".into(),
            payload_version: None,
        };
        let update = UpdateTemplate {
            enabled: Some(true),
            description: Some("d".into()),
            pre_provisioning_hook: Some(hook),
            ..Default::default()
        };
        reg.update_provisioning_template("T", update).unwrap();
        let t = reg.describe_provisioning_template("T").unwrap();
        assert!(t.enabled && t.pre_provisioning_hook.is_some());
        let remove = UpdateTemplate {
            remove_pre_provisioning_hook: Some(true),
            ..Default::default()
        };
        reg.update_provisioning_template("T", remove).unwrap();
        assert!(reg
            .describe_provisioning_template("T")
            .unwrap()
            .pre_provisioning_hook
            .is_none());
        let missing = UpdateTemplate {
            default_version_id: Some(7),
            ..Default::default()
        };
        let e = reg.update_provisioning_template("T", missing).unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);
        let e = reg
            .update_provisioning_template("U", UpdateTemplate::default())
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);
    }
}
