#!/usr/bin/env python3
"""Writes the seed corpora of the vector fuzzers from vectors/: small vector files (each file's
envelope with the first tests of every group) for VectorFileFuzzer, and shim request and answer
lines (docs/targets.md, "Shim") for ShimAnswerFuzzer. Rerun after the vectors change:

  python3 Fuzz/make_vector_corpus.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "vectors")
LIMIT = 60000  # vector files: below run.sh's -max_len for VectorFileFuzzer
LINE_LIMIT = 8000  # shim lines: below run.sh's -max_len for ShimAnswerFuzzer

OUTPUTS = {
    "BB84-SIFTING": ["sifted"], "BB84-PARAMETER-ESTIMATION": ["samplePositions", "sampleErrors", "abort"],
    "GF2_64-POLYHASH-VERIFICATION": ["tag"], "TOEPLITZ-PRIVACY-AMPLIFICATION": ["output"], "WEGMAN-CARTER-GF2_64": ["tag"],
    "BB84-FINITE-KEY-TLGR2012": ["length"], "CASCADE-TRANSCRIPT": ["reconciled", "disclosedParityBits"],
}
BOOKKEEPING = {"tcId", "comment", "flags", "result", "exactLength", "alice_withheld"}


def canonical(doc):
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write(directory, name, text):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "w", encoding="utf-8") as f:
        f.write(text)


def main():
    files_dir = os.path.join(HERE, "corpus", "VectorFileFuzzer")
    shim_dir = os.path.join(HERE, "corpus", "ShimAnswerFuzzer")
    for name in sorted(os.listdir(VECTORS)):
        if not name.endswith(".json"):
            continue
        with open(os.path.join(VECTORS, name), encoding="utf-8") as f:
            doc = json.load(f)
        stem = name[:-5]
        # Small files: the envelope with the smallest tests of each group.
        for keep in (1, 3):
            small = dict(doc)
            small["testGroups"] = []
            for g in doc["testGroups"]:
                tests = sorted(g["tests"], key=lambda t: len(json.dumps(t)))[:keep]
                small["testGroups"].append(dict(g, tests=tests))
            small["numberOfTests"] = sum(len(g["tests"]) for g in small["testGroups"])
            text = canonical(small)
            if len(text.encode()) <= LIMIT:
                write(files_dir, "%s-%d" % (stem, keep), text)
        # Shim lines: a request per test (small ones), and the answers a shim could give.
        algorithm = doc["algorithm"]
        tests = sorted((t for g in doc["testGroups"] for t in g["tests"]), key=lambda t: len(json.dumps(t)))[:6]
        for i, t in enumerate(tests):
            dropped = set(OUTPUTS[algorithm]) | BOOKKEEPING | ({"alice"} if algorithm == "CASCADE-TRANSCRIPT" else set())
            request = {"id": i + 1, "algorithm": algorithm, "input": {k: v for k, v in t.items() if k not in dropped}}
            line = json.dumps(request, sort_keys=True)
            if len(line) <= LINE_LIMIT:
                write(shim_dir, "request-%s-%d" % (stem, i), line)
            answer = json.dumps({"id": i + 1, "output": {k: t[k] for k in OUTPUTS[algorithm] if k in t}}, sort_keys=True)
            if len(answer) <= LINE_LIMIT:
                write(shim_dir, "answer-%s-%d" % (stem, i), answer)
    write(shim_dir, "answer-error", '{"id": 1, "error": "refused: seed too short"}')
    write(shim_dir, "answer-unimplemented", '{"id": 1, "unimplemented": true}')
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
