#!/usr/bin/env python3
"""The secret scan.

Plant and scan (part of `make test`): starts `klaxon serve` with a fresh
data directory and every intake source enabled, plants a distinct secret in
every field of every intake path (JSON report, form report, every webhook
source, the PagerDuty events endpoint, Connect and Forge), in every API
write route, in every console form (whose session id and form token count
as secrets too), in every header and in every refused parameter, stops the
server, then scans the data directory and the server's log for every planted
secret. Exits 1 on any match, or if the plants it relies on were not
accepted (a scan of nothing proves nothing).

  python3 bench/secret_scan.py --serve target/debug/klaxon

Scan only: greps every file under the given paths for the secrets on stdin,
one per line (so they never show in `ps`), and exits 1 on any match.

  printf '%s\\n' "$secret1" "$secret2" | python3 bench/secret_scan.py DIR_OR_FILE...

Matches are reported by path and the secret's first six characters (and,
when planting, by where the secret was planted). Standard library only.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import secrets as rng
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request


def files(paths):
    for top in paths:
        if os.path.isfile(top):
            yield top
        for dirpath, _, names in os.walk(top):
            for name in names:
                yield os.path.join(dirpath, name)


def scan(paths, secrets):
    """Returns (path, secret prefix) for every secret found in every file."""
    return [(path, secrets[i][:6] + "...") for path, i in scan_indexed(paths, secrets)]


def scan_indexed(paths, secrets):
    """Returns (path, index into secrets) for every secret found in every file."""
    needles = [s.encode() for s in secrets]
    # Chunks overlap by the longest secret, so none is missed at a seam.
    overlap = max(map(len, needles)) - 1
    found = []
    for path in files(paths):
        hits = set()
        with open(path, "rb") as f:
            tail = b""
            while chunk := f.read(1 << 24):
                window = tail + chunk
                hits.update(i for i, n in enumerate(needles) if n in window)
                tail = window[-overlap:] if overlap else b""
        found.extend((path, i) for i in sorted(hits))
    return found


# --- planting ---------------------------------------------------------------

ALNUM = string.ascii_letters + string.digits
UPPER = string.ascii_uppercase + string.digits


def rnd(n, alphabet=ALNUM):
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# Free text is redacted, so what is planted there must be a shape the
# redactor catches (domain/redact.rs). Each returns (text to send, the
# secret itself, to scan for).
def _ghp():
    s = "ghp_" + rnd(36)
    return f"a GitHub token {s} was in the log", s


def _akia():
    s = "AKIA" + rnd(16, UPPER)
    return f"key id {s} in the config", s


def _slack():
    s = "xoxb-" + rnd(10, string.digits) + "-" + rnd(24)
    return f"slack token {s} pasted", s


def _password():
    s = rnd(24)
    return f"password={s} for the admin", s


def _bearer():
    s = rnd(40)
    return f"curl -H 'Authorization: Bearer {s}'", s


def _jwt():
    s = "eyJ" + rnd(20) + ".eyJ" + rnd(30) + "." + rnd(43)
    return f"session {s} replayed", s


def _url_creds():
    s = rnd(20)
    return f"https://deploy:{s}@git.example.com/app.git", s


def _atlassian():
    s = "ATATT" + rnd(40)
    return f"api token {s} leaked", s


def _private_key():
    s = rnd(64)
    return f"-----BEGIN RSA PRIVATE KEY-----\n{s}\n-----END RSA PRIVATE KEY-----", s


# The shapes issue 16 (finding 2) found stored verbatim. Planted once the
# redactor on main catches them (NEWER_SHAPES below).
def _env_assignment():
    s = rnd(24)
    name = rng.choice(["DB_PASSWORD", "API_TOKEN", "SECRET_KEY"])
    return f"export {name}={s} in the deploy script", s


def _prose_password():
    s = rnd(12) + "7x"
    return f"the password is {s} for prod", s


def _quoted_password():
    s = rnd(10) + " " + rnd(10)
    return f'password="{s}" in settings', s.split(" ")[1]


def _mysql():
    s = rnd(16)
    return f"ran mysql -uroot -p{s} -h db", s


def _pgp():
    s = rnd(64)
    return f"-----BEGIN PGP PRIVATE KEY BLOCK-----\n{s}\n-----END PGP PRIVATE KEY BLOCK-----", s


def _spaced_jwt():
    header = b64url(b'{ "alg": "HS256", "typ": "JWT" }')
    payload = b64url(json.dumps({"sub": rnd(12), "iat": 1764547200}).encode())
    s = rnd(43)
    return f"cookie {header}.{payload}.{s} reused", s


def _provider_tokens():
    s = rng.choice(["glpat-", "sk_live_", "npm_", "xapp-1-"]) + rnd(36)
    return f"token {s} committed", s


def _aws_prose():
    s = rnd(40)
    return f"aws secret access key {s} in a gist", s


PENDING_SHAPES = [_env_assignment, _prose_password, _quoted_password, _mysql, _pgp,
                  _spaced_jwt, _provider_tokens, _aws_prose]
# Shapes the redactor on main catches beyond the first set. Until the
# finding 2 rules are on main this stays empty.
NEWER_SHAPES = PENDING_SHAPES

# One-line shapes; a private key only goes where text may span lines.
LINE_SHAPES = [_ghp, _akia, _slack, _password, _bearer, _jwt, _url_creds, _atlassian] + [
    f for f in NEWER_SHAPES if f is not _pgp]
MULTILINE_SHAPES = LINE_SHAPES + [_private_key] + [f for f in NEWER_SHAPES if f is _pgp]
# A bare token, for fields that take one word (a tenant, a name).
BARE_SHAPES = [
    lambda: ("ghp_" + rnd(36),) * 2,
    lambda: ("AKIA" + rnd(16, UPPER),) * 2,
    lambda: ("xoxp-" + rnd(10, string.digits) + "-" + rnd(24),) * 2,
    lambda: ("ATATT" + rnd(40),) * 2,
]

# Where a planted secret may still be found, and why: issue 16's findings
# that other changes close. (label pattern, file pattern, finding). Matches
# there are counted but do not fail the scan; a gap that no longer leaks is
# reported, so its entry can be removed. Keys, headers and configured
# secrets have no entry: any match there fails.
KNOWN_GAPS = [
    # Finding 3 (refused values echoed into the log) is closed: no entry.
]


class Planter:
    def __init__(self, base, token):
        self.base = base
        self.token = token
        self.plants = []  # (label, secret)
        self.statuses = {}  # label of a request -> status
        self.answers = {}  # label of a request -> its JSON answer
        self._shape = 0

    # A secret for free text: a shape the redactor catches, in a sentence.
    def text(self, label, shapes=LINE_SHAPES):
        shape = shapes[self._shape % len(shapes)]
        self._shape += 1
        sent, secret = shape()
        self.plants.append((label, secret))
        return sent

    def lines(self, label):
        return self.text(label, MULTILINE_SHAPES)

    def bare(self, label):
        return self.text(label, BARE_SHAPES)

    def raw(self, label, prefix="Zq"):
        # No redactor shape: it must not be stored or logged at all.
        s = prefix + rnd(30)
        self.plants.append((label, s))
        return s

    def headers(self, label):
        """Headers every request carries, each a planted secret."""
        return {
            "User-Agent": self.raw(f"{label} header User-Agent"),
            "X-Planted-Header": self.raw(f"{label} header X-Planted-Header"),
            "X-Forwarded-For": self.raw(f"{label} header X-Forwarded-For"),
            "Cookie": "session=" + self.raw(f"{label} header Cookie"),
            "Referer": "https://example.com/" + self.raw(f"{label} header Referer"),
        }

    def call(self, label, method, path, body=None, headers=None, auth=True, ctype="application/json"):
        h = self.headers(label)
        if body is not None:
            h["Content-Type"] = ctype
        if auth:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                status, data = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, data = e.code, e.read()
        self.statuses[label] = status
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = None
        self.answers[label] = parsed
        return status, parsed


def hub(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def connect_jwt(secret, claims):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())
    mac = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(mac)}"


QSH = hashlib.sha256(b"POST&/webhooks/connect&").hexdigest()

CONF = {
    "github": "scan-github-secret",
    "jira": "scan-jira-secret",
    "bitbucket": "scan-bitbucket-secret",
    "connect": "scan-connect-shared-secret",
    "connect_key": "scan-client-key",
    "forge_token": "scan-forge-token-0123456789",
    "forge_key": b"scan-forge-webhook-key-01234567",
    "routing_key": "R0SCANX2VV7QXE0MFRWPAXFJ2N8N4ZBA",
    "ack_secret": "scan-ack-secret-0123456789abcdef0123456789",
}


def report_fields(p, label):
    """Every text field of a report, each with its own planted secret.
    cvss is checked (a vector), so the planted one goes in a refused post."""
    fields = {
        "title": "Planted " + p.bare(f"{label} title"),
        "description": p.lines(f"{label} description"),
        "steps_to_reproduce": p.lines(f"{label} steps_to_reproduce"),
        "impact": p.lines(f"{label} impact"),
        "reporter_name": p.text(f"{label} reporter_name"),
        "reporter_email": p.bare(f"{label} reporter_email") + "@example.com",
        "product": p.text(f"{label} product"),
        "site_url": "https://deploy:" + p.raw(f"{label} site_url") + "@acme.atlassian.net/",
        "tenant": p.bare(f"{label} tenant"),
        "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    }
    return fields


def refused_report_fields(p, label):
    """Values a report refuses: each must be neither stored nor logged."""
    return [
        # Not a vector, so kept as (redacted) text.
        {"title": "x", "cvss": "CVSS:3.1/AV:N " + p.text(f"{label} malformed cvss")},
        {"title": "x", "reporter_email": p.raw(f"{label} refused reporter_email")},
        {"title": "x", "site_url": "notaurl " + p.raw(f"{label} refused site_url")},
        {"title": "x", "contact_consent": p.raw(f"{label} refused contact_consent")},
        {"title": "x", "drill": p.raw(f"{label} refused drill")},
        {"title": "x", "production": p.raw(f"{label} refused production")},
        {"title": "x", "customer_data_involved": p.raw(f"{label} refused customer_data_involved")},
        {"title": "two\nlines", "description": p.lines(f"{label} refused with a bad title")},
        {"title": "", "description": p.text(f"{label} refused with an empty title")},
        {"title": "x", p.raw(f"{label} refused unknown field name"): p.raw(f"{label} refused unknown field")},
    ]


def plant_reports(p):
    ok = []
    # JSON, every field.
    body = report_fields(p, "json report")
    key = p.raw("json report header Idempotency-Key")
    s, r = p.call("json report", "POST", "/reports", body, {"Idempotency-Key": key}, auth=False)
    ok.append(("json report", s == 202))
    incident = (r or {}).get("incident_id")
    for i, bad in enumerate(refused_report_fields(p, "json report")):
        p.call(f"json refused {i}", "POST", "/reports", bad, auth=False)
    p.call("json refused malformed", "POST", "/reports",
           '{"title": "' + p.raw("json report refused malformed JSON") + '", ', auth=False)
    p.call("json refused idempotency key", "POST", "/reports", {"title": "x"},
           {"Idempotency-Key": p.raw("json report refused Idempotency-Key") + "\u00e9".encode().decode("latin-1")},
           auth=False)
    # The same key with another body: refused.
    p.call("json reused key", "POST", "/reports", {"title": "y " + p.text("json report reused-key title")},
           {"Idempotency-Key": key}, auth=False)

    # The form, every field.
    form = report_fields(p, "form report")
    form["website"] = p.raw("form report honeypot")  # filled: dropped
    p.call("form honeypot", "POST", "/reports", urllib.parse.urlencode(form),
           auth=False, ctype="application/x-www-form-urlencoded")
    form = report_fields(p, "form report")
    form["contact_consent"] = "on"
    s, _ = p.call("form report", "POST", "/reports", urllib.parse.urlencode(form),
                  {"Idempotency-Key": p.raw("form report header Idempotency-Key")},
                  auth=False, ctype="application/x-www-form-urlencoded")
    ok.append(("form report", s in (200, 202)))
    for i, bad in enumerate(refused_report_fields(p, "form report")):
        p.call(f"form refused {i}", "POST", "/reports",
               urllib.parse.urlencode({k: str(v) for k, v in bad.items()}),
               auth=False, ctype="application/x-www-form-urlencoded")
    p.call("form refused undecodable", "POST", "/reports",
           "title=%ff%fe&description=" + urllib.parse.quote(p.text("form report refused undecodable")),
           auth=False, ctype="application/x-www-form-urlencoded")
    return ok, incident


def plant_webhooks(p):
    ok = []
    now = int(time.time())

    def signed(label, path, payload, sig_header, secret, headers):
        body = json.dumps(payload).encode()
        h = {sig_header: hub(secret, body), **headers}
        s, r = p.call(label, "POST", path, body, h, auth=False)
        return s, r

    # GitHub: one of each alert type, every text field planted.
    repo = {"full_name": "acme/" + p.bare("github repository.full_name"), "id": 1}
    alerts = {
        "secret_scanning_alert": {"number": 1, "secret_type_display_name": p.text("github secret_type_display_name"),
                                  "html_url": "https://github.com/acme/app/security/" + p.bare("github alert.html_url"),
                                  "validity": p.bare("github alert.validity")},
        "dependabot_alert": {"number": 2, "dependency": {"package": {"name": p.bare("github package.name"),
                                                                     "ecosystem": p.bare("github package.ecosystem")}},
                             "security_advisory": {"severity": p.bare("github advisory.severity"),
                                                   "summary": p.text("github advisory.summary"),
                                                   "ghsa_id": p.bare("github advisory.ghsa_id"),
                                                   "cve_id": p.bare("github advisory.cve_id"),
                                                   "cvss": {"vector_string": "CVSS:3.1/" + p.bare("github advisory.cvss")}},
                             "html_url": p.bare("github dependabot html_url")},
        "code_scanning_alert": {"number": 3, "rule": {"description": p.bare("github rule.description"),
                                                      "security_severity_level": p.bare("github rule.severity")},
                                "tool": {"name": p.bare("github tool.name")}, "html_url": p.bare("github code html_url")},
    }
    for event, alert in alerts.items():
        payload = {"action": "created", "alert": alert, "repository": repo, "ref": p.bare(f"github {event} ref")}
        s, _ = signed(f"github {event}", "/webhooks/github", payload, "X-Hub-Signature-256", CONF["github"],
                      {"X-GitHub-Event": event, "X-GitHub-Delivery": p.raw(f"github {event} header X-GitHub-Delivery")})
        # dependabot's planted cvss is not a vector: that report is refused.
        ok.append((f"github {event}", s == 202 or event == "dependabot_alert"))
    advisory = {"action": "published", "repository": repo,
                "repository_advisory": {"ghsa_id": p.bare("github repository_advisory.ghsa_id"),
                                        "summary": p.bare("github repository_advisory.summary"),
                                        "description": p.lines("github repository_advisory.description"),
                                        "severity": p.bare("github repository_advisory.severity")}}
    s, _ = signed("github repository_advisory", "/webhooks/github", advisory, "X-Hub-Signature-256", CONF["github"],
                  {"X-GitHub-Event": "repository_advisory", "X-GitHub-Delivery": p.raw("github advisory header X-GitHub-Delivery")})
    ok.append(("github repository_advisory", s == 202))
    # Refused and ignored: a planted event name, a wrong signature.
    signed("github unknown event", "/webhooks/github", {"action": "created"}, "X-Hub-Signature-256", CONF["github"],
           {"X-GitHub-Event": p.raw("github refused X-GitHub-Event")})
    signed("github bad signature", "/webhooks/github", {"action": "created"}, "X-Hub-Signature-256",
           p.raw("github refused signing secret"), {"X-GitHub-Event": "secret_scanning_alert"})
    p.call("github malformed signature", "POST", "/webhooks/github", b"{}",
           {"X-Hub-Signature-256": "sha256=" + p.raw("github refused X-Hub-Signature-256"),
            "X-GitHub-Event": "ping"}, auth=False)

    # Jira.
    issue = {"webhookEvent": "jira:issue_created",
             "issue": {"id": "10001", "key": "SEC-" + p.bare("jira issue.key"),
                       "self": "https://acme.atlassian.net/rest/api/2/issue/" + p.bare("jira issue.self"),
                       "fields": {"summary": p.bare("jira summary"),
                                  "description": {"type": "doc", "content": [{"type": "paragraph", "content": [
                                      {"type": "text", "text": p.lines("jira description")}]}]},
                                  "priority": {"name": p.bare("jira priority.name")},
                                  "project": {"key": "SEC"}}}}
    s, _ = signed("jira", "/webhooks/jira", issue, "X-Hub-Signature", CONF["jira"],
                  {"X-Atlassian-Webhook-Identifier": p.raw("jira header X-Atlassian-Webhook-Identifier")})
    ok.append(("jira", s == 202))
    signed("jira unknown event", "/webhooks/jira", {"webhookEvent": p.raw("jira refused webhookEvent")},
           "X-Hub-Signature", CONF["jira"], {})
    signed("jira unknown project", "/webhooks/jira",
           {"webhookEvent": "jira:issue_created", "issue": {"key": "X-1", "fields": {"summary": "x", "project": {"key": p.raw("jira refused project.key")}}}},
           "X-Hub-Signature", CONF["jira"], {})

    # Bitbucket.
    push = {"repository": {"full_name": "acme/" + p.bare("bitbucket repository.full_name"),
                           "links": {"html": {"href": "https://bitbucket.org/" + p.bare("bitbucket links.html")}}},
            "actor": {"display_name": p.text("bitbucket actor.display_name")},
            "pullrequest": {"title": p.text("bitbucket pullrequest.title")}}
    s, _ = signed("bitbucket", "/webhooks/bitbucket", push, "X-Hub-Signature", CONF["bitbucket"],
                  {"X-Event-Key": "repo:push", "X-Request-UUID": p.raw("bitbucket header X-Request-UUID")})
    ok.append(("bitbucket", s == 202))
    signed("bitbucket unknown event", "/webhooks/bitbucket", push, "X-Hub-Signature", CONF["bitbucket"],
           {"X-Event-Key": p.raw("bitbucket refused X-Event-Key")})

    # Connect: a report object (every field, and severity) and a Jira event,
    # each with a planted jti.
    def jwt(label, **extra):
        claims = {"iss": CONF["connect_key"], "iat": now, "exp": now + 180, "qsh": QSH,
                  "jti": p.raw(f"{label} jti")}
        claims.update(extra)
        return {"Authorization": "JWT " + connect_jwt(CONF["connect"], claims)}

    obj = report_fields(p, "connect report")
    obj["severity"] = p.bare("connect report severity")
    s, _ = p.call("connect report", "POST", "/webhooks/connect", obj, jwt("connect report"), auth=False)
    ok.append(("connect report", s == 202))
    jira_event = json.loads(json.dumps(issue))
    jira_event["issue"]["id"] = "10002"
    jira_event["issue"]["fields"]["summary"] = p.bare("connect jira summary")
    s, _ = p.call("connect jira", "POST", "/webhooks/connect", jira_event, jwt("connect jira"), auth=False)
    ok.append(("connect jira", s == 202))
    p.call("connect refused issuer", "POST", "/webhooks/connect", {"title": "x"},
           jwt("connect refused", iss=p.raw("connect refused iss")), auth=False)
    p.call("connect refused signature", "POST", "/webhooks/connect", {"title": "x"},
           {"Authorization": "JWT " + connect_jwt(p.raw("connect refused signing secret"), {"iss": "x", "exp": now + 60})},
           auth=False)
    p.call("connect refused token", "POST", "/webhooks/connect", {"title": "x"},
           {"Authorization": "JWT " + p.raw("connect refused Authorization")}, auth=False)

    # Forge: bearer with an Idempotency-Key, and a signed delivery.
    obj = report_fields(p, "forge bearer report")
    obj["severity"] = p.bare("forge bearer severity")
    s, _ = p.call("forge bearer", "POST", "/webhooks/forge", obj,
                  {"Authorization": f"Bearer {CONF['forge_token']}",
                   "Idempotency-Key": p.raw("forge header Idempotency-Key")}, auth=False)
    ok.append(("forge bearer", s == 202))
    obj = report_fields(p, "forge signed report")
    body = json.dumps(obj).encode()
    msg_id = p.raw("forge header webhook-id")
    ts = str(now)
    mac = hmac.new(CONF["forge_key"], f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    s, _ = p.call("forge signed", "POST", "/webhooks/forge", body,
                  {"webhook-id": msg_id, "webhook-timestamp": ts,
                   "webhook-signature": "v1," + base64.b64encode(mac).decode()}, auth=False)
    ok.append(("forge signed", s == 202))
    p.call("forge refused token", "POST", "/webhooks/forge", {"title": "x"},
           {"Authorization": "Bearer " + p.raw("forge refused bearer")}, auth=False)
    p.call("forge refused signature", "POST", "/webhooks/forge", {"title": "x"},
           {"webhook-id": "m", "webhook-timestamp": p.raw("forge refused webhook-timestamp"),
            "webhook-signature": "v1," + p.raw("forge refused webhook-signature")}, auth=False)

    # PagerDuty Events API v2.
    dedup = p.raw("pagerduty dedup_key")
    event = {"routing_key": CONF["routing_key"], "event_action": "trigger", "dedup_key": dedup,
             "payload": {"summary": p.bare("pagerduty payload.summary"), "source": p.text("pagerduty payload.source"),
                         "severity": "critical", "component": p.text("pagerduty payload.component"),
                         "group": p.text("pagerduty payload.group"), "class": p.text("pagerduty payload.class"),
                         "custom_details": {"note": p.text("pagerduty custom_details")}}}
    s, _ = p.call("pagerduty", "POST", "/v2/enqueue", event, auth=False)
    ok.append(("pagerduty", s == 202))
    p.call("pagerduty resolve", "POST", "/v2/enqueue",
           {"routing_key": CONF["routing_key"], "event_action": "resolve", "dedup_key": dedup}, auth=False)
    for field, value in [("routing_key", None), ("event_action", None), ("severity", None), ("dedup_key", 1)]:
        bad = json.loads(json.dumps(event))
        planted = p.raw(f"pagerduty refused {field}")
        if field == "severity":
            bad["payload"]["severity"] = planted
        else:
            bad[field] = planted
        p.call(f"pagerduty refused {field}", "POST", "/v2/enqueue", bad, auth=False)
    p.call("pagerduty malformed", "POST", "/v2/enqueue", '{"routing_key": "' + p.raw("pagerduty refused malformed"),
           auth=False)
    return ok


def plant_api(p, incident):
    """Every API write route, every text field planted; then every enum,
    id and query parameter refused with a planted value."""
    ok = []
    inc = f"/api/v1/incidents/{incident}"
    # Triage runs after intake; acknowledging before it is refused.
    for _ in range(100):
        s, r = p.call("api wait for triage", "GET", inc)
        if s == 200 and ((r or {}).get("incident") or {}).get("status") not in (None, "reported"):
            break
        time.sleep(0.05)
    writes = [
        ("ack", f"{inc}/ack", {"note": p.text("api ack note")}),
        ("severity", f"{inc}/severity", {"severity": "SEV-2", "reason": p.text("api severity reason")}),
        ("roles", f"{inc}/roles", {"role": "incident_commander", "person": p.text("api roles person")}),
        ("notes", f"{inc}/notes", {"kind": "fact", "text": p.text("api notes text")}),
        ("evidence", f"{inc}/evidence", {"name": p.text("api evidence name"), "location": p.text("api evidence location"),
                                         "sha256": "a" * 64, "collected_by": p.text("api evidence collected_by")}),
        ("tasks", f"{inc}/tasks", {"text": p.text("api tasks text"), "owner": p.text("api tasks owner")}),
        ("obligations", f"{inc}/obligations", {"kind": "status_update", "note": p.text("api obligations note"),
                                               "reference": p.text("api obligations reference")}),
        ("status investigating", f"{inc}/status", {"status": "investigating", "rationale": p.text("api status rationale")}),
        ("status contained", f"{inc}/status", {"status": "contained", "containment": p.text("api status containment")}),
        ("legal hold", f"{inc}/legal-hold", {"hold": True, "reason": p.text("api legal-hold reason")}),
        ("drill", "/api/v1/drills", {"class": "data_breach", "severity": "SEV-3",
                                     "title": p.bare("api drills title"), "tenant": p.bare("api drills tenant")}),
    ]
    for label, path, body in writes:
        s, r = p.call(f"api {label}", "POST", path, body)
        ok.append((f"api {label}", s in (200, 201, 202)))
    s, r = p.call("api tasks list", "GET", inc)
    tasks = [t.get("id") for t in ((r or {}).get("tasks") or []) if isinstance(t, dict)]
    if tasks:
        p.call("api task update", "POST", f"{inc}/tasks/{tasks[0]}",
               {"state": "waived", "note": p.text("api task note"), "reason": p.text("api task reason")})
    refused = [
        (f"{inc}/severity", {"severity": p.raw("api refused severity"), "reason": "x"}),
        (f"{inc}/roles", {"role": p.raw("api refused role")}),
        (f"{inc}/notes", {"kind": p.raw("api refused note kind"), "text": "x"}),
        (f"{inc}/evidence", {"name": "x", "location": "y", "sha256": p.raw("api refused sha256")}),
        (f"{inc}/evidence", {"name": "x", "location": "y", "sha256": "a" * 64, "collected_at": p.raw("api refused collected_at")}),
        (f"{inc}/tasks", {"text": "x", "due": p.raw("api refused due")}),
        (f"{inc}/tasks/{p.raw('api refused task id')}", {"state": "done"}),
        (f"{inc}/tasks/{tasks[0] if tasks else 'x'}", {"state": p.raw("api refused task state")}),
        (f"{inc}/obligations", {"kind": p.raw("api refused obligation kind")}),
        (f"{inc}/obligations", {"kind": "notify", "at": p.raw("api refused obligation at")}),
        (f"{inc}/status", {"status": p.raw("api refused status")}),
        (f"{inc}/legal-hold", {"hold": p.raw("api refused hold"), "reason": "x"}),
        ("/api/v1/drills", {"class": p.raw("api refused drill class"), "severity": "SEV-3"}),
        ("/api/v1/drills", {"class": "data_breach", "severity": p.raw("api refused drill severity")}),
        (f"/api/v1/incidents/{p.raw('api refused incident id')}/notes", {"kind": "fact", "text": "x"}),
        (f"{inc}/notes", '{"kind": "fact", "text": "' + p.raw("api refused malformed JSON")),
    ]
    for i, (path, body) in enumerate(refused):
        p.call(f"api refused {i}", "POST", path, body)
    p.call("api refused delete", "DELETE", f"/api/v1/incidents/{p.raw('api refused delete id')}")
    p.call("api refused token", "POST", f"{inc}/notes", {"kind": "fact", "text": "x"}, auth=False,
           headers={"Authorization": "Bearer " + p.raw("api refused Authorization")})
    # Query and path parameters.
    for name in ["status", "severity", "tenant", "drill", "from", "to", "limit", "cursor"]:
        q = urllib.parse.urlencode({name: p.raw(f"api refused query {name}")})
        p.call(f"api query {name}", "GET", f"/api/v1/incidents?{q}")
    for name in ["from", "to"]:
        q = urllib.parse.urlencode({name: p.raw(f"api refused metrics {name}")})
        p.call(f"api metrics {name}", "GET", f"/api/v1/metrics?{q}")
    p.call("api annual", "GET", "/api/v1/reports/annual?year=" + p.raw("api refused annual year"))
    for label, method, path in [
        ("get incident", "GET", f"/api/v1/incidents/{p.raw('api refused get id')}"),
        ("review", "GET", f"/api/v1/incidents/{p.raw('api refused review id')}/review.md"),
        ("ack link get", "GET", f"/ack/{p.raw('api refused ack link')}"),
        ("ack link post", "POST", f"/ack/{p.raw('api refused ack link post')}"),
        ("unknown path", "GET", f"/{p.raw('refused unknown path')}"),
        ("unknown query", "GET", "/healthz?" + urllib.parse.urlencode({"q": p.raw("refused healthz query")})),
    ]:
        p.call(f"api {label}", method, path, auth=False)
    return ok


def settled(path, timeout=10.0):
    """Waits until the file exists and has stopped growing."""
    deadline = time.monotonic() + timeout
    last, still = -1, 0
    while time.monotonic() < deadline:
        size = os.path.getsize(path) if os.path.exists(path) else -1
        still = still + 1 if size == last and size > 0 else 0
        if still >= 3:
            return True
        last = size
        time.sleep(0.2)
    return False


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def serve_and_scan(klaxon):
    data = tempfile.mkdtemp(prefix="klaxon-scan-")
    log_path = os.path.join(tempfile.mkdtemp(prefix="klaxon-scan-log-"), "serve.log")
    port = free_port()
    token = rnd(32)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KLAXON_")}
    env.update({
        "KLAXON_API_TOKENS": f"scan:admin:{token}",
        "KLAXON_REPORT_RATE_LIMIT": "0",
        "KLAXON_ACK_SECRET": CONF["ack_secret"],
        "KLAXON_GITHUB_WEBHOOK_SECRET": CONF["github"],
        "KLAXON_JIRA_WEBHOOK_SECRET": CONF["jira"],
        "KLAXON_BITBUCKET_WEBHOOK_SECRET": CONF["bitbucket"],
        "KLAXON_JIRA_PROJECTS": "SEC",
        "KLAXON_BITBUCKET_EVENTS": "repo:push",
        "KLAXON_CONNECT_SHARED_SECRET": CONF["connect"],
        "KLAXON_CONNECT_CLIENT_KEYS": CONF["connect_key"],
        "KLAXON_FORGE_TOKEN": CONF["forge_token"],
        "KLAXON_FORGE_WEBHOOK_SECRET": "whsec_" + base64.b64encode(CONF["forge_key"]).decode(),
        "KLAXON_PAGERDUTY_ROUTING_KEYS": CONF["routing_key"],
        "RUST_LOG": os.environ.get("SCAN_RUST_LOG", "info"),
    })
    started = time.monotonic()
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [klaxon, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data],
            stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except Exception:
                if server.poll() is not None:
                    sys.exit(f"klaxon serve exited; see {log_path}")
                time.sleep(0.1)
        p = Planter(base, token)
        ok, incident = plant_reports(p)
        ok += plant_webhooks(p)
        if incident:
            ok += plant_api(p, incident)
            ok += plant_console(p, incident)
        else:
            ok.append(("an incident for the API routes", False))
        # Let the relay write what it will (outbox.jsonl): the scan reads it.
        ok.append(("messages in outbox.jsonl", settled(os.path.join(data, "outbox.jsonl"))))
    finally:
        # Ctrl-C is serve's graceful stop; a kill if it does not stop.
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    secrets = [s for _, s in p.plants]
    # The configured secrets and the API token must not show either.
    config = [token, CONF["github"], CONF["jira"], CONF["bitbucket"], CONF["connect"],
              CONF["forge_token"], CONF["routing_key"], CONF["ack_secret"]]
    labels = [l for l, _ in p.plants] + [f"configured secret {i}" for i in range(len(config))]
    found = scan_indexed([data, log_path], secrets + config)
    failed = []
    gaps_seen = {}
    for path, i in found:
        label, where = labels[i], os.path.basename(path)
        gap = next((g for g in KNOWN_GAPS if re.search(g[0], label) and re.search(g[1], where)), None)
        if gap and i < len(secrets):
            gaps_seen.setdefault(gap[2], set()).add(label)
        else:
            failed.append(f"{label} found in {where}")
    refused_plants = [(l, s) for l, s in ok if not s]
    n = sum(1 for _ in files([data, log_path]))
    print(f"secret scan: {len(p.plants)} planted secrets and {len(config)} configured ones, "
          f"{len(p.statuses)} requests, {n} files, {time.monotonic() - started:.1f} s: "
          f"{len(failed)} leaks, {len(found) - len(failed)} in known gaps")
    for _, _, why in KNOWN_GAPS:
        seen = gaps_seen.get(why)
        if seen:
            print(f"  known gap, {len(seen)} plants ({why}): e.g. {sorted(seen)[0]}")
        else:
            print(f"  known gap no longer leaks, remove it from KNOWN_GAPS: {why}")
    for f in failed:
        print(f"  LEAK: {f}")
    for label, _ in refused_plants:
        error = (p.answers.get(label) or {}).get("error")
        print(f"  NOT ACCEPTED: {label} (status {p.statuses.get(label)}: {error}): the scan proves less")
    status = 1 if failed or refused_plants else 0
    if status == 0 and not os.environ.get("SCAN_KEEP"):
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(os.path.dirname(log_path), ignore_errors=True)
    else:
        print(f"  kept for a look: {data} and {log_path}")
    return status


def plant_console(p, incident):
    """The console: sign in with the API token, then every form with each
    text field planted, and each refused with a planted value. The session's
    id and form token are secrets too: the store keeps only a digest."""
    ok = []
    jar = {}

    def form(label, method, path, fields=None):
        h = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()), "Sec-Fetch-Site": "same-origin"}
        body = urllib.parse.urlencode(fields) if fields is not None else None
        ctype = "application/x-www-form-urlencoded"
        req_headers = dict(h)
        if body is not None:
            req_headers["Content-Type"] = ctype
        req = urllib.request.Request(p.base + path, data=body.encode() if body else None, method=method,
                                     headers=req_headers)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            resp = opener.open(req, timeout=10)
            status, headers, data = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            status, headers, data = e.code, e.headers, e.read()
        for c in headers.get_all("Set-Cookie") or []:
            k, _, v = c.split(";")[0].partition("=")
            if v:
                jar[k] = v
            else:
                jar.pop(k, None)
        p.statuses[label] = status
        p.answers[label] = None
        return status, data.decode("utf-8", "replace")

    def token_of(html):
        m = re.search(r'name="_csrf" value="([^"]+)"', html)
        return m.group(1) if m else ""

    _, page = form("console sign-in page", "GET", "/console/sign-in")
    s, _ = form("console sign-in", "POST", "/console/sign-in", {"_csrf": token_of(page), "token": p.token})
    ok.append(("console sign-in", s == 303))
    if "klaxon_session" not in jar:
        ok.append(("console session cookie", False))
        return ok
    p.plants.append(("console session id", jar["klaxon_session"]))
    _, page = form("console incident page", "GET", f"/console/incidents/{incident}")
    csrf = token_of(page)
    p.plants.append(("console form token", csrf))
    inc = f"/console/incidents/{incident}"
    writes = [
        ("notes", {"kind": "hypothesis", "text": p.text("console notes text")}),
        ("roles", {"role": "technical_lead", "person": p.text("console roles person")}),
        ("severity", {"severity": "SEV-2", "reason": p.text("console severity reason")}),
        ("evidence", {"name": p.text("console evidence name"), "location": p.text("console evidence location"),
                      "sha256": "b" * 64, "collected_by": p.text("console evidence collected_by")}),
        ("tasks", {"text": p.text("console tasks text"), "owner": p.text("console tasks owner")}),
        ("obligations", {"kind": "status_update", "note": p.text("console obligations note"),
                         "reference": p.text("console obligations reference")}),
    ]
    for action, fields in writes:
        s, _ = form(f"console {action}", "POST", f"{inc}/{action}", {"_csrf": csrf, **fields})
        ok.append((f"console {action}", s == 303))
    refused = [
        ("notes", {"kind": p.raw("console refused note kind"), "text": "x"}),
        ("status", {"status": p.raw("console refused status")}),
        ("roles", {"role": p.raw("console refused role")}),
        ("tasks", {"text": "x", "due": p.raw("console refused due")}),
        ("evidence", {"name": "x", "location": "y", "sha256": p.raw("console refused sha256")}),
        (f"tasks/{p.raw('console refused task id')}", {"state": "done"}),
    ]
    for i, (action, fields) in enumerate(refused):
        form(f"console refused {i}", "POST", f"{inc}/{action}", {"_csrf": csrf, **fields})
    form("console refused form token", "POST", f"{inc}/notes",
         {"_csrf": p.raw("console refused form token"), "kind": "fact", "text": "x"})
    q = urllib.parse.urlencode({"severity": p.raw("console refused filter")})
    form("console refused filter", "GET", f"/console?{q}")
    form("console refused incident", "GET", f"/console/incidents/{p.raw('console refused incident id')}")
    return ok


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        sys.exit(serve_and_scan(sys.argv[2]))
    secrets = [line.strip() for line in sys.stdin if line.strip()]
    if not secrets or len(sys.argv) < 2:
        sys.exit("usage: secrets on stdin, one per line; paths as arguments (or --serve KLAXON)")
    found = scan(sys.argv[1:], secrets)
    n = sum(1 for _ in files(sys.argv[1:]))
    print(f"secret scan: {len(secrets)} secrets, {n} files: {len(found)} matches {found}")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
