// Policies and weights without a restart (issue 14 §5): ops/policies.yaml's
// rails tighten config.yaml's risk limits and never loosen them, are read at
// start, on change and on SIGHUP, journaled as PolicyChanged, and an invalid
// file is refused with one line while the policy in force stays; POST
// /strategy/weights scales a strategy's entries, is journaled as
// StrategyWeightsChanged, and the OPS runbook's gradual resume works as
// written; `replay decisions` re-runs either with no divergence.
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <simdjson.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/config/config.h"
#include "engine/config/policy.h"
#include "tests/support/cli.h"
#include "tests/support/paper_bot.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

#if !defined(BOT_BIN) || !defined(REPLAY_BIN) || !defined(APOLLO_SOURCE_DIR)
#error "BOT_BIN, REPLAY_BIN and APOLLO_SOURCE_DIR must be defined"
#endif

namespace apollo {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;
namespace fs = std::filesystem;

constexpr char kToken[] = "governance-test-token";
constexpr char kStrategy[] = "trend_following_v1";
// The run's first entry is proposed at about bar 3,261: the weights are
// set before it, and it is sized after.
constexpr size_t kBeforeFirstEntry = 3000, kAfterFirstEntry = 3400;

// ---------------------------------------------------------------------------
// The rails themselves (pure).

config::Config Defaults() { return config::Config{}; }

TEST(Policy, RailsTightenConfigYamlsLimits) {
  auto rails = config::ParsePolicy("# ops/policies.yaml\nmax_concurrent_signals: 1\nrisk:\n  max_drawdown_pct: 8\n"
                                   "  risk_per_trade_pct: 0.5\n",
                                   Defaults());
  ASSERT_TRUE(rails.ok()) << rails.status();
  ASSERT_EQ(rails->size(), 3u);
  absl::btree_map<std::string, Fixed> in_force;
  for (const NamedValue& r : *rails) in_force[r.name] = r.value;
  config::Config cfg = Defaults();
  cfg.risk.max_positions = 3;
  const config::Config eff = config::Tightened(cfg, in_force);
  EXPECT_EQ(eff.risk.max_positions, 1);
  EXPECT_EQ(eff.risk.max_drawdown_pct, Fixed::FromInt(8));
  EXPECT_EQ(eff.risk.risk_per_trade_pct, *Fixed::Parse("0.5"));
  EXPECT_EQ(eff.risk.max_daily_loss_pct, cfg.risk.max_daily_loss_pct) << "what no rail names stays";
  // A rail above a limit configured tighter still leaves the tighter one.
  cfg.risk.max_drawdown_pct = Fixed::FromInt(5);
  EXPECT_EQ(config::Tightened(cfg, in_force).risk.max_drawdown_pct, Fixed::FromInt(5));
  // A limit that config.yaml leaves off (0) any rail sets.
  cfg.risk.max_margin_ratio_pct = Fixed();
  auto margin = config::ParsePolicy("risk:\n  max_margin_ratio_pct: 50\n", cfg);
  ASSERT_TRUE(margin.ok()) << margin.status();
  EXPECT_EQ(config::Tightened(cfg, {{"risk.max_margin_ratio_pct", Fixed::FromInt(50)}}).risk.max_margin_ratio_pct,
            Fixed::FromInt(50));
  // The runbook's example is a valid policy for the shipped config.yaml.
  const std::string example = testing::ReadFile(absl::StrCat(APOLLO_SOURCE_DIR, "/runbooks/policies.example.yaml"));
  auto shipped = config::LoadConfig(absl::StrCat(APOLLO_SOURCE_DIR, "/config.yaml"),
                                    [](const std::string&) { return std::optional<std::string>(); });
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  auto example_rails = config::ParsePolicy(example, *shipped);
  ASSERT_TRUE(example_rails.ok()) << example_rails.status();
  EXPECT_EQ(example_rails->size(), 4u);
  // No file, or only comments: no rails.
  EXPECT_TRUE(config::ParsePolicy("", Defaults())->empty());
  EXPECT_TRUE(config::ParsePolicy("# nothing yet\n", Defaults())->empty());
}

TEST(Policy, ALooserUnknownOrMalformedRailIsRefusedWithOneLineNamingIt) {
  auto error = [](const std::string& yaml) {
    auto r = config::ParsePolicy(yaml, Defaults());
    return r.ok() ? std::string("(accepted)") : std::string(r.status().message());
  };
  EXPECT_EQ(error("risk:\n  max_drawdown_pct: 20\n"),
            "risk.max_drawdown_pct: 20 would loosen config.yaml's 10; a policy may only tighten");
  EXPECT_THAT(error("worker_threads: 8\n"), HasSubstr("worker_threads is not a rail; the rails are max_concurrent_signals"));
  EXPECT_THAT(error("dashboard_refresh_sec: 10\n"), HasSubstr("api.dashboard_refresh_sec in config.yaml"));
  EXPECT_EQ(error("max_concurrent_signals: 0\n"), "max_concurrent_signals: expected a positive number (got '0')");
  EXPECT_EQ(error("max_concurrent_signals: 1.5\n"), "max_concurrent_signals: expected a whole number (got 1.5)");
  EXPECT_EQ(error("risk:\n  max_drawdown_pct: lots\n"), "risk.max_drawdown_pct: expected a positive number (got 'lots')");
  EXPECT_THAT(error("risk: [1, 2\n"), HasSubstr("not YAML (line"));
  EXPECT_EQ(error("- 1\n"), "expected a map of rails, e.g. max_concurrent_signals: 1");
  for (const std::string& e : {error("worker_threads: 8\n"), error("risk: [1, 2\n")}) {
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

// ---------------------------------------------------------------------------
// The running bot.

double Num(simdjson::dom::element e) {
  double v = NAN;
  if (e.is_double()) v = e.get_double().value();
  if (e.is_int64()) v = static_cast<double>(e.get_int64().value());
  if (e.is_uint64()) v = static_cast<double>(e.get_uint64().value());
  return v;
}

class Governance : public ::testing::Test {
 protected:
  std::vector<std::string> BotArgs(const std::string& ledger, size_t bars, const char* speed) {
    return bot_.Args(ledger, bars, speed);
  }
  testing::ExitStatus RunToEnd(const std::vector<std::string>& argv, std::string* output = nullptr,
                               const std::vector<std::string>& env = {}) {
    return bot_.RunToEnd(argv, output, env);
  }
  void StartHolding(const std::string& ledger, size_t bars) {
    ASSERT_TRUE(bot_.Hold(ledger, bars).ok());
    port_ = bot_.api_port();
  }
  void Stop() { EXPECT_TRUE(bot_.Stop().Exited(0)); }

  std::pair<int, std::string> Request(const std::string& method, const std::string& path, const std::string& body = "",
                                      bool token = true) {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(30, 0);
    httplib::Headers headers;
    if (token) headers.emplace("X-OPS-TOKEN", kToken);
    auto res = method == "GET" ? client.Get(path) : client.Post(path, headers, body, "application/json");
    if (!res) return {0, httplib::to_string(res.error())};
    return {res->status, res->body};
  }
  simdjson::dom::element Json(const std::string& text) {
    parsers_.push_back(std::make_unique<simdjson::dom::parser>());
    simdjson::dom::element e;
    EXPECT_EQ(parsers_.back()->parse(text).get(e), simdjson::SUCCESS) << text;
    return e;
  }
  // The events of `type` in `ledger`, as `replay events` prints them.
  std::vector<std::string> Events(const std::string& ledger, const std::string& type) {
    const testing::ToolRun run = testing::RunTool({REPLAY_BIN, "events", "--ledger", ledger, "--type", type});
    EXPECT_TRUE(run.status.Exited(0)) << run.err;
    return testing::Lines(run.out);
  }
  void ExpectNoDivergence(const std::string& ledger) {
    const testing::ToolRun run = testing::RunTool({REPLAY_BIN, "decisions", "--ledger", ledger});
    EXPECT_TRUE(run.status.Exited(0)) << run.status << run.out << run.err;
    EXPECT_TRUE(absl::StartsWith(run.out, "0 divergences over ")) << run.out;
  }
  // Runs `trigger`, then waits (inotify, bounded) until bot.log holds `needle`.
  ::testing::AssertionResult WaitForLog(const std::string& needle, const std::function<void()>& trigger) {
    const std::string log = logs_ + "/bot.log";
    const int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd < 0 || ::inotify_add_watch(fd, log.c_str(), IN_MODIFY) < 0) {
      if (fd >= 0) ::close(fd);
      return ::testing::AssertionFailure() << "cannot watch " << log;
    }
    const size_t before = LogText().size();
    trigger();
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    bool seen = false;
    while (!(seen = LogText().find(needle, before) != std::string::npos)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) > 0) {
        char buf[4096];
        while (::read(fd, buf, sizeof buf) > 0) {
        }
      }
    }
    ::close(fd);
    if (!seen) return ::testing::AssertionFailure() << needle << " not logged in time:\n" << LogText().substr(before);
    return ::testing::AssertionSuccess();
  }
  // The line of bot.log that holds `needle` ("" when none).
  std::string LogLineWith(const std::string& needle) {
    for (absl::string_view line : absl::StrSplit(LogText(), '\n')) {
      if (absl::StrContains(line, needle)) return std::string(line);
    }
    return "";
  }
  std::string LogText() { return testing::ReadFile(logs_ + "/bot.log"); }
  void WritePolicy(const std::string& text) {
    fs::create_directories(tmp_.Sub("ops"));
    const std::string tmp = tmp_.Sub("ops/.policies.yaml.new");
    testing::WriteFile(tmp, text);
    fs::rename(tmp, tmp_.Sub("ops/policies.yaml"));  // whole, as an editor or deploy writes it
  }

