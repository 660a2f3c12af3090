#!/usr/bin/env bash
# Fuzz/run.sh TARGET SECONDS — build a libFuzzer target (release, fuzzer + address sanitizers,
# its own scratch path), run it from its seed corpus with the protocol dictionary, print the
# executions per second, and exit non-zero on a finding (the crashing input is kept in
# Fuzz/crashes/ so it can become a regression test).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: Fuzz/run.sh TARGET SECONDS (targets: FrameDecoderFuzzer, QuantumLayerFuzzer)}
seconds=${2:-30}
case "$target" in
  FrameDecoderFuzzer|QuantumLayerFuzzer) ;;
  *) echo "error: unknown fuzz target '$target' (FrameDecoderFuzzer, QuantumLayerFuzzer)" >&2; exit 2 ;;
esac

buildlog=$(mktemp)
if ! swift build -c release --scratch-path .build-fuzz --product "$target" \
  --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address >"$buildlog" 2>&1; then
  echo "error: building $target with the fuzzer sanitizer failed:" >&2
  tail -30 "$buildlog" >&2
  exit 2
fi
rm -f "$buildlog"
binary=.build-fuzz/release/$target

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp Fuzz/corpus/"$target"/* "$work"/ 2>/dev/null || true
mkdir -p Fuzz/crashes
log=$work/fuzz.log
status=0
SWIFT_BACKTRACE=enable=no "$binary" "$work" -dict=Fuzz/dictionaries/wire.dict \
  -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix=Fuzz/crashes/"$target"- \
  -max_len=65536 >"$log" 2>&1 || status=$?

runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
elapsed=$(grep -E '^stat::' "$log" >/dev/null && echo "$seconds")
if [ -n "${runs:-}" ]; then
  echo "$target: $runs executions in ${elapsed}s ($(( runs / seconds )) exec/s)"
fi
if [ "$status" -ne 0 ]; then
  echo "$target: FINDING (exit $status); last lines of the log:" >&2
  tail -30 "$log" >&2
  ls -1 Fuzz/crashes/"$target"-* 2>/dev/null | sed 's/^/  input: /' >&2
  exit 1
fi
echo "$target: no finding"
