//! Table tests of the evaluator over the examples of spec §A (A.1–A.5) and the
//! policy-escape cases.

use std::collections::BTreeMap;

use super::*;
use crate::policy::context::{Context, ThingFacts};
use crate::policy::document::parse;

const ARN: &str = "arn:aws:iot:us-east-1:123456789012";

fn doc(statements: &str) -> PolicyDocument {
    let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
    parse(&text.replace("ARN", ARN)).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn res(kind_name: &str) -> String {
    format!("{ARN}:{kind_name}")
}

/// `(policy statements, action, resource, context, expected decision)`.
fn check(statements: &str, action: &str, resource: &str, ctx: &Context<'_>) -> Decision {
    let d = doc(statements);
    let resource = res(resource);
    let request = Request {
        action,
        resource: &resource,
    };
    let evaluation = evaluate([("p", &d)], request, ctx);
    assert_eq!(
        allows([&d], request, ctx),
        evaluation.is_allowed(),
        "allows() and evaluate() disagree"
    );
    evaluation.decision()
}

fn client(id: &str) -> Context<'_> {
    Context {
        client_id: Some(id),
        thing_keys: true,
        ..Context::default()
    }
}

use Decision::{Allowed as A, ExplicitDeny as X, ImplicitDeny as I};

#[test]
fn allow_deny_and_default_deny() {
    let c = client("c1");
    let allow_all = r#"{"Effect":"Allow","Action":"iot:*","Resource":"*"}"#;
    let table: &[(&str, &str, &str, Decision)] = &[
        (allow_all, "iot:Publish", "topic/a", A),
        (allow_all, "iot:Connect", "client/c1", A),
        (
            r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#,
            "iot:Receive",
            "topic/x",
            A,
        ),
        (
            r#"{"Effect":"Allow","Action":"iot:Publish","Resource":"ARN:topic/a"}"#,
            "iot:Receive",
            "topic/a",
            I,
        ),
        (
            r#"{"Effect":"Allow","Action":["iot:Publish","iot:Receive"],"Resource":"ARN:topic/a"}"#,
            "iot:Receive",
            "topic/a",
            A,
        ),
        (
            r#"{"Effect":"Allow","Action":"iot:publish","Resource":"ARN:topic/a"}"#,
            "iot:Publish",
            "topic/a",
            A,
        ),
        (
            r#"{"Effect":"Allow","Action":"iot:*","Resource":"arn:aws:iot:*:*:topic/a"}"#,
            "iot:Publish",
            "topic/a",
            A,
        ),
        (
            r#"{"Effect":"Allow","NotAction":"iot:Publish","Resource":"*"}"#,
            "iot:Publish",
            "topic/a",
            I,
        ),
        (
            r#"{"Effect":"Allow","NotAction":"iot:Publish","Resource":"*"}"#,
            "iot:Receive",
            "topic/a",
            A,
        ),
        (
            r#"{"Effect":"Allow","Action":"iot:*","Resource":"*"},{"Effect":"Deny","Action":"iot:Publish","Resource":"ARN:topic/secret"}"#,
            "iot:Publish",
            "topic/secret",
            X,
        ),
        (
            r#"{"Effect":"Allow","Action":"iot:*","Resource":"*"},{"Effect":"Deny","Action":"iot:Publish","Resource":"ARN:topic/secret"}"#,
            "iot:Publish",
            "topic/open",
            A,
        ),
        (
            r#"{"Effect":"Deny","Action":"iot:Publish","Resource":"ARN:topic/secret"}"#,
            "iot:Publish",
            "topic/open",
            I,
        ),
        // Resource ARNs are case-sensitive.
        (
            r#"{"Effect":"Allow","Action":"iot:Publish","Resource":"ARN:topic/A"}"#,
            "iot:Publish",
            "topic/a",
            I,
        ),
    ];
    for (statements, action, resource, want) in table {
        assert_eq!(
            check(statements, action, resource, &c),
            *want,
            "{statements} {action} {resource}"
        );
    }
}

