// RocksDB-backed ledger. Column families:
//   default    meta: "format_version" -> u32, "head" -> u64 last_seq + 32B hash
//   events     BE64(first seq) -> chunk of records (record.cc)
//   snapshots  BE64(seq) -> u16 version, u64 seq, 32B hash at seq, state, u32 crc
//
// Durability: the WAL is on and replayed with kTolerateCorruptedTailRecords:
// recovery stops at a torn last record, and since each Append is one WAL
// record (one WriteBatch with its head), a kill during an append loses at
// most that unacknowledged batch, never half of one; a WAL record whose
// checksum is wrong refuses the open instead of dropping what follows it. A
// synced Append is on disk when it returns.
//
// Files: RocksDB's own messages (warnings and worse) go to stderr, not to a
// LOG file beside the ledger: on a full disk that file is the first to fail.
// SST files are immutable; each is checksummed whole the first time the
// writer opens the ledger after it appears, and the numbers of those checked
// are kept in meta ("verified_sst"), so an open reads only what is new. Memtables are small (8 MiB) and the WAL capped
// (32 MiB) so opening after a SIGKILL replays little, whatever the length of
// the ledger.
#include "ledger/ledger.h"

#include <fcntl.h>
#include <unistd.h>

#include <sys/statvfs.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/domain/status_macros.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb/options.h"
#include "rocksdb/sst_file_reader.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"

