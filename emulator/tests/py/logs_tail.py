"""What `aws logs tail GROUP` (aws CLI v2, not installable from PyPI) sends: FilterLogEvents
with logGroupName, interleaved and a start ten minutes back, through the paginator; prints
the events in its default format. argv: ENDPOINT GROUP"""

import sys
import time
from datetime import datetime, timezone

import boto3

endpoint, group = sys.argv[1:3]
logs = boto3.client("logs", endpoint_url=endpoint)
kwargs = {
    "logGroupName": group,
    "interleaved": True,
    "startTime": int((time.time() - 600) * 1000),
}
for page in logs.get_paginator("filter_log_events").paginate(**kwargs):
    for event in page["events"]:
        at = datetime.fromtimestamp(event["timestamp"] / 1000, timezone.utc)
        print(at.isoformat(), event["logStreamName"], event["message"])
