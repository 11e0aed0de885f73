"""Tagging through boto3: the Create operations' tags are kept, TagResource adds and
replaces, UntagResource removes, ListTagsForResource pages, and errors are AWS's
(a missing resource, an untaggable one, a reserved key). A deleted resource's tags go.

Usage: tagging.py ENDPOINT_URL CA_ARN (a CA the aws CLI registered with --tags
Key=env,Value=beta Key=team,Value=iot). Prints one JSON object.
"""
import json
import sys

import boto3

url = sys.argv[1]
iot = boto3.client("iot", endpoint_url=url, region_name="us-east-1")
role = "arn:aws:iam::123456789012:role/tags"
tag = [{"Key": "env", "Value": "beta"}, {"Key": "team", "Value": "iot"}]
out = {}


def tags_of(arn):
    pages = iot.get_paginator("list_tags_for_resource").paginate(resourceArn=arn)
    return {t["Key"]: t["Value"] for page in pages for t in page["tags"]}


def error_of(call, **kwargs):
    try:
        call(**kwargs)
    except iot.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return None


arns = {
    "thing_group": iot.create_thing_group(thingGroupName="tg", tags=tag)["thingGroupArn"],
    "thing_type": iot.create_thing_type(thingTypeName="tt", tags=tag)["thingTypeArn"],
    "policy": iot.create_policy(policyName="tp", tags=tag, policyDocument=json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": "iot:Connect", "Resource": "*"}]}))["policyArn"],
    "role_alias": iot.create_role_alias(roleAlias="ta", roleArn=role, tags=tag)["roleAliasArn"],
    "template": iot.create_provisioning_template(
        templateName="tpl", provisioningRoleArn=role, tags=tag,
        templateBody=json.dumps({"Parameters": {}, "Resources": {}}))["templateArn"],
}
iot.create_topic_rule(ruleName="trule", tags="env=beta&team=iot", topicRulePayload={
    "sql": "SELECT * FROM 't/x'",
    "actions": [{"republish": {"roleArn": role, "topic": "o"}}]})
arns["rule"] = iot.get_topic_rule(ruleName="trule")["ruleArn"]
arns["ca"] = sys.argv[2]
out["created"] = {k: tags_of(a) for k, a in arns.items()}

group = arns["thing_group"]
iot.tag_resource(resourceArn=group, tags=[{"Key": "env", "Value": "prod"},
                                          {"Key": "owner", "Value": "me"}])
out["after_tag"] = tags_of(group)
iot.untag_resource(resourceArn=group, tagKeys=["team", "absent"])
out["after_untag"] = tags_of(group)
iot.tag_resource(resourceArn=group, tags=[{"Key": f"k{n:02}", "Value": "v"} for n in range(40)])
out["limit"] = error_of(iot.tag_resource, resourceArn=group,
                        tags=[{"Key": f"x{n}", "Value": "v"} for n in range(20)])
out["count"] = len(tags_of(group))

missing = group.replace("thinggroup/tg", "thinggroup/absent")
out["missing"] = error_of(iot.list_tags_for_resource, resourceArn=missing)
thing = iot.create_thing(thingName="plain")["thingArn"]
out["untaggable"] = error_of(iot.tag_resource, resourceArn=thing, tags=tag)
out["reserved"] = error_of(iot.tag_resource, resourceArn=group,
                           tags=[{"Key": "aws:x", "Value": "v"}])
out["bad_create"] = error_of(iot.create_thing_group, thingGroupName="tg2",
                             tags=[{"Key": "aws:reserved", "Value": "v"}])
out["bad_create_made"] = error_of(iot.describe_thing_group, thingGroupName="tg2")

iot.delete_thing_group(thingGroupName="tg")
iot.create_thing_group(thingGroupName="tg")
out["recreated"] = tags_of(group)
print(json.dumps(out))