namespace apollo::ledger {
namespace {

absl::string_view View(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

constexpr char kFormatKey[] = "format_version";
constexpr char kHeadKey[] = "head";
constexpr char kVerifiedSstKey[] = "verified_sst";
constexpr char kEventsCf[] = "events";
constexpr char kSnapshotsCf[] = "snapshots";
constexpr size_t kChunkBytesMax = 64 * 1024;
constexpr size_t kChunkRecordsMax = 1024;
constexpr uint16_t kSnapshotFormat = 1;

// The one place rocksdb::Status becomes absl::Status.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  const std::string msg = absl::StrCat(what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsIOError()) {
    if (s.ToString().find("lock") != std::string::npos) {
      return absl::FailedPreconditionError(
          absl::StrCat(what, ": the ledger is open in another process (", s.ToString(), ")"));
    }
    return absl::UnavailableError(msg);
  }
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  return absl::InternalError(msg);
}

std::string EncodeHead(const Head& h) {
  std::string out(8, '\0');
  std::memcpy(out.data(), &h.last_seq, 8);
  out.append(reinterpret_cast<const char*>(h.last_hash.data()), 32);
  return out;
}

absl::StatusOr<Head> DecodeHead(absl::string_view v) {
  if (v.size() != 40) return absl::DataLossError("ledger head is malformed");
  Head h;
  std::memcpy(&h.last_seq, v.data(), 8);
  std::memcpy(h.last_hash.data(), v.data() + 8, 32);
  return h;
}

// RocksDB's warnings and errors, one stderr line each.
class StderrLogger : public rocksdb::Logger {
 public:
  explicit StderrLogger(rocksdb::InfoLogLevel level) : Logger(level) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char line[1024];
    std::vsnprintf(line, sizeof line, format, ap);
    size_t n = std::strlen(line);
    while (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
    std::fprintf(stderr, "rocksdb: %s\n", line);
  }
};

// Bytes free to an unprivileged writer on the file system holding `dir`.
uint64_t FreeBytes(const std::string& dir) {
  struct statvfs st{};
  if (::statvfs(dir.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

rocksdb::Options BaseOptions() {
  static const std::shared_ptr<rocksdb::Logger> logger =
      std::make_shared<StderrLogger>(rocksdb::InfoLogLevel::WARN_LEVEL);
  rocksdb::Options o;
  o.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  o.info_log = logger;
  o.max_total_wal_size = 32 << 20;
  o.keep_log_file_num = 4;
  o.max_background_jobs = 2;
  o.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  return o;
}

rocksdb::ColumnFamilyOptions CfOptions(bool events) {
  rocksdb::ColumnFamilyOptions o;
  o.write_buffer_size = 8 << 20;
  o.max_write_buffer_number = 3;
  o.compression = rocksdb::kNoCompression;
  rocksdb::BlockBasedTableOptions t;
  t.block_size = events ? 64 * 1024 : 4 * 1024;
  t.block_cache = rocksdb::NewLRUCache(8 << 20);
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

std::vector<rocksdb::ColumnFamilyDescriptor> Descriptors() {
  return {{rocksdb::kDefaultColumnFamilyName, CfOptions(false)},
          {kEventsCf, CfOptions(true)},
          {kSnapshotsCf, CfOptions(false)}};
}

// The WAL files (RocksDB's NNNNNN.log) in a ledger directory, sorted.
std::vector<std::string> WalFiles(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".log") names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// A RocksDB secondary instance and its scratch directory.
struct Secondary {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  std::string scratch;
};

// Opens `dir` as a secondary instance whose view is whole. A secondary reads
// the MANIFEST, then the WAL files; if the writer flushes and deletes a WAL
// file in between, RocksDB takes it as purged and skips it, leaving a hole
// (the head can be ahead of the events, or behind them). An open during which
// no WAL file appeared or vanished has seen the flush of every WAL deleted
// before it began, so retry until one is.
absl::StatusOr<Secondary> OpenSecondary(const std::string& dir) {
  constexpr int kAttempts = 20;
  rocksdb::Status s;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "apollo-reader-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) return absl::UnavailableError("cannot create a reader scratch directory");
    rocksdb::DBOptions opts(BaseOptions());
    opts.max_open_files = -1;  // required of secondary instances
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    const std::vector<std::string> wal_before = WalFiles(dir);
    s = rocksdb::DB::OpenAsSecondary(opts, dir, tmpl, Descriptors(), &handles, &raw);
    const bool wal_changed = WalFiles(dir) != wal_before;
    if (s.ok() && !wal_changed) return Secondary{std::unique_ptr<rocksdb::DB>(raw), std::move(handles), tmpl};
    if (raw != nullptr) {
      for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
      delete raw;
    }
    std::error_code ec;
    std::filesystem::remove_all(tmpl, ec);
    if (!s.ok() && !wal_changed) break;
  }
  if (s.ok()) return absl::UnavailableError("opening the ledger: its writer kept switching WAL files; try again");
  if (s.IsInvalidArgument()) return absl::DataLossError(absl::StrCat(dir, " is not an Apollo ledger: ", s.ToString()));
  return FromRocks(s, absl::StrCat("opening ledger ", dir, " for reading"));
}

class RocksChunkCursor : public ChunkCursor {
 public:
  RocksChunkCursor(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, uint64_t from_seq) {
    rocksdb::ReadOptions ro;
    ro.readahead_size = 2 << 20;
    ro.fill_cache = false;
    it_.reset(db->NewIterator(ro, cf));
    it_->SeekForPrev(SeqKey(from_seq));
    if (!it_->Valid()) it_->SeekToFirst();
  }
  bool Next(uint64_t* key_seq, std::string* bytes) override {
    if (!started_) {
      started_ = true;
    } else if (it_->Valid()) {
      it_->Next();
    }
    if (!it_->Valid()) return false;
    *key_seq = SeqFromKey(View(it_->key()));
    bytes->assign(it_->value().data(), it_->value().size());
    return true;
  }
  absl::Status status() const override { return FromRocks(it_->status(), "reading the ledger"); }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
  bool started_ = false;
};

class RocksLedger : public Ledger {
 public:
  RocksLedger(std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> handles,
              bool writer, std::string secondary_dir, std::shared_ptr<DiskFaults> faults = nullptr,
              std::unique_ptr<rocksdb::Env> env = nullptr)
      : faults_(std::move(faults)), env_(std::move(env)), db_(std::move(db)), handles_(std::move(handles)),
        writer_(writer), secondary_dir_(std::move(secondary_dir)) {}

  ~RocksLedger() override {
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    if (writer_) db_->Close().PermitUncheckedError();
    db_.reset();
    if (!secondary_dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(secondary_dir_, ec);
    }
  }

  absl::Status Load() {
    std::string v;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta(), kFormatKey, &v);
    if (s.IsNotFound()) return absl::DataLossError("not an Apollo ledger: no format version");
    RETURN_IF_ERROR(FromRocks(s, "reading the format version"));
    uint32_t version = 0;
    if (v.size() == 4) std::memcpy(&version, v.data(), 4);
    if (version != kLedgerFormatVersion) {
      return absl::DataLossError(absl::StrCat("ledger format version ", version,
                                              " is not supported (this build reads ",
                                              kLedgerFormatVersion, ")"));
    }
    RETURN_IF_ERROR(FromRocks(db_->Get(rocksdb::ReadOptions(), meta(), kHeadKey, &v), "reading the head"));
    ASSIGN_OR_RETURN(head_, DecodeHead(v));
    return CheckHeadAgainstEvents();
  }

  // Checksums, whole, every SST file not checked at an earlier open, then
  // records them as checked. DataLoss naming the file if one is damaged.
  absl::Status VerifyNewTables() {
    std::string v;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta(), kVerifiedSstKey, &v);
    if (!s.IsNotFound()) RETURN_IF_ERROR(FromRocks(s, "reading the checked tables"));
    std::vector<uint64_t> verified(v.size() / 8);
    if (!verified.empty()) std::memcpy(verified.data(), v.data(), verified.size() * 8);
    // A compaction may replace tables meanwhile: keep the listed files on
    // disk until they are read.
    RETURN_IF_ERROR(FromRocks(db_->DisableFileDeletions(), "checking the tables"));
    struct Reenable {
      rocksdb::DB* db;
      ~Reenable() { db->EnableFileDeletions(/*force=*/false).PermitUncheckedError(); }
    } reenable{db_.get()};
    std::vector<rocksdb::LiveFileMetaData> files;
    db_->GetLiveFilesMetaData(&files);
    std::vector<uint64_t> live;
    bool checked_new = false;
    for (const rocksdb::LiveFileMetaData& f : files) {
      live.push_back(f.file_number);
      if (std::binary_search(verified.begin(), verified.end(), f.file_number)) continue;
      const std::string path = f.db_path + f.name;
      rocksdb::Options opts(BaseOptions(), CfOptions(true));
      // A table read on its own has no unique id to check: RocksDB warns so.
      static const std::shared_ptr<rocksdb::Logger> quiet =
          std::make_shared<StderrLogger>(rocksdb::InfoLogLevel::ERROR_LEVEL);
      opts.info_log = quiet;
      rocksdb::SstFileReader reader(opts);
      rocksdb::Status r = reader.Open(path);
      if (r.ok()) r = reader.VerifyChecksum();
      if (!r.ok()) {
        return absl::DataLossError(absl::StrCat("ledger file ", path, " is damaged: ", r.ToString()));
      }
      checked_new = true;
    }
    if (!checked_new && live.size() == verified.size()) return absl::OkStatus();
    std::sort(live.begin(), live.end());
    std::string out(live.size() * 8, '\0');
    if (!live.empty()) std::memcpy(out.data(), live.data(), out.size());
    return FromRocks(db_->Put(rocksdb::WriteOptions(), meta(), kVerifiedSstKey, out), "recording the checked tables");
  }

  absl::Status Initialize() {
    rocksdb::WriteBatch wb;
    std::string version(4, '\0');
    std::memcpy(version.data(), &kLedgerFormatVersion, 4);
    wb.Put(meta(), kFormatKey, version);
    wb.Put(meta(), kHeadKey, EncodeHead(Head{}));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return FromRocks(db_->Write(wo, &wb), "creating the ledger");
  }

  Head head() const override { return head_; }

  // TryCatchUpWithPrimary can leave a view that is not whole: a WAL file
  // deleted during it leaves a hole in the events (see OpenSecondary); and
  // when the writer has flushed and deleted a WAL file that this instance had
  // read only part of, that part stays in the instance's memtable, which is
  // searched before the flushed SSTs, so it hides the newer values of the
  // keys that are overwritten, the head: the head lags the events. Neither
  // heals until the writer writes again. A freshly opened instance has
  // neither, so on any sign of one, a WAL file appearing or vanishing during
  // the catch-up or a head that disagrees with the events, start over with
  // one; what is still wrong then is wrong in the ledger.
  absl::Status Refresh() override {
    if (writer_) return absl::OkStatus();
    const std::string dir = db_->GetName();
    const std::vector<std::string> wal_before = WalFiles(dir);
    if (db_->TryCatchUpWithPrimary().ok() && WalFiles(dir) == wal_before && Load().ok()) {
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(Secondary fresh, OpenSecondary(dir));
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    db_ = std::move(fresh.db);
    handles_ = std::move(fresh.handles);
    std::error_code ec;
    std::filesystem::remove_all(secondary_dir_, ec);
    secondary_dir_ = std::move(fresh.scratch);
    return Load();
  }

  absl::StatusOr<uint64_t> Append(absl::Span<const RecordInput> records, bool sync) override {
    if (!writer_) return absl::FailedPreconditionError("ledger opened read-only");
    RETURN_IF_ERROR(latched_);
    if (records.empty()) return head_.last_seq + 1;
    rocksdb::WriteBatch wb;
    Head next = head_;
    std::string chunk;
    uint64_t chunk_first = next.last_seq + 1;
    size_t in_chunk = 0;
    for (const RecordInput& r : records) {
      const uint64_t seq = next.last_seq + 1;
      next.last_hash = AppendRecord(r, seq, next.last_hash, &chunk);
      next.last_seq = seq;
      if (++in_chunk == kChunkRecordsMax || chunk.size() >= kChunkBytesMax) {
        wb.Put(events(), SeqKey(chunk_first), chunk);
        chunk.clear();
        in_chunk = 0;
        chunk_first = seq + 1;
      }
    }
    if (!chunk.empty()) wb.Put(events(), SeqKey(chunk_first), chunk);
    wb.Put(meta(), kHeadKey, EncodeHead(next));
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    if (const rocksdb::Status s = db_->Write(wo, &wb); !s.ok()) {
      if (s.IsNoSpace()) {
        const std::string dir = db_->GetName();
        const uint64_t free = faults_ && faults_->free_bytes() ? *faults_->free_bytes() : FreeBytes(dir);
        latched_ = absl::ResourceExhaustedError(
            absl::StrCat("ledger disk full: ", free, " bytes free under ", dir, " (", s.ToString(), ")"));
      } else {
        latched_ = absl::DataLossError(absl::StrCat(FromRocks(s, "appending to the ledger").message(),
                                                    " (the ledger refuses further writes until reopened)"));
      }
      return latched_;
    }
    const uint64_t first = head_.last_seq + 1;
    head_ = next;
    return first;
  }

  absl::Status Scan(uint64_t from, uint64_t to,
                    const std::function<absl::Status(const RecordView&)>& fn) const override {
    if (from == 0) from = 1;
    to = std::min(to, head_.last_seq);
    if (from > to) return absl::OkStatus();
    RocksChunkCursor cursor(db_.get(), events(), from);
    uint64_t key = 0;
    std::string bytes;
    ParsedChunk chunk;
    uint64_t expected = 0;  // next seq due; 0 until the first chunk
    Hash prev = kGenesisHash;
    // From seq 1 every link is checked back to the genesis; from later, the
    // first record's link to its predecessor is taken as read.
    bool check_link = from == 1;
    while (cursor.Next(&key, &bytes)) {
      if (expected == 0) {
        if (key > from) return absl::DataLossError(absl::StrCat("seq ", from, ": missing"));
        expected = key;
      } else if (key != expected) {
        return absl::DataLossError(absl::StrCat("seq ", expected, ": missing (next stored is ", key, ")"));
      }
      RETURN_IF_ERROR(ParseChunk(key, bytes, &chunk));
      for (const RecordView& r : chunk.records) {
        if (r.seq < from || r.seq > to) continue;
        if (check_link && r.prev_hash != prev) return BrokenLink(r.seq);
        check_link = true;
        RETURN_IF_ERROR(fn(r));
        prev = r.hash;
      }
      expected = key + chunk.records.size();
      if (expected > to) break;
    }
    RETURN_IF_ERROR(cursor.status());
    if (expected <= to) return absl::DataLossError(absl::StrCat("seq ", expected, ": missing"));
    if (to == head_.last_seq && expected == to + 1 && prev != head_.last_hash) {
      return absl::DataLossError(absl::StrCat("seq ", to, ": record does not hash to the ledger head"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<RecordView> Get(uint64_t seq, std::string* chunk_out) const override {
    if (seq == 0 || seq > head_.last_seq) {
      return absl::NotFoundError(absl::StrCat("seq ", seq, " is not in the ledger (head ", head_.last_seq, ")"));
    }
    RocksChunkCursor cursor(db_.get(), events(), seq);
    uint64_t key = 0;
    if (!cursor.Next(&key, chunk_out)) {
      RETURN_IF_ERROR(cursor.status());
      return absl::DataLossError(absl::StrCat("seq ", seq, ": missing"));
    }
    ParsedChunk chunk;
    RETURN_IF_ERROR(ParseChunk(key, *chunk_out, &chunk));
    if (seq < key || seq >= key + chunk.records.size()) {
      return absl::DataLossError(absl::StrCat("seq ", seq, ": missing"));
    }
    return chunk.records[seq - key];
  }

  std::unique_ptr<ChunkCursor> ReadChunks(uint64_t from_seq) const override {
    return std::make_unique<RocksChunkCursor>(db_.get(), events(), from_seq);
  }

  absl::Status PutSnapshot(uint64_t seq, absl::string_view state, bool sync) override {
    if (!writer_) return absl::FailedPreconditionError("ledger opened read-only");
    RETURN_IF_ERROR(latched_);
    std::string chunk;
    ASSIGN_OR_RETURN(RecordView at, Get(seq, &chunk));
    std::string v;
    v.append(reinterpret_cast<const char*>(&kSnapshotFormat), 2);
    v.append(reinterpret_cast<const char*>(&seq), 8);
    v.append(reinterpret_cast<const char*>(at.hash.data()), 32);
    v.append(state.data(), state.size());
    const uint32_t crc = Crc32c(v);
    v.append(reinterpret_cast<const char*>(&crc), 4);
    rocksdb::WriteOptions wo;
    wo.sync = sync;
    return FromRocks(db_->Put(wo, snapshots(), SeqKey(seq), v), "writing a snapshot");
  }

  absl::StatusOr<std::optional<Snapshot>> LatestSnapshot(uint64_t max_seq,
                                                         std::vector<std::string>* skipped) const override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), snapshots()));
    for (it->SeekForPrev(SeqKey(max_seq)); it->Valid(); it->Prev()) {
      const uint64_t key = SeqFromKey(View(it->key()));
      const absl::string_view v = View(it->value());
      auto skip = [&](absl::string_view why) {
        if (skipped) skipped->push_back(absl::StrCat("snapshot at seq ", key, ": ", why));
      };
      if (v.size() < 2 + 8 + 32 + 4) { skip("truncated"); continue; }
      uint32_t crc;
      std::memcpy(&crc, v.data() + v.size() - 4, 4);
      if (Crc32c(v.substr(0, v.size() - 4)) != crc) { skip("checksum mismatch"); continue; }
      uint16_t format;
      Snapshot snap;
      std::memcpy(&format, v.data(), 2);
      std::memcpy(&snap.seq, v.data() + 2, 8);
      std::memcpy(snap.hash_at_seq.data(), v.data() + 10, 32);
      if (format != kSnapshotFormat) { skip(absl::StrCat("unknown snapshot format ", format)); continue; }
      if (snap.seq != key || snap.seq > head_.last_seq) { skip("beyond the ledger head"); continue; }
      std::string chunk;
      auto at = Get(snap.seq, &chunk);
      if (!at.ok()) return at.status();
      if (at->hash != snap.hash_at_seq) { skip("does not match the ledger's record"); continue; }
      snap.state.assign(v.data() + 42, v.size() - 46);
      return snap;
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "reading snapshots"));
    return std::optional<Snapshot>();
  }

  absl::Status PruneSnapshots(size_t keep) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), snapshots()));
    size_t seen = 0;
    rocksdb::WriteBatch wb;
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      if (++seen > keep) wb.Delete(snapshots(), it->key());
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "reading snapshots"));
    if (wb.Count() == 0) return absl::OkStatus();
    return FromRocks(db_->Write(rocksdb::WriteOptions(), &wb), "pruning snapshots");
  }

  absl::Status Flush() override {
    if (!writer_) return absl::OkStatus();
    rocksdb::FlushOptions fo;
    fo.wait = true;
    return FromRocks(db_->Flush(fo, handles_), "flushing the ledger");
  }

  absl::Status Checkpoint(const std::string& dir) override {
    if (!writer_) return absl::FailedPreconditionError("a checkpoint is taken through the ledger's writer");
    rocksdb::Checkpoint* raw = nullptr;
    RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "preparing a checkpoint"));
    std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    return FromRocks(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0),
                     absl::StrCat("checkpointing the ledger into ", dir));
  }

  absl::Status CorruptRecordForTesting(uint64_t seq, size_t offset) override {
    std::string chunk;
    ASSIGN_OR_RETURN(RecordView r, Get(seq, &chunk));
    // The frame starts 4 bytes (body_len) before the body, whose payload
    // ends the body; walk back from the payload to the frame's start.
    const size_t body_at = static_cast<size_t>(r.payload.data() - chunk.data()) - (1 + 2 + 2 + 8 + 8 + 32);
    const size_t at = body_at - 4 + offset;
    if (at >= chunk.size()) return absl::OutOfRangeError("offset beyond the chunk");
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), events()));
    it->SeekForPrev(SeqKey(seq));
    const std::string key = it->key().ToString();
    chunk[at] = static_cast<char>(chunk[at] ^ 0x5a);
    return FromRocks(db_->Put(rocksdb::WriteOptions(), events(), key, chunk), "corrupting");
  }

  absl::Status SetFormatVersionForTesting(uint32_t version) override {
    std::string v(4, '\0');
    std::memcpy(v.data(), &version, 4);
    return FromRocks(db_->Put(rocksdb::WriteOptions(), meta(), kFormatKey, v), "setting format");
  }

 private:
  rocksdb::ColumnFamilyHandle* meta() const { return handles_[0]; }
  rocksdb::ColumnFamilyHandle* events() const { return handles_[1]; }
  rocksdb::ColumnFamilyHandle* snapshots() const { return handles_[2]; }

  // The last chunk must end exactly at the head, with the head's hash.
  absl::Status CheckHeadAgainstEvents() {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), events()));
    it->SeekToLast();
    RETURN_IF_ERROR(FromRocks(it->status(), "reading the ledger"));
    if (!it->Valid()) {
      if (head_.last_seq == 0) return absl::OkStatus();
      return absl::DataLossError(absl::StrCat("seq ", head_.last_seq, ": head names it but no events are stored"));
    }
    ParsedChunk chunk;
    const uint64_t key = SeqFromKey(View(it->key()));
    RETURN_IF_ERROR(ParseChunk(key, View(it->value()), &chunk));
    const RecordView& last = chunk.records.back();
    if (last.seq != head_.last_seq || last.hash != head_.last_hash) {
      return absl::DataLossError(absl::StrCat("seq ", last.seq, ": last stored record disagrees with the head (seq ",
                                              head_.last_seq, ")"));
    }
    return absl::OkStatus();
  }

  std::shared_ptr<DiskFaults> faults_;
  std::unique_ptr<rocksdb::Env> env_;  // outlives db_, which runs on it
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  bool writer_;
  std::string secondary_dir_;
  Head head_;
  absl::Status latched_;
};

}  // namespace