  TempDir tmp_;
  const std::string logs_ = tmp_.Sub("logs");
  // ops/policies.yaml is read from the bot's working directory, tmp_.
  testing::PaperBot bot_{BOT_BIN, tmp_,
                         {"ANALYTICS__ENABLED=false", absl::StrCat("OPERATOR_API_TOKEN=", kToken)}};
  int port_ = 0;
  std::vector<std::unique_ptr<simdjson::dom::parser>> parsers_;
};

// A number field of a `replay events` line.
double Field(const std::string& line, const std::string& name) {
  const std::regex re(absl::StrCat("\"", name, "\":([0-9.]+)"));
  std::smatch m;
  double v = NAN;
  return std::regex_search(line, m, re) && absl::SimpleAtod(m[1].str(), &v) ? v : NAN;
}

TEST_F(Governance, AWeightScalesTheStrategysEntriesAndEachStepOfTheGradualResumeIsJournaled) {
  const std::string ledger = tmp_.Sub("ledger");
  ASSERT_NO_FATAL_FAILURE(StartHolding(ledger, kBeforeFirstEntry));

  // Refused with one line each, nothing journaled: no token, an unknown
  // strategy (the seed's "model1"), a weight out of 0..1, no weights.
  EXPECT_EQ(Request("POST", "/strategy/weights", R"({"weights": {"trend_following_v1": 0.1}})", false).first, 401);
  auto [unknown, unknown_body] = Request("POST", "/strategy/weights", R"({"weights": {"model1": 0.1}})");
  EXPECT_EQ(unknown, 400);
  EXPECT_THAT(unknown_body, HasSubstr("unknown strategy model1: this bot runs trend_following_v1"));
  EXPECT_EQ(Request("POST", "/strategy/weights", R"({"weights": {"trend_following_v1": 1.5}})").first, 400);
  EXPECT_EQ(Request("POST", "/strategy/weights", R"({"weights": {"trend_following_v1": "x"}})").first, 400);
  EXPECT_EQ(Request("POST", "/strategy/weights", R"({"reason": "no weights"})").first, 400);
  EXPECT_EQ(Request("POST", "/strategy/weights", R"({"weights": {"trend_following_v1": 1e-12}})").first, 400)
      << "a weight that would round to 0 would stop the strategy";
  // A stray "weights" never stops another command.
  EXPECT_EQ(Request("POST", "/pause", R"({"reason": "kill switch drill", "weights": "x"})").first, 200);

  // The OPS runbook's gradual resume, paused: 0.01, resume, then 0.1 (here
  // the first entry comes while it is 0.1).
  for (const char* w : {"0.01", "0.1"}) {
    auto [status, body] = Request("POST", "/strategy/weights",
                                  absl::StrCat(R"({"weights": {"trend_following_v1": )", w, R"(}, "reason": "gradual resume"})"));
    ASSERT_EQ(status, 200) << body;
    EXPECT_THAT(body, HasSubstr(absl::StrCat("\"weights\":{\"trend_following_v1\":", w, "}")));
    if (std::string(w) == "0.01") {
      ASSERT_EQ(Request("POST", "/resume", R"({"reason": "gradual resume"})").first, 200);
    }
  }
  auto [status, body] = Request("GET", "/strategy/status");
  ASSERT_EQ(status, 200) << body;
  simdjson::dom::element s = Json(body);
  EXPECT_EQ(std::string(s["leaderboard"].at(0)["name"].get_string().value()), kStrategy);
  EXPECT_EQ(Num(s["leaderboard"].at(0)["weight"].value()), 0.1);
  EXPECT_EQ(Num(s["strategies"].at(0)["weight"].value()), 0.1);
  EXPECT_EQ(Request("POST", "/strategy/weights", R"({"weights": {"trend_following_v1": 0.1}})").second.find(
                "\"changed\":false"),
            1u)
      << "the same weight again changes nothing";
  Stop();

  // The run goes on; the same run without weights is the reference.
  ASSERT_TRUE(RunToEnd(BotArgs(ledger, kAfterFirstEntry, "max")).Exited(0));
  const std::string reference = tmp_.Sub("reference");
  ASSERT_TRUE(RunToEnd(BotArgs(reference, kAfterFirstEntry, "max")).Exited(0));
  // The two ledgers decide alike until the weights: the first proposal
  // after them is the same one in both, sized differently.
  const std::vector<std::string> changes = Events(ledger, "StrategyWeightsChanged");
  ASSERT_EQ(changes.size(), 2u) << "one event per change, none for the refusals or the repeat";
  const std::vector<std::string> proposed = Events(ledger, "TradeProposed");
  const std::vector<std::string> reference_proposed = Events(reference, "TradeProposed");
  size_t before = 0;
  while (before < proposed.size() && Field(proposed[before], "seq") < Field(changes[0], "seq")) ++before;
  ASSERT_LT(before, proposed.size()) << "an entry was proposed after the weights";
  ASSERT_LT(before, reference_proposed.size());
  const double weighted = Field(proposed[before], "qty"), full = Field(reference_proposed[before], "qty");
  ASSERT_GT(full, 0) << "the reference run proposed an entry";
  EXPECT_NEAR(weighted, full * 0.1, 0.0011) << "sized at a tenth (floored to the 0.001 step)";
  EXPECT_LT(weighted, full * 0.1 + 1e-9);

  EXPECT_THAT(changes[0], HasSubstr("\"reason\":\"gradual resume\""));
  EXPECT_THAT(changes[0], HasSubstr("0.01"));
  ExpectNoDivergence(ledger);
}

