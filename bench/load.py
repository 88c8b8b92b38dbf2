#!/usr/bin/env python3
"""Intake under load, dedup under contention, crash safety and a secret scan,
against a release build of `klaxon serve` (SQLite, in-process bus, file
notifier), driven by oha.

  bench/load.py throughput   30 s of reports at full speed: rate, latency, lost
  bench/load.py dedup        1,000 concurrent posts with one Idempotency-Key
  bench/load.py crash        load, kill -9 mid-run, restart; three times
  bench/load.py flood [SECONDS [CONNECTIONS]]
                             5,000 low-severity reports/s, one critical a
                             second: report -> page latency (default 60 s, 32)
  bench/load.py storm [SECONDS [CONNECTIONS]]
                             one PagerDuty alert (one dedup_key) as fast as
                             oha sends it (default 30 s, 32), beside the
                             same storm against Alertmanager, and the same
                             enqueue with no dedup_key (each a new incident)
  bench/load.py unique [SECONDS [CONNECTIONS [ROUNDS]]]
                             new incidents only: a plain report to
                             POST /reports and an enqueue with no dedup_key
                             (default 15 s, 32, 3 rounds); with
                             BASE_BIN=/path/to/an/older/klaxon, that build
                             runs the same loads interleaved, round by round
  bench/load.py all          all four, then the secret scan

Each report carries secrets (an AWS key pair, a GitHub token, a password)
that must never reach the store, the outbox or the logs; the scan greps the
whole data directory (database, WAL, outbox.jsonl) and serve's logs for
them. Needs `oha` on PATH (`cargo install oha`) or OHA=/path/to/oha, and the
release build at target/release/klaxon or KLAXON_BIN=/path/to/klaxon.
The storm's peer is Debian's `prometheus-alertmanager` (apt-get install
prometheus-alertmanager), or ALERTMANAGER=/path/to/alertmanager.
"""

import json
import math
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter

import secret_scan

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KLAXON = os.environ.get("KLAXON_BIN", os.path.join(ROOT, "target", "release", "klaxon"))
OHA = os.environ.get("OHA", "oha")
ALERTMANAGER = os.environ.get("ALERTMANAGER", "prometheus-alertmanager")
PD_ROUTING_KEY = "R0UTINGKEY00000000000000000000AB"

# Secrets fed in; none may be found anywhere afterwards.
SECRETS = [
    "AKIAZ3XAMPLEK3YQ7WBN",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY7",
    "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "hunter2-correct-horse-battery",
]
REPORT = {
    "title": "RCE in the webhook handler of the Jira app",
    "description": (
        "Unauthenticated remote code execution through the webhook endpoint. "
        f"The attacker's script used aws_access_key_id={SECRETS[0]} and "
        f"aws_secret_access_key={SECRETS[1]}, and a GitHub token {SECRETS[2]}; "
        f"the admin password was password={SECRETS[3]}."
    ),
    "cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "tenant": "acme.atlassian.net",
}

# The flood: a cosmetic report the engine rates low. It pages nobody; its
# triage tells the security team, in bulk behind any page.
LOW_REPORT = {
    "title": "Typo in the footer of the help centre",
    "description": "The footer of the help centre says 'Copyrigth'. Cosmetic only; nothing is exposed.",
    "tenant": "acme.atlassian.net",
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Serve:
    def __init__(self, data_dir, log_path, binary=None):
        self.data_dir = data_dir
        self.log_path = log_path
        self.binary = binary or KLAXON
        self.port = free_port()
        self.proc = None

    def start(self):
        env = dict(os.environ)
        env.update({"KLAXON_REPORT_RATE_LIMIT": "0", "RUST_LOG": "warn",
                    "KLAXON_PAGERDUTY_ROUTING_KEYS": PD_ROUTING_KEY})
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir],
            env=env,
            stdout=log,
            stderr=log,
        )
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                return
            except Exception:
                time.sleep(0.05)
        sys.exit("klaxon serve did not start")

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/reports"

    @property
    def enqueue_url(self):
        return f"http://127.0.0.1:{self.port}/v2/enqueue"


