//! The template fuzzer's engine as a library (`iot_emulator::fuzz`): its public proptest
//! `Strategy` generates parameter maps for a template shaped like field note 004's (the
//! thing name joins a prefix and `SerialNumber`, `DeviceLocation` goes through
//! `Fn::FindInMap`), and for each, a real RegisterThing over MQTT (a claim, then
//! CreateCertificateFromCsr) must agree with the offline evaluator: accepted when it
//! passes, rejected with the `errorCode` of its class when it fails.

use std::collections::BTreeMap;

use conformance::Case;
use iot_device_client::mqtt::Connection;
use iot_device_client::provision::{generate_csr, Provisioner};
use iot_device_client::wire::Format;
use iot_device_client::ClientError;
use iot_emulator::fuzz::{classify, empty_registry, Generators, Offline, Outcome, Parameters};
use iot_emulator::provisioning::template::Template;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::json;

/// Generated cases sent through the target, after the plausible map.
const GENERATED: usize = 7;

/// Field note 004's template without its inline policy, the thing name's prefix `prefix`.
fn template_body(prefix: &str) -> String {
    json!({
        "Parameters": {"SerialNumber": {"Type": "String"}, "DeviceLocation": {"Type": "String"},
            "AWS::IoT::Certificate::Id": {"Type": "String"}},
        "Mappings": {"LocationTable": {"Seattle": {"LocationUrl": "https://example.aws"}}},
        "Resources": {
            "thing": {"Type": "AWS::IoT::Thing",
                "Properties": {"ThingName": {"Fn::Join": ["", [prefix, {"Ref": "SerialNumber"}]]},
                    "AttributePayload": {"version": "v1"}},
                "OverrideSettings": {"AttributePayload": "MERGE", "ThingTypeName": "REPLACE",
                    "ThingGroups": "DO_NOTHING"}},
            "certificate": {"Type": "AWS::IoT::Certificate",
                "Properties": {"CertificateId": {"Ref": "AWS::IoT::Certificate::Id"}, "Status": "Active"}}
        },
        "DeviceConfiguration": {
            "LocationUrl": {"Fn::FindInMap": ["LocationTable", {"Ref": "DeviceLocation"}, "LocationUrl"]}}
    })
    .to_string()
}

/// The plausible map, then maps drawn from the library's strategy with a fixed seed.
fn cases(template: &Template) -> Vec<Parameters> {
    let gens = Generators::new(template);
    let strategy = gens.strategy(None);
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let drawn = (0..GENERATED).map(|_| strategy.new_tree(&mut runner).expect("a case").current());
    std::iter::once(gens.plausible.clone())
        .chain(drawn)
        .collect()
}

/// The offline verdict: None when it passes, else its class's `errorCode`.
fn offline_verdict(offline: &Offline, parameters: &Parameters) -> Option<String> {
    match offline.evaluate(parameters) {
        Outcome::Passed(_) => None,
        Outcome::Failed(e) => Some(classify(&e).error_code),
    }
}

/// CreateCertificateFromCsr then RegisterThing with `parameters`: None when accepted (the
/// thing is tracked for teardown), else the `/rejected` `errorCode`.
async fn live_verdict(
    case: &mut Case,
    api: &mut Provisioner<'_>,
    template: &str,
    parameters: &Parameters,
) -> Option<String> {
    let (csr, _key) = generate_csr("fuzz-device").expect("CSR");
    let created = api
        .create_certificate_from_csr(&csr)
        .await
        .expect("CreateCertificateFromCsr accepted");
    case.track_certificate(&created.certificate_id);
    let token = &created.certificate_ownership_token;
    match api
        .register_thing(template, token, Some(parameters.clone()))
        .await
    {
        Ok(registered) => {
            let thing = registered.thing_name.expect("a thing name");
            case.track_provisioned_thing(&thing).await;
            None
        }
        Err(ClientError::Rejected { error_code, .. }) => Some(error_code),
        Err(other) => panic!("RegisterThing {parameters:?}: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn register_thing_agrees_with_the_offline_evaluator_on_generated_parameters() {
    let Some(mut case) = Case::start().await else {
        return;
    };
    let body = template_body(&case.name("Fuzz_"));
    let template = Template::parse(&body).expect("the template parses");
    let offline = Offline::new(template.clone(), empty_registry(), None);
    let claim = case
        .claim_certificate("FuzzClaimPolicy", "policies/s4-bulb.json")
        .await;
    let name = case.create_template("FuzzTemplate", &body).await;
    let mqtt = case.mqtt(&case.name("fuzz-claim"), claim.identity.clone());
    let mut connection = Connection::connect(&mqtt).await.expect("claim connects");
    let mut verdicts = BTreeMap::new();
    for parameters in cases(&template) {
        let expected = offline_verdict(&offline, &parameters);
        let mut api = Provisioner::new(&mut connection, Format::Json);
        let got = live_verdict(&mut case, &mut api, &name, &parameters).await;
        assert_eq!(got, expected, "RegisterThing {parameters:?}");
        verdicts.insert(expected.is_none(), parameters);
    }
    connection.disconnect().await;
    // The fixed seed gives both outcomes, so both paths were compared.
    assert_eq!(verdicts.len(), 2, "{verdicts:?}");
    case.finish().await;
}
