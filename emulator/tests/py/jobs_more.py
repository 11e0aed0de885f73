"""The jobs scenarios beyond the main device flow (see jobs.py): CONTINUOUS targeting,
cancel with and without force, a step timeout through the emulator clock, the device
side over HTTP with boto3 `iot-jobs-data`, and the control plane's errors and templates."""
import json
import time
import urllib.request

import boto3

from jobs import TIMEOUT, Device, check, clients, error_code, provision

DOC = json.dumps({"operation": "reboot"})


def group_with_things(iot, group, things):
    arn = iot.create_thing_group(thingGroupName=group)["thingGroupArn"]
    for t in things:
        iot.create_thing(thingName=t)
        iot.add_thing_to_thing_group(thingGroupName=group, thingName=t)
    return arn


def statuses(iot, job):
    runs = iot.list_job_executions_for_job(jobId=job)["executionSummaries"]
    return {r["thingArn"].rsplit("/", 1)[1]: r["jobExecutionSummary"]["status"] for r in runs}


def continuous(o):
    """A thing added to the group later gets the CONTINUOUS job, not the SNAPSHOT one."""
    iot, _ = clients(o)
    p = o["prefix"]
    group = f"{p}-cont"
    arn = group_with_things(iot, group, [f"{p}-c1"])
    iot.create_job(jobId=f"{p}-cont", targets=[arn], document=DOC, targetSelection="CONTINUOUS")
    iot.create_job(jobId=f"{p}-snap", targets=[arn], document=DOC)
    late = f"{p}-c2"
    cert, key = provision(o, iot, late)
    dev = Device(o, "5", late, cert, key)
    try:
        iot.add_thing_to_thing_group(thingGroupName=group, thingName=late)
        _, event = dev.wait_next(f"{p}-cont")
        check(event.execution.status == "QUEUED", "queued for the newcomer")
        mine = iot.list_job_executions_for_thing(thingName=late)["executionSummaries"]
        check([m["jobId"] for m in mine] == [f"{p}-cont"], f"only the continuous job: {mine}")
        iot.remove_thing_from_thing_group(thingGroupName=group, thingName=late)
        dev.wait_next(None)
    finally:
        dev.close()
    removed = statuses(iot, f"{p}-cont")
    check(removed[late] == "REMOVED", f"removed: {removed}")
    cont = iot.describe_job(jobId=f"{p}-cont")["job"]
    check(cont["status"] == "IN_PROGRESS" and cont["targetSelection"] == "CONTINUOUS", "stays")
    listed = iot.list_jobs(targetSelection="CONTINUOUS", thingGroupName=group)["jobs"]
    check([j["jobId"] for j in listed] == [f"{p}-cont"], f"ListJobs filters: {listed}")
    return {"removed": removed[late], "continuous": cont["status"]}


def cancel(o):
    """CancelJob leaves IN_PROGRESS executions unless forced; CancelJobExecution too."""
    iot, data = clients(o)
    p = o["prefix"]
    arn = group_with_things(iot, f"{p}-cg", [f"{p}-k1", f"{p}-k2"])
    job = f"{p}-cancel"
    iot.create_job(jobId=job, targets=[arn], document=DOC)
    data.start_next_pending_job_execution(thingName=f"{p}-k1")
    iot.cancel_job(jobId=job, reasonCode="NOT_NEEDED", comment="changed plans")
    after = statuses(iot, job)
    check(after == {f"{p}-k1": "IN_PROGRESS", f"{p}-k2": "CANCELED"}, f"no force: {after}")
    j = iot.describe_job(jobId=job)["job"]
    check(j["status"] == "CANCELED" and j["reasonCode"] == "NOT_NEEDED", "job canceled")
    check(error_code(iot.cancel_job, jobId=job)[0] == "InvalidRequestException", "twice")
    code = error_code(iot.cancel_job_execution, jobId=job, thingName=f"{p}-k1")
    check(code == ("InvalidStateTransitionException", 409), f"needs force: {code}")
    code = error_code(iot.cancel_job_execution, jobId=job, thingName=f"{p}-k1", force=True,
                      expectedVersion=9)
    check(code == ("VersionConflictException", 409), f"version: {code}")
    iot.cancel_job_execution(jobId=job, thingName=f"{p}-k1", force=True)
    e = iot.describe_job_execution(jobId=job, thingName=f"{p}-k1")["execution"]
    check(e["status"] == "CANCELED" and e["forceCanceled"], f"forced {e}")
    code = error_code(data.update_job_execution, thingName=f"{p}-k1", jobId=job, status="SUCCEEDED")
    check(code == ("InvalidStateTransitionException", 409), f"device after cancel: {code}")
    forced = f"{p}-forced"
    iot.create_job(jobId=forced, targets=[arn], document=DOC)
    data.start_next_pending_job_execution(thingName=f"{p}-k2")
    check(error_code(iot.delete_job, jobId=forced)[0] == "InvalidStateTransitionException",
          "delete needs force")
    iot.cancel_job(jobId=forced, force=True)
    check(set(statuses(iot, forced).values()) == {"CANCELED"}, "force cancels all")
    check(iot.describe_job(jobId=forced)["job"]["forceCanceled"], "forceCanceled")
    iot.delete_job(jobId=forced)
    check(error_code(iot.describe_job, jobId=forced)[0] == "ResourceNotFoundException", "gone")
    return {"no_force": after, "forced": "CANCELED"}


