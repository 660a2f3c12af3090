#!/usr/bin/env python3
"""Writes the JSON Schemas (draft 2020-12) of the vector files into vectors/schema/:
common.json (the envelope, notes, source and value formats every file shares) and one
versioned schema per algorithm that references it. Every field carries a description.

Run after changing a vector format: python3 vectors/tools/make_schemas.py vectors/schema
A format change that breaks readers gets a new version (_v2) beside the old one.
"""
import json
import os
import sys

BASE = "https://qkdspec.invalid/vectors/schema/"
COMMON = "common.json"


def ref(name, description):
    return {"$ref": COMMON + "#/$defs/" + name, "description": description}


def common():
    defs = {
        "HexBytes": {"type": "string", "format": "HexBytes",
                     "description": "Bytes as lowercase hex, two digits a byte. A bit string of n bits takes "
                                    "ceil(n/8) bytes, bit i being bit (i mod 8) of byte floor(i/8); bits past n are zero."},
        "HexWord64": {"type": "string", "format": "HexBytes", "minLength": 16, "maxLength": 16,
                      "description": "A 64-bit value as 16 lowercase hex digits, most significant first."},
        "Count": {"type": "integer", "minimum": 0, "description": "A count of bits or items."},
        "Seed": {"type": "integer", "minimum": 0, "maximum": 18446744073709551615,
                 "description": "A 64-bit seed of the Philox streams (docs/prng.md), 0 to 2^64 - 1."},
        "Positions": {"type": "array", "items": {"$ref": "#/$defs/Count"},
                      "description": "Bit positions (indices from 0), ascending."},
        "Result": {"enum": ["valid", "invalid", "acceptable"],
                   "description": "valid: compute exactly the expected outputs. invalid: refuse the input with an "
                                  "error (for a WrongTag vector, a tag that does not verify). acceptable: refuse, "
                                  "or compute exactly the expected outputs; the notes of its flags say why either is defensible."},
        "Flags": {"type": "array", "items": {"type": "string"},
                  "description": "Names of the notes that explain why this test exists."},
        "NoteEntry": {
            "type": "object", "additionalProperties": False, "required": ["bugType", "description"],
            "description": "What a flag means.",
            "properties": {
                "bugType": {"enum": ["EDGE_CASE", "MISSING_STEP", "AUTH_BYPASS", "PROTOCOL", "FUNCTIONALITY", "SECURITY",
                                     "BOUNDARY", "WEAK_PARAMETER"],
                            "description": "The class of defect the flagged tests find."},
                "description": {"type": "string", "description": "What the flagged tests check."},
                "effect": {"type": "string",
                           "description": "What a stack with this defect gives away (security-relevant flags)."},
                "links": {"type": "array", "items": {"type": "string"}, "description": "Where the rule is written."},
            }},
        "Notes": {"type": "object", "additionalProperties": {"$ref": "#/$defs/NoteEntry"},
                  "description": "Every flag used in the file, by name."},
        "Source": {
            "type": "object", "additionalProperties": False, "required": ["name", "version"],
            "description": "Where a group's expected values come from.",
            "properties": {
                "name": {"type": "string", "description": "The generator: a tool of this repository."},
                "version": {"type": "string", "description": "The generator's version; it changes when its output does."},
                "description": {"type": "string", "description": "How the values were computed and checked."},
            }},
        "Header": {"type": "array", "items": {"type": "string"}, "description": "Free text about the file."},
    }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": BASE + COMMON,
            "title": "Definitions shared by every qkdspec vector file", "$defs": defs}


HEX = lambda d: ref("HexBytes", d)  # noqa: E731
WORD = lambda d: ref("HexWord64", d)  # noqa: E731
COUNT = lambda d: ref("Count", d)  # noqa: E731
NUM = lambda d: {"type": "number", "description": d}  # noqa: E731

