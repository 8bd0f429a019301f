# The two commands of the README, and a few conveniences.
.PHONY: deps build release dry-run run-local test test-dev test-asan fuzz bench golden-update clean

JOBS ?= $(shell nproc)

deps:
	./scripts/install-deps.sh

build: deps
	cmake --preset dev >/dev/null
	cmake --build --preset dev -j $(JOBS)

release: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target fivenines-agent

# One collection of this host, printed as JSON on stdout (nothing is sent).
dry-run: release
	./build/release/fivenines-agent --dry-run

# Continuous mode for real, against the loopback test API over TLS (a CA made
# now), interval 30 s, until Ctrl-C; DURATION=N stops after N seconds.
run-local: release
	AGENT=build/release/fivenines-agent ./scripts/run-local.sh

# Every test: the dev build, then the same suite under ASan+UBSan, then a
# short run of each fuzz target.
test: deps
	./scripts/run-tests.sh

test-dev: build
	ctest --preset dev -j $(JOBS)

test-asan: deps
	cmake --preset asan-ubsan >/dev/null
	cmake --build --preset asan-ubsan -j $(JOBS)
	ctest --preset asan-ubsan -j $(JOBS)

fuzz: deps
	./scripts/run-fuzz.sh 10

bench: release
	./bench/run.sh

# Rewrites tests/golden/*.json from the current binary; review the diff.
golden-update: build
	UPDATE_GOLDEN=1 ./build/dev/tests/golden_test

clean:
	rm -rf build