namespace {

namespace fs = std::filesystem;

// Creates a new, initialized ledger at `dir` so that a crash at any instant
// leaves either no ledger or a whole one: it is built in a scratch directory
// beside `dir` (same file system), synced, and renamed into place. A crash
// leaves only a `<name>.creating-*` directory, removed at the next creation.
// An empty `dir` is replaced; a non-empty one that is not a ledger is refused.
absl::Status CreateLedger(const std::string& dir) {
  fs::path target = fs::path(dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();
  const fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ", parent.string(), ": ", ec.message()));
  if (fs::exists(target, ec) && !fs::is_empty(target, ec)) {
    return absl::DataLossError(absl::StrCat(dir, " is not an Apollo ledger: it holds files but no RocksDB CURRENT"));
  }
  const std::string prefix = target.filename().string() + ".creating-";
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().rfind(prefix, 0) == 0) fs::remove_all(it->path(), ec);
  }
  std::string scratch = (parent / (prefix + "XXXXXX")).string();
  if (mkdtemp(scratch.data()) == nullptr) return absl::UnavailableError(absl::StrCat("cannot create ledger ", dir));
  {
    rocksdb::DBOptions opts(BaseOptions());
    opts.create_if_missing = true;
    opts.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(opts, scratch, Descriptors(), &handles, &raw),
                              absl::StrCat("creating ledger ", dir)));
    RocksLedger ledger(std::unique_ptr<rocksdb::DB>(raw), std::move(handles), /*writer=*/true, "");
    RETURN_IF_ERROR(ledger.Initialize());
  }  // closed: its WAL and MANIFEST are synced
  fs::rename(scratch, target, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot create ledger ", dir, ": ", ec.message()));
  const int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);  // the rename itself survives a power loss
    ::close(fd);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::OpenWriter(const std::string& dir, const WriterOptions& options) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(dir) / "CURRENT", ec)) RETURN_IF_ERROR(CreateLedger(dir));
  rocksdb::DBOptions opts(BaseOptions());
  std::unique_ptr<rocksdb::Env> env;
  if (options.faults != nullptr) {
    env = rocksdb::NewCompositeEnv(options.faults->file_system());
    opts.env = env.get();
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(opts, dir, Descriptors(), &handles, &raw);
  if (s.IsInvalidArgument()) return absl::DataLossError(absl::StrCat(dir, " is not an Apollo ledger: ", s.ToString()));
  if (s.IsCorruption() || s.IsPathNotFound()) {
    return absl::DataLossError(absl::StrCat("ledger ", dir, " is damaged: ", s.ToString()));
  }
  RETURN_IF_ERROR(FromRocks(s, absl::StrCat("opening ledger ", dir)));
  auto ledger = std::make_unique<RocksLedger>(std::unique_ptr<rocksdb::DB>(raw), std::move(handles),
                                              /*writer=*/true, "", options.faults, std::move(env));
  RETURN_IF_ERROR(ledger->Load());
  RETURN_IF_ERROR(ledger->VerifyNewTables());
  return std::unique_ptr<Ledger>(std::move(ledger));
}

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::OpenReader(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(dir) / "CURRENT", ec)) {
    return absl::NotFoundError(absl::StrCat("no ledger at ", dir));
  }
  ASSIGN_OR_RETURN(Secondary secondary, OpenSecondary(dir));
  auto ledger = std::make_unique<RocksLedger>(std::move(secondary.db), std::move(secondary.handles),
                                              /*writer=*/false, std::move(secondary.scratch));
  RETURN_IF_ERROR(ledger->Load());
  return std::unique_ptr<Ledger>(std::move(ledger));
}

std::string CheckpointDir(const std::string& ledger_dir, absl::Time t) {
  std::error_code ec;
  return absl::StrCat(std::filesystem::absolute(ledger_dir, ec).lexically_normal().string(), kCheckpointInfix,
                      absl::FormatTime("%Y%m%d-%H%M%S", t, absl::UTCTimeZone()));
}

}  // namespace apollo::ledger
