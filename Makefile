# The two commands of the README, and a few conveniences.
.PHONY: deps build release dry-run test test-dev test-asan fuzz bench golden-update clean

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
