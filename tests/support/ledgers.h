// Reading a ledger back in end-to-end suites: its events, the state folded
// from it (with or without the newest snapshot), the events of one type.
// Header-only.
#ifndef APOLLO_TESTS_SUPPORT_LEDGERS_H_
#define APOLLO_TESTS_SUPPORT_LEDGERS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/domain/events.h"
#include "engine/domain/state.h"
#include "ledger/event_log.h"
#include "ledger/ledger.h"
#include "replay/fold.h"

namespace apollo::testing {

// Every event of an open ledger, oldest first.
inline absl::StatusOr<std::vector<Event>> ReadEvents(const ledger::Ledger& ledger) {
  std::vector<Event> events;
  const uint64_t head = ledger.head().last_seq;
  if (head == 0) return events;
  absl::Status st = ledger.Scan(1, head, [&](const ledger::RecordView& r) -> absl::Status {
    auto e = ledger::DecodeRecord(r);
    if (!e.ok()) return e.status();
    events.push_back(*std::move(e));
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return events;
}

// Every event of the ledger at `dir` (an audit reader: safe beside a writer).
inline absl::StatusOr<std::vector<Event>> ReadEvents(const std::string& dir) {
  auto ledger = ledger::Ledger::OpenReader(dir);
  if (!ledger.ok()) return ledger.status();
  return ReadEvents(**ledger);
}

// The state at the head: from the newest snapshot plus the tail (what a
// start does) or from seq 1.
inline absl::StatusOr<State> FoldState(const std::string& dir, bool use_snapshot, uint64_t* snapshot_seq = nullptr) {
  auto ledger = ledger::Ledger::OpenReader(dir);
  if (!ledger.ok()) return ledger.status();
  replay::FoldOptions options;
  options.use_snapshot = use_snapshot;
  auto folded = replay::FoldLedger(**ledger, options);
  if (!folded.ok()) return folded.status();
  if (snapshot_seq != nullptr) *snapshot_seq = folded->snapshot_seq;
  return folded->state;
}

// (seq, body) of every event of type T.
template <class T>
std::vector<std::pair<uint64_t, T>> EventsOf(const std::vector<Event>& events) {
  std::vector<std::pair<uint64_t, T>> out;
  for (const Event& e : events) {
    if (const T* t = std::get_if<T>(&e.body)) out.emplace_back(e.seq, *t);
  }
  return out;
}

// Follows a ledger another process is writing: an audit reader kept open
// and refreshed, decoding only what was appended since the last Poll.
class LedgerFollower {
 public:
  explicit LedgerFollower(std::string dir) : dir_(std::move(dir)) {}

  // The events appended since the last call (none if the ledger cannot be
  // read yet).
  std::vector<Event> Poll() {
    std::vector<Event> fresh;
    if (reader_ == nullptr) {
      auto r = ledger::Ledger::OpenReader(dir_);
      if (!r.ok()) return fresh;
      reader_ = *std::move(r);
    } else if (!reader_->Refresh().ok()) {
      return fresh;
    }
    const uint64_t head = reader_->head().last_seq;
    if (head <= seen_) return fresh;
    absl::Status st = reader_->Scan(seen_ + 1, head, [&](const ledger::RecordView& r) -> absl::Status {
      auto e = ledger::DecodeRecord(r);
      if (!e.ok()) return e.status();
      fresh.push_back(*std::move(e));
      return absl::OkStatus();
    });
    if (!st.ok()) return {};
    seen_ = head;
    return fresh;
  }

 private:
  std::string dir_;
  std::unique_ptr<ledger::Ledger> reader_;
  uint64_t seen_ = 0;
};

}  // namespace apollo::testing

#endif  // APOLLO_TESTS_SUPPORT_LEDGERS_H_
