"""CreateJob's configuration blocks acting, with the real clients (helpers from jobs.py):
a staged rollout (`jobExecutionsRolloutConfig`) paced on the emulator clock, retries
(`jobExecutionsRetryConfig`) of FAILED and TIMED_OUT executions, presigned S3 URLs
(`presignedUrlConfig`) a plain HTTP GET downloads, and each block's validation errors.

usage: jobs_configs.py SCENARIO OPTIONS_JSON   (OPTIONS_JSON as for jobs.py)
SCENARIO: rollout | exponential | retry | retry_timeout | presign | invalid
Prints one JSON object (what it saw) and then `done`; raises on any surprise.
"""
import json
import sys
import urllib.error
import urllib.request

import boto3
from botocore.config import Config

from jobs import Device, check, clients, error_code, provision
from jobs_more import advance, group_with_things

DOC = json.dumps({"operation": "update"})


def rolled_out(iot, job):
    """(executions listed, queued count in jobProcessDetails)."""
    runs = iot.list_job_executions_for_job(jobId=job)["executionSummaries"]
    details = iot.describe_job(jobId=job)["job"]["jobProcessDetails"]
    return len(runs), details["numberOfQueuedThings"]


def rollout(o):
    """maximumPerMinute 2 over five things: 2, 4, 5 executions as the minutes pass; the
    last thing's device hears nothing until its minute comes."""
    iot, _ = clients(o)
    p = o["prefix"]
    group = f"{p}-roll"
    arn = group_with_things(iot, group, [f"{p}-r{i}" for i in range(4)])
    last = f"{p}-r9"
    cert, key = provision(o, iot, last, group)
    dev = Device(o, "5", last, cert, key)
    job = f"{p}-roll"
    seen = []
    try:
        iot.create_job(jobId=job, targets=[arn], document=DOC,
                       jobExecutionsRolloutConfig={"maximumPerMinute": 2})
        seen.append(rolled_out(iot, job))
        advance(o, 60)
        seen.append(rolled_out(iot, job))
        check(dev.pending().queued_jobs == [], "the last thing waits its turn")
        check(iot.describe_job(jobId=job)["job"]["jobExecutionsRolloutConfig"]
              == {"maximumPerMinute": 2}, "the block is shown")
        advance(o, 60)
        _, event = dev.wait_next(job)
        check(event.execution.status == "QUEUED", "queued once its minute came")
        seen.append(rolled_out(iot, job))
    finally:
        dev.close()
    check(seen == [(2, 2), (4, 4), (5, 5)], f"rolled out {seen}")
    iot.cancel_job(jobId=job)
    return {"rolled_out": [n for n, _ in seen]}


def exponential(o):
    """baseRatePerMinute 1, incrementFactor 2, every 2 notified things: 1, 2, 4, 8."""
    iot, _ = clients(o)
    p = o["prefix"]
    arn = group_with_things(iot, f"{p}-exp", [f"{p}-e{i}" for i in range(8)])
    job = f"{p}-exp"
    config = {"exponentialRate": {"baseRatePerMinute": 1, "incrementFactor": 2.0,
                                  "rateIncreaseCriteria": {"numberOfNotifiedThings": 2}}}
    iot.create_job(jobId=job, targets=[arn], document=DOC, jobExecutionsRolloutConfig=config)
    seen = [rolled_out(iot, job)[0]]
    for _ in range(3):
        advance(o, 60)
        seen.append(rolled_out(iot, job)[0])
    check(seen == [1, 2, 4, 8], f"rolled out {seen}")
    j = iot.describe_job(jobId=job)["job"]
    check(j["status"] == "IN_PROGRESS", "a SNAPSHOT job runs until its executions end")
    iot.cancel_job(jobId=job)
    return {"rolled_out": seen}


