#!/usr/bin/env python3
"""Security and reliability checks on the SAM template, run by `make test`.

    python3 infra/check_template.py [TEMPLATE ...]   # default: template.yaml
    python3 infra/check_template.py --self-test

Reads the template as written (SAM, before the transform; Globals.Function
merged into each function) and fails, naming the resource and the problem, on:

IAM. Any Allow statement, in an AWS::IAM::* resource, a serverless
function's or state machine's inline Policies, or a resource policy (SQS, SNS,
S3, EventBridge bus, Secrets Manager, KMS key), whose Action has a wildcard
("*", "dynamodb:*", "s3:Get*"), whose Resource is "*" (or an ARN whose
resource part is "*"), that uses NotAction or NotResource, or that admits any
principal ("*") with no condition. Resource "*" passes only when every action
of the statement is one AWS offers no resource-level permission for
(WILDCARD_RESOURCE_ACTIONS). Managed policies and SAM policy templates are
opaque here, so only the reviewed ones below are allowed.

Encryption. DynamoDB tables (and SAM SimpleTables) without
SSESpecification.SSEEnabled: true; SNS topics without KmsMasterKeyId; SQS
queues with neither KmsMasterKeyId nor SqsManagedSseEnabled: true.

Dead letters. A function invoked asynchronously (EventBridge rules and
schedules, SNS, S3, CloudWatch Logs, IoT) with neither a DeadLetterQueue nor
an EventInvokeConfig OnFailure destination; an EventBridge rule or Scheduler
target without a DeadLetterConfig; an SNS subscription of a function or queue
without a RedrivePolicy; a queue or stream a function polls without one.
Every such dead-letter target must be an SQS queue in the template with a
CloudWatch alarm on its depth (ApproximateNumberOfMessagesVisible, QueueName
dimension) that fires on the first message, and a queue that EventBridge
dead-letters into must have a queue policy admitting that rule.

Alarms that reach a person. Every CloudWatch alarm must act (AlarmActions)
on an SNS topic of the template that has a subscriber and is encrypted with a
key of the template (by Ref or by an alias of it) whose key policy lets
cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey (CloudWatch
cannot use the AWS-managed alias/aws/sns). And these alarms must exist: Errors
and Throttles of every function; Invocations of every scheduled function
below 1 within 5 minutes with missing data breaching (the schedule stopped);
NumberOfNotificationsFailed of every topic the alarms do not act on; the
account's SMSMonthToDateSpentUSD, when the template has such topics.
"""

from __future__ import annotations

import fnmatch
import json
import re
import sys
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover - the test venv has PyYAML (cfn-lint needs it)
    sys.exit("check_template: needs PyYAML (pip install pyyaml, or run from make test's .venv)")

# Actions AWS authorises only on Resource "*" (no resource-level
# permissions), so a statement of nothing but these may use it. Lower case:
# IAM action names are case-insensitive.
WILDCARD_RESOURCE_ACTIONS = {
    # X-Ray: what `Tracing: Active` needs (SAM attaches AWSXrayWriteOnlyAccess).
    "xray:puttracesegments",
    "xray:puttelemetryrecords",
    "xray:getsamplingrules",
    "xray:getsamplingtargets",
    "xray:getsamplingstatisticsummaries",
    # Custom metrics have no ARN; scope with a cloudwatch:namespace condition.
    "cloudwatch:putmetricdata",
}

# AWS managed policies allowed in a function's Policies or a role's
# ManagedPolicyArns. Both are what SAM attaches to every function anyway.
ALLOWED_MANAGED_POLICIES = {
    # logs:CreateLogGroup/CreateLogStream/PutLogEvents on "*".
    "AWSLambdaBasicExecutionRole",
    # The X-Ray actions above, on "*".
    "AWSXrayWriteOnlyAccess",
}

# SAM policy templates reviewed against aws-sam-translator 1.115.0's
# policy_templates.json: each grants named actions on the resource its
# parameter names, so it passes as long as no parameter is a wildcard. Others
# (SQSSendMessagePolicy grants sqs:SendMessage*, SSMParameterReadPolicy
# ssm:DescribeParameters on "*", CloudWatchPutMetricPolicy cloudwatch:* on
# "*", VPCAccessPolicy ec2 on "*", ...) are refused: write the statement out.
ALLOWED_POLICY_TEMPLATES = {
    "AWSSecretsManagerGetSecretValuePolicy",
    "DynamoDBCrudPolicy",
    "DynamoDBReadPolicy",
    "DynamoDBWritePolicy",
    "EventBridgePutEventsPolicy",
    "KMSDecryptPolicy",
    "LambdaInvokePolicy",
    "SNSPublishMessagePolicy",
    "SQSPollerPolicy",
}

# SAM event types that invoke the function asynchronously.
ASYNC_EVENTS = {"EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2", "SNS", "S3", "CloudWatchLogs", "IoTRule"}
# SAM event types that are an EventBridge rule (or Scheduler schedule) with a target.
RULE_EVENTS = {"EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2"}
# Service principals that invoke a plain AWS::Lambda::Function asynchronously.
ASYNC_PRINCIPALS = {"events.amazonaws.com", "sns.amazonaws.com", "s3.amazonaws.com", "logs.amazonaws.com", "iot.amazonaws.com"}

EVENTBRIDGE_RULE_ARN = "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/"


# --- reading ---------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags as their long form: !Ref X is {"Ref": X}."""


def _intrinsic(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _intrinsic)


def load(text):
    return yaml.load(text, Loader=_Loader)


# --- helpers ---------------------------------------------------------------


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def sub_text(value):
    """The text of a plain string or an Fn::Sub, else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and list(value) == ["Fn::Sub"]:
        sub = value["Fn::Sub"]
        if isinstance(sub, list) and sub:
            sub = sub[0]
        return sub if isinstance(sub, str) else None
    return None


def target_of(value):
    """The logical id a reference names: Ref X, GetAtt X.Arn, Sub "${X.Arn}"."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    key, arg = next(iter(value.items()))
    if key == "Ref" and isinstance(arg, str):
        return arg
    if key == "Fn::GetAtt":
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        return arg[0] if isinstance(arg, list) and arg and isinstance(arg[0], str) else None
    text = sub_text(value)
    if text:
        m = re.fullmatch(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}", text)
        if m:
            return m.group(1)
    return None


