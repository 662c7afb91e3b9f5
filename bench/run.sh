#!/usr/bin/env bash
# make bench: release build, synthetic corpus, every performance target, bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
started=$(date +%s)
cargo build --release --bins
cargo build --release --manifest-path bench/gen-trail/Cargo.toml
echo "bench: release build took $(($(date +%s) - started))s" >&2
PY=python3
if [ -x .venv/bin/python ] && .venv/bin/python -c 'import yaml' 2>/dev/null; then PY=.venv/bin/python; fi
BENCH_PYTHON="$PY" TARGET_DIR="$CARGO_TARGET_DIR" exec "$PY" bench/bench.py