TEST_F(Governance, APolicyIsReadAtStartOnChangeAndOnSighupAndAnInvalidOneIsRefusedWhileTheOldOneStays) {
  // An invalid file refuses the start, with one line naming it.
  WritePolicy("risk:\n  max_drawdown_pct: 50\n");
  std::string out;
  const std::string ledger = tmp_.Sub("ledger");
  EXPECT_TRUE(RunToEnd(BotArgs(ledger, 10, "max"), &out).Exited(2)) << out;
  EXPECT_THAT(out, HasSubstr("ops/policies.yaml: risk.max_drawdown_pct: 50 would loosen config.yaml's 10"));
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;

  // A valid one is journaled at start and holds from the first step.
  const char* kCap = "  max_position_notional_usd: 1000\n";
  WritePolicy(absl::StrCat("max_concurrent_signals: 1\nrisk:\n", kCap, "  max_drawdown_pct: 8\n"));
  ASSERT_NO_FATAL_FAILURE(StartHolding(ledger, kBeforeFirstEntry));
  auto rails = [&] {
    auto [status, body] = Request("GET", "/strategy/status");
    EXPECT_EQ(status, 200) << body;
    simdjson::dom::element policy = Json(body)["policy"]["rails"].value();
    return simdjson::to_string(policy);
  };
  EXPECT_EQ(rails(), R"({"max_concurrent_signals":1,"risk.max_drawdown_pct":8,"risk.max_position_notional_usd":1000})");

  // Changed on disk to something looser: refused, logged once, the old policy stays.
  ASSERT_TRUE(WaitForLog("policy_refused", [&] { WritePolicy(absl::StrCat("risk:\n", kCap, "  max_drawdown_pct: 12\n")); }));
  EXPECT_THAT(LogText(), HasSubstr("risk.max_drawdown_pct: 12 would loosen config.yaml's 10"));
  EXPECT_EQ(rails(), R"({"max_concurrent_signals":1,"risk.max_drawdown_pct":8,"risk.max_position_notional_usd":1000})");

  // Changed on disk to a tighter one: taken without a signal, once it holds still.
  ASSERT_TRUE(WaitForLog("risk.max_drawdown_pct=6", [&] { WritePolicy(absl::StrCat("risk:\n", kCap, "  max_drawdown_pct: 6\n")); }));
  EXPECT_THAT(LogLineWith("risk.max_drawdown_pct=6"), HasSubstr("\"file_changed\""));
  EXPECT_EQ(rails(), R"({"risk.max_drawdown_pct":6,"risk.max_position_notional_usd":1000})");

  // SIGHUP reads it again: unchanged, it says so; changed, it is taken at once.
  ASSERT_TRUE(WaitForLog("policy_unchanged", [&] { ASSERT_TRUE(bot_.held()->Signal(SIGHUP)); }));
  ASSERT_TRUE(WaitForLog("risk.max_drawdown_pct=5", [&] {
    WritePolicy(absl::StrCat("risk:\n", kCap, "  max_drawdown_pct: 5\n"));
    ASSERT_TRUE(bot_.held()->Signal(SIGHUP));
  }));
  EXPECT_THAT(LogLineWith("risk.max_drawdown_pct=5"), HasSubstr("\"sighup\""));
  EXPECT_EQ(rails(), R"({"risk.max_drawdown_pct":5,"risk.max_position_notional_usd":1000})");
  Stop();

  // Journaled: the start's, then each change that was taken; the refusal is not.
  const std::vector<std::string> changes = Events(ledger, "PolicyChanged");
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_THAT(changes[0], HasSubstr("\"who\":\"start\""));
  EXPECT_THAT(changes[0], HasSubstr("\"sha256\":\""));

  // The rail decides: the run's first entry is capped at 1,000 USDT of
  // notional, where the same run without a policy proposes more.
  ASSERT_TRUE(RunToEnd(BotArgs(ledger, kAfterFirstEntry, "max")).Exited(0));
  fs::remove(tmp_.Sub("ops/policies.yaml"));
  const std::string reference = tmp_.Sub("reference");
  ASSERT_TRUE(RunToEnd(BotArgs(reference, kAfterFirstEntry, "max")).Exited(0));
  const std::vector<std::string> capped = Events(ledger, "TradeProposed"), uncapped = Events(reference, "TradeProposed");
  ASSERT_FALSE(capped.empty());
  ASSERT_FALSE(uncapped.empty());
  EXPECT_LE(Field(capped[0], "qty") * Field(capped[0], "entry_price"), 1000.0);
  EXPECT_GT(Field(uncapped[0], "qty") * Field(uncapped[0], "entry_price"), 1000.0);
  ExpectNoDivergence(ledger);

  // With no policy file configured, the rails in force go at the next start.
  WritePolicy("max_concurrent_signals: 1\n");
  ASSERT_TRUE(RunToEnd(BotArgs(ledger, kAfterFirstEntry + 1, "max"), nullptr, {"GOVERNANCE__POLICIES_PATH="}).Exited(0));
  const std::vector<std::string> last = Events(ledger, "PolicyChanged");
  ASSERT_EQ(last.size(), 4u);
  EXPECT_THAT(last.back(), HasSubstr("\"rails\":[]"));
}

}  // namespace
}  // namespace apollo
