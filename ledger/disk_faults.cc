// The ledger's file-system seam; see disk_faults.h.
#include "ledger/disk_faults.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/file_system.h"

namespace apollo::ledger {

struct DiskFaults::State {
  mutable absl::Mutex mu;
  std::optional<uint64_t> space_left ABSL_GUARDED_BY(mu);  // bytes until ENOSPC
  bool full ABSL_GUARDED_BY(mu) = false;
  std::optional<uint64_t> syncs_left ABSL_GUARDED_BY(mu);  // syncs until EIO
  bool power_cut ABSL_GUARDED_BY(mu) = false;
  std::optional<uint64_t> power_left ABSL_GUARDED_BY(mu);  // bytes until the cut
  std::optional<uint64_t> kill_left ABSL_GUARDED_BY(mu);   // bytes until SIGKILL
  uint64_t injected ABSL_GUARDED_BY(mu) = 0;
  // Every file written through the seam: the length it had at its last sync.
  absl::flat_hash_map<std::string, uint64_t> synced ABSL_GUARDED_BY(mu);

  bool PowerCut() const {
    absl::MutexLock l(&mu);
    return power_cut;
  }

  // How much of a write of *n bytes reaches the disk: all of it, the part
  // before a power cut (*n shrinks; 0 once the power is off), or none with
  // ENOSPC when the disk is full.
  rocksdb::IOStatus Admit(const std::string& path, size_t* n, bool* die) {
    absl::MutexLock l(&mu);
    if (power_cut) {
      *n = 0;
      return rocksdb::IOStatus::OK();
    }
    if (kill_left.has_value()) {
      if (*n > *kill_left) {
        *n = *kill_left;
        *die = true;
      } else {
        *kill_left -= *n;
      }
    }
    if (power_left.has_value()) {
      if (*n > *power_left) {
        *n = *power_left;
        power_cut = true;
      } else {
        *power_left -= *n;
      }
    }
    if (!space_left.has_value()) return rocksdb::IOStatus::OK();
    if (*space_left < *n) {
      full = true;
      ++injected;
      rocksdb::IOStatus s = rocksdb::IOStatus::NoSpace("While appending to file: " + path,
                                                       "No space left on device (injected)");
      s.SetRetryable(true);
      return s;
    }
    *space_left -= *n;
    return rocksdb::IOStatus::OK();
  }

  rocksdb::IOStatus TakeSync(const std::string& path) {
    absl::MutexLock l(&mu);
    if (!syncs_left.has_value()) return rocksdb::IOStatus::OK();
    if (*syncs_left == 0) {
      ++injected;
      return rocksdb::IOStatus::IOError("While fsync: " + path, "Input/output error (injected)");
    }
    --*syncs_left;
    return rocksdb::IOStatus::OK();
  }
};

namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

class FaultyFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultyFile(std::unique_ptr<rocksdb::FSWritableFile> target, std::string path,
             std::shared_ptr<DiskFaults::State> state, uint64_t size)
      : FSWritableFileOwnerWrapper(std::move(target)), path_(std::move(path)), state_(std::move(state)),
        size_(size) {}

