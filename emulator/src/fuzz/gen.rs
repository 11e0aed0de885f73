//! Generators derived from a template: for each parameter, the values its properties'
//! AWS rules care about (charset and length boundaries, empty, whitespace, unicode,
//! `${...}`, separators, every mapping key and an absent one, out-of-range indexes), and a
//! proptest [`Strategy`] of whole parameter maps (missing and extra parameters included),
//! optionally mutating from a known-good example.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;

use super::jitp;
use super::trace::{self, Sink, Use, Via};
use crate::provisioning::template::{Template, CERTIFICATE_ID};

/// A parameter map, as a device sends it.
pub type Parameters = BTreeMap<String, String>;

/// The name of the parameter no template declares (an "extra" parameter).
pub const EXTRA: &str = "FuzzExtraParameter";

/// A key no mapping has.
pub const ABSENT_KEY: &str = "NotInMappings";

/// Text every property gets tried with.
const COMMON: [&str; 14] = [
    "",
    " ",
    "a b",
    " a",
    "a\t",
    "\n",
    "é",
    "中",
    "\u{1F600}",
    "${x}",
    "a,b",
    "a/b",
    "a.b",
    "0",
];

/// Single characters tried against a property's character set.
const CHARS: &str = " !\"#$%&'()*+,./:;<=>?@[\\]^_`{|}~-é";

/// Everything the generators need from a template.
#[derive(Debug, Clone)]
pub struct Generators {
    /// Parameter name → interesting values, in a stable order.
    pub values: BTreeMap<String, Vec<String>>,
    /// Parameter name → a value expected to be valid (its Default, a mapping key, ...).
    pub plausible: Parameters,
    /// Declared parameters without a Default (missing ones fail).
    pub required: Vec<String>,
    /// Where each parameter is used.
    pub uses: BTreeMap<String, Vec<Use>>,
    /// JITP: the maps are certificate subjects, the only values a JITP device sends
    /// (see [`Generators::jitp`]).
    pub jitp: bool,
}

impl Generators {
    /// Generators for `template`'s RegisterThing parameters. The injected certificate id
    /// is never generated.
    pub fn new(template: &Template) -> Self {
        Self::build(template, false)
    }

    /// Generators for a JITP template: the values of the certificate subject fields JITP
    /// injects (`AWS::IoT::Certificate::CommonName`, `::Country`, ...), each field also
    /// tried at its X.509 length bound and one past it, and left out of the subject. No
    /// other parameter is ever sent, so a template needing one fails every case.
    pub fn jitp(template: &Template) -> Self {
        Self::build(template, true)
    }

    fn build(template: &Template, jitp: bool) -> Self {
        let uses = trace::uses(template);
        let mut names: Vec<String> = template.parameters.keys().cloned().collect();
        names.extend(uses.keys().cloned());
        names.sort();
        names.dedup();
        names.retain(|n| n != CERTIFICATE_ID && (!jitp || jitp::is_subject(n)));
        let mut values = BTreeMap::new();
        let mut plausible = BTreeMap::new();
        for name in names {
            let empty = Vec::new();
            let (list, good) = values_of(template, &name, uses.get(&name).unwrap_or(&empty), jitp);
            plausible.insert(name.clone(), good);
            values.insert(name, list);
        }
        let required = template
            .parameters
            .iter()
            .filter(|(n, d)| d.is_none() && values.contains_key(n.as_str()))
            .map(|(n, _)| n.clone())
            .collect();
        Generators {
            values,
            plausible,
            required,
            uses,
            jitp,
        }
    }

    /// A strategy for whole parameter maps: mostly one or two parameters changed from
    /// `base` (the example, else plausible values), sometimes every parameter drawn
    /// freshly; parameters go missing and an extra one appears now and then.
    pub fn strategy(&self, base: Option<&Parameters>) -> BoxedStrategy<Parameters> {
        let base = base.cloned().unwrap_or_else(|| self.plausible.clone());
        let n = self.values.len().max(1) as u32;
        let mut per_param: Vec<BoxedStrategy<(String, Option<String>)>> = Vec::new();
        for (name, list) in &self.values {
            let keep = base.get(name).cloned();
            let name = name.clone();
            let fresh = value(list.clone(), keep.clone());
            let kept = Just(keep);
            let s = prop_oneof![
                (3 * n).saturating_sub(2).max(1) => kept,
                2 => fresh,
            ];
            per_param.push(s.prop_map(move |v| (name.clone(), v)).boxed());
        }
        // A JITP device sends nothing but its certificate: no extra parameter.
        let extra = match self.jitp {
            true => Just(None).boxed(),
            false => proptest::option::weighted(0.05, random_text()).boxed(),
        };
        (per_param, extra)
            .prop_map(|(pairs, extra)| {
                let mut map: Parameters = pairs
                    .into_iter()
                    .filter_map(|(k, v)| v.map(|v| (k, v)))
                    .collect();
                if let Some(x) = extra {
                    map.insert(EXTRA.to_string(), x);
                }
                map
            })
            .boxed()
    }
}

