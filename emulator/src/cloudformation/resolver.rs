//! What intrinsics see of a running stack: its created resources, and every stack's
//! exports for `Fn::ImportValue`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::intrinsic::Resolver;
use super::stack::StackResource;

/// A stack's resources as `Ref` and `Fn::GetAtt` see them.
pub(crate) struct Made<'a> {
    pub(crate) resources: &'a [StackResource],
    pub(crate) exports: &'a BTreeMap<String, String>,
}

impl Resolver for Made<'_> {
    fn resource_ref(&self, logical_id: &str) -> Option<Value> {
        let r = self
            .resources
            .iter()
            .find(|r| r.logical_id == logical_id && !r.physical_id.is_empty())?;
        Some(Value::String(r.physical_id.clone()))
    }

    fn resource_attr(&self, logical_id: &str, attribute: &str) -> Option<Value> {
        let r = self.resources.iter().find(|r| r.logical_id == logical_id)?;
        r.attributes.get(attribute).cloned()
    }

    fn import(&self, export_name: &str) -> Option<String> {
        self.exports.get(export_name).cloned()
    }
}

/// Stands in for resources at validation time: every declared resource resolves to a
/// placeholder, so templates can be checked before anything exists.
pub(crate) struct Declared<'a> {
    pub(crate) ids: &'a [String],
}

impl Resolver for Declared<'_> {
    fn resource_ref(&self, logical_id: &str) -> Option<Value> {
        self.ids
            .iter()
            .any(|id| id == logical_id)
            .then(|| Value::String(format!("<{logical_id}>")))
    }

    fn resource_attr(&self, logical_id: &str, attribute: &str) -> Option<Value> {
        self.resource_ref(logical_id)
            .map(|_| Value::String(format!("<{logical_id}.{attribute}>")))
    }

    fn import(&self, export_name: &str) -> Option<String> {
        Some(format!("<import {export_name}>"))
    }
}
