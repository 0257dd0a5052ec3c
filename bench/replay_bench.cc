// One-shot replay and recovery figures over a large ledger. Each subcommand
// prints its figures on stdout as `name: value unit` lines; details go to
// stderr. bench/run.sh drives them; each runs in its own process.
//
//   replay_bench build-ledger DIR [N]   build DIR with N events (default 10M)
//                                       unless DIR.complete says it is built
//   replay_bench fold DIR [--cold]      OpenWriter + FoldLedger(no snapshot):
//                                       fold rate, full recovery time, peak RSS
//                                       (--cold: DIR evicted from the page
//                                       cache first; figures named *_cold*)
//   replay_bench recover-snapshot DIR   clean stop with a snapshot at the head,
//                                       then time OpenWriter + FoldLedger
//   replay_bench recover-after-kill DIR SIGKILL a writer appending synced
//                                       batches after a snapshot, then time
//                                       OpenWriter (WAL replay) + FoldLedger
//   replay_bench profile DIR [N]        single-threaded split of the fold's
//                                       stages (read, CRC, SHA-256, decode,
//                                       apply) over the first N events
//
// DIR itself is only ever read by fold and profile (and opened as writer by
// build-ledger); the recovery subcommands work on clones of it (SST files
// hard-linked, everything else copied), so the cached ledger stays as built.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/event_mix.h"
#include "engine/domain/state.h"
#include "ledger/event_log.h"
#include "ledger/ledger.h"
#include "ledger/record.h"
#include "replay/fold.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/table.h"

// Allocation counting for `profile` (off unless switched on; one relaxed load
// per allocation otherwise).
namespace {
std::atomic<bool> g_count_allocs{false};
std::atomic<uint64_t> g_allocs{0};
}  // namespace

void* operator new(size_t n) {
  if (g_count_allocs.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace {

namespace fs = std::filesystem;
using apollo::Event;
using apollo::State;
using apollo::ledger::Ledger;
using apollo::ledger::RecordInput;
using apollo::replay::FoldLedger;
using apollo::replay::FoldOptions;
using apollo::replay::FoldResult;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kDefaultEvents = 10'000'000;
constexpr size_t kBuildBatch = 1024;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "replay_bench: %s\n", what.c_str());
  std::exit(1);
}
void Check(const absl::Status& st, const std::string& what) {
  if (!st.ok()) Die(absl::StrCat(what, ": ", st.ToString()));
}
template <class T>
T Must(absl::StatusOr<T> v, const std::string& what) {
  Check(v.status(), what);
  return *std::move(v);
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
double Sec(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void Figure(const std::string& name, double value, const std::string& unit) {
  std::printf("%s: %.*f %s\n", name.c_str(), value >= 100 ? 0 : 1, value, unit.c_str());
  std::fflush(stdout);
}

// VmHWM (peak resident set) of this process, in MiB.
double PeakRssMb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}
std::string Join(const std::vector<double>& v) {
  std::string s;
  for (double x : v) absl::StrAppend(&s, s.empty() ? "" : " ", static_cast<int64_t>(x * 10) / 10.0);
  return s;
}

uint64_t DirBytes(const std::string& dir, const std::string& suffix) {
  uint64_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      n += e.file_size();
    }
  }
  return n;
}

// A writable copy of a closed ledger: SST files are immutable, so they are
// hard-linked (as RocksDB's own checkpoints do); the rest is copied.
void CloneLedger(const std::string& src, const std::string& dst) {
  std::error_code ec;
  fs::remove_all(dst, ec);
  fs::create_directories(dst);
  for (const auto& e : fs::directory_iterator(src)) {
    const std::string name = e.path().filename().string();
    if (name == "LOCK" || name.rfind("LOG", 0) == 0) continue;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".sst") == 0) {
      fs::create_hard_link(e.path(), fs::path(dst) / name);
    } else {
      fs::copy_file(e.path(), fs::path(dst) / name);
    }
  }
}

