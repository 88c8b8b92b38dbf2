"""Schemathesis hooks for bench/schemathesis.sh: sign webhook deliveries the
way each sender does, with the test secrets the script gives klaxon serve, so
the fuzzer reaches the payload handling behind the signature check.

Only a delivery that carries the signature header is signed: a case where
schemathesis left the header out must still be refused (401).

Every report (JSON or form) also gets secrets planted in its description;
bench/schemathesis.sh scans the store, outbox and log for them afterwards.
"""

import base64
import hashlib
import hmac
import json
import os
import time

import schemathesis

# Planted in report descriptions; none may be stored or logged.
PLANTED = [
    "AKIAQ7STPLANTEDKEY42",
    "ghp_StPlantedTokenAbCdEfGhIjKlMnOpQrSt01",
    "correct-horse-planted-by-schemathesis",
]
PLANT_TEXT = (
    f" Found in the logs: aws_access_key_id={PLANTED[0]}, a GitHub token {PLANTED[1]}"
    f" and password={PLANTED[2]}."
)
# The server's limit on a description (docs/openapi.json).
DESCRIPTION_LIMIT = 32 * 1024

HUB = {
    "/webhooks/github": ("X-Hub-Signature-256", "ST_GITHUB_SECRET"),
    "/webhooks/jira": ("X-Hub-Signature", "ST_JIRA_SECRET"),
    "/webhooks/bitbucket": ("X-Hub-Signature", "ST_BITBUCKET_SECRET"),
}


def _raw_body(case):
    """The bytes requests sends for this case's body, or None if unknown."""
    body = case.body
    if isinstance(body, bytes):
        return body
    if body is None or not (case.media_type or "").startswith("application/json"):
        return None
    try:
        # What requests does with `json=`.
        return json.dumps(body, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError):
        return None


def _header(case, name):
    """The case's header name as spelled there, if present."""
    for key in case.headers or {}:
        if key.lower() == name.lower():
            return key
    return None


def _plant(case):
    """Appends the planted secrets to a report's description, where the
    description is a string (or absent) and stays within its limit."""
    if case.operation.path != "/reports" or not isinstance(case.body, dict):
        return
    desc = case.body.get("description")
    if desc is not None and not isinstance(desc, str):
        return
    planted = (desc or "") + PLANT_TEXT
    if len(planted.encode()) <= DESCRIPTION_LIMIT:
        case.body["description"] = planted


@schemathesis.hook
def before_call(context, case, kwargs):
    path = case.operation.path
    _plant(case)
    raw = _raw_body(case)
    if raw is None:
        return
    if path in HUB:
        name, env = HUB[path]
        key = _header(case, name)
        if key is not None:
            mac = hmac.new(os.environ[env].encode(), raw, hashlib.sha256).hexdigest()
            case.headers[key] = f"sha256={mac}"
    elif path == "/webhooks/forge":
        key = _header(case, "webhook-signature")
        if key is not None:
            secret = os.environ["ST_FORGE_WEBHOOK_SECRET"].removeprefix("whsec_")
            # The server trims header values, and signs what it reads.
            given = case.headers.get(_header(case, "webhook-id") or "webhook-id") or ""
            # One id per body when the case has none: the same id with
            # another body is (rightly) refused with 422.
            msg_id = given.strip() or "st-msg-" + hashlib.sha256(raw).hexdigest()[:16]
            ts = str(int(time.time()))
            for name in ("webhook-id", "webhook-timestamp"):
                old = _header(case, name)
                if old is not None and old != name:
                    del case.headers[old]
            case.headers["webhook-id"] = msg_id
            case.headers["webhook-timestamp"] = ts
            mac = hmac.new(
                base64.b64decode(secret), f"{msg_id}.{ts}.".encode() + raw, hashlib.sha256
            ).digest()
            case.headers[key] = "v1," + base64.b64encode(mac).decode()
