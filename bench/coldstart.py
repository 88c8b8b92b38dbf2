#!/usr/bin/env python3
"""Cold start: time from exec to the first poll of the Lambda Runtime API.

Each function is started as Lambda starts it (runtime variables plus its
configuration) against a loopback stand-in for the Runtime API. The clock
starts just before exec and stops when the process asks for its first
invocation (GET /2018-06-01/runtime/invocation/next); that request is held
open, so the process's peak RSS (VmHWM) is read while it waits, after all of
its initialisation. A Python 3 handler doing the same set-up (awslambdaric
plus boto3 clients for DynamoDB, SNS and EventBridge) runs beside it in the
same loop, interleaved, so both see the same machine.

Usage: bench/coldstart.py [--runs N] [--bin-dir DIR] [--python PY]
  --bin-dir: where the release bootstraps are (default target/lambda, as
             cargo-lambda lays them out: <dir>/<function>/bootstrap; falls
             back to target/release/<function>).
  --python:  a Python with awslambdaric and boto3 (bench/requirements.txt).
"""

import argparse
import http.server
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

FUNCTIONS = ["klaxon-intake", "klaxon-assess", "klaxon-escalate", "klaxon-notify", "klaxon-respond"]
AUDIENCE_VARS = [
    "KLAXON_TOPIC_ONCALL_PRIMARY",
    "KLAXON_TOPIC_ONCALL_SECONDARY",
    "KLAXON_TOPIC_INCIDENT_MANAGER",
    "KLAXON_TOPIC_SECURITY_TEAM",
    "KLAXON_TOPIC_LEADERSHIP",
    "KLAXON_TOPIC_COMMS",
]

PY_HANDLER = '''
import boto3
# The same clients a Klaxon function builds at cold start.
dynamodb = boto3.client("dynamodb")
sns = boto3.client("sns")
events = boto3.client("events")

def handler(event, context):
    return {"ok": True}
'''


class Stand_in(http.server.BaseHTTPRequestHandler):
    """Records the first poll and holds it open until told to stop."""

    polled = None  # threading.Event, set per run
    at = None

    def do_GET(self):
        if self.path.endswith("/runtime/invocation/next"):
            Stand_in.at = time.perf_counter_ns()
            Stand_in.polled.set()
            # Hold the poll: the process stays initialised and idle.
            Stand_in.release.wait(30)
        self.send_response(500)
        self.end_headers()

    def do_POST(self):
        # Init errors are posted here: a function that fails to start.
        length = int(self.headers.get("content-length", 0))
        body = self.rfile.read(length)
        sys.stderr.write(f"runtime API POST {self.path}: {body[:300]!r}\n")
        Stand_in.failed = body
        Stand_in.polled.set()
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def env_for(port, name):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_LAMBDA_LOG_GROUP_NAME": "bench",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "KLAXON_TABLE": "klaxon-bench",
        "KLAXON_EVENT_BUS": "klaxon-bench",
        "KLAXON_API_TOKENS": "bench:viewer:bench-token-0123456789",
    }
    for var in AUDIENCE_VARS:
        env[var] = f"arn:aws:sns:us-east-1:123456789012:{var.lower()}"
    return env


def one(cmd, env, cwd=None):
    """Starts cmd, returns (ms to first poll, peak RSS MiB)."""
    Stand_in.polled = threading.Event()
    Stand_in.release = threading.Event()
    Stand_in.failed = None
    t0 = time.perf_counter_ns()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not Stand_in.polled.wait(30):
            raise RuntimeError(f"{cmd[0]} never polled the Runtime API")
        if Stand_in.failed is not None:
            raise RuntimeError(f"{cmd[0]} failed to initialise")
        ms = (Stand_in.at - t0) / 1e6
        rss = vm_hwm_kib(proc.pid) / 1024
    finally:
        Stand_in.release.set()
        proc.kill()
        proc.wait()
    return ms, rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--bin-dir", default="target/lambda")
    ap.add_argument("--python", default=".venv-coldstart/bin/python")
    args = ap.parse_args()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stand_in)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def binary(name):
        for path in (
            os.path.join(args.bin_dir, name, "bootstrap"),
            os.path.join(args.bin_dir, name),
            os.path.join("target/release", name),
        ):
            if os.path.exists(path):
                return path
        sys.exit(f"no release build of {name}: run `cargo lambda build --release --x86-64` (or --arm64)")

    handler_dir = tempfile.mkdtemp(prefix="coldstart-py-")
    with open(os.path.join(handler_dir, "handler.py"), "w") as f:
        f.write(PY_HANDLER)
    py_cmd = [os.path.abspath(args.python), "-m", "awslambdaric", "handler.handler"]

    results = {name: [] for name in FUNCTIONS + ["python3 (awslambdaric + boto3)"]}
    for _ in range(args.runs):
        for name in FUNCTIONS:
            results[name].append(one([binary(name)], env_for(port, name)))
        py = "python3 (awslambdaric + boto3)"
        env = env_for(port, "python-peer")
        env["PYTHONPATH"] = handler_dir
        results[py].append(one(py_cmd, env, cwd=handler_dir))

    py_median = statistics.median(ms for ms, _ in results["python3 (awslambdaric + boto3)"])
    print(f"| function | median ms | p90 ms | min ms | peak RSS MiB (max) | vs Python |")
    print(f"|---|---|---|---|---|---|")
    for name, runs in results.items():
        times = sorted(ms for ms, _ in runs)
        med = statistics.median(times)
        p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
        rss = max(r for _, r in runs)
        ratio = f"{py_median / med:.0f}x faster" if not name.startswith("python") else "1x"
        print(f"| {name} | {med:.2f} | {p90:.2f} | {times[0]:.2f} | {rss:.1f} | {ratio} |")
    server.shutdown()


if __name__ == "__main__":
    main()