// Opens the ledger's RocksDB directly (same column family options as
// ledger.cc) and waits until no compaction is pending or running, so the
// timed opens that follow do not compete with a compaction backlog left
// over from the build.
void WaitForCompactions(const std::string& dir) {
  auto cf_options = [](bool events) {
    rocksdb::ColumnFamilyOptions o;
    o.write_buffer_size = 8 << 20;
    o.max_write_buffer_number = 3;
    o.compression = rocksdb::kNoCompression;
    rocksdb::BlockBasedTableOptions t;
    t.block_size = events ? 64 * 1024 : 4 * 1024;
    t.block_cache = rocksdb::NewLRUCache(8 << 20);
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    return o;
  };
  rocksdb::DBOptions opts;
  opts.max_background_jobs = 2;
  opts.max_total_wal_size = 32 << 20;
  opts.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = {{rocksdb::kDefaultColumnFamilyName, cf_options(false)},
                                                      {"events", cf_options(true)},
                                                      {"snapshots", cf_options(false)}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(opts, dir, cfs, &handles, &db);
  if (!s.ok()) Die("opening RocksDB to wait for compactions: " + s.ToString());
  const auto t0 = Clock::now();
  for (;;) {
    uint64_t pending = 0, running = 0, flushes = 0;
    for (auto* h : handles) {
      uint64_t v = 0;
      if (db->GetIntProperty(h, "rocksdb.compaction-pending", &v)) pending += v;
      if (db->GetIntProperty(h, "rocksdb.num-running-compactions", &v)) running += v;
      if (db->GetIntProperty(h, "rocksdb.num-running-flushes", &v)) flushes += v;
    }
    if (pending == 0 && running == 0 && flushes == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::string levels;
  db->GetProperty(handles[1], "rocksdb.levelstats", &levels);
  std::fprintf(stderr, "compactions settled after %.1f s; events column family:\n%s", Sec(Clock::now() - t0),
               levels.c_str());
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  db->Close().PermitUncheckedError();
  delete db;
}

std::string MarkerPath(const std::string& dir) { return dir + ".complete"; }

bool IsBuilt(const std::string& dir, uint64_t n) {
  std::ifstream in(MarkerPath(dir));
  uint64_t recorded = 0;
  if (!(in >> recorded) || recorded != n) return false;
  auto ledger = Ledger::OpenWriter(dir);
  return ledger.ok() && (*ledger)->head().last_seq == n;
}

int BuildLedger(const std::string& dir, uint64_t n) {
  if (IsBuilt(dir, n)) {
    std::fprintf(stderr, "ledger %s already holds %llu events (cached)\n", dir.c_str(),
                 static_cast<unsigned long long>(n));
    return 0;
  }
  std::error_code ec;
  fs::remove(MarkerPath(dir), ec);
  fs::remove_all(dir, ec);
  std::fprintf(stderr, "building %s with %llu events...\n", dir.c_str(), static_cast<unsigned long long>(n));
  const auto t0 = Clock::now();
  State state;
  uint64_t payload_bytes = 0;
  {
    auto ledger = Must(Ledger::OpenWriter(dir), "opening " + dir);
    apollo::bench::EventMix mix(state);
    std::vector<RecordInput> records;
    records.reserve(kBuildBatch);
    uint64_t done = 0;
    while (done < n) {
      const size_t batch = static_cast<size_t>(std::min<uint64_t>(kBuildBatch, n - done));
      records.clear();
      for (size_t i = 0; i < batch; ++i) {
        Event e = mix.Next();
        Check(apollo::Apply(state, e), "folding a generated event");
        records.push_back(apollo::ledger::ToRecord(e));
        payload_bytes += records.back().payload.size();
      }
      Must(ledger->Append(records, /*sync=*/false), "appending");
      done += batch;
      if (done % 1'000'000 < batch) {
        std::fprintf(stderr, "  %llu events, %.0f s\n", static_cast<unsigned long long>(done),
                     Sec(Clock::now() - t0));
      }
    }
    Check(ledger->Flush(), "flushing");
    Check(ledger->PutSnapshot(n, apollo::EncodeState(state), /*sync=*/true), "writing the head snapshot");
    Check(ledger->Flush(), "flushing");
  }
  const double build_s = Sec(Clock::now() - t0);
  WaitForCompactions(dir);
  const uint64_t sst = DirBytes(dir, ".sst");
  std::fprintf(stderr,
               "built in %.1f s (%.0f events/s incl. generation and encoding); mean payload %.1f B, "
               "%.1f B per event on disk (%.2f GB of SST)\n",
               build_s, n / build_s, static_cast<double>(payload_bytes) / n, static_cast<double>(sst) / n,
               sst / 1e9);
  std::ofstream(MarkerPath(dir)) << n << "\n";
  return 0;
}

// CPU time this process has used, and all CPUs' busy time (from /proc/stat),
// to tell a slow fold from one that shared its cores with something else.
double ProcessCpuSec() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}
double SystemBusySec() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  uint64_t user = 0, nice = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  in >> cpu >> user >> nice >> sys >> idle >> iowait >> irq >> softirq >> steal;
  return static_cast<double>(user + nice + sys + irq + softirq + steal) / sysconf(_SC_CLK_TCK);
}

// Evicts dir's files from the page cache (clean pages only, which is all of
// a closed ledger's), so the next read of them comes from the disk.
void DropPageCache(const std::string& dir) {
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const int fd = open(e.path().c_str(), O_RDONLY);
    if (fd < 0) continue;
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
  }
}

