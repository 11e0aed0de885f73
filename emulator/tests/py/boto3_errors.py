"""Checks that botocore maps the emulator's errors to the modeled exception classes.

Usage: boto3_errors.py ENDPOINT_URL. Prints one line per check and exits non-zero on the
first mismatch.
"""
import json
import sys

import boto3
from botocore.config import Config

url = sys.argv[1]
iot = boto3.client("iot", endpoint_url=url, region_name="us-east-1")
# Without client-side validation, so the server's own checks are what answers.
raw = boto3.client("iot", endpoint_url=url, region_name="us-east-1",
                   config=Config(parameter_validation=False))
checks = 0


def expect(exception, call, **kwargs):
    global checks
    try:
        call(**kwargs)
    except exception as e:
        retries = e.response["ResponseMetadata"].get("RetryAttempts", 0)
        assert retries == 0, f"{call.__name__} was retried {retries} times"
        assert e.response["Error"]["Message"], "empty error message"
        checks += 1
        print(f"ok {call.__name__} -> {e.response['Error']['Code']}: {e.response['Error']['Message']}")
        return e
    raise AssertionError(f"{call.__name__}({kwargs}) did not raise {exception.__name__}")


ex = iot.exceptions
expect(ex.ResourceNotFoundException, iot.describe_thing, thingName="missing")
expect(ex.InvalidRequestException, iot.create_thing, thingName="bad name!")
iot.create_thing(thingName="dup", attributePayload={"attributes": {"a": "1"}})
err = expect(ex.ResourceAlreadyExistsException, iot.create_thing, thingName="dup",
             attributePayload={"attributes": {"a": "2"}})
cert = iot.create_keys_and_certificate(setAsActive=True)
expect(ex.CertificateStateException, iot.delete_certificate, certificateId=cert["certificateId"])
expect(ex.InvalidRequestException, iot.create_certificate_from_csr,
       certificateSigningRequest="-----BEGIN CERTIFICATE REQUEST-----\nnot a csr\n-----END CERTIFICATE REQUEST-----\n")
expect(ex.MalformedPolicyException, iot.create_policy, policyName="bad", policyDocument="{not json")
doc = json.dumps({"Version": "2012-10-17",
                  "Statement": [{"Effect": "Allow", "Action": "iot:Connect", "Resource": "*"}]})
iot.create_policy(policyName="p", policyDocument=doc)
expect(ex.ResourceAlreadyExistsException, iot.create_policy, policyName="p", policyDocument=doc)
for _ in range(4):
    iot.create_policy_version(policyName="p", policyDocument=doc)
expect(ex.VersionsLimitExceededException, iot.create_policy_version, policyName="p", policyDocument=doc)
iot.attach_policy(policyName="p", target=cert["certificateArn"])
expect(ex.DeleteConflictException, iot.delete_policy, policyName="p")
expect(ex.ResourceNotFoundException, iot.describe_provisioning_template, templateName="nope")
expect(ex.ResourceNotFoundException, iot.describe_role_alias, roleAlias="nope")
expect(ex.InvalidRequestException, raw.create_role_alias, roleAlias="a",
       roleArn="arn:aws:iam::123456789012:role/r", credentialDurationSeconds=60)
expect(ex.ResourceNotFoundException, iot.describe_certificate, certificateId="0" * 64)
expect(ex.ResourceNotFoundException, iot.describe_ca_certificate, certificateId="0" * 64)

# An operation the emulator does not implement is a clean, non-retried client error.
try:
    iot.list_billing_groups()
    raise AssertionError("list_billing_groups unexpectedly succeeded")
except iot.exceptions.ClientError as e:
    status = e.response["ResponseMetadata"]["HTTPStatusCode"]
    assert status == 501, status
    assert e.response["ResponseMetadata"].get("RetryAttempts", 0) == 0
    checks += 1
    print(f"ok list_billing_groups -> {status} {e.response['Error']['Code']}")

# STS answers who the caller is; services and operations the emulator lacks fail in their
# own protocol with NotImplemented, not with a parse error, and are not retried.
sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1")
me = sts.get_caller_identity()
assert me["Account"] == "123456789012", me
assert me["Arn"] == "arn:aws:iam::123456789012:root", me
assert me["UserId"] == "123456789012", me
assert me["ResponseMetadata"]["RequestId"], me
checks += 1
print(f"ok get_caller_identity -> {me['Arn']}")
lacking = [
    ("sts", "get_session_token", {}, "NotImplemented", "sts GetSessionToken"),
    ("sns", "list_topics", {}, "NotImplemented", "sns ListTopics"),
    ("cloudformation", "list_stack_sets", {}, "NotImplemented", "cloudformation ListStackSets"),
    ("iam", "list_roles", {}, "NotImplemented", "iam ListRoles"),
    ("ec2", "describe_instances", {}, "NotImplemented", "ec2 DescribeInstances"),
    ("s3", "get_bucket_versioning", {"Bucket": "things"}, "NotImplemented", "s3 GET ?versioning"),
    ("s3", "get_object_tagging", {"Bucket": "things", "Key": "k"}, "NotImplemented", "s3 GET ?tagging"),
    ("logs", "describe_metric_filters", {}, "NotImplementedException", "logs DescribeMetricFilters"),
    ("dynamodb", "list_tables", {}, "NotImplementedException", "dynamodb ListTables"),
    ("lambda", "list_layers", {}, "NotImplementedException", "lambda GET /2018-10-31/layers"),
    ("cloudwatch", "list_metrics", {}, "NotImplementedException", "monitoring ListMetrics"),
]
for service, op, kwargs, code, names in lacking:
    client = boto3.client(service, endpoint_url=url, region_name="us-east-1")
    try:
        getattr(client, op)(**kwargs)
        raise AssertionError(f"{service} {op} unexpectedly succeeded")
    except client.exceptions.ClientError as e:
        error, meta = e.response["Error"], e.response["ResponseMetadata"]
        assert error["Code"] == code, (service, op, e.response)
        assert error["Message"] == f"iot-emulator does not implement {names}", (service, op, error)
        assert meta["HTTPStatusCode"] == 501, (service, op, meta)
        assert meta.get("RetryAttempts", 0) == 0, (service, op, meta)
        checks += 1
        print(f"ok {service} {op} -> {code}: {error['Message']}")
print(f"{checks} checks passed")
