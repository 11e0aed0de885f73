"""AWS IoT Jobs against the emulator with the real clients: boto3 `iot` for the control
plane, the AWS IoT Device SDK v2's `iotjobs.IotJobsClientV2` (over the MQTT 5 client or
the MQTT 3.1.1 connection) and boto3 `iot-jobs-data` for the devices.

usage: jobs.py SCENARIO OPTIONS_JSON
OPTIONS_JSON: {"api", "host", "port", "ca", "prefix"}
SCENARIO: device5 | device3 | continuous | cancel | timeout | http | control
Prints one JSON object (what it saw) and then `done`; raises on any surprise.
"""
import json
import os
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import Future

import boto3
from awscrt import mqtt_request_response
from awsiot import V2ServiceException, ServiceStreamOptions, iotjobs
from awsiot import mqtt5_client_builder, mqtt_connection_builder
from botocore.exceptions import ClientError

TIMEOUT = 30


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def clients(o):
    iot = boto3.client("iot", endpoint_url=o["api"])
    data = boto3.client("iot-jobs-data", endpoint_url=o["api"])
    return iot, data


def error_code(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError(f"{fn.__name__} succeeded")


def policy(iot, thing):
    """AWS's basic jobs policy for one thing (DG basic-jobs-example)."""
    arn = iot.describe_thing(thingName=thing)["thingArn"].rsplit(":thing/", 1)[0]
    jobs = f"$aws/things/{thing}/jobs"
    doc = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iot:Connect", "Resource": f"{arn}:client/{thing}"},
        {"Effect": "Allow", "Action": "iot:Publish", "Resource": f"{arn}:topic/{jobs}/*"},
        {"Effect": "Allow", "Action": "iot:Subscribe", "Resource": f"{arn}:topicfilter/{jobs}/*"},
        {"Effect": "Allow", "Action": "iot:Receive", "Resource": f"{arn}:topic/{jobs}/*"},
    ]}
    name = f"jobs-{thing}"
    iot.create_policy(policyName=name, policyDocument=json.dumps(doc))
    return name


def provision(o, iot, thing, group=None):
    """A thing with an active certificate and the jobs policy; its files in a temp dir."""
    iot.create_thing(thingName=thing)
    keys = iot.create_keys_and_certificate(setAsActive=True)
    iot.attach_thing_principal(thingName=thing, principal=keys["certificateArn"])
    iot.attach_policy(policyName=policy(iot, thing), target=keys["certificateArn"])
    if group:
        iot.add_thing_to_thing_group(thingGroupName=group, thingName=thing)
    d = tempfile.mkdtemp()
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    with open(cert, "w") as f:
        f.write(keys["certificatePem"])
    with open(key, "w") as f:
        f.write(keys["keyPair"]["PrivateKey"])
    return cert, key


def connect(o, proto, cert, key, client_id):
    if proto == "5":
        connected = Future()
        client = mqtt5_client_builder.mtls_from_path(
            endpoint=o["host"], port=o["port"], ca_filepath=o["ca"], cert_filepath=cert,
            pri_key_filepath=key, client_id=client_id, keep_alive_interval_sec=30,
            on_lifecycle_connection_success=lambda d: connected.done() or connected.set_result(d))
        client.start()
        connected.result(TIMEOUT)
        return client, client.stop
    conn = mqtt_connection_builder.mtls_from_path(
        endpoint=o["host"], port=o["port"], ca_filepath=o["ca"], cert_filepath=cert,
        pri_key_filepath=key, client_id=client_id, clean_session=True, keep_alive_secs=30)
    conn.connect().result(TIMEOUT)
    return conn, lambda: conn.disconnect().result(TIMEOUT)


class Device:
    """A device running IotJobsClientV2, with its notify and notify-next streams."""

    def __init__(self, o, proto, thing, cert, key):
        self.thing = thing
        self.client, self.stop = connect(o, proto, cert, key, thing)
        options = mqtt_request_response.ClientOptions(
            max_request_response_subscriptions=4, max_streaming_subscriptions=2,
            operation_timeout_in_seconds=TIMEOUT)
        self.jobs = iotjobs.IotJobsClientV2(self.client, options)
        self.next_events, self.notify_events = [], []
        subscribed = [Future(), Future()]

        def on_status(i):
            return lambda e: subscribed[i].done() or subscribed[i].set_result(e)

        self.streams = [
            self.jobs.create_next_job_execution_changed_stream(
                iotjobs.NextJobExecutionChangedSubscriptionRequest(thing_name=thing),
                ServiceStreamOptions(self.next_events.append, on_status(0))),
            self.jobs.create_job_executions_changed_stream(
                iotjobs.JobExecutionsChangedSubscriptionRequest(thing_name=thing),
                ServiceStreamOptions(self.notify_events.append, on_status(1))),
        ]
        for s in self.streams:
            s.open()
        for f in subscribed:
            f.result(TIMEOUT)

    def wait_next(self, job_id, since=0):
        """The first notify-next after index `since` naming `job_id` (None: nothing next)."""
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            for i, e in enumerate(self.next_events[since:]):
                got = e.execution.job_id if e.execution else None
                if got == job_id:
                    return since + i, e
            time.sleep(0.05)
        seen = [e.execution.job_id if e.execution else None for e in self.next_events]
        raise AssertionError(f"no notify-next for {job_id}; saw {seen}")

    def start_next(self, **kw):
        return self.jobs.start_next_pending_job_execution(
            iotjobs.StartNextPendingJobExecutionRequest(thing_name=self.thing, **kw)).result(TIMEOUT)

    def update(self, job_id, status, **kw):
        return self.jobs.update_job_execution(iotjobs.UpdateJobExecutionRequest(
            thing_name=self.thing, job_id=job_id, status=status, **kw)).result(TIMEOUT)

    def describe(self, job_id, **kw):
        return self.jobs.describe_job_execution(iotjobs.DescribeJobExecutionRequest(
            thing_name=self.thing, job_id=job_id, **kw)).result(TIMEOUT)

    def pending(self):
        return self.jobs.get_pending_job_executions(
            iotjobs.GetPendingJobExecutionsRequest(thing_name=self.thing)).result(TIMEOUT)

    def rejected(self, fn, *args, **kw):
        try:
            fn(*args, **kw)
        except V2ServiceException as e:
            return e.modeled_error
        raise AssertionError(f"{fn.__name__} was accepted")

    def close(self):
        self.streams = []
        self.jobs = None
        self.stop()


