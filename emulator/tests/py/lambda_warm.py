"""Warm execution environments through boto3: a function's module-level state survives
between invokes (init runs once, in one process), an update or a crash starts a fresh
environment, and the REPORT line has an Init Duration only on cold starts.

Usage: lambda_warm.py ENDPOINT_URL ROLE_ARN. Prints one JSON object.
"""
import base64
import io
import json
import sys
import zipfile

import boto3

url, role = sys.argv[1:3]
lam = boto3.client("lambda", endpoint_url=url, region_name="us-east-1")

CODE = '''
import os
import boto3
INITS = 0
CALLS = 0
INITS += 1
iot = boto3.client("iot")  # made once, at init, as users' functions do

def handler(event, context):
    global CALLS
    CALLS += 1
    if event.get("crash"):
        os._exit(7)
    return {"pid": os.getpid(), "inits": INITS, "calls": CALLS,
            "stream": context.log_stream_name, "request": context.aws_request_id,
            "things": len(iot.list_things()["things"])}
'''

buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("warm.py", CODE)
lam.create_function(FunctionName="warm", Runtime="python3.12", Role=role,
                    Handler="warm.handler", Code={"ZipFile": buf.getvalue()}, Timeout=5)


def invoke(payload=None):
    r = lam.invoke(FunctionName="warm", Payload=json.dumps(payload or {}), LogType="Tail")
    body = json.loads(r["Payload"].read())
    tail = base64.b64decode(r["LogResult"]).decode()
    report = [line for line in tail.splitlines() if line.startswith("REPORT")][0]
    return body, "Init Duration" in report, r.get("FunctionError")


out = {"runs": []}
for _ in range(3):
    body, cold, error = invoke()
    out["runs"].append({"pid": body["pid"], "calls": body["calls"], "inits": body["inits"],
                        "stream": body["stream"], "cold": cold, "error": error})
_, cold, error = invoke({"crash": True})
out["crash"] = {"cold": cold, "error": error}
body, cold, _ = invoke()
out["after_crash"] = {"pid": body["pid"], "calls": body["calls"], "cold": cold}
lam.update_function_configuration(FunctionName="warm", Description="changed")
body, cold, _ = invoke()
out["after_update"] = {"pid": body["pid"], "calls": body["calls"], "cold": cold}
lam.add_permission(FunctionName="warm", StatementId="s", Action="lambda:InvokeFunction",
                   Principal="iot.amazonaws.com")
body, cold, _ = invoke()
out["after_permission"] = {"pid": body["pid"], "calls": body["calls"], "cold": cold}
lam.delete_function(FunctionName="warm")
print(json.dumps(out))