TESTS = {
    "sifting": ("BB84-SIFTING", "SiftingTest", {
        "detections": COUNT("Number of detections n in the frame."),
        "classes": COUNT("Number of intensity classes declared (1 to 4)."),
        "aliceBits": HEX("Alice's n bit values."), "aliceBases": HEX("Alice's n bases (0 = Z, 1 = X)."),
        "bobBits": HEX("Bob's n measured bits."), "bobBases": HEX("Bob's measurement bases."),
        "bobBasesBits": COUNT("Length of bobBases when it differs from detections (invalid tests only)."),
        "intensityClasses": {"type": "array", "items": ref("Count", "A class index."),
                             "description": "The intensity class of each detection."},
        "sifted": {"type": "array", "description": "Expected: the sifted bits per (class, basis), in class then basis order, empty pairs left out.",
                   "items": {"type": "object", "additionalProperties": False,
                             "required": ["class", "basis", "detections", "bits", "alice", "bob"],
                             "description": "The sifted bits of one (class, basis) pair.",
                             "properties": {"class": COUNT("Intensity class."),
                                            "basis": {"enum": [0, 1], "description": "Basis (0 = Z, 1 = X)."},
                                            "detections": ref("Positions", "Detection indices kept, ascending."),
                                            "bits": COUNT("Number of sifted bits."), "alice": HEX("Alice's sifted bits."),
                                            "bob": HEX("Bob's sifted bits.")}}},
    }, ["detections", "classes", "aliceBits", "aliceBases", "bobBits", "bobBases", "intensityClasses", "sifted"]),
    "parameter_estimation": ("BB84-PARAMETER-ESTIMATION", "ParameterEstimationTest", {
        "bits": COUNT("Sifted length n."), "alice": HEX("Alice's sifted key."), "bob": HEX("Bob's sifted key."),
        "sampleSize": COUNT("Sample size k (1 <= k < n)."),
        "seed": ref("Seed", "Seed of the sample's Philox stream (stream SAMP, index n)."),
        "alpha": NUM("Confidence level of the Clopper-Pearson bound, in (0, 1)."),
        "threshold": NUM("Declared QBER threshold, in [0, 0.5]; the frame aborts when the sample's QBER is above it (equality proceeds)."),
        "samplePositions": ref("Positions", "Expected: the k sampled positions, ascending."),
        "sampleErrors": COUNT("Expected: errors in the sample."),
        "abort": {"type": "boolean", "description": "Expected: whether the frame aborts (sampleErrors / k > threshold)."},
    }, ["bits", "alice", "bob", "sampleSize", "seed", "alpha", "threshold", "samplePositions", "sampleErrors", "abort"]),
    "verification": ("GF2_64-POLYHASH-VERIFICATION", "PolynomialHashTest", {
        "bits": COUNT("Key length in bits."), "key": HEX("The reconciled key."),
        "hashKey": WORD("The hash key k, an element of GF(2^64)."), "tag": WORD("Expected: the tag (for WrongTag tests, the forged tag)."),
    }, ["bits", "key", "hashKey", "tag"]),
    "toeplitz": ("TOEPLITZ-PRIVACY-AMPLIFICATION", "ToeplitzHashTest", {
        "inputBits": COUNT("Input length n."), "outputBits": COUNT("Output length l (1 <= l <= n)."),
        "input": HEX("The reconciled key."), "seed": HEX("The Toeplitz seed, n + l - 1 bits."),
        "seedBits": COUNT("Seed length in bits."), "output": HEX("Expected: the final key, l bits."),
    }, ["inputBits", "outputBits", "input", "seed", "seedBits", "output"]),
    "wegman_carter": ("WEGMAN-CARTER-GF2_64", "WegmanCarterTest", {
        "message": HEX("The authenticated message bytes."), "hashKey": WORD("The polynomial hash key."),
        "pad": WORD("The one-time pad of the tag."), "tag": WORD("Expected: the tag (for WrongTag tests, the forged tag)."),
    }, ["message", "hashKey", "pad", "tag"]),
    "finite_key": ("BB84-FINITE-KEY-TLGR2012", "FiniteKeyLengthTest", {
        "keyBits": {"type": "integer", "description": "Key bits n (at least 1)."},
        "sampleBits": {"type": "integer", "description": "Parameter-estimation bits k (at least 1)."},
        "qber": NUM("Tolerated QBER Q, in [0, 0.5]."), "leakedBits": NUM("Bits leaked by error correction, finite and >= 0."),
        "epsilonSecrecy": NUM("Secrecy parameter, in (0, 1)."), "epsilonCorrectness": NUM("Correctness parameter, in (0, 1)."),
        "length": COUNT("Expected: floor of the bound, 0 when it is negative."),
        "exactLength": NUM("The bound as a real number (information: not an output)."),
    }, ["keyBits", "sampleBits", "qber", "leakedBits", "epsilonSecrecy", "epsilonCorrectness", "length", "exactLength"]),
    "cascade": ("CASCADE-TRANSCRIPT", "CascadeTranscriptTest", {
        "bits": COUNT("Frame length n."),
        "variant": {"enum": ["original", "yanetal", "extended"], "description": "Cascade variant (docs/postprocessing.md)."},
        "passes": COUNT("Passes of the variant."), "qber": NUM("Estimated QBER, in (0, 0.5): sets the first block size."),
        "permutationSeed": ref("Seed", "Seed of the passes' permutations (stream CASC + pass, index n)."),
        "alice": HEX("Alice's key (withheld from a shim: it plays Bob)."), "bob": HEX("Bob's key."),
        "transcript": {"type": "array", "description": "The parity exchange, round by round.",
                       "items": {"type": "object", "additionalProperties": False, "required": ["round", "queries", "parities"],
                                 "description": "One round: Bob's queries and Alice's parities.",
                                 "properties": {"round": COUNT("Round number from 0."),
                                                "parities": HEX("Alice's parities, one bit a query."),
                                                "parityCount": COUNT("Number of parities when it differs from the queries (invalid tests)."),
                                                "queries": {"type": "array", "description": "Bob's queries as [pass, start, end): the parity of permuted positions start ..< end.",
                                                            "items": {"type": "array", "items": COUNT("pass, start or end"),
                                                                      "minItems": 3, "maxItems": 3, "description": "[pass, start, end]"}}}}},
        "disclosedParityBits": COUNT("Expected: parities Bob was told."), "reconciled": HEX("Expected: Bob's key at the end."),
    }, ["bits", "variant", "passes", "qber", "permutationSeed", "alice", "bob", "transcript", "disclosedParityBits", "reconciled"]),
}


