"""Control-plane RegisterThing through boto3: by CertificateId (an existing certificate, its
status replaced), by CertificatePem (registered), and the modeled exceptions. usage: register_thing.py ENDPOINT_URL. Prints one JSON object.
"""
import json
import sys

import boto3

iot = boto3.client("iot", endpoint_url=sys.argv[1], region_name="us-east-1")


def template(cert_props, thing_type=None, status_override=None):
    cert = {"Type": "AWS::IoT::Certificate", "Properties": cert_props}
    if status_override:
        cert["OverrideSettings"] = {"Status": status_override}
    thing = {"ThingName": {"Ref": "ThingName"}}
    if thing_type:
        thing["ThingTypeName"] = thing_type
    return json.dumps({
        "Parameters": {"ThingName": {"Type": "String"}, "Cert": {"Type": "String"}},
        "Resources": {
            "thing": {"Type": "AWS::IoT::Thing", "Properties": thing},
            "cert": cert,
        }})


def error(call, **kwargs):
    try:
        call(**kwargs)
    except iot.exceptions.ClientError as e:
        return {"code": e.response["Error"]["Code"],
                "modeled": type(e).__name__,
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
    return None


out = {}
by_id = iot.create_keys_and_certificate(setAsActive=False)
r = iot.register_thing(
    templateBody=template({"CertificateId": {"Ref": "Cert"}, "Status": "ACTIVE"}, status_override="REPLACE"),
    parameters={"ThingName": "by-id", "Cert": by_id["certificateId"]})
out["by_id"] = {"resourceArns": r["resourceArns"],
                "samePem": r["certificatePem"] == by_id["certificatePem"],
                "status": iot.describe_certificate(certificateId=by_id["certificateId"])
                ["certificateDescription"]["status"]}
by_pem = iot.create_keys_and_certificate(setAsActive=False)
r = iot.register_thing(
    templateBody=template({"CertificatePem": {"Ref": "Cert"}, "Status": "INACTIVE"}),
    parameters={"ThingName": "by-pem", "Cert": by_pem["certificatePem"]})
out["by_pem"] = {"resourceArns": r["resourceArns"],
                 "principals": iot.list_thing_principals(thingName="by-pem")["principals"]}
fresh = iot.create_keys_and_certificate(setAsActive=False)
out["missing_type"] = error(
    iot.register_thing,
    templateBody=template({"CertificateId": {"Ref": "Cert"}}, thing_type="NoSuchType"),
    parameters={"ThingName": "never", "Cert": fresh["certificateId"]})
out["unknown_cert"] = error(
    iot.register_thing, templateBody=template({"CertificateId": {"Ref": "Cert"}}),
    parameters={"ThingName": "never", "Cert": "a" * 64})
out["missing_parameter"] = error(
    iot.register_thing, templateBody=template({"CertificateId": {"Ref": "Cert"}}),
    parameters={"ThingName": "never"})
out["bad_template"] = error(iot.register_thing, templateBody="{not json")
out["things"] = sorted(t["thingName"] for t in iot.list_things()["things"])
out["fresh_status"] = iot.describe_certificate(certificateId=fresh["certificateId"])[
    "certificateDescription"]["status"]
print(json.dumps(out))
