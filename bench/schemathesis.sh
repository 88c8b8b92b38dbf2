#!/usr/bin/env bash
# API conformance: schemathesis against `klaxon serve`, driven by
# docs/openapi.json. Builds klaxon, starts it on a free loopback port with a
# fresh data directory, an admin API token and every webhook source enabled,
# runs every check (no 5xx, statuses, content types, headers and bodies as
# documented, schema-valid input accepted, schema-invalid input refused, 405s
# with Allow, stateful links) with a fixed seed, scans the data directory
# and the log for every secret fed in, stops the server and exits non-zero
# on any failure, any secret found, or a panic.
#
#   bash bench/schemathesis.sh              # 100 examples per operation
#   ST_MAX_EXAMPLES=20 bash bench/schemathesis.sh
#
# Reports (JUnit, NDJSON, the server's log) go to bench/out/schemathesis/.
# Not part of `make test`: a full run takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=${ST_VENV:-$root/.venv-st}
max_examples=${ST_MAX_EXAMPLES:-100}
seed=${ST_SEED:-20261123}
out=$root/bench/out/schemathesis
target=${CARGO_TARGET_DIR:-$root/target}

if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$(sed -n 's/^schemathesis==//p' bench/requirements.txt)"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements.txt
fi
cargo build --quiet -p klaxon

mkdir -p "$out"
data=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
base=http://127.0.0.1:$port

# Test-only secrets, so every webhook source is enabled; the hooks in
# bench/schemathesis_hooks.py sign GitHub, Jira, Bitbucket and Forge
# deliveries with them (Connect's JWTs are not made, so it stays at 401). The
# routing key is the one the OpenAPI example uses. No report rate limit:
# with it, most report posts would be answered 429.
export ST_GITHUB_SECRET=st-github-secret ST_JIRA_SECRET=st-jira-secret \
  ST_BITBUCKET_SECRET=st-bitbucket-secret \
  ST_FORGE_WEBHOOK_SECRET=whsec_c3Qtd2ViaG9vay1zZWNyZXQ=
env KLAXON_API_TOKENS="st:admin:$token" \
  KLAXON_REPORT_RATE_LIMIT=0 \
  KLAXON_GITHUB_WEBHOOK_SECRET="$ST_GITHUB_SECRET" \
  KLAXON_JIRA_WEBHOOK_SECRET="$ST_JIRA_SECRET" \
  KLAXON_BITBUCKET_WEBHOOK_SECRET="$ST_BITBUCKET_SECRET" \
  KLAXON_JIRA_PROJECTS=SEC \
  KLAXON_BITBUCKET_EVENTS=repo:push \
  KLAXON_CONNECT_SHARED_SECRET=st-connect-secret \
  KLAXON_CONNECT_CLIENT_KEYS=st-client-key \
  KLAXON_FORGE_TOKEN=st-forge-token-0123456789 \
  KLAXON_FORGE_WEBHOOK_SECRET="$ST_FORGE_WEBHOOK_SECRET" \
  KLAXON_PAGERDUTY_ROUTING_KEYS=R0ENGX2VV7QXE0MFRWPAXFJ2N8N4ZBA3 \
  RUST_LOG=warn \
  "$target/debug/klaxon" serve --listen "127.0.0.1:$port" --data-dir "$data" \
  >"$out/serve.log" 2>&1 &
server=$!
halt() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}
stop() {
  halt
  rm -rf "$data"
}
trap stop EXIT

for _ in $(seq 50); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "$base/healthz" >/dev/null

status=0
PYTHONPATH="$root/bench${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=schemathesis_hooks \
  "$venv/bin/st" --config-file bench/schemathesis.toml run docs/openapi.json \
  --url "$base" \
  --header "Authorization: Bearer $token" \
  --checks all \
  --max-examples "$max_examples" \
  --seed "$seed" \
  --workers 1 \
  --generation-database none \
  --no-color \
  --report junit,ndjson \
  --report-dir "$out" || status=$?

# The secret scan, once the server has stopped writing: the API token, every
# webhook secret and the secrets planted in reports must be nowhere in the
# store, the outbox or the log.
halt
{
  printf '%s\n' "$token" "$ST_GITHUB_SECRET" "$ST_JIRA_SECRET" "$ST_BITBUCKET_SECRET" \
    "$ST_FORGE_WEBHOOK_SECRET" st-connect-secret st-forge-token-0123456789
  PYTHONPATH="$root/bench" "$venv/bin/python" -c \
    'import schemathesis_hooks as h; print("\n".join(h.PLANTED))'
} | python3 bench/secret_scan.py "$data" "$out/serve.log" || status=1
# The scan proves something only if planted reports were stored.
planted=$(python3 -c 'import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}/klaxon.db?mode=ro", uri=True)
print(db.execute("SELECT COUNT(*) FROM incidents WHERE body LIKE ?", ("%Found in the logs%",)).fetchone()[0])' "$data")
echo "stored reports carrying the planted secrets (redacted): $planted"
if [ "$planted" -eq 0 ]; then
  echo "no planted report was stored, so the secret scan proved nothing" >&2
  status=1
fi

if grep -q "panicked" "$out/serve.log"; then
  echo "klaxon serve panicked; see $out/serve.log" >&2
  status=1
fi
exit "$status"
