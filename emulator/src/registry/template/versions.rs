//! Provisioning-template versions: create, describe, list and delete.

use super::{check, existing, ProvisioningTemplate, TemplateVersion, MAX_VERSIONS};
use crate::registry::{validate, ErrorKind, IotError, IotResult, Registry};

fn version_not_found(name: &str, id: u32) -> IotError {
    IotError::not_found(format!(
        "Version {id} of provisioning template {name} does not exist"
    ))
}

impl Registry {
    /// CreateProvisioningTemplateVersion: numbered 1, 2, 3, ...; not the default unless
    /// `set_as_default`. Returns the template after the change and the new version id.
    pub fn create_provisioning_template_version(
        &self,
        name: &str,
        body: Option<String>,
        set_as_default: bool,
    ) -> IotResult<(ProvisioningTemplate, u32)> {
        validate::template_name(name)?;
        let body = check::required("templateBody", body)?;
        check::body(&body)?;
        let now = self.clock().now_ms();
        self.write(|inner, tx| {
            let mut t = existing(inner, name)?.clone();
            if t.versions.len() >= MAX_VERSIONS {
                return Err(IotError::new(
                    ErrorKind::VersionsLimitExceeded,
                    format!("The provisioning template {name} already has the maximum number of versions ({MAX_VERSIONS})"),
                ));
            }
            let id = t.next_version_id;
            t.next_version_id += 1;
            let version = TemplateVersion {
                template_body: body,
                creation_date_ms: now,
            };
            t.versions.insert(id, version);
            if set_as_default {
                t.default_version_id = id;
            }
            t.last_modified_date_ms = now;
            inner.templates.put(tx, name, t.clone());
            Ok((t, id))
        })
    }

    /// DescribeProvisioningTemplateVersion: the template and the version.
    pub fn describe_provisioning_template_version(
        &self,
        name: &str,
        id: u32,
    ) -> IotResult<(ProvisioningTemplate, TemplateVersion)> {
        validate::template_name(name)?;
        self.read(|inner| {
            let t = existing(inner, name)?;
            let v = t
                .versions
                .get(&id)
                .ok_or_else(|| version_not_found(name, id))?;
            Ok((t.clone(), v.clone()))
        })
    }

    /// ListProvisioningTemplateVersions: the template, whose versions the caller lists.
    pub fn list_provisioning_template_versions(
        &self,
        name: &str,
    ) -> IotResult<ProvisioningTemplate> {
        self.describe_provisioning_template(name)
    }

    /// DeleteProvisioningTemplateVersion: never the default version.
    pub fn delete_provisioning_template_version(&self, name: &str, id: u32) -> IotResult<()> {
        validate::template_name(name)?;
        self.write(|inner, tx| {
            let mut t = existing(inner, name)?.clone();
            if !t.versions.contains_key(&id) {
                return Err(version_not_found(name, id));
            }
            if t.default_version_id == id {
                return Err(IotError::new(
                    ErrorKind::DeleteConflict,
                    "Cannot delete the default version of a provisioning template",
                ));
            }
            t.versions.remove(&id);
            inner.templates.put(tx, name, t);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{input, registry, BODY};
    use super::*;

    #[test]
    fn versions_lifecycle() {
        let reg = registry();
        reg.create_provisioning_template(input("T")).unwrap();
        for want in 2..=5 {
            let (t, id) = reg
                .create_provisioning_template_version("T", Some(BODY.into()), false)
                .unwrap();
            assert_eq!((id, t.default_version_id), (want, 1));
        }
        let e = reg
            .create_provisioning_template_version("T", Some(BODY.into()), true)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::VersionsLimitExceeded);
        let e = reg
            .delete_provisioning_template_version("T", 1)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::DeleteConflict);
        reg.delete_provisioning_template_version("T", 3).unwrap();
        let e = reg
            .describe_provisioning_template_version("T", 3)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::ResourceNotFound);
        let (t, id) = reg
            .create_provisioning_template_version("T", Some(BODY.into()), true)
            .unwrap();
        assert_eq!((id, t.default_version_id), (6, 6));
        let (_, v) = reg.describe_provisioning_template_version("T", 6).unwrap();
        assert_eq!(v.template_body, BODY);
        let e = reg
            .create_provisioning_template_version("T", Some("{}".into()), false)
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest);
    }
}
