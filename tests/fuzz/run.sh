#!/bin/sh
# Runs one libFuzzer target for a bounded time on a copy of its seed corpus
# (the source tree stays as it is). Any crash, leak, sanitizer report, hang
# or failed check fails it; the input that reproduces it is kept and its path
# printed. Usage: run.sh TARGET NAME SEED_DIR MAX_LEN
# TS_FUZZ_SECONDS: how long to fuzz (20 s by default).
set -u
exe=$1 name=$2 seeds=$3 max_len=$4
secs=${TS_FUZZ_SECONDS:-20}
dir=$(cd "$(dirname "$exe")" && pwd)
exe="$dir/$(basename "$exe")"
work="$dir/run-$name"
rm -rf "$work"
mkdir -p "$work/corpus" "$work/findings"
cp "$seeds"/* "$work/corpus"/ 2>/dev/null

# halt_on_error: a UBSan report is a finding, not a line in a log.
ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
	timeout -k 10 $((secs + 120)) "$exe" -max_total_time="$secs" -max_len="$max_len" \
	-timeout=10 -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 \
	-artifact_prefix="$work/findings/" "$work/corpus" >"$work/log" 2>&1
rc=$?

finding=$(ls "$work/findings" 2>/dev/null | head -n 1)
if [ $rc -eq 0 ] && [ -z "$finding" ]; then
	grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$work/log"
	grep -E '^#[0-9]+.*(DONE|cov:)' "$work/log" | tail -n 1
	exit 0
fi
tail -n 60 "$work/log"
echo
if [ -n "$finding" ]; then
	echo "fuzz $name: FOUND a failing input: $work/findings/$finding"
	echo "reproduce: $exe $work/findings/$finding"
else
	echo "fuzz $name: the fuzzer failed (exit $rc); full log: $work/log"
fi
exit 1
