# The user's entry points. Every target that needs a build depends on deps and
# build, so `make test` alone works on a fresh Debian bookworm as root.
BUILD_DIR    ?= build
BENCH_DIR    ?= build-release
ASAN_DIR     ?= build-asan
BUILD_TYPE   ?= RelWithDebInfo
PREFIX       ?= /usr/local
JOBS         ?= $(shell nproc)
# Seconds each libFuzzer target runs in `make fuzz`; `make test` gives each
# TEST_FUZZ_SECONDS.
FUZZ_SECONDS ?= 60
TEST_FUZZ_SECONDS ?= 12

# Debian bookworm packages the build needs (and only those).
PACKAGES := build-essential cmake ninja-build ccache pkg-config git \
  libabsl-dev libsimdjson-dev libfmt-dev librocksdb-dev libcurl4-openssl-dev libssl-dev \
  libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev libyaml-cpp-dev \
  libcpp-httplib-dev libboost1.81-dev libsqlite3-dev sqlite3 libpq-dev
# For `make test` only: promtool (package prometheus) checks our /metrics
# output, the analytics test starts a throwaway PostgreSQL server of its own
# (postgresql-15, with psql) in a temporary directory, and the dashboard test
# loads the PnL dashboard in headless chromium. Kept out of `make
# deps` because on a systemd host these packages also start servers
# (Prometheus on :9090, Apollo's default metrics port; PostgreSQL on :5432).
TEST_PACKAGES := prometheus postgresql-15 chromium
# For `make bench` only: db_bench, RocksDB's own reference figures.
BENCH_PACKAGES := rocksdb-tools
# For the sanitizer build only (`make test-asan`, `make fuzz`, so `make test`):
# clang and its runtimes (ASan, UBSan, LSan, libFuzzer), and llvm-14 for the
# symbolizer that puts file:line into their reports.
FUZZ_PACKAGES := clang-14 libclang-rt-14-dev llvm-14
# The sanitizers' settings for every test process and fuzz run: leaks are
# errors, and so is any undefined behaviour (it is also compiled fatal).
SYMBOLIZER    := external_symbolizer_path=/usr/lib/llvm-14/bin/llvm-symbolizer
SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=1:$(SYMBOLIZER) UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:$(SYMBOLIZER)

.PHONY: deps test-deps bench-deps fuzz-deps build build-asan run test test-asan fuzz bench crash install clean

# Installs what is missing of $(1); a no-op (no apt-get at all) when everything is there.
define install-missing
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

deps:
	$(call install-missing,$(PACKAGES))

test-deps: deps
	$(call install-missing,$(TEST_PACKAGES))

bench-deps: deps
	$(call install-missing,$(BENCH_PACKAGES))

