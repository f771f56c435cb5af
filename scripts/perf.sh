#!/bin/sh
# Regenerates the throughput figures of docs/PERFORMANCE.md and docs/perf.svg (issue 14):
# builds the release binary and runs the harness (examples/perf.rs) over it.
# PERF_SIZES=10000,100000 limits the sizes; PERF_LIMIT (s) and PERF_MEMORY (MB) bound each run;
# PERF_INSTRUCTIONS=10000 (the default; 0: none) also counts each pass's instructions at that
# size under valgrind (cachegrind), a figure that does not depend on the machine or its load.
set -e
cd "$(dirname "$0")/.."
cargo build --release -p lina --bin lina --example perf
exec target/release/examples/perf "$@"
