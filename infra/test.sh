#!/usr/bin/env bash
# The test command (`make test`): installs the pinned emulator and linter in
# a venv, starts moto in server mode on a free loopback port, runs every
# test against it through AWS_ENDPOINT_URL, lints the SAM template, and
# stops moto. Extra arguments go to `cargo test`. Then the secret scan
# (bench/secret_scan.py) runs against `klaxon serve`. The template is also
# checked by infra/check_template.py (IAM wildcards, encryption, DLQs and
# their alarms) and run end to end by infra/template_e2e.py.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${KLAXON_VENV:-.venv}"
if ! cmp -s infra/requirements.txt "$venv/.installed-requirements" 2>/dev/null; then
  echo "installing moto and cfn-lint into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r infra/requirements.txt
  cp infra/requirements.txt "$venv/.installed-requirements"
fi

# Headless Chromium and its driver, for the report form's browser test;
# libfaketime, for the template run's sweep "11 minutes later".
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1 \
  || ! command -v faketime >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium, chromium-driver and faketime" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver faketime >/dev/null
  else
    echo "the browser test needs Chromium and the template run libfaketime: sudo apt-get install chromium chromium-driver faketime" >&2
    exit 1
  fi
fi

port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mkdir -p target
# moto, with DynamoDB calls serialized as DynamoDB's own transactions are (see the file).
"$venv/bin/python" infra/moto_server.py 127.0.0.1 "$port" > target/moto.log 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT

"$venv/bin/python" - "$port" <<'PY'
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/moto-api/"
for _ in range(200):
    try:
        urllib.request.urlopen(url, timeout=1)
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit(f"moto did not start on {url}; see target/moto.log")
PY

# GitHub's published REST API description (@octokit/openapi), served by
# Prism, which validates every request the tracker sends and answers from
# the description's examples; both pinned in infra/github-mock's lock file.
if ! cmp -s infra/github-mock/package-lock.json infra/github-mock/node_modules/.installed-lock 2>/dev/null; then
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "installing nodejs and npm" >&2
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    else
      echo "the tracker's tests need Node.js and npm: sudo apt-get install nodejs npm" >&2
      exit 1
    fi
  fi
  echo "installing the GitHub API description and Prism into infra/github-mock" >&2
  (cd infra/github-mock && npm ci --no-audit --no-fund --loglevel=error)
  cp infra/github-mock/package-lock.json infra/github-mock/node_modules/.installed-lock
fi
# axe-core for the browser test's accessibility check, pinned in infra/axe's
# lock file; npm is there by now (the GitHub mock needs it too).
if ! cmp -s infra/axe/package-lock.json infra/axe/node_modules/.installed-lock 2>/dev/null; then
  echo "installing axe-core into infra/axe" >&2
  (cd infra/axe && npm ci --no-audit --no-fund --loglevel=error)
  cp infra/axe/package-lock.json infra/axe/node_modules/.installed-lock
fi
"$venv/bin/python" infra/github-mock/prepare.py target/github-api.json
gh_port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
infra/github-mock/node_modules/.bin/prism mock --errors -h 127.0.0.1 -p "$gh_port" target/github-api.json > target/github-mock.log 2>&1 &
gh_pid=$!
trap 'kill "$moto_pid" "$gh_pid" 2>/dev/null || true' EXIT
"$venv/bin/python" - "$gh_port" <<'PY'
import sys, time, urllib.error, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/zen"
for _ in range(1200):
    try:
        urllib.request.urlopen(url, timeout=1)
        sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit(f"the GitHub mock did not start on {url}; see target/github-mock.log")
PY
export KLAXON_GITHUB_MOCK_URL="http://127.0.0.1:$gh_port"
echo "GitHub API mock listening on $KLAXON_GITHUB_MOCK_URL" >&2

export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
echo "moto listening on $AWS_ENDPOINT_URL" >&2

# The Lambda binaries first: the runtime tests start them as Lambda would.
# With the tests in the same build, so the binaries get the same features as
# `cargo test` below and nothing is compiled twice.
cargo build --workspace --bins --tests
cargo test --workspace --no-fail-fast "$@"
# The secret scan (a few seconds): a secret planted in every field of every
# intake path and API write route, in every header, key and refused
# parameter, against klaxon serve; then its data dir and log are searched.
"$venv/bin/python" bench/secret_scan.py --serve "${CARGO_TARGET_DIR:-target}/debug/klaxon"
"$venv/bin/cfn-lint" template.yaml
echo "cfn-lint: template.yaml clean" >&2
# No wildcard IAM, everything encrypted, every asynchronous consumer with a
# dead-letter queue and every dead-letter queue with an alarm; the checker's
# own self-test first.
"$venv/bin/python" infra/check_template.py --self-test
"$venv/bin/python" infra/check_template.py template.yaml
# The stack as template.yaml defines it, through the real SAM transform, built
# in a moto of its own, with the Lambda binaries under a Runtime API stand-in
# and every AWS call judged against its function's role: report -> page ->
# ack link -> responder API -> sweeps; then 21 broken copies of the template
# must fail (about 10 s, then a minute for the copies).
"$venv/bin/python" infra/template_e2e.py "${CARGO_TARGET_DIR:-target}/debug"
"$venv/bin/openapi-spec-validator" docs/openapi.json
"$venv/bin/python" infra/browser_test.py "${CARGO_TARGET_DIR:-target}/debug/klaxon"
# The console's OpenID Connect sign-in against a real provider on loopback
# (oidc-provider, pinned in infra/oidc's lock file; npm is there by now).
if ! cmp -s infra/oidc/package-lock.json infra/oidc/node_modules/.installed-lock 2>/dev/null; then
  echo "installing oidc-provider into infra/oidc" >&2
  (cd infra/oidc && npm ci --no-audit --no-fund --loglevel=error)
  cp infra/oidc/package-lock.json infra/oidc/node_modules/.installed-lock
fi
"$venv/bin/python" infra/oidc_browser_test.py "${CARGO_TARGET_DIR:-target}/debug/klaxon"