def is_true(value):
    return value is True or (isinstance(value, str) and value.lower() == "true")


def show(value):
    text = sub_text(value)
    return text if text is not None else json.dumps(value, sort_keys=True)


class Checker:
    def __init__(self, template):
        self.template = template if isinstance(template, dict) else {}
        resources = self.template.get("Resources")
        self.resources = {k: v for k, v in (resources or {}).items() if isinstance(v, dict)}
        self.problems: list[tuple[str, str]] = []
        self.statements = 0
        self.encrypted = 0
        # (logical id or None, the raw reference, who dead-letters into it, kind)
        self.dead_letters: list[tuple[str | None, object, str, str]] = []
        # (queue logical id, rule ARN text or None, rule logical id or None, who)
        self.rule_dead_letters: list[tuple[str, str | None, str | None, str]] = []
        globals_ = self.template.get("Globals") or {}
        self.function_globals = globals_.get("Function") or {}

    def problem(self, where, message):
        self.problems.append((where, message))

    def props(self, name):
        resource = self.resources[name]
        props = resource.get("Properties") or {}
        if resource.get("Type") == "AWS::Serverless::Function":
            props = {**self.function_globals, **props}
        return props

    def of_type(self, *types):
        return [name for name, r in self.resources.items() if r.get("Type") in types]

    def run(self):
        self.check_iam()
        self.check_encryption()
        self.check_dead_letters()
        self.check_dlq_alarms()
        self.check_rule_dlq_policies()
        self.check_alarms()
        return self.problems

    # --- IAM ---------------------------------------------------------------

    def check_iam(self):
        for name, resource in self.resources.items():
            kind = resource.get("Type")
            props = self.props(name)
            if kind in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
                for policy in as_list(props.get("Policies")):
                    if isinstance(policy, dict):
                        label = f"policy {policy.get('PolicyName', '?')}"
                        self.check_document(name, label, policy.get("PolicyDocument"))
                if kind == "AWS::IAM::Role":
                    self.check_document(name, "trust policy", props.get("AssumeRolePolicyDocument"))
                for arn in as_list(props.get("ManagedPolicyArns")):
                    self.check_managed_policy(name, arn)
            elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy", "AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy"):
                self.check_document(name, "policy", props.get("PolicyDocument"))
            elif kind in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
                self.check_sam_policies(name, props.get("Policies"))
            elif kind in ("AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy", "AWS::S3::BucketPolicy"):
                self.check_document(name, "resource policy", props.get("PolicyDocument"))
            elif kind == "AWS::SecretsManager::ResourcePolicy":
                self.check_document(name, "resource policy", props.get("ResourcePolicy"))
            elif kind == "AWS::Events::EventBusPolicy" and "Statement" in props:
                self.check_document(name, "bus policy", {"Statement": props["Statement"]})
            elif kind == "AWS::KMS::Key":
                self.check_document(name, "key policy", props.get("KeyPolicy"), key_policy=True)

    def check_sam_policies(self, name, policies):
        for i, policy in enumerate(as_list(policies), 1):
            if isinstance(policy, str) or sub_text(policy) is not None:
                self.check_managed_policy(name, policy)
            elif isinstance(policy, dict) and "Statement" in policy:
                self.check_document(name, f"Policies[{i}]", policy)
            elif isinstance(policy, dict) and len(policy) == 1:
                key, params = next(iter(policy.items()))
                if key in ("Ref", "Fn::GetAtt"):
                    # A policy resource of this template, checked where it is defined.
                    if target_of(policy) not in self.resources:
                        self.problem(name, f"Policies[{i}] {show(policy)} is not a policy this template defines, so it cannot be checked")
                elif key not in ALLOWED_POLICY_TEMPLATES:
                    self.problem(name, f"SAM policy template {key} is not one reviewed to be resource-scoped (see ALLOWED_POLICY_TEMPLATES); write the statement out")
                else:
                    for param, value in (params or {}).items():
                        if isinstance(value, str) and "*" in value:
                            self.problem(name, f"SAM policy template {key} has the wildcard {param}: {value!r}")
            else:
                self.problem(name, f"Policies[{i}] is neither a policy document, a managed policy nor a policy template")

    def check_managed_policy(self, name, arn):
        text = sub_text(arn)
        if text is None:
            if target_of(arn) in self.resources:
                return  # an AWS::IAM::ManagedPolicy of this template, checked where it is defined
            self.problem(name, f"managed policy {show(arn)} cannot be checked")
            return
        if text.rsplit("/", 1)[-1] not in ALLOWED_MANAGED_POLICIES:
            self.problem(name, f"managed policy {text} is not one reviewed (see ALLOWED_MANAGED_POLICIES); grant named actions on named resources instead")

    def check_document(self, name, label, document, key_policy=False):
        if isinstance(document, str):
            try:
                document = json.loads(document)
            except ValueError:
                self.problem(name, f"{label} is not a JSON policy document")
                return
        if not isinstance(document, dict):
            return
        for i, statement in enumerate(as_list(document.get("Statement")), 1):
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue  # Deny with wildcards only narrows
            self.statements += 1
            where = f"{label} statement {statement.get('Sid') or i}"
            for key in ("NotAction", "NotResource"):
                if key in statement:
                    self.problem(name, f"{where}: Allow with {key} grants everything not listed")
            actions = [a for a in as_list(statement.get("Action")) if isinstance(a, str)]
            for action in actions:
                if "*" in action or "?" in action:
                    self.problem(name, f"{where}: wildcard action {action!r}; name each action")
            # In a key policy, Resource "*" means the key itself.
            if not key_policy:
                broad = [a for a in actions if a.lower() not in WILDCARD_RESOURCE_ACTIONS]
                for resource in as_list(statement.get("Resource")):
                    if self.wildcard_resource(resource) and broad:
                        self.problem(
                            name,
                            f"{where}: Resource {show(resource)!r} for {', '.join(broad)}; "
                            "name the resources (only actions without resource-level permissions may use \"*\", "
                            "see WILDCARD_RESOURCE_ACTIONS)",
                        )
            principal = statement.get("Principal")
            if (principal == "*" or (isinstance(principal, dict) and "*" in as_list(principal.get("AWS")))) and not statement.get("Condition"):
                self.problem(name, f"{where}: any principal (\"*\") with no condition")

    @staticmethod
    def wildcard_resource(resource):
        text = sub_text(resource)
        if text is None:
            return False
        # ${AWS::Partition} and friends hold colons of their own.
        text = re.sub(r"\$\{[^}]*\}", "x", text)
        return text == "*" or bool(re.fullmatch(r"arn:[^:]*:[^:]*:[^:]*:[^:]*:\*", text))

    # --- encryption --------------------------------------------------------

    def check_encryption(self):
        for name in self.of_type("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::Serverless::SimpleTable"):
            sse = self.props(name).get("SSESpecification") or {}
            if is_true(sse.get("SSEEnabled")):
                self.encrypted += 1
            else:
                self.problem(name, "table not encrypted with KMS: set SSESpecification.SSEEnabled: true")
        for name in self.of_type("AWS::SNS::Topic"):
            if self.props(name).get("KmsMasterKeyId"):
                self.encrypted += 1
            else:
                self.problem(name, "topic not encrypted: set KmsMasterKeyId (e.g. alias/aws/sns)")
        for name in self.of_type("AWS::SQS::Queue"):
            props = self.props(name)
            if props.get("KmsMasterKeyId") or is_true(props.get("SqsManagedSseEnabled")):
                self.encrypted += 1
            else:
                self.problem(name, "queue not encrypted: set SqsManagedSseEnabled: true or KmsMasterKeyId")

    # --- dead letters ------------------------------------------------------

    def dead_letter(self, ref, who, kind):
        self.dead_letters.append((target_of(ref), ref, who, kind))

    def check_dead_letters(self):
        for name in self.of_type("AWS::Serverless::Function"):
            self.check_sam_function(name)
        self.check_plain_functions()
        for name in self.of_type("AWS::Lambda::EventInvokeConfig"):
            failure = ((self.props(name).get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
            if failure is not None:
                self.dead_letter(failure, name, "OnFailure destination")
        for name in self.of_type("AWS::Events::Rule"):
            props = self.props(name)
            for target in as_list(props.get("Targets")):
                if not isinstance(target, dict):
                    continue
                who = f"{name} target {target.get('Id', '?')}"
                arn = (target.get("DeadLetterConfig") or {}).get("Arn")
                if arn is None:
                    self.problem(name, f"target {target.get('Id', '?')} has no DeadLetterConfig: an event EventBridge cannot deliver is dropped")
                    continue
                self.dead_letter(arn, who, "rule DLQ")
                if target_of(arn):
                    bus = self.bus_segment(props.get("EventBusName"))
                    rule_name = sub_text(props.get("Name"))
                    rule_arn = EVENTBRIDGE_RULE_ARN + bus + rule_name if bus is not None and rule_name else None
                    self.rule_dead_letters.append((target_of(arn), rule_arn, name, who))
        for name in self.of_type("AWS::Scheduler::Schedule"):
            target = self.props(name).get("Target") or {}
            arn = (target.get("DeadLetterConfig") or {}).get("Arn")
            if arn is None:
                self.problem(name, "schedule target has no DeadLetterConfig: an invocation Scheduler cannot deliver is dropped")
            else:
                self.dead_letter(arn, name, "schedule DLQ")
        for name in self.of_type("AWS::SNS::Subscription"):
            props = self.props(name)
            if str(props.get("Protocol", "")).lower() in ("lambda", "sqs"):
                self.check_redrive(name, props.get("RedrivePolicy"), "subscription")
        for name in self.of_type("AWS::SQS::Queue"):
            redrive = self.props(name).get("RedrivePolicy")
            if isinstance(redrive, dict) and "deadLetterTargetArn" in redrive:
                self.dead_letter(redrive["deadLetterTargetArn"], name, "redrive target")
        for name in self.of_type("AWS::Lambda::EventSourceMapping"):
            props = self.props(name)
            self.check_polled_source(name, props.get("EventSourceArn"), props.get("DestinationConfig"))

    def check_redrive(self, name, redrive, what):
        if isinstance(redrive, str):
            try:
                redrive = json.loads(redrive)
            except ValueError:
                redrive = None
        arn = redrive.get("deadLetterTargetArn") if isinstance(redrive, dict) else None
        if arn is None:
            self.problem(name, f"{what} has no RedrivePolicy.deadLetterTargetArn: a message SNS cannot deliver is dropped")
        else:
            self.dead_letter(arn, name, f"{what} DLQ")

    def check_polled_source(self, name, source, destination_config):
        target = target_of(source)
        kind = self.resources.get(target, {}).get("Type") if target else None
        if kind == "AWS::SQS::Queue":
            redrive = self.props(target).get("RedrivePolicy")
            if not (isinstance(redrive, dict) and "deadLetterTargetArn" in redrive):
                self.problem(target, f"queue polled by {name} has no RedrivePolicy: a message that keeps failing is retried until it expires")
        elif kind in ("AWS::Kinesis::Stream", "AWS::DynamoDB::Table"):
            failure = ((destination_config or {}).get("OnFailure") or {}).get("Destination")
            if failure is None:
                self.problem(name, "stream source has no DestinationConfig.OnFailure: failed batches are skipped without a record")
            else:
                self.dead_letter(failure, name, "OnFailure destination")

    @staticmethod
    def failure_target(props):
        dlq = props.get("DeadLetterQueue")
        if isinstance(dlq, dict) and dlq.get("TargetArn") is not None:
            return dlq["TargetArn"], "DeadLetterQueue"
        failure = (((props.get("EventInvokeConfig") or {}).get("DestinationConfig") or {}).get("OnFailure") or {})
        if failure.get("Destination") is not None:
            return failure["Destination"], "OnFailure destination"
        if failure.get("Type"):
            return None, "SAM-created OnFailure destination"
        return None, None

    def check_sam_function(self, name):
        props = self.props(name)
        events = {k: v for k, v in (props.get("Events") or {}).items() if isinstance(v, dict)}
        asynchronous = sorted(k for k, v in events.items() if v.get("Type") in ASYNC_EVENTS)
        target, kind = self.failure_target(props)
        if target is not None:
            self.dead_letter(target, name, kind)
        elif kind:
            self.problem(name, f"{kind} has no Destination: declare the queue, with an alarm on its depth")
        elif asynchronous:
            self.problem(
                name,
                f"invoked asynchronously ({', '.join(asynchronous)}) with no DeadLetterQueue or EventInvokeConfig "
                "OnFailure destination: an event the function fails on after Lambda's retries is dropped",
            )
        for event_name, event in sorted(events.items()):
            kind = event.get("Type")
            eprops = event.get("Properties") or {}
            who = f"{name} event {event_name}"
            if kind in RULE_EVENTS:
                dlc = eprops.get("DeadLetterConfig") or {}
                if dlc.get("Arn") is not None:
                    self.dead_letter(dlc["Arn"], who, "rule DLQ")
                    queue = target_of(dlc["Arn"])
                    if queue and kind != "ScheduleV2":
                        key = "Name" if kind == "Schedule" else "RuleName"
                        bus = self.bus_segment(eprops.get("EventBusName"))
                        rule_name = sub_text(eprops.get(key))
                        rule_arn = EVENTBRIDGE_RULE_ARN + bus + rule_name if bus is not None and rule_name else None
                        # SAM names the rule resource <function><event>.
                        self.rule_dead_letters.append((queue, rule_arn, name + event_name, who))
                elif dlc.get("Type"):
                    self.problem(name, f"event {event_name}: a SAM-created dead-letter queue has no alarm; declare the queue and its alarm")
                else:
                    self.problem(name, f"event {event_name} ({kind}) has no DeadLetterConfig: an event EventBridge cannot deliver is dropped")
            elif kind == "SNS":
                self.check_redrive(name, eprops.get("RedrivePolicy"), f"event {event_name} (SNS subscription)")
            elif kind == "SQS":
                self.check_polled_source(who, eprops.get("Queue"), None)
            elif kind in ("Kinesis", "DynamoDB"):
                self.check_polled_source(who, eprops.get("Stream"), eprops.get("DestinationConfig"))

    def check_plain_functions(self):
        functions = set(self.of_type("AWS::Lambda::Function"))
        if not functions:
            return
        asynchronous: dict[str, str] = {}
        for name in self.of_type("AWS::Lambda::Permission"):
            props = self.props(name)
            fn = target_of(props.get("FunctionName"))
            if fn in functions and props.get("Principal") in ASYNC_PRINCIPALS:
                asynchronous.setdefault(fn, f"{props['Principal']} via {name}")
        for name in self.of_type("AWS::Events::Rule"):
            for target in as_list(self.props(name).get("Targets")):
                fn = target_of(target.get("Arn")) if isinstance(target, dict) else None
                if fn in functions:
                    asynchronous.setdefault(fn, f"rule {name}")
        for name in self.of_type("AWS::SNS::Subscription"):
            fn = target_of(self.props(name).get("Endpoint"))
            if fn in functions:
                asynchronous.setdefault(fn, f"subscription {name}")
        configured = set()
        for name in self.of_type("AWS::Lambda::EventInvokeConfig"):
            props = self.props(name)
            if ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination") is not None:
                configured.add(target_of(props.get("FunctionName")))
        for fn in sorted(functions):
            dlq = (self.props(fn).get("DeadLetterConfig") or {}).get("TargetArn")
            if dlq is not None:
                self.dead_letter(dlq, fn, "DeadLetterConfig")
            elif fn in asynchronous and fn not in configured:
                self.problem(fn, f"invoked asynchronously ({asynchronous[fn]}) with no DeadLetterConfig or EventInvokeConfig OnFailure destination")

    def bus_segment(self, bus):
        """The "<bus name>/" part of a rule ARN: empty on the default bus, None if unknown."""
        if bus is None or bus == "default":
            return ""
        target = target_of(bus)
        if target in self.resources and self.resources[target].get("Type") == "AWS::Events::EventBus":
            name = sub_text(self.props(target).get("Name"))
            return None if name is None else name + "/"
        text = sub_text(bus)
        return None if text is None else text + "/"

    def check_dlq_alarms(self):
        alarms = [(name, self.props(name)) for name in self.of_type("AWS::CloudWatch::Alarm")]
        seen = set()
        for queue, ref, who, kind in self.dead_letters:
            if queue not in self.resources:
                self.problem(who, f"{kind} {show(ref)} is not a queue of this template, so no alarm on it can be checked")
                continue
            if self.resources[queue].get("Type") != "AWS::SQS::Queue":
                self.problem(who, f"{kind} {queue} is a {self.resources[queue].get('Type')}, not an SQS queue whose depth can be alarmed on")
                continue
            if queue in seen:
                continue
            seen.add(queue)
            found = [(name, props) for name, props in alarms if self.watches_depth(props, queue)]
            if not found:
                self.problem(queue, f"dead-letter queue ({kind} of {who}) has no CloudWatch alarm on ApproximateNumberOfMessagesVisible")
            elif not any(self.fires_on_first(props) for _, props in found):
                names = ", ".join(name for name, _ in found)
                self.problem(queue, f"the alarm on this dead-letter queue ({names}) does not fire on its first message (use GreaterThanThreshold 0)")

    def watches_depth(self, alarm, queue):
        queue_name = self.props(queue).get("QueueName")
        metrics = [alarm] + [
            (m.get("MetricStat") or {}).get("Metric") or {} for m in as_list(alarm.get("Metrics")) if isinstance(m, dict)
        ]
        for metric in metrics:
            if metric.get("Namespace") != "AWS/SQS" or metric.get("MetricName") != "ApproximateNumberOfMessagesVisible":
                continue
            for dim in as_list(metric.get("Dimensions")):
                if not isinstance(dim, dict) or dim.get("Name") != "QueueName":
                    continue
                value = dim.get("Value")
                if target_of(value) == queue or (queue_name is not None and value == queue_name):
                    return True
        return False

    @staticmethod
    def fires_on_first(alarm):
        try:
            threshold = float(alarm.get("Threshold"))
        except (TypeError, ValueError):
            return "Metrics" in alarm  # a metric-math alarm with a threshold metric: trust it
        op = alarm.get("ComparisonOperator")
        return (op == "GreaterThanThreshold" and threshold < 1) or (op == "GreaterThanOrEqualToThreshold" and threshold <= 1)

    def check_rule_dlq_policies(self):
        """EventBridge needs a queue policy to dead-letter into a queue; a
        policy pinned to other rules' ARNs silently drops the events."""
        policies = [self.props(name) for name in self.of_type("AWS::SQS::QueuePolicy")]
        for queue, rule_arn, rule_id, who in self.rule_dead_letters:
            if self.resources.get(queue, {}).get("Type") != "AWS::SQS::Queue":
                continue
            grants = []
            for policy in policies:
                if queue not in [target_of(q) for q in as_list(policy.get("Queues"))]:
                    continue
                for statement in as_list((policy.get("PolicyDocument") or {}).get("Statement")):
                    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                        continue
                    principal = statement.get("Principal") or {}
                    services = as_list(principal.get("Service")) if isinstance(principal, dict) else []
                    actions = [str(a).lower() for a in as_list(statement.get("Action"))]
                    if "events.amazonaws.com" in services and "sqs:sendmessage" in actions:
                        grants.append(statement)
            if not grants:
                self.problem(queue, f"EventBridge cannot dead-letter here for {who}: no queue policy lets events.amazonaws.com sqs:SendMessage")
                continue
            if any(self.admits_rule(statement, rule_arn, rule_id) for statement in grants):
                continue
            if rule_arn is None:
                self.problem(queue, f"queue policy pins aws:SourceArn, and the rule of {who} has no name to match it against; give the rule an explicit name")
            else:
                self.problem(queue, f"queue policy does not admit {who}'s rule {rule_arn}: EventBridge's dead letters for it would be refused")

    # --- alarms that reach a person -----------------------------------------

    @staticmethod
    def metric_of(alarm):
        """(namespace, metric name, {dimension: value}) of a single-metric alarm."""
        dims = {d.get("Name"): d.get("Value") for d in as_list(alarm.get("Dimensions")) if isinstance(d, dict)}
        return alarm.get("Namespace"), alarm.get("MetricName"), dims

    def alarms_on(self, namespace, metric, dimension=None, target=None):
        found = []
        for name in self.of_type("AWS::CloudWatch::Alarm"):
            props = self.props(name)
            ns, mn, dims = self.metric_of(props)
            if (ns, mn) != (namespace, metric):
                continue
            if dimension is not None and target_of(dims.get(dimension)) != target:
                continue
            found.append((name, props))
        return found

    def topic_key(self, topic):
        """The AWS::KMS::Key a topic is encrypted with (by Ref, GetAtt or an alias of this template), or None."""
        key = self.props(topic).get("KmsMasterKeyId")
        target = target_of(key)
        if target in self.resources:
            kind = self.resources[target].get("Type")
            if kind == "AWS::KMS::Key":
                return target
            if kind == "AWS::KMS::Alias":
                key = self.props(target).get("AliasName")
        text = sub_text(key)
        if text is None:
            return None
        for alias in self.of_type("AWS::KMS::Alias"):
            props = self.props(alias)
            if sub_text(props.get("AliasName")) == text:
                target = target_of(props.get("TargetKeyId"))
                if self.resources.get(target, {}).get("Type") == "AWS::KMS::Key":
                    return target
        return None

    def key_admits_cloudwatch(self, key):
        needed = {"kms:decrypt", "kms:generatedatakey"}
        granted = set()
        for statement in as_list((self.props(key).get("KeyPolicy") or {}).get("Statement")):
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            principal = statement.get("Principal") or {}
            services = as_list(principal.get("Service")) if isinstance(principal, dict) else []
            if "cloudwatch.amazonaws.com" in services:
                granted |= {str(a).lower() for a in as_list(statement.get("Action"))}
        return needed <= granted

    def check_alarms(self):
        alarm_topics = set()
        for name in self.of_type("AWS::CloudWatch::Alarm"):
            actions = as_list(self.props(name).get("AlarmActions"))
            if not actions:
                self.problem(name, "alarm has no AlarmActions: it changes state and nobody is told")
            for action in actions:
                target = target_of(action)
                if self.resources.get(target, {}).get("Type") != "AWS::SNS::Topic":
                    self.problem(name, f"alarm action {show(action)} is not an SNS topic of this template, so whether it reaches a person cannot be checked")
                else:
                    alarm_topics.add(target)
        subscribed = {target_of(self.props(s).get("TopicArn")) for s in self.of_type("AWS::SNS::Subscription")}
        for topic in sorted(alarm_topics):
            key = self.topic_key(topic)
            if key is None:
                self.problem(topic, f"alarm topic is encrypted with {show(self.props(topic).get('KmsMasterKeyId'))}, not a key of this template: CloudWatch cannot publish to a topic under the AWS-managed key")
            elif not self.key_admits_cloudwatch(key):
                self.problem(key, f"key policy of alarm topic {topic}'s key does not let cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey, so its alarms are never delivered")
            if topic not in subscribed:
                self.problem(topic, "alarm topic has no subscription: its alarms reach nobody")
        functions = self.of_type("AWS::Serverless::Function", "AWS::Lambda::Function")
        for fn in functions:
            for metric in ("Errors", "Throttles"):
                if not self.alarms_on("AWS/Lambda", metric, "FunctionName", fn):
                    self.problem(fn, f"function has no alarm on its {metric}")
            events = (self.props(fn).get("Events") or {}) if self.resources[fn].get("Type") == "AWS::Serverless::Function" else {}
            scheduled = sorted(k for k, v in events.items() if isinstance(v, dict) and v.get("Type") in ("Schedule", "ScheduleV2"))
            if scheduled and not any(self.catches_silence(props) for _, props in self.alarms_on("AWS/Lambda", "Invocations", "FunctionName", fn)):
                self.problem(fn, f"scheduled ({', '.join(scheduled)}) with no alarm on Invocations < 1 within 5 minutes, missing data breaching: a stopped schedule would go unnoticed")
        watched = [t for t in self.of_type("AWS::SNS::Topic") if t not in alarm_topics]
        for topic in watched:
            if not self.alarms_on("AWS/SNS", "NumberOfNotificationsFailed", "TopicName", topic):
                self.problem(topic, "topic has no alarm on NumberOfNotificationsFailed: deliveries SNS gives up on go unnoticed")
        if watched and not self.alarms_on("AWS/SNS", "SMSMonthToDateSpentUSD"):
            self.problem("SMS", "no alarm on SMSMonthToDateSpentUSD: at the account's SMS spend limit SNS silently stops sending SMS pages")

    @staticmethod
    def catches_silence(alarm):
        try:
            threshold = float(alarm.get("Threshold"))
            window = int(alarm.get("Period")) * int(alarm.get("EvaluationPeriods"))
        except (TypeError, ValueError):
            return False
        op = alarm.get("ComparisonOperator")
        below_one = (op == "LessThanThreshold" and 0 < threshold <= 1) or (op == "LessThanOrEqualToThreshold" and 0 <= threshold < 1)
        return below_one and window <= 300 and alarm.get("TreatMissingData") == "breaching"

    @staticmethod
    def admits_rule(statement, rule_arn, rule_id):
        values = []
        pinned = False
        for operator, condition in (statement.get("Condition") or {}).items():
            for key, value in (condition or {}).items():
                if key.lower() == "aws:sourcearn":
                    pinned = True
                    if operator.startswith("Arn") or operator.startswith("String"):
                        values.extend(as_list(value))
        if not pinned:
            return True
        for value in values:
            if target_of(value) == rule_id:
                return True
            text = sub_text(value)
            if rule_arn is not None and text is not None and fnmatch.fnmatchcase(rule_arn, text):
                return True
        return False


def check(template):
    checker = Checker(template)
    checker.run()
    return checker


def main(argv):
    if argv[:1] == ["--self-test"]:
        return self_test()
    paths = argv or ["template.yaml"]
    root = Path(__file__).resolve().parent.parent
    failed = False
    for path in paths:
        # The default is the repository's template, wherever this runs from.
        file = Path(path) if argv else root / path
        checker = check(load(file.read_text()))
        for where, message in checker.problems:
            print(f"{path}: {where}: {message}", file=sys.stderr)
        if checker.problems:
            failed = True
            print(f"check_template: {path}: {len(checker.problems)} problem(s)", file=sys.stderr)
        else:
            queues = len({q for q, *_ in checker.dead_letters})
            print(
                f"check_template: {path} clean ({checker.statements} Allow statements, "
                f"{checker.encrypted} encrypted tables/topics/queues, {queues} dead-letter queues with alarms, "
                f"{len(checker.of_type('AWS::CloudWatch::Alarm'))} alarms that reach a person)",
                file=sys.stderr,
            )
    return 1 if failed else 0


# --- self-test -------------------------------------------------------------

# A small template that passes: a function on a custom-bus rule with both
# dead-letter levels, an encrypted table, topic and queue, the queue's alarm
# and policy. Each case below breaks one thing.
GOOD = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: provided.al2023
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Action: [dynamodb:GetItem, dynamodb:Query]
              Resource: [!GetAtt Table.Arn, !Sub "${Table.Arn}/index/*"]
            - Effect: Allow
              Action: xray:PutTraceSegments
              Resource: "*"
        - AWSXrayWriteOnlyAccess
        - DynamoDBReadPolicy: {TableName: !Ref Table}
      EventInvokeConfig:
        MaximumRetryAttempts: 2
        DestinationConfig:
          OnFailure: {Type: SQS, Destination: !GetAtt Dlq.Arn}
      Events:
        OnEvent:
          Type: EventBridgeRule
          Properties:
            EventBusName: !Ref Bus
            RuleName: !Sub app-${Env}-on-event
            Pattern: {source: [app]}
            DeadLetterConfig: {Arn: !GetAtt Dlq.Arn}
        Http:
          Type: HttpApi
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: !Sub "app-${Env}"}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      SSESpecification: {SSEEnabled: true}
  Topic:
    Type: AWS::SNS::Topic
    Properties: {KmsMasterKeyId: alias/aws/sns}
  Dlq:
    Type: AWS::SQS::Queue
    Properties: {SqsManagedSseEnabled: true, QueueName: !Sub "app-${Env}-dlq"}
  DlqAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/SQS
      MetricName: ApproximateNumberOfMessagesVisible
      Dimensions: [{Name: QueueName, Value: !GetAtt Dlq.QueueName}]
      Statistic: Maximum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
      AlarmActions: [!Ref AlarmTopic]
  AlarmKey:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            Action: [kms:DescribeKey, kms:PutKeyPolicy]
            Resource: "*"
          - Effect: Allow
            Principal: {Service: cloudwatch.amazonaws.com}
            Action: [kms:Decrypt, kms:GenerateDataKey]
            Resource: "*"
  AlarmKeyAlias:
    Type: AWS::KMS::Alias
    Properties: {AliasName: alias/app-alarms, TargetKeyId: !Ref AlarmKey}
  AlarmTopic:
    Type: AWS::SNS::Topic
    Properties: {KmsMasterKeyId: alias/app-alarms}
  Operator:
    Type: AWS::SNS::Subscription
    Properties: {TopicArn: !Ref AlarmTopic, Protocol: email, Endpoint: ops@example.com}
  FnErrors:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/Lambda
      MetricName: Errors
      Dimensions: [{Name: FunctionName, Value: !Ref Fn}]
      AlarmActions: [!Ref AlarmTopic]
  FnThrottles:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/Lambda
      MetricName: Throttles
      Dimensions: [{Name: FunctionName, Value: !Ref Fn}]
      AlarmActions: [!Ref AlarmTopic]
  TopicFailed:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/SNS
      MetricName: NumberOfNotificationsFailed
      Dimensions: [{Name: TopicName, Value: !GetAtt Topic.TopicName}]
      AlarmActions: [!Ref AlarmTopic]
  SmsSpend:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/SNS
      MetricName: SMSMonthToDateSpentUSD
      AlarmActions: [!Ref AlarmTopic]
  DlqPolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Dlq]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: events.amazonaws.com}
            Action: sqs:SendMessage
            Resource: !GetAtt Dlq.Arn
            Condition:
              ArnEquals:
                aws:SourceArn:
                  - !Sub "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/app-${Env}/app-${Env}-on-event"
                  # the cases' schedule, on the default bus
                  - !Sub "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/app-${Env}-tick"
