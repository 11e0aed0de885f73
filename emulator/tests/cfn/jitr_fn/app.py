"""JITR: activates a certificate the CA's registered event names, for a thing of the same id."""
import json
import os

import boto3

iot = boto3.client("iot")


def handler(event, context):
    print("registered:", json.dumps(event))
    cert_id = event["certificateId"]
    cert = iot.describe_certificate(certificateId=cert_id)["certificateDescription"]
    thing = "jitr-" + cert_id[:16]
    try:
        iot.create_thing(thingName=thing)
    except iot.exceptions.ResourceAlreadyExistsException:
        print("thing exists:", thing)
    iot.add_thing_to_thing_group(
        thingGroupName=os.environ["THING_GROUP_NAME"], thingName=thing
    )
    iot.attach_policy(policyName=os.environ["POLICY_NAME"], target=cert["certificateArn"])
    iot.attach_thing_principal(thingName=thing, principal=cert["certificateArn"])
    iot.update_certificate(certificateId=cert_id, newStatus="ACTIVE")
    print("activated:", cert_id, "for", thing)
    return {"thing": thing}