int Fold(const std::string& dir, bool cold) {
  if (cold) DropPageCache(dir);
  const std::string suffix = cold ? "_cold" : "";
  const double cpu0 = ProcessCpuSec(), busy0 = SystemBusySec();
  const auto t0 = Clock::now();
  auto ledger = Must(Ledger::OpenWriter(dir), "opening " + dir);
  const auto t1 = Clock::now();
  FoldOptions opts;
  opts.use_snapshot = false;
  FoldResult r = Must(FoldLedger(*ledger, opts), "folding");
  const auto t2 = Clock::now();
  const uint64_t n = ledger->head().last_seq;
  if (r.events_folded != n || r.state.last_seq != n) Die("fold did not reach the head");
  const double cpu = ProcessCpuSec() - cpu0, others = SystemBusySec() - busy0 - cpu;
  std::fprintf(stderr,
               "fold: %llu events, open %.1f ms, fold %.3f s; this process used %.2f CPU s (%.0f ns per event), "
               "other processes %.2f CPU s meanwhile\n",
               static_cast<unsigned long long>(n), Ms(t1 - t0), Sec(t2 - t1), cpu, cpu * 1e9 / n,
               std::max(0.0, others));
  Figure("replay_fold" + suffix + "_events_per_s", n / Sec(t2 - t1), "events/s");
  Figure("recovery_full" + suffix + "_ms_10m", Ms(t2 - t0), "ms");
  Figure("replay_peak_rss_mb", PeakRssMb(), "MB");
  return 0;
}

// OpenWriter + FoldLedger(use_snapshot) on dir; checks the result is at the head.
FoldResult OpenAndFold(const std::string& dir, double* ms) {
  const auto t0 = Clock::now();
  auto ledger = Must(Ledger::OpenWriter(dir), "opening " + dir);
  FoldOptions opts;
  opts.use_snapshot = true;
  FoldResult r = Must(FoldLedger(*ledger, opts), "folding");
  *ms = Ms(Clock::now() - t0);
  if (r.state.last_seq != ledger->head().last_seq) Die("fold did not reach the head");
  return r;
}

int RecoverSnapshot(const std::string& dir) {
  const std::string work = dir + "-snapshot";
  CloneLedger(dir, work);
  {
    // The clean stop: snapshot at the head, flush, close.
    auto ledger = Must(Ledger::OpenWriter(work), "opening " + work);
    FoldOptions opts;
    FoldResult r = Must(FoldLedger(*ledger, opts), "folding");
    const uint64_t head = ledger->head().last_seq;
    Check(ledger->PutSnapshot(head, apollo::EncodeState(r.state), /*sync=*/true), "writing a snapshot");
    Check(ledger->Flush(), "flushing");
  }
  std::vector<double> samples;
  for (int i = 0; i < 5; ++i) {
    double ms = 0;
    FoldResult r = OpenAndFold(work, &ms);
    if (r.snapshot_seq != r.state.last_seq || r.events_folded != 0) Die("recovery did not start at the head snapshot");
    samples.push_back(ms);
  }
  std::fprintf(stderr, "recover-snapshot: samples (ms) %s\n", Join(samples).c_str());
  Figure("recovery_snapshot_ms_10m", Median(samples), "ms");
  std::error_code ec;
  fs::remove_all(work, ec);
  return 0;
}

