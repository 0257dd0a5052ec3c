// The fold pipeline: reader thread (fetch + ParseChunk) -> bounded queue ->
// caller's thread (link check, decode, Apply).
#include "replay/fold.h"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "engine/domain/status_macros.h"
#include "ledger/event_log.h"

namespace apollo::replay {
namespace {

struct Item {
  std::string bytes;
  ledger::ParsedChunk chunk;
};

// A bounded single-producer single-consumer queue of checked chunks.
class ChunkQueue {
 public:
  static constexpr size_t kCapacity = 16;

  // False if the consumer has gone.
  bool Push(std::unique_ptr<Item> item) {
    std::unique_lock lock(mu_);
    space_.wait(lock, [&] { return items_.size() < kCapacity || cancelled_; });
    if (cancelled_) return false;
    items_.push_back(std::move(item));
    ready_.notify_one();
    return true;
  }
  void Finish(absl::Status status) {
    std::lock_guard lock(mu_);
    done_ = true;
    status_ = std::move(status);
    ready_.notify_one();
  }
  // Null at the end; then status() says why.
  std::unique_ptr<Item> Pop() {
    std::unique_lock lock(mu_);
    ready_.wait(lock, [&] { return !items_.empty() || done_; });
    if (items_.empty()) return nullptr;
    auto item = std::move(items_.front());
    items_.pop_front();
    space_.notify_one();
    return item;
  }
  void Cancel() {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    space_.notify_one();
  }
  absl::Status status() {
    std::lock_guard lock(mu_);
    return status_;
  }

 private:
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<std::unique_ptr<Item>> items_;
  bool done_ = false, cancelled_ = false;
  absl::Status status_;
};

void ReadChunks(const ledger::Ledger& ledger, uint64_t from, uint64_t to, ChunkQueue& queue) {
  auto cursor = ledger.ReadChunks(from);
  uint64_t expected = 0;
  uint64_t key = 0;
  auto item = std::make_unique<Item>();
  while (cursor->Next(&key, &item->bytes)) {
    if (expected == 0 && key > from) {
      return queue.Finish(absl::DataLossError(absl::StrCat("seq ", from, ": missing")));
    }
    if (expected != 0 && key != expected) {
      return queue.Finish(absl::DataLossError(
          absl::StrCat("seq ", expected, ": missing (next stored is ", key, ")")));
    }
    if (absl::Status st = ledger::ParseChunk(key, item->bytes, &item->chunk); !st.ok()) {
      return queue.Finish(st);
    }
    expected = key + item->chunk.records.size();
    if (!queue.Push(std::move(item))) return;
    if (expected > to) break;
    item = std::make_unique<Item>();
  }
  if (absl::Status st = cursor->status(); !st.ok()) return queue.Finish(st);
  if (expected <= to) {
    return queue.Finish(absl::DataLossError(absl::StrCat("seq ", std::max(expected, from), ": missing")));
  }
  queue.Finish(absl::OkStatus());
}

}  // namespace

absl::StatusOr<FoldResult> FoldLedger(const ledger::Ledger& ledger, const FoldOptions& options) {
  FoldResult result;
  const ledger::Head head = ledger.head();
  const uint64_t to = std::min(options.to_seq, head.last_seq);
  if (options.use_snapshot && to > 0) {
    ASSIGN_OR_RETURN(auto snap, ledger.LatestSnapshot(to, &result.skipped_snapshots));
    if (snap.has_value()) {
      auto state = DecodeState(snap->state);
      if (state.ok() && state->last_seq == snap->seq) {
        result.state = *std::move(state);
        result.snapshot_seq = snap->seq;
        result.last_hash = snap->hash_at_seq;
      } else {
        result.skipped_snapshots.push_back(absl::StrCat(
            "snapshot at seq ", snap->seq, ": ",
            state.ok() ? "state is not at the snapshot's seq" : state.status().message()));
      }
    }
  }
  const uint64_t from = result.snapshot_seq + 1;
  if (from > to) return result;

  ChunkQueue queue;
  std::thread reader([&] { ReadChunks(ledger, from, to, queue); });
  absl::Status status;
  while (status.ok()) {
    std::unique_ptr<Item> item = queue.Pop();
    if (item == nullptr) {
      status = queue.status();
      break;
    }
    for (const ledger::RecordView& r : item->chunk.records) {
      if (r.seq < from) continue;
      if (r.seq > to) break;
      if (r.prev_hash != result.last_hash) {
        status = ledger::BrokenLink(r.seq);
        break;
      }
      auto event = ledger::DecodeRecord(r);
      if (!event.ok()) {
        status = event.status();
        break;
      }
      if (absl::Status st = Apply(result.state, *event); !st.ok()) {
        status = absl::DataLossError(absl::StrCat("seq ", r.seq, ": does not fold: ", st.message()));
        break;
      }
      result.last_hash = r.hash;
      ++result.events_folded;
      if (options.on_event) {
        status = options.on_event(*event, result.state);
        if (!status.ok()) break;
      }
    }
    if (status.ok() && options.progress) options.progress(result.state.last_seq);
  }
  queue.Cancel();
  reader.join();
  RETURN_IF_ERROR(status);
  if (to == head.last_seq && result.last_hash != head.last_hash) {
    return absl::DataLossError(absl::StrCat("seq ", to, ": record does not hash to the ledger head"));
  }
  return result;
}

}  // namespace apollo::replay
