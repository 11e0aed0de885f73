"""Asks the credentials provider for credentials with Python `requests`, as S3 does.

usage: credentials.py URL ROLE_ALIAS CA CERT KEY [THING_NAME]
Prints {"status", "body", "errorType"} or {"error": "<connection failure>"}.
"""
import json
import sys

import requests


def main():
    url, alias, ca, cert, key = sys.argv[1:6]
    headers = {"x-amzn-iot-thingname": sys.argv[6]} if len(sys.argv) > 6 else {}
    try:
        r = requests.get(f"{url}/role-aliases/{alias}/credentials", cert=(cert, key),
                         verify=ca, headers=headers, timeout=20)
    except requests.exceptions.RequestException as e:
        print(json.dumps({"error": type(e).__name__}))
        return
    print(json.dumps({"status": r.status_code, "body": r.json(),
                      "errorType": r.headers.get("x-amzn-ErrorType")}))


if __name__ == "__main__":
    main()
