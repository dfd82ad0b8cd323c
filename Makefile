# Thin wrappers; see README.md. Every target installs what it needs first.
BUILD ?= build
PYTHON ?= /usr/bin/python3
JOBS ?= $(shell nproc)

.PHONY: deps build demo test unit integration bench format clean

deps:
	scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

# The quick start: a server on embedded SQLite in a fresh home, a real
# training job that logs to it, a registered model with alias "champion".
demo: build
	scripts/demo

test: build
	scripts/run-tests

unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

integration: build
	$(PYTHON) -m pytest tests/integration -q

bench: build
	scripts/run-benchmarks

format:
	find src bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD)