def oha(url, *args, report=REPORT):
    """Runs oha, returns its JSON summary."""
    body = json.dumps(report)
    cmd = [OHA, "--no-tui", "--output-format", "json", "-m", "POST",
           "-H", "content-type: application/json", "-d", body, *args, url]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0 and not out.stdout.strip():
        sys.exit(f"oha failed: {out.stderr}")
    return json.loads(out.stdout)


def statuses(summary):
    return {int(k): v for k, v in summary.get("statusCodeDistribution", {}).items()}


def db(data_dir):
    return sqlite3.connect(f"file:{os.path.join(data_dir, 'klaxon.db')}?mode=ro", uri=True)


def stored(data_dir):
    with db(data_dir) as c:
        total = c.execute("SELECT COUNT(*) FROM incidents").fetchone()[0]
        by_status = dict(c.execute("SELECT status, COUNT(*) FROM incidents GROUP BY status").fetchall())
        pending = c.execute("SELECT COUNT(*) FROM events WHERE published_at IS NULL").fetchone()[0]
    return total, by_status, pending


def outbox(data_dir):
    """The outbox's messages, one at a time: after a 30 s flood the file
    holds gigabytes."""
    path = os.path.join(data_dir, "outbox.jsonl")
    if not os.path.exists(path):
        return
    with open(path) as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def settle(data_dir, want_total):
    """Waits until every stored incident is triaged and nothing is pending.
    Intake answers first and the relay works through the outbox behind it,
    so after a flood this is the backlog draining. Returns the seconds it
    took."""
    start = time.monotonic()
    while time.monotonic() - start < 900:
        total, by_status, pending = stored(data_dir)
        if by_status.get("reported", 0) == 0 and pending == 0 and total >= want_total:
            return time.monotonic() - start
        time.sleep(0.2)
    print(f"  not settled after 900 s: {stored(data_dir)}")
    return time.monotonic() - start


def page_check(data_dir):
    """Every SEV-1 incident paged its primary exactly once; no message twice."""
    keys = Counter()
    pages = Counter()
    lines = 0
    for l in outbox(data_dir):
        lines += 1
        keys[(l["audience"], l["subject"])] += 1
        if l["audience"] == "oncall-primary" and "PAGE L1 R1" in l["subject"]:
            pages[l["subject"].split("] ", 1)[-1].split(":", 1)[0]] += 1
    doubled = {k: n for k, n in keys.items() if n > 1}
    with db(data_dir) as c:
        refs = [r for (r,) in c.execute("SELECT reference FROM incidents")]
    missing = [r for r in refs if pages.get(r, 0) == 0]
    twice = [r for r in refs if pages.get(r, 0) > 1]
    return lines, len(doubled), missing, twice


def latency(summary, q):
    return summary["latencyPercentiles"][q] * 1000


def throughput(seconds=30, connections=32):
    tmp = tempfile.mkdtemp(prefix="klaxon-load-")
    serve = Serve(tmp, os.path.join(tmp, "serve.log"))
    serve.start()
    s = oha(serve.url, "-z", f"{seconds}s", "-c", str(connections))
    accepted = statuses(s).get(202, 0)
    print("## throughput")
    print(f"  {seconds} s, {connections} connections: {s['summary']['requestsPerSec']:.0f} req/s, "
          f"statuses {statuses(s)}")
    print(f"  latency p50 {latency(s, 'p50'):.2f} ms, p99 {latency(s, 'p99'):.2f} ms, "
          f"p99.9 {latency(s, 'p99.9'):.2f} ms", flush=True)
    settled = settle(tmp, accepted)
    total, by_status, pending = stored(tmp)
    lines, doubled, missing, twice = page_check(tmp)
    serve.stop()
    print(f"  backlog drained (all triaged, paged, outbox empty) {settled:.0f} s after the load")
    print(f"  202s {accepted}, stored {total}, lost {max(0, accepted - total)}; by status {by_status}; "
          f"pending events {pending}")
    print(f"  outbox lines {lines}, doubled {doubled}, incidents never paged {len(missing)}, paged twice {len(twice)}")
    return tmp, serve.log_path