def device_flow(o, proto):
    """boto3 creates a job for the device's group; the device finishes it over MQTT."""
    iot, _ = clients(o)
    p = o["prefix"] + proto
    group, thing, job = f"{p}-fleet", f"{p}-dev", f"{p}-firmware"
    iot.create_thing_group(thingGroupName=group)
    cert, key = provision(o, iot, thing, group)
    dev = Device(o, proto, thing, cert, key)
    out = {}
    try:
        empty = dev.pending()
        check(empty.in_progress_jobs == [] and empty.queued_jobs == [], "nothing pending yet")
        group_arn = iot.describe_thing_group(thingGroupName=group)["thingGroupArn"]
        document = {"operation": "install", "version": "2.0"}
        iot.create_job(jobId=job, targets=[group_arn], document=json.dumps(document),
                       description="firmware 2.0")
        _, event = dev.wait_next(job)
        check(event.execution.job_document == document, f"document {event.execution.job_document}")
        check(event.execution.status == "QUEUED", "notify-next shows QUEUED")
        check(any(n.jobs and "QUEUED" in n.jobs for n in dev.notify_events), "notify lists it")
        started = dev.start_next(status_details={"step": "download"}, step_timeout_in_minutes=10)
        ex = started.execution
        check(ex.job_id == job and ex.status == "IN_PROGRESS", f"started {ex.status}")
        check(ex.version_number == 2 and ex.job_document == document, "version 2 with document")
        check(isinstance(ex.started_at.timestamp(), float), "startedAt is a time")
        again = dev.start_next()
        check(again.execution.job_id == job and again.execution.version_number == 2,
              "a second start-next returns the same execution")
        upd = dev.update(job, "IN_PROGRESS", status_details={"step": "flash", "progress": "50%"},
                         expected_version=2, include_job_execution_state=True)
        check(upd.execution_state.version_number == 3, "update moved the version")
        mismatch = dev.rejected(dev.update, job, "IN_PROGRESS", expected_version=2)
        check(mismatch.code == "VersionMismatch", f"code {mismatch.code}")
        check(mismatch.execution_state.version_number == 3, "executionState in the rejection")
        mid = iot.describe_job_execution(jobId=job, thingName=thing)["execution"]
        check(mid["statusDetails"] == {"detailsMap": {"step": "flash", "progress": "50%"}},
              f"control plane details {mid['statusDetails']}")
        done = dev.update(job, "SUCCEEDED", status_details={"step": "done"},
                          include_job_document=True)
        check(done.job_document == document, "includeJobDocument")
        dev.wait_next(None)
        invalid = dev.rejected(dev.update, job, "IN_PROGRESS")
        check(invalid.code == "InvalidStateTransition", f"code {invalid.code}")
        check(invalid.execution_state.status == "SUCCEEDED", "state in the rejection")
        described = dev.describe(job)
        missing = dev.rejected(dev.describe, "no-such-job")
        check(missing.code == "ResourceNotFound", f"code {missing.code}")
        execution = iot.describe_job_execution(jobId=job, thingName=thing)["execution"]
        j = iot.describe_job(jobId=job)["job"]
        check(execution["status"] == described.execution.status == "SUCCEEDED", "both succeeded")
        check(execution["versionNumber"] == described.execution.version_number == 4, "version 4")
        check(execution["statusDetails"] == {"detailsMap": {"step": "done"}}, "details")
        check(j["status"] == "COMPLETED", f"job {j['status']}")
        check(j["jobProcessDetails"]["numberOfSucceededThings"] == 1, "counted")
        check(j["jobProcessDetails"]["numberOfQueuedThings"] == 0, "none queued")
        out = {"job": j["status"], "execution": execution["status"],
               "version": execution["versionNumber"], "notify": len(dev.notify_events),
               "notify_next": len(dev.next_events)}
    finally:
        dev.close()
    iot.delete_job(jobId=job, force=True)
    return out


def main():
    scenario, o = sys.argv[1], json.loads(sys.argv[2])
    run = {
        "device5": lambda: device_flow(o, "5"),
        "device3": lambda: device_flow(o, "3"),
    }
    import jobs_more
    run.update(jobs_more.SCENARIOS)
    print(json.dumps(run[scenario]() if scenario in ("device5", "device3") else run[scenario](o)))
    print("done")


if __name__ == "__main__":
    main()
