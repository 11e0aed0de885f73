//! Table tests of the wire types against the payloads the spec quotes.

use super::*;
use serde_json::json;

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn topics_follow_the_reserved_topic_table() {
    let register = Operation::RegisterThing {
        template_name: "BulbTemplate".into(),
    };
    let cases = [
        (
            Operation::CreateKeysAndCertificate,
            Format::Json,
            "$aws/certificates/create/json",
        ),
        (
            Operation::CreateCertificateFromCsr,
            Format::Cbor,
            "$aws/certificates/create-from-csr/cbor",
        ),
        (
            register,
            Format::Json,
            "$aws/provisioning-templates/BulbTemplate/provision/json",
        ),
    ];
    for (op, fmt, topic) in cases {
        assert_eq!(op.request_topic(fmt), topic);
        assert_eq!(op.accepted_topic(fmt), format!("{topic}/accepted"));
        assert_eq!(op.rejected_topic(fmt), format!("{topic}/rejected"));
    }
}

#[test]
fn requests_serialise_to_the_documented_json() {
    let with = RegisterThingRequest {
        certificate_ownership_token: "tok".into(),
        parameters: Some(params(&[("SerialNumber", "0002")])),
    };
    let without = RegisterThingRequest {
        certificate_ownership_token: "tok".into(),
        parameters: None,
    };
    let csr = CreateCertificateFromCsrRequest {
        certificate_signing_request: "-----BEGIN CERTIFICATE REQUEST-----\n".into(),
    };
    let cases = [
        (
            Format::Json.encode(&with).unwrap(),
            json!({"certificateOwnershipToken": "tok", "parameters": {"SerialNumber": "0002"}}),
        ),
        (
            Format::Json.encode(&without).unwrap(),
            json!({"certificateOwnershipToken": "tok"}),
        ),
        (
            Format::Json.encode(&csr).unwrap(),
            json!({"certificateSigningRequest": "-----BEGIN CERTIFICATE REQUEST-----\n"}),
        ),
        (
            Format::Json
                .encode(&CreateKeysAndCertificateRequest {})
                .unwrap(),
            json!({}),
        ),
    ];
    for (bytes, expected) in cases {
        let got: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(got, expected);
    }
}

#[test]
fn responses_parse_from_the_spec_payloads() {
    let accepted: RegisterThingResponse = Format::Json
        .decode(br#"{"deviceConfiguration":{},"thingName":"MAS-999999999"}"#)
        .unwrap();
    assert_eq!(accepted.thing_name.as_deref(), Some("MAS-999999999"));
    assert!(accepted.device_configuration.is_empty());
    let configured: RegisterThingResponse = Format::Json
        .decode(
            br#"{"deviceConfiguration":{"MyDeviceOption":"Normal"},"thingName":"MyThing_0002"}"#,
        )
        .unwrap();
    assert_eq!(
        configured.device_configuration,
        params(&[("MyDeviceOption", "Normal")])
    );
    let rejected: ErrorResponse = Format::Json
        .decode(br#"{"statusCode":400,"errorCode":"InvalidCertificateOwnershipToken","errorMessage":"Certificate ownership token cannot be empty."}"#)
        .unwrap();
    assert_eq!(rejected.status_code, 400);
    assert_eq!(rejected.error_code, "InvalidCertificateOwnershipToken");
    let creds: CredentialsResponse = Format::Json
        .decode(br#"{"credentials":{"accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":"2018-01-18T09:18:06Z"}}"#)
        .unwrap();
    assert_eq!(creds.credentials.expiration, "2018-01-18T09:18:06Z");
}

#[test]
fn missing_fields_are_wire_errors_not_panics() {
    let cases: [&[u8]; 4] = [b"", b"{", br#"{"certificateId":"x"}"#, b"\xff\x00"];
    for payload in cases {
        assert!(Format::Json
            .decode::<CreateKeysAndCertificateResponse>(payload)
            .is_err());
        assert!(Format::Cbor
            .decode::<CreateKeysAndCertificateResponse>(payload)
            .is_err());
    }
}

#[test]
fn every_payload_round_trips_in_json_and_cbor() {
    let keys = CreateKeysAndCertificateResponse {
        certificate_id: "87ca".into(),
        certificate_pem: "-----BEGIN CERTIFICATE-----\nMII\n".into(),
        private_key: "-----BEGIN RSA PRIVATE KEY-----\nMII\n".into(),
        certificate_ownership_token: "eyJ2ZXJzaW9uIjoiMjAxOTEwMjMifQ==".into(),
    };
    let register = RegisterThingRequest {
        certificate_ownership_token: "tok".into(),
        parameters: Some(params(&[
            ("SerialNumber", "1"),
            ("DeviceLocation", "Seattle"),
        ])),
    };
    let rejected = ErrorResponse {
        status_code: 404,
        error_code: "ResourceNotFound".into(),
        error_message: "Template not found".into(),
    };
    for fmt in [Format::Json, Format::Cbor] {
        let back: CreateKeysAndCertificateResponse =
            fmt.decode(&fmt.encode(&keys).unwrap()).unwrap();
        assert_eq!(back, keys);
        let back: RegisterThingRequest = fmt.decode(&fmt.encode(&register).unwrap()).unwrap();
        assert_eq!(back, register);
        let back: ErrorResponse = fmt.decode(&fmt.encode(&rejected).unwrap()).unwrap();
        assert_eq!(back, rejected);
    }
}

#[test]
fn cbor_uses_text_keys_and_text_values() {
    use ciborium::Value;
    let bytes = Format::Cbor
        .encode(&RegisterThingRequest {
            certificate_ownership_token: "tok".into(),
            parameters: Some(params(&[("SerialNumber", "0002")])),
        })
        .unwrap();
    let value: Value = ciborium::from_reader(bytes.as_slice()).unwrap();
    let map = value.as_map().expect("a CBOR map");
    assert_eq!(map[0].0, Value::Text("certificateOwnershipToken".into()));
    assert_eq!(map[0].1, Value::Text("tok".into()));
    // A map an embedded device built by hand decodes too.
    let hand = Value::Map(vec![
        (Value::Text("statusCode".into()), Value::Integer(400.into())),
        (Value::Text("errorCode".into()), Value::Text("E".into())),
        (Value::Text("errorMessage".into()), Value::Text("m".into())),
    ]);
    let mut encoded = Vec::new();
    ciborium::into_writer(&hand, &mut encoded).unwrap();
    let err: ErrorResponse = Format::Cbor.decode(&encoded).unwrap();
    assert_eq!(err.status_code, 400);
}

#[test]
fn format_names_parse() {
    assert_eq!("json".parse::<Format>(), Ok(Format::Json));
    assert_eq!("cbor".parse::<Format>(), Ok(Format::Cbor));
    assert!("xml".parse::<Format>().is_err());
}
