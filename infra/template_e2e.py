#!/usr/bin/env python3
"""The deployed stack, as template.yaml defines it, built in moto and run end to end.

    python infra/template_e2e.py BIN_DIR             # the run, then the broken copies
    python infra/template_e2e.py BIN_DIR --only run  # just the run

BIN_DIR holds the Lambda binaries (`cargo build --workspace --bins` puts them
in $CARGO_TARGET_DIR/debug). `make test` runs this after the cargo tests; it
starts its own moto (infra/moto_server.py), so it needs nothing else running.

Nothing comes from the Rust test suite's helpers. The template goes through
the real SAM transform (aws-sam-translator, pinned in requirements.txt; it
makes no AWS calls), as `sam deploy` would send it, and the CloudFormation
template that comes out is stood up as CloudFormation would, in dependency
order:

- the table with its key schema and GSIs, the bus, the queues, the topics,
  the secret generated from its GenerateSecretString; every other resource
  type must be one this file names as not on the run's path;
- each AWS::Events::Rule on its bus in moto, with its pattern and state, an
  SQS queue standing in for the function as the target; the target's Input,
  InputPath or InputTransformer shapes what the function gets; a schedule is
  fired by hand, and only if it is enabled and frequent enough;
- the HTTP API from its OpenAPI body: each route's integration names its
  function, its security names the JWT authorizer (issuer, audience and
  scopes checked against the claims the run presents), its stage decides the
  URL (a named stage is a path prefix), and a disabled execute-api endpoint
  reaches nothing;
- each topic with an SQS queue subscribed, as an operator would;
- each function: its binary (Metadata BuildProperties Binary) under a
  stand-in for the Lambda Runtime API, with the environment the transformed
  template gives it and Lambda's own variables, nothing else, and every AWS
  call going through a proxy that judges it against the function's role as
  the transform made it (inline statements, SAM policy templates as SAM
  expands them, managed policies, what SAM adds) before passing it to moto.

The run: two critical reports are posted to the form's API; EventBridge
(moto's rule matching) carries each published event to the function whose
rule matches, and every published event must match an enabled rule; each
report pages oncall-primary with an ack link into this stack's API; one
page's link is followed (GET shows the confirmation, POST acknowledges); the
JWT-authorised responder API shows it acknowledged, takes a note and a
severity override (which respond publishes), and lists incidents by creation
and by status; the console's pages reach respond without the JWT; security.txt, the report form and the webhook URLs are the
stack outputs'. Every message on every topic must be for that topic's
audience and carry its links. The sweep runs now, then 11 and 32 minutes
later (the binary under libfaketime): the unacknowledged incident pages
oncall-secondary, then the incident manager; the acknowledged one pages no
one. Last, the grants no call used are listed per function.

Then the template is broken in memory, one way at a time (see BROKEN), and
each broken copy must fail for its reason.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import copy
import fnmatch
import http.client
import http.server
import json
import queue
import random
import re
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import boto3
import botocore.exceptions
from moto.events.models import EventPattern  # the pattern matcher only, in-process
from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
from samtranslator.model.exceptions import ExceptionWithMessage, InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.utils.py27hash_fix import to_py27_compatible_template, undo_mark_unicode_str_in_template

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the work tree
from check_template import as_list, load  # noqa: E402  (the same YAML reading)

ACCOUNT = "123456789012"  # moto's account
CVSS_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
# Parameters without defaults, as a user passes them to sam deploy.
REQUIRED_PARAMETERS = {
    "OidcIssuer": "https://idp.example.com/",
    "OidcAudience": "klaxon-e2e",
    "OperatorEmail": "operator@example.com",
}
# Types on the transformed template that nothing on this path talks to, and why.
NOT_ON_PATH = {
    "AWS::CloudWatch::Alarm": "alarms watch queue depth; nothing here calls CloudWatch",
    "AWS::SQS::QueuePolicy": "resource policies for EventBridge's dead-lettering; moto does not enforce them",
    "AWS::Logs::LogGroup": "the HTTP API's access logs",
    "AWS::Lambda::Permission": "which services may invoke a function; the stand-ins invoke the functions themselves",
    "AWS::Lambda::EventInvokeConfig": "Lambda's retries and failure destination; no invocation on the run's path fails (the role's grant for it is judged)",
    "AWS::KMS::Key": "the alarm topic's key, for CloudWatch; moto's SNS does not encrypt",
    "AWS::KMS::Alias": "names the alarm topic's key",
    "AWS::SNS::Subscription": "the operator's email subscription to the alarm topic",
}
# Which topic of the template is whose: a message must land on its audience's topic.
AUDIENCE_TOPICS = {
    "oncall-primary": "OncallPrimaryTopic",
    "oncall-secondary": "OncallSecondaryTopic",
    "incident-manager": "IncidentManagerTopic",
    "security-team": "SecurityTeamTopic",
    "leadership": "LeadershipTopic",
    "comms": "CommsTopic",
}
TOPIC_AUDIENCES = {v: k for k, v in AUDIENCE_TOPICS.items()}
# Topics no function publishes to, and who reads them.
OPERATOR_TOPICS = {
    "AlarmTopic": "CloudWatch's alarms, mailed to the operator",
}
# The later sweeps: past the secondary's 10 minutes, then past the incident
# manager's 20 minutes after the secondary.
LATER_MINUTES = 11
LAST_MINUTES = 32
# Each paging level waits for the first sweep after it is due; the levels are
# minutes apart, so a sweep less often than this makes every page that late.
MAX_SWEEP_PERIOD_S = 60
# Where the transform finds the code, as `sam package` leaves it.
ARTIFACTS = "s3://klaxon-e2e-artifacts"


class Failed(Exception):
    """The stack does not work as the template defines it; the message says why."""


NO_VALUE = object()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rand(n: int, alphabet: str = string.ascii_uppercase + string.digits) -> str:
    return "".join(random.choice(alphabet) for _ in range(n))


def parameters(doc: dict) -> dict:
    """The parameter values of a deploy with the defaults and the required ones set."""
    out = {}
    for name, p in (doc.get("Parameters") or {}).items():
        if name in REQUIRED_PARAMETERS:
            out[name] = REQUIRED_PARAMETERS[name]
        elif "Default" in p:
            out[name] = str(p["Default"])
        else:
            raise Failed(f"parameter {name} has no default and the run does not set it")
    return out


# --- the SAM transform ------------------------------------------------------


class ManagedPolicies:
    """Stands in for samtranslator's ManagedPolicyLoader (which asks IAM): the
    managed policies this run knows, by name. The transform asks only when a
    function's Policies names one."""

    def load(self) -> dict[str, str]:
        return {name: arn for name, (arn, _) in MANAGED_POLICIES.items()}


_TRANSFORM_LOCK = threading.Lock()  # the translator keeps module-level state


def sam_transform(doc: dict, params: dict, region: str) -> dict:
    """The CloudFormation template CloudFormation makes of the SAM template
    (samtranslator's transform), with the code where `sam package` puts it."""
    doc = copy.deepcopy(doc)
    fn_globals = (doc.get("Globals") or {}).get("Function") or {}
    for holder in [fn_globals] + [r.get("Properties") or {} for r in (doc.get("Resources") or {}).values() if r.get("Type") == "AWS::Serverless::Function"]:
        if isinstance(holder.get("CodeUri"), str) and not holder["CodeUri"].startswith("s3://"):
            holder["CodeUri"] = f"{ARTIFACTS}/{rand(8).lower()}.zip"
    values = dict(params)
    with _TRANSFORM_LOCK:
        to_py27_compatible_template(doc, values)
        # The session only tells the translator its region; nothing calls AWS.
        translator = Translator(None, Parser(), metrics=Metrics("ServerlessTransform", DummyMetricsPublisher()), boto_session=boto3.session.Session(region_name=region))
        try:
            out = translator.translate(doc, parameter_values=values, get_managed_policy_map=ManagedPolicies().load)
        except InvalidDocumentException as e:
            raise Failed("the SAM transform refuses the template: " + "; ".join(c.message for c in e.causes)) from e
        except ExceptionWithMessage as e:
            raise Failed(f"the SAM transform refuses the template: {e.message}") from e
        finally:
            translator.metrics.publish()
    return undo_mark_unicode_str_in_template(out)


# --- the template as CloudFormation reads it --------------------------------