#[test]
fn explicit_deny_in_one_policy_beats_allow_in_another() {
    let allow = doc(r#"{"Effect":"Allow","Action":"iot:*","Resource":"*"}"#);
    let deny = doc(r#"{"Effect":"Deny","Action":"iot:Receive","Resource":"ARN:topic/a/*"}"#);
    let resource = res("topic/a/b");
    let request = Request {
        action: "iot:Receive",
        resource: &resource,
    };
    let e = evaluate([("allow", &allow), ("deny", &deny)], request, &client("c"));
    assert_eq!(e.decision(), X);
    assert_eq!(
        (e.allowed, e.denied),
        (vec!["allow".to_string()], vec!["deny".to_string()])
    );
    assert!(!allows([&allow, &deny], request, &client("c")));
    assert_eq!(evaluate([], request, &client("c")).decision(), I);
}

#[test]
fn wildcards_and_mqtt_characters() {
    // Spec A.3: `*` spans levels, `?` one character, `+`/`#` are literal in policies.
    let c = client("c");
    let sub = |r: &str| {
        format!(r#"{{"Effect":"Allow","Action":"iot:Subscribe","Resource":"ARN:topicfilter/{r}"}}"#)
    };
    let table: &[(String, &str, Decision)] = &[
        (sub("some/+/topic"), "topicfilter/some/+/topic", A),
        (sub("some/+/topic"), "topicfilter/some/x/topic", I),
        (sub("some/*/topic"), "topicfilter/some/+/topic", A),
        (sub("some/*/topic"), "topicfilter/some/a/b/topic", A),
        (sub("a/*"), "topicfilter/#", I),
        (sub("a/*"), "topicfilter/a/#", A),
        (sub("a/*"), "topicfilter/+/b", I),
        (sub("a/b"), "topicfilter/a/+", I),
        (sub("a/b"), "topicfilter/#", I),
        (sub("a/??"), "topicfilter/a/bc", A),
        (sub("a/??"), "topicfilter/a/b", I),
        (
            sub("$share/*/test/topic"),
            "topicfilter/$share/g1/test/topic",
            A,
        ),
        (sub("${*}"), "topicfilter/*", A),
        (sub("${*}"), "topicfilter/x", I),
    ];
    for (statements, resource, want) in table {
        assert_eq!(
            check(statements, "iot:Subscribe", resource, &c),
            *want,
            "{statements} {resource}"
        );
    }
}

#[test]
fn subscribe_deny_does_not_stop_receive_but_receive_deny_does() {
    // Spec A.3: deny Subscribe on a/restricted/* still lets `a/#` through; Receive is the
    // per-delivery gate (AWS's NotResource pattern).
    let c = client("c");
    let subscribe_deny = r#"{"Effect":"Allow","Action":["iot:Subscribe","iot:Receive"],"Resource":"*"},
        {"Effect":"Deny","Action":"iot:Subscribe","Resource":"ARN:topicfilter/a/restricted/*"}"#;
    assert_eq!(
        check(subscribe_deny, "iot:Subscribe", "topicfilter/a/#", &c),
        A
    );
    assert_eq!(
        check(
            subscribe_deny,
            "iot:Subscribe",
            "topicfilter/a/restricted/x",
            &c
        ),
        X
    );
    assert_eq!(
        check(subscribe_deny, "iot:Receive", "topic/a/restricted/x", &c),
        A
    );
    let not_resource = r#"{"Effect":"Allow","Action":"iot:Subscribe","Resource":"*"},
        {"Effect":"Allow","Action":"iot:Receive","NotResource":"ARN:topic/a/restricted/*"}"#;
    assert_eq!(
        check(not_resource, "iot:Receive", "topic/a/restricted/x", &c),
        I
    );
    assert_eq!(check(not_resource, "iot:Receive", "topic/a/open", &c), A);
    let deny_not = r#"{"Effect":"Allow","Action":"iot:*","Resource":"*"},
        {"Effect":"Deny","Action":"iot:Receive","NotResource":["arn:aws:iot:*:*:topic/a/*"]}"#;
    assert_eq!(check(deny_not, "iot:Receive", "topic/b", &c), X);
    assert_eq!(check(deny_not, "iot:Receive", "topic/a/b", &c), A);
}

#[test]
fn client_id_variable_is_literal() {
    // A client id holding `*`, `?`, `+` or `#` never widens a policy (spec A.4): the
    // value is text, except that MQTT's own wildcards in a subscribe filter stay
    // wildcards for the broker, as AWS warns.
    let own = r#"{"Effect":"Allow","Action":["iot:Connect"],"Resource":"ARN:client/${iot:ClientId}"},
        {"Effect":"Allow","Action":["iot:Publish","iot:Receive"],"Resource":"ARN:topic/dev/${iot:ClientId}/*"},
        {"Effect":"Allow","Action":"iot:Subscribe","Resource":"ARN:topicfilter/dev/${iot:ClientId}/*"}"#;
    let table: &[(&str, &str, &str, Decision)] = &[
        ("a", "iot:Publish", "topic/dev/a/x", A),
        ("a", "iot:Publish", "topic/dev/b/x", I),
        ("a*", "iot:Publish", "topic/dev/abc/x", I),
        ("a*", "iot:Publish", "topic/dev/a*/x", A),
        ("?", "iot:Publish", "topic/dev/b/x", I),
        ("*", "iot:Receive", "topic/dev/other/x", I),
        ("+", "iot:Subscribe", "topicfilter/dev/+/x", A),
        ("+", "iot:Subscribe", "topicfilter/dev/a/x", I),
        ("#", "iot:Subscribe", "topicfilter/dev/a/x", I),
        ("a", "iot:Connect", "client/a", A),
        ("a*", "iot:Connect", "client/abc", I),
    ];
    for (id, action, resource, want) in table {
        assert_eq!(
            check(own, action, resource, &client(id)),
            *want,
            "{id} {action} {resource}"
        );
    }
    // `client/*` allows any id, wildcard characters included.
    let any = r#"{"Effect":"Allow","Action":"iot:Connect","Resource":"ARN:client/*"}"#;
    for id in ["*", "+", "#", "a/b", ""] {
        assert_eq!(
            check(any, "iot:Connect", &format!("client/{id}"), &client(id)),
            A
        );
    }
    let exact = r#"{"Effect":"Allow","Action":"iot:Connect","Resource":"ARN:client/dev-1"}"#;
    for id in ["*", "dev-?", "dev-+"] {
        assert_eq!(
            check(exact, "iot:Connect", &format!("client/{id}"), &client(id)),
            I
        );
    }
}

fn thing() -> ThingFacts {
    ThingFacts {
        name: "t1".into(),
        type_name: Some("sensor".into()),
        attributes: BTreeMap::from([("room".into(), "r1".into())]),
    }
}

#[test]
fn thing_variables_and_is_attached() {
    let t = thing();
    let attached = Context {
        thing: Some(&t),
        ..client("t1")
    };
    let unattached = client("t1");
    let connect = r#"{"Effect":"Allow","Action":"iot:Connect","Resource":"ARN:client/${iot:Connection.Thing.ThingName}",
        "Condition":{"Bool":{"iot:Connection.Thing.IsAttached":"true"}}}"#;
    assert_eq!(check(connect, "iot:Connect", "client/t1", &attached), A);
    assert_eq!(check(connect, "iot:Connect", "client/t1", &unattached), I);
    let not_attached = r#"{"Effect":"Allow","Action":"iot:Connect","Resource":"*",
        "Condition":{"Bool":{"iot:Connection.Thing.IsAttached":"false"}}}"#;
    assert_eq!(
        check(not_attached, "iot:Connect", "client/t1", &unattached),
        A
    );
    let typed = r#"{"Effect":"Allow","Action":"iot:Publish","Resource":"ARN:topic/${iot:Connection.Thing.ThingTypeName}/${iot:Connection.Thing.Attributes[room]}"}"#;
    assert_eq!(check(typed, "iot:Publish", "topic/sensor/r1", &attached), A);
    assert_eq!(
        check(typed, "iot:Publish", "topic/sensor/r1", &unattached),
        I
    );
    // An unresolvable variable makes a Deny statement not apply either.
    let deny = r#"{"Effect":"Allow","Action":"iot:*","Resource":"*"},
        {"Effect":"Deny","Action":"iot:Publish","NotResource":"ARN:topic/${iot:Connection.Thing.ThingName}/*"}"#;
    assert_eq!(check(deny, "iot:Publish", "topic/other", &attached), X);
    assert_eq!(check(deny, "iot:Publish", "topic/t1/x", &attached), A);
    assert_eq!(check(deny, "iot:Publish", "topic/other", &unattached), A);
    // Missing keys are reported (TestAuthorization's missingContextValues).
    let d = doc(typed);
    let resource = res("topic/sensor/r1");
    let e = evaluate(
        [("p", &d)],
        Request {
            action: "iot:Publish",
            resource: &resource,
        },
        &unattached,
    );
    assert_eq!(e.missing, vec!["iot:Connection.Thing.ThingTypeName"]);
}

#[test]
fn certificate_variables() {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "dev-7");
    let pem = params.self_signed(&key).unwrap().pem();
    let vars = crate::policy::certvars::CertificateVars::from_pem(&pem);
    let ctx = Context {
        certificate: Some(&vars),
        certificate_id: Some("abc"),
        ..client("x")
    };
    let by_cn = r#"{"Effect":"Allow","Action":"iot:Publish","Resource":"ARN:topic/${iot:Certificate.Subject.CommonName}/*"}"#;
    assert_eq!(check(by_cn, "iot:Publish", "topic/dev-7/a", &ctx), A);
    assert_eq!(check(by_cn, "iot:Publish", "topic/dev-8/a", &ctx), I);
    let by_id =
        r#"{"Effect":"Allow","Action":"iot:Publish","Resource":"ARN:topic/${iot:CertificateId}"}"#;
    assert_eq!(check(by_id, "iot:Publish", "topic/abc", &ctx), A);
    let second = r#"{"Effect":"Allow","Action":"iot:Publish","Resource":"ARN:topic/${iot:Certificate.Subject.CommonName.1}"}"#;
    assert_eq!(check(second, "iot:Publish", "topic/dev-7", &ctx), I);
}