"""


def _at(template, path):
    node = template
    for key in path:
        node = node[key]
    return node


def _set(path, value):
    def edit(t):
        _at(t, path[:-1])[path[-1]] = value

    return edit


def _delete(path):
    def edit(t):
        del _at(t, path[:-1])[path[-1]]

    return edit


def _add(name, yaml_text):
    def edit(t):
        t["Resources"][name] = load(yaml_text)

    return edit


FN = ["Resources", "Fn", "Properties"]
# The sweep's heartbeat alarm, for the cases with a schedule.
SILENCE = """
Type: AWS::CloudWatch::Alarm
Properties:
  Namespace: AWS/Lambda
  MetricName: Invocations
  Dimensions: [{Name: FunctionName, Value: !Ref Fn}]
  Period: 300
  EvaluationPeriods: 1
  Threshold: 1
  ComparisonOperator: LessThanThreshold
  TreatMissingData: breaching
  AlarmActions: [!Ref AlarmTopic]
"""
TICK = {"Type": "Schedule", "Properties": {"Name": {"Fn::Sub": "app-${Env}-tick"}, "Schedule": "rate(1 minute)", "DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["Dlq", "Arn"]}}}}


def _both(*edits):
    def edit(t):
        for e in edits:
            e(t)

    return edit


def _silence(key, value):
    def edit(t):
        t["Resources"]["Silence"] = load(SILENCE)
        t["Resources"]["Silence"]["Properties"][key] = value

    return edit
STATEMENT = FN + ["Policies", 0, "Statement", 0]

# (what is broken, edit to GOOD, text the problem must contain, resource it must name)
CASES = [
    ("action *", _set(STATEMENT + ["Action"], "*"), "wildcard action '*'", "Fn"),
    ("service:*", _set(STATEMENT + ["Action"], ["dynamodb:*"]), "wildcard action 'dynamodb:*'", "Fn"),
    ("partial wildcard", _set(STATEMENT + ["Action"], "dynamodb:Get*"), "wildcard action 'dynamodb:Get*'", "Fn"),
    ("resource *", _set(STATEMENT + ["Resource"], "*"), "Resource '*' for dynamodb:GetItem", "Fn"),
    ("resource arn:*", _set(STATEMENT + ["Resource"], {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:*"}), "Resource 'arn:", "Fn"),
    ("allowlisted action mixed with another", _set(FN + ["Policies", 0, "Statement", 1, "Action"], ["xray:PutTraceSegments", "sns:Publish"]), "for sns:Publish", "Fn"),
    ("NotAction", _set(STATEMENT + ["NotAction"], "iam:*"), "Allow with NotAction", "Fn"),
    ("unreviewed managed policy", _set(FN + ["Policies", 1], "AmazonDynamoDBFullAccess"), "managed policy AmazonDynamoDBFullAccess", "Fn"),
    ("unreviewed policy template", _set(FN + ["Policies", 2], {"SQSSendMessagePolicy": {"QueueName": "q"}}), "SAM policy template SQSSendMessagePolicy", "Fn"),
    ("policy template on *", _set(FN + ["Policies", 2], {"DynamoDBReadPolicy": {"TableName": "*"}}), "wildcard TableName", "Fn"),
    (
        "IAM role inline policy",
        _add("Role", """
