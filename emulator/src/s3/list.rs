//! ListObjects (v1 and v2) over one bucket's keys: prefix, delimiter, and paging from a
//! marker, in UTF-8 binary order as S3 lists.

use std::collections::BTreeMap;
use std::ops::Bound;

use super::ObjectMeta;

/// What a listing asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub prefix: String,
    /// Empty means none.
    pub delimiter: String,
    /// 1000 at most, as S3.
    pub max_keys: usize,
    /// List what sorts after this (StartAfter, Marker, or a continuation token's marker).
    pub after: Option<String>,
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub contents: Vec<ObjectMeta>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    /// The last key or common prefix on this page: where the next page starts.
    pub last: Option<String>,
}

/// Lists `objects` for `query`.
pub fn list(objects: &BTreeMap<String, ObjectMeta>, query: &ListQuery) -> Listing {
    let start = match &query.after {
        Some(after) => Bound::Excluded(after.clone()),
        None => Bound::Unbounded,
    };
    let mut page = Listing::default();
    for (key, meta) in objects.range::<String, _>((start, Bound::Unbounded)) {
        if !key.starts_with(&query.prefix) {
            if key.as_str() > query.prefix.as_str() {
                break;
            }
            continue;
        }
        let rolled = common_prefix(key, query);
        if rolled.is_some() && rolled.as_deref() == query.after.as_deref() {
            // Continuing after a common prefix: its keys were rolled up already.
            continue;
        }
        if rolled.is_some() && rolled.as_ref() == page.common_prefixes.last() {
            continue;
        }
        if page.contents.len() + page.common_prefixes.len() >= query.max_keys {
            page.is_truncated = true;
            break;
        }
        match rolled {
            Some(prefix) => {
                page.last = Some(prefix.clone());
                page.common_prefixes.push(prefix);
            }
            None => {
                page.last = Some(key.clone());
                page.contents.push(meta.clone());
            }
        }
    }
    page
}

/// The common prefix `key` rolls up into under the query's delimiter, if any.
fn common_prefix(key: &str, query: &ListQuery) -> Option<String> {
    if query.delimiter.is_empty() {
        return None;
    }
    let rest = &key[query.prefix.len()..];
    let at = rest.find(&query.delimiter)?;
    Some(key[..query.prefix.len() + at + query.delimiter.len()].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(keys: &[&str]) -> BTreeMap<String, ObjectMeta> {
        let meta = |k: &&str| ObjectMeta {
            key: k.to_string(),
            etag: String::new(),
            size: 0,
            last_modified_ms: 0,
            content_type: None,
            metadata: BTreeMap::new(),
            blob: String::new(),
        };
        keys.iter().map(|k| (k.to_string(), meta(k))).collect()
    }

    fn query(prefix: &str, delimiter: &str, max_keys: usize, after: Option<&str>) -> ListQuery {
        ListQuery {
            prefix: prefix.into(),
            delimiter: delimiter.into(),
            max_keys,
            after: after.map(str::to_string),
        }
    }

    fn keys(page: &Listing) -> Vec<&str> {
        page.contents.iter().map(|m| m.key.as_str()).collect()
    }

    #[test]
    fn delimiters_roll_keys_up_into_common_prefixes() {
        let all = objects(&["a/1", "a/2", "b", "c/x/1", "c/y"]);
        let page = list(&all, &query("", "/", 1000, None));
        assert_eq!(page.common_prefixes, ["a/", "c/"]);
        assert_eq!(keys(&page), ["b"]);
        let page = list(&all, &query("c/", "/", 1000, None));
        assert_eq!(page.common_prefixes, ["c/x/"]);
        assert_eq!(keys(&page), ["c/y"]);
    }

    #[test]
    fn pages_continue_after_keys_and_after_common_prefixes() {
        let all = objects(&["a/1", "a/2", "b", "c/x/1", "c/y", "d"]);
        let first = list(&all, &query("", "/", 2, None));
        assert_eq!(first.common_prefixes, ["a/"]);
        assert_eq!(keys(&first), ["b"]);
        assert!(first.is_truncated);
        let second = list(&all, &query("", "/", 2, first.last.as_deref()));
        assert_eq!(second.common_prefixes, ["c/"]);
        assert_eq!(keys(&second), ["d"]);
        assert!(!second.is_truncated);
        let resumed = list(&all, &query("", "/", 10, Some("a/")));
        assert_eq!(keys(&resumed), ["b", "d"]);
    }

    #[test]
    fn prefixes_bound_the_scan() {
        let all = objects(&["x", "y/1", "y/2", "z"]);
        let page = list(&all, &query("y/", "", 1000, None));
        assert_eq!(keys(&page), ["y/1", "y/2"]);
        assert!(!page.is_truncated);
    }
}