// The writer SIGKILLed by recover-after-kill: opens dir, snapshots at the
// head, then appends synced batches of `batch` events forever, writing
// "<snapshot seq> <events appended>\n" to fd once `after` events are acknowledged.
int KillChild(const std::string& dir, int fd, uint64_t after, size_t batch) {
  auto ledger = Must(Ledger::OpenWriter(dir), "opening " + dir);
  FoldOptions opts;
  FoldResult r = Must(FoldLedger(*ledger, opts), "folding");
  const uint64_t snap = ledger->head().last_seq;
  Check(ledger->PutSnapshot(snap, apollo::EncodeState(r.state), /*sync=*/true), "writing a snapshot");
  apollo::bench::EventMix mix(r.state, 0xdead);
  const pid_t parent = getppid();
  uint64_t appended = 0;
  bool told = false;
  const auto t0 = Clock::now();
  for (;;) {
    Must(ledger->Append(mix.NextRecords(batch), /*sync=*/true), "appending");
    appended += batch;
    if (!told && appended >= after) {
      const std::string msg = absl::StrCat(snap, " ", appended, "\n");
      if (write(fd, msg.data(), msg.size()) != static_cast<ssize_t>(msg.size())) return 1;
      told = true;
    }
    // Not killed (the parent went away): stop rather than append forever.
    if (getppid() != parent || Sec(Clock::now() - t0) > 120) return 1;
  }
}