Type: AWS::IAM::Role
Properties:
  AssumeRolePolicyDocument:
    Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  Policies:
    - PolicyName: p
      PolicyDocument: {Statement: [{Effect: Allow, Action: "s3:*", Resource: "*"}]}
"""),
        "wildcard action 's3:*'",
        "Role",
    ),
    (
        "IAM managed policy resource",
        _add("Managed", """
Type: AWS::IAM::ManagedPolicy
Properties:
  PolicyDocument: {Statement: [{Effect: Allow, Action: sns:Publish, Resource: "*"}]}
"""),
        "Resource '*' for sns:Publish",
        "Managed",
    ),
    (
        "topic policy open to anyone",
        _add("TopicPolicy", """
Type: AWS::SNS::TopicPolicy
Properties:
  Topics: [!Ref Topic]
  PolicyDocument: {Statement: [{Effect: Allow, Principal: "*", Action: sns:Publish, Resource: !Ref Topic}]}
"""),
        "any principal",
        "TopicPolicy",
    ),
    ("queue policy resource *", _set(["Resources", "DlqPolicy", "Properties", "PolicyDocument", "Statement", 0, "Resource"], "*"), "Resource '*' for sqs:SendMessage", "DlqPolicy"),
    ("table unencrypted", _delete(["Resources", "Table", "Properties", "SSESpecification"]), "table not encrypted", "Table"),
    ("table SSE off", _set(["Resources", "Table", "Properties", "SSESpecification", "SSEEnabled"], False), "table not encrypted", "Table"),
    ("topic unencrypted", _delete(["Resources", "Topic", "Properties", "KmsMasterKeyId"]), "topic not encrypted", "Topic"),
    ("queue unencrypted", _set(["Resources", "Dlq", "Properties", "SqsManagedSseEnabled"], False), "queue not encrypted", "Dlq"),
    ("no OnFailure", _delete(FN + ["EventInvokeConfig"]), "invoked asynchronously (OnEvent)", "Fn"),
    ("no rule DLQ", _delete(FN + ["Events", "OnEvent", "Properties", "DeadLetterConfig"]), "has no DeadLetterConfig", "Fn"),
    (
        "schedule without DLQs",
        _set(FN + ["Events", "Tick"], {"Type": "Schedule", "Properties": {"Schedule": "rate(1 minute)"}}),
        "event Tick (Schedule) has no DeadLetterConfig",
        "Fn",
    ),
    ("DLQ without alarm", _delete(["Resources", "DlqAlarm"]), "has no CloudWatch alarm", "Dlq"),
    ("alarm on another metric", _set(["Resources", "DlqAlarm", "Properties", "MetricName"], "NumberOfMessagesSent"), "has no CloudWatch alarm", "Dlq"),
    ("alarm too late", _set(["Resources", "DlqAlarm", "Properties", "Threshold"], 10), "does not fire on its first message", "Dlq"),
    ("DLQ not in the template", _set(FN + ["EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination"], "arn:aws:sqs:us-east-1:123456789012:elsewhere"), "is not a queue of this template", "Fn"),
    ("DLQ is a topic", _set(FN + ["EventInvokeConfig", "DestinationConfig", "OnFailure"], {"Type": "SNS", "Destination": {"Ref": "Topic"}}), "not an SQS queue", "Fn"),
    ("queue policy for another rule", _set(FN + ["Events", "OnEvent", "Properties", "RuleName"], {"Fn::Sub": "app-${Env}-renamed"}), "does not admit Fn event OnEvent's rule", "Dlq"),
    ("no queue policy", _delete(["Resources", "DlqPolicy"]), "no queue policy lets events.amazonaws.com", "Dlq"),
    (
        "plain rule target without DLQ",
        _add("Rule", """
