#!/bin/bash -eu
# Builds every Fuzz/ target with the flags OSS-Fuzz's precompile_swift sets for the sanitizer
# being built ($SANITIZER), and copies each binary, its dictionary and its seed corpus to $OUT.
# The target list and each target's dictionary are Fuzz/run.sh's.
. precompile_swift
cd "$SRC/qkdspec"
dictionary() {
  case "$1" in
    FrameDecoderFuzzer|FrameRoundTripFuzzer|QuantumLayerFuzzer) echo wire ;;
    VectorFileFuzzer) echo vectors ;;
    ShimAnswerFuzzer) echo shim ;;
    CapturePcapFuzzer) echo pcap ;;
    StreamReassemblerFuzzer) echo segments ;;
    ETSI014ModelsFuzzer) echo etsi014 ;;
    TargetFileFuzzer) echo target ;;
    KeyOutputFuzzer) echo keyoutput ;;
  esac
}
for target in FrameDecoderFuzzer FrameRoundTripFuzzer QuantumLayerFuzzer VectorFileFuzzer ShimAnswerFuzzer CapturePcapFuzzer \
  StreamReassemblerFuzzer ETSI014ModelsFuzzer TargetFileFuzzer KeyOutputFuzzer; do
  swift build -c release --product "$target" $SWIFTFLAGS
  cp ".build/release/$target" "$OUT/"
  cp "Fuzz/dictionaries/$(dictionary "$target").dict" "$OUT/$target.dict"
  (cd "Fuzz/corpus/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
done
