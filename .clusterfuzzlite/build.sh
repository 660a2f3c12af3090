#!/bin/bash -eu
# Builds every Fuzz/ target with the flags OSS-Fuzz's precompile_swift sets for the sanitizer
# being built ($SANITIZER), and copies each binary, its dictionary and its seed corpus to $OUT.
. precompile_swift
cd "$SRC/qkdspec"
for target in FrameDecoderFuzzer QuantumLayerFuzzer VectorFileFuzzer ShimAnswerFuzzer; do
  swift build -c release --product "$target" $SWIFTFLAGS
  cp ".build/release/$target" "$OUT/"
  case "$target" in
    FrameDecoderFuzzer|QuantumLayerFuzzer) cp Fuzz/dictionaries/wire.dict "$OUT/$target.dict" ;;
    VectorFileFuzzer) cp Fuzz/dictionaries/vectors.dict "$OUT/$target.dict" ;;
    ShimAnswerFuzzer) cp Fuzz/dictionaries/shim.dict "$OUT/$target.dict" ;;
  esac
  (cd "Fuzz/corpus/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
done