class Template:
    """Parameters, conditions and intrinsic functions over the stack's physical names."""

    def __init__(self, doc: dict, region: str, stack: str, params: dict):
        self.doc = doc
        self.region = region
        self.stack = stack
        self.resources: dict = doc.get("Resources") or {}
        self.params = dict(params)
        self.pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack,
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{ACCOUNT}:stack/{stack}/{rand(8)}",
        }
        # logical id -> {"Ref": ..., attribute: ...}, filled as resources are made.
        self.physical: dict[str, dict] = {}
        self.conditions = dict(doc.get("Conditions") or {})

    def props(self, name: str) -> dict:
        return self.resources[name].get("Properties") or {}

    def of_type(self, kind: str) -> list[str]:
        return [n for n, r in self.resources.items() if r.get("Type") == kind and self.present(n)]

    def present(self, name: str) -> bool:
        cond = self.resources[name].get("Condition")
        return not cond or self.condition(cond)

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            raise Failed(f"condition {name} is not defined")
        return bool(self.resolve(self.conditions[name]))

    def lookup(self, name: str, attr: str | None, where: str):
        if attr is None:
            if name in self.params:
                return self.params[name]
            if name == "AWS::NoValue":
                return NO_VALUE
            if name in self.pseudo:
                return self.pseudo[name]
        if name not in self.resources:
            raise Failed(f"{where}: {name} is neither a parameter nor a resource of the template")
        if name not in self.physical:
            raise Failed(f"{where}: {name} ({self.resources[name].get('Type')}) is not made by this run")
        key = attr or "Ref"
        if key not in self.physical[name]:
            raise Failed(f"{where}: {name} has no attribute {key} here")
        return self.physical[name][key]

    def resolve(self, value, where: str = "template"):
        if isinstance(value, list):
            out = [self.resolve(v, where) for v in value]
            return [v for v in out if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.lookup(arg, None, where)
            if key == "Fn::GetAtt":
                name, attr = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.lookup(name, attr, where)
            if key == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                extra = {k: self.resolve(v, where) for k, v in extra.items()}

                def one(m):
                    ref = m.group(1)
                    if ref.startswith("!"):
                        return "${" + ref[1:] + "}"
                    if ref in extra:
                        return str(extra[ref])
                    name, _, attr = ref.partition(".")
                    if not attr or name in self.params or name.startswith("AWS::"):
                        return str(self.lookup(ref, None, where))
                    return str(self.lookup(name, attr, where))

                return re.sub(r"\$\{([^}]+)\}", one, text)
            if key == "Fn::If":
                cond, yes, no = arg
                return self.resolve(yes if self.condition(cond) else no, where)
            if key == "Fn::Equals":
                a, b = (self.resolve(v, where) for v in arg)
                return str(a) == str(b)
            if key == "Fn::Not":
                return not self.resolve(arg[0], where)
            if key == "Fn::And":
                return all(self.resolve(v, where) for v in arg)
            if key == "Fn::Or":
                return any(self.resolve(v, where) for v in arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::Join":
                sep, items = arg
                return sep.join(str(v) for v in self.resolve(items, where))
            if key == "Fn::Select":
                i, items = arg
                return self.resolve(items, where)[int(self.resolve(i, where))]
            if key == "Fn::Split":
                sep, text = arg
                return str(self.resolve(text, where)).split(sep)
            if key.startswith("Fn::"):
                raise Failed(f"{where}: {key} is not understood by this run")
        out = {}
        for k, v in value.items():
            r = self.resolve(v, where)
            if r is not NO_VALUE:
                out[k] = r
        return out


# --- dependencies, on the transformed template ------------------------------


def references(value) -> set[str]:
    """Logical ids (and parameters) a value names through Ref, GetAtt or Sub."""
    found: set[str] = set()
    if isinstance(value, list):
        for v in value:
            found |= references(v)
    elif isinstance(value, dict):
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref" and isinstance(arg, str):
                return {arg}
            if key == "Fn::GetAtt":
                return {(arg if isinstance(arg, list) else arg.split(".", 1))[0]}
            if key == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                for ref in re.findall(r"\$\{([^}!][^}]*)\}", text):
                    if ref not in extra:
                        found.add(ref.split(".", 1)[0])
                return found | references(extra)
        for v in value.values():
            found |= references(v)
    return found


def dependency_graph(doc: dict) -> dict[str, set[str]]:
    """Each resource's dependencies as CloudFormation sees them: its Refs,
    GetAtts and Subs, and its DependsOn."""
    resources = doc.get("Resources") or {}
    edges: dict[str, set[str]] = {}
    for name, r in resources.items():
        body = {k: v for k, v in r.items() if k != "DependsOn"}
        edges[name] = {d for d in references(body) | set(as_list(r.get("DependsOn"))) if d in resources}
    return edges


def dependency_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle among the resources, or None."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(n):
        state[n] = 1
        path.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                return path[path.index(m):] + [m]
            if m not in state:
                cycle = visit(m)
                if cycle:
                    return cycle
        path.pop()
        state[n] = 2
        return None

    for n in sorted(edges):
        if n not in state:
            cycle = visit(n)
            if cycle:
                return cycle
    return None


def creation_order(edges: dict[str, set[str]]) -> list[str]:
    """Dependencies first (the graph has no cycle)."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(n):
        if n in seen:
            return
        seen.add(n)
        for m in sorted(edges.get(n, ())):
            visit(m)
        done.append(n)

    for n in sorted(edges):
        visit(n)
    return done


# --- IAM ---------------------------------------------------------------------

# The managed policies SAM attaches (basic execution, X-Ray for Tracing: Active).
MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": ("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", [{"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": ["*"]}]),
    "AWSXrayWriteOnlyAccess": ("arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess", [{"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"], "Resource": ["*"]}]),
}
MANAGED_BY_ARN = {arn: statements for arn, statements in MANAGED_POLICIES.values()}


def _glob(pattern: str, value: str, case: bool) -> bool:
    pattern = pattern.replace("[", "[[]")
    return fnmatch.fnmatchcase(value, pattern) if case else fnmatch.fnmatchcase(value.lower(), pattern.lower())


def allowed(statements: list[dict], action: str, resource: str) -> bool:
    def hits(s):
        return any(_glob(a, action, False) for a in as_list(s.get("Action"))) and any(
            _glob(r, resource, True) for r in as_list(s.get("Resource"))
        )

    if any(s.get("Effect") == "Deny" and hits(s) for s in statements):
        return False
    return any(s.get("Effect") == "Allow" and hits(s) for s in statements)


def authorizations(service: str, op: str, body: dict, region: str, secrets: dict) -> list[tuple[str, str]]:
    """The (IAM action, resource ARN) pairs AWS checks for one request."""
    arn = f"arn:aws:{service}:{region}:{ACCOUNT}"

    def table(name, index=None):
        base = name if name.startswith("arn:") else f"{arn}:table/{name}"
        return f"{base}/index/{index}" if index else base

    if service == "dynamodb":
        if op == "TransactWriteItems":
            kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
            return [(f"dynamodb:{kinds[k]}", table(v["TableName"])) for item in body.get("TransactItems", []) for k, v in item.items()]
        if op == "TransactGetItems":
            return [("dynamodb:GetItem", table(item["Get"]["TableName"])) for item in body.get("TransactItems", [])]
        if op in ("BatchWriteItem", "BatchGetItem"):
            return [(f"dynamodb:{op}", table(name)) for name in body.get("RequestItems", {})]
        if "TableName" in body:
            return [(f"dynamodb:{op}", table(body["TableName"], body.get("IndexName")))]
    if service == "events" and op == "PutEvents":
        out = []
        for entry in body.get("Entries", []):
            bus = entry.get("EventBusName") or "default"
            out.append(("events:PutEvents", bus if bus.startswith("arn:") else f"{arn}:event-bus/{bus}"))
        return out
    if service == "secretsmanager" and op in ("GetSecretValue", "DescribeSecret"):
        sid = body.get("SecretId", "")
        return [(f"secretsmanager:{op}", secrets.get(sid, sid))]
    if service == "sns" and op in ("Publish", "PublishBatch"):
        return [(f"sns:{op}", body.get("TopicArn") or body.get("TargetArn") or "")]
    raise Failed(f"this run does not know how IAM authorises {service}:{op}; add it to authorizations()")





# --- what EventBridge and API Gateway do on their own ------------------------


def json_path(doc, path: str, where: str):
    """EventBridge's JSONPath subset for InputPath and InputPathsMap: $, $.a.b, $.a[0]."""
    if not re.fullmatch(r"\$(\.[A-Za-z0-9_-]+|\[\d+\])*", path):
        raise Failed(f"{where}: the path {path!r} is not understood by this run")
    value = doc
    for key, index in re.findall(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]", path[1:]):
        if key:
            value = value.get(key) if isinstance(value, dict) else None
        else:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
    return value


def target_input(target: dict, event: dict, where: str):
    """What a rule's target hands the function: the event, or what its Input,
    InputPath or InputTransformer makes of it."""
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        return json_path(event, target["InputPath"], where)
    shaper = target.get("InputTransformer")
    if not shaper:
        return event
    values = {k: json_path(event, p, where) for k, p in (shaper.get("InputPathsMap") or {}).items()}
    template = shaper.get("InputTemplate", "")

    def one(m):
        v = values.get(m.group(1))
        inside = template[: m.start()].count('"') % 2 == 1  # within a JSON string: the text only
        if inside:
            return json.dumps(v)[1:-1] if isinstance(v, str) else json.dumps(v)
        return json.dumps(v)

    text = re.sub(r"<([A-Za-z0-9_.-]+)>", one, template)
    try:
        return json.loads(text)
    except ValueError:
        return text


def schedule_period(expression: str) -> float:
    """Seconds between a schedule's runs (rate(), or a cron() that is every N minutes)."""
    m = re.fullmatch(r"rate\((\d+) (minutes?|hours?|days?)\)", expression.strip())
    if m:
        unit = {"minute": 60, "hour": 3600, "day": 86400}[m.group(2).rstrip("s")]
        return int(m.group(1)) * unit
    m = re.fullmatch(r"cron\((\S+) (\S+) \S+ \S+ \S+ \S+\)", expression.strip())
    if m and m.group(2) == "*":
        every = re.fullmatch(r"(?:\*|0)/(\d+)", m.group(1))
        if m.group(1) == "*":
            return 60
        if every:
            return int(every.group(1)) * 60
    return float("inf")  # hourly or less often, or not a form this run reads


def jwt_refusal(auth: dict, claims: dict, now: float) -> str | None:
    """Why API Gateway's JWT authorizer refuses a token with these claims, or None."""
    if claims.get("iss") != auth["issuer"]:
        return f"the token's issuer {claims.get('iss')} is not the authorizer's {auth['issuer']}"
    audiences = set(as_list(claims.get("aud"))) | ({claims["client_id"]} if "client_id" in claims else set())
    if not audiences & set(auth["audience"]):
        return f"the token's audience {sorted(audiences)} is not among the authorizer's {auth['audience']}"
    if not claims.get("exp") or claims["exp"] <= now:
        return "the token has expired"
    scopes = set(str(claims.get("scope", "")).split())
    if auth["scopes"] and not scopes & set(auth["scopes"]):
        return f"the route needs one of the scopes {auth['scopes']}, the token has {sorted(scopes)}"
    return None


# --- the AWS side: moto, and a judging proxy per function ---------------------


class QuietServer(http.server.ThreadingHTTPServer):
    """A function killed mid-call (a broken copy that failed) drops its connection; that is no news."""

    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class Moto:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "moto_server.py"), "127.0.0.1", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1)
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("template_e2e: moto did not start")

    def client(self, service: str, region: str):
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Proxy:
    """Between one function and moto: each call is judged against the
    function's IAM statements; a denied call gets AccessDenied, as in AWS."""

    def __init__(self, fn: str, statements: list[dict], moto: Moto, region: str, run: "Run"):
        self.fn, self.statements, self.moto, self.region, self.run = fn, statements, moto, region, run
        self.calls: list[tuple[str, str, bool]] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall between them

            def log_message(self, *args):
                pass

            def do_POST(self):
                proxy.handle(self)

            do_GET = do_PUT = do_DELETE = do_POST

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def handle(self, req):
        length = int(req.headers.get("content-length") or 0)
        raw = req.rfile.read(length) if length else b""
        scope = re.search(r"Credential=[^/]+/[^/]+/([^/]+)/([^/]+)/", req.headers.get("authorization", ""))
        service = scope.group(2) if scope else "?"
        target = req.headers.get("x-amz-target")
        if target:
            op, body, json_protocol = target.split(".")[-1], json.loads(raw or b"{}"), True
        else:
            form = urllib.parse.parse_qs(raw.decode(), keep_blank_values=True)
            body = {k: v[0] for k, v in form.items()}
            op, json_protocol = body.get("Action", "?"), False
        try:
            checks = authorizations(service, op, body, self.region, self.run.secret_names)
        except Failed as e:
            checks = []
            self.run.fail(f"{self.fn}: {e}")
        denied = [(a, r) for a, r in checks if not allowed(self.statements, a, r)]
        for a, r in checks:
            self.calls.append((a, r, (a, r) not in denied))
        if op == "PutEvents" and not denied:
            self.run.published(self.fn, body.get("Entries", []))
        if denied or not checks:
            why = "; ".join(f"{a} on {r}" for a, r in dict.fromkeys(denied)) or f"{service}:{op}"
            if denied:
                self.run.fail(f"{self.fn} called {why}, which its IAM policy in the template does not allow")
            msg = f"not authorized to perform {why}"
            if json_protocol:
                out = json.dumps({"__type": "AccessDeniedException", "message": msg}).encode()
                ctype = "application/x-amz-json-1.0"
            else:
                out = f"<ErrorResponse><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>{msg}</Message></Error></ErrorResponse>".encode()
                ctype = "text/xml"
            req.send_response(403 if not json_protocol else 400)
            req.send_header("content-type", ctype)
            req.send_header("x-amzn-errortype", "AccessDeniedException")
            req.send_header("content-length", str(len(out)))
            req.end_headers()
            req.wfile.write(out)
            return
        conn = http.client.HTTPConnection("127.0.0.1", self.moto.port, timeout=60)
        headers = {k: v for k, v in req.headers.items() if k.lower() not in ("connection", "content-length")}
        conn.request(req.command, req.path, body=raw, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        req.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                req.send_header(k, v)
        req.send_header("content-length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)
        conn.close()

    def stop(self):
        self.server.shutdown()


class Function:
    """One function's process under a stand-in for the Lambda Runtime API."""

    def __init__(self, run: "Run", logical: str, binary: Path, env: dict, proxy: Proxy, prefix: list[str] | None = None, label: str | None = None, ahead_s: int = 0):
        self.logical, self.label = logical, label or logical
        arn = env["_ARN"]
        self.pending: queue.Queue = queue.Queue()
        self.replies: dict[str, queue.Queue] = {}
        fn = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall between them

            def log_message(self, *args):
                pass

            def reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if not self.path.endswith("/runtime/invocation/next"):
                    return self.reply(404)
                rid, event = fn.pending.get()
                self.reply(200, json.dumps(event).encode(), [
                    ("lambda-runtime-aws-request-id", rid),
                    # On the function's clock, which may run ahead.
                    ("lambda-runtime-deadline-ms", str(int((time.time() + ahead_s) * 1000) + 30_000)),
                    ("lambda-runtime-invoked-function-arn", arn),
                    ("lambda-runtime-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"),
                    ("content-type", "application/json"),
                ])

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                m = re.search(r"/runtime/invocation/([^/]+)/(response|error)$", self.path)
                if m and m.group(1) in fn.replies:
                    fn.replies[m.group(1)].put((m.group(2), body))
                elif self.path.endswith("/runtime/init/error"):
                    for q in fn.replies.values():
                        q.put(("init error", body))
                    fn.init_error = body
                self.reply(202)

        self.init_error = None
        self.server = QuietServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        env = {k: v for k, v in env.items() if k != "_ARN"}
        env["AWS_LAMBDA_RUNTIME_API"] = f"127.0.0.1:{self.server.server_address[1]}"
        env["AWS_ENDPOINT_URL"] = proxy.url
        self.log_path = run.logdir / f"{self.label}.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen((prefix or []) + [str(binary)], env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def log_tail(self, n=12) -> str:
        self.log.flush()
        lines = self.log_path.read_text(errors="replace").splitlines()[-n:]
        return "\n    ".join(lines)

    def invoke(self, event: dict, timeout: float = 30):
        rid = rand(12).lower()
        self.replies[rid] = queue.Queue()
        self.pending.put((rid, event))
        deadline = time.time() + timeout
        while True:
            try:
                kind, body = self.replies[rid].get(timeout=0.05)
                break
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise Failed(f"{self.label} exited ({self.proc.returncode}) instead of answering:\n    {self.log_tail()}")
                if time.time() > deadline:
                    raise Failed(f"{self.label} gave no answer in {timeout:.0f} s:\n    {self.log_tail()}")
        del self.replies[rid]
        try:
            value = json.loads(body)
        except ValueError:
            value = body.decode(errors="replace")
        if kind != "response":
            raise Failed(f"{self.label} failed ({kind}): {value}\n    {self.log_tail()}")
        return value

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.server.shutdown()
        self.log.close()


# --- the run -------------------------------------------------------------------


class Run:
    def __init__(self, doc: dict, bin_dir: Path, moto: Moto, region: str, logdir: Path):
        self.sam, self.bin_dir, self.moto, self.region = doc, bin_dir, moto, region
        self.logdir = logdir
        logdir.mkdir(parents=True, exist_ok=True)
        self.stack = f"klaxon-e2e-{rand(6).lower()}"
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.secret_names: dict[str, str] = {}
        self.rules: list[dict] = []  # {logical, function, name, bus, arn, state, target, pattern, queue_url}
        self.schedules: list[dict] = []  # the same, with schedule
        self.routes: list[dict] = []  # {method, path, regex, function, auth}
        self.api: dict | None = None  # {logical, id, host, disabled, stages}
        self.functions: dict[str, Function] = {}
        self.proxies: dict[str, Proxy] = {}
        self.fn_by_arn: dict[str, str] = {}
        self.roles: dict[str, dict] = {}  # role ARN -> {statements, inline}
        self.destinations: dict[str, set[str]] = {}  # function -> its failure destinations
        self.subscribers: dict[str, str] = {}  # topic logical id -> queue url
        self.inbox: dict[str, list[dict]] = {}  # topic logical id -> messages received
        self.entries: list[tuple[str, dict]] = []  # (function, PutEvents entry)
        self.delivered: set[str] = set()  # domain event ids a rule delivered
        self.outputs: dict = {}
        self.clients: dict = {}

    def fail(self, why: str):
        with self.lock:
            self.failures.append(why)

    def check(self):
        with self.lock:
            if self.failures:
                raise Failed(self.failures[0])

    def published(self, fn: str, entries: list[dict]):
        with self.lock:
            self.entries += [(fn, e) for e in entries]

    def client(self, service):
        # One client per service: making a boto3 client costs more than a call.
        with self.lock:
            if service not in self.clients:
                self.clients[service] = self.moto.client(service, self.region)
            return self.clients[service]

    # --- standing the stack up ---

    def build(self):
        try:
            self._build()
        except botocore.exceptions.ClientError as e:
            raise Failed(f"the stack cannot be made as the template says: {e}") from e

    def _build(self):
        params = parameters(self.sam)
        self.doc = sam_transform(self.sam, params, self.region)
        self.t = Template(self.doc, self.region, self.stack, params)
        edges = dependency_graph(self.doc)
        cycle = dependency_cycle(edges)
        if cycle:
            raise Failed("circular dependency after the SAM transform: " + " -> ".join(cycle))
        makers = {
            "AWS::DynamoDB::Table": self.table,
            "AWS::Events::EventBus": self.bus,
            "AWS::SQS::Queue": self.sqs_queue,
            "AWS::SNS::Topic": self.topic,
            "AWS::SecretsManager::Secret": self.secret,
            "AWS::IAM::Role": self.role,
            "AWS::Lambda::Function": self.function,
            "AWS::Events::Rule": self.rule,
            "AWS::ApiGatewayV2::Api": self.http_api,
            "AWS::ApiGatewayV2::Stage": self.stage,
            "AWS::Lambda::EventInvokeConfig": self.invoke_config,
        }
        for name, r in self.t.resources.items():
            kind = r.get("Type")
            if kind not in makers and kind not in NOT_ON_PATH:
                raise Failed(f"{name} is a {kind} after the SAM transform, which this run neither makes nor names as off the path; teach it")
        for name in creation_order(edges):
            kind = self.t.resources[name].get("Type")
            if kind in makers and self.t.present(name):
                makers[kind](name)
        if not self.api:
            raise Failed("the template has no HTTP API")
        stages = self.api["stages"]
        if len(stages) != 1:
            raise Failed(f"the HTTP API has {len(stages)} stages ({stages}); this run stands in for one")
        self.stage_name = stages[0]
        self.base = f"https://{self.api['host']}" + ("" if self.stage_name == "$default" else f"/{self.stage_name}")
        for name in self.t.of_type("AWS::Lambda::Function"):
            self.start(name)
        self.outputs = {k: self.t.resolve(v.get("Value"), f"Outputs.{k}") for k, v in (self.doc.get("Outputs") or {}).items()}

    def queue(self, qname):
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=qname[:80])["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def generated(self, name: str, limit: int = 64) -> str:
        """A physical name as CloudFormation makes one: stack-logical-random."""
        return f"{self.stack}-{name}"[: limit - 13] + f"-{rand(12)}"

    def table(self, name):
        p = self.t.resolve(self.t.props(name), name)
        tname = p.get("TableName") or self.generated(name, 255)
        args = {
            "TableName": tname,
            "AttributeDefinitions": p["AttributeDefinitions"],
            "KeySchema": p["KeySchema"],
            "BillingMode": p.get("BillingMode", "PROVISIONED"),
        }
        if p.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = p["GlobalSecondaryIndexes"]
        if p.get("SSESpecification"):
            args["SSESpecification"] = {"Enabled": p["SSESpecification"].get("SSEEnabled", False)}
        ddb = self.client("dynamodb")
        desc = ddb.create_table(**args)["TableDescription"]
        ttl = p.get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=tname, TimeToLiveSpecification=ttl)
        self.t.physical[name] = {"Ref": tname, "Arn": desc["TableArn"]}

    def bus(self, name):
        p = self.t.resolve(self.t.props(name), name)
        arn = self.client("events").create_event_bus(Name=p["Name"])["EventBusArn"]
        self.t.physical[name] = {"Ref": p["Name"], "Arn": arn, "Name": p["Name"]}

    def sqs_queue(self, name):
        p = self.t.resolve(self.t.props(name), name)
        qname = p.get("QueueName") or self.generated(name, 80)
        url, arn = self.queue(qname)
        self.t.physical[name] = {"Ref": url, "Arn": arn, "QueueName": qname, "QueueUrl": url}

    def topic(self, name):
        if name not in TOPIC_AUDIENCES and name not in OPERATOR_TOPICS:
            raise Failed(f"{name} is a topic this run does not know the audience of; add it to AUDIENCE_TOPICS")
        p = self.t.resolve(self.t.props(name), name)
        tname = p.get("TopicName") or self.generated(name, 256)
        attrs = {"KmsMasterKeyId": p["KmsMasterKeyId"]} if "KmsMasterKeyId" in p else {}
        sns = self.client("sns")
        arn = sns.create_topic(Name=tname, Attributes=attrs)["TopicArn"]
        self.t.physical[name] = {"Ref": arn, "TopicArn": arn, "TopicName": tname}
        # The operator's subscriber.
        url, qarn = self.queue(f"subscriber-{tname}")
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn)
        self.subscribers[name] = url
        self.inbox[name] = []

    def secret(self, name):
        p = self.t.resolve(self.t.props(name), name)
        value = p.get("SecretString")
        gen = p.get("GenerateSecretString")
        if gen:
            value = generate_secret_string(gen)
        sm = self.client("secretsmanager")
        sname = p.get("Name") or self.generated(name, 256)
        arn = sm.create_secret(Name=sname, SecretString=value or "")["ARN"]
        self.secret_names[sname] = arn
        self.t.physical[name] = {"Ref": arn, "Id": arn}

    def role(self, name):
        """The role's statements as IAM would hold them: its inline policies
        (SAM's policy templates already expanded) and its managed policies."""
        p = self.t.props(name)
        rname = self.t.resolve(p.get("RoleName"), name) or self.generated(name)
        arn = f"arn:aws:iam::{ACCOUNT}:role/{rname}"
        self.t.physical[name] = {"Ref": rname, "Arn": arn, "RoleId": "AROA" + rand(17)}
        inline = []
        for policy in as_list(p.get("Policies")):
            doc = self.t.resolve(policy.get("PolicyDocument") or {}, f"{name} Policies")
            inline += as_list(doc.get("Statement"))
        statements = list(inline)
        for m in self.t.resolve(as_list(p.get("ManagedPolicyArns")), f"{name} ManagedPolicyArns"):
            if m not in MANAGED_BY_ARN:
                raise Failed(f"{name}: managed policy {m} is not known to this run; add it to MANAGED_POLICIES")
            statements += MANAGED_BY_ARN[m]
        self.roles[arn] = {"statements": statements, "inline": inline}

    def function(self, name):
        fname = self.t.resolve(self.t.props(name).get("FunctionName"), name) or self.generated(name)
        arn = f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{fname}"
        self.t.physical[name] = {"Ref": fname, "Arn": arn}
        self.fn_by_arn[arn] = name

    def invoke_config(self, name):
        p = self.t.props(name)
        target = str(self.t.resolve(p.get("FunctionName"), name))
        fn = self.fn_by_arn.get(target if target.startswith("arn:") else f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{target}")
        dest = self.t.resolve((p.get("DestinationConfig") or {}), name)
        for d in dest.values():
            if fn and d.get("Destination"):
                self.destinations.setdefault(fn, set()).add(d["Destination"])

    def rule(self, name):
        p = self.t.resolve(self.t.props(name), name)
        rname = p.get("Name") or self.generated(name)
        bus = str(p.get("EventBusName") or "default").rsplit("event-bus/", 1)[-1]
        state = str(p.get("State") or "ENABLED")
        enabled = state.startswith("ENABLED")
        pattern = p.get("EventPattern")
        pattern = json.loads(pattern) if isinstance(pattern, str) else pattern
        args = {"Name": rname, "State": "ENABLED" if enabled else "DISABLED"}
        if bus != "default":
            args["EventBusName"] = bus
        if pattern is not None:
            args["EventPattern"] = json.dumps(pattern)
        if p.get("ScheduleExpression"):
            args["ScheduleExpression"] = p["ScheduleExpression"]
        events = self.client("events")
        arn = events.put_rule(**args)["RuleArn"]
        self.t.physical[name] = {"Ref": rname, "Arn": arn}
        for target in p.get("Targets") or []:
            fn = self.fn_by_arn.get(target.get("Arn"))
            if fn is None:
                raise Failed(f"{name}: its target {target.get('Arn')} is not a function of the template; this run delivers only to functions")
            rec = {"logical": name, "function": fn, "name": rname, "bus": bus, "arn": arn, "state": state, "enabled": enabled, "target": target, "pattern": pattern, "schedule": p.get("ScheduleExpression")}
            if rec["schedule"]:
                self.schedules.append(rec)
                continue
            url, qarn = self.queue(f"standin-{rname}-{rand(6)}")
            if enabled:
                events.put_targets(Rule=rname, EventBusName=bus, Targets=[{"Id": target["Id"], "Arn": qarn}])
            rec["queue_url"] = url
            self.rules.append(rec)

    def http_api(self, name):
        """Routes, authorizers and endpoint from the API's OpenAPI body, as API Gateway imports it."""
        if self.api:
            raise Failed(f"{name} is a second HTTP API; this run stands in for one")
        p = self.t.props(name)
        if "Body" not in p:
            raise Failed(f"{name} has no OpenAPI Body (routes as resources of their own), which this run does not stand in for; teach it")
        body = self.t.resolve(p["Body"], name)
        api_id = rand(10, string.ascii_lowercase + string.digits)
        host = f"{api_id}.execute-api.{self.region}.amazonaws.com"
        disabled = str(self.t.resolve(p.get("DisableExecuteApiEndpoint", False))).lower() == "true" or any(
            (s.get("x-amazon-apigateway-endpoint-configuration") or {}).get("disableExecuteApiEndpoint") for s in body.get("servers") or []
        )
        self.api = {"logical": name, "id": api_id, "host": host, "disabled": disabled, "stages": []}
        self.t.physical[name] = {"Ref": api_id, "ApiEndpoint": f"https://{host}", "ApiId": api_id}
        schemes = (body.get("components") or {}).get("securitySchemes") or {}
        for path, ops in (body.get("paths") or {}).items():
            for m, op in ops.items():
                if m not in ("get", "put", "post", "delete", "patch", "head", "options", "x-amazon-apigateway-any-method"):
                    continue
                method = "ANY" if m.startswith("x-amazon") else m.upper()
                where = f"{name} {method} {path}"
                integ = op.get("x-amazon-apigateway-integration") or {}
                found = re.fullmatch(r"arn:aws:apigateway:[^:]+:lambda:path/2015-03-31/functions/(.+)/invocations", str(integ.get("uri", "")))
                fn = self.fn_by_arn.get(found.group(1)) if found else None
                if fn is None:
                    raise Failed(f"{where}: integrates with {integ.get('uri') or 'nothing'}, which is not a function of the template")
                if str(integ.get("payloadFormatVersion")) != "2.0":
                    raise Failed(f"{where}: payload format {integ.get('payloadFormatVersion')}; the functions read the 2.0 event")
                auth = None
                for requirement in op.get("security", body.get("security")) or []:
                    for scheme, scopes in requirement.items():
                        if scheme == "NONE":
                            continue
                        authorizer = (schemes.get(scheme) or {}).get("x-amazon-apigateway-authorizer")
                        if not authorizer:
                            raise Failed(f"{where}: its security names {scheme}, which the API does not define")
                        if authorizer.get("type") != "jwt":
                            raise Failed(f"{where}: {scheme} is a {authorizer.get('type')} authorizer, which this run does not stand in for; teach it")
                        jwt = authorizer.get("jwtConfiguration") or {}
                        auth = {"name": scheme, "issuer": jwt.get("issuer"), "audience": as_list(jwt.get("audience")), "scopes": list(scopes or [])}
                regex = "^" + re.sub(r"\\\{([^}+]+)\\\+\\\}", r"(?P<\1>.+)", re.sub(r"\\\{([^}+]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))) + "$"
                self.routes.append({"method": method, "path": path, "regex": regex, "function": fn, "auth": auth})

    def stage(self, name):
        p = self.t.props(name)
        api = self.t.resolve(p.get("ApiId"), name)
        stage = self.t.resolve(p.get("StageName"), name)
        if not self.api or api != self.api["id"]:
            raise Failed(f"{name} is a stage of an API this run does not make")
        self.api["stages"].append(stage)
        self.t.physical[name] = {"Ref": stage}

    def start(self, fn, prefix=None, label=None, ahead_s=0):
        props = self.t.props(fn)
        binary = ((self.t.resources[fn].get("Metadata") or {}).get("BuildProperties") or {}).get("Binary")
        if not binary:
            raise Failed(f"{fn} names no Metadata.BuildProperties.Binary")
        path = self.bin_dir / binary
        if not path.exists():
            raise SystemExit(f"template_e2e: {path} is missing; build with `cargo build --workspace --bins`")
        variables = self.t.resolve((props.get("Environment") or {}).get("Variables") or {}, f"{fn} Environment")
        logging = self.t.resolve(props.get("LoggingConfig") or {}, fn)
        name = self.t.physical[fn]["Ref"]
        env = {k: str(v) for k, v in variables.items()}
        # What Lambda itself sets (provided.al2023); the role's credentials are moto's.
        env.update({
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.t.resolve(props.get("MemorySize", 128))),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/01/01/[$LATEST]e2e",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023",
            "AWS_ACCESS_KEY_ID": "ASIA" + rand(16),
            "AWS_SECRET_ACCESS_KEY": rand(40),
            "AWS_SESSION_TOKEN": rand(64),
            "LAMBDA_TASK_ROOT": "/var/task",
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "_HANDLER": str(props.get("Handler", "bootstrap")),
            "TZ": ":UTC",
            "LANG": "en_US.UTF-8",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "_ARN": self.t.physical[fn]["Arn"],
        })
        if logging.get("LogFormat"):
            env["AWS_LAMBDA_LOG_FORMAT"] = logging["LogFormat"]
        if logging.get("ApplicationLogLevel"):
            env["AWS_LAMBDA_LOG_LEVEL"] = logging["ApplicationLogLevel"]
        if fn not in self.proxies:
            role = self.roles.get(self.t.resolve(props.get("Role"), fn))
            if role is None:
                raise Failed(f"{fn}'s Role {props.get('Role')} is not a role of the template")
            self.proxies[fn] = Proxy(fn, role["statements"], self.moto, self.region, self)
        f = Function(self, fn, path, env, self.proxies[fn], prefix, label, ahead_s)
        if label is None:
            self.functions[fn] = f
        return f

    def stop(self):
        for f in self.functions.values():
            f.stop()
        for p in self.proxies.values():
            p.stop()

    # --- driving it ---

    def invoke(self, fn: str, event, function: Function | None = None):
        try:
            out = (function or self.functions[fn]).invoke(event)
        except Failed:
            # A denied call is the reason the function failed.
            self.check()
            raise
        self.check()
        return out

    def request(self, method: str, url: str, body: str | None = None, headers: dict | None = None, claims: dict | None = None):
        """What API Gateway does with a request to this stack's HTTP API."""
        u = urllib.parse.urlsplit(url)
        api = self.api
        if u.scheme != "https" or u.netloc != api["host"]:
            raise Failed(f"{url} is not this stack's API ({self.base}): a link there reaches nothing")
        if api["disabled"]:
            raise Failed(f"{method} {url}: the HTTP API's execute-api endpoint is disabled (DisableExecuteApiEndpoint), so the stack's own URL reaches nothing (API Gateway answers 403)")
        path = u.path
        if self.stage_name != "$default":
            prefix = f"/{self.stage_name}"
            if not path.startswith(prefix + "/"):
                raise Failed(f"{method} {url}: the API's only stage is {self.stage_name}, so only paths under {prefix}/ reach a route (API Gateway answers 404)")
            path = path[len(prefix):]
        matches = [r for r in self.routes if r["method"] in (method, "ANY") and re.match(r["regex"], path)]
        if not matches:
            raise Failed(f"no route of the HTTP API takes {method} {path}")
        route = sorted(matches, key=lambda r: ("+}" in r["path"], r["method"] == "ANY"))[0]
        params = re.match(route["regex"], path).groupdict()
        hdrs = {"host": api["host"], "user-agent": "template-e2e", **{k.lower(): v for k, v in (headers or {}).items()}}
        now = time.time()
        event = {
            "version": "2.0",
            "routeKey": f"{route['method']} {route['path']}",
            # With a named stage, API Gateway keeps the stage in the path.
            "rawPath": u.path,
            "rawQueryString": u.query,
            "headers": hdrs,
            "requestContext": {
                "accountId": ACCOUNT,
                "apiId": api["id"],
                "domainName": api["host"],
                "domainPrefix": api["id"],
                "requestId": rand(16),
                "routeKey": f"{route['method']} {route['path']}",
                "stage": self.stage_name,
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "timeEpoch": int(now * 1000),
                "http": {"method": method, "path": u.path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.10", "userAgent": "template-e2e"},
            },
            "isBase64Encoded": False,
        }
        if u.query:
            event["queryStringParameters"] = {k: ",".join(v) for k, v in urllib.parse.parse_qs(u.query).items()}
        if params:
            event["pathParameters"] = params
        if body is not None:
            event["body"] = body
        if route["auth"]:
            refusal = "no token" if claims is None else jwt_refusal(route["auth"], claims, now)
            if refusal:
                return {"statusCode": 401, "body": json.dumps({"message": "Unauthorized", "why": f"{route['auth']['name']}: {refusal}"}), "route": route}
            event["headers"]["authorization"] = "Bearer verified-by-api-gateway"
            # API Gateway passes every claim as a string.
            passed = {k: v if isinstance(v, str) else json.dumps(v) for k, v in claims.items()}
            event["requestContext"]["authorizer"] = {"jwt": {"claims": passed, "scopes": route["auth"]["scopes"] or None}}
        resp = self.invoke(route["function"], event)
        if resp.get("isBase64Encoded"):
            resp["body"] = base64.b64decode(resp["body"]).decode()
        resp["route"] = route
        return resp

    def pump(self):
        """Delivers what EventBridge matched until nothing is left; every
        published event must have matched an enabled rule."""
        sqs = self.client("sqs")
        while True:
            got = 0
            for rule in self.rules:
                if not rule["enabled"]:
                    continue
                msgs = sqs.receive_message(QueueUrl=rule["queue_url"], MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
                for m in msgs:
                    sqs.delete_message(QueueUrl=rule["queue_url"], ReceiptHandle=m["ReceiptHandle"])
                    envelope = json.loads(m["Body"])
                    self.delivered.add(f"{rule['bus']}|{envelope.get('detail', {}).get('id')}")
                    shaped = {k: v for k, v in rule["target"].items() if k in ("Input", "InputPath", "InputTransformer")}
                    try:
                        self.invoke(rule["function"], target_input(rule["target"], envelope, rule["logical"]))
                    except Failed as e:
                        if shaped:
                            raise Failed(f"{e}\n    (the event as rule {rule['name']}'s target shapes it with {shaped})") from e
                        raise
                    got += 1
            if not got:
                break
        for fn, entry in self.entries:
            detail = json.loads(entry.get("Detail") or "{}")
            bus = entry.get("EventBusName") or "default"
            if f"{bus}|{detail.get('id')}" in self.delivered:
                continue
            said = f"{fn} published {entry.get('DetailType')!r} (source {entry.get('Source')}) on bus {bus}"
            event = {"version": "0", "id": rand(8), "detail-type": entry.get("DetailType"), "source": entry.get("Source"), "account": ACCOUNT,
                     "time": time.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": self.region, "resources": entry.get("Resources", []), "detail": detail}
            for rule in self.rules:
                if not rule["enabled"] and rule["bus"] == bus and rule["pattern"] and EventPattern.load(json.dumps(rule["pattern"])).matches_event(event):
                    raise Failed(f"{said}; the rule that matches it, {rule['name']} ({rule['logical']}), is {rule['state']}, so {rule['function']} never gets it")
            raise Failed(f"{said}, and no rule of the template matches it")

    def collect(self):
        """Reads every topic's subscriber. Each message must be for that
        topic's audience, as the template's topics are named, and carry its
        links into this stack's API."""
        sqs = self.client("sqs")
        for topic, url in self.subscribers.items():
            while True:
                msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
                if not msgs:
                    break
                for m in msgs:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                    doc = json.loads(json.loads(m["Body"])["Message"])
                    self.judge_message(topic, doc)
                    self.inbox[topic].append(doc)

    def judge_message(self, topic: str, doc: dict):
        if topic in OPERATOR_TOPICS:
            raise Failed(f"a function published {doc.get('kind')} ({doc.get('event')}) to {topic}, which is for {OPERATOR_TOPICS[topic]}")
        audience = TOPIC_AUDIENCES[topic]
        what = f"{doc.get('kind')} ({doc.get('event')}) for {doc.get('reference')}"
        tname = self.t.physical[topic]["TopicName"]
        if doc.get("audience") != audience:
            raise Failed(f"a {doc.get('audience')} message, {what}, landed on {topic} ({tname}), the {audience} topic: "
                         "the functions' topic variables do not follow the template's topics")
        links = doc.get("links") or {}
        if doc.get("kind") == "page" and not links.get("ack"):
            raise Failed(f"the page for {doc.get('reference')} on {topic} has no ack link: links {links}")
        if doc.get("kind") == "page" and not links["ack"].startswith(f"{self.base}/ack/"):
            raise Failed(f"the ack link {links['ack']} (on {topic}) does not point at this stack's API {self.base}")
        if not str(links.get("incident") or "").startswith(f"{self.base}/api/v1/incidents/"):
            raise Failed(f"the {audience} message, {what}, has no incident link into this stack's API {self.base}: links {links}")

    def schedule(self) -> dict:
        """The sweep's schedule: it must run, and often enough for the paging levels."""
        if not self.schedules:
            raise Failed("no schedule rule of the template runs the escalation sweep")
        rule = self.schedules[0]
        if not rule["enabled"]:
            raise Failed(f"the schedule {rule['name']} ({rule['logical']}) is {rule['state']}: the escalation sweep never runs, so no later paging level is sent")
        period = schedule_period(rule["schedule"])
        if period > MAX_SWEEP_PERIOD_S:
            raise Failed(f"the schedule {rule['name']} is {rule['schedule']}: a sweep every {period:.0f} s; each paging level "
                         f"(oncall-secondary 10 minutes after the primary) waits for the next sweep, so it must run at least every {MAX_SWEEP_PERIOD_S} s")
        return rule

    def sweep(self, function: Function | None = None, ahead_s: int = 0):
        rule = self.schedule()
        event = {
            "version": "0",
            "id": rand(8).lower(),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + ahead_s)),
            "region": self.region,
            "resources": [rule["arn"]],
            "detail": {},
        }
        return self.invoke(rule["function"], target_input(rule["target"], event, rule["logical"]), function)

    def later(self, minutes: int):
        """The sweep, that many minutes on, by the function under libfaketime."""
        faketime = shutil.which("faketime")
        if not faketime:
            raise SystemExit("template_e2e: needs libfaketime for the later sweeps: apt-get install faketime")
        rule = self.schedule()
        fn = self.start(rule["function"], [faketime, "-f", f"+{minutes}m"], f"{rule['function']}-{minutes}m", minutes * 60)
        try:
            return self.sweep(fn, minutes * 60)
        finally:
            fn.stop()

    def unused_grants(self) -> dict[str, list[str]]:
        """Per function, the inline grants no call of the run used: an action
        never called, or called on only some of the resources it is granted
        on. A table and its indexes count as one resource. Lambda's own grants
        (logs, X-Ray, the failure destination) are not the code's and are
        left out."""
        names = {}
        for logical, attrs in self.t.physical.items():
            for v in attrs.values():
                if isinstance(v, str) and v.startswith("arn:"):
                    names.setdefault(v, logical)

        def table_level(arn):
            return re.sub(r"(:table/[^/]+)/index/.*$", r"\1", arn)

        out = {}
        for fn, proxy in sorted(self.proxies.items()):
            role = self.roles[self.t.resolve(self.t.props(fn).get("Role"), fn)]
            granted: dict[str, set[str]] = {}
            for s in role["inline"]:
                if s.get("Effect") != "Allow":
                    continue
                for action in as_list(s.get("Action")):
                    for resource in as_list(s.get("Resource")):
                        if action.lower() == "sqs:sendmessage" and resource in self.destinations.get(fn, ()):
                            continue
                        granted.setdefault(action, set()).add(table_level(resource))
            lines = []
            for action, resources in sorted(granted.items()):
                used = [table_level(r) for a, r, ok in proxy.calls if ok and _glob(action, a, False)]
                idle = sorted(r for r in resources if not any(_glob(r, u, True) for u in used))
                if not used:
                    lines.append(action)
                elif idle:
                    lines.append(f"{action} on {', '.join(names.get(r, r) for r in idle)}")
            out[fn] = lines
        return out


def generate_secret_string(gen: dict) -> str:
    """CloudFormation's GenerateSecretString, as Secrets Manager's GetRandomPassword makes it."""
    punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    groups = []
    if not gen.get("ExcludeLowercase"):
        groups.append(string.ascii_lowercase)
    if not gen.get("ExcludeUppercase"):
        groups.append(string.ascii_uppercase)
    if not gen.get("ExcludeNumbers"):
        groups.append(string.digits)
    if not gen.get("ExcludePunctuation"):
        groups.append(punctuation)
    if gen.get("IncludeSpace"):
        groups.append(" ")
    excluded = set(gen.get("ExcludeCharacters", ""))
    groups = ["".join(c for c in g if c not in excluded) for g in groups]
    alphabet = "".join(groups)
    length = int(gen.get("PasswordLength", 32))
    rng = random.SystemRandom()
    while True:
        pw = "".join(rng.choice(alphabet) for _ in range(length))
        if not gen.get("RequireEachIncludedType", True) or all(any(c in g for c in pw) for g in groups if g):
            break
    if "SecretStringTemplate" in gen:
        doc = json.loads(gen["SecretStringTemplate"])
        doc[gen["GenerateStringKey"]] = pw
        return json.dumps(doc)
    return pw


def pages(docs: list[dict]) -> list[dict]:
    return [d for d in docs if d.get("kind") == "page"]


def claims(role: str) -> dict:
    """What the identity provider's verified token says about a caller."""
    return {"sub": f"u-{role}", "email": f"{role}@example.com", "iss": REQUIRED_PARAMETERS["OidcIssuer"], "aud": REQUIRED_PARAMETERS["OidcAudience"],
            "exp": int(time.time()) + 3600, "klaxon_role": role}


def api_call(run: Run, method: str, url: str, role: str, body: dict | None = None, want: int = 200) -> dict:
    """One call to the JWT-authorised responder API; the JSON it answers."""
    headers = {"content-type": "application/json"} if body is not None else None
    resp = run.request(method, url, json.dumps(body) if body is not None else None, headers, claims=claims(role))
    if resp.get("statusCode") != want:
        fn = resp.get("route", {}).get("function")
        tail = f"\n    {run.functions[fn].log_tail(6)}" if fn in run.functions and int(resp.get("statusCode") or 0) >= 500 else ""
        raise Failed(f"{method} {url} (JWT, {role}) answered {resp.get('statusCode')}, not {want}: {resp.get('body', '')[:300]}{tail}")
    return json.loads(resp["body"])


def check_outputs(run: Run, txt: str):
    """The stack's URL outputs are the URLs the run uses, and each reaches a route."""
    out = run.outputs
    for key in ("ApiUrl", "PublicUrl", "SecurityTxtUrl", "ReportFormUrl"):
        if key not in out:
            raise Failed(f"the template has no {key} output (the README names it)")
    if out["ApiUrl"] != f"{run.base}/":
        raise Failed(f"the ApiUrl output {out['ApiUrl']} is not the API's URL {run.base}/")
    if out["PublicUrl"] != run.base:
        raise Failed(f"the PublicUrl output {out['PublicUrl']} is not the pages' base {run.base}")
    canonical = re.search(r"^Canonical: (\S+)", txt, re.M)
    if not canonical or canonical.group(1) != out["SecurityTxtUrl"]:
        raise Failed(f"the SecurityTxtUrl output {out['SecurityTxtUrl']} is not where security.txt says it is ({canonical and canonical.group(1)})")
    form = run.request("GET", out["ReportFormUrl"])
    if form.get("statusCode") != 200 or "<form" not in form.get("body", ""):
        raise Failed(f"the ReportFormUrl output {out['ReportFormUrl']} answered {form.get('statusCode')}, not the report form")
    if f"Contact: {out['ReportFormUrl']}" not in txt:
        raise Failed(f"security.txt's Contact is not the ReportFormUrl output {out['ReportFormUrl']}")
    # The webhook URLs: each must reach its route of the API (the sources are
    # disabled until their secrets are filled in, so the function says so).
    for key, url in sorted(out.items()):
        if key in ("ApiUrl", "PublicUrl", "SecurityTxtUrl", "ReportFormUrl") or not str(url).startswith("https://"):
            continue
        try:
            resp = run.request("POST", url, "{}", {"content-type": "application/json"})
        except Failed as e:
            raise Failed(f"the {key} output {url} reaches nothing: {e}") from e
        if int(resp.get("statusCode") or 500) >= 500:
            raise Failed(f"the {key} output {url} answered {resp.get('statusCode')}: {resp.get('body', '')[:200]}")


def scenario(run: Run) -> dict:
    """Report -> assess -> page -> ack -> responder API -> sweeps. Returns what it saw."""
    run.build()
    run.schedule()  # the sweep's schedule runs, and often enough
    base = run.base
    primary = AUDIENCE_TOPICS["oncall-primary"]

    reports = {}
    for key, title in (("acked", "RCE in the webhook handler"), ("unanswered", "SQL injection in the search API")):
        body = json.dumps({"title": title, "description": "Reproduced against production with the attached payload.", "cvss": CVSS_CRITICAL})
        resp = run.request("POST", f"{base}/reports", body, {"content-type": "application/json"})
        if resp.get("statusCode") != 202:
            raise Failed(f"POST {base}/reports answered {resp.get('statusCode')}: {resp.get('body')}")
        reports[key] = json.loads(resp["body"])
    run.pump()
    run.collect()

    paged = pages(run.inbox[primary])
    by_ref = {p["reference"]: p for p in paged}
    for key, accepted in reports.items():
        if accepted["reference"] not in by_ref:
            raise Failed(f"no page on {primary} for {accepted['reference']} ({key}); pages: {[p['reference'] for p in paged]}")
    acked_ref, unanswered_ref = reports["acked"]["reference"], reports["unanswered"]["reference"]
    link = by_ref[acked_ref]["links"]["ack"]

    # security.txt and its form link: the same base as the pages' links, and the outputs'.
    txt = run.request("GET", run.outputs.get("SecurityTxtUrl") or f"{base}/.well-known/security.txt")
    want = [f"Contact: {base}/report", f"Canonical: {base}/.well-known/security.txt"]
    missing = [w for w in want if w not in txt.get("body", "")]
    if txt.get("statusCode") != 200 or missing:
        raise Failed(f"security.txt lacks {missing}: {txt.get('statusCode')} {txt.get('body')!r}")
    check_outputs(run, txt["body"])

    # The console: its routes reach the respond function with no JWT (it
    # signs people in itself), and a signed-out browser is sent to sign in.
    home = run.request("GET", f"{base}/console")
    where = {k.lower(): v for k, v in (home.get("headers") or {}).items()}.get("location")
    if home.get("statusCode") != 303 or where != "/console/sign-in":
        raise Failed(f"GET {base}/console answered {home.get('statusCode')} to {where!r}, not the sign-in page")
    page = run.request("GET", f"{base}/console/sign-in")
    if page.get("statusCode") != 200 or 'name="token"' not in page.get("body", ""):
        raise Failed(f"GET {base}/console/sign-in answered {page.get('statusCode')}: {page.get('body', '')[:200]}")

    # Follow the link: GET confirms, POST acknowledges.
    shown = run.request("GET", link)
    if shown.get("statusCode") != 200 or "<form" not in shown.get("body", ""):
        raise Failed(f"GET {link} answered {shown.get('statusCode')}: {shown.get('body', '')[:300]}")
    done = run.request("POST", link, "", {"content-type": "application/x-www-form-urlencoded"})
    if done.get("statusCode") != 200 or "Acknowledged" not in done.get("body", ""):
        raise Failed(f"POST {link} answered {done.get('statusCode')}: {done.get('body', '')[:300]}")
    run.pump()
    now = run.sweep()  # nothing is due yet
    run.pump()
    run.collect()

    # The responder API, behind the JWT authorizer, at the ApiUrl output: it
    # sees the acknowledgement, takes a note and a severity override (which
    # respond publishes), and lists incidents by creation and by status.
    api = f"{run.outputs['ApiUrl']}api/v1"
    incident = api_call(run, "GET", by_ref[acked_ref]["links"]["incident"], "viewer")["incident"]
    if not incident.get("acknowledged"):
        raise Failed(f"the responder API does not show {acked_ref} acknowledged: {incident.get('status')}")
    api_call(run, "POST", f"{api}/incidents/{acked_ref}/notes", "responder", {"kind": "fact", "text": "The payload reached the handler; the WAF rule did not match."}, want=201)
    changed = api_call(run, "POST", f"{api}/incidents/{acked_ref}/severity", "commander", {"severity": "SEV-2", "reason": "Only the staging webhook handler is exposed."})["incident"]
    if changed.get("severity") != "SEV-2":
        raise Failed(f"the severity override left {acked_ref} at {changed.get('severity')}")
    run.pump()
    run.collect()
    respond = next(r["function"] for r in run.routes if r["path"].startswith("/api/v1/"))
    if not any(fn == respond and e.get("DetailType") == "Severity Changed" for fn, e in run.entries):
        raise Failed(f"{respond} did not publish Severity Changed for the override")
    listed = [i["reference"] for i in api_call(run, "GET", f"{api}/incidents", "viewer")["incidents"]]
    if set(listed) != {acked_ref, unanswered_ref}:
        raise Failed(f"GET {api}/incidents lists {listed}, not the two incidents")
    status = api_call(run, "GET", f"{api}/incidents/{unanswered_ref}", "viewer")["incident"]["status"]
    listed = [i["reference"] for i in api_call(run, "GET", f"{api}/incidents?status={status}", "viewer")["incidents"]]
    if listed != [unanswered_ref]:
        raise Failed(f"GET {api}/incidents?status={status} lists {listed}, not only {unanswered_ref}")
    # The metrics read every incident of the window in creation order (the
    # by_created index); the listing reads each status's partition, open first.
    counted = api_call(run, "GET", f"{api}/metrics", "viewer")["total"]
    if counted != 2:
        raise Failed(f"GET {api}/metrics counts {counted} incidents, not the two")

    # An on-call feed: issued through the API (JWT), then fetched as a
    # calendar app would, with no token but the one in its URL.
    api_call(run, "PUT", f"{api}/people/priya", "admin", {"name": "Priya Raman", "time_zone": "Europe/Berlin",
             "contacts": {"sms": "+4915112345678", "email": "priya@example.com"}})
    api_call(run, "PUT", f"{api}/schedules/security-primary", "admin", {"name": "Security primary", "time_zone": "Europe/Berlin",
             "layers": [{"people": ["priya"], "shift": "1w", "handoff": "Mon 09:00", "start": "2026-11-02"}]})
    feed = api_call(run, "POST", f"{api}/schedules/security-primary/feed", "admin", want=201)["url"]
    if not feed.startswith(f"{run.base}/calendars/"):
        raise Failed(f"the schedule's feed URL {feed} is not under the stack's {run.base}/calendars/")
    cal = run.request("GET", feed)
    if cal.get("statusCode") != 200 or "BEGIN:VCALENDAR" not in cal.get("body", ""):
        raise Failed(f"GET {feed} (no JWT, as a calendar app) answered {cal.get('statusCode')}: {cal.get('body', '')[:200]}")

    # 11 minutes on, the secondary is due for the unanswered incident only;
    # 32 minutes on, the incident manager.
    later = run.later(LATER_MINUTES)
    run.pump()
    run.collect()
    second = pages(run.inbox[AUDIENCE_TOPICS["oncall-secondary"]])
    refs = sorted(p["reference"] for p in second)
    if refs != [unanswered_ref]:
        raise Failed(f"{LATER_MINUTES} minutes on, oncall-secondary got pages for {refs}; want only the unanswered {unanswered_ref}")
    if run.request("GET", second[0]["links"]["ack"]).get("statusCode") != 200:
        raise Failed("the secondary's ack link does not show its confirmation page")
    last = run.later(LAST_MINUTES)
    run.pump()
    run.collect()
    third = sorted(p["reference"] for p in pages(run.inbox[AUDIENCE_TOPICS["incident-manager"]]))
    if third != [unanswered_ref]:
        raise Failed(f"{LAST_MINUTES} minutes on, the incident manager got pages for {third}; want only the unanswered {unanswered_ref}")
    late = [p for t in run.inbox for p in pages(run.inbox[t]) if p["reference"] == acked_ref and p is not by_ref[acked_ref]]
    if late:
        raise Failed(f"{acked_ref} was paged after its acknowledgement: {[(p['audience'], p['event']) for p in late]}")
    return {"sweeps": (now, later, last), "events": len(run.entries), "messages": {t: len(m) for t, m in run.inbox.items()}}


# --- broken copies --------------------------------------------------------------


def _fn_props(doc, fn):
    return doc["Resources"][fn]["Properties"]


def _events(doc, fn, event):
    return _fn_props(doc, fn)["Events"][event]["Properties"]


def _drop_gsi(doc, index, attr_prefix):
    table = doc["Resources"]["Table"]["Properties"]
    table["GlobalSecondaryIndexes"] = [g for g in table["GlobalSecondaryIndexes"] if g["IndexName"] != index]
    table["AttributeDefinitions"] = [a for a in table["AttributeDefinitions"] if not a["AttributeName"].startswith(attr_prefix)]


def _drop_action(doc, fn, action):
    for s in _fn_props(doc, fn)["Policies"][0]["Statement"]:
        s["Action"] = [a for a in as_list(s["Action"]) if a != action]


def break_gsi(doc):
    _drop_gsi(doc, "due", "gsi3")


def break_by_created(doc):
    _drop_gsi(doc, "by_created", "gsi4")


def break_by_status(doc):
    _drop_gsi(doc, "by_status", "gsi1")


def break_iam(doc):
    _drop_action(doc, "NotifyFunction", "dynamodb:ConditionCheckItem")


def break_page_iam(doc):
    _drop_action(doc, "PageFunction", "sns:Publish")


def break_respond_iam(doc):
    _drop_action(doc, "RespondFunction", "events:PutEvents")


def break_rule(doc):
    _events(doc, "NotifyFunction", "DomainEvents")["Pattern"]["detail-type"].remove("Incident Acknowledged")


def break_rule_state(doc):
    _events(doc, "PageFunction", "Pages")["State"] = "DISABLED"


def break_input_path(doc):
    _events(doc, "PageFunction", "Pages")["InputPath"] = "$.detail"


def break_sweep_disabled(doc):
    _events(doc, "EscalateFunction", "Sweep")["Enabled"] = False


def break_sweep_rate(doc):
    _events(doc, "EscalateFunction", "Sweep")["Schedule"] = "rate(1 hour)"


def break_public_url(doc):
    _fn_props(doc, "PageFunction")["Environment"]["Variables"]["KLAXON_PUBLIC_URL"] = {"Ref": "PublicUrl"}


def break_cycle(doc):
    _fn_props(doc, "IntakeFunction")["Environment"]["Variables"]["KLAXON_PUBLIC_URL"] = {
        "Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
    }


def break_policy_template(doc):
    # A SAM policy template instead of the inline statement: read-only is not enough.
    policies = _fn_props(doc, "AssessFunction")["Policies"]
    statements = policies[0]["Statement"]
    policies[0]["Statement"] = [s for s in statements if not any(a.startswith("dynamodb:") for a in as_list(s["Action"]))]
    policies.append({"DynamoDBReadPolicy": {"TableName": {"Ref": "Table"}}})


def break_stage(doc):
    doc["Resources"]["HttpApi"]["Properties"]["StageName"] = "v1"


def break_endpoint(doc):
    doc["Resources"]["HttpApi"]["Properties"]["DisableExecuteApiEndpoint"] = True


def break_default_authorizer(doc):
    doc["Resources"]["HttpApi"]["Properties"]["Auth"]["DefaultAuthorizer"] = "OidcAuthorizer"


def break_authorizer_name(doc):
    _events(doc, "RespondFunction", "Api")["Auth"]["Authorizer"] = "OidcAuthoriser"


def break_audience(doc):
    doc["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]["OidcAuthorizer"]["JwtConfiguration"]["audience"] = [{"Ref": "OidcIssuer"}]


def break_topics(doc):
    env = doc["Globals"]["Function"]["Environment"]["Variables"]
    env["KLAXON_TOPIC_ONCALL_PRIMARY"], env["KLAXON_TOPIC_ONCALL_SECONDARY"] = env["KLAXON_TOPIC_ONCALL_SECONDARY"], env["KLAXON_TOPIC_ONCALL_PRIMARY"]


def break_output(doc):
    doc["Outputs"]["GithubWebhookUrl"]["Value"] = {"Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/webhook/github"}


# (name, mutation, what the failure must say)
BROKEN = [
    ("the due GSI removed", break_gsi, ["EscalateFunction failed", "Invalid index: due"]),
    ("the by_created GSI removed", break_by_created, ["/api/v1/metrics (JWT, viewer) answered 500", "Invalid index: by_created"]),
    ("the by_status GSI removed", break_by_status, ["/api/v1/incidents (JWT, viewer) answered 500", "Invalid index: by_status"]),
    # Asked for inside TransactWriteItems, which IAM authorises per contained action.
    ("ConditionCheckItem removed from notify's policy", break_iam, ["NotifyFunction called dynamodb:ConditionCheckItem on arn:aws:dynamodb:", "does not allow"]),
    ("sns:Publish removed from the pager's policy", break_page_iam, ["PageFunction called sns:Publish on arn:aws:sns:", "oncall-primary, which its IAM policy"]),
    ("events:PutEvents removed from respond's policy", break_respond_iam, ["RespondFunction called events:PutEvents on arn:aws:events:", "event-bus/klaxon-dev, which its IAM policy"]),
    ("the notify rule without Incident Acknowledged", break_rule, ["IntakeFunction published 'Incident Acknowledged' (source klaxon) on bus klaxon-dev, and no rule"]),
    ("the page rule's State DISABLED", break_rule_state, ["published 'Escalation Triggered'", "the rule that matches it, klaxon-dev-page (PageFunctionPages), is DISABLED"]),
    ("the page rule's target given InputPath $.detail", break_input_path, ["PageFunction failed", "target shapes it with {'InputPath': '$.detail'}"]),
    ("the sweep's schedule disabled", break_sweep_disabled, ["the schedule klaxon-dev-escalate-sweep (EscalateFunctionSweep) is DISABLED"]),
    ("the sweep every hour", break_sweep_rate, ["the schedule klaxon-dev-escalate-sweep is rate(1 hour): a sweep every 3600 s"]),
    ("assess given DynamoDBReadPolicy for its table", break_policy_template, ["AssessFunction called dynamodb:", "which its IAM policy in the template does not allow"]),
    ("the pager's KLAXON_PUBLIC_URL back to the empty PublicUrl", break_public_url, ["has no ack link"]),
    ("intake's KLAXON_PUBLIC_URL naming the API", break_cycle, ["circular dependency after the SAM transform: ", "HttpApi -> IntakeFunction"]),
    # API Gateway keeps a named stage in the event's rawPath, and the code routes on it.
    ("the HTTP API's StageName v1", break_stage, ["POST https://", ".amazonaws.com/v1/reports answered 404", "no route for /v1/reports"]),
    ("the HTTP API's execute-api endpoint disabled", break_endpoint, ["POST https://", "/reports: the HTTP API's execute-api endpoint is disabled"]),
    ("the OIDC authorizer as the HTTP API's DefaultAuthorizer", break_default_authorizer, ["/reports answered 401", "OidcAuthorizer: no token"]),
    ("the responder route naming an authorizer the API lacks", break_authorizer_name, ["the SAM transform refuses the template: ", "Unable to set Authorizer [OidcAuthoriser]"]),
    ("the authorizer's audience the issuer", break_audience, ["(JWT, viewer) answered 401", "the token's audience ['klaxon-e2e'] is not among the authorizer's ['https://idp.example.com/']"]),
    ("the primary and secondary topic variables swapped", break_topics, ["a oncall-primary message, page (Escalation Triggered) for KLX-", "landed on OncallSecondaryTopic"]),
    ("the GithubWebhookUrl output misspelt", break_output, ["the GithubWebhookUrl output https://", "/webhook/github reaches nothing: no route of the HTTP API takes POST /webhook/github"]),
]
# The run, then one for each broken copy, each in a region of its own.
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ca-central-1", "sa-east-1", "ap-northeast-1", "eu-north-1", "us-east-2",
           "us-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "ap-south-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "me-south-1", "af-south-1",
           "ap-east-1", "eu-central-2", "il-central-1", "ap-south-2"]
assert len(REGIONS) > len(BROKEN)


def self_check():
    """The pieces the run judges with, on cases small enough to read."""
    sam = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "T": {"Type": "AWS::DynamoDB::Table", "Properties": {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}], "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}},
            "F": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": ".", "Handler": "bootstrap", "Runtime": "provided.al2023", "Policies": [{"DynamoDBCrudPolicy": {"TableName": {"Ref": "T"}}}]}},
        },
    }
    cfn = sam_transform(sam, {}, "us-east-1")
    assert cfn["Resources"]["F"]["Properties"]["Code"]["S3Bucket"] == ARTIFACTS[5:]
    t = Template(cfn, "us-east-1", "s", {})
    t.physical["T"] = {"Ref": "t", "Arn": f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t"}
    crud = [s for p in t.props("FRole")["Policies"] for s in t.resolve(p["PolicyDocument"])["Statement"]]
    index = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t/index/due"
    assert allowed(crud, "dynamodb:Query", index), crud
    assert allowed(crud, "DynamoDB:ConditionCheckItem", index.split("/index")[0]), "actions are case-insensitive"
    assert not allowed(crud, "dynamodb:UpdateTable", index.split("/index")[0])
    assert not allowed(crud, "dynamodb:Query", index.replace("table/t/", "table/t2/"))
    deny = crud + [{"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"}]
    assert not allowed(deny, "dynamodb:Query", index), "an explicit deny wins"
    tx = {"TransactItems": [{"Put": {"TableName": "t"}}, {"ConditionCheck": {"TableName": "t"}}]}
    assert [a for a, _ in authorizations("dynamodb", "TransactWriteItems", tx, "us-east-1", {})] == ["dynamodb:PutItem", "dynamodb:ConditionCheckItem"]
    try:
        sam_transform({**sam, "Resources": {"F": {**sam["Resources"]["F"], "Properties": {**sam["Resources"]["F"]["Properties"], "Events": {"E": {"Type": "HttpApi", "Properties": {"Auth": {"Authorizer": "X"}}}}}}}}, {}, "us-east-1")
        raise AssertionError("an authorizer the API lacks passed the transform")
    except Failed as e:
        assert "Unable to set Authorizer [X]" in str(e), e
    t = Template({"Parameters": {"P": {"Type": "String", "Default": ""}}, "Conditions": {"HasP": {"Fn::Not": [{"Fn::Equals": [{"Ref": "P"}, ""]}]}}, "Resources": {"Api": {"Type": "AWS::ApiGatewayV2::Api"}}}, "eu-west-1", "s", {"P": ""})
    t.physical["Api"] = {"Ref": "abc"}
    url = {"Fn::If": ["HasP", {"Ref": "P"}, {"Fn::Sub": "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}]}
    assert t.resolve(url) == "https://abc.execute-api.eu-west-1.amazonaws.com"
    t.params["P"] = "https://security.example.com"
    assert t.resolve(url) == "https://security.example.com"
    edges = {"A": {"B"}, "B": {"C"}, "C": set()}
    assert creation_order(edges) == ["C", "B", "A"] and dependency_cycle(edges) is None
    assert dependency_cycle({"A": {"B"}, "B": {"A"}}) == ["A", "B", "A"]
    secret = json.loads(generate_secret_string({"GenerateStringKey": "K", "PasswordLength": 64, "ExcludePunctuation": True, "SecretStringTemplate": '{"A": ""}'}))
    assert secret["A"] == "" and len(secret["K"]) == 64 and secret["K"].isalnum()
    event = {"detail-type": "X", "detail": {"id": "1", "tags": ["a", "b"]}}
    assert target_input({}, event, "t") is event
    assert target_input({"InputPath": "$.detail.tags[1]"}, event, "t") == "b"
    assert target_input({"Input": '{"k": 1}'}, event, "t") == {"k": 1}
    shaped = target_input({"InputTransformer": {"InputPathsMap": {"i": "$.detail.id", "t": "$.detail.tags"}, "InputTemplate": '{"id": <i>, "tags": <t>, "text": "id <i>"}'}}, event, "t")
    assert shaped == {"id": "1", "tags": ["a", "b"], "text": "id 1"}, shaped
    assert [schedule_period(e) for e in ("rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "cron(* * * * ? *)", "cron(0/2 * * * ? *)", "cron(0 12 * * ? *)")] == [60, 300, 3600, 60, 120, float("inf")]
    auth = {"name": "A", "issuer": "https://i/", "audience": ["a"], "scopes": []}
    good = {"iss": "https://i/", "aud": "a", "exp": time.time() + 60}
    assert jwt_refusal(auth, good, time.time()) is None
    assert "issuer" in jwt_refusal(auth, {**good, "iss": "https://j/"}, time.time())
    assert "audience" in jwt_refusal(auth, {**good, "aud": "b"}, time.time())
    assert "expired" in jwt_refusal(auth, {**good, "exp": 1}, time.time())
    assert "scopes" in jwt_refusal({**auth, "scopes": ["klaxon/admin"]}, good, time.time())
    assert jwt_refusal({**auth, "scopes": ["klaxon/admin"]}, {**good, "scope": "openid klaxon/admin"}, time.time()) is None


def attempt(doc, bin_dir, moto, region, logdir):
    run = Run(doc, bin_dir, moto, region, logdir)
    try:
        return run, scenario(run), None
    except Failed as e:
        return run, None, str(e)
    finally:
        run.stop()


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bin_dir", type=Path)
    ap.add_argument("--template", type=Path, default=HERE.parent / "template.yaml")
    ap.add_argument("--only", choices=["run", "broken"])
    ap.add_argument("--broken", help="only the broken copies whose name contains this")
    ap.add_argument("--logs", type=Path, default=HERE.parent / "target" / "template-e2e")
    args = ap.parse_args(argv)
    self_check()
    doc = load(args.template.read_text())
    moto = Moto()
    started = time.time()
    ok = True
    try:
        if args.only != "broken" and not args.broken:
            run, seen, failure = attempt(copy.deepcopy(doc), args.bin_dir, moto, REGIONS[0], args.logs / "run")
            if failure:
                print(f"template_e2e: FAILED: {failure}\n  (function logs in {args.logs / 'run'})", file=sys.stderr)
                ok = False
            else:
                calls = sum(len(p.calls) for p in run.proxies.values())
                kinds = sorted({e.get("DetailType") for _, e in run.entries})
                print(f"template_e2e: report -> page with a working ack link -> ack -> responder API -> sweeps, on {REGIONS[0]} (after the SAM transform): "
                      f"{len(run.entries)} events published, each delivered by an enabled rule ({', '.join(kinds)}); "
                      f"{sum(seen['messages'].values())} messages, each on its audience's topic with its links "
                      f"({', '.join(f'{t} {n}' for t, n in sorted(seen['messages'].items()) if n)}); "
                      f"{calls} AWS calls, each allowed by its function's IAM policy; sweeps examined {[s.get('examined') for s in seen['sweeps']]}", file=sys.stderr)
                for fn, proxy in sorted(run.proxies.items()):
                    used = sorted({a for a, _, _ in proxy.calls})
                    print(f"  {fn}: {', '.join(used) or 'no AWS calls'}", file=sys.stderr)
                print("template_e2e: granted to the code but not called in this run (not a failure: paths the run does not drive):", file=sys.stderr)
                for fn, grants in run.unused_grants().items():
                    print(f"  {fn}: {'; '.join(grants) or 'none'}", file=sys.stderr)
        if args.only != "run":
            chosen = [i for i, b in enumerate(BROKEN) if not args.broken or args.broken in b[0]]

            def one(i):
                broken = copy.deepcopy(doc)
                BROKEN[i][1](broken)
                t = time.time()
                return attempt(broken, args.bin_dir, moto, REGIONS[1 + i], args.logs / f"broken-{i + 1}")[2], time.time() - t

            with concurrent.futures.ThreadPoolExecutor(3) as pool:
                failures = list(pool.map(one, chosen))
            for i, (failure, took) in zip(chosen, failures):
                label, _, want = BROKEN[i]
                if failure and all(w in failure for w in want):
                    print(f"template_e2e: broken copy ({label}) fails as it should, in {took:.1f} s: {failure.splitlines()[0]}", file=sys.stderr)
                else:
                    print(f"template_e2e: FAILED: the broken copy ({label}) should fail saying {want}, got: {failure or 'a passing run'}", file=sys.stderr)
                    ok = False
    finally:
        moto.stop()
    print(f"template_e2e: {'passed' if ok else 'FAILED'} in {time.time() - started:.1f} s", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
