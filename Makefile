# The user's entry points. Every target that needs a build depends on deps and
# build, so `make test` alone works on a fresh Debian bookworm as root.
BUILD_DIR    ?= build
BENCH_DIR    ?= build-release
BUILD_TYPE   ?= RelWithDebInfo
PREFIX       ?= /usr/local
JOBS         ?= $(shell nproc)

# Debian bookworm packages the build needs (and only those).
PACKAGES := build-essential cmake ninja-build ccache pkg-config git \
  libabsl-dev libsimdjson-dev libfmt-dev librocksdb-dev libcurl4-openssl-dev libssl-dev \
  libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev libyaml-cpp-dev \
  libcpp-httplib-dev libboost1.81-dev
# For `make test` only: promtool (package prometheus) checks our /metrics
# output. Kept out of `make deps` because on a systemd host the package also
# starts a Prometheus server on :9090, Apollo's default metrics port.
TEST_PACKAGES := prometheus
# For `make bench` only: db_bench, RocksDB's own reference figures.
BENCH_PACKAGES := rocksdb-tools

.PHONY: deps test-deps bench-deps build run test bench crash install clean

# Installs what is missing; a no-op (no apt-get at all) when everything is there.
deps:
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

test-deps: deps
	@dpkg-query -W -f='$${Status}\n' $(TEST_PACKAGES) 2>/dev/null | grep -q '^install ok installed' || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(TEST_PACKAGES))

bench-deps: deps
	@dpkg-query -W -f='$${Status}\n' $(BENCH_PACKAGES) 2>/dev/null | grep -q '^install ok installed' || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(BENCH_PACKAGES))

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Paper mode over the bundled recorded data into data/ledger, then a summary.
# Run it again: it resumes from the ledger, finds nothing new, prints the same.
run: build
	$(BUILD_DIR)/bin/bot --config config.yaml --mode paper

test: test-deps build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# The crash matrix with N kills (the test suite runs 25): prints the kills by
# kind and the time taken. `make crash N=1000`.
N ?= 25
crash: build
	APOLLO_CRASH_KILLS=$(N) $(BUILD_DIR)/bin/crash_matrix_test

bench: bench-deps
	cmake -S . -B $(BENCH_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(BENCH_DIR) -j $(JOBS)
	bench/run.sh $(BENCH_DIR)

install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD_DIR) $(BENCH_DIR)