fuzz-deps: deps
	$(call install-missing,$(FUZZ_PACKAGES))

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Paper mode over the bundled recorded data (seven perpetuals, 2023-07/08,
# one engine, with their funding rates) into data/ledger, then a summary. Run it again: it resumes from
# the ledger, finds nothing new, prints the same.
RUN_SYMBOLS = ADAUSDT=data/market/adausdt_perp_5m_2023-07-03_2023-08-17.csv \
  BNBUSDT=data/market/bnbusdt_perp_5m_2023-07-18_2023-08-17.csv \
  BTCUSDT=data/market/btcusdt_perp_5m_2023-07-04_2023-08-17.csv \
  DOGEUSDT=data/market/dogeusdt_perp_5m_2023-07-04_2023-08-17.csv \
  ETHUSDT=data/market/ethusdt_perp_5m_2023-07-03_2023-08-17.csv \
  SOLUSDT=data/market/solusdt_perp_5m_2023-07-18_2023-08-17.csv \
  XRPUSDT=data/market/xrpusdt_perp_5m_2023-07-18_2023-08-17.csv
RUN_FUNDING = ADAUSDT=data/market/funding/adausdt_perp_funding_2023-07-04_2023-08-17.csv \
  BNBUSDT=data/market/funding/bnbusdt_perp_funding_2023-07-18_2023-08-17.csv \
  BTCUSDT=data/market/funding/btcusdt_perp_funding_2023-07-04_2023-08-17.csv \
  DOGEUSDT=data/market/funding/dogeusdt_perp_funding_2023-07-04_2023-08-17.csv \
  ETHUSDT=data/market/funding/ethusdt_perp_funding_2023-07-04_2023-08-17.csv \
  SOLUSDT=data/market/funding/solusdt_perp_funding_2023-07-18_2023-08-17.csv \
  XRPUSDT=data/market/funding/xrpusdt_perp_funding_2023-07-18_2023-08-17.csv
run: build
	PAPER_SIM__EXCHANGE_INFO_FILE=data/market/exchangeInfo_fapi_2021-07-21.json \
	  $(BUILD_DIR)/bin/bot --config config.yaml --mode paper $(addprefix --data ,$(RUN_SYMBOLS)) \
	  $(addprefix --funding-data ,$(RUN_FUNDING))

# The normal suite, then the same suite under the sanitizers, then each fuzz
# target for TEST_FUZZ_SECONDS.
test: test-deps build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory test-asan
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(TEST_FUZZ_SECONDS)

# One clang build for both: ASan + UBSan (-O1, line tables), every library
# with libFuzzer coverage, plus the fuzz targets (tests/fuzz).
build-asan: fuzz-deps
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" -DAPOLLO_SANITIZE=ON -DAPOLLO_FUZZ=ON >/dev/null
	cmake --build $(ASAN_DIR) -j $(JOBS)

# The whole CTest suite under AddressSanitizer, LeakSanitizer and
# UndefinedBehaviorSanitizer (and each fuzz corpus replayed once). The crash
# matrix kills each mode ASAN_CRASH_KILLS times here (25 in the plain suite):
# under the sanitizers it asks whether recovery touches memory it must not,
# which a few kills at each instant answer; the breadth of kill points is the
# plain suite's (and `make crash`'s).
ASAN_CRASH_KILLS ?= 8
test-asan: test-deps build-asan
	$(SANITIZER_ENV) APOLLO_CRASH_KILLS=$(ASAN_CRASH_KILLS) ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS)

# Each libFuzzer target for FUZZ_SECONDS from its seeds in tests/fuzz/corpus;
# one line per target (execs, crashes); findings in $(ASAN_DIR)/fuzz/.
fuzz: build-asan
	$(SANITIZER_ENV) tests/fuzz/run.sh $(ASAN_DIR) $(FUZZ_SECONDS)

# The crash matrix with N kills per mode (the test suite runs 25), in
# CRASH_SHARDS processes side by side (one per core), shard i with seed
# CRASH_SEED+i-1 and its share of the kills; prints each shard's kills by kind
# and time, and fails if any shard does. `make crash N=1000`.
N ?= 25
CRASH_SHARDS ?= $(JOBS)
CRASH_SEED ?= 20261205
crash: build
	@fail=0; pids=""; \
	for i in $$(seq 1 $(CRASH_SHARDS)); do \
	  kills=$$(( $(N) / $(CRASH_SHARDS) + ( i <= $(N) % $(CRASH_SHARDS) ? 1 : 0 ) )); \
	  APOLLO_CRASH_KILLS=$$kills APOLLO_CRASH_SEED=$$(( $(CRASH_SEED) + i - 1 )) \
	    $(BUILD_DIR)/bin/crash_matrix_test > $(BUILD_DIR)/crash-shard-$$i.log 2>&1 & pids="$$pids $$!"; \
	done; \
	for p in $$pids; do wait $$p || fail=1; done; \
	for i in $$(seq 1 $(CRASH_SHARDS)); do \
	  grep -E '^crash matrix|Failure|FAILED' $(BUILD_DIR)/crash-shard-$$i.log | sed "s/^/shard $$i: /"; \
	done; \
	exit $$fail

bench: bench-deps
	cmake -S . -B $(BENCH_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(BENCH_DIR) -j $(JOBS)
	bench/run.sh $(BENCH_DIR)

install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD_DIR) $(BENCH_DIR) $(ASAN_DIR)
