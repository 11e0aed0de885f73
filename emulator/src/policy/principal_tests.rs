//! Tests of the registry side: thing association, group inheritance, overrides, and that
//! a policy change takes effect on the next check.

use super::*;
use crate::registry::testing::{insert_certificate, registry_at};
use crate::registry::thing_group_members::MembershipInput;
use crate::registry::thing_ops::CreateThingInput;
use crate::registry::thing_principal::EXCLUSIVE;

const CERT: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
const ARN: &str = "arn:aws:iot:us-east-1:123456789012";

fn policy(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#).replace("ARN", ARN)
}

fn allow(action: &str, resource: &str) -> String {
    policy(&format!(
        r#"{{"Effect":"Allow","Action":"{action}","Resource":"ARN:{resource}"}}"#
    ))
}

fn setup() -> (Registry, String) {
    let reg = registry_at(0);
    let cert = insert_certificate(&reg, CERT);
    (reg, cert)
}

fn ok(reg: &Registry, client_id: &str, action: &str, resource: &str) -> bool {
    let vars = CertificateVars::default();
    let p = Principal::mqtt(CERT, client_id, &vars);
    authorize(reg, &p, action, &format!("{ARN}:{resource}"))
}

fn thing(reg: &Registry, name: &str, cert: &str, kind: Option<&str>) {
    reg.create_thing(name, CreateThingInput::default()).unwrap();
    reg.attach_thing_principal(name, cert, kind).unwrap();
}

fn join(reg: &Registry, thing: &str, group: &str) {
    let input = MembershipInput {
        thing_group_name: Some(group.into()),
        thing_name: Some(thing.into()),
        ..Default::default()
    };
    reg.add_thing_to_thing_group(&input).unwrap();
}

#[test]
fn certificate_policies_and_changes_take_effect_at_once() {
    let (reg, cert) = setup();
    assert!(!ok(&reg, "c", "iot:Connect", "client/c"), "default deny");
    reg.create_policy("p", &allow("iot:Connect", "client/c"))
        .unwrap();
    assert!(
        !ok(&reg, "c", "iot:Connect", "client/c"),
        "not attached yet"
    );
    reg.attach_policy("p", &cert).unwrap();
    assert!(ok(&reg, "c", "iot:Connect", "client/c"));
    assert!(!ok(&reg, "d", "iot:Connect", "client/d"));
    reg.create_policy_version("p", &allow("iot:Connect", "client/d"), true)
        .unwrap();
    assert!(
        !ok(&reg, "c", "iot:Connect", "client/c"),
        "new default version"
    );
    assert!(ok(&reg, "d", "iot:Connect", "client/d"));
    reg.set_default_policy_version("p", "1").unwrap();
    assert!(ok(&reg, "c", "iot:Connect", "client/c"));
    reg.detach_policy("p", &cert).unwrap();
    assert!(!ok(&reg, "c", "iot:Connect", "client/c"), "detached");
}

#[test]
fn group_policies_reach_things_in_child_groups() {
    let (reg, cert) = setup();
    reg.create_thing_group("root", None, None).unwrap();
    reg.create_thing_group("leaf", Some("root"), None).unwrap();
    thing(&reg, "dev1", &cert, None);
    join(&reg, "dev1", "leaf");
    reg.create_policy("root-p", &allow("iot:Publish", "topic/a"))
        .unwrap();
    reg.attach_policy("root-p", &reg.account().thing_group_arn("root"))
        .unwrap();
    assert!(ok(&reg, "dev1", "iot:Publish", "topic/a"));
    // A client id that is not the thing's name gets no group policies.
    assert!(!ok(&reg, "other", "iot:Publish", "topic/a"));
    let names = effective_policies(&reg, Identity::Certificate(CERT), Some("dev1")).unwrap();
    assert_eq!(
        names.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["root-p"]
    );
    let e = effective_policies(&reg, Identity::Certificate(CERT), Some("nope")).unwrap_err();
    assert_eq!(e.kind, crate::registry::ErrorKind::ResourceNotFound);
    let by_group = effective_policies(&reg, Identity::ThingGroup("leaf"), None).unwrap();
    assert_eq!(by_group.len(), 1);
}

