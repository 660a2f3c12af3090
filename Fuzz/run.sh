#!/usr/bin/env bash
# Fuzz/run.sh TARGET SECONDS   build one libFuzzer target (release, fuzzer + address sanitizers,
#                              its own scratch path .build-fuzz), run it from its seed corpus with
#                              its dictionary, print the executions per second, and exit 1 on a
#                              finding (the input is kept in Fuzz/crashes/ for a regression test).
# Fuzz/run.sh all SECONDS      every target in turn, SECONDS each; exit 1 if any found something.
# Exit 2: usage error or a target that does not build. See Fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
targets="FrameDecoderFuzzer QuantumLayerFuzzer VectorFileFuzzer ShimAnswerFuzzer"
usage="usage: Fuzz/run.sh TARGET|all SECONDS (targets: ${targets// /, })"
target=${1:?$usage}
seconds=${2:-30}
case "$seconds" in ''|*[!0-9]*|0) echo "error: SECONDS must be a positive whole number" >&2; exit 2 ;; esac

dictionary() {
  case "$1" in
    FrameDecoderFuzzer|QuantumLayerFuzzer) echo Fuzz/dictionaries/wire.dict ;;
    VectorFileFuzzer) echo Fuzz/dictionaries/vectors.dict ;;
    ShimAnswerFuzzer) echo Fuzz/dictionaries/shim.dict ;;
  esac
}

# Longest input: shim lines are short, so their fuzzer spends its time on many small requests.
max_len() {
  case "$1" in
    ShimAnswerFuzzer) echo 8192 ;;
    *) echo 65536 ;;
  esac
}

run_one() {
  local target=$1
  local buildlog
  buildlog=$(mktemp)
  if ! swift build -c release --scratch-path .build-fuzz --product "$target" \
    --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address >"$buildlog" 2>&1; then
    echo "error: building $target with the fuzzer sanitizer failed:" >&2
    tail -30 "$buildlog" >&2
    rm -f "$buildlog"
    return 2
  fi
  rm -f "$buildlog"
  local binary=.build-fuzz/release/$target
  local work
  work=$(mktemp -d)
  cp Fuzz/corpus/"$target"/* "$work"/ 2>/dev/null || true
  mkdir -p Fuzz/crashes
  local log=$work/fuzz.log status=0 start end
  start=$(date +%s)
  # SWIFT_BACKTRACE=enable=no: with the Swift backtracer on, a crash hangs instead of exiting.
  SWIFT_BACKTRACE=enable=no "$binary" "$work" -dict="$(dictionary "$target")" \
    -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix=Fuzz/crashes/"$target"- \
    -max_len="$(max_len "$target")" -timeout=25 -rss_limit_mb=2048 >"$log" 2>&1 || status=$?
  end=$(date +%s)
  local runs elapsed
  runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
  elapsed=$(( end - start > 0 ? end - start : 1 ))
  if [ -n "${runs:-}" ]; then
    echo "$target: $runs executions in ${elapsed}s ($(( runs / elapsed )) exec/s)"
  fi
  if [ "$status" -ne 0 ]; then
    echo "$target: FINDING (exit $status); last lines of the log:" >&2
    tail -30 "$log" >&2
    ls -1 Fuzz/crashes/"$target"-* 2>/dev/null | sed 's/^/  input: /' >&2
    rm -rf "$work"
    return 1
  fi
  rm -rf "$work"
  echo "$target: no finding"
}

if [ "$target" = all ]; then
  worst=0
  for t in $targets; do
    rc=0
    run_one "$t" || rc=$?
    if [ "$rc" -gt "$worst" ]; then worst=$rc; fi
  done
  # A finding (1) outranks nothing; a build failure (2) outranks a finding.
  exit "$worst"
fi
case " $targets " in
  *" $target "*) ;;
  *) echo "error: unknown fuzz target '$target' ($usage)" >&2; exit 2 ;;
esac
run_one "$target"
