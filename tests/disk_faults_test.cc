// What the ledger does on a sick disk, through its file-system seam
// (ledger/disk_faults.h): a full disk, a failed fsync, a power cut at random
// points, and damaged RocksDB files (a flipped byte in an SST or the WAL, a
// torn WAL tail, a deleted SST, garbage MANIFEST and CURRENT). Nothing
// acknowledged is lost, nothing is repaired silently, and every refusal is
// one line naming the file or the seq. The bot, run as an operator runs it
// with the seam switched on through APOLLO_LEDGER_FAULTS, halts cleanly with
// that line and trades on after a restart.
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/runtime/projections.h"
#include "ledger/disk_faults.h"
#include "ledger/event_log.h"
#include "ledger/ledger.h"
#include "tests/support/cli.h"
#include "tests/support/temp_dir.h"

namespace apollo {
namespace {

namespace fs = std::filesystem;
using ledger::DiskFaults;
using ledger::Ledger;
using ledger::RecordInput;
using ledger::RecordView;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

#define ASSERT_OK(expr)                          \
  do {                                           \
    const absl::Status assert_ok_s = (expr);     \
    ASSERT_TRUE(assert_ok_s.ok()) << assert_ok_s; \
  } while (0)

// A record whose payload says which seq it was meant for.
RecordInput Rec(uint64_t seq, size_t pad = 40) {
  return RecordInput{7, 1, static_cast<int64_t>(seq), absl::StrCat("record ", seq, " ", std::string(pad, 'x'))};
}

std::vector<RecordInput> Batch(uint64_t first, size_t n, size_t pad = 40) {
  std::vector<RecordInput> out;
  for (size_t i = 0; i < n; ++i) out.push_back(Rec(first + i, pad));
  return out;
}

// Reopens `dir` with the real disk; every record from 1 to the head must be
// the one appended for its seq, the chain whole.
void ExpectWholePrefix(const std::string& dir, uint64_t at_least) {
  auto reopened = Ledger::OpenWriter(dir);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  const uint64_t head = (*reopened)->head().last_seq;
  EXPECT_GE(head, at_least) << "an acknowledged append was lost";
  uint64_t seen = 0;
  ASSERT_OK((*reopened)->Scan(1, head, [&](const RecordView& r) {
    ++seen;
    EXPECT_EQ(r.payload.substr(0, r.payload.find(' ', 7)), absl::StrCat("record ", r.seq));
    return absl::OkStatus();
  }));
  EXPECT_EQ(seen, head);
}

TEST(LedgerDiskFull, AppendFailsWithItsOwnMessageAndARestartAfterSpaceIsFreedResumes) {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("ledger");
  auto faults = std::make_shared<DiskFaults>();
  {
    auto ledger = Ledger::OpenWriter(dir, {.faults = faults});
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    ASSERT_TRUE((*ledger)->Append(Batch(1, 10), /*sync=*/true).ok());
    faults->NoSpaceAfter(2000);
    auto full = (*ledger)->Append(Batch(11, 100), /*sync=*/true);
    ASSERT_FALSE(full.ok());
    EXPECT_TRUE(absl::IsResourceExhausted(full.status())) << full.status();
    EXPECT_THAT(std::string(full.status().message()), StartsWith("ledger disk full: 0 bytes free under "));
    // Latched: nothing more is tried on that disk until the ledger is reopened.
    EXPECT_FALSE((*ledger)->Append(Batch(11, 1), /*sync=*/true).ok());
    EXPECT_GE(faults->injected(), 1u);
  }  // closed without a crash (RocksDB used to abort here on its own LOG file)
  faults->Heal();
  ExpectWholePrefix(dir, 10);
  auto ledger = Ledger::OpenWriter(dir);
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  const uint64_t head = (*ledger)->head().last_seq;
  auto next = (*ledger)->Append({Rec(head + 1)}, /*sync=*/true);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(*next, head + 1);
}

TEST(LedgerFsyncFailure, AppendFailsAndLatchesAndTheLedgerReopensWhole) {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("ledger");
  auto faults = std::make_shared<DiskFaults>();
  {
    auto ledger = Ledger::OpenWriter(dir, {.faults = faults});
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    ASSERT_TRUE((*ledger)->Append(Batch(1, 5), /*sync=*/true).ok());
    faults->FailSyncsAfter(0);
    auto failed = (*ledger)->Append(Batch(6, 5), /*sync=*/true);
    ASSERT_FALSE(failed.ok());
    EXPECT_THAT(std::string(failed.status().message()), HasSubstr("Input/output error"));
    EXPECT_THAT(std::string(failed.status().message()), HasSubstr("refuses further writes until reopened"));
    faults->Heal();
    EXPECT_FALSE((*ledger)->Append(Batch(6, 1), /*sync=*/true).ok()) << "a failed fsync must latch";
  }
  // The failed batch was never acknowledged; whether its bytes reached the
  // disk is the disk's affair, but what is there is whole.
  ExpectWholePrefix(dir, 5);
}

// Power cuts at random byte counts, inside and between appends, synced and
// not: the reopened ledger holds at least every append acknowledged as
// synced before the cut, and is a whole prefix of what was appended.
TEST(LedgerPowerLoss, ReopenGivesAPrefixOfTheAcknowledgedAppendsWithAValidChain) {
  constexpr int kCuts = 20;
  std::mt19937_64 rng(20261205);
  int cuts_that_lost_unsynced_appends = 0;  // the cut is real: it drops something
  for (int cut = 0; cut < kCuts; ++cut) {
    SCOPED_TRACE(absl::StrCat("cut ", cut));
    testing::TempDir tmp;
    const std::string dir = tmp.Sub("ledger");
    ASSERT_TRUE(Ledger::OpenWriter(dir).ok());  // created whole: creation is tested elsewhere
    auto faults = std::make_shared<DiskFaults>();
    uint64_t acknowledged = 0, appended = 0;
    {
      auto ledger = Ledger::OpenWriter(dir, {.faults = faults});
      ASSERT_TRUE(ledger.ok()) << ledger.status();
      faults->CutPowerAfter(std::uniform_int_distribution<uint64_t>(0, 200'000)(rng));
      uint64_t next = 1;
      for (int i = 0; i < 400 && faults->powered(); ++i) {
        const size_t n = std::uniform_int_distribution<size_t>(1, 40)(rng);
        const bool sync = std::bernoulli_distribution(0.5)(rng);
        auto first = (*ledger)->Append(Batch(next, n, std::uniform_int_distribution<size_t>(0, 300)(rng)), sync);
        ASSERT_TRUE(first.ok()) << first.status();
        next += n;
        appended = next - 1;
        // Acknowledged only if the power was still on when it returned (else
        // the process would have died inside it).
        if (sync && faults->powered()) acknowledged = next - 1;
      }
      faults->CutPower();
    }
    ASSERT_OK(faults->DropUnsynced());
    ExpectWholePrefix(dir, acknowledged);
    if (HasFailure()) return;
    auto reopened = Ledger::OpenWriter(dir);
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    if ((*reopened)->head().last_seq < appended) ++cuts_that_lost_unsynced_appends;
  }
  EXPECT_GT(cuts_that_lost_unsynced_appends, kCuts / 4);
}

// --- damaged files -------------------------------------------------------

// A ledger of 3,000 records: the first 2,000 flushed into an SST, the rest
// only in the WAL (the writer is dropped without a flush).
std::string MakeLedger(const testing::TempDir& tmp) {
  const std::string dir = tmp.Sub("ledger");
  {
    auto ledger = Ledger::OpenWriter(dir);
    EXPECT_TRUE(ledger.ok()) << ledger.status();
    for (uint64_t s = 1; s <= 2000; s += 100) EXPECT_TRUE((*ledger)->Append(Batch(s, 100), true).ok());
    EXPECT_TRUE((*ledger)->Flush().ok());
    for (uint64_t s = 2001; s <= 3000; s += 100) EXPECT_TRUE((*ledger)->Append(Batch(s, 100), true).ok());
  }
  return dir;
}

std::vector<fs::path> FilesWithExtension(const std::string& dir, const std::string& ext) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ext && fs::file_size(e.path()) > 0) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void FlipByte(const fs::path& file, uint64_t at) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(at));
  f.write(&c, 1);
}

// The one-line refusal, and nothing changed in the ledger directory.
void ExpectRefusal(const std::string& dir, const std::string& names) {
  auto ledger = Ledger::OpenWriter(dir);
  ASSERT_FALSE(ledger.ok()) << "a damaged ledger was opened";
  const std::string msg(ledger.status().message());
  EXPECT_TRUE(absl::IsDataLoss(ledger.status())) << ledger.status();
  EXPECT_THAT(msg, HasSubstr(names));
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(LedgerDamage, FlippedByteInAnSstRefusesTheOpenNamingTheFile) {
  testing::TempDir tmp;
  const std::string dir = MakeLedger(tmp);
  const std::vector<fs::path> ssts = FilesWithExtension(dir, ".sst");
  ASSERT_FALSE(ssts.empty());
  fs::path biggest = ssts[0];
  for (const fs::path& p : ssts) {
    if (fs::file_size(p) > fs::file_size(biggest)) biggest = p;
  }
  FlipByte(biggest, fs::file_size(biggest) / 3);  // in an old block no start-up read touches
  ExpectRefusal(dir, biggest.filename().string());
}

TEST(LedgerDamage, FlippedByteInTheWalRefusesTheOpenInsteadOfDroppingWhatFollows) {
  testing::TempDir tmp;
  const std::string dir = MakeLedger(tmp);
  const std::vector<fs::path> wals = FilesWithExtension(dir, ".log");
  ASSERT_FALSE(wals.empty());
  FlipByte(wals.back(), fs::file_size(wals.back()) / 2);
  ExpectRefusal(dir, "Corruption");
}

TEST(LedgerDamage, TornWalTailRecoversToTheLastCompleteAppend) {
  testing::TempDir tmp;
  const std::string dir = MakeLedger(tmp);
  const std::vector<fs::path> wals = FilesWithExtension(dir, ".log");
  ASSERT_FALSE(wals.empty());
  fs::resize_file(wals.back(), fs::file_size(wals.back()) - 100);  // the last append cut short
  ExpectWholePrefix(dir, 2900);
  auto ledger = Ledger::OpenWriter(dir);
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  EXPECT_EQ((*ledger)->head().last_seq, 2900u) << "recovery ends on the last complete append";
}

TEST(LedgerDamage, DeletedSstRefusesTheOpenNamingTheFile) {
  testing::TempDir tmp;
  const std::string dir = MakeLedger(tmp);
  const std::vector<fs::path> ssts = FilesWithExtension(dir, ".sst");
  ASSERT_FALSE(ssts.empty());
  fs::remove(ssts.back());
  ExpectRefusal(dir, ssts.back().stem().string());  // RocksDB names it 000NNN.sst or .ldb
}

TEST(LedgerDamage, GarbageManifestRefusesTheOpen) {
  testing::TempDir tmp;
  const std::string dir = MakeLedger(tmp);
  std::vector<fs::path> manifests;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (absl::StartsWith(e.path().filename().string(), "MANIFEST-")) manifests.push_back(e.path());
  }
  ASSERT_FALSE(manifests.empty());
  for (const fs::path& m : manifests) std::ofstream(m, std::ios::binary | std::ios::trunc) << std::string(300, '\x7f');
  ExpectRefusal(dir, "MANIFEST");
}

TEST(LedgerDamage, GarbageCurrentRefusesTheOpen) {
  testing::TempDir tmp;
  const std::string dir = MakeLedger(tmp);
  std::ofstream(fs::path(dir) / "CURRENT", std::ios::binary | std::ios::trunc) << "garbage\n";
  ExpectRefusal(dir, dir);
}

// --- the bot on a sick disk ------------------------------------------------

std::vector<std::string> Bot(const testing::TempDir& tmp, const std::string& name, const std::string& data,
                             const std::string& speed = "max") {
  return {BOT_BIN, "--config", "config.yaml", "--mode", "paper", "--ledger", tmp.Sub(name + "-ledger"),
          "--logs", tmp.Sub(name + "-logs"), "--data", data, "--speed", speed};
}

std::string LastLine(const std::string& text) {
  const std::vector<std::string> lines = testing::Lines(text);
  return lines.empty() ? "" : lines.back();
}

// The rows of a CSV projection without their first column (the seq).
std::vector<std::string> WithoutSeq(const std::string& csv) {
  std::vector<std::string> rows;
  for (const std::string& line : testing::Lines(csv)) rows.push_back(line.substr(line.find(',') + 1));
  return rows;
}

TEST(BotDiskFull, HaltsWithItsOwnLineAndAfterSpaceIsFreedTradesAsAnUninterruptedRun) {
  testing::TempDir tmp;
  const std::string data = tmp.Sub("bars.csv");
  testing::WriteFile(data, testing::BundledBars(4000));
  const testing::ToolRun full = testing::RunTool(Bot(tmp, "bot", data), {"APOLLO_LEDGER_FAULTS=nospace_after=200000"});
  EXPECT_TRUE(full.status.Exited(1)) << full.status << full.err;
  EXPECT_THAT(LastLine(full.err), StartsWith("bot: ledger disk full: 0 bytes free under ")) << full.err;
  EXPECT_THAT(testing::ReadFile(tmp.Sub("bot-logs/bot.log")), HasSubstr("\"event\":\"engine_halted\",\"error\":\"ledger disk full"));

  const testing::ToolRun resumed = testing::RunTool(Bot(tmp, "bot", data));
  ASSERT_TRUE(resumed.status.Exited(0)) << resumed.err;
  const testing::ToolRun reference = testing::RunTool(Bot(tmp, "ref", data));
  ASSERT_TRUE(reference.status.Exited(0)) << reference.err;
  // The same trades (a restart journals its own start, so seqs move on).
  EXPECT_EQ(WithoutSeq(testing::ReadFile(tmp.Sub("bot-logs/trades.csv"))),
            WithoutSeq(testing::ReadFile(tmp.Sub("ref-logs/trades.csv"))));
  EXPECT_GT(testing::Lines(testing::ReadFile(tmp.Sub("ref-logs/trades.csv"))).size(), 2u);
  const testing::ToolRun verify = testing::RunTool({REPLAY_BIN, "verify", "--ledger", tmp.Sub("bot-ledger")});
  EXPECT_TRUE(verify.status.Exited(0)) << verify.out << verify.err;
}

TEST(BotFsyncFailure, HaltsWithOneLineAndARestartResumesFromTheLastSyncedStep) {
  testing::TempDir tmp;
  const std::string data = tmp.Sub("bars.csv");
  testing::WriteFile(data, testing::BundledBars(600));
  // Paced (synced per step), as fast as the clock allows.
  const auto argv = Bot(tmp, "bot", data, "1000000x");
  const testing::ToolRun failed = testing::RunTool(argv, {"APOLLO_LEDGER_FAULTS=fail_sync_after=50"});
  EXPECT_TRUE(failed.status.Exited(1)) << failed.status << failed.err;
  EXPECT_THAT(LastLine(failed.err), HasSubstr("Input/output error")) << failed.err;
  EXPECT_THAT(LastLine(failed.err), StartsWith("bot: appending to the ledger: ")) << failed.err;
  const testing::ToolRun resumed = testing::RunTool(argv);
  ASSERT_TRUE(resumed.status.Exited(0)) << resumed.err;
  EXPECT_THAT(resumed.out, HasSubstr("bars 600 ")) << resumed.out;
  const testing::ToolRun verify = testing::RunTool({REPLAY_BIN, "verify", "--ledger", tmp.Sub("bot-ledger")});
  EXPECT_TRUE(verify.status.Exited(0)) << verify.out << verify.err;
}

TEST(BotDiskFaults, UnknownFaultSpecIsAOneLineErrorAndExit2) {
  testing::TempDir tmp;
  const std::string data = tmp.Sub("bars.csv");
  testing::WriteFile(data, testing::BundledBars(10));
  const testing::ToolRun run = testing::RunTool(Bot(tmp, "bot", data), {"APOLLO_LEDGER_FAULTS=melt_after=3"});
  EXPECT_TRUE(run.status.Exited(2));
  EXPECT_THAT(run.err, HasSubstr("unknown fault 'melt_after'"));
  EXPECT_EQ(testing::Lines(run.err).size(), 1u) << run.err;
}

// A damaged ledger: the bot refuses to start with one line naming the file
// and runs no bar; replay verify exits 1.
TEST(BotDamagedLedger, RefusesToStartNamingTheFileAndReplayVerifyExits1) {
  testing::TempDir tmp;
  const std::string data = tmp.Sub("bars.csv");
  testing::WriteFile(data, testing::BundledBars(1500));
  ASSERT_TRUE(testing::RunTool(Bot(tmp, "bot", data)).status.Exited(0));
  const std::vector<fs::path> ssts = FilesWithExtension(tmp.Sub("bot-ledger"), ".sst");
  ASSERT_FALSE(ssts.empty());
  fs::path biggest = ssts[0];
  for (const fs::path& p : ssts) {
    if (fs::file_size(p) > fs::file_size(biggest)) biggest = p;
  }
  FlipByte(biggest, fs::file_size(biggest) / 3);
  const testing::ToolRun refused = testing::RunTool(Bot(tmp, "bot", data));
  EXPECT_TRUE(refused.status.exited && refused.status.code != 0) << refused.status;
  EXPECT_THAT(LastLine(refused.err), HasSubstr(biggest.filename().string())) << refused.err;
  EXPECT_THAT(refused.out, Not(HasSubstr("mode started"))) << refused.out;
  const testing::ToolRun verify = testing::RunTool({REPLAY_BIN, "verify", "--ledger", tmp.Sub("bot-ledger")});
  EXPECT_TRUE(verify.status.Exited(1)) << verify.out << verify.err;
}

// --- projections and bot.log on a full disk -------------------------------

// trades.csv on a disk that takes nothing (/dev/full: every write ENOSPC).
TEST(ProjectionWriteFailure, IsReportedOnceAndCaughtUpFromTheLedgerWhenTheDiskHeals) {
  testing::TempDir tmp;
  const std::string logs = tmp.Sub("logs");
  fs::create_directories(logs);
  fs::create_symlink("/dev/full", fs::path(logs) / "orders.csv");
  auto ledger = Ledger::OpenWriter(tmp.Sub("ledger"));
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  std::vector<std::string> reports;
  auto projections = runtime::Projections::Open(
      logs, [&](const std::string& file, const std::string& what, bool recovered) {
        reports.push_back(absl::StrCat(file, recovered ? " recovered: " : " failed: ", what));
      }, absl::ZeroDuration());
  ASSERT_TRUE(projections.ok()) << projections.status();
  std::vector<Event> events;
  for (int i = 0; i < 50; ++i) {
    events.push_back(Event{0, 1, OrderCancelled{ClientOrderId{absl::StrCat("id-", i)}, "test"}});
  }
  for (size_t i = 0; i < events.size(); ++i) events[i].seq = i + 1;
  ASSERT_TRUE(ledger::AppendEvents(**ledger, events, true).ok());
  ASSERT_OK((*projections)->Write(events));  // never an error: the engine trades on
  (*projections)->Flush();
  EXPECT_TRUE((*projections)->behind());
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_THAT(reports[0], HasSubstr("orders.csv failed: "));
  EXPECT_THAT(reports[0], HasSubstr("No space left on device"));
  EXPECT_EQ((*projections)->write_failures(), 1u);

  // Retries on a disk still full fail again, and are not reported again
  // (an alert every 10 s would bury the one that matters).
  for (int retry = 0; retry < 2; ++retry) {
    (*projections)->Heal(**ledger);
    (*projections)->Flush();
  }
  EXPECT_TRUE((*projections)->behind());
  EXPECT_EQ(reports.size(), 1u) << reports.back();
  EXPECT_EQ((*projections)->write_failures(), 1u);

  fs::remove(fs::path(logs) / "orders.csv");  // space freed
  (*projections)->Heal(**ledger);
  (*projections)->Flush();
  EXPECT_FALSE((*projections)->behind());
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[1], "orders.csv recovered: caught up to seq 50");
  const std::vector<std::string> rows = testing::Lines(testing::ReadFile(fs::path(logs) / "orders.csv"));
  ASSERT_EQ(rows.size(), 51u);  // the header and every cancel, from the ledger
  EXPECT_THAT(rows[1], StartsWith("1,"));
  EXPECT_THAT(rows[50], StartsWith("50,"));
}

