//! Device shadows as stored: one row per (thing, shadow name), live or deleted. The
//! document's rules (merge, delta, metadata, limits) belong to [`crate::shadows`]; this
//! table only keeps what that engine decided, durably, one read-modify-write at a time.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{IotResult, Registry};

/// One shadow, keyed `"<thingName>\n<shadowName>"` (the classic shadow's name is empty).
/// A deleted shadow keeps its row (with no document) so that a new one continues its
/// version numbers, as AWS documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredShadow {
    pub thing_name: String,
    /// `None` for the classic shadow.
    pub shadow_name: Option<String>,
    pub version: u64,
    /// `None` once deleted (the row is then a tombstone).
    pub document: Option<ShadowDocument>,
    /// When it was deleted (emulator clock, ms since the epoch), for a tombstone.
    #[serde(default)]
    pub deleted_at_ms: Option<i64>,
}

/// The stored sections of a live shadow and their metadata mirrors.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShadowDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_desired: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_reported: Option<Map<String, Value>>,
}

impl StoredShadow {
    /// The live document, if the shadow exists (is not a tombstone).
    pub fn live(&self) -> Option<&ShadowDocument> {
        self.document.as_ref()
    }
}

/// What a shadow write decided: keep the row as it is, or store a new one.
#[derive(Debug)]
pub enum ShadowWrite<R> {
    Keep(R),
    /// Boxed: a row is large next to what a read returns.
    Put(Box<StoredShadow>, R),
}

fn key(thing_name: &str, shadow_name: Option<&str>) -> String {
    format!("{thing_name}\n{}", shadow_name.unwrap_or(""))
}

impl Registry {
    /// The row of one shadow, live or deleted.
    pub fn shadow(&self, thing_name: &str, shadow_name: Option<&str>) -> Option<StoredShadow> {
        let key = key(thing_name, shadow_name);
        self.read(|inner| inner.shadows.get(&key).cloned())
    }

    /// Reads the row of one shadow and stores what `decide` makes of it, under the
    /// registry lock, so concurrent updates of a shadow never interleave. Durable before
    /// this returns.
    pub fn change_shadow<R>(
        &self,
        thing_name: &str,
        shadow_name: Option<&str>,
        decide: impl FnOnce(Option<&StoredShadow>) -> ShadowWrite<R>,
    ) -> IotResult<R> {
        let key = key(thing_name, shadow_name);
        self.write(|inner, tx| match decide(inner.shadows.get(&key)) {
            ShadowWrite::Keep(out) => Ok(out),
            ShadowWrite::Put(row, out) => {
                inner.shadows.put(tx, key, *row);
                Ok(out)
            }
        })
    }

    /// The names of `thing_name`'s live named shadows, in name order (the classic shadow
    /// is never listed).
    pub fn named_shadows(&self, thing_name: &str) -> Vec<String> {
        let prefix = format!("{thing_name}\n");
        self.read(|inner| {
            let rows = inner
                .shadows
                .iter()
                .skip_while(|(k, _)| k.as_str() < prefix.as_str());
            rows.take_while(|(k, _)| k.starts_with(&prefix))
                .filter(|(_, row)| row.document.is_some())
                .filter_map(|(_, row)| row.shadow_name.clone())
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::testing::registry_at;

    fn row(thing: &str, name: Option<&str>, version: u64, live: bool) -> StoredShadow {
        StoredShadow {
            thing_name: thing.into(),
            shadow_name: name.map(str::to_string),
            version,
            document: live.then(ShadowDocument::default),
            deleted_at_ms: None,
        }
    }

    #[test]
    fn rows_are_kept_per_thing_and_name_and_listed_when_live() {
        let reg = registry_at(0);
        for (thing, name, live) in [
            ("t", None, true),
            ("t", Some("b"), true),
            ("t", Some("a"), true),
            ("t", Some("gone"), false),
            ("t2", Some("z"), true),
            ("t-", Some("y"), true),
        ] {
            reg.change_shadow(thing, name, |_| {
                ShadowWrite::Put(Box::new(row(thing, name, 1, live)), ())
            })
            .expect("stored");
        }
        assert_eq!(reg.named_shadows("t"), vec!["a", "b"]);
        assert_eq!(reg.named_shadows("nobody"), Vec::<String>::new());
        assert_eq!(reg.shadow("t", Some("gone")).expect("row").version, 1);
        assert!(reg.shadow("t", None).expect("row").live().is_some());
        let seen = reg
            .change_shadow("t", None, |current| {
                ShadowWrite::Keep(current.map(|r| r.version))
            })
            .expect("read");
        assert_eq!(seen, Some(1));
    }
}
