//! The offline run: the fixed cases (the example or plausible map, each required
//! parameter missing, an extra parameter), then generated cases from the seed until
//! `--cases` or `--time-limit`; then every class is shrunk and the parameters probed for
//! whether they ever matter.

use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use super::classify::classify;
use super::eval::{Offline, Outcome};
use super::gen::{Generators, Parameters, EXTRA};
use super::jitp::classify_jitp;
use super::report::{self, ClassReport, EmptyAttribute, Findings, Report, Verdict};
use super::shrink::shrink;
use super::trace::Sink;

/// How a run is bounded and judged.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub cases: u64,
    pub seed: u64,
    pub time_limit: Option<Duration>,
    /// A known-good request to mutate from.
    pub example: Option<Parameters>,
    /// `--allow` patterns.
    pub allow: Vec<String>,
    /// The template's name (or file) for the report.
    pub template: String,
}

/// A proptest runner whose randomness is `seed` alone.
pub(crate) fn runner(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    TestRunner::new_with_rng(Config::default(), rng)
}

/// The cases every run starts with.
pub(crate) fn fixed_cases(gens: &Generators, example: Option<&Parameters>) -> Vec<Parameters> {
    let base = example.cloned().unwrap_or_else(|| gens.plausible.clone());
    let mut out = vec![base.clone()];
    for name in &gens.required {
        let mut p = base.clone();
        p.remove(name);
        out.push(p);
    }
    if !gens.jitp {
        let mut extra = base;
        extra.insert(EXTRA.into(), "extra".into());
        out.push(extra);
    }
    out
}

/// The generated cases: fixed ones first, then `cases` in all, by `seed`.
pub fn cases(gens: &Generators, options: &Options) -> impl Iterator<Item = Parameters> {
    let strategy = gens.strategy(options.example.as_ref());
    let mut runner = runner(options.seed);
    let fixed = fixed_cases(gens, options.example.as_ref());
    let generated = std::iter::from_fn(move || {
        let tree = strategy.new_tree(&mut runner).ok()?;
        Some(tree.current())
    });
    fixed
        .into_iter()
        .chain(generated)
        .take(options.cases as usize)
}

/// The verdict of an offline outcome of fleet provisioning.
pub fn verdict(outcome: &Outcome) -> Verdict {
    judge(outcome, false)
}