TEST(BotProjectionFailure, TradingGoesOnAndTheFailureIsLoggedAndCounted) {
  testing::TempDir tmp;
  const std::string data = tmp.Sub("bars.csv");
  testing::WriteFile(data, testing::BundledBars(5000));
  fs::create_directories(tmp.Sub("bot-logs"));
  fs::create_symlink("/dev/full", tmp.Sub("bot-logs/orders.csv"));
  const testing::ToolRun run = testing::RunTool(Bot(tmp, "bot", data));
  ASSERT_TRUE(run.status.Exited(0)) << run.status << run.err;
  EXPECT_THAT(run.out, HasSubstr("bars 5000 (this run 5000)"));
  const std::string log = testing::ReadFile(tmp.Sub("bot-logs/bot.log"));
  EXPECT_THAT(log, HasSubstr("\"event\":\"projection_write_failed\",\"file\":\"orders.csv\""));
  const testing::ToolRun reference = testing::RunTool(Bot(tmp, "ref", data));
  ASSERT_TRUE(reference.status.Exited(0));
  // Trading went on: the same trades as a run on a healthy disk.
  EXPECT_EQ(testing::ReadFile(tmp.Sub("bot-logs/trades.csv")), testing::ReadFile(tmp.Sub("ref-logs/trades.csv")));
  EXPECT_GT(testing::Lines(testing::ReadFile(tmp.Sub("ref-logs/trades.csv"))).size(), 2u);
  // The next start on a healed disk writes every order row from the ledger.
  fs::remove(tmp.Sub("bot-logs/orders.csv"));
  ASSERT_TRUE(testing::RunTool(Bot(tmp, "bot", data)).status.Exited(0));
  EXPECT_EQ(WithoutSeq(testing::ReadFile(tmp.Sub("bot-logs/orders.csv"))),
            WithoutSeq(testing::ReadFile(tmp.Sub("ref-logs/orders.csv"))));
}

TEST(BotLogFailure, TradingGoesOnAndTheLinesGoToStderr) {
  testing::TempDir tmp;
  const std::string data = tmp.Sub("bars.csv");
  testing::WriteFile(data, testing::BundledBars(2000));
  fs::create_directories(tmp.Sub("bot-logs"));
  fs::create_symlink("/dev/full", tmp.Sub("bot-logs/bot.log"));
  const testing::ToolRun run = testing::RunTool(Bot(tmp, "bot", data));
  ASSERT_TRUE(run.status.Exited(0)) << run.status << run.err;
  EXPECT_THAT(run.out, HasSubstr("bars 2000 (this run 2000)"));
  EXPECT_THAT(run.err, HasSubstr("\"event\":\"lock_acquired\""));
}

}  // namespace
}  // namespace apollo
