# qkdspec — the README's two commands are `make run` and `make test`.
SWIFT   ?= swift
RELEASE := .build/release/qkdspec

.PHONY: setup build release run demo lint test bench fuzz install clean help

help:
	@echo "make run    install what is missing, build (release) and run the conformance cases (qkdspec run)"
	@echo "make demo   the simulator, the key-rate oracle and two reference nodes on loopback"
	@echo "make lint   check the style rules of .swift-format (swift format lint)"
	@echo "make test   install what is missing, lint, and run the test suite"
	@echo "make bench  benchmarks (release build)"
	@echo "make fuzz   run each libFuzzer target for FUZZ_SECONDS (default 30)"
	@echo "make install [PREFIX=/usr/local]  build (release) and install qkdspec into PREFIX/bin"

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release --product qkdspec

# The main job: the conformance cases against the embedded reference stack.
run: release
	$(RELEASE) run

# The simulator and the reference nodes on their own.
demo: release
	$(RELEASE) simulate --distance-km 50 --pulses 1e9 --seed 7
	$(RELEASE) rate --distance-km 0,50,100,140 --mu 0.48
	$(RELEASE) demo --distance-km 10 --blocks 20

# The style rules of .swift-format (docs/architecture.md, "Style"). swift-format's lint also
# diffs every file against its own pretty-printer, which no configuration turns off and which
# does not keep this code's aligned continuation lines, so only the rules are checked here.
lint:
	$(SWIFT) format lint --strict --parallel --recursive --configuration .swift-format --debug-disable-pretty-print \
		Package.swift Sources Tests Fuzz Benchmarks

# The style rules, the test suite, then the known-answer vectors: schema lint, the reference
# against every vector, and the independent Python implementation recomputing every expected value.
test: setup lint
	# One test at a time: the suites start node processes, TLS servers and in-process engines
	# with real timeouts, and run side by side on two cores they starve each other (timeouts
	# that say nothing of the code). Key delivery's TLS servers are tested on their own as well.
	$(SWIFT) test --no-parallel --skip KeyDeliveryTests
	$(SWIFT) test --no-parallel --filter KeyDeliveryTests
	$(SWIFT) build --product qkdspec
	.build/debug/qkdspec vectors lint vectors
	.build/debug/qkdspec vectors verify vectors
	python3 vectors/tools/qkdvectors.py check vectors
	python3 examples/stack-python/selfcheck.py vectors

bench: release
	$(RELEASE) bench cascade --qber 0.02 --frame-bits 10000 --frames 1000
	$(RELEASE) bench pa --input-bits 1000000
	$(RELEASE) bench verify
	$(RELEASE) bench decode
	$(RELEASE) bench simulate --distance-km 50 --threads 1
	$(RELEASE) bench simulate --distance-km 50 --threads 2
	$(RELEASE) bench simulate --distance-km 0 --threads 1
	$(RELEASE) bench simulate --distance-km 0 --threads 2

# Each libFuzzer target for FUZZ_SECONDS (CI: 30).
FUZZ_SECONDS ?= 30
fuzz: setup
	Fuzz/run.sh all $(FUZZ_SECONDS)

# The release binary into $(PREFIX)/bin, so `qkdspec` (the README's commands, the reproduce
# lines) is on PATH. DESTDIR stages it for packaging.
PREFIX ?= /usr/local
install: release
	install -d "$(DESTDIR)$(PREFIX)/bin"
	install -m 0755 $(RELEASE) "$(DESTDIR)$(PREFIX)/bin/qkdspec"
	@echo "installed $(DESTDIR)$(PREFIX)/bin/qkdspec"

clean:
	rm -rf .build