/// The verdict of an offline outcome, of JITP when `jitp`.
pub(crate) fn judge(outcome: &Outcome, jitp: bool) -> Verdict {
    match outcome {
        Outcome::Failed(e) => Verdict::Failed {
            class: match jitp {
                true => classify_jitp(e),
                false => classify(e),
            },
            message: e.message.clone(),
        },
        Outcome::Passed(plan) => {
            let thing = plan.thing.as_ref();
            let empty_attributes = thing
                .and_then(|t| t.attributes.as_ref())
                .map(|a| {
                    a.iter()
                        .filter(|(_, v)| v.is_empty())
                        .map(|(k, _)| k.clone())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            Verdict::Passed {
                thing_name: thing.map(|t| t.thing_name.clone()),
                empty_attributes,
            }
        }
    }
}

/// Runs `offline` over the generated cases; `progress` gets the count done so far.
pub fn run_offline(offline: &Offline, options: &Options, progress: &mut dyn FnMut(u64)) -> Report {
    let gens = match offline.jitp {
        true => Generators::jitp(&offline.template),
        false => Generators::new(&offline.template),
    };
    let mut findings = Findings::new(name_inputs(&gens));
    let started = Instant::now();
    for parameters in cases(&gens, options) {
        if options.time_limit.is_some_and(|t| started.elapsed() >= t) {
            break;
        }
        let v = judge(&offline.evaluate(&parameters), offline.jitp);
        findings.add(&parameters, v);
        progress(findings.cases);
    }
    finish(offline, &gens, findings, options, "offline")
}

/// The parameters that feed the thing name.
pub(crate) fn name_inputs(gens: &Generators) -> Vec<String> {
    gens.uses
        .iter()
        .filter(|(_, uses)| uses.iter().any(|u| u.sink == Sink::ThingName))
        .map(|(name, _)| name.clone())
        .collect()
}

/// The report, every class shrunk offline.
pub(crate) fn finish(
    offline: &Offline,
    gens: &Generators,
    findings: Findings,
    options: &Options,
    mode: &'static str,
) -> Report {
    let classes = findings
        .classes
        .iter()
        .map(|(id, (class, count, first, message))| {
            let (example, message) = shrunk(offline, id, first, message);
            ClassReport {
                id: id.clone(),
                error_code: class.error_code.clone(),
                status_code: class.status_code,
                fault: class.fault.clone(),
                property: property_of(gens, &class.fault),
                message_pattern: class.pattern.clone(),
                count: *count,
                allowed: report::allowed(&options.allow, id),
                example,
                message,
                confirmed: None,
            }
        })
        .collect();
    let empty_attributes = empty_attributes(offline, &findings, options);
    let mut out = Report {
        format: report::FORMAT,
        template: options.template.clone(),
        mode,
        provisioning: if offline.jitp { "jitp" } else { "fleet" },
        seed: options.seed,
        cases: findings.cases,
        passed: findings.passed,
        failed: findings.cases - findings.passed,
        pass_rate: report::rate(findings.passed, findings.cases),
        classes,
        parameters_that_never_matter: never_matter(offline, gens, options),
        collision_count: findings.collision_count,
        collisions_allowed: report::allowed(&options.allow, report::COLLISION_ID),
        collisions: findings.collisions,
        empty_attributes,
        new_findings: Vec::new(),
    };
    out.new_findings = new_findings(&out);
    out
}

/// The class `id`'s first example shrunk, and its message; unshrunk when the offline
/// engine does not reproduce it (a live-only class, such as a hook's).
fn shrunk(offline: &Offline, id: &str, first: &Parameters, message: &str) -> (Parameters, String) {
    let failing_as = |p: &Parameters| match offline.evaluate(p) {
        Outcome::Failed(e) => offline.class_of(&e).id == id,
        Outcome::Passed(_) => false,
    };
    if !failing_as(first) {
        return (first.clone(), message.to_string());
    }
    let small = shrink(first, failing_as);
    let message = match offline.evaluate(&small) {
        Outcome::Failed(e) => e.message,
        Outcome::Passed(_) => message.to_string(),
    };
    (small, message)
}

/// Each empty attribute with its shrunk example.
fn empty_attributes(
    offline: &Offline,
    findings: &Findings,
    options: &Options,
) -> Vec<EmptyAttribute> {
    let report_one = |(attribute, (count, first)): (&String, &(u64, Parameters))| {
        let empty = |p: &Parameters| match judge(&offline.evaluate(p), offline.jitp) {
            Verdict::Passed {
                empty_attributes, ..
            } => empty_attributes.contains(attribute),
            Verdict::Failed { .. } => false,
        };
        EmptyAttribute {
            attribute: attribute.clone(),
            count: *count,
            example: shrink(first, empty),
            allowed: report::allowed(&options.allow, &report::empty_attribute_id(attribute)),
        }
    };
    findings.empty.iter().map(report_one).collect()
}

/// Ids of findings no `--allow` covers.
pub(crate) fn new_findings(report: &Report) -> Vec<String> {
    let mut out: Vec<String> = report
        .classes
        .iter()
        .filter(|c| !c.allowed)
        .map(|c| c.id.clone())
        .collect();
    if report.collision_count > 0 && !report.collisions_allowed {
        out.push(report::COLLISION_ID.into());
    }
    for e in report.empty_attributes.iter().filter(|e| !e.allowed) {
        out.push(report::empty_attribute_id(&e.attribute));
    }
    out
}

/// The property a fault names: a parameter's first use, a mapping's use, or the
/// resource property of a field.
fn property_of(gens: &Generators, fault: &str) -> Option<String> {
    let uses = gens.uses.values().flatten();
    if let Some(name) = fault.strip_prefix("Parameters.") {
        let u = gens.uses.get(name)?.first()?;
        return Some(u.sink.describe(&u.resource));
    }
    if let Some(map) = fault.strip_prefix("Mappings.") {
        let mut it = uses.filter(|u| {
            u.via.iter().any(
                |v| matches!(v, super::trace::Via::FindInMapKey { map: Some(m), .. } if m == map),
            )
        });
        return it.next().map(|u| u.sink.describe(&u.resource));
    }
    let sink = match fault {
        "thingName" => Sink::ThingName,
        "thingTypeName" => Sink::ThingTypeName,
        "thingGroupName" => Sink::ThingGroup,
        "billingGroupName" => Sink::BillingGroup,
        "policyName" => Sink::PolicyName,
        _ => return None,
    };
    let mut it = gens.uses.values().flatten().filter(|u| u.sink == sink);
    it.next().map(|u| u.sink.describe(&u.resource))
}

/// Declared parameters whose value never changes the outcome: each is varied over its
/// interesting values (and left out) in the first sample cases.
fn never_matter(offline: &Offline, gens: &Generators, options: &Options) -> Vec<String> {
    let sample: Vec<Parameters> = cases(
        gens,
        &Options {
            cases: 24,
            ..options.clone()
        },
    )
    .collect();
    let signature = |p: &Parameters| match offline.evaluate(p) {
        Outcome::Passed(plan) => format!("{plan:?}"),
        Outcome::Failed(e) => offline.class_of(&e).id,
    };
    let mut out = Vec::new();
    for (name, values) in &gens.values {
        let matters = sample.iter().any(|case| {
            let original = signature(case);
            let mut variants: Vec<Option<&String>> = values.iter().take(12).map(Some).collect();
            variants.push(None);
            variants.into_iter().any(|v| {
                let mut p = case.clone();
                match v {
                    Some(v) => p.insert(name.clone(), v.clone()),
                    None => p.remove(name),
                };
                signature(&p) != original
            })
        });
        if !matters {
            out.push(name.clone());
        }
    }
    out
}
