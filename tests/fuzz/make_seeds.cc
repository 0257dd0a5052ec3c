// Writes the binary seed corpora of the codec, record and snapshot fuzz
// targets from the test support's valid events, so the seeds follow the
// formats when they change:
//
//   cmake --build build-asan --target fuzz_make_seeds
//   build-asan/bin/fuzz_make_seeds tests/fuzz/corpus
//
// codec/<EventName>: tag, schema version, body (one file per event type);
// record/chunk-<first>-<n>: mode 0, key seq, a chunk of n records as the
// ledger stores it; snapshot/state-<n>: the state after n events;
// config/canonical-default: the default config as ConfigLoaded journals it.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/config/config.h"
#include "engine/domain/codec.h"
#include "engine/domain/state.h"
#include "ledger/event_log.h"
#include "ledger/record.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/support/random_events.h"

namespace {

using namespace apollo;

void PutLE(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

void CodecSeeds(const std::string& dir, const std::vector<Event>& events) {
  for (const Event& e : events) {
    std::string seed;
    PutLE(&seed, static_cast<uint16_t>(TagOf(e.body)), 2);
    PutLE(&seed, SchemaVersionOf(e.body), 2);
    EncodeBody(e.body, &seed);
    fuzz::WriteFile(absl::StrCat(dir, "/codec/", EventName(static_cast<uint16_t>(TagOf(e.body)))), seed);
  }
}

void RecordSeeds(const std::string& dir, const std::vector<Event>& events) {
  ledger::Hash prev = ledger::kGenesisHash;
  for (size_t first = 0; first < events.size();) {
    const size_t n = std::min<size_t>(first % 3 + 1, events.size() - first);  // chunks of 1, 2, 3 records
    std::string seed;
    PutLE(&seed, 0, 1);
    PutLE(&seed, events[first].seq, 8);
    for (size_t i = first; i < first + n; ++i) {
      prev = ledger::AppendRecord(ledger::ToRecord(events[i]), events[i].seq, prev, &seed);
    }
    fuzz::WriteFile(absl::StrCat(dir, "/record/chunk-", events[first].seq, "-", n), seed);
    first += n;
  }
}

void SnapshotSeeds(const std::string& dir, const std::vector<Event>& events) {
  State state;
  for (const Event& e : events) {
    FUZZ_CHECK(Apply(state, e).ok());
    if (e.seq % 8 == 0 || e.seq == events.size()) {
      fuzz::WriteFile(absl::StrCat(dir, "/snapshot/state-", e.seq), EncodeState(state));
    }
  }
  testing::RandomEventStream stream(7);
  for (int i = 1; i <= 400; ++i) {
    stream.Next();
    if (i % 100 == 0) fuzz::WriteFile(absl::StrCat(dir, "/snapshot/random-", i), EncodeState(stream.state()));
  }
}

void ConfigSeeds(const std::string& dir) {
  fuzz::WriteFile(dir + "/config/canonical-default", std::string(1, '\x01') + config::Config().Canonical());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR (tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  for (const char* target : {"codec", "record", "snapshot", "config"}) {
    std::filesystem::create_directories(std::filesystem::path(argv[1]) / target);
  }
  const std::vector<Event> events = testing::OneOfEach();
  CodecSeeds(argv[1], events);
  RecordSeeds(argv[1], events);
  SnapshotSeeds(argv[1], events);
  ConfigSeeds(argv[1]);
  return 0;
}