#[test]
fn connect_attributes_and_last_will() {
    let extra = vec![
        (
            "iot:ConnectAttributes".to_string(),
            vec!["PersistentConnect".to_string()],
        ),
        ("iot:LastWillTopic".to_string(), vec![res("topic/will/c")]),
    ];
    let ctx = Context {
        extra: &extra,
        ..client("c")
    };
    let only_clean = r#"{"Effect":"Allow","Action":"iot:Connect","Resource":"*",
        "Condition":{"ForAllValues:StringNotEquals":{"iot:ConnectAttributes":["PersistentConnect"]}}}"#;
    assert_eq!(check(only_clean, "iot:Connect", "client/c", &ctx), I);
    assert_eq!(
        check(only_clean, "iot:Connect", "client/c", &client("c")),
        A
    );
    let persistent = r#"{"Effect":"Allow","Action":"iot:Connect","Resource":"*",
        "Condition":{"ForAnyValue:StringEquals":{"iot:ConnectAttributes":["PersistentConnect"]}}}"#;
    assert_eq!(check(persistent, "iot:Connect", "client/c", &ctx), A);
    let will = r#"{"Effect":"Allow","Action":"iot:Connect","Resource":"*",
        "Condition":{"StringEquals":{"iot:LastWillTopic":"ARN:topic/will/${iot:ClientId}"}}}"#;
    assert_eq!(check(will, "iot:Connect", "client/c", &ctx), A);
    assert_eq!(check(will, "iot:Connect", "client/d", &client("c")), I);
}

#[test]
fn variables_need_version_2012_10_17() {
    let text = r#"{"Statement":{"Effect":"Allow","Action":"iot:Publish","Resource":"arn:aws:iot:us-east-1:123456789012:topic/${iot:ClientId}"}}"#;
    let d = parse(text).unwrap();
    let literal = res("topic/${iot:ClientId}");
    let c = client("c");
    assert!(allows(
        [&d],
        Request {
            action: "iot:Publish",
            resource: &literal
        },
        &c
    ));
    let substituted = res("topic/c");
    assert!(!allows(
        [&d],
        Request {
            action: "iot:Publish",
            resource: &substituted
        },
        &c
    ));
}
