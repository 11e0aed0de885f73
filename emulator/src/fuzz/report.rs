//! What a run found, and the report: failure classes with their shrunk examples, the pass
//! rate, parameters that never matter, thing-name collisions and empty attributes. The
//! JSON form is stable (README: "Fuzzing provisioning templates"); nothing in it depends
//! on timing, so one seed gives one report byte for byte.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::classify::Class;
use super::gen::Parameters;

/// The JSON report's format name; bumped on incompatible changes.
pub const FORMAT: &str = "iot-emulator/fuzz-template/1";

/// How many collisions are listed (all are counted).
const MAX_COLLISIONS: usize = 5;

/// One case's result.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Passed {
        thing_name: Option<String>,
        /// Attributes the template sets to an empty string (AWS removes those).
        empty_attributes: Vec<String>,
    },
    Failed {
        class: Class,
        message: String,
    },
}

/// A failure class in the report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassReport {
    pub id: String,
    pub error_code: String,
    pub status_code: u16,
    pub fault: String,
    /// The template property the fault feeds, when the trace knows it.
    pub property: Option<String>,
    pub message_pattern: String,
    pub count: u64,
    /// Accepted by `--allow`.
    pub allowed: bool,
    /// The shrunk example and the message AWS's rules give for it.
    pub example: Parameters,
    pub message: String,
    /// Live runs: whether the shrunk example was rejected the same way by a real
    /// RegisterThing; offline: null.
    pub confirmed: Option<bool>,
}

/// Two parameter maps that provision the same thing.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Collision {
    pub thing_name: String,
    pub first: Parameters,
    pub second: Parameters,
}

/// An attribute that comes out empty.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmptyAttribute {
    pub attribute: String,
    pub count: u64,
    pub example: Parameters,
    pub allowed: bool,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub format: &'static str,
    pub template: String,
    pub mode: &'static str,
    /// `fleet` (RegisterThing parameters) or `jitp` (certificate subjects).
    pub provisioning: &'static str,
    pub seed: u64,
    pub cases: u64,
    pub passed: u64,
    pub failed: u64,
    /// `passed / cases`, rounded to 4 decimals.
    pub pass_rate: f64,
    pub classes: Vec<ClassReport>,
    pub parameters_that_never_matter: Vec<String>,
    pub collision_count: u64,
    pub collisions_allowed: bool,
    pub collisions: Vec<Collision>,
    pub empty_attributes: Vec<EmptyAttribute>,
    /// Ids of findings `--allow` does not cover: the exit status is 1 when any.
    pub new_findings: Vec<String>,
}

/// The id `--allow` takes for collisions, and for an empty attribute.
pub const COLLISION_ID: &str = "collision:thingName";
pub fn empty_attribute_id(attribute: &str) -> String {
    format!("empty-attribute:{attribute}")
}

/// Whether `--allow` patterns cover `id` (exact, or a prefix ending in `*`).
pub fn allowed(patterns: &[String], id: &str) -> bool {
    patterns.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => p == id,
    })
}

/// What a run has seen so far.
#[derive(Debug, Default)]
pub struct Findings {
    pub cases: u64,
    pub passed: u64,
    /// Class id → (class, count, first example, its message).
    pub classes: BTreeMap<String, (Class, u64, Parameters, String)>,
    /// Thing name → the parameters that fed it, and the whole map, first seen.
    names: HashMap<String, (Parameters, Parameters)>,
    pub collisions: Vec<Collision>,
    pub collision_count: u64,
    pub empty: BTreeMap<String, (u64, Parameters)>,
    /// The parameters that feed the thing name (all of them when none does).
    name_inputs: Option<Vec<String>>,
}

impl Findings {
    /// `name_inputs`: the parameters that feed the thing name (empty: a constant name).
    pub fn new(name_inputs: Vec<String>) -> Self {
        Findings {
            name_inputs: (!name_inputs.is_empty()).then_some(name_inputs),
            ..Default::default()
        }
    }

    /// Records one case.
    pub fn add(&mut self, parameters: &Parameters, verdict: Verdict) {
        self.cases += 1;
        match verdict {
            Verdict::Failed { class, message } => match self.classes.get_mut(&class.id) {
                Some(entry) => entry.1 += 1,
                None => {
                    let first = (class.clone(), 1, parameters.clone(), message);
                    self.classes.insert(class.id, first);
                }
            },
            Verdict::Passed {
                thing_name,
                empty_attributes,
            } => {
                self.passed += 1;
                for a in empty_attributes {
                    let e = self.empty.entry(a).or_insert((0, parameters.clone()));
                    e.0 += 1;
                }
                if let Some(name) = thing_name {
                    self.see_name(name, parameters);
                }
            }
        }
    }

    fn see_name(&mut self, name: String, parameters: &Parameters) {
        let inputs: Parameters = match &self.name_inputs {
            Some(keys) => keys
                .iter()
                .filter_map(|k| parameters.get(k).map(|v| (k.clone(), v.clone())))
                .collect(),
            None => parameters.clone(),
        };
        match self.names.get(&name) {
            None => {
                if self.names.len() < 1_000_000 {
                    self.names.insert(name, (inputs, parameters.clone()));
                }
            }
            Some((seen, first)) if *seen != inputs => {
                self.collision_count += 1;
                if self.collisions.len() < MAX_COLLISIONS {
                    self.collisions.push(Collision {
                        thing_name: name,
                        first: first.clone(),
                        second: parameters.clone(),
                    });
                }
            }
            Some(_) => {}
        }
    }
}

/// Rounds a pass rate to 4 decimals (a stable JSON number).
pub(crate) fn rate(passed: u64, cases: u64) -> f64 {
    if cases == 0 {
        return 0.0;
    }
    (passed as f64 / cases as f64 * 10_000.0).round() / 10_000.0
}