def advance(o, seconds):
    req = urllib.request.Request(f"{o['api']}/_emulator/clock/advance?seconds={seconds}",
                                 method="POST")
    urllib.request.urlopen(req, timeout=TIMEOUT).read()


def timeout(o):
    """A step timer runs out on the emulator clock: TIMED_OUT, and the job completes."""
    iot, data = clients(o)
    p = o["prefix"]
    thing = f"{p}-slow"
    iot.create_thing(thingName=thing)
    arn = iot.describe_thing(thingName=thing)["thingArn"]
    job = f"{p}-timeout"
    iot.create_job(jobId=job, targets=[arn], document=DOC,
                   timeoutConfig={"inProgressTimeoutInMinutes": 30})
    started = data.start_next_pending_job_execution(thingName=thing, stepTimeoutInMinutes=1)
    left = started["execution"]["approximateSecondsBeforeTimedOut"]
    check(0 < left <= 60, f"timer shown: {left}")
    advance(o, 61)
    e = iot.describe_job_execution(jobId=job, thingName=thing)["execution"]
    check(e["status"] == "TIMED_OUT", f"timed out: {e['status']}")
    j = iot.describe_job(jobId=job)["job"]
    check(j["status"] == "COMPLETED", f"job {j['status']}")
    check(j["jobProcessDetails"]["numberOfTimedOutThings"] == 1, "counted")
    check(j["timeoutConfig"] == {"inProgressTimeoutInMinutes": 30}, "timeoutConfig shown")
    return {"execution": e["status"], "job": j["status"]}


def http(o):
    """The device side over HTTP: boto3 iot-jobs-data runs a job to SUCCEEDED."""
    iot, data = clients(o)
    p = o["prefix"]
    thing = f"{p}-http"
    iot.create_thing(thingName=thing)
    arn = iot.describe_thing(thingName=thing)["thingArn"]
    endpoint = iot.describe_endpoint(endpointType="iot:Jobs")["endpointAddress"]
    check(".jobs.iot." in endpoint, f"jobs endpoint {endpoint}")
    job = f"{p}-http-job"
    iot.create_job(jobId=job, targets=[arn], document=DOC)
    pending = data.get_pending_job_executions(thingName=thing)
    check([q["jobId"] for q in pending["queuedJobs"]] == [job], f"pending {pending}")
    nxt = data.describe_job_execution(thingName=thing, jobId="$next")["execution"]
    check(nxt["jobId"] == job and nxt["jobDocument"] == DOC, "$next with its document string")
    started = data.start_next_pending_job_execution(thingName=thing,
                                                     statusDetails={"step": "one"})
    check(started["execution"]["status"] == "IN_PROGRESS", "started")
    state = data.update_job_execution(thingName=thing, jobId=job, status="IN_PROGRESS",
                                      statusDetails={"progress": "50%"}, expectedVersion=2,
                                      includeJobExecutionState=True)["executionState"]
    check(state["versionNumber"] == 3, f"state {state}")
    code = error_code(data.update_job_execution, thingName=thing, jobId=job,
                      status="SUCCEEDED", expectedVersion=1)
    check(code == ("InvalidStateTransitionException", 409), f"version mismatch: {code}")
    code = error_code(data.update_job_execution, thingName=thing, jobId=job, status="QUEUED")
    check(code == ("InvalidRequestException", 400), f"device may not queue: {code}")
    data.update_job_execution(thingName=thing, jobId=job, status="SUCCEEDED")
    got = data.describe_job_execution(thingName=thing, jobId=job)["execution"]
    ctl = iot.describe_job_execution(jobId=job, thingName=thing)["execution"]
    check(got["status"] == ctl["status"] == "SUCCEEDED", "both agree")
    check(got["versionNumber"] == ctl["versionNumber"], "same version")
    none = data.start_next_pending_job_execution(thingName=thing)
    check("execution" not in none, f"nothing pending: {none}")
    code = error_code(data.describe_job_execution, thingName=thing, jobId="nope")
    check(code == ("ResourceNotFoundException", 404), f"missing: {code}")
    # The iot:Jobs endpoint's own listener: HTTPS with the emulator's CA, iot-jobs-data only.
    tls = boto3.client("iot-jobs-data", endpoint_url=o["jobs"], verify=o["ca"])
    over_tls = tls.describe_job_execution(thingName=thing, jobId=job)["execution"]
    check(over_tls["status"] == "SUCCEEDED", f"over TLS: {over_tls}")
    wrong = boto3.client("iot", endpoint_url=o["jobs"], verify=o["ca"])
    code = error_code(wrong.describe_thing, thingName=thing)
    check(code == ("InvalidSignatureException", 403), f"iot at the jobs endpoint: {code}")
    return {"status": got["status"], "version": got["versionNumber"]}


