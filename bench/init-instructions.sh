#!/usr/bin/env bash
# Instructions each Lambda spends on init, counted by callgrind, so the figure
# does not depend on what else the machine is doing. Each function starts with
# the variables bench/coldstart.py gives it, against a closed Runtime API port:
# its first GET /runtime/invocation/next is refused and it exits, so the count
# is process start, init and that one failed connect.
#
# Usage: bench/init-instructions.sh [BIN_DIR]   (default target/release)
# Pass OUT_DIR=dir to keep each callgrind.out for callgrind_annotate (build
# with CARGO_PROFILE_RELEASE_STRIP=none CARGO_PROFILE_RELEASE_DEBUG=line-tables-only).
set -euo pipefail
bin_dir="${1:-${CARGO_TARGET_DIR:-target}/release}"
topics=(ONCALL_PRIMARY ONCALL_SECONDARY INCIDENT_MANAGER SECURITY_TEAM LEADERSHIP COMMS)
for f in intake assess escalate notify respond; do
  vars=(PATH="$PATH" AWS_LAMBDA_RUNTIME_API=127.0.0.1:9 AWS_LAMBDA_FUNCTION_NAME="klaxon-$f"
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 'AWS_LAMBDA_FUNCTION_VERSION=$LATEST'
    AWS_LAMBDA_LOG_STREAM_NAME=bench AWS_LAMBDA_LOG_GROUP_NAME=bench
    AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
    AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_SESSION_TOKEN=bench
    KLAXON_TABLE=klaxon-bench KLAXON_EVENT_BUS=klaxon-bench
    KLAXON_API_TOKENS=bench:viewer:bench-token-0123456789)
  for t in "${topics[@]}"; do
    vars+=("KLAXON_TOPIC_$t=arn:aws:sns:us-east-1:123456789012:${t,,}")
  done
  out=/dev/null
  [[ -n "${OUT_DIR:-}" ]] && out="$OUT_DIR/callgrind.out.$f"
  # The function exits non-zero (the refused poll): only the count matters.
  n=$({ env -i "${vars[@]}" valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$bin_dir/klaxon-$f" 2>&1 >/dev/null || true; } | sed -n 's/.*I *refs: *//p' | tr -d ,)
  printf 'klaxon-%-9s %6.1f M\n' "$f" "$(echo "$n / 1000000" | bc -l)"
done