def schema_name(stem):
    return stem + "_schema_v1.json"


def schema(stem, algorithm, test_type, fields, required):
    name = schema_name(stem)
    test_props = {"tcId": {"type": "integer", "minimum": 1, "description": "Test number, unique in the file, stable across versions."},
                  "comment": {"type": "string", "description": "What the test is."},
                  "flags": ref("Flags", "Flags of this test (see notes)."),
                  "result": ref("Result", "What an implementation must do.")}
    test_props.update(fields)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": BASE + name,
        "title": test_type + " vectors (" + algorithm + "), version 1",
        "type": "object", "additionalProperties": False,
        "required": ["algorithm", "schema", "numberOfTests", "notes", "testGroups"],
        "properties": {
            "algorithm": {"const": algorithm, "description": "The primitive the file tests."},
            "schema": {"const": name, "description": "This schema's file name."},
            "numberOfTests": {"type": "integer", "minimum": 0, "description": "Tests in the file."},
            "header": ref("Header", "Free text about the file."),
            "notes": ref("Notes", "The flags used in the file."),
            "testGroups": {"type": "array", "description": "Tests grouped by source and shared parameters.", "items": {
                "type": "object", "required": ["type", "source", "tests"],
                "description": "A group; fields other than type, source and tests describe the group's construction.",
                "additionalProperties": {"type": "string", "description": "A description of the group's construction."},
                "properties": {
                    "type": {"const": test_type, "description": "The test type."},
                    "source": ref("Source", "Where the group's expected values come from."),
                    "tests": {"type": "array", "description": "The tests.", "items": {
                        "type": "object", "additionalProperties": False,
                        "required": ["tcId", "comment", "flags", "result"] + required,
                        "description": "One test.",
                        "properties": test_props}}}}},
        },
    }


def write(path, doc):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")


def main(argv):
    out = argv[0] if argv else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "schema")
    os.makedirs(out, exist_ok=True)
    write(os.path.join(out, COMMON), common())
    for stem, (algorithm, test_type, fields, required) in TESTS.items():
        write(os.path.join(out, schema_name(stem)), schema(stem, algorithm, test_type, fields, required))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
