#!/usr/bin/env python3
"""The deployed stack, as template.yaml defines it, built in moto and run end to end.

    python infra/template_e2e.py BIN_DIR             # the run, then the broken copies
    python infra/template_e2e.py BIN_DIR --only run  # just the run

BIN_DIR holds the Lambda binaries (`cargo build --workspace --bins` puts them
in $CARGO_TARGET_DIR/debug). `make test` runs this after the cargo tests; it
starts its own moto (infra/moto_server.py), so it needs nothing else running.

Nothing comes from the Rust test suite's helpers. The template is read as
written (SAM, before the transform) and stood up as CloudFormation would:

- the table with its key schema and GSIs, the bus, the queues, the topics,
  the secret generated from its GenerateSecretString; every other resource
  type must be one this file names as not on the run's path;
- each function's EventBridge rule, with its pattern, on its bus in moto, an
  SQS queue standing in for the function as the rule's target; the schedule
  is fired by hand;
- each function's HttpApi routes, served by a stand-in for API Gateway (a
  request is made into the HTTP API event the function gets; a route behind
  the JWT authorizer gets the verified claims, as API Gateway passes them);
- each topic with an SQS queue subscribed, as an operator would;
- each function: its binary (Metadata BuildProperties Binary) under a
  stand-in for the Lambda Runtime API, with the environment the template
  gives it (Globals merged) and Lambda's own variables, nothing else, and
  every AWS call going through a proxy that judges it against the
  function's IAM policy from the template (inline statements, SAM policy
  templates expanded, and what SAM adds) before passing it to moto.

The run: two critical reports are posted to the form's API; EventBridge
(moto's rule matching) carries each published event to the function whose
rule matches, and every published event must match one; each report pages
oncall-primary with an ack link into this stack's API; one page's link is
followed (GET shows the confirmation, POST acknowledges) and the incident
is read through the JWT-authorised responder API; security.txt names the
same base URL. The sweep runs now, then 11 minutes later (the binary under
libfaketime): the unacknowledged incident pages oncall-secondary, the
acknowledged one pages no one.

Then the template is broken in memory, one way at a time (a GSI removed, an
IAM action removed, a rule that forgets an event, PublicUrl back to empty, a
circular dependency), and each broken copy must fail for its reason.
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
# Types on the template that nothing on this path talks to, and why.
NOT_ON_PATH = {
    "AWS::CloudWatch::Alarm": "alarms watch queue depth; nothing here calls CloudWatch",
    "AWS::SQS::QueuePolicy": "resource policies for EventBridge's dead-lettering; moto does not enforce them",
    "AWS::Logs::LogGroup": "the HTTP API's access logs",
    "AWS::KMS::Key": "the alarm topic's key, for CloudWatch; moto's SNS does not encrypt",
    "AWS::KMS::Alias": "names the alarm topic's key",
    "AWS::SNS::Subscription": "the operator's email subscription to the alarm topic",
}
# How much later the second sweep runs: past the secondary's 10 minutes.
LATER_MINUTES = 11


class Failed(Exception):
    """The stack does not work as the template defines it; the message says why."""


NO_VALUE = object()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rand(n: int, alphabet: str = string.ascii_uppercase + string.digits) -> str:
    return "".join(random.choice(alphabet) for _ in range(n))


# --- the template as CloudFormation reads it --------------------------------


def sam_merge(global_value, local_value):
    """SAM's Globals merge: maps merge key by key, the function's value wins."""
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        if any(k == "Ref" or k.startswith("Fn::") for k in (*global_value, *local_value)):
            return local_value
        out = dict(global_value)
        for k, v in local_value.items():
            out[k] = sam_merge(out[k], v) if k in out else v
        return out
    if isinstance(global_value, list) and isinstance(local_value, list):
        return global_value + local_value
    return local_value


class Template:
    """Parameters, conditions and intrinsic functions over the stack's physical names."""

    def __init__(self, doc: dict, region: str, stack: str):
        self.doc = doc
        self.region = region
        self.stack = stack
        self.resources: dict = doc.get("Resources") or {}
        self.params = {}
        for name, p in (doc.get("Parameters") or {}).items():
            if name in REQUIRED_PARAMETERS:
                self.params[name] = REQUIRED_PARAMETERS[name]
            elif "Default" in p:
                self.params[name] = str(p["Default"])
            else:
                raise Failed(f"parameter {name} has no default and the run does not set it")
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
        self.conditions = {}
        for name, cond in (doc.get("Conditions") or {}).items():
            self.conditions[name] = cond

    def props(self, name: str) -> dict:
        r = self.resources[name]
        props = r.get("Properties") or {}
        if r.get("Type") == "AWS::Serverless::Function":
            g = (self.doc.get("Globals") or {}).get("Function") or {}
            props = sam_merge(copy.deepcopy(g), props)
        return props

    def of_type(self, kind: str) -> list[str]:
        return [n for n, r in self.resources.items() if r.get("Type") == kind]

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


