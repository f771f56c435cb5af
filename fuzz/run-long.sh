#!/bin/sh
# The long libFuzzer run: each target for $1 seconds (default 600), one after the other, niced,
# a crash (other than the known ones, which the targets skip) stops that target and is kept in artifacts/<target>/
# Logs: fuzz/logs/<target>.log (libFuzzer prints "#N ... exec/s: R" lines and a final count).
cd "$(dirname "$0")" || exit 2
secs=${1:-600}
shift
mkdir -p logs
for t in ${*:-parse check values pipeline}; do
  mkdir -p corpus/$t artifacts/$t
  nice -n 15 cargo +nightly fuzz run -O "$t" -- -dict=linear_a.dict -max_len=2048 \
    -max_total_time="$secs" -print_final_stats=1 \
    > logs/$t.log 2>&1
done