Type: AWS::Events::Rule
Properties:
  EventPattern: {source: [app]}
  Targets: [{Id: fn, Arn: !GetAtt Fn.Arn}]
"""),
        "target fn has no DeadLetterConfig",
        "Rule",
    ),
    ("alarm without action", _delete(["Resources", "DlqAlarm", "Properties", "AlarmActions"]), "alarm has no AlarmActions", "DlqAlarm"),
    ("alarm acting on an outside ARN", _set(["Resources", "FnErrors", "Properties", "AlarmActions"], ["arn:aws:sns:us-east-1:123456789012:x"]), "is not an SNS topic of this template", "FnErrors"),
    ("alarm topic under the AWS-managed key", _set(["Resources", "AlarmTopic", "Properties", "KmsMasterKeyId"], "alias/aws/sns"), "CloudWatch cannot publish", "AlarmTopic"),
    ("key policy without CloudWatch", _delete(["Resources", "AlarmKey", "Properties", "KeyPolicy", "Statement", 1]), "does not let cloudwatch.amazonaws.com", "AlarmKey"),
    ("alarm topic with nobody subscribed", _delete(["Resources", "Operator"]), "alarm topic has no subscription", "AlarmTopic"),
    ("no Errors alarm", _delete(["Resources", "FnErrors"]), "no alarm on its Errors", "Fn"),
    ("no Throttles alarm", _delete(["Resources", "FnThrottles"]), "no alarm on its Throttles", "Fn"),
    ("Errors alarm on another function", _set(["Resources", "FnErrors", "Properties", "Dimensions", 0, "Value"], {"Ref": "Other"}), "no alarm on its Errors", "Fn"),
    ("no failed-delivery alarm", _delete(["Resources", "TopicFailed"]), "no alarm on NumberOfNotificationsFailed", "Topic"),
    ("no SMS spend alarm", _delete(["Resources", "SmsSpend"]), "no alarm on SMSMonthToDateSpentUSD", "SMS"),
    ("schedule without a silence alarm", _set(FN + ["Events", "Tick"], TICK), "no alarm on Invocations < 1", "Fn"),
    ("silence alarm with missing data not breaching", _both(_set(FN + ["Events", "Tick"], TICK), _silence("TreatMissingData", "notBreaching")), "no alarm on Invocations < 1", "Fn"),
    ("silence alarm over an hour", _both(_set(FN + ["Events", "Tick"], TICK), _silence("Period", 3600)), "no alarm on Invocations < 1", "Fn"),
    ("silence alarm that never fires", _both(_set(FN + ["Events", "Tick"], TICK), _silence("Threshold", 0)), "no alarm on Invocations < 1", "Fn"),
    (
        "SNS subscription without redrive",
        _set(FN + ["Events", "Sns"], {"Type": "SNS", "Properties": {"Topic": {"Ref": "Topic"}}}),
        "has no RedrivePolicy",
        "Fn",
    ),
]


def self_test():
    failures = []
    base = check(load(GOOD))
    if base.problems:
        failures.append(f"the good template has problems: {base.problems}")
    ran = 0
    for what, edit, expected, resource in CASES:
        ran += 1
        template = load(GOOD)
        edit(template)
        problems = check(template).problems
        if not any(expected in message and where.startswith(resource) for where, message in problems):
            failures.append(f"{what}: expected {resource}: ...{expected}..., got {problems}")
    # A scheduled function with its silence alarm passes.
    template = load(GOOD)
    _both(_set(FN + ["Events", "Tick"], TICK), _silence("Threshold", 1))(template)
    ran += 1
    if check(template).problems:
        failures.append(f"scheduled function with its silence alarm: {check(template).problems}")
    # A plain Lambda function a rule targets, with neither DLQ.
    template = load(GOOD)
    template["Resources"]["Plain"] = load("Type: AWS::Lambda::Function\nProperties: {Handler: bootstrap}")
    template["Resources"]["PlainRule"] = load("""
Type: AWS::Events::Rule
Properties:
  EventPattern: {source: [app]}
  Targets: [{Id: plain, Arn: !GetAtt Plain.Arn, DeadLetterConfig: {Arn: !GetAtt Dlq.Arn}}]
""")
    problems = check(template).problems
    ran += 1
    if not any(where == "Plain" and "invoked asynchronously (rule PlainRule)" in message for where, message in problems):
        failures.append(f"plain function: expected Plain: invoked asynchronously, got {problems}")
    # Short tags parse to their long forms.
    ran += 1
    tags = load("a: !Ref X\nb: !GetAtt Y.Arn\nc: !Sub '${Z}'\nd: !Join [',', [a, b]]")
    if tags != {"a": {"Ref": "X"}, "b": {"Fn::GetAtt": ["Y", "Arn"]}, "c": {"Fn::Sub": "${Z}"}, "d": {"Fn::Join": [",", ["a", "b"]]}}:
        failures.append(f"tags: {tags}")
    for failure in failures:
        print(f"check_template self-test: FAIL {failure}", file=sys.stderr)
    print(f"check_template self-test: {ran + 1 - len(failures)} passed, {len(failures)} failed", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
