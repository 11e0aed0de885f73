//! Resource tags (TagResource, UntagResource, ListTagsForResource and the `tags` of the
//! Create operations), keyed by the resource's ARN, for the resource types AWS IoT tags
//! and the emulator has: thing groups, thing types, policies, topic rules, provisioning
//! templates, CA certificates and role aliases. A deleted resource's tags go with it.

use std::collections::BTreeMap;

use super::{validate, Inner, IotError, IotResult, Registry, Tx};
use crate::registry::ErrorKind;

/// A resource's tags, by key.
pub type TagMap = BTreeMap<String, String>;

/// AWS's limit of tags per resource.
pub const MAX_TAGS: usize = 50;

/// The ARN kinds that take tags, and whether the named resource exists.
fn exists(inner: &Inner, kind: &str, name: &str) -> Option<bool> {
    Some(match kind {
        "thinggroup" => inner.thing_groups.contains(name),
        "thingtype" => inner.thing_types.contains(name),
        "policy" => inner.policies.contains(name),
        "rule" => inner.topic_rules.contains(name),
        "provisioningtemplate" => inner.templates.contains(name),
        "cacert" => inner.ca_certificates.contains(name),
        "rolealias" => inner.role_aliases.contains(name),
        _ => return None,
    })
}

/// Checks tags as given to TagResource or a Create operation.
pub fn check(tags: &[(String, String)]) -> IotResult<()> {
    for (key, value) in tags {
        validate::pattern("tags.member.Key", key, 1, 128, |_| true)?;
        validate::pattern("tags.member.Value", value, 0, 256, |_| true)?;
        if key.starts_with("aws:") {
            // A choice: AWS's message for the reserved prefix is not documented.
            return Err(IotError::invalid(format!(
                "Tag keys starting with 'aws:' are reserved for AWS use: {key}"
            )));
        }
    }
    Ok(())
}

/// Removes a deleted resource's tags (inside its delete's write).
pub(crate) fn forget(inner: &mut Inner, tx: &mut Tx, arn: &str) {
    if inner.tags.contains(arn) {
        inner.tags.remove(tx, arn);
    }
}

impl Registry {
    /// The resource an ARN names must be a taggable one of this region, and exist.
    fn tagged_resource(&self, inner: &Inner, arn: &str) -> IotResult<()> {
        let (kind, name) = self.account().parse_arn(arn).ok_or_else(|| {
            IotError::invalid(format!("{arn} is not a valid AWS IoT resource ARN"))
        })?;
        match exists(inner, kind, name) {
            Some(true) => Ok(()),
            Some(false) => Err(IotError::not_found(format!("{arn} does not exist"))),
            // A choice: the emulator's wording; AWS refuses other types with this exception.
            None => Err(IotError::invalid(format!(
                "Resource type {kind} does not support tagging in iot-emulator"
            ))),
        }
    }

    /// TagResource: adds or replaces the given tags.
    pub fn tag_resource(&self, arn: &str, tags: Vec<(String, String)>) -> IotResult<()> {
        check(&tags)?;
        self.write(|inner, tx| {
            self.tagged_resource(inner, arn)?;
            let mut current = inner.tags.get(arn).cloned().unwrap_or_default();
            current.extend(tags);
            if current.len() > MAX_TAGS {
                return Err(IotError::new(
                    ErrorKind::LimitExceeded,
                    format!("The number of tags of {arn} would exceed {MAX_TAGS}"),
                ));
            }
            inner.tags.put(tx, arn, current);
            Ok(())
        })
    }

    /// UntagResource: removes the given keys (keys it lacks are ignored, as AWS does).
    pub fn untag_resource(&self, arn: &str, keys: &[String]) -> IotResult<()> {
        self.write(|inner, tx| {
            self.tagged_resource(inner, arn)?;
            let Some(mut current) = inner.tags.get(arn).cloned() else {
                return Ok(());
            };
            for key in keys {
                current.remove(key);
            }
            if current.is_empty() {
                inner.tags.remove(tx, arn);
            } else {
                inner.tags.put(tx, arn, current);
            }
            Ok(())
        })
    }

    /// ListTagsForResource: every tag, by key.
    pub fn list_tags_for_resource(&self, arn: &str) -> IotResult<Vec<(String, String)>> {
        self.read(|inner| {
            self.tagged_resource(inner, arn)?;
            let tags = inner.tags.get(arn).cloned().unwrap_or_default();
            Ok(tags.into_iter().collect())
        })
    }
}
