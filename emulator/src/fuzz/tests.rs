//! The engine on templates built to show each finding: Fn::Split feeding Fn::Select
//! (out-of-range indexes), an attribute set from a parameter (empty attributes), a thing
//! name that drops part of its input (collisions), a parameter nobody reads, and a
//! missing thing group; the public strategy drives a proptest of its own.

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::provisioning::template::Template;

fn template(body: serde_json::Value) -> Template {
    Template::parse(&body.to_string()).expect("template")
}

fn offline_report(t: &Template, cases: u64) -> Report {
    let offline = Offline::new(t.clone(), empty_registry(), None);
    let options = Options {
        cases,
        seed: 11,
        ..Options::default()
    };
    run_offline(&offline, &options, &mut |_| {})
}

fn ids(r: &Report) -> Vec<&str> {
    r.classes.iter().map(|c| c.id.as_str()).collect()
}

/// The thing name is the first part of `Serial` split on `-`; `Colour` is an attribute;
/// `Unused` is declared and never referenced.
fn split_select() -> Template {
    template(json!({
        "Parameters": {"Serial": {"Type": "String"}, "Colour": {"Type": "String"},
            "Unused": {"Type": "String", "Default": "x"}},
        "Resources": {"thing": {"Type": "AWS::IoT::Thing", "Properties": {
            "ThingName": {"Fn::Select": ["1", {"Fn::Split": ["-", {"Ref": "Serial"}]}]},
            "AttributePayload": {"colour": {"Ref": "Colour"}}}}}
    }))
}

#[test]
fn split_select_collisions_empty_attributes_and_unused_parameters() {
    let t = split_select();
    let uses = uses(&t);
    let via = &uses["Serial"][0].via;
    assert_eq!(
        via,
        &vec![Via::SplitInput {
            delimiter: "-".into()
        }]
    );
    let r = offline_report(&t, 2000);
    assert!(
        ids(&r).contains(&"InvalidParameters:Fn::Select:out-of-bounds"),
        "{:?}",
        ids(&r)
    );
    let select = r
        .classes
        .iter()
        .find(|c| c.fault == "Fn::Select")
        .expect("select class");
    assert!(!select.example["Serial"].contains('-'), "{select:?}");
    assert!(
        r.collision_count > 0,
        "a-b and c-b provision the same thing"
    );
    assert!(r.empty_attributes.iter().any(|e| e.attribute == "colour"));
    assert_eq!(r.parameters_that_never_matter, vec!["Unused".to_string()]);
    assert!(r.new_findings.contains(&COLLISION_ID.to_string()));
    assert!(r.new_findings.contains(&empty_attribute_id("colour")));
}

#[test]
fn missing_groups_fail_unless_the_registry_has_them() {
    let t = template(json!({
        "Parameters": {"Group": {"Type": "String"}},
        "Resources": {"thing": {"Type": "AWS::IoT::Thing", "Properties": {
            "ThingName": "fixed", "ThingGroups": [{"Ref": "Group"}]}}}
    }));
    let example = Parameters::from([("Group".to_string(), "fleet".to_string())]);
    let empty = Offline::new(t.clone(), empty_registry(), None);
    let e = empty.evaluate(&example);
    let Outcome::Failed(e) = e else {
        panic!("{e:?}")
    };
    assert_eq!(classify(&e).id, "InvalidRequest:thingGroupName:not-found");
    let registry = empty_registry();
    registry
        .create_thing_group("fleet", None, None)
        .expect("group");
    let known = Offline::new(t, registry, None);
    assert!(known.evaluate(&example).plan().is_some());
    assert!(
        known.evaluate(&example).plan().is_some(),
        "the dry run kept nothing"
    );
}

#[test]
fn the_same_seed_gives_the_same_cases() {
    let t = split_select();
    let gens = Generators::new(&t);
    let options = Options {
        cases: 300,
        seed: 4,
        ..Options::default()
    };
    let a: Vec<Parameters> = cases(&gens, &options).collect();
    let b: Vec<Parameters> = cases(&gens, &options).collect();
    assert_eq!(a, b);
    let other: Vec<Parameters> = cases(&gens, &Options { seed: 5, ..options }).collect();
    assert_ne!(a, other);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The library use: a user's property over the generated maps.
    #[test]
    fn every_generated_map_gets_a_verdict(p in Generators::new(&split_select()).strategy(None)) {
        let offline = Offline::new(split_select(), empty_registry(), None);
        match verdict(&offline.evaluate(&p)) {
            Verdict::Failed { class, .. } => prop_assert!(!class.id.is_empty()),
            Verdict::Passed { thing_name, .. } => prop_assert!(thing_name.is_some()),
        }
    }
}