def control(o):
    """Control-plane errors, GetJobDocument, templates, paging and deletions."""
    iot, _ = clients(o)
    p = o["prefix"]
    thing = f"{p}-ctl"
    iot.create_thing(thingName=thing)
    arn = iot.describe_thing(thingName=thing)["thingArn"]
    job = f"{p}-ctl-job"
    iot.create_job(jobId=job, targets=[arn], document=DOC)
    check(error_code(iot.create_job, jobId=job, targets=[arn], document=DOC)
          == ("ResourceAlreadyExistsException", 409), "duplicate job")
    check(error_code(iot.create_job, jobId=f"{p}-bad", targets=[arn], document="not json")[0]
          == "InvalidRequestException", "document must be JSON")
    check(error_code(iot.create_job, jobId=f"{p}-bad", targets=[arn + "-missing"], document=DOC)
          == ("ResourceNotFoundException", 404), "unknown target")
    check(iot.get_job_document(jobId=job)["document"] == DOC, "GetJobDocument")
    iot.update_job(jobId=job, description="updated")
    check(iot.describe_job(jobId=job)["job"]["description"] == "updated", "UpdateJob")
    tmpl = iot.create_job_template(jobTemplateId=f"{p}-tmpl", description="reboots",
                                   document=DOC, timeoutConfig={"inProgressTimeoutInMinutes": 5})
    check(error_code(iot.create_job_template, jobTemplateId=f"{p}-tmpl", description="x",
                     document=DOC) == ("ConflictException", 409), "template conflict")
    iot.create_job(jobId=f"{p}-from-tmpl", targets=[arn], jobTemplateArn=tmpl["jobTemplateArn"])
    inherited = iot.describe_job(jobId=f"{p}-from-tmpl")["job"]
    check(inherited["description"] == "reboots", "description inherited")
    check(inherited["timeoutConfig"] == {"inProgressTimeoutInMinutes": 5}, "timeout inherited")
    check(inherited["jobTemplateArn"] == tmpl["jobTemplateArn"], "template named")
    ids = [t["jobTemplateId"] for t in iot.list_job_templates()["jobTemplates"]]
    check(f"{p}-tmpl" in ids, "ListJobTemplates")
    iot.delete_job_template(jobTemplateId=f"{p}-tmpl")
    check(error_code(iot.describe_job_template, jobTemplateId=f"{p}-tmpl")[0]
          == "ResourceNotFoundException", "template deleted")
    page = iot.list_jobs(maxResults=1)
    check(len(page["jobs"]) == 1 and "nextToken" in page, "paging")
    code = error_code(iot.delete_job_execution, jobId=job, thingName=thing, executionNumber=1)
    check(code == ("InvalidStateTransitionException", 409), f"pending execution: {code}")
    iot.delete_job_execution(jobId=job, thingName=thing, executionNumber=1, force=True)
    check(iot.describe_job(jobId=job)["job"]["status"] == "COMPLETED", "no executions left")
    return {"template": tmpl["jobTemplateId"]}


SCENARIOS = {"continuous": continuous, "cancel": cancel, "timeout": timeout, "http": http,
             "control": control}
