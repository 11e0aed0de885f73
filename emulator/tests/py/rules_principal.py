"""An iot-data publish through boto3 (SigV4, no MQTT connection), for the rules'
principal() and clientid().

Usage: rules_principal.py ENDPOINT_URL TOPIC PAYLOAD.
"""
import sys

import boto3

url, topic, payload = sys.argv[1:4]
data = boto3.client("iot-data", endpoint_url=url, region_name="us-east-1")
data.publish(topic=topic, qos=1, payload=payload.encode())
