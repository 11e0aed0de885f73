"""A Lambda function for the emulator's Lambda tests: it runs inside the emulator's
Python runtime, with the emulator's environment, not the test's."""

import json
import os
import time

import boto3

# Made at import time, as the users' functions do: it must reach the emulator.
iot = boto3.client("iot")


def handler(event, context):
    print("event:", json.dumps(event, sort_keys=True))
    action = event.get("action")
    if action == "create_thing":
        iot.create_thing(thingName=event["thingName"])
        return {
            "created": event["thingName"],
            "function": context.function_name,
            "requestId": context.aws_request_id,
            "remainingPositive": context.get_remaining_time_in_millis() > 0,
            "greeting": os.environ.get("GREETING"),
        }
    if action == "fail":
        raise RuntimeError("the handler failed on purpose")
    if action == "sleep":
        time.sleep(event["seconds"])
        return {"slept": True}
    if action == "env":
        return dict(os.environ)
    return {"echo": event}


def hook(event, context):
    """A pre-provisioning hook: denies serial numbers that start with `deny`."""
    print("hook event:", json.dumps(event, sort_keys=True))
    serial = event.get("parameters", {}).get("SerialNumber", "")
    return {"allowProvisioning": not serial.startswith("deny")}
