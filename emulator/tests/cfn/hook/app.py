import json


def handler(event, context):
    print("hook event:", json.dumps(event))
    serial = event.get("parameters", {}).get("SerialNumber")
    return {"allowProvisioning": serial != "deny-me"}
