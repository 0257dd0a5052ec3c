// The `replay` audit tool, run as a separate process on ledgers these tests
// write: exit codes, output formats, filters and error messages.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/domain/codec.h"
#include "engine/domain/state.h"
#include "ledger/event_log.h"
#include "ledger/ledger.h"
#include "replay/fold.h"
#include "tests/support/random_events.h"
#include "tests/support/temp_dir.h"

#ifndef REPLAY_BIN
#error "REPLAY_BIN must name the replay executable"
#endif

namespace apollo {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Outcome {
  int exit_code = -1;  // 128 + signal if killed
  std::string out, err;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `replay args...` with stdout and stderr captured in files.
Outcome RunReplay(const testing::TempDir& tmp, const std::vector<std::string>& args) {
  static int runs = 0;
  const std::string out_path = tmp.Sub(absl::StrCat("out", runs)), err_path = tmp.Sub(absl::StrCat("err", runs));
  ++runs;
  std::vector<std::string> argv_strings = {REPLAY_BIN};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  Outcome run;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out_fd);
  close(err_fd);
  if (pid < 0) {
    ADD_FAILURE() << "fork failed";
    return run;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = ReadFile(out_path);
  run.err = ReadFile(err_path);
  return run;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// One line, ending in a newline, with something on it.
::testing::AssertionResult IsOneLine(const std::string& text) {
  if (text.empty() || text.back() != '\n' || text.find('\n') != text.size() - 1 || text.size() < 2) {
    return ::testing::AssertionFailure() << "not a single line: \"" << text << "\"";
  }
  return ::testing::AssertionSuccess();
}

// True if `text` names "seq <seq>" (and not, say, "seq <seq>0").
::testing::AssertionResult NamesSeq(const std::string& text, uint64_t seq) {
  const std::string needle = absl::StrCat("seq ", seq);
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    const size_t end = at + needle.size();
    if (end == text.size() || !absl::ascii_isdigit(static_cast<unsigned char>(text[end]))) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure() << "\"" << text << "\" does not name " << needle;
}

class ReplayCli : public ::testing::Test {
 protected:
  // A ledger of OneOfEach (every event type, a valid history) in three batches.
  void SetUp() override {
    dir_ = tmp_.Sub("ledger");
    events_ = testing::OneOfEach();
    auto ledger = ledger::Ledger::OpenWriter(dir_);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    size_t at = 0;
    for (size_t n : {size_t{10}, size_t{20}, events_.size() - 30}) {
      std::vector<Event> batch(events_.begin() + at, events_.begin() + at + n);
      ASSERT_TRUE(ledger::AppendEvents(**ledger, batch, true).ok());
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(batch[i], events_[at + i]);
      at += n;
    }
    head_ = (*ledger)->head();
    ASSERT_EQ(head_.last_seq, events_.size());
  }

  Outcome Replay(const std::vector<std::string>& args) { return RunReplay(tmp_, args); }

  // A copy of the ledger with one byte of record `seq`'s payload flipped.
  std::string CorruptedCopy(uint64_t seq) {
    const std::string dir = tmp_.Sub(absl::StrCat("corrupt", seq));
    std::filesystem::copy(dir_, dir, std::filesystem::copy_options::recursive);
    auto ledger = ledger::Ledger::OpenWriter(dir);
    EXPECT_TRUE(ledger.ok()) << ledger.status();
    if (ledger.ok()) {
      EXPECT_TRUE((*ledger)->CorruptRecordForTesting(seq, 4 + 53 + 1).ok());
    }
    return dir;
  }

  std::vector<std::string> JsonOf(bool (*keep)(const Event&)) const {
    std::vector<std::string> lines;
    for (const Event& e : events_) {
      if (keep(e)) lines.push_back(EventToJson(e));
    }
    return lines;
  }

  absl::StatusOr<State> StateAt(uint64_t seq) {
    auto ledger = ledger::Ledger::OpenReader(dir_);
    if (!ledger.ok()) return ledger.status();
    replay::FoldOptions opts;
    opts.use_snapshot = false;
    opts.to_seq = seq;
    auto folded = replay::FoldLedger(**ledger, opts);
    if (!folded.ok()) return folded.status();
    return folded->state;
  }

  testing::TempDir tmp_;
  std::string dir_;
  std::vector<Event> events_;
  ledger::Head head_;
};

TEST_F(ReplayCli, VerifyPrintsOkWithEventCountAndHeadHash) {
  const Outcome run = Replay({"verify", "--ledger", dir_});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const std::string n = absl::StrCat(events_.size());
  EXPECT_EQ(run.out, absl::StrCat("OK events=", n, " last_seq=", n, " head_hash=", ledger::HashHex(head_.last_hash), "\n"));
  EXPECT_THAT(run.out, ::testing::MatchesRegex("OK events=[0-9]+ last_seq=[0-9]+ head_hash=[0-9a-f]{64}\n"));
  EXPECT_EQ(run.err, "");
}

TEST_F(ReplayCli, VerifyOfACorruptedRecordExitsOneNamingItsSeq) {
  for (uint64_t seq : {uint64_t{1}, uint64_t{17}, uint64_t{30}, uint64_t{events_.size()}}) {
    SCOPED_TRACE(absl::StrCat("seq ", seq));
    const Outcome run = Replay({"verify", "--ledger", CorruptedCopy(seq)});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_TRUE(NamesSeq(run.out + run.err, seq));
    EXPECT_THAT(run.out, ::testing::Not(StartsWith("OK")));
  }
}

TEST_F(ReplayCli, EventsJsonlPrintsEveryEventOnItsOwnLine) {
  const Outcome run = Replay({"events", "--ledger", dir_, "--format", "jsonl"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), events_.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_THAT(lines[i], StartsWith(absl::StrCat("{\"seq\":", i + 1, ",")));
    EXPECT_EQ(lines[i], EventToJson(events_[i]));
  }
  // jsonl is the default.
  EXPECT_EQ(Replay({"events", "--ledger", dir_}).out, run.out);
}

TEST_F(ReplayCli, EventsTypeKeepsOnlyThatType) {
  const Outcome filled = Replay({"events", "--ledger", dir_, "--type", "OrderFilled"});
  EXPECT_EQ(filled.exit_code, 0) << filled.err;
  const auto want_filled = JsonOf([](const Event& e) { return std::holds_alternative<OrderFilled>(e.body); });
  ASSERT_GE(want_filled.size(), 2u);
  EXPECT_EQ(Lines(filled.out), want_filled);

  const Outcome two = Replay({"events", "--ledger", dir_, "--type", "OrderFilled", "--type", "OrderPlaced"});
  EXPECT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(Lines(two.out), JsonOf([](const Event& e) {
              return std::holds_alternative<OrderFilled>(e.body) || std::holds_alternative<OrderPlaced>(e.body);
            }));
}

TEST_F(ReplayCli, EventsFromToSelectsThatRange) {
  const Outcome run = Replay({"events", "--ledger", dir_, "--from", "5", "--to", "9"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(Lines(run.out), std::vector<std::string>(
                                {EventToJson(events_[4]), EventToJson(events_[5]), EventToJson(events_[6]),
                                 EventToJson(events_[7]), EventToJson(events_[8])}));
  // Across a batch boundary, open-ended, and a single event.
  const Outcome tail = Replay({"events", "--ledger", dir_, "--from", "29"});
  ASSERT_EQ(Lines(tail.out).size(), events_.size() - 28);
  EXPECT_EQ(Lines(tail.out).front(), EventToJson(events_[28]));
  EXPECT_EQ(Lines(tail.out).back(), EventToJson(events_.back()));
  const Outcome one = Replay({"events", "--ledger", dir_, "--from", "11", "--to", "11"});
  EXPECT_EQ(Lines(one.out), std::vector<std::string>{EventToJson(events_[10])});
  // With a type filter as well.
  const Outcome both = Replay({"events", "--ledger", dir_, "--from", "14", "--type", "OrderFilled"});
  EXPECT_EQ(Lines(both.out), JsonOf([](const Event& e) {
              return e.seq >= 14 && std::holds_alternative<OrderFilled>(e.body);
            }));
  const Outcome backwards = Replay({"events", "--ledger", dir_, "--from", "9", "--to", "5"});
  EXPECT_NE(backwards.exit_code, 0);
  EXPECT_TRUE(IsOneLine(backwards.err));
}

TEST_F(ReplayCli, EventsTableHasAHeaderThenOneRowPerEvent) {
  const Outcome run = Replay({"events", "--ledger", dir_, "--format", "table"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), events_.size() + 1);
  EXPECT_EQ(lines[0], "seq\ttime\ttype\tdata");
  for (size_t i = 0; i < events_.size(); ++i) {
    const std::vector<std::string> cols = absl::StrSplit(lines[i + 1], absl::MaxSplits('\t', 3));
    ASSERT_EQ(cols.size(), 4u) << lines[i + 1];
    EXPECT_EQ(cols[0], absl::StrCat(i + 1));
    EXPECT_THAT(cols[1], ::testing::MatchesRegex("20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:.]+Z"));
    EXPECT_EQ(cols[2], EventName(static_cast<uint16_t>(TagOf(events_[i].body))));
    EXPECT_THAT(cols[3], StartsWith("{"));
  }
}

TEST_F(ReplayCli, UnknownEventTypeIsASingleLineError) {
  const Outcome run = Replay({"events", "--ledger", dir_, "--type", "Bogus"});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_EQ(run.out, "");
  EXPECT_TRUE(IsOneLine(run.err));
  EXPECT_THAT(run.err, HasSubstr("Bogus"));
}

TEST_F(ReplayCli, StateAtPrintsTheFoldAtThatSeq) {
  for (uint64_t at : {uint64_t{1}, uint64_t{20}, uint64_t{events_.size()}}) {
    SCOPED_TRACE(absl::StrCat("--at ", at));
    const Outcome run = Replay({"state", "--ledger", dir_, "--at", absl::StrCat(at)});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_THAT(run.out, StartsWith(absl::StrCat("{\"last_seq\":", at, ",")));
    auto state = StateAt(at);
    ASSERT_TRUE(state.ok()) << state.status();
    EXPECT_EQ(run.out, StateToJson(*state) + "\n");
  }
  const Outcome beyond = Replay({"state", "--ledger", dir_, "--at", absl::StrCat(events_.size() + 1)});
  EXPECT_NE(beyond.exit_code, 0);
  EXPECT_EQ(beyond.out, "");
  EXPECT_TRUE(IsOneLine(beyond.err));
}

// `state` without --at is documented as the state at the head.
TEST_F(ReplayCli, StateWithoutAtPrintsTheStateAtTheHead) {
  const Outcome run = Replay({"state", "--ledger", dir_});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  auto state = StateAt(head_.last_seq);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(run.out, StateToJson(*state) + "\n");
}

TEST_F(ReplayCli, HelpExitsZeroForEverySubcommand) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"verify", "--help"}, {"events", "--help"}, {"state", "--help"}}) {
    SCOPED_TRACE(absl::StrJoin(args, " "));
    const Outcome run = Replay(args);
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_THAT(run.out, HasSubstr("--"));
  }
  EXPECT_THAT(Replay({"events", "--help"}).out, HasSubstr("--type"));
  EXPECT_THAT(Replay({"state", "--help"}).out, HasSubstr("--at"));
}

TEST_F(ReplayCli, MissingLedgerIsANonZeroExitWithAOneLineError) {
  const std::string missing = tmp_.Sub("no-such-ledger");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"verify", "--ledger", missing}, {"events", "--ledger", missing}, {"state", "--ledger", missing}}) {
    SCOPED_TRACE(args[0]);
    const Outcome run = Replay(args);
    EXPECT_NE(run.exit_code, 0);
    EXPECT_EQ(run.out, "");
    EXPECT_TRUE(IsOneLine(run.err));
    EXPECT_THAT(run.err, HasSubstr(missing));
  }
  EXPECT_FALSE(std::filesystem::exists(missing)) << "replay created the ledger directory";
}

}  // namespace
}  // namespace apollo