  IOStatus Append(const Slice& data, const IOOptions& o, IODebugContext* d) override {
    size_t n = data.size();
    bool die = false;
    if (IOStatus s = state_->Admit(path_, &n, &die); !s.ok() || (n == 0 && !die)) return s;
    IOStatus s = target()->Append(Slice(data.data(), n), o, d);
    if (die) ::kill(::getpid(), SIGKILL);  // mid-write: the file ends torn
    if (s.ok()) size_ += n;
    return s;
  }
  IOStatus Append(const Slice& data, const IOOptions& o, const rocksdb::DataVerificationInfo&,
                  IODebugContext* d) override {
    return Append(data, o, d);
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o, IODebugContext* d) override {
    size_t n = data.size();
    bool die = false;
    if (IOStatus s = state_->Admit(path_, &n, &die); !s.ok() || (n == 0 && !die)) return s;
    IOStatus s = target()->PositionedAppend(Slice(data.data(), n), offset, o, d);
    if (die) ::kill(::getpid(), SIGKILL);
    if (s.ok()) size_ = std::max<uint64_t>(size_, offset + n);
    return s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& o,
                            const rocksdb::DataVerificationInfo&, IODebugContext* d) override {
    return PositionedAppend(data, offset, o, d);
  }
  IOStatus Truncate(uint64_t size, const IOOptions& o, IODebugContext* d) override {
    if (state_->PowerCut()) return IOStatus::OK();
    IOStatus s = target()->Truncate(size, o, d);
    if (s.ok()) size_ = size;
    return s;
  }
  IOStatus Flush(const IOOptions& o, IODebugContext* d) override {
    if (state_->PowerCut()) return IOStatus::OK();
    return target()->Flush(o, d);
  }
  IOStatus Sync(const IOOptions& o, IODebugContext* d) override {
    return SyncWith([&] { return target()->Sync(o, d); });
  }
  IOStatus Fsync(const IOOptions& o, IODebugContext* d) override {
    return SyncWith([&] { return target()->Fsync(o, d); });
  }
  IOStatus RangeSync(uint64_t, uint64_t, const IOOptions&, IODebugContext*) override {
    return IOStatus::OK();  // sync_file_range promises nothing durable; the real sync follows
  }
  IOStatus Close(const IOOptions& o, IODebugContext* d) override {
    if (state_->PowerCut()) return IOStatus::OK();
    return target()->Close(o, d);
  }

 private:
  // The injected fault first, then the real sync; after it the length on
  // disk is the length written.
  template <typename Fn>
  IOStatus SyncWith(Fn&& real) {
    if (state_->PowerCut()) return IOStatus::OK();
    if (IOStatus s = state_->TakeSync(path_); !s.ok()) return s;
    IOStatus s = real();
    if (s.ok()) {
      absl::MutexLock l(&state_->mu);
      state_->synced[path_] = size_;
    }
    return s;
  }

  std::string path_;
  std::shared_ptr<DiskFaults::State> state_;
  uint64_t size_;
};

class FaultyFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultyFileSystem(std::shared_ptr<DiskFaults::State> state)
      : FileSystemWrapper(rocksdb::FileSystem::Default()), state_(std::move(state)) {}
  const char* Name() const override { return "ApolloDiskFaults"; }

  IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& fo,
                           std::unique_ptr<rocksdb::FSWritableFile>* r, IODebugContext* d) override {
    std::unique_ptr<rocksdb::FSWritableFile> real;
    IOStatus s = target()->NewWritableFile(f, fo, &real, d);
    if (!s.ok()) return s;
    {
      absl::MutexLock l(&state_->mu);
      if (!state_->power_cut) state_->synced[f] = 0;
    }
    *r = std::make_unique<FaultyFile>(std::move(real), f, state_, 0);
    return s;
  }
  IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& fo,
                              std::unique_ptr<rocksdb::FSWritableFile>* r, IODebugContext* d) override {
    std::unique_ptr<rocksdb::FSWritableFile> real;
    IOStatus s = target()->ReopenWritableFile(f, fo, &real, d);
    if (!s.ok()) return s;
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(f, ec);
    {
      absl::MutexLock l(&state_->mu);
      if (!state_->power_cut && !state_->synced.contains(f)) state_->synced[f] = ec ? 0 : size;
    }
    *r = std::make_unique<FaultyFile>(std::move(real), f, state_, ec ? 0 : size);
    return s;
  }
  IOStatus RenameFile(const std::string& from, const std::string& to, const IOOptions& o,
                      IODebugContext* d) override {
    absl::MutexLock l(&state_->mu);
    if (state_->power_cut) return IOStatus::OK();
    IOStatus s = target()->RenameFile(from, to, o, d);
    if (s.ok()) {
      auto it = state_->synced.find(from);
      if (it != state_->synced.end()) {
        const uint64_t len = it->second;
        state_->synced.erase(it);
        state_->synced[to] = len;
      }
    }
    return s;
  }
  IOStatus DeleteFile(const std::string& f, const IOOptions& o, IODebugContext* d) override {
    absl::MutexLock l(&state_->mu);
    if (state_->power_cut) return IOStatus::OK();
    IOStatus s = target()->DeleteFile(f, o, d);
    if (s.ok()) state_->synced.erase(f);
    return s;
  }
  IOStatus Truncate(const std::string& f, size_t size, const IOOptions& o, IODebugContext* d) override {
    if (state_->PowerCut()) return IOStatus::OK();
    return target()->Truncate(f, size, o, d);
  }

 private:
  std::shared_ptr<DiskFaults::State> state_;
};

}  // namespace

