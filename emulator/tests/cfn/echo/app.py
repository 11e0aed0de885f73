import json
import os


def handler(event, context):
    print("event:", json.dumps(event))
    return {"greeting": os.environ["GREETING"], "event": event}
