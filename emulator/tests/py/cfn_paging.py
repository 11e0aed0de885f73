"""CloudFormation's lists page as AWS pages them, through boto3: a stack of 110 things has
more resources and events than one page holds, so ListStackResources and
DescribeStackEvents return a NextToken, and the paginators walk every page.

Usage: cfn_paging.py ENDPOINT_URL. Prints one JSON object.
"""
import json
import sys

import boto3

url = sys.argv[1]
cfn = boto3.client("cloudformation", endpoint_url=url, region_name="us-east-1")
resources = {f"Thing{n:03}": {"Type": "AWS::IoT::Thing"} for n in range(110)}
cfn.create_stack(StackName="paged", TemplateBody=json.dumps({"Resources": resources}))
out = {}

first = cfn.list_stack_resources(StackName="paged")
out["resources_first"] = [len(first["StackResourceSummaries"]), "NextToken" in first]
second = cfn.list_stack_resources(StackName="paged", NextToken=first["NextToken"])
out["resources_second"] = [len(second["StackResourceSummaries"]), "NextToken" in second]
events = cfn.describe_stack_events(StackName="paged")
out["events_first"] = [len(events["StackEvents"]), "NextToken" in events]
walk = lambda op, key, **kw: sum(len(p[key]) for p in cfn.get_paginator(op).paginate(**kw))
out["resources_total"] = walk("list_stack_resources", "StackResourceSummaries", StackName="paged")
# CREATE_IN_PROGRESS and CREATE_COMPLETE for the stack and for each thing.
out["events_total"] = walk("describe_stack_events", "StackEvents", StackName="paged")
out["stacks_total"] = walk("list_stacks", "StackSummaries")
out["change_sets_total"] = walk("list_change_sets", "Summaries", StackName="paged")
try:
    cfn.describe_stack_events(StackName="paged", NextToken="not-a-token")
    out["bad_token"] = None
except cfn.exceptions.ClientError as e:
    out["bad_token"] = e.response["Error"]["Code"]
cfn.delete_stack(StackName="paged")
print(json.dumps(out))