DiskFaults::DiskFaults()
    : state_(std::make_shared<State>()), fs_(std::make_shared<FaultyFileSystem>(state_)) {}

DiskFaults::~DiskFaults() = default;

absl::StatusOr<std::shared_ptr<DiskFaults>> DiskFaults::Parse(absl::string_view spec) {
  auto faults = std::make_shared<DiskFaults>();
  for (absl::string_view item : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
    uint64_t n = 0;
    if (!absl::SimpleAtoi(kv.second, &n)) {
      return absl::InvalidArgumentError(absl::StrCat("ledger faults: '", item, "' needs a whole number"));
    }
    if (kv.first == "nospace_after") {
      faults->NoSpaceAfter(n);
    } else if (kv.first == "fail_sync_after") {
      faults->FailSyncsAfter(n);
    } else if (kv.first == "kill_after_bytes") {
      faults->KillAfter(n);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("ledger faults: unknown fault '", kv.first,
                                                     "' (expected nospace_after=BYTES, fail_sync_after=N or kill_after_bytes=BYTES)"));
    }
  }
  return faults;
}

void DiskFaults::NoSpaceAfter(uint64_t bytes) {
  absl::MutexLock l(&state_->mu);
  state_->space_left = bytes;
}

void DiskFaults::FailSyncsAfter(uint64_t syncs) {
  absl::MutexLock l(&state_->mu);
  state_->syncs_left = syncs;
}

void DiskFaults::KillAfter(uint64_t bytes) {
  absl::MutexLock l(&state_->mu);
  state_->kill_left = bytes;
}

void DiskFaults::CutPowerAfter(uint64_t bytes) {
  absl::MutexLock l(&state_->mu);
  state_->power_left = bytes;
}

bool DiskFaults::powered() const { return !state_->PowerCut(); }

void DiskFaults::Heal() {
  absl::MutexLock l(&state_->mu);
  state_->space_left.reset();
  state_->syncs_left.reset();
  state_->full = false;
}

void DiskFaults::CutPower() {
  absl::MutexLock l(&state_->mu);
  state_->power_cut = true;
}

absl::Status DiskFaults::DropUnsynced() {
  absl::MutexLock l(&state_->mu);
  if (!state_->power_cut) return absl::FailedPreconditionError("DropUnsynced needs CutPower first");
  for (const auto& [path, synced] : state_->synced) {
    std::error_code ec;
    const uint64_t size = std::filesystem::file_size(path, ec);
    if (ec || size <= synced) continue;
    std::filesystem::resize_file(path, synced, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("cannot cut ", path, " back: ", ec.message()));
  }
  return absl::OkStatus();
}

uint64_t DiskFaults::injected() const {
  absl::MutexLock l(&state_->mu);
  return state_->injected;
}

std::optional<uint64_t> DiskFaults::free_bytes() const {
  absl::MutexLock l(&state_->mu);
  if (state_->full) return 0;
  return std::nullopt;
}

std::shared_ptr<rocksdb::FileSystem> DiskFaults::file_system() { return fs_; }

}  // namespace apollo::ledger