# --- dependencies as CloudFormation sees them after the SAM transform -------


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


def dependency_cycle(t: Template) -> list[str] | None:
    """A cycle among the resources, or None. A function's Events are not part
    of the function after the transform (they become rules, permissions and
    the API's routes); an HttpApi event makes the API's generated definition
    name the function, so the API depends on it."""
    edges: dict[str, set[str]] = {n: set() for n in t.resources}
    for name, r in t.resources.items():
        body = dict(r)
        props = dict(r.get("Properties") or {})
        if r.get("Type") == "AWS::Serverless::Function":
            props = t.props(name)
            for event in (props.pop("Events", None) or {}).values():
                if event.get("Type") == "HttpApi":
                    api = references((event.get("Properties") or {}).get("ApiId")) or {"ServerlessHttpApi"}
                    for a in api:
                        edges.setdefault(a, set()).add(name)
        body["Properties"] = props
        depends = as_list(body.pop("DependsOn", None))
        edges[name] |= {d for d in references(body) | set(depends) if d in t.resources}
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


# --- IAM ---------------------------------------------------------------------


def policy_template(name: str, params: dict) -> list[dict]:
    """The statements of a SAM policy template (aws-sam-translator's
    policy_templates.json), for those check_template.py admits."""
    arn = "arn:aws"
    region = params["_region"]
    table = f"{arn}:dynamodb:{region}:{ACCOUNT}:table/{params.get('TableName')}"
    tables = [table, f"{table}/index/*"]
    templates = {
        "DynamoDBCrudPolicy": (["GetItem", "DeleteItem", "PutItem", "Scan", "Query", "UpdateItem", "BatchWriteItem", "BatchGetItem", "DescribeTable", "ConditionCheckItem"], "dynamodb", tables),
        "DynamoDBReadPolicy": (["GetItem", "Scan", "Query", "BatchGetItem", "DescribeTable"], "dynamodb", tables),
        "DynamoDBWritePolicy": (["PutItem", "UpdateItem", "BatchWriteItem"], "dynamodb", tables),
        "SNSPublishMessagePolicy": (["Publish"], "sns", [f"{arn}:sns:{region}:{ACCOUNT}:{params.get('TopicName')}"]),
        "EventBridgePutEventsPolicy": (["PutEvents"], "events", [f"{arn}:events:{region}:{ACCOUNT}:event-bus/{params.get('EventBusName')}"]),
        "AWSSecretsManagerGetSecretValuePolicy": (["GetSecretValue"], "secretsmanager", [str(params.get("SecretArn"))]),
        "KMSDecryptPolicy": (["Decrypt"], "kms", [f"{arn}:kms:{region}:{ACCOUNT}:key/{params.get('KeyId')}"]),
        "SQSPollerPolicy": (["ChangeMessageVisibility", "ChangeMessageVisibilityBatch", "DeleteMessage", "DeleteMessageBatch", "GetQueueAttributes", "ReceiveMessage"], "sqs", [f"{arn}:sqs:{region}:{ACCOUNT}:{params.get('QueueName')}"]),
        "LambdaInvokePolicy": (["InvokeFunction"], "lambda", [f"{arn}:lambda:{region}:{ACCOUNT}:function:{params.get('FunctionName')}*"]),
    }
    if name not in templates:
        raise Failed(f"SAM policy template {name} is not expanded by this run: add its statements to policy_template()")
    actions, service, resources = templates[name]
    return [{"Effect": "Allow", "Action": [f"{service}:{a}" for a in actions], "Resource": resources}]