int RecoverAfterKill(const std::string& dir, const char* self) {
  const std::string work = dir + "-kill";
  constexpr uint64_t kAfter = 5000;
  constexpr size_t kBatch = 8;
  std::vector<double> samples;
  for (int i = 0; i < 3; ++i) {
    CloneLedger(dir, work);
    int fds[2];
    if (pipe(fds) != 0) Die("pipe");
    const pid_t pid = fork();
    if (pid < 0) Die("fork");
    if (pid == 0) {
      close(fds[0]);
      const std::string fd = std::to_string(fds[1]), after = std::to_string(kAfter),
                        batch = std::to_string(kBatch);
      execl(self, self, "kill-child", work.c_str(), fd.c_str(), after.c_str(), batch.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    std::string msg;
    char c;
    while (read(fds[0], &c, 1) == 1 && c != '\n') msg.push_back(c);
    kill(pid, SIGKILL);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    close(fds[0]);
    unsigned long long snap = 0, acked = 0;
    if (std::sscanf(msg.c_str(), "%llu %llu", &snap, &acked) != 2) Die("the writer child failed before signalling");
    if (!WIFSIGNALED(wstatus) || WTERMSIG(wstatus) != SIGKILL) Die("the writer child was not killed");
    const uint64_t wal = DirBytes(work, ".log");
    double ms = 0;
    FoldResult r = OpenAndFold(work, &ms);
    if (r.snapshot_seq != snap) Die(absl::StrCat("recovery used snapshot ", r.snapshot_seq, ", not ", snap));
    if (r.events_folded < acked) Die("recovery lost acknowledged events");
    std::fprintf(stderr,
                 "recover-after-kill #%d: %.1f ms; WAL %.2f MB; %llu events acknowledged after the snapshot, "
                 "%llu recovered\n",
                 i + 1, ms, wal / 1e6, acked, static_cast<unsigned long long>(r.events_folded));
    samples.push_back(ms);
  }
  std::fprintf(stderr, "recover-after-kill: samples (ms) %s\n", Join(samples).c_str());
  Figure("recovery_after_kill_ms_10m", Median(samples), "ms");
  std::error_code ec;
  fs::remove_all(work, ec);
  return 0;
}

// Where a fold's time goes, stage by stage on one thread (the real fold
// overlaps the read+check stage with the decode+apply stage on two).
int Profile(const std::string& dir, uint64_t limit) {
  auto ledger = Must(Ledger::OpenReader(dir), "opening " + dir);
  const uint64_t to = std::min(limit, ledger->head().last_seq);
  auto cursor = ledger->ReadChunks(1);
  Clock::duration read{}, parse{}, crc{}, sha{}, decode{}, apply{}, destroy{};
  uint64_t key = 0, n = 0, bytes = 0, decode_allocs = 0;
  std::string chunk_bytes;
  apollo::ledger::ParsedChunk chunk;
  std::vector<Event> events;
  events.reserve(2048);  // so the allocation count is the decoder's alone
  State state;
  uint32_t sink = 0;
  for (;;) {
    auto a = Clock::now();
    if (!cursor->Next(&key, &chunk_bytes)) break;
    auto b = Clock::now();
    read += b - a;
    Check(apollo::ledger::ParseChunk(key, chunk_bytes, &chunk), "parsing");
    auto c = Clock::now();
    parse += c - b;
    // The same checks' two hashes on their own: bodies are the 53 header
    // bytes before each payload plus the payload.
    for (const auto& r : chunk.records) {
      sink += apollo::ledger::Crc32c(absl::string_view(r.payload.data() - 53, r.payload.size() + 53));
    }
    auto d = Clock::now();
    crc += d - c;
    for (const auto& r : chunk.records) {
      sink += apollo::ledger::Sha256(absl::string_view(r.payload.data() - 53, r.payload.size() + 53))[0];
    }
    auto e = Clock::now();
    sha += e - d;
    events.clear();
    g_allocs.store(0);
    g_count_allocs.store(true);
    for (const auto& r : chunk.records) {
      if (r.seq > to) break;
      events.push_back(Must(apollo::ledger::DecodeRecord(r), "decoding"));
      bytes += r.payload.size();
    }
    g_count_allocs.store(false);
    decode_allocs += g_allocs.load();
    auto f = Clock::now();
    decode += f - e;
    for (const Event& ev : events) Check(apollo::Apply(state, ev), "applying");
    auto g = Clock::now();
    apply += g - f;
    n += events.size();
    events.clear();
    destroy += Clock::now() - g;
    if (n >= to) break;
  }
  Check(cursor->status(), "reading");
  auto per = [&](Clock::duration d) { return std::chrono::duration<double, std::nano>(d).count() / n; };
  std::fprintf(stderr,
               "profile over %llu events (mean payload %.1f B), ns per event on one thread:\n"
               "  read chunk (RocksDB iterate + copy)  %7.1f\n"
               "  ParseChunk (frame + CRC + SHA-256)   %7.1f\n"
               "    of which CRC32C alone              %7.1f\n"
               "    of which SHA-256 alone             %7.1f\n"
               "  DecodeRecord (into Event)            %7.1f  (%.2f heap allocations per event)\n"
               "  Apply                                %7.1f\n"
               "  ~Event                               %7.1f\n"
               "  reader stage (read + parse)          %7.1f  -> %.2f M events/s\n"
               "  consumer stage (decode+apply+free)   %7.1f  -> %.2f M events/s\n",
               static_cast<unsigned long long>(n), static_cast<double>(bytes) / n, per(read), per(parse), per(crc),
               per(sha), per(decode), static_cast<double>(decode_allocs) / n, per(apply), per(destroy),
               per(read) + per(parse), 1e3 / (per(read) + per(parse)), per(decode) + per(apply) + per(destroy),
               1e3 / (per(decode) + per(apply) + per(destroy)));
  if (sink == 42) std::fprintf(stderr, " ");
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: replay_bench build-ledger DIR [N] | fold DIR | recover-snapshot DIR | "
               "recover-after-kill DIR | profile DIR [N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  const std::string cmd = argv[1], dir = argv[2];
  if (cmd == "build-ledger") return BuildLedger(dir, argc > 3 ? std::stoull(argv[3]) : kDefaultEvents);
  if (cmd == "fold") return Fold(dir, argc > 3 && std::string(argv[3]) == "--cold");
  if (cmd == "recover-snapshot") return RecoverSnapshot(dir);
  if (cmd == "recover-after-kill") return RecoverAfterKill(dir, "/proc/self/exe");
  if (cmd == "kill-child" && argc == 6) {
    return KillChild(dir, std::stoi(argv[3]), std::stoull(argv[4]), std::stoul(argv[5]));
  }
  if (cmd == "profile") return Profile(dir, argc > 3 ? std::stoull(argv[3]) : kDefaultEvents);
  return Usage();
}
