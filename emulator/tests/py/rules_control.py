"""Topic rules through boto3: ListTopicRules with its topic and ruleDisabled filters and
paging, ReplaceTopicRule, Enable/DisableTopicRule, DeleteTopicRule, the errors AWS gives
(missing rule, existing name, bad SQL on replace), and HTTP topic rule destinations.

Usage: rules_control.py ENDPOINT_URL PREFIX. Prints one JSON object.
"""
import json
import sys

import boto3

url, prefix = sys.argv[1:3]
iot = boto3.client("iot", endpoint_url=url, region_name="us-east-1")
role = "arn:aws:iam::123456789012:role/republish"
out = {}


def republish(topic):
    return [{"republish": {"roleArn": role, "topic": topic, "qos": 0}}]


def error_of(call, **kwargs):
    try:
        call(**kwargs)
    except iot.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    return None


topic = f"{prefix}/list/+"
for n in range(5):
    iot.create_topic_rule(ruleName=f"{prefix}_{n}", topicRulePayload={
        "sql": f"SELECT * FROM '{topic}'", "actions": republish("out"),
        "ruleDisabled": n >= 3})
mine = lambda rules: sorted(r["ruleName"] for r in rules if r["ruleName"].startswith(prefix))
by_topic = iot.list_topic_rules(topic=topic)["rules"]
out["by_topic"] = mine(by_topic)
out["item_keys"] = sorted(by_topic[0].keys())
out["disabled"] = mine(iot.list_topic_rules(topic=topic, ruleDisabled=True)["rules"])
out["enabled"] = mine(iot.list_topic_rules(topic=topic, ruleDisabled=False)["rules"])
page = iot.list_topic_rules(topic=topic, maxResults=2)
rest = iot.list_topic_rules(topic=topic, maxResults=10, nextToken=page["nextToken"])
out["paged"] = [len(page["rules"]), len(rest["rules"]), "nextToken" in rest]
out["paginator"] = len(mine(r for p in iot.get_paginator("list_topic_rules").paginate(
    topic=topic, PaginationConfig={"PageSize": 2}) for r in p["rules"]))

name = f"{prefix}_0"
iot.replace_topic_rule(ruleName=name, topicRulePayload={
    "sql": "SELECT *  FROM 'replaced/#'", "awsIotSqlVersion": "2016-03-23",
    "description": "replaced", "actions": republish("elsewhere")})
got = iot.get_topic_rule(ruleName=name)
out["replaced"] = [got["rule"]["description"], got["rule"]["awsIotSqlVersion"],
                   got["rule"]["actions"][0]["republish"]["topic"]] if got else None
out["replaced_sql"] = got["rule"]["sql"]
iot.disable_topic_rule(ruleName=name)
out["after_disable"] = iot.get_topic_rule(ruleName=name)["rule"]["ruleDisabled"]
iot.enable_topic_rule(ruleName=name)
out["after_enable"] = iot.get_topic_rule(ruleName=name)["rule"]["ruleDisabled"]

out["replace_bad_sql"] = error_of(iot.replace_topic_rule, ruleName=f"{prefix}_1",
                                  topicRulePayload={"sql": "SELECT FROM WHERE", "actions": []})
out["create_existing"] = error_of(iot.create_topic_rule, ruleName=f"{prefix}_1",
                                  topicRulePayload={"sql": f"SELECT * FROM '{topic}'",
                                                    "actions": []})[0]
out["unknown_action"] = error_of(iot.create_topic_rule, ruleName=f"{prefix}_x",
                                 topicRulePayload={"sql": "SELECT * FROM 'a'",
                                                   "actions": [{"republish": {"roleArn": role, "topic": "t", "qos": 5}}]})
for n in range(5):
    iot.delete_topic_rule(ruleName=f"{prefix}_{n}")
out["missing"] = {
    "get": error_of(iot.get_topic_rule, ruleName=name),
    "delete": error_of(iot.delete_topic_rule, ruleName=name)[0],
    "enable": error_of(iot.enable_topic_rule, ruleName=name)[0],
    "disable": error_of(iot.disable_topic_rule, ruleName=name)[0],
    "replace": error_of(iot.replace_topic_rule, ruleName=name, topicRulePayload={
        "sql": "SELECT * FROM 'a'", "actions": []})[0],
}
out["after_delete"] = mine(iot.list_topic_rules(topic=topic)["rules"])

created = iot.create_topic_rule_destination(destinationConfiguration={
    "httpUrlConfiguration": {"confirmationUrl": f"http://127.0.0.1:9/{prefix}"}})
arn = created["topicRuleDestination"]["arn"]
out["destination_status"] = created["topicRuleDestination"]["status"]
iot.update_topic_rule_destination(arn=arn, status="DISABLED")
out["destination_after_update"] = iot.get_topic_rule_destination(arn=arn)["topicRuleDestination"]["status"]
out["destination_listed"] = any(d["arn"] == arn for d in
                                iot.list_topic_rule_destinations()["destinationSummaries"])
iot.delete_topic_rule_destination(arn=arn)
out["destination_deleted"] = error_of(iot.get_topic_rule_destination, arn=arn)[0]
print(json.dumps(out))