MANAGED = {
    "AWSLambdaBasicExecutionRole": [{"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], "Resource": ["*"]}],
    "AWSXrayWriteOnlyAccess": [{"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"], "Resource": ["*"]}],
}


def function_statements(t: Template, name: str) -> list[dict]:
    """The function role's statements as SAM makes the role: the Policies,
    the basic execution role, X-Ray for Tracing: Active, and the
    EventInvokeConfig destinations."""
    props = t.props(name)
    where = f"{name} Policies"
    statements = list(MANAGED["AWSLambdaBasicExecutionRole"])
    if props.get("Tracing") == "Active":
        statements += MANAGED["AWSXrayWriteOnlyAccess"]
    for policy in as_list(props.get("Policies")):
        if isinstance(policy, str):
            if policy not in MANAGED:
                raise Failed(f"{where}: managed policy {policy} is not known to this run")
            statements += MANAGED[policy]
        elif "Statement" in policy:
            statements += as_list(t.resolve(policy, where)["Statement"])
        else:
            (tpl, params), = policy.items()
            resolved = t.resolve(params or {}, where)
            statements += policy_template(tpl, {**resolved, "_region": t.region})
    dest = ((props.get("EventInvokeConfig") or {}).get("DestinationConfig") or {}).get("OnFailure") or {}
    if dest.get("Type") == "SQS":
        statements.append({"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [t.resolve(dest["Destination"], where)]})
    return statements


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


# --- the AWS side: moto, and a judging proxy per function ---------------------


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

            def log_message(self, *args):
                pass

            def do_POST(self):
                proxy.handle(self)

            do_GET = do_PUT = do_DELETE = do_POST

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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


# --- the Lambda side: a Runtime API stand-in per function ---------------------


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
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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
        self.doc, self.bin_dir, self.moto, self.region = doc, bin_dir, moto, region
        self.logdir = logdir
        logdir.mkdir(parents=True, exist_ok=True)
        self.stack = f"klaxon-e2e-{rand(6).lower()}"
        self.t = Template(doc, region, self.stack)
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.secret_names: dict[str, str] = {}
        self.rules: list[dict] = []  # {function, name, bus, queue_url, arn}
        self.schedules: list[dict] = []
        self.routes: list[dict] = []  # {method, path, regex, function, auth}
        self.functions: dict[str, Function] = {}
        self.proxies: dict[str, Proxy] = {}
        self.subscribers: dict[str, str] = {}  # topic logical id -> queue url
        self.entries: list[tuple[str, dict]] = []  # (function, PutEvents entry)
        self.delivered: set[str] = set()  # domain event ids a rule delivered
        self.api_id = rand(10, string.ascii_lowercase + string.digits)
        self.api_host = f"{self.api_id}.execute-api.{region}.amazonaws.com"

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
        return self.moto.client(service, self.region)

    # --- standing the stack up ---

    def build(self):
        try:
            self._build()
        except botocore.exceptions.ClientError as e:
            raise Failed(f"the stack cannot be made as the template says: {e}") from e

    def _build(self):
        cycle = dependency_cycle(self.t)
        if cycle:
            raise Failed("circular dependency after the SAM transform: " + " -> ".join(cycle))
        known = {"AWS::Serverless::Function", "AWS::Serverless::HttpApi", "AWS::DynamoDB::Table", "AWS::Events::EventBus", "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::SecretsManager::Secret"}
        for name, r in self.t.resources.items():
            kind = r.get("Type")
            if kind not in known and kind not in NOT_ON_PATH:
                raise Failed(f"{name} is a {kind}, which this run neither makes nor names as off the path; teach it")
        for name in self.t.of_type("AWS::DynamoDB::Table"):
            self.table(name)
        for name in self.t.of_type("AWS::Events::EventBus"):
            p = self.t.resolve(self.t.props(name), name)
            arn = self.client("events").create_event_bus(Name=p["Name"])["EventBusArn"]
            self.t.physical[name] = {"Ref": p["Name"], "Arn": arn, "Name": p["Name"]}
        for name in self.t.of_type("AWS::SQS::Queue"):
            p = self.t.resolve(self.t.props(name), name)
            qname = p.get("QueueName") or f"{self.stack}-{name}-{rand(12)}"
            url, arn = self.queue(qname)
            self.t.physical[name] = {"Ref": url, "Arn": arn, "QueueName": qname, "QueueUrl": url}
        sns = self.client("sns")
        for name in self.t.of_type("AWS::SNS::Topic"):
            p = self.t.resolve(self.t.props(name), name)
            tname = p.get("TopicName") or f"{self.stack}-{name}-{rand(12)}"
            attrs = {"KmsMasterKeyId": p["KmsMasterKeyId"]} if "KmsMasterKeyId" in p else {}
            arn = sns.create_topic(Name=tname, Attributes=attrs)["TopicArn"]
            self.t.physical[name] = {"Ref": arn, "TopicArn": arn, "TopicName": tname}
            # The operator's subscriber.
            url, qarn = self.queue(f"subscriber-{tname}")
            sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=qarn)
            self.subscribers[name] = url
        for name in self.t.of_type("AWS::SecretsManager::Secret"):
            self.secret(name)
        for name in self.t.of_type("AWS::Serverless::HttpApi"):
            self.t.physical[name] = {"Ref": self.api_id, "ApiEndpoint": f"https://{self.api_host}"}
        fns = self.t.of_type("AWS::Serverless::Function")
        for name in fns:
            fname = self.t.resolve(self.t.props(name).get("FunctionName"), name) or f"{self.stack}-{name}-{rand(12)}"
            arn = f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{fname}"
            self.t.physical[name] = {"Ref": fname, "Arn": arn}
        for name in fns:
            self.events(name)
        for name in fns:
            self.start(name)
        self.outputs = {k: self.t.resolve(v.get("Value"), f"Outputs.{k}") for k, v in (self.doc.get("Outputs") or {}).items()}

    def queue(self, qname):
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=qname)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    def table(self, name):
        p = self.t.resolve(self.t.props(name), name)
        tname = p.get("TableName") or f"{self.stack}-{name}-{rand(12)}"
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

    def secret(self, name):
        p = self.t.resolve(self.t.props(name), name)
        value = p.get("SecretString")
        gen = p.get("GenerateSecretString")
        if gen:
            value = generate_secret_string(gen)
        sm = self.client("secretsmanager")
        sname = p.get("Name") or f"{name}-{rand(12)}"
        arn = sm.create_secret(Name=sname, SecretString=value or "")["ARN"]
        self.secret_names[sname] = arn
        self.t.physical[name] = {"Ref": arn, "Id": arn}

    def events(self, fn):
        """The function's rules (on moto, SQS standing in for the function) and routes."""
        events = self.client("events")
        for ev_name, ev in (self.t.props(fn).get("Events") or {}).items():
            kind = ev.get("Type")
            p = self.t.resolve(ev.get("Properties") or {}, f"{fn} Events.{ev_name}")
            if kind == "EventBridgeRule":
                bus = p.get("EventBusName") or "default"
                rule = p.get("RuleName") or f"{self.stack}-{fn}{ev_name}-{rand(12)}"
                events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(p["Pattern"]), State="ENABLED")
                url, arn = self.queue(f"standin-{rule}")
                events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": fn, "Arn": arn}])
                self.rules.append({"function": fn, "name": rule, "bus": bus, "queue_url": url})
            elif kind == "Schedule":
                rule = p.get("Name") or f"{self.stack}-{fn}{ev_name}-{rand(12)}"
                arn = events.put_rule(Name=rule, ScheduleExpression=p["Schedule"], State="ENABLED")["RuleArn"]
                self.schedules.append({"function": fn, "name": rule, "arn": arn})
            elif kind == "HttpApi":
                path = p["Path"]
                regex = "^" + re.sub(r"\\\{([^}+]+)\\\+\\\}", r"(?P<\1>.+)", re.sub(r"\\\{([^}+]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))) + "$"
                self.routes.append({"method": p["Method"].upper(), "path": path, "regex": regex, "function": fn, "auth": (p.get("Auth") or {}).get("Authorizer")})
            else:
                raise Failed(f"{fn} has a {kind} event, which this run does not stand in for; teach it")

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
            self.proxies[fn] = Proxy(fn, function_statements(self.t, fn), self.moto, self.region, self)
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

    def invoke(self, fn: str, event: dict, function: Function | None = None):
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
        if u.scheme != "https" or u.netloc != self.api_host:
            raise Failed(f"{url} is not this stack's API (https://{self.api_host}): a link there reaches nothing")
        matches = [r for r in self.routes if r["method"] in (method, "ANY") and re.match(r["regex"], u.path)]
        if not matches:
            raise Failed(f"no route of the HTTP API takes {method} {u.path}")
        route = sorted(matches, key=lambda r: ("+}" in r["path"], r["method"] == "ANY"))[0]
        params = re.match(route["regex"], u.path).groupdict()
        hdrs = {"host": self.api_host, "user-agent": "template-e2e", **{k.lower(): v for k, v in (headers or {}).items()}}
        now = time.time()
        event = {
            "version": "2.0",
            "routeKey": f"{route['method']} {route['path']}",
            "rawPath": u.path,
            "rawQueryString": u.query,
            "headers": hdrs,
            "requestContext": {
                "accountId": ACCOUNT,
                "apiId": self.api_id,
                "domainName": self.api_host,
                "domainPrefix": self.api_id,
                "requestId": rand(16),
                "routeKey": f"{route['method']} {route['path']}",
                "stage": "$default",
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "timeEpoch": int(now * 1000),
                "http": {"method": method, "path": u.path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.10", "userAgent": "template-e2e"},
            },
            "isBase64Encoded": False,
        }
        if params:
            event["pathParameters"] = params
        if body is not None:
            event["body"] = body
        if route["auth"]:
            if claims is None:
                return {"statusCode": 401, "body": '{"message":"Unauthorized"}'}
            event["headers"]["authorization"] = "Bearer verified-by-api-gateway"
            event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
        resp = self.invoke(route["function"], event)
        if resp.get("isBase64Encoded"):
            resp["body"] = base64.b64decode(resp["body"]).decode()
        return resp

    def pump(self):
        """Delivers what EventBridge matched until nothing is left; every
        published event must have matched a rule."""
        sqs = self.client("sqs")
        while True:
            got = 0
            for rule in self.rules:
                msgs = sqs.receive_message(QueueUrl=rule["queue_url"], MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
                for m in msgs:
                    sqs.delete_message(QueueUrl=rule["queue_url"], ReceiptHandle=m["ReceiptHandle"])
                    envelope = json.loads(m["Body"])
                    self.delivered.add(f"{rule['bus']}|{envelope.get('detail', {}).get('id')}")
                    self.invoke(rule["function"], envelope)
                    got += 1
            if not got:
                break
        for fn, entry in self.entries:
            detail = json.loads(entry.get("Detail") or "{}")
            bus = entry.get("EventBusName") or "default"
            if f"{bus}|{detail.get('id')}" not in self.delivered:
                raise Failed(f"{fn} published {entry.get('DetailType')!r} (source {entry.get('Source')}) on bus {bus}, and no rule of the template matches it")

    def messages(self, topic: str) -> list[dict]:
        """The JSON documents the topic's SQS subscriber received."""
        sqs = self.client("sqs")
        url = self.subscribers[topic]
        out = []
        while True:
            msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            if not msgs:
                return out
            for m in msgs:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                envelope = json.loads(m["Body"])
                out.append(json.loads(envelope["Message"]))

    def sweep(self, function: Function | None = None, ahead_s: int = 0):
        rule = self.schedules[0]
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
        return self.invoke(rule["function"], event, function)

    def topic(self, audience: str) -> str:
        """The topic a function is given for an audience (KLAXON_TOPIC_<AUDIENCE>)."""
        var = "KLAXON_TOPIC_" + audience.upper().replace("-", "_")
        globals_env = ((self.doc.get("Globals") or {}).get("Function") or {}).get("Environment", {}).get("Variables", {})
        ref = globals_env.get(var)
        name = ref.get("Ref") if isinstance(ref, dict) else None
        if name not in self.subscribers:
            raise Failed(f"{var} does not name a topic of the template")
        return name


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


def scenario(run: Run) -> dict:
    """Report -> assess -> page -> ack -> quiet sweep. Returns what it saw."""
    run.build()
    primary = run.topic("oncall-primary")
    secondary = run.topic("oncall-secondary")
    base = f"https://{run.api_host}"

    reports = {}
    for key, title in (("acked", "RCE in the webhook handler"), ("unanswered", "SQL injection in the search API")):
        body = json.dumps({"title": title, "description": "Reproduced against production with the attached payload.", "cvss": CVSS_CRITICAL})
        resp = run.request("POST", f"{base}/reports", body, {"content-type": "application/json"})
        if resp.get("statusCode") != 202:
            raise Failed(f"POST /reports answered {resp.get('statusCode')}: {resp.get('body')}")
        reports[key] = json.loads(resp["body"])
    run.pump()

    paged = pages(run.messages(primary))
    by_ref = {p["reference"]: p for p in paged}
    for key, accepted in reports.items():
        page = by_ref.get(accepted["reference"])
        if page is None:
            raise Failed(f"no page on oncall-primary for {accepted['reference']} ({key}); pages: {[p['reference'] for p in paged]}")
        if not page.get("links", {}).get("ack"):
            raise Failed(f"the page for {accepted['reference']} has no ack link: links {page.get('links')}")
    link = by_ref[reports["acked"]["reference"]]["links"]["ack"]
    if not link.startswith(f"{base}/ack/"):
        raise Failed(f"the ack link {link} does not point at this stack's API {base}")

    # security.txt and its form link: the same base as the pages' links.
    txt = run.request("GET", f"{base}/.well-known/security.txt")
    want = [f"Contact: {base}/report", f"Canonical: {base}/.well-known/security.txt"]
    missing = [w for w in want if w not in txt.get("body", "")]
    if txt.get("statusCode") != 200 or missing:
        raise Failed(f"security.txt lacks {missing}: {txt.get('statusCode')} {txt.get('body')!r}")
    if run.outputs.get("PublicUrl", base) != base:
        raise Failed(f"the PublicUrl output {run.outputs.get('PublicUrl')} is not the pages' base {base}")

    # Follow the link: GET confirms, POST acknowledges.
    shown = run.request("GET", link)
    if shown.get("statusCode") != 200 or "<form" not in shown.get("body", ""):
        raise Failed(f"GET {link} answered {shown.get('statusCode')}: {shown.get('body', '')[:300]}")
    done = run.request("POST", link, "", {"content-type": "application/x-www-form-urlencoded"})
    if done.get("statusCode") != 200 or "Acknowledged" not in done.get("body", ""):
        raise Failed(f"POST {link} answered {done.get('statusCode')}: {done.get('body', '')[:300]}")
    run.pump()

    # The responder API, behind the JWT authorizer, sees it acknowledged.
    incident_link = by_ref[reports["acked"]["reference"]]["links"].get("incident")
    if not incident_link:
        raise Failed("the page has no incident link")
    claims = {"sub": "u-1", "email": "oncall@example.com", "iss": REQUIRED_PARAMETERS["OidcIssuer"], "klaxon_role": "viewer"}
    seen = run.request("GET", incident_link, claims=claims)
    if seen.get("statusCode") != 200:
        raise Failed(f"GET {incident_link} (JWT, viewer) answered {seen.get('statusCode')}: {seen.get('body')}")
    incident = json.loads(seen["body"])["incident"]
    if not incident.get("acknowledged"):
        raise Failed(f"the responder API does not show {incident.get('reference')} acknowledged: {incident.get('status')}")

    # The sweep now, then 11 minutes on: the secondary is due for the
    # unanswered incident only.
    now = run.sweep()
    run.pump()
    faketime = shutil.which("faketime")
    if not faketime:
        raise SystemExit("template_e2e: needs libfaketime for the later sweep: apt-get install faketime")
    later_fn = run.start(run.schedules[0]["function"], [faketime, "-f", f"+{LATER_MINUTES}m"], "EscalateFunction-later", LATER_MINUTES * 60)
    try:
        later = run.sweep(later_fn, LATER_MINUTES * 60)
    finally:
        later_fn.stop()
    run.pump()
    second = pages(run.messages(secondary))
    refs = sorted(p["reference"] for p in second)
    if refs != [reports["unanswered"]["reference"]]:
        raise Failed(f"{LATER_MINUTES} minutes on, oncall-secondary got pages for {refs}; want only the unanswered {reports['unanswered']['reference']}")
    for p in second:
        if not (p.get("links") or {}).get("ack", "").startswith(f"{base}/ack/"):
            raise Failed(f"the secondary's page has no working ack link: {p.get('links')}")
        if run.request("GET", p["links"]["ack"]).get("statusCode") != 200:
            raise Failed("the secondary's ack link does not show its confirmation page")
    acked_ref = reports["acked"]["reference"]
    late = [p for t in run.subscribers for p in pages(run.messages(t)) if p["reference"] == acked_ref]
    if late:
        raise Failed(f"{acked_ref} was paged after its acknowledgement: {[(p['audience'], p['event']) for p in late]}")
    return {"sweeps": (now, later), "events": len(run.entries)}


# --- broken copies --------------------------------------------------------------


def _fn_props(doc, fn):
    return doc["Resources"][fn]["Properties"]


def break_gsi(doc):
    table = doc["Resources"]["Table"]["Properties"]
    table["GlobalSecondaryIndexes"] = [g for g in table["GlobalSecondaryIndexes"] if g["IndexName"] != "due"]
    table["AttributeDefinitions"] = [a for a in table["AttributeDefinitions"] if not a["AttributeName"].startswith("gsi3")]


def break_iam(doc):
    for s in _fn_props(doc, "NotifyFunction")["Policies"][0]["Statement"]:
        s["Action"] = [a for a in as_list(s["Action"]) if a != "dynamodb:ConditionCheckItem"]


def break_page_iam(doc):
    for s in _fn_props(doc, "PageFunction")["Policies"][0]["Statement"]:
        s["Action"] = [a for a in as_list(s["Action"]) if a != "sns:Publish"]


def break_rule(doc):
    pattern = _fn_props(doc, "NotifyFunction")["Events"]["DomainEvents"]["Properties"]["Pattern"]
    pattern["detail-type"].remove("Incident Acknowledged")


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


# (name, mutation, what the failure must say)
BROKEN = [
    ("the due GSI removed", break_gsi, ["EscalateFunction failed", "Invalid index: due"]),
    # Asked for inside TransactWriteItems, which IAM authorises per contained action.
    ("ConditionCheckItem removed from notify's policy", break_iam, ["NotifyFunction called dynamodb:ConditionCheckItem on arn:aws:dynamodb:", "does not allow"]),
    ("sns:Publish removed from the pager's policy", break_page_iam, ["PageFunction called sns:Publish on arn:aws:sns:", "oncall-primary, which its IAM policy"]),
    ("the notify rule without Incident Acknowledged", break_rule, ["IntakeFunction published 'Incident Acknowledged' (source klaxon) on bus klaxon-dev, and no rule"]),
    ("assess given DynamoDBReadPolicy for its table", break_policy_template, ["AssessFunction called dynamodb:", "which its IAM policy in the template does not allow"]),
    ("the pager's KLAXON_PUBLIC_URL back to the empty PublicUrl", break_public_url, ["has no ack link"]),
    ("intake's KLAXON_PUBLIC_URL naming the API", break_cycle, ["circular dependency after the SAM transform: HttpApi -> IntakeFunction -> HttpApi"]),
]
# The run, then one for each broken copy.
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ca-central-1", "sa-east-1", "ap-northeast-1", "eu-north-1", "us-east-2"]
assert len(REGIONS) > len(BROKEN)


def self_check():
    """The pieces the run judges with, on cases small enough to read."""
    crud = policy_template("DynamoDBCrudPolicy", {"TableName": "t", "_region": "us-east-1"})
    index = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t/index/due"
    assert allowed(crud, "dynamodb:Query", index)
    assert allowed(crud, "DynamoDB:ConditionCheckItem", index.split("/index")[0]), "actions are case-insensitive"
    assert not allowed(crud, "dynamodb:UpdateTable", index.split("/index")[0])
    assert not allowed(crud, "dynamodb:Query", index.replace("table/t/", "table/t2/"))
    deny = crud + [{"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"}]
    assert not allowed(deny, "dynamodb:Query", index), "an explicit deny wins"
    tx = {"TransactItems": [{"Put": {"TableName": "t"}}, {"ConditionCheck": {"TableName": "t"}}]}
    assert [a for a, _ in authorizations("dynamodb", "TransactWriteItems", tx, "us-east-1", {})] == ["dynamodb:PutItem", "dynamodb:ConditionCheckItem"]
    t = Template({"Parameters": {"P": {"Type": "String", "Default": ""}}, "Conditions": {"HasP": {"Fn::Not": [{"Fn::Equals": [{"Ref": "P"}, ""]}]}}, "Resources": {"Api": {"Type": "AWS::Serverless::HttpApi"}}}, "eu-west-1", "s")
    t.physical["Api"] = {"Ref": "abc"}
    url = {"Fn::If": ["HasP", {"Ref": "P"}, {"Fn::Sub": "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}]}
    assert t.resolve(url) == "https://abc.execute-api.eu-west-1.amazonaws.com"
    t.params["P"] = "https://security.example.com"
    assert t.resolve(url) == "https://security.example.com"
    secret = json.loads(generate_secret_string({"GenerateStringKey": "K", "PasswordLength": 64, "ExcludePunctuation": True, "SecretStringTemplate": '{"A": ""}'}))
    assert secret["A"] == "" and len(secret["K"]) == 64 and secret["K"].isalnum()


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
    ap.add_argument("--logs", type=Path, default=HERE.parent / "target" / "template-e2e")
    args = ap.parse_args(argv)
    self_check()
    doc = load(args.template.read_text())
    moto = Moto()
    started = time.time()
    ok = True
    try:
        if args.only != "broken":
            run, seen, failure = attempt(copy.deepcopy(doc), args.bin_dir, moto, REGIONS[0], args.logs / "run")
            if failure:
                print(f"template_e2e: FAILED: {failure}\n  (function logs in {args.logs / 'run'})", file=sys.stderr)
                ok = False
            else:
                calls = sum(len(p.calls) for p in run.proxies.values())
                kinds = sorted({e.get("DetailType") for _, e in run.entries})
                print(f"template_e2e: report -> page with a working ack link -> ack -> quiet sweep, on {REGIONS[0]}: "
                      f"{len(run.entries)} events published, each matched by a rule ({', '.join(kinds)}); "
                      f"{calls} AWS calls, each allowed by its function's IAM policy; sweeps {seen['sweeps'][0]} then {seen['sweeps'][1]}", file=sys.stderr)
                for fn, proxy in sorted(run.proxies.items()):
                    used = sorted({a for a, _, _ in proxy.calls})
                    print(f"  {fn}: {', '.join(used) or 'no AWS calls'}", file=sys.stderr)
        if args.only != "run":
            # Each copy in a region of its own, a few at a time.
            def one(i):
                broken = copy.deepcopy(doc)
                BROKEN[i][1](broken)
                return attempt(broken, args.bin_dir, moto, REGIONS[1 + i], args.logs / f"broken-{i + 1}")[2]

            with concurrent.futures.ThreadPoolExecutor(3) as pool:
                failures = list(pool.map(one, range(len(BROKEN))))
            for (label, _, want), failure in zip(BROKEN, failures):
                if failure and all(w in failure for w in want):
                    print(f"template_e2e: broken copy ({label}) fails as it should: {failure.splitlines()[0]}", file=sys.stderr)
                else:
                    print(f"template_e2e: FAILED: the broken copy ({label}) should fail saying {want}, got: {failure or 'a passing run'}", file=sys.stderr)
                    ok = False
    finally:
        moto.stop()
    print(f"template_e2e: {'passed' if ok else 'FAILED'} in {time.time() - started:.1f} s", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
