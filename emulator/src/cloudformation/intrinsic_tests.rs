//! Intrinsic functions and conditions against a stand-in stack.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::intrinsic::{resolve, Pseudo, Resolver, Scope};
use super::params::ParamValue;
use super::{conditions, read_template};

struct Made;

impl Resolver for Made {
    fn resource_ref(&self, id: &str) -> Option<Value> {
        (id == "Fn" || id == "Policy").then(|| Value::String(format!("{id}-physical")))
    }
    fn resource_attr(&self, id: &str, attribute: &str) -> Option<Value> {
        (id == "Fn" && attribute == "Arn")
            .then(|| json!("arn:aws:lambda:ap-northeast-1:123456789012:function:fn"))
    }
    fn import(&self, name: &str) -> Option<String> {
        (name == "Shared").then(|| "exported".to_string())
    }
}

fn pseudo() -> Pseudo {
    Pseudo {
        account_id: "123456789012".into(),
        region: "ap-northeast-1".into(),
        partition: "aws".into(),
        url_suffix: "amazonaws.com".into(),
        stack_name: "otameshi".into(),
        stack_id: "arn:aws:cloudformation:ap-northeast-1:123456789012:stack/otameshi/1".into(),
    }
}

fn eval(value: Value, conditions: &BTreeMap<String, bool>) -> Result<Option<Value>, String> {
    let params = BTreeMap::from([
        (
            "Prefix".to_string(),
            ParamValue {
                value: "claim".into(),
                no_echo: false,
                is_list: false,
            },
        ),
        (
            "Ids".to_string(),
            ParamValue {
                value: "a,b".into(),
                no_echo: false,
                is_list: true,
            },
        ),
    ]);
    let mappings: Map<String, Value> = json!({"M": {"ap-northeast-1": {"Ami": "x"}}})
        .as_object()
        .unwrap()
        .clone();
    let p = pseudo();
    let scope = Scope {
        params: &params,
        pseudo: &p,
        mappings: &mappings,
        conditions,
        resources: &Made,
    };
    resolve(&value, &scope).map_err(|e| e.to_string())
}

fn ok(value: Value) -> Value {
    eval(value, &BTreeMap::from([("Yes".to_string(), true)]))
        .unwrap()
        .unwrap()
}

#[test]
fn sub_with_escapes_pseudo_parameters_and_attributes() {
    let policy = json!({"Fn::Sub": "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:client/${!iot:Connection.Thing.ThingName}"});
    assert_eq!(
        ok(policy),
        "arn:aws:iot:ap-northeast-1:123456789012:client/${iot:Connection.Thing.ThingName}"
    );
    assert_eq!(
        ok(json!({"Fn::Sub": "${Prefix}-${Fn.Arn}"})),
        "claim-arn:aws:lambda:ap-northeast-1:123456789012:function:fn"
    );
    assert_eq!(
        ok(json!({"Fn::Sub": ["${x}/${Fn}", {"x": {"Ref": "Prefix"}}]})),
        "claim/Fn-physical"
    );
    let bad = eval(json!({"Fn::Sub": "${Nope}"}), &BTreeMap::new()).unwrap_err();
    assert!(
        bad.contains("Unresolved resource dependencies [Nope]"),
        "{bad}"
    );
}

#[test]
fn list_functions_and_selection() {
    assert_eq!(ok(json!({"Fn::Join": [",", {"Ref": "Ids"}]})), "a,b");
    assert_eq!(
        ok(json!({"Fn::Select": ["1", {"Fn::Split": ["/", "x/y/z"]}]})),
        "y"
    );
    assert_eq!(ok(json!({"Fn::Length": {"Ref": "Ids"}})), 2);
    assert_eq!(
        ok(json!({"Fn::FindInMap": ["M", {"Ref": "AWS::Region"}, "Ami"]})),
        "x"
    );
    assert_eq!(ok(json!({"Fn::ImportValue": "Shared"})), "exported");
    assert_eq!(ok(json!({"Fn::Base64": "hi"})), "aGk=");
    assert_eq!(ok(json!({"Fn::GetAZs": ""}))[0], "ap-northeast-1a");
    assert_eq!(ok(json!({"Fn::ToJsonString": {"a": [1]}})), "{\"a\":[1]}");
}

#[test]
fn if_drops_properties_with_no_value() {
    let v = ok(
        json!({"A": {"Fn::If": ["Yes", {"Ref": "AWS::NoValue"}, 1]}, "B": [1, {"Ref": "AWS::NoValue"}]}),
    );
    assert_eq!(v, json!({"B": [1]}));
    assert!(eval(json!({"Fn::If": ["Unknown", 1, 2]}), &BTreeMap::new()).is_err());
    assert!(
        eval(json!({"Fn::Cidr": ["10.0.0.0/16", 2, 8]}), &BTreeMap::new())
            .unwrap_err()
            .contains("not supported")
    );
}

#[test]
fn conditions_use_parameters_and_each_other() {
    let params = BTreeMap::from([(
        "Env".to_string(),
        ParamValue {
            value: "prod".into(),
            no_echo: false,
            is_list: false,
        },
    )]);
    let p = pseudo();
    let none = BTreeMap::new();
    let mappings = Map::new();
    let scope = Scope {
        params: &params,
        pseudo: &p,
        mappings: &mappings,
        conditions: &none,
        resources: &Made,
    };
    let defs = json!({
        "NotDev": {"Fn::Not": [{"Condition": "IsDev"}]},
        "IsDev": {"Fn::Equals": [{"Ref": "Env"}, "dev"]},
        "Both": {"Fn::And": [{"Condition": "NotDev"}, {"Fn::Equals": [{"Ref": "AWS::Region"}, "ap-northeast-1"]}]},
    });
    let held = conditions::evaluate(defs.as_object().unwrap(), &scope).unwrap();
    assert_eq!(
        held,
        BTreeMap::from([
            ("Both".into(), true),
            ("IsDev".into(), false),
            ("NotDev".into(), true)
        ])
    );
}

#[test]
fn templates_read_with_their_transforms() {
    let sam = "Transform: [AWS::Serverless-2016-10-31, AWS::LanguageExtensions]\n\
               Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      InlineCode: x\n      Handler: a.b\n      Runtime: python3.12\n";
    let t = read_template(sam).unwrap();
    let kinds: Vec<&str> = t.resources.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["AWS::Lambda::Function", "AWS::IAM::Role"]);
    let include = "Transform: AWS::Include\nResources:\n  A: {Type: AWS::IoT::Thing}\n";
    assert!(read_template(include)
        .unwrap_err()
        .to_string()
        .contains("AWS::Include"));
    let for_each = "Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Things:\n    - T\n    - [a]\n    - Thing${T}:\n        Type: AWS::IoT::Thing\n";
    let e = read_template(for_each).unwrap_err().to_string();
    assert!(e.contains("Fn::ForEach"), "{e}");
}