def retry(o):
    """FAILED is retried once: executionNumber 2, QUEUED, notify-next again; the second
    failure is final."""
    iot, _ = clients(o)
    p = o["prefix"]
    thing = f"{p}-retry"
    cert, key = provision(o, iot, thing)
    dev = Device(o, "5", thing, cert, key)
    job = f"{p}-retry"
    arn = iot.describe_thing(thingName=thing)["thingArn"]
    try:
        iot.create_job(jobId=job, targets=[arn], document=DOC, jobExecutionsRetryConfig={
            "criteriaList": [{"failureType": "FAILED", "numberOfRetries": 1}]})
        first, _ = dev.wait_next(job)
        dev.start_next()
        dev.update(job, "FAILED")
        _, again = dev.wait_next(job, first + 1)
        check(again.execution.status == "QUEUED", f"retried: {again.execution.status}")
        check(again.execution.execution_number == 2, "the next executionNumber")
        e = iot.describe_job_execution(jobId=job, thingName=thing)["execution"]
        check((e["status"], e["executionNumber"], e["versionNumber"]) == ("QUEUED", 2, 1),
              f"execution {e}")
        summary = iot.list_job_executions_for_thing(thingName=thing)["executionSummaries"]
        check(summary[0]["jobExecutionSummary"]["retryAttempt"] == 1, f"summary {summary}")
        details = iot.describe_job(jobId=job)["job"]["jobProcessDetails"]
        check(details["numberOfQueuedThings"] == 1 and details["numberOfFailedThings"] == 0,
              f"counts {details}")
        started = dev.start_next()
        check(started.execution.execution_number == 2, "the retry starts")
        dev.update(job, "FAILED")
        dev.wait_next(None)
    finally:
        dev.close()
    e = iot.describe_job_execution(jobId=job, thingName=thing)["execution"]
    j = iot.describe_job(jobId=job)["job"]
    check(e["status"] == "FAILED" and j["status"] == "COMPLETED", f"final: {e} {j['status']}")
    check(j["jobProcessDetails"]["numberOfFailedThings"] == 1, "one failed thing")
    return {"execution": e["status"], "number": e["executionNumber"]}


def retry_timeout(o):
    """TIMED_OUT is retried (criterion ALL) over iot-jobs-data, then ends TIMED_OUT."""
    iot, data = clients(o)
    p = o["prefix"]
    thing = f"{p}-late"
    iot.create_thing(thingName=thing)
    arn = iot.describe_thing(thingName=thing)["thingArn"]
    job = f"{p}-late"
    iot.create_job(jobId=job, targets=[arn], document=DOC,
                   timeoutConfig={"inProgressTimeoutInMinutes": 1},
                   jobExecutionsRetryConfig={"criteriaList": [
                       {"failureType": "ALL", "numberOfRetries": 1}]})
    numbers = []
    for _ in range(2):
        started = data.start_next_pending_job_execution(thingName=thing)["execution"]
        numbers.append(started["executionNumber"])
        advance(o, 61)
    e = iot.describe_job_execution(jobId=job, thingName=thing)["execution"]
    summary = iot.list_job_executions_for_job(jobId=job)["executionSummaries"][0]
    check(numbers == [1, 2], f"numbers {numbers}")
    check(e["status"] == "TIMED_OUT", f"final {e['status']}")
    check(summary["jobExecutionSummary"]["retryAttempt"] == 1, f"summary {summary}")
    return {"execution": e["status"], "numbers": numbers}


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def presign(o):
    """Placeholders become presigned URLs of the S3 stand-in for devices (MQTT and HTTP);
    GetJobDocument keeps them; a URL past expiresInSec is AccessDenied."""
    iot, data = clients(o)
    s3 = boto3.client("s3", endpoint_url=o["api"])
    p = o["prefix"]
    bucket = f"{p}-firmware".lower()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="fw/v2 image.bin", Body=b"firmware-bytes")
    own = s3.generate_presigned_url("get_object", ExpiresIn=86400,
                                    Params={"Bucket": bucket, "Key": "fw/v2 image.bin"})
    check(fetch(own) == (200, b"firmware-bytes"), f"boto3's presigned URL downloads: {own}")
    v4 = boto3.client("s3", endpoint_url=o["api"], config=Config(signature_version="s3v4"))
    own = v4.generate_presigned_url("get_object", ExpiresIn=86400,
                                    Params={"Bucket": bucket, "Key": "fw/v2 image.bin"})
    check(fetch(own) == (200, b"firmware-bytes"), f"a SigV4 presigned URL downloads: {own}")
    placeholder = ("${aws:iot:s3-presigned-url:https://s3.us-east-1.amazonaws.com/"
                   f"{bucket}/fw/v2%20image.bin}}")
    document = json.dumps({"operation": "install", "url": placeholder})
    thing = f"{p}-dl"
    cert, key = provision(o, iot, thing)
    arn = iot.describe_thing(thingName=thing)["thingArn"]
    job = f"{p}-dl"
    code = error_code(iot.create_job, jobId=f"{job}-norole", targets=[arn], document=document)
    check(code == ("InvalidRequestException", 400), f"placeholder without config: {code}")
    dev = Device(o, "5", thing, cert, key)
    try:
        iot.create_job(jobId=job, targets=[arn], document=document, presignedUrlConfig={
            "roleArn": "arn:aws:iam::123456789012:role/jobs-s3", "expiresInSec": 60})
        _, event = dev.wait_next(job)
        url = event.execution.job_document["url"]
        check(url.startswith(o["api"]) and "X-Amz-Signature=" in url, f"url {url}")
        check(fetch(url) == (200, b"firmware-bytes"), "notify-next's URL downloads")
        started = dev.start_next().execution.job_document["url"]
        check(fetch(started)[1] == b"firmware-bytes", "start-next's URL downloads")
    finally:
        dev.close()
    over_http = json.loads(data.describe_job_execution(
        thingName=thing, jobId=job)["execution"]["jobDocument"])["url"]
    check(fetch(over_http)[1] == b"firmware-bytes", "iot-jobs-data's URL downloads")
    raw = iot.get_job_document(jobId=job)["document"]
    check(raw == document, f"GetJobDocument keeps the placeholder: {raw}")
    advance(o, 61)
    status, body = fetch(over_http)
    check(status == 403 and b"<Code>AccessDenied</Code>" in body
          and b"Request has expired" in body, f"expired: {status} {body}")
    iot.cancel_job(jobId=job, force=True)
    return {"expired": status}


