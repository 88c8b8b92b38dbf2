#!/usr/bin/env bash
# Instructions per report on the pure path (verify, parse, redact, assess,
# deadlines), counted by callgrind, so the figure does not depend on what
# else the machine is doing: (count at N+200) - (count at N), over 200.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p klaxon-core --example assess_count
bin="${CARGO_TARGET_DIR:-target}/release/examples/assess_count"
count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" 2>&1 | sed -n 's/.*I *refs: *//p' | tr -d ,; }
a=$(count 1); b=$(count 201)
echo "instructions per report: $(( (b - a) / 200 ))"