/// The interesting values of parameter `name` and a plausible one (its Default, else a
/// guess from its uses), which comes first in the list.
fn values_of(template: &Template, name: &str, uses: &[Use], jitp: bool) -> (Vec<String>, String) {
    let mut list = interesting(template, uses);
    let default = template.parameters.get(name).cloned().flatten();
    let guess = || match jitp {
        true => jitp::plausible(name, uses).unwrap_or_else(|| plausible_value(template, uses)),
        false => plausible_value(template, uses),
    };
    let good = default.unwrap_or_else(guess);
    if jitp {
        jitp::extend(name, &mut list);
    }
    if !list.contains(&good) {
        list.insert(0, good.clone());
    }
    (list, good)
}

/// One parameter's value: an interesting one, a mutation of the known-good one, random
/// text, or missing.
fn value(list: Vec<String>, known: Option<String>) -> BoxedStrategy<Option<String>> {
    let known = known.unwrap_or_default();
    prop_oneof![
        6 => proptest::sample::select(list).prop_map(Some),
        3 => mutation(known).prop_map(Some),
        2 => random_text().prop_map(Some),
        1 => Just(None),
    ]
    .boxed()
}

/// Random text: mostly name-like, some of it any printable character.
pub fn random_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "[A-Za-z0-9:_-]{0,12}",
        2 => "\\PC{0,12}",
        1 => "[ -~]{0,140}",
    ]
    .boxed()
}

/// `known` with one character inserted, deleted or replaced, or repeated to a length.
fn mutation(known: String) -> BoxedStrategy<String> {
    let len = known.chars().count();
    let chars: Vec<char> = CHARS.chars().collect();
    (
        0..=len,
        proptest::sample::select(chars),
        0u8..4,
        1usize..200,
    )
        .prop_map(move |(at, c, op, n)| {
            let mut v: Vec<char> = known.chars().collect();
            match op {
                0 => v.insert(at, c),
                1 if at < v.len() => {
                    v.remove(at);
                }
                2 if at < v.len() => v[at] = c,
                _ => v.extend(std::iter::repeat_n('a', n)),
            }
            v.into_iter().collect()
        })
        .boxed()
}

/// The values worth trying for a parameter with these uses.
fn interesting(template: &Template, uses: &[Use]) -> Vec<String> {
    let mut out: Vec<String> = COMMON.iter().map(|s| s.to_string()).collect();
    for u in uses {
        match u.via.first() {
            None => out.extend(boundaries(&u.sink, u.literal)),
            Some(via) => out.extend(via_values(template, via)),
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|v| seen.insert(v.clone()));
    out
}

/// Length boundaries (the rule's maximum and one past it, after the literal text around
/// the value) and one character of every class against the property's character set.
fn boundaries(sink: &Sink, literal: usize) -> Vec<String> {
    let Some((min, max, extra)) = sink.rule() else {
        return vec!["a".repeat(300)];
    };
    let mut out = vec!["a".into(), "Z9".into()];
    out.extend(extra.chars().map(String::from));
    out.extend(CHARS.chars().map(String::from));
    let room = max.saturating_sub(literal);
    out.push("a".repeat(room));
    out.push("a".repeat(room + 1));
    if literal < min {
        out.push(String::new());
    }
    out
}

fn via_values(template: &Template, via: &Via) -> Vec<String> {
    match via {
        Via::FindInMapKey { map, level } => {
            let mut out = mapping_keys(template, map.as_deref(), *level);
            out.push(ABSENT_KEY.into());
            out
        }
        Via::FindInMapName => {
            let mut out: Vec<String> = template.mappings.keys().cloned().collect();
            out.push(ABSENT_KEY.into());
            out
        }
        Via::SelectIndex { len } => {
            let n = len.unwrap_or(3);
            let mut out: Vec<String> = (0..=n + 1).map(|i| i.to_string()).collect();
            out.extend(["-1".into(), "one".into(), " 1".into()]);
            out
        }
        Via::SplitInput { delimiter } => {
            let d = delimiter.as_str();
            vec![
                "a".into(),
                format!("a{d}b"),
                format!("a{d}b{d}c"),
                format!("a{d}b{d}c{d}d"),
                d.into(),
                format!("a{d}"),
                format!("{d}{d}"),
            ]
        }
    }
}

/// The keys of `Mappings` at `level` (1: top-level keys, 2: second-level keys) of `map`,
/// or of every map when its name is computed.
pub(crate) fn mapping_keys(template: &Template, map: Option<&str>, level: u8) -> Vec<String> {
    let maps: Vec<&serde_json::Value> = match map {
        Some(m) => template.mappings.get(m).into_iter().collect(),
        None => template.mappings.values().collect(),
    };
    let mut out = Vec::new();
    for m in maps {
        let Some(top) = m.as_object() else { continue };
        if level == 1 {
            out.extend(top.keys().cloned());
        } else {
            for second in top.values().filter_map(|v| v.as_object()) {
                out.extend(second.keys().cloned());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A value the parameter's first use accepts: a mapping key, an index, a name.
fn plausible_value(template: &Template, uses: &[Use]) -> String {
    let Some(u) = uses.first() else {
        return "a".into();
    };
    match u.via.first() {
        Some(Via::FindInMapKey { map, level }) => mapping_keys(template, map.as_deref(), *level)
            .into_iter()
            .next()
            .unwrap_or_else(|| "a".into()),
        Some(Via::FindInMapName) => template.mappings.keys().next().cloned().unwrap_or_default(),
        Some(Via::SelectIndex { .. }) => "0".into(),
        Some(Via::SplitInput { delimiter }) => format!("a{delimiter}b{delimiter}c"),
        None => "0001".into(),
    }
}
