//! What CreateProvisioningTemplate refuses: unsupported sections, functions, resource
//! types, properties and overrides, and malformed intrinsic calls.

use serde_json::{json, Value};

use super::*;

#[test]
fn parse_refusals() {
    let thing = json!({"Type": "AWS::IoT::Thing", "Properties": {"ThingName": "t"}});
    let with_resource = |r: Value| json!({"Resources": {"r": r}});
    let with_dc = |v: Value| json!({"Resources": {}, "DeviceConfiguration": {"k": v}});
    let bodies: Vec<Value> = vec![
        json!([]),
        json!({}),
        json!({"Resources": []}),
        json!({"Resources": {}, "Conditions": {}}),
        json!({"Resources": {}, "Outputs": {}}),
        json!({"Resources": {}, "AWSTemplateFormatVersion": "2010-09-09"}),
        json!({"Resources": {}, "Parameters": {"P": {"Type": "Number"}}}),
        json!({"Resources": {}, "Parameters": {"P": {"Type": "String", "Default": 1}}}),
        json!({"Resources": {}, "Parameters": {"P": {"Type": "String", "AllowedValues": []}}}),
        json!({"Resources": {}, "Mappings": {"M": {"a": {"x": {"Ref": "P"}}}}}),
        json!({"Resources": {}, "Mappings": {"M": {"a": "x"}}}),
        with_resource(json!({"Type": "AWS::S3::Bucket"})),
        with_resource(json!({"Properties": {}})),
        with_resource(json!({"Type": "AWS::IoT::Thing", "Properties": {}})),
        with_resource(
            json!({"Type": "AWS::IoT::Thing", "DependsOn": "x", "Properties": {"ThingName": "t"}}),
        ),
        with_resource(
            json!({"Type": "AWS::IoT::Thing", "Properties": {"ThingName": "t", "Color": "red"}}),
        ),
        with_resource(
            json!({"Type": "AWS::IoT::Thing", "Properties": {"ThingName": {"Fn::If": ["c", "a", "b"]}}}),
        ),
        with_resource(
            json!({"Type": "AWS::IoT::Thing", "Properties": {"ThingName": {"Fn::GetAtt": ["a", "b"]}}}),
        ),
        with_resource(json!({"Type": "AWS::IoT::Thing", "Properties": {"ThingName": {"Ref": 1}}})),
        with_resource(
            json!({"Type": "AWS::IoT::Thing", "Properties": {"ThingName": {"Ref": "a", "Fn::Join": []}}}),
        ),
        with_resource(
            json!({"Type": "AWS::IoT::Thing", "Properties": {"ThingName": {"Fn::Join": ["-", [], []]}}}),
        ),
        with_resource(
            json!({"Type": "AWS::IoT::Thing", "Properties": {"ThingName": {"Fn::Sub": ["a", "b"]}}}),
        ),
        with_resource(
            json!({"Type": "AWS::IoT::Thing", "Properties": {"ThingName": "t"}, "OverrideSettings": {"ThingTypeName": "MERGE"}}),
        ),
        with_resource(
            json!({"Type": "AWS::IoT::Thing", "Properties": {"ThingName": "t"}, "OverrideSettings": {"ThingName": "REPLACE"}}),
        ),
        with_resource(
            json!({"Type": "AWS::IoT::Thing", "Properties": {"ThingName": "t"}, "OverrideSettings": {"ThingGroups": "KEEP"}}),
        ),
        with_resource(json!({"Type": "AWS::IoT::Certificate", "Properties": {}})),
        with_resource(
            json!({"Type": "AWS::IoT::Certificate", "Properties": {"CertificateId": "a", "CertificatePem": "b"}}),
        ),
        with_resource(
            json!({"Type": "AWS::IoT::Certificate", "Properties": {"CertificateId": "a"}, "OverrideSettings": {"Status": "MERGE"}}),
        ),
        with_resource(json!({"Type": "AWS::IoT::Policy", "Properties": {}})),
        with_resource(
            json!({"Type": "AWS::IoT::Policy", "Properties": {"PolicyName": "p"}, "OverrideSettings": {}}),
        ),
        json!({"Resources": {"a": thing.clone(), "b": thing}}),
        with_dc(json!({"nested": "x"})),
        with_dc(json!(["x"])),
        with_dc(json!({"Fn::Base64": "x"})),
    ];
    for body in bodies {
        let e = Template::parse(&body.to_string()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidRequest, "{body}");
    }
    assert!(Template::parse("not json").is_err());
    let e = Template::parse(&with_resource(json!({"Type": "AWS::IoT::Policy"})).to_string())
        .unwrap_err();
    assert!(
        e.message.contains("Neither policyName nor policyDocument"),
        "{}",
        e.message
    );
}