def invalid(o):
    """Each block's limits are InvalidRequestException."""
    iot, _ = clients(o)
    raw = boto3.client("iot", endpoint_url=o["api"],
                       config=Config(parameter_validation=False))
    p = o["prefix"]
    thing = f"{p}-v"
    iot.create_thing(thingName=thing)
    arn = iot.describe_thing(thingName=thing)["thingArn"]
    exp = {"baseRatePerMinute": 10, "incrementFactor": 2.0,
           "rateIncreaseCriteria": {"numberOfSucceededThings": 5}}
    cases = {
        "max 0": {"jobExecutionsRolloutConfig": {"maximumPerMinute": 0}},
        "max 1001": {"jobExecutionsRolloutConfig": {"maximumPerMinute": 1001}},
        "base 1001": {"jobExecutionsRolloutConfig": {"exponentialRate": {
            **exp, "baseRatePerMinute": 1001}}},
        "factor 1.55": {"jobExecutionsRolloutConfig": {"exponentialRate": {
            **exp, "incrementFactor": 1.55}}},
        "factor 6": {"jobExecutionsRolloutConfig": {"exponentialRate": {
            **exp, "incrementFactor": 6.0}}},
        "no criteria": {"jobExecutionsRolloutConfig": {"exponentialRate": {
            **exp, "rateIncreaseCriteria": {}}}},
        "retries 11": {"jobExecutionsRetryConfig": {"criteriaList": [
            {"failureType": "FAILED", "numberOfRetries": 11}]}},
        "retries 6+6": {"jobExecutionsRetryConfig": {"criteriaList": [
            {"failureType": "FAILED", "numberOfRetries": 6},
            {"failureType": "TIMED_OUT", "numberOfRetries": 6}]}},
        "retry REJECTED": {"jobExecutionsRetryConfig": {"criteriaList": [
            {"failureType": "REJECTED", "numberOfRetries": 1}]}},
        "no criteria list": {"jobExecutionsRetryConfig": {"criteriaList": []}},
        "expires 30": {"presignedUrlConfig": {"expiresInSec": 30}},
        "expires 3601": {"presignedUrlConfig": {"expiresInSec": 3601}},
        "short role": {"presignedUrlConfig": {"roleArn": "arn:short"}},
    }
    seen = {}
    for i, (name, config) in enumerate(cases.items()):
        code = error_code(raw.create_job, jobId=f"{p}-bad{i}", targets=[arn],
                          document=DOC, **config)
        check(code == ("InvalidRequestException", 400), f"{name}: {code}")
        seen[name] = code[0]
    message = ""
    try:
        raw.create_job(jobId=f"{p}-msg", targets=[arn], document=DOC,
                       jobExecutionsRolloutConfig={"maximumPerMinute": 1001})
    except raw.exceptions.InvalidRequestException as e:
        message = e.response["Error"]["Message"]
    check("jobExecutionsRolloutConfig.maximumPerMinute" in message, f"message {message}")
    job = f"{p}-upd"
    iot.create_job(jobId=job, targets=[arn], document=DOC, jobExecutionsRetryConfig={
        "criteriaList": [{"failureType": "FAILED", "numberOfRetries": 2}]})
    code = error_code(iot.update_job, jobId=job, jobExecutionsRetryConfig={
        "criteriaList": [{"failureType": "FAILED", "numberOfRetries": 3}]})
    check(code == ("InvalidRequestException", 400), f"retries raised: {code}")
    iot.update_job(jobId=job, jobExecutionsRetryConfig={
        "criteriaList": [{"failureType": "FAILED", "numberOfRetries": 0}]})
    iot.cancel_job(jobId=job)
    return {"refused": len(seen), "message": message}


def main():
    scenario, o = sys.argv[1], json.loads(sys.argv[2])
    run = {
        "rollout": rollout, "exponential": exponential, "retry": retry,
        "retry_timeout": retry_timeout, "presign": presign, "invalid": invalid,
    }
    print(json.dumps(run[scenario](o)))
    print("done")


if __name__ == "__main__":
    main()
