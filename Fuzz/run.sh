#!/usr/bin/env bash
# Fuzz/run.sh TARGET SECONDS   build one libFuzzer target (release, fuzzer + address sanitizers,
#                              its own scratch path .build-fuzz), run it from its seed corpus with
#                              its dictionary, print the executions per second, and exit 1 on a
#                              finding (the input is kept in Fuzz/crashes/ for a regression test).
# Fuzz/run.sh all SECONDS      every target in turn, SECONDS each; exit 1 if any found something.
# After each target, FuzzFloor (a target that does nothing, same build, seeds, dictionary and
# input limit) runs for min(SECONDS, 10) s, and the target's rate is printed as a share of it:
# the same-run baseline, which carries between machines and minutes where exec/s does not.
# Exit 2: usage error or a target that does not build. See Fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
targets="FrameDecoderFuzzer FrameRoundTripFuzzer QuantumLayerFuzzer VectorFileFuzzer ShimAnswerFuzzer CapturePcapFuzzer StreamReassemblerFuzzer
  ETSI014ModelsFuzzer TargetFileFuzzer KeyOutputFuzzer"
targets=$(echo $targets)
usage="usage: Fuzz/run.sh TARGET|all SECONDS (targets: ${targets// /, })"
target=${1:?$usage}
seconds=${2:-30}
case "$seconds" in ''|*[!0-9]*|0) echo "error: SECONDS must be a positive whole number" >&2; exit 2 ;; esac

dictionary() {
  case "$1" in
    FrameDecoderFuzzer|FrameRoundTripFuzzer|QuantumLayerFuzzer) echo Fuzz/dictionaries/wire.dict ;;
    VectorFileFuzzer) echo Fuzz/dictionaries/vectors.dict ;;
    ShimAnswerFuzzer) echo Fuzz/dictionaries/shim.dict ;;
    CapturePcapFuzzer) echo Fuzz/dictionaries/pcap.dict ;;
    StreamReassemblerFuzzer) echo Fuzz/dictionaries/segments.dict ;;
    ETSI014ModelsFuzzer) echo Fuzz/dictionaries/etsi014.dict ;;
    TargetFileFuzzer) echo Fuzz/dictionaries/target.dict ;;
    KeyOutputFuzzer) echo Fuzz/dictionaries/keyoutput.dict ;;
  esac
}

# Longest input: shim lines, segment lists and key outputs are short, so their fuzzers spend
# their time on many small inputs; captures and vector files need room.
max_len() {
  case "$1" in
    ShimAnswerFuzzer|StreamReassemblerFuzzer|KeyOutputFuzzer) echo 8192 ;;
    ETSI014ModelsFuzzer|TargetFileFuzzer) echo 16384 ;;
    *) echo 65536 ;;
  esac
}

# Builds one target for fuzzing (release, fuzzer + address sanitizers). All targets share the
# scratch path, so the modules they have in common are compiled once.
build_one() {
  local target=$1 buildlog
  buildlog=$(mktemp)
  if ! swift build -c release --scratch-path .build-fuzz --product "$target" \
    --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address >"$buildlog" 2>&1; then
    echo "error: building $target with the fuzzer sanitizer failed:" >&2
    tail -30 "$buildlog" >&2
    rm -f "$buildlog"
    return 2
  fi
  rm -f "$buildlog"
}

# The rate of FuzzFloor on the seeds, dictionary and input limit of target $1, for $2 seconds:
# libFuzzer's own average_exec_per_sec, or nothing if it did not run.
floor_rate() {
  local target=$1 seconds=$2 work
  work=$(mktemp -d)
  cp Fuzz/corpus/"$target"/* "$work"/ 2>/dev/null || true
  SWIFT_BACKTRACE=enable=no .build-fuzz/release/FuzzFloor "$work" -dict="$(dictionary "$target")" \
    -max_total_time="$seconds" -print_final_stats=1 -max_len="$(max_len "$target")" \
    >"$work/floor.log" 2>&1 || true
  grep -E '^stat::average_exec_per_sec' "$work/floor.log" | awk '{print $2}' || true
  rm -rf "$work"
}

run_one() {
  local target=$1
  # `all` has built every target already; a single target is built here.
  if [ "${2:-}" != built ]; then build_one "$target" || return 2; build_one FuzzFloor || return 2; fi
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
  local runs elapsed rate
  runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
  # libFuzzer's own rate (executions over its fuzzing time, without start-up and corpus loading).
  rate=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}' || true)
  elapsed=$(( end - start > 0 ? end - start : 1 ))
  if [ -n "${runs:-}" ]; then
    echo "$target: $runs executions in ${elapsed}s (${rate:-$(( runs / elapsed ))} exec/s)"
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
  local floor
  floor=$(floor_rate "$target" $(( seconds < 10 ? seconds : 10 )))
  if [ -n "${rate:-}" ] && [ -n "${floor:-}" ] && [ "$floor" -gt 0 ]; then
    echo "$target: $(awk -v r="$rate" -v f="$floor" 'BEGIN { printf "%.3g", 100 * r / f }') % of the floor (FuzzFloor: $floor exec/s on the same seeds, just after)"
  fi
}

if [ "$target" = all ]; then
  # Every target is built before any runs: a target that does not build is reported at once.
  build_start=$(date +%s)
  for t in $targets FuzzFloor; do
    build_one "$t" || exit 2
  done
  echo "built $(echo $targets | wc -w) targets in $(( $(date +%s) - build_start ))s"
  worst=0
  for t in $targets; do
    rc=0
    run_one "$t" built || rc=$?
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
