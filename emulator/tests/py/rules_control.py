"""Topic rules through boto3: ListTopicRules with its topic and ruleDisabled filters and
paging, ReplaceTopicRule, Enable/DisableTopicRule, DeleteTopicRule, the errors AWS gives
(missing rule, existing name, bad SQL on replace), and HTTP topic rule destinations.

Usage: rules_control.py ENDPOINT_URL PREFIX. Prints one JSON object.
"""
import http.server
import json
import queue
import sys
import threading
import time
import urllib.request

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

# A destination's confirmation, as a user's web service receives it: a POST to the
# confirmation URL carrying the token, confirmed with ConfirmTopicRuleDestination, or by
# a GET of its enableUrl after a re-confirmation.
confirmations = queue.Queue()


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        confirmations.put(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_port}/{prefix}"


def status_of(arn):
    return iot.get_topic_rule_destination(arn=arn)["topicRuleDestination"]["status"]


created = iot.create_topic_rule_destination(destinationConfiguration={
    "httpUrlConfiguration": {"confirmationUrl": base}})
arn = created["topicRuleDestination"]["arn"]
out["destination_status"] = created["topicRuleDestination"]["status"]
message = confirmations.get(timeout=10)
out["confirmation_keys"] = sorted(message.keys())
out["confirmation_arn"] = message["arn"] == arn
out["early_enable"] = error_of(iot.update_topic_rule_destination, arn=arn, status="ENABLED")[0]
iot.confirm_topic_rule_destination(confirmationToken=message["confirmationToken"])
out["destination_confirmed"] = status_of(arn)
iot.update_topic_rule_destination(arn=arn, status="DISABLED")
out["destination_after_update"] = status_of(arn)
iot.update_topic_rule_destination(arn=arn, status="IN_PROGRESS")
again = confirmations.get(timeout=10)
out["reconfirm_new_token"] = again["confirmationToken"] != message["confirmationToken"]
urllib.request.urlopen(again["enableUrl"]).read()
out["enabled_by_url"] = status_of(arn)
out["bad_token"] = error_of(iot.confirm_topic_rule_destination, confirmationToken="nope")[0]
out["destination_listed"] = any(d["arn"] == arn for d in
                                iot.list_topic_rule_destinations()["destinationSummaries"])
iot.delete_topic_rule_destination(arn=arn)
out["destination_deleted"] = error_of(iot.get_topic_rule_destination, arn=arn)[0]
tls = iot.create_topic_rule_destination(destinationConfiguration={
    "httpUrlConfiguration": {"confirmationUrl": f"https://127.0.0.1:9/{prefix}"}})
tls_arn = tls["topicRuleDestination"]["arn"]
for _ in range(100):
    got = iot.get_topic_rule_destination(arn=tls_arn)["topicRuleDestination"]
    if got["status"] != "IN_PROGRESS":
        break
    time.sleep(0.05)
out["https_destination"] = [got["status"], "http://" in got["statusReason"]]
iot.delete_topic_rule_destination(arn=tls_arn)
server.shutdown()
print(json.dumps(out))