#[test]
fn exclusive_attachment_associates_any_client_id() {
    let (reg, cert) = setup();
    thing(&reg, "dev1", &cert, Some(EXCLUSIVE));
    reg.create_policy(
        "p",
        &policy(
            r#"{"Effect":"Allow","Action":"iot:Publish","Resource":"ARN:topic/${iot:Connection.Thing.ThingName}",
                "Condition":{"Bool":{"iot:Connection.Thing.IsAttached":"true"}}}"#,
        ),
    )
    .unwrap();
    reg.attach_policy("p", &cert).unwrap();
    assert!(ok(&reg, "whatever", "iot:Publish", "topic/dev1"));
    assert!(!ok(&reg, "whatever", "iot:Publish", "topic/whatever"));
}

#[test]
fn non_exclusive_thing_needs_matching_client_id() {
    let (reg, cert) = setup();
    thing(&reg, "dev1", &cert, None);
    reg.create_policy(
        "p",
        &policy(r#"{"Effect":"Allow","Action":"iot:Connect","Resource":"ARN:client/${iot:Connection.Thing.ThingName}"}"#),
    )
    .unwrap();
    reg.attach_policy("p", &cert).unwrap();
    assert!(ok(&reg, "dev1", "iot:Connect", "client/dev1"));
    assert!(!ok(&reg, "dev2", "iot:Connect", "client/dev1"));
    reg.detach_thing_principal("dev1", &cert).unwrap();
    assert!(
        !ok(&reg, "dev1", "iot:Connect", "client/dev1"),
        "detached thing"
    );
}

#[test]
fn evaluate_names_policies_and_applies_overrides() {
    let (reg, cert) = setup();
    reg.create_policy("allow", &allow("iot:*", "*")).unwrap();
    let deny = policy(r#"{"Effect":"Deny","Action":"iot:Publish","Resource":"ARN:topic/x"}"#);
    reg.create_policy("deny", &deny).unwrap();
    reg.attach_policy("allow", &cert).unwrap();
    reg.attach_policy("deny", &cert).unwrap();
    let vars = CertificateVars::default();
    let p = Principal::mqtt(CERT, "c", &vars);
    let resource = format!("{ARN}:topic/x");
    let request = [Request {
        action: "iot:Publish",
        resource: &resource,
    }];
    let e = evaluate(&reg, &p, Overrides::default(), &request).unwrap();
    assert_eq!(e[0].decision(), eval::Decision::ExplicitDeny);
    let skip = ["deny".to_string()];
    let overrides = Overrides {
        add: &[],
        skip: &skip,
    };
    let e = evaluate(&reg, &p, overrides, &request).unwrap();
    assert_eq!(e[0].decision(), eval::Decision::Allowed);
    let missing = Principal {
        identity: Identity::Certificate("ff"),
        ..p
    };
    assert!(evaluate(&reg, &missing, Overrides::default(), &request).is_err());
}

#[test]
fn a_cached_principal_sees_every_change() {
    let (reg, cert) = setup();
    let vars = CertificateVars::default();
    let p = Principal::mqtt(CERT, "watcher", &vars);
    let cache = AuthorizationCache::default();
    let resource = format!("{ARN}:topic/t/x");
    let check = |want: bool, why: &str| {
        let plain = authorize(&reg, &p, "iot:Receive", &resource);
        assert_eq!(plain, want, "uncached: {why}");
        let cached = authorize_cached(&reg, &cache, &p, "iot:Receive", &resource);
        assert_eq!(cached, want, "cached: {why}");
    };
    check(false, "nothing attached");
    reg.create_policy("r", &allow("iot:Receive", "topic/t/*"))
        .unwrap();
    check(false, "not attached yet");
    reg.attach_policy("r", &cert).unwrap();
    check(true, "attached");
    reg.detach_policy("r", &cert).unwrap();
    check(false, "detached");
    thing(&reg, "watcher", &cert, None);
    reg.create_thing_group("g", None, None).unwrap();
    let group = reg.account().thing_group_arn("g");
    reg.attach_policy("r", &group).unwrap();
    check(false, "the thing is not in the group");
    join(&reg, "watcher", "g");
    check(true, "through the thing's group");
    reg.create_policy_version("r", &allow("iot:Receive", "topic/u/*"), true)
        .unwrap();
    check(false, "a new default version");
    reg.set_default_policy_version("r", "1").unwrap();
    check(true, "the first version again");
    reg.detach_policy("r", &group).unwrap();
    check(false, "detached from the group");
}
