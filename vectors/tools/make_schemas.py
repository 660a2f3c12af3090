#!/usr/bin/env python3
"""Writes the JSON Schemas (draft 2020-12) of the vector files into vectors/schema/.

Every file shares the Wycheproof-like envelope; only a test's own fields differ. Run after
changing a vector format: python3 vectors/tools/make_schemas.py vectors/schema
"""
import json
import os
import sys

HEX = {"type": "string", "pattern": "^([0-9a-f]{2})*$"}
HEX64 = {"type": "string", "pattern": "^[0-9a-f]{16}$"}
INT0 = {"type": "integer", "minimum": 0}
NUM = {"type": "number"}
INTS = {"type": "array", "items": INT0}

TESTS = {
    "sifting_schema.json": ("SiftingTest", {
        "detections": INT0, "classes": INT0, "aliceBits": HEX, "aliceBases": HEX, "bobBits": HEX, "bobBases": HEX,
        "bobBasesBits": INT0, "intensityClasses": INTS,
        "sifted": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                              "required": ["class", "basis", "detections", "bits", "alice", "bob"],
                                              "properties": {"class": INT0, "basis": {"enum": [0, 1]}, "detections": INTS,
                                                             "bits": INT0, "alice": HEX, "bob": HEX}}},
    }, ["detections", "classes", "aliceBits", "aliceBases", "bobBits", "bobBases", "intensityClasses", "sifted"]),
    "parameter_estimation_schema.json": ("ParameterEstimationTest", {
        "bits": INT0, "alice": HEX, "bob": HEX, "sampleSize": INT0, "seed": INT0, "alpha": NUM, "threshold": NUM,
        "samplePositions": INTS, "sampleErrors": INT0, "abort": {"type": "boolean"},
    }, ["bits", "alice", "bob", "sampleSize", "seed", "alpha", "threshold", "samplePositions", "sampleErrors", "abort"]),
    "verification_schema.json": ("PolynomialHashTest", {
        "bits": INT0, "key": HEX, "hashKey": HEX64, "tag": HEX64,
    }, ["bits", "key", "hashKey", "tag"]),
    "toeplitz_schema.json": ("ToeplitzHashTest", {
        "inputBits": INT0, "outputBits": INT0, "input": HEX, "seed": HEX, "seedBits": INT0, "output": HEX,
    }, ["inputBits", "outputBits", "input", "seed", "seedBits", "output"]),
    "wegman_carter_schema.json": ("WegmanCarterTest", {
        "message": HEX, "hashKey": HEX64, "pad": HEX64, "tag": HEX64,
    }, ["message", "hashKey", "pad", "tag"]),
    "finite_key_schema.json": ("FiniteKeyLengthTest", {
        "keyBits": INT0, "sampleBits": INT0, "qber": NUM, "leakedBits": NUM, "epsilonSecrecy": NUM,
        "epsilonCorrectness": NUM, "length": INT0, "exactLength": NUM,
    }, ["keyBits", "sampleBits", "qber", "leakedBits", "epsilonSecrecy", "epsilonCorrectness", "length", "exactLength"]),
    "cascade_schema.json": ("CascadeTranscriptTest", {
        "bits": INT0, "variant": {"enum": ["original", "yanetal", "extended"]}, "passes": INT0, "qber": NUM,
        "permutationSeed": INT0, "alice": HEX, "bob": HEX,
        "transcript": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                                  "required": ["round", "queries", "parities"],
                                                  "properties": {"round": INT0, "parities": HEX, "parityCount": INT0,
                                                                 "queries": {"type": "array", "items": {
                                                                     "type": "array", "items": INT0, "minItems": 3, "maxItems": 3}}}}},
        "disclosedParityBits": INT0, "reconciled": HEX,
    }, ["bits", "variant", "passes", "qber", "permutationSeed", "alice", "bob", "transcript", "disclosedParityBits", "reconciled"]),
}


def schema(name, test_type, fields, required):
    test_props = {"tcId": {"type": "integer", "minimum": 1}, "comment": {"type": "string"},
                  "flags": {"type": "array", "items": {"type": "string"}},
                  "result": {"enum": ["valid", "invalid", "acceptable"]}}
    test_props.update(fields)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://qkdspec.invalid/vectors/schema/" + name,
        "title": test_type + " vectors",
        "type": "object",
        "required": ["algorithm", "schema", "numberOfTests", "notes", "testGroups"],
        "properties": {
            "algorithm": {"type": "string"},
            "schema": {"enum": [name]},
            "generatorVersion": {"type": "string"},
            "numberOfTests": {"type": "integer", "minimum": 0},
            "header": {"type": "array", "items": {"type": "string"}},
            "notes": {"type": "object", "additionalProperties": {
                "type": "object", "required": ["bugType", "description"],
                "properties": {"bugType": {"type": "string"}, "description": {"type": "string"}}}},
            "testGroups": {"type": "array", "items": {
                "type": "object", "required": ["type", "source", "tests"],
                "properties": {
                    "type": {"enum": [test_type]},
                    "source": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
                    "tests": {"type": "array", "items": {
                        "type": "object", "additionalProperties": False,
                        "required": ["tcId", "comment", "flags", "result"] + required,
                        "properties": test_props}}}}},
        },
    }


def main(argv):
    out = argv[0] if argv else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "schema")
    os.makedirs(out, exist_ok=True)
    for name, (test_type, fields, required) in TESTS.items():
        with open(os.path.join(out, name), "w") as f:
            json.dump(schema(name, test_type, fields, required), f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
