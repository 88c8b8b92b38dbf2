#!/usr/bin/env bash
# The severity engine on the labelled corpus: accuracy, dangerous misses and
# the confusion matrix, for the tuning set and the held-out set apart.
# KLAXON_CORPUS_MISSES=1 also lists every miss with its reasons.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test -q -p klaxon-core --test corpus -- --nocapture --test-threads 1 2>&1 \
  | grep -v '^running\|^test \|^$\|test result'
