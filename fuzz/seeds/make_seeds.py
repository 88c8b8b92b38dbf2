#!/usr/bin/env python3
"""Writes the seed inputs for every fuzz target into corpus/<target>/.

The seeds are realistic deliveries (the shapes each sender documents and
the integration tests use) in each target's input layout: a control byte,
then fields split on 0xFF (see src/lib.rs). Re-running it is harmless:
seed files are named by content.
"""
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEP = b"\xff"


def j(v):
    return json.dumps(v, separators=(",", ":")).encode()


def write(target, data):
    d = os.path.join(ROOT, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


REPO = {"id": 1296269, "full_name": "acme/jira-app", "private": True,
        "html_url": "https://github.com/acme/jira-app"}

github = {
    0: {"action": "created", "alert": {"number": 42, "secret_type": "aws_access_key_id",
        "secret_type_display_name": "Amazon AWS Access Key ID", "validity": "active",
        "html_url": "https://github.com/acme/jira-app/security/secret-scanning/42",
        "secret": "AKIAIOSFODNN7EXAMPLE", "state": "open"}, "repository": REPO,
        "sender": {"login": "octocat"}},
    1: {"action": "created", "alert": {"number": 3, "state": "open",
        "dependency": {"package": {"ecosystem": "npm", "name": "lodash"},
                       "manifest_path": "package-lock.json", "scope": "runtime"},
        "security_advisory": {"ghsa_id": "GHSA-jf85-cpcp-j695", "cve_id": "CVE-2019-10744",
            "summary": "Prototype Pollution in lodash", "severity": "critical",
            "cvss_severities": {"cvss_v3": {"vector_string": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "score": 9.8},
                                "cvss_v4": {"vector_string": None, "score": 0.0}},
            "cvss": {"vector_string": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "score": 9.1}},
        "html_url": "https://github.com/acme/jira-app/security/dependabot/3"},
        "repository": REPO},
    2: {"action": "appeared_in_branch", "ref": "refs/heads/main", "alert": {"number": 7,
        "rule": {"id": "js/sql-injection", "severity": "error", "security_severity_level": "high",
                 "description": "Database query built from user-controlled sources"},
        "tool": {"name": "CodeQL", "version": "2.19.0"},
        "html_url": "https://github.com/acme/jira-app/security/code-scanning/7"},
        "repository": REPO},
    3: {"action": "reported", "repository_advisory": {"ghsa_id": "GHSA-xxxx-yyyy-zzzz",
        "summary": "Cross-tenant read in the export endpoint",
        "description": "An attacker can read another customer's pages via /export?id=",
        "severity": "high",
        "cvss_severities": {"cvss_v4": {"vector_string": "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N"}}},
        "repository": REPO},
    4: {"zen": "Keep it logically awesome.", "hook_id": 1, "hook": {"type": "Repository"}},
}
for event, body in github.items():
    write("webhook_github", bytes([event << 2]) + j(body))
write("webhook_github", bytes([(0 << 2) | 2]) + b"sha256=00ff" + SEP + j(github[0]))
write("webhook_github", bytes([(1 << 2) | 3]) + j(github[1]))
write("webhook_github", bytes([0]) + j({"action": "resolved", "alert": {"number": 42}, "repository": REPO}))
write("webhook_github", bytes([4]) + b'{"action":"created","alert":{},"repository":{"full_name":"a/b"}}')

adf = {"type": "doc", "version": 1, "content": [
    {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Summary"}]},
    {"type": "paragraph", "content": [{"type": "text", "text": "Token "},
        {"type": "text", "text": "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "marks": [{"type": "code"}]},
        {"type": "text", "text": " found in the build logs."}]},
    {"type": "bulletList", "content": [{"type": "listItem", "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "rotate it"}]}]}]},
    {"type": "codeBlock", "content": [{"type": "text", "text": "password=hunter2hunter2"}]}]}
issue = lambda event, project, desc: {
    "timestamp": 1795424400000, "webhookEvent": event, "issue_event_type_name": "issue_created",
    "user": {"displayName": "Priya Raman"},
    "issue": {"id": "10001", "key": project + "-17",
              "self": "https://acme.atlassian.net/rest/api/2/issue/10001",
              "fields": {"summary": "Token leaked in CI logs", "project": {"key": project, "name": "Security"},
                         "priority": {"name": "Highest"}, "issuetype": {"name": "Bug"},
                         "description": desc}}}
for c, body in [
    (0, issue("jira:issue_created", "SEC", adf)),
    (0, issue("jira:issue_updated", "secops", "plain *wiki* description")),
    (0, issue("jira:issue_created", "OPS", None)),
    (0, {"webhookEvent": "comment_created", "comment": {"body": "x"}}),
    (3, issue("jira:issue_created", "SEC", adf)),
]:
    write("webhook_jira", bytes([c]) + j(body))
write("webhook_jira", bytes([2]) + b"sha256=" + SEP + j(issue("jira:issue_created", "SEC", adf)))

bb = {"actor": {"display_name": "Mallory", "uuid": "{a}"},
      "repository": {"full_name": "acme/app", "links": {"html": {"href": "https://bitbucket.org/acme/app"}}}}
write("webhook_bitbucket", bytes([0 << 2]) + j({**bb, "push": {"changes": [{"new": {"name": "main"}}]}}))
write("webhook_bitbucket", bytes([1 << 2]) + j({**bb, "pullrequest": {"id": 5, "title": "Remove hard-coded password"}}))
write("webhook_bitbucket", bytes([2 << 2]) + j({**bb, "issue": {"id": 9, "title": "XSS in macro editor"}}))
write("webhook_bitbucket", bytes([3 << 2]) + b"repo:commit_status_updated" + SEP + j({**bb, "commit_status": {"name": "security-scan failed"}}))
write("webhook_bitbucket", bytes([(3 << 2) | 2]) + b"repo:push" + SEP + b"sha256=zz" + SEP + j(bb))

report = {"title": "Cross-tenant read in export", "description": "seen by app", "severity": "high",
          "site_url": "https://acme.atlassian.net/wiki", "product": "Confluence macro",
          "cvss": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N", "customer_data_involved": True}
write("webhook_forge", bytes([16 << 2]) + b"msg_2LbtQ6Bq2Gx" + SEP + j(report))
write("webhook_forge", bytes([(31 << 2)]) + b"msg_late" + SEP + j(report))
write("webhook_forge", bytes([1]) + b"msg_1" + SEP + b"1795424400" + SEP + b"v1,AAAA v2,bad" + SEP + j(report))
write("webhook_forge", bytes([2]) + j({"title": "Forge app: token in storage", "drill": "on", "tenant": "acme"}))
write("webhook_forge", bytes([3]) + b"Bearer forge-token-0123456789" + SEP + j(report))
write("webhook_forge", bytes([0x80 | (16 << 2)]) + b"msg_raw" + SEP + j({"summary": "x", "production": False}))

cj = lambda c, method, path, query, header, claims, body: write(
    "connect_jwt", bytes([c]) + SEP.join([method, path, query, header, claims, body]))
cj(0x1C, b"POST", b"/webhooks/connect", b"", b"", b"{}", j(report))
cj(0x1C, b"POST", b"/webhooks/connect/", b"lic=active&cv=1001&jwt=x&b=2&a=x%20y", b"",
   j({"sub": "557058:abc", "jti": "j-1"}), j(issue("jira:issue_created", "SEC", adf)))
cj(0x5C, b"post", b"/webhooks/connect", b"", j({"alg": "HS512", "typ": "JWT"}), b"{}", j(report))
cj(0x5C, b"POST", b"/webhooks/connect", b"", j({"alg": "none"}), b"{}", j(report))
cj(0x0C, b"POST", b"/webhooks/connect", b"", b"", j({"exp": 1795424000, "iat": 1795420000}), j(report))
cj(0x3C, b"POST", b"/webhooks/connect", b"", b"", b"{}", j(report))
cj(0x01, b"POST", b"/webhooks/connect", b"", b"", j({"iss": "client-1", "exp": 9999999999, "qsh": "x"}), j(report))
cj(0x02, b"GET", b"/", b"", b"", b"eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJjbGllbnQtMSJ9.sig", b"{}")
cj(0x03, b"POST", b"/webhooks/connect", b"", b"", b"JWT not.a.jwt", b"{}")

pd = {"routing_key": "R0UTINGKEY00000000000000000000AB", "event_action": "trigger", "dedup_key": "disk-1",
      "payload": {"summary": "WAF blocking SQLi burst on api.example.com", "source": "waf-1", "severity": "critical",
                  "timestamp": "2026-11-23T08:59:00.000+0000", "component": "api", "group": "prod", "class": "sqli",
                  "custom_details": {"blocked": 1200, "rule": "942100", "sample": "' OR 1=1 --"}},
      "links": [{"href": "https://grafana.example.com/d/waf", "text": "dashboard"}], "client": "Sample Monitoring Service"}
write("webhook_pagerduty", bytes([0]) + j(pd))
write("webhook_pagerduty", bytes([0x0F]) + j(pd))
write("webhook_pagerduty", bytes([0x03]) + j({**pd, "dedup_key": None}))
write("webhook_pagerduty", bytes([0x01]) + j({"event_action": "acknowledge", "dedup_key": "disk-1"}))
write("webhook_pagerduty", bytes([0x01]) + j({**pd, "payload": {**pd["payload"], "severity": "loud"}}))
write("webhook_pagerduty", bytes([0]) + j({**pd, "routing_key": "R0UTINGKEY00000000000000000000XX"}))
write("webhook_pagerduty", bytes([0x01]) + b"[1,2,3]")

aws = [
    {"version": "0", "id": "c8b3", "detail-type": "GuardDuty Finding", "source": "aws.guardduty",
     "account": "123456789012", "time": "2026-11-23T08:00:00Z", "region": "us-east-1", "resources": [],
     "detail": {"schemaVersion": "2.0", "accountId": "123456789012", "region": "us-east-1", "id": "gd-finding-1",
                "type": "UnauthorizedAccess:IAMUser/TorIPCaller", "severity": 8.0,
                "title": "API GetCallerIdentity was invoked from a Tor exit node",
                "description": "An API was used to access a resource from a Tor exit node IP address.",
                "service": {"count": 3, "action": {"actionType": "AWS_API_CALL"}}}},
    {"version": "0", "id": "d1", "detail-type": "Security Hub Findings - Imported", "source": "aws.securityhub",
     "account": "123456789012", "region": "eu-west-1",
     "detail": {"findings": [
         {"Id": "arn:aws:securityhub:eu-west-1:123456789012:finding/1", "Title": "S3 bucket is public",
          "Description": "S3.2 failed", "ProductName": "Security Hub", "AwsAccountId": "123456789012",
          "Region": "eu-west-1", "Severity": {"Label": "HIGH", "Normalized": 70}},
         {"Id": "f-2", "Title": "Root account used", "Severity": {"Label": "CRITICAL", "Normalized": 90}}]}},
    {"version": "0", "detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch",
     "account": "123456789012", "region": "us-east-1", "resources": ["arn:aws:cloudwatch:us-east-1:123456789012:alarm:root-login"],
     "detail": {"alarmName": "root-login", "state": {"value": "ALARM", "reason": "Threshold Crossed: 1 datapoint"},
                "previousState": {"value": "OK"}}},
    {"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "detail": {}},
]
for e in aws:
    write("aws_finding", j(e))

reports = [
    {"title": "Auth bypass in admin API", "description": "...", "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
    {"title": "Production AWS key pushed to a public repo",
     "description": "Our production AWS secret access key was pushed to github.com/acme/deploy-scripts at 02:10 UTC.",
     "impact": "The key can read the production tenants table.", "tenant": "acme.atlassian.net"},
    {"summary": "Stored XSS in macro", "description": "<script>alert(1)</script>", "steps_to_reproduce": "1. add macro",
     "reporter_name": "Rae", "reporter_email": "rae@example.com", "contact_consent": "on", "drill": False,
     "product": "Jira Cloud app", "site_url": "https://Acme.atlassian.net/wiki/x", "production": True,
     "cvss": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N"},
    {"title": "two\nlines", "cvss": "AV:N/AC:L/Au:N/C:P/I:P/A:P"},
    {"title": "t", "reporter_email": "not-an-email", "site_url": "ftp://x.y"},
]
for r in reports:
    write("report_json", j(r))

forms = [
    b"summary=XSS+in+the+macro+editor&description=The+title+field+is+not+escaped&product=Jira+Cloud+app&contact_consent=on&reporter_email=rae%40example.com&website=",
    b"summary=Leaked+key&description=AKIAIOSFODNN7EXAMPLE+wJalrXUtnFEMI%2FK7MDENG%2FbPxRfiCYEXAMPLEKEY&impact=prod&site_url=https%3A%2F%2Facme.atlassian.net",
    b"summary=&description=x&product=Unknown",
    b"summary=bot&website=http%3A%2F%2Fspam.example",
    b"summary=%3Cscript%3Ealert(1)%3C%2Fscript%3E&reporter_name=%22%3E%3Cimg+src%3Dx%3E&cvss=CVSS%3A3.1%2FAV%3AN",
    b"summary=dup&summary=dup2&customer_data_involved=true&drill=1",
]
for f in forms:
    write("report_form", bytes([0]) + f)
write("report_form", bytes([1]) + b"key-1" + SEP + forms[0])
write("report_form", bytes([3]) + b"bad key with spaces" + SEP + forms[1])

texts = [
    "key AKIAIOSFODNN7EXAMPLE in logs",
    "id AKIAIOSFODNN7EXAMPLE, secret key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.",
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk (truncated",
    "curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==' https://admin:s3cretpass@db.example.com/x?token=abcd1234&x=1",
    "\"api_key\": \"sk_live_abcdef123456\", password reset emails are not rate limited",
    "Stored XSS in the macro editor; the password field is not escaped.",
    "posted to https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX and xoxb-123456789012-abcdefghij",
]
for i, t in enumerate(texts):
    write("redact", bytes([0x0F, 0, 0]) + t.encode())
    write("redact", bytes([i, 0, i * 3]) + t.encode())

default = open(os.path.join(ROOT, "..", "shared", "policy", "default.toml"), "rb").read()
write("policy", default)
write("policy", default.replace(b'time_zone = "UTC"', b'time_zone = "Europe/Berlin"')
      .replace(b"holidays = []", b'holidays = ["2026-12-24", "2026-12-25", "2026-12-28"]')
      .replace(b'workdays = ["Mon", "Tue", "Wed", "Thu", "Fri"]', b'workdays = ["mon", "TUESDAY", "wed"]'))
write("policy", default.replace(b'ack = "4h"', b'ack = "3 business days"').replace(b"repeat = 3", b"repeat = 255")
      .replace(b'repeat_after = "20m"', b'repeat_after = "0s"'))
# A policy written before plays and closure existed.
write("policy", default.split(b"[plays]")[0])
# Single durations: the target also parses its input as one.
for span in [b"4h", b"90s", b"3 business days", b"next business day", b"immediate"]:
    write("policy", span)
print("seeds written", file=sys.stderr)
