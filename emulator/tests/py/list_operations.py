"""Lists through boto3 as a script that forgets to page sees them: the default page sizes
(ListCertificates 25 as AWS documents, newest first; ListThings 250, the emulator's choice
where AWS documents none), the next page, and ListThingPrincipals' message for a missing
thing.

Usage: list_operations.py ENDPOINT_URL CSR_FILE. Prints one JSON object.
"""
import json
import sys

import boto3

url, csr_file = sys.argv[1:3]
iot = boto3.client("iot", endpoint_url=url, region_name="us-east-1")
csr = open(csr_file).read()
out = {}

for n in range(30):
    iot.create_certificate_from_csr(certificateSigningRequest=csr)
first = iot.list_certificates()
rest = iot.list_certificates(marker=first["nextMarker"])
dates = [c["creationDate"] for c in first["certificates"] + rest["certificates"]]
out["certificates"] = {"first": len(first["certificates"]), "rest": len(rest["certificates"]),
                       "rest_has_marker": "nextMarker" in rest,
                       "newest_first": dates == sorted(dates, reverse=True)}
asc = iot.list_certificates(ascendingOrder=True, pageSize=250)["certificates"]
out["certificates"]["ascending_reverses"] = (
    [c["certificateId"] for c in asc]
    == [c["certificateId"] for c in reversed(first["certificates"] + rest["certificates"])])

for n in range(251):
    iot.create_thing(thingName=f"thing-{n:03d}")
first = iot.list_things()
rest = iot.list_things(nextToken=first["nextToken"])
out["things"] = {"first": len(first["things"]), "rest": len(rest["things"]),
                 "rest_has_token": "nextToken" in rest,
                 "first_name": first["things"][0]["thingName"]}

try:
    iot.list_thing_principals(thingName="nothing-here")
    out["principals"] = "no error"
except iot.exceptions.ResourceNotFoundException as e:
    out["principals"] = e.response["Error"]["Message"]
print(json.dumps(out))
