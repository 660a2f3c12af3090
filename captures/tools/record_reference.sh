#!/bin/sh
# Records the reference-node sessions of captures/ with `qkdspec demo --pcap` (Alice's side of
# the control channel, as a tap sees it), one clean and one per bug knob that shows on the wire.
# Usage: captures/tools/record_reference.sh [QKDSPEC]   (default: .build/debug/qkdspec), from the
# repository root. The nodes' keys and PSK are random per run, so the files differ byte for byte
# between runs; what captures/manifest.json states about them does not. Each demo also writes
# FILE.replay.json beside its capture (the scenario and seed, which `qkdspec replay` needs to
# regenerate the nodes' records; docs/captures.md, "The replay sidecar").
set -e
Q=${1:-.build/debug/qkdspec}
COMMON="--distance-km 10 --blocks 4 --block-pulses 4194304 --frame-bits 32768 --seed 1"
$Q demo $COMMON --pcap captures/recording-clean.pcap
# Recorded at the harness with both quantum-layer feeds: replayable from the capture alone.
$Q demo --distance-km 10 --blocks 4 --block-pulses 2097152 --frame-bits 16384 --seed 1 --pcap-records \
  --pcap captures/recording-clean-records.pcap
rm -f captures/recording-clean-records.pcap.replay.json
$Q demo $COMMON --eve intercept-resend:1 --pcap captures/recording-clean-eve.pcap
for bug in ignore-qber-threshold; do
  $Q demo $COMMON --eve intercept-resend:1 --bug $bug --pcap captures/recording-bug-$bug.pcap || true
done
for bug in overclaim-key-length uncounted-leakage reuse-key-id skip-verification; do
  $Q demo $COMMON --bug $bug --pcap captures/recording-bug-$bug.pcap || true
done