def dedup(n=1000):
    tmp = tempfile.mkdtemp(prefix="klaxon-dedup-")
    serve = Serve(tmp, os.path.join(tmp, "serve.log"))
    serve.start()
    s = oha(serve.url, "-n", str(n), "-c", str(n), "-H", "Idempotency-Key: one-key-for-all")
    settle(tmp, 1)
    total, by_status, _ = stored(tmp)
    serve.stop()
    print("## dedup")
    print(f"  {n} concurrent posts with one Idempotency-Key: statuses {statuses(s)}; incidents stored {total} {by_status}")
    return tmp, serve.log_path


def crash(rounds=3, load_secs=8, kill_after=4):
    tmp = tempfile.mkdtemp(prefix="klaxon-crash-")
    log = os.path.join(tmp, "serve.log")
    acked = 0
    print("## crash")
    for r in range(1, rounds + 1):
        serve = Serve(tmp, log)
        serve.start()
        load = subprocess.Popen(
            [OHA, "--no-tui", "--output-format", "json", "-m", "POST", "-H", "content-type: application/json",
             "-d", json.dumps(REPORT), "-z", f"{load_secs}s", "-c", "16", serve.url],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        time.sleep(kill_after)
        serve.kill9()
        out, _ = load.communicate()
        got = statuses(json.loads(out)).get(202, 0)
        acked += got
        # Restart: recovery re-publishes what the crash left pending.
        serve = Serve(tmp, log)
        serve.start()
        settle(tmp, acked)
        total, by_status, pending = stored(tmp)
        lines, doubled, missing, twice = page_check(tmp)
        serve.stop()
        print(f"  round {r}: 202s so far {acked}, stored {total} (lost {max(0, acked - total)}), "
              f"by status {by_status}, pending {pending}; outbox lines {lines}, doubled {doubled}, "
              f"never paged {len(missing)}, paged twice {len(twice)}")
    return tmp, log


class PageTail(threading.Thread):
    """Follows outbox.jsonl as the file notifier appends to it and notes
    when each incident's first on-call page appears (by reference)."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.seen = {}
        self.lines = 0
        self.stop = threading.Event()

    def run(self):
        while not os.path.exists(self.path) and not self.stop.is_set():
            time.sleep(0.001)
        with open(self.path, "rb") as f:
            partial = b""
            while not self.stop.is_set():
                chunk = f.read(1 << 20)
                if not chunk:
                    time.sleep(0.001)
                    continue
                now = time.monotonic()
                *whole, partial = (partial + chunk).split(b"\n")
                for line in whole:
                    self.lines += 1
                    # Only pages need parsing; the bulk is told-only.
                    if b'"oncall-primary"' not in line or b"Escalation Triggered" not in line:
                        continue
                    ref = json.loads(line)["message"]["json"].get("reference")
                    self.seen.setdefault(ref, now)


def post_report(url, report):
    """POSTs one report; returns its reference."""
    req = urllib.request.Request(url, data=json.dumps(report).encode(), method="POST",
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())["reference"]


def pct(values, q):
    """Nearest-rank percentile."""
    v = sorted(values)
    return v[min(len(v), max(1, math.ceil(q / 100 * len(v)))) - 1]


def critical_pages(url, tail, n, every=1.0, deadline=None):
    """Posts a critical report every `every` seconds, `n` times (or until
    `deadline`), and returns (sent, latencies in ms, never paged)."""
    sent = {}
    next_at = time.monotonic()
    for i in range(n):
        if deadline and time.monotonic() >= deadline:
            break
        t = time.monotonic()
        sent[post_report(url, dict(REPORT, title=f"{REPORT['title']} #{i}"))] = t
        next_at += every
        time.sleep(max(0.0, next_at - time.monotonic()))
    wait_until = time.monotonic() + 10
    while time.monotonic() < wait_until and any(r not in tail.seen for r in sent):
        time.sleep(0.05)
    lat = [(tail.seen[r] - t) * 1000 for r, t in sent.items() if r in tail.seen]
    return sent, lat, [r for r in sent if r not in tail.seen]


class RateLoad:
    """A fixed-rate POST load in the background: oha (`-q`, total rate) if
    it is installed, else hey (`-q` is per worker)."""

    def __init__(self, url, report, seconds, connections, rate):
        body = json.dumps(report)
        self.tool = "oha" if shutil.which(OHA) else "hey"
        if self.tool == "oha":
            cmd = [OHA, "--no-tui", "--output-format", "json", "-m", "POST", "-H",
                   "content-type: application/json", "-d", body, "-z", f"{seconds}s",
                   "-c", str(connections), "-q", str(rate), url]
        else:
            cmd = ["hey", "-z", f"{seconds}s", "-c", str(connections), "-q",
                   str(max(1, round(rate / connections))), "-m", "POST", "-T",
                   "application/json", "-d", body, url]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    def result(self):
        """(requests/s, {status: count}, p99 ms) once the load has ended."""
        out, _ = self.proc.communicate()
        if self.tool == "oha":
            s = json.loads(out)
            return s["summary"]["requestsPerSec"], statuses(s), latency(s, "p99")
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        codes = {int(c): int(n) for c, n in re.findall(r"\[(\d+)\]\s+(\d+) responses", out)}
        p99 = re.search(r"99%+ in ([\d.]+) secs", out)
        return rps, codes, float(p99.group(1)) * 1000 if p99 else float("nan")


def flood(seconds=60, connections=32, rate=5000):
    """While oha posts `rate` low-severity reports a second, one critical
    report a second; each one's report -> page latency is when its page
    line appears in outbox.jsonl, measured from just before its POST."""
    tmp = tempfile.mkdtemp(prefix="klaxon-flood-")
    serve = Serve(tmp, os.path.join(tmp, "serve.log"))
    serve.start()
    tail = PageTail(os.path.join(tmp, "outbox.jsonl"))
    tail.start()
    print("## flood")
    # With no load first, for comparison.
    _, quiet, _ = critical_pages(serve.url, tail, 5, every=0.2)
    print(f"  no load: report -> page p50 {pct(quiet, 50):.1f} ms, max {max(quiet):.1f} ms "
          f"({len(quiet)} reports)", flush=True)
    load = RateLoad(serve.url, LOW_REPORT, seconds, connections, rate)
    started = time.monotonic()
    # The backlog builds for a few seconds before the first critical report.
    time.sleep(3)
    sent, lat, missing = critical_pages(serve.url, tail, seconds, deadline=started + seconds - 1)
    rps, codes, p99 = load.result()
    total, by_status, pending = stored(tmp)
    tail.stop.set()
    serve.stop()
    print(f"  low-severity flood ({load.tool}): {rps:.0f} req/s for {seconds} s on "
          f"{connections} connections (asked {rate}/s), statuses {codes}, intake p99 {p99:.2f} ms")
    print(f"  backlog at the end: {by_status.get('reported', 0)} reports untriaged, {pending} events pending "
          f"of {total} incidents")
    if lat:
        print(f"  critical report -> page: n={len(lat)}, p50 {pct(lat, 50):.1f} ms, p99 {pct(lat, 99):.1f} ms, "
              f"max {max(lat):.1f} ms; never paged {len(missing)}")
    else:
        print(f"  critical report -> page: none of {len(sent)} paged")
    return tmp, serve.log_path


def pd_event(dedup_key=None):
    """A PagerDuty Events v2 trigger: a flapping disk alert."""
    event = {
        "routing_key": PD_ROUTING_KEY,
        "event_action": "trigger",
        "payload": {"summary": "Disk 97% full on web-1", "source": "web-1", "severity": "warning"},
    }
    if dedup_key:
        event["dedup_key"] = dedup_key
    return event


# The same alert for Alertmanager (its v2 API takes a list of alerts).
AM_ALERTS = [{
    "labels": {"alertname": "DiskFull", "instance": "web-1", "severity": "warning"},
    "annotations": {"summary": "Disk 97% full on web-1"},
}]


class Alertmanager:
    """Alertmanager with a config that routes to nobody: it keeps alerts in
    memory (and snapshots silences and the notification log to disk)."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.port = free_port()
        self.proc = None

    def start(self):
        config = os.path.join(self.tmp, "alertmanager.yml")
        with open(config, "w") as f:
            f.write("route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n")
        log = open(os.path.join(self.tmp, "alertmanager.log"), "ab")
        self.proc = subprocess.Popen(
            [ALERTMANAGER, f"--config.file={config}", f"--storage.path={self.tmp}",
             f"--web.listen-address=127.0.0.1:{self.port}",
             f"--cluster.listen-address="],
            stdout=log, stderr=log)
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=1)
                return
            except Exception:
                time.sleep(0.05)
        sys.exit("alertmanager did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(20)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/api/v2/alerts"


def stored_occurrences(data_dir):
    """(incidents, occurrences) stored: the counter's count, or the
    incident's own for one never repeated."""
    with db(data_dir) as c:
        incidents = c.execute("SELECT COUNT(*) FROM incidents").fetchone()[0]
        counted = c.execute(
            "SELECT COALESCE(SUM(COALESCE(r.occurrences, json_extract(i.body, '$.occurrences'))), 0) "
            "FROM incidents i LEFT JOIN repeats r ON r.incident_id = i.id").fetchone()[0]
    return incidents, counted


def show(name, s):
    codes = statuses(s)
    refused = sum(n for c, n in codes.items() if c >= 400)
    print(f"  {name}: {s['summary']['requestsPerSec']:.0f} req/s, p50 {latency(s, 'p50'):.2f} ms, "
          f"p99 {latency(s, 'p99'):.2f} ms, p99.9 {latency(s, 'p99.9'):.2f} ms; statuses {codes}, "
          f"refused {refused}", flush=True)
    return s["summary"]["requestsPerSec"]


def storm(seconds=30, connections=32):
    """One dedup_key as fast as oha sends it, against klaxon serve and
    against Alertmanager with the same oha settings; then the unique-key
    enqueue for comparison. Every 202 must be one stored occurrence."""
    print("## storm")
    print(f"  oha, {seconds} s, {connections} connections, one alert repeated")
    tmp = tempfile.mkdtemp(prefix="klaxon-storm-")
    serve = Serve(tmp, os.path.join(tmp, "serve.log"))
    serve.start()
    # -w: requests in flight at the deadline are answered and counted, so
    # every stored occurrence has its 202 in the tally.
    s = oha(serve.enqueue_url, "-z", f"{seconds}s", "-w", "-c", str(connections),
            report=pd_event("disk-full-web-1"))
    klaxon_rate = show("klaxon POST /v2/enqueue, one dedup_key", s)
    accepted = statuses(s).get(202, 0)
    serve.stop()
    incidents, counted = stored_occurrences(tmp)
    print(f"  202s {accepted}, incidents {incidents}, occurrences stored {counted}, "
          f"lost {accepted - counted}", flush=True)

    am_tmp = tempfile.mkdtemp(prefix="klaxon-am-")
    am = Alertmanager(am_tmp)
    am.start()
    a = oha(am.url, "-z", f"{seconds}s", "-w", "-c", str(connections), report=AM_ALERTS)
    am_rate = show("alertmanager POST /api/v2/alerts, one alert", a)
    am.stop()
    print(f"  klaxon / alertmanager: {klaxon_rate / am_rate:.2f}x", flush=True)

    utmp = tempfile.mkdtemp(prefix="klaxon-unique-")
    serve = Serve(utmp, os.path.join(utmp, "serve.log"))
    serve.start()
    u = oha(serve.enqueue_url, "-z", f"{seconds}s", "-w", "-c", str(connections), report=pd_event())
    show("klaxon POST /v2/enqueue, no dedup_key (each a new incident)", u)
    serve.stop()
    incidents, _ = stored_occurrences(utmp)
    print(f"  202s {statuses(u).get(202, 0)}, incidents {incidents}")
    return tmp, serve.log_path


# A plain new report: one SEV-3 finding, no secret to redact, pages no one.
PLAIN_REPORT = {
    "title": "Stored XSS in the macro editor",
    "description": (
        "A page editor can save a macro parameter that renders script in viewers' "
        "browsers. Found by our own review; no sign anyone used it."
    ),
    "tenant": "acme.atlassian.net",
}


def unique(seconds=15, connections=32, rounds=3):
    """New incidents only, the loads the storm issue measured before its
    change: this build, and BASE_BIN's if set, interleaved so both see the
    same machine."""
    builds = [("this build", KLAXON)]
    if os.environ.get("BASE_BIN"):
        builds.append(("base " + os.path.basename(os.environ["BASE_BIN"]), os.environ["BASE_BIN"]))
    print("## unique-key intake")
    print(f"  oha, {seconds} s, {connections} connections, {rounds} rounds, interleaved")
    rates = {}
    for r in range(rounds):
        for name, binary in builds:
            for load, report in (("POST /reports", PLAIN_REPORT), ("POST /v2/enqueue", pd_event())):
                tmp = tempfile.mkdtemp(prefix="klaxon-unique-")
                serve = Serve(tmp, os.path.join(tmp, "serve.log"), binary)
                serve.start()
                url = serve.url if load == "POST /reports" else serve.enqueue_url
                s = oha(url, "-z", f"{seconds}s", "-w", "-c", str(connections), report=report)
                serve.stop()
                rate = show(f"round {r + 1}, {name}, {load}", s)
                rates.setdefault((name, load), []).append(rate)
                shutil.rmtree(tmp, ignore_errors=True)
    for (name, load), rs in sorted(rates.items()):
        rs = sorted(rs)
        print(f"  median {name}, {load}: {rs[len(rs) // 2]:.0f} req/s ({', '.join(f'{x:.0f}' for x in rs)})")


def scan(paths):
    """Greps every file under the given directories for the secrets fed in."""
    found = secret_scan.scan(paths, SECRETS)
    print("## secret scan")
    print(f"  scanned {len(paths)} data directories (database, WAL, outbox.jsonl, serve logs): "
          f"{len(found)} matches {found}")
    return found


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if not os.path.exists(KLAXON):
        sys.exit("build first (cargo build --release -p klaxon), or set KLAXON_BIN")
    dirs = []
    if what in ("throughput", "all"):
        dirs.append(throughput()[0])
    if what in ("dedup", "all"):
        dirs.append(dedup()[0])
    if what in ("crash", "all"):
        dirs.append(crash()[0])
    if what in ("flood", "all"):
        args = [int(a) for a in sys.argv[2:4]] if what == "flood" else []
        dirs.append(flood(*args)[0])
    if what == "storm":
        storm(*[int(a) for a in sys.argv[2:4]])
        return
    if what == "unique":
        unique(*[int(a) for a in sys.argv[2:5]])
        return
    if scan(dirs):
        sys.exit(1)


if __name__ == "__main__":
    main()
