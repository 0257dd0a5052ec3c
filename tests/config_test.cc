// Config: the shipped config.yaml is the documented defaults, every bad input
// is one line naming the key (or the environment variable), environment
// overrides beat YAML, the hash follows every value, and secrets come from
// the environment or .env without ever appearing in an error.
#include "engine/config/config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "tests/support/temp_dir.h"

namespace apollo::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The repo root's config.yaml, found from this file so the test does not
// depend on the working directory.
const std::string kShippedConfig =
    (std::filesystem::path(__FILE__).parent_path() / ".." / "config.yaml").string();

Env MapEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Env NoEnv() { return MapEnv({}); }

class ConfigTest : public ::testing::Test {
 protected:
  // Writes `text` as a config file in the scratch directory; returns its path.
  std::string Write(const std::string& text, const std::string& name = "config.yaml") {
    const std::string path = dir_.Sub(name);
    std::ofstream(path) << text;
    return path;
  }

  // Loads `yaml` and returns the error message (empty if it loaded).
  std::string ErrorOf(const std::string& yaml, Env env = NoEnv()) {
    absl::StatusOr<Config> cfg = LoadConfig(Write(yaml), env);
    return cfg.ok() ? "" : std::string(cfg.status().message());
  }

  std::string Path() const { return dir_.Sub("config.yaml"); }

  testing::TempDir dir_;
};

// "a.b = v" lines -> keys.
std::vector<std::string> CanonicalKeys(const Config& cfg) {
  std::vector<std::string> keys;
  for (absl::string_view line : absl::StrSplit(cfg.Canonical(), '\n', absl::SkipEmpty())) {
    keys.emplace_back(line.substr(0, line.find(" = ")));
  }
  return keys;
}

// Dotted paths of every "name:" line of a block-style YAML file, found by
// indentation; enough for our own config.yaml, which uses no flow maps.
std::set<std::string> YamlKeyPaths(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::pair<size_t, std::string>> stack;  // (indent, name)
  std::set<std::string> paths;
  for (std::string line; std::getline(in, line);) {
    const size_t indent = line.find_first_not_of(' ');
    if (indent == std::string::npos || line[indent] == '#') continue;
    const size_t colon = line.find(':', indent);
    if (colon == std::string::npos) continue;
    while (!stack.empty() && stack.back().first >= indent) stack.pop_back();
    stack.emplace_back(indent, line.substr(indent, colon - indent));
    std::string dotted;
    for (const auto& [_, name] : stack) dotted += (dotted.empty() ? "" : ".") + name;
    paths.insert(dotted);
  }
  return paths;
}

// ------------------------------------------------------------ shipped file

TEST_F(ConfigTest, ShippedConfigYamlLoadsAndEqualsDefaults) {
  absl::StatusOr<Config> cfg = LoadConfig(kShippedConfig, NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->Canonical(), Config{}.Canonical());
  EXPECT_EQ(cfg->Hash(), Config{}.Hash());
}

TEST_F(ConfigTest, ShippedConfigYamlSpellsOutEveryDeclaredKey) {
  const std::set<std::string> in_yaml = YamlKeyPaths(kShippedConfig);
  const std::vector<std::string> declared = CanonicalKeys(Config{});
  ASSERT_GT(declared.size(), 50u);
  for (const std::string& key : declared) {
    EXPECT_TRUE(in_yaml.count(key)) << key << " is declared but missing from config.yaml";
  }
}

// What ConfigLoaded journals reads back as the same config.
TEST_F(ConfigTest, CanonicalTextReadsBackAsTheSameConfig) {
  absl::StatusOr<Config> cfg = LoadConfig(kShippedConfig, NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  cfg->run.live_confirm = "two\nlines";  // escaped in the text, so it cannot forge a line
  absl::StatusOr<Config> back = ParseCanonical(cfg->Canonical(), "ConfigLoaded");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->Canonical(), cfg->Canonical());
  EXPECT_EQ(back->run.live_confirm, "two\nlines");
}

// The canonical text of the default config without `keys`: what a ledger
// journaled before they existed holds.
std::string CanonicalWithout(const std::vector<std::string>& keys) {
  std::string old;
  for (absl::string_view line : absl::StrSplit(Config{}.Canonical(), '\n')) {
    const bool dropped = std::any_of(keys.begin(), keys.end(), [&](const std::string& k) {
      return absl::StartsWith(line, k + " =");
    });
    if (!line.empty() && !dropped) absl::StrAppend(&old, line, "\n");
  }
  return old;
}

// A ledger journaled before the seed's regime keys decides as it did then:
// no CHOP, no smaller transitional entries.
TEST_F(ConfigTest, JournaledConfigFromBeforeTheRegimeKeysReadsAsAdxAloneAtFullSize) {
  absl::StatusOr<Config> back =
      ParseCanonical(CanonicalWithout({"regime.transitional_size_multiplier", "strategy.indicators.chop_period"}),
                     "ConfigLoaded");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->strategy.indicators.chop_period, 0);
  EXPECT_EQ(back->regime.transitional_size_multiplier, Fixed::FromInt(1));
  EXPECT_EQ(Config{}.strategy.indicators.chop_period, 14);  // the seed's, for new configs
  EXPECT_EQ(Config{}.regime.transitional_size_multiplier, *Fixed::Parse("0.5"));
}

// Ledgers from before the entry lifecycle cancelled a limit entry at
// entry_max_duration_sec and journaled no EntrySkipped; read back, they
// still do (so replay decisions derives none for them).
TEST_F(ConfigTest, JournaledConfigFromBeforeTheEntryLifecycleTimesOutAtTheMaximumAsThen) {
  absl::StatusOr<Config> back = ParseCanonical(
      CanonicalWithout({"execution.entry_lifecycle_enabled", "execution.entry_timeout_mode",
                        "execution.entry_fallback_timeout_sec"}),
      "ConfigLoaded");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_FALSE(back->execution.entry_lifecycle_enabled);
  EXPECT_TRUE(Config{}.execution.entry_lifecycle_enabled);
  EXPECT_EQ(Config{}.execution.entry_timeout_mode, "timeframe");
  EXPECT_EQ(ErrorOf("execution:\n  entry_timeout_mode: bar\n"),
            Path() + ": execution.entry_timeout_mode: must be one of timeframe, fixed (got bar)");
  EXPECT_THAT(ErrorOf("execution:\n  entry_expired_action: market\n"),
              HasSubstr("execution.entry_expired_action: Apollo always runs with cancel"));
  EXPECT_EQ(ErrorOf("execution:\n  entry_expired_action: cancel\n  entry_lifecycle_enabled: false\n"), "");
}

// Ledgers from before the spread check journaled no book and judged no
// spread; read back, the check is off.
TEST_F(ConfigTest, JournaledConfigFromBeforeTheSpreadCheckReadsItOff) {
  absl::StatusOr<Config> back = ParseCanonical(
      CanonicalWithout({"execution.max_spread_pct", "execution.use_dynamic_spread_threshold",
                        "execution.spread_threshold_calm_pct", "execution.atr_volatile_threshold"}),
      "ConfigLoaded");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->execution.max_spread_pct, Fixed());
  EXPECT_FALSE(back->execution.use_dynamic_spread_threshold);
  EXPECT_EQ(Config{}.execution.max_spread_pct, *Fixed::Parse("0.3"));  // the seed's, for new configs
  EXPECT_EQ(ErrorOf("execution:\n  atr_calm_threshold: 5\n"),
            Path() + ": execution.atr_calm_threshold: must be <= execution.atr_volatile_threshold (4) (got 5)");
  EXPECT_EQ(ErrorOf("execution:\n  spread_threshold_normal_pct: 0.3\n"),
            Path() + ": execution.spread_threshold_normal_pct: must lie between execution.spread_threshold_calm_pct "
                     "(0.05) and execution.spread_threshold_volatile_pct (0.2) (got 0.3)");
  EXPECT_THAT(ErrorOf("execution:\n  spread_threshold_calm_pct: 0\n"),
              HasSubstr("execution.spread_threshold_calm_pct: must be > 0"));
}

TEST_F(ConfigTest, RegimeThresholdsThatOverlapOrAOneBarChopAreRefused) {
  absl::StatusOr<Config> cfg = LoadConfig(Write("regime:\n  adx_trending_threshold: 30\n  chop_ranging_threshold: 58\n"
                                                "  transitional_size_multiplier: 0.25\nstrategy:\n  indicators:\n"
                                                "    chop_period: 10\n"),
                                          NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->regime.adx_trending_threshold, Fixed::FromInt(30));
  EXPECT_EQ(cfg->regime.chop_ranging_threshold, Fixed::FromInt(58));
  EXPECT_EQ(cfg->regime.transitional_size_multiplier, *Fixed::Parse("0.25"));
  EXPECT_EQ(cfg->strategy.indicators.chop_period, 10);
  EXPECT_EQ(ErrorOf("regime:\n  adx_ranging_threshold: 25\n"),
            Path() + ": regime.adx_ranging_threshold: must be < regime.adx_trending_threshold (25) (got 25)");
  EXPECT_EQ(ErrorOf("regime:\n  chop_trending_threshold: 70\n"),
            Path() + ": regime.chop_trending_threshold: must be < regime.chop_ranging_threshold (61.8) (got 70)");
  EXPECT_EQ(ErrorOf("strategy:\n  indicators:\n    chop_period: 1\n"),
            Path() + ": strategy.indicators.chop_period: must be 0 (no CHOP) or >= 2 (got 1)");
  EXPECT_EQ(ErrorOf("regime:\n  transitional_size_multiplier: 0\n"),
            Path() + ": regime.transitional_size_multiplier: must be > 0 and <= 1 (got 0)");
  EXPECT_THAT(ErrorOf("regime:\n  volatility_regime_enabled: true\n"),
              HasSubstr("regime.volatility_regime_enabled: Apollo always runs with false"));
}

TEST_F(ConfigTest, CanonicalTextWithAnUnknownOrBadKeyIsRefusedNamingIt) {
  absl::StatusOr<Config> unknown = ParseCanonical("risk.nope = 1\n", "ConfigLoaded at seq 2");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.status().message(), HasSubstr("ConfigLoaded at seq 2: line 1: unknown key"));
  absl::StatusOr<Config> bad = ParseCanonical("risk.max_drawdown_pct = -3\n", "ConfigLoaded");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("risk.max_drawdown_pct"));
}

TEST_F(ConfigTest, SetOverridesAreCheckedLikeTheYaml) {
  absl::StatusOr<Config> cfg = ApplyOverrides(Config{}, {"strategy.entry.score_threshold=0.7", "run.symbol=ETHUSDT"});
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->strategy.entry.score_threshold, *Fixed::Parse("0.7"));
  EXPECT_EQ(cfg->run.symbol, "ETHUSDT");
  EXPECT_THAT(ApplyOverrides(Config{}, {"strategy.entry.score_threshold=2"}).status().message(),
              HasSubstr("--set strategy.entry.score_threshold: must be"));
  EXPECT_THAT(ApplyOverrides(Config{}, {"nope=1"}).status().message(), HasSubstr("--set nope: unknown key"));
  EXPECT_THAT(ApplyOverrides(Config{}, {"risk.max_leverage"}).status().message(), HasSubstr("expected key=value"));
  EXPECT_FALSE(ApplyOverrides(Config{}, {"risk.default_leverage=9"}).ok());  // above max_leverage
}

TEST_F(ConfigTest, EmptyFileGivesDefaults) {
  absl::StatusOr<Config> cfg = LoadConfig(Write(""), NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->Canonical(), Config{}.Canonical());
}

TEST_F(ConfigTest, DecimalsAreExact) {
  absl::StatusOr<Config> cfg = LoadConfig(Write("risk:\n  risk_per_trade_pct: 0.75\n"), NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->risk.risk_per_trade_pct.raw(), 75'000'000);
}

TEST_F(ConfigTest, YamlValuesReachTheirFields) {
  absl::StatusOr<Config> cfg = LoadConfig(Write(R"(
run:
  mode: testnet
  enable_trading: true
strategy:
  entry:
    style: pullback
  indicators:
    ema_fast: 5
execution:
  entry_order_type: limit
monitoring:
  log_level: DEBUG
)"),
                                          NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->run.mode, Mode::kTestnet);
  EXPECT_TRUE(cfg->run.enable_trading);
  EXPECT_EQ(cfg->strategy.entry.style, "pullback");
  EXPECT_EQ(cfg->strategy.indicators.ema_fast, 5);
  EXPECT_EQ(cfg->execution.entry_order_type, OrderType::kLimit);
  EXPECT_EQ(cfg->monitoring.log_level, "DEBUG");
  EXPECT_THAT(cfg->Canonical(), HasSubstr("execution.entry_order_type = limit\n"));
  EXPECT_THAT(cfg->Canonical(), HasSubstr("run.mode = testnet\n"));
}

// ------------------------------------------------------------ bad input

TEST_F(ConfigTest, UnknownKeyIsRejectedByName) {
  EXPECT_EQ(ErrorOf("risk:\n  max_drawdwn_pct: 5\n"),
            Path() + ": unknown key risk.max_drawdwn_pct");
  EXPECT_EQ(ErrorOf("riskk:\n  max_drawdown_pct: 5\n"), Path() + ": unknown key riskk");
}

// Found by tests/fuzz/config_fuzz.cc: a key or timeframe holding a line
// break was echoed raw, splitting the "one line naming the key" in two.
TEST_F(ConfigTest, ErrorsStayOneLineWhenTheBadTextHoldsALineBreak) {
  EXPECT_EQ(ErrorOf("\"risk\\nx\": 1\n"), Path() + ": unknown key risk\\nx");
  EXPECT_EQ(ErrorOf("risk:\n  \"a\\nb\": 1\n"), Path() + ": unknown key risk.a\\nb");
  EXPECT_EQ(ApplyOverrides(Config{}, {"no\nkey=1"}).status().message(), "--set no\\nkey: unknown key");
  const absl::Status timeframe = ParseTimeframe("5m\n").status();
  EXPECT_THAT(timeframe.message(), HasSubstr("not a timeframe: 5m\\n"));
  EXPECT_THAT(timeframe.message(), Not(HasSubstr("\n")));
}

TEST_F(ConfigTest, OutOfRangeValueIsOneLineNamingKeyAndValue) {
  const std::string error = ErrorOf("risk:\n  max_drawdown_pct: -3\n");
  EXPECT_EQ(error, Path() + ": risk.max_drawdown_pct: must be > 0 and <= 100 (got -3)");
  EXPECT_THAT(error, Not(HasSubstr("\n")));
}

TEST_F(ConfigTest, SeedSafetyLimitsAreEnforced) {
  EXPECT_THAT(ErrorOf("risk:\n  risk_per_trade_pct: 2.5\n"),
              HasSubstr("risk.risk_per_trade_pct: must be > 0 and <= 2 (got 2.5)"));
  EXPECT_THAT(ErrorOf("risk:\n  max_leverage: 11\n"),
              HasSubstr("risk.max_leverage: must be >= 1 and <= 10 (got 11)"));
  EXPECT_THAT(ErrorOf("run:\n  mode: live\nrisk:\n  max_positions: 3\n"),
              HasSubstr("risk.max_positions: must be <= 2 when run.mode is live (got 3)"));
}

// The rate gate's quotas (issue 14 §6): read from the file and the
// environment; a window or a rate of 0 would never refill and is refused.
TEST_F(ConfigTest, RateLimitsAreReadAndAQuotaThatNeverRefillsIsRefused) {
  absl::StatusOr<Config> cfg = LoadConfig(
      Write("rate_limits:\n  news:\n    requests_per_window: 10\n    window_sec: 30\n    burst: 3\n"),
      MapEnv({{"RATE_LIMITS__WEBHOOKS__BURST", "2"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->rate_limits.news.requests_per_window, 10);
  EXPECT_EQ(cfg->rate_limits.news.window_sec, 30);
  EXPECT_EQ(cfg->rate_limits.news.burst, 3);
  EXPECT_EQ(cfg->rate_limits.webhooks.burst, 2);
  EXPECT_EQ(cfg->rate_limits.binance.requests_per_window, 2400) << "Binance's REQUEST_WEIGHT per minute";
  EXPECT_EQ(ErrorOf("rate_limits:\n  binance:\n    window_sec: 0\n"),
            Path() + ": rate_limits.binance.window_sec: must be >= 1 and <= 86400 (got 0)");
  EXPECT_THAT(ErrorOf("rate_limits:\n  webhooks:\n    requests_per_window: 0\n"),
              HasSubstr("rate_limits.webhooks.requests_per_window: must be >= 1"));
  EXPECT_EQ(ErrorOf("rate_limits:\n  binance:\n    requests_per_window: 60\n"),
            Path() + ": rate_limits.binance.requests_per_window: must be at least 4 per second of "
                     "rate_limits.binance.window_sec (240 for 60): a Binance call may weigh 40 and waits at most 10 s "
                     "at the gate (got 60)");
}

TEST_F(ConfigTest, StringWhereIntegerExpectedIsRejected) {
  EXPECT_EQ(ErrorOf("risk:\n  max_positions: many\n"),
            Path() + ": risk.max_positions: must be an integer (got many)");
  EXPECT_THAT(ErrorOf("risk:\n  max_positions: 1.5\n"), HasSubstr("must be an integer"));
}

TEST_F(ConfigTest, BoolIsOnlyTrueOrFalse) {
  EXPECT_EQ(ErrorOf("run:\n  enable_trading: yes\n"),
            Path() + ": run.enable_trading: must be true or false (got yes)");
}

TEST_F(ConfigTest, EnumRejectsUnknownName) {
  EXPECT_EQ(ErrorOf("run:\n  mode: production\n"),
            Path() + ": run.mode: must be one of paper, testnet, live (got production)");
  EXPECT_THAT(ErrorOf("execution:\n  entry_order_type: stop\n"),
              HasSubstr("execution.entry_order_type: must be one of market, limit (got stop)"));
}

TEST_F(ConfigTest, ListWhereValueExpectedIsRejected) {
  EXPECT_EQ(ErrorOf("risk:\n  max_positions: [1, 2]\n"),
            Path() + ": risk.max_positions: must be a single value (got a list)");
}

TEST_F(ConfigTest, UniverseSymbolsIsAListOrACommaSeparatedEnvironmentValue) {
  absl::StatusOr<Config> cfg = LoadConfig(Write("universe:\n  symbols: [ETHUSDT, BTCUSDT]\n"), NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_THAT(cfg->universe.symbols, ::testing::ElementsAre("ETHUSDT", "BTCUSDT"));
  EXPECT_THAT(cfg->Symbols(), ::testing::ElementsAre("BTCUSDT", "ETHUSDT"));  // a step's order
  // Journaled and read back as the same list.
  absl::StatusOr<Config> back = ParseCanonical(cfg->Canonical(), "journaled");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->universe.symbols, cfg->universe.symbols);
  cfg = LoadConfig(Write("universe:\n  symbols:\n    - SOLUSDT\n"), MapEnv({{"UNIVERSE__SYMBOLS", "XRPUSDT,ADAUSDT"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_THAT(cfg->universe.symbols, ::testing::ElementsAre("XRPUSDT", "ADAUSDT"));
  // Empty: run.symbol alone, as before the list existed.
  cfg = LoadConfig(Write("run:\n  symbol: ETHUSDT\n"), NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_THAT(cfg->Symbols(), ::testing::ElementsAre("ETHUSDT"));
}

TEST_F(ConfigTest, UniverseSymbolsWithARepeatOrABadSymbolIsRefusedInOneLine) {
  EXPECT_EQ(ErrorOf("universe:\n  symbols: [BTCUSDT, BTCUSDT]\n"),
            Path() + ": universe.symbols: lists BTCUSDT twice (got BTCUSDT,BTCUSDT)");
  EXPECT_EQ(ErrorOf("universe:\n  symbols: [BTCUSDT, eth]\n"),
            Path() + ": universe.symbols: each symbol must be upper-case letters and digits, e.g. BTCUSDT (got BTCUSDT,eth)");
  EXPECT_EQ(ErrorOf("universe:\n  symbols: [[BTCUSDT]]\n"),
            Path() + ": universe.symbols: must be a list of single values (got a list)");
  EXPECT_EQ(ErrorOf("universe:\n  symbols: {a: 1}\n"), Path() + ": universe.symbols: must be a list (got a map)");
  EXPECT_EQ(ErrorOf("", MapEnv({{"UNIVERSE__SYMBOLS", "BTCUSDT,,ETHUSDT"}})),
            "environment UNIVERSE__SYMBOLS: each symbol must be upper-case letters and digits, e.g. BTCUSDT (got BTCUSDT,,ETHUSDT)");
}

TEST_F(ConfigTest, TheSeedsRetryKeysAreReadAndAMaxDelayBelowTheFirstIsRefused) {
  absl::StatusOr<Config> cfg = LoadConfig(
      Write("execution:\n  retry_attempts: 5\n  retry_initial_delay_ms: 1000\n  retry_max_delay_ms: 10000\n"), NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->execution.retry_attempts, 5);
  EXPECT_EQ(cfg->execution.retry_initial_delay_ms, 1000);
  EXPECT_EQ(cfg->execution.retry_max_delay_ms, 10000);
  EXPECT_EQ(ErrorOf("execution:\n  retry_initial_delay_ms: 1000\n  retry_max_delay_ms: 500\n"),
            Path() + ": execution.retry_max_delay_ms: must be >= execution.retry_initial_delay_ms (1000) (got 500)");
  EXPECT_EQ(ErrorOf("execution:\n  retry_attempts: 11\n"),
            Path() + ": execution.retry_attempts: must be >= 0 and <= 10 (got 11)");
}

TEST_F(ConfigTest, SectionThatIsNotAMapIsRejected) {
  EXPECT_EQ(ErrorOf("risk: 5\n"), Path() + ": risk: must be a map of keys (got 5)");
  EXPECT_EQ(ErrorOf("- a\n- b\n"), Path() + ": must be a map of sections");
}

TEST_F(ConfigTest, DuplicateKeyIsRejected) {
  EXPECT_EQ(ErrorOf("risk:\n  max_positions: 1\n  max_positions: 2\n"),
            Path() + ": duplicate key risk.max_positions");
  EXPECT_EQ(ErrorOf("risk.max_positions: 2\n"), Path() + ": top level: keys must be plain words");
}

TEST_F(ConfigTest, YamlSyntaxErrorIsOneLineWithLineNumber) {
  const std::string error = ErrorOf("run:\n  mode: paper\nrisk: [1, 2\n");
  EXPECT_THAT(error, HasSubstr(Path() + ": line "));
  EXPECT_THAT(error, HasSubstr("invalid YAML"));
  EXPECT_THAT(error, Not(HasSubstr("\n")));
}

TEST_F(ConfigTest, MissingFileIsNotFound) {
  absl::StatusOr<Config> cfg = LoadConfig(dir_.Sub("nope.yaml"), NoEnv());
  ASSERT_TRUE(absl::IsNotFound(cfg.status())) << cfg.status();
  EXPECT_EQ(cfg.status().message(), "config file " + dir_.Sub("nope.yaml") + " not found");
}

TEST_F(ConfigTest, DefaultLeverageAboveMaxLeverageIsRejected) {
  EXPECT_EQ(ErrorOf("risk:\n  max_leverage: 3\n  default_leverage: 4\n"),
            Path() + ": risk.default_leverage: must be <= risk.max_leverage (3) (got 4)");
}

TEST_F(ConfigTest, AnAnalyticsUrlWithAPasswordIsRefusedWithoutQuotingIt) {
  EXPECT_TRUE(ErrorOf("analytics:\n  url: postgresql://apollo@db.internal:5432/apollo\n").empty());
  EXPECT_TRUE(ErrorOf("analytics:\n  url: sqlite:/var/lib/apollo/a.sqlite\n").empty());
  for (const char* url : {"postgresql://apollo:hunter2@db/apollo", "postgres://db/apollo?password=hunter2",
                          "postgres://db/apollo?sslmode=require&pass%77ord=hunter2"}) {
    const std::string error = ErrorOf(absl::StrCat("analytics:\n  url: ", url, "\n"));
    EXPECT_THAT(error, HasSubstr("analytics.url: a password does not belong in config.yaml")) << url;
    EXPECT_THAT(error, HasSubstr("ANALYTICS_URL"));
    EXPECT_THAT(error, Not(HasSubstr("hunter2")));
  }
  EXPECT_THAT(ErrorOf("analytics:\n  url: mysql://db/apollo\n"), HasSubstr("sqlite:PATH or postgresql://"));
}

TEST_F(ConfigTest, TimeframesThatAreNotMultiplesOfTheIntervalAreRejected) {
  EXPECT_EQ(ErrorOf("strategy:\n  entry_timeframe: 7m\n"),
            Path() + ": strategy.entry_timeframe: must be a whole multiple of run.interval (5m) "
                     "(got 7m)");
  EXPECT_EQ(ErrorOf("strategy:\n  trend_timeframe: 5m\n"),
            Path() + ": strategy.trend_timeframe: must be >= strategy.entry_timeframe (15m) "
                     "(got 5m)");
  EXPECT_THAT(ErrorOf("run:\n  interval: 1x\n"), HasSubstr("run.interval: must be a timeframe"));
}

TEST(ParseTimeframeTest, AcceptsBinanceIntervalsAndRejectsGarbage) {
  const std::map<std::string, int64_t> good = {
      {"1m", 60},      {"3m", 180},     {"5m", 300},     {"15m", 900},
      {"30m", 1800},   {"1h", 3600},    {"2h", 7200},    {"4h", 14400},
      {"6h", 21600},   {"8h", 28800},   {"12h", 43200},  {"1d", 86400},
      {"10s", 10}};
  for (const auto& [text, seconds] : good) {
    absl::StatusOr<int64_t> parsed = ParseTimeframe(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(*parsed, seconds) << text;
  }
  for (const std::string bad : {"", "m", "0m", "05m", "-5m", "5", "5M", "1w", "1.5h", " 5m",
                                "9999999d"}) {
    EXPECT_FALSE(ParseTimeframe(bad).ok()) << bad;
  }
}

// ------------------------------------------------------------ environment

TEST_F(ConfigTest, EnvironmentOverridesYaml) {
  const std::string path = Write("run:\n  mode: paper\nrisk:\n  max_drawdown_pct: 5\n");
  absl::StatusOr<Config> cfg =
      LoadConfig(path, MapEnv({{"RUN_MODE", "testnet"},
                               {"RISK__MAX_DRAWDOWN_PCT", "8"},
                               {"STRATEGY__ENTRY__SCORE_THRESHOLD", "0.6"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->run.mode, Mode::kTestnet);
  EXPECT_EQ(cfg->risk.max_drawdown_pct, Fixed::FromInt(8));
  EXPECT_EQ(cfg->strategy.entry.score_threshold.raw(), 60'000'000);
}

TEST_F(ConfigTest, GenericRunModeNameIsAcceptedAndMustAgreeWithSeedName) {
  const std::string path = Write("");
  absl::StatusOr<Config> cfg = LoadConfig(path, MapEnv({{"RUN__MODE", "testnet"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->run.mode, Mode::kTestnet);

  cfg = LoadConfig(path, MapEnv({{"RUN_MODE", "live"}, {"RUN__MODE", "paper"}}));
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(cfg.status().message(), HasSubstr("RUN_MODE"));
  EXPECT_THAT(cfg.status().message(), HasSubstr("RUN__MODE"));
}

TEST_F(ConfigTest, BadEnvironmentValueNamesTheVariable) {
  EXPECT_EQ(ErrorOf("", MapEnv({{"RISK__MAX_DRAWDOWN_PCT", "101"}})),
            "environment RISK__MAX_DRAWDOWN_PCT: must be > 0 and <= 100 (got 101)");
  EXPECT_EQ(ErrorOf("", MapEnv({{"RUN_ENABLE_TRADING", "1"}})),
            "environment RUN_ENABLE_TRADING: must be true or false (got 1)");
}

// Feeding every canonical line back as its environment variable proves each
// default passes its own check and each key's override name works.
TEST_F(ConfigTest, EveryDefaultRoundTripsThroughItsEnvironmentOverride) {
  std::map<std::string, std::string> vars;
  for (absl::string_view line : absl::StrSplit(Config{}.Canonical(), '\n', absl::SkipEmpty())) {
    const size_t eq = line.find(" = ");
    const std::string key(line.substr(0, eq));
    vars[absl::AsciiStrToUpper(absl::StrReplaceAll(key, {{".", "__"}}))] =
        std::string(line.substr(eq + 3));
  }
  absl::StatusOr<Config> cfg = LoadConfig(Write(""), MapEnv(vars));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->Canonical(), Config{}.Canonical());
}

// ------------------------------------------------------------ canonical form and hash

TEST(ConfigCanonicalTest, OneSortedLinePerKey) {
  const std::vector<std::string> keys = CanonicalKeys(Config{});
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), keys.size());
  EXPECT_THAT(Config{}.Canonical(), HasSubstr("risk.risk_per_trade_pct = 0.75\n"));
  EXPECT_THAT(Config{}.Canonical(), HasSubstr("run.enable_trading = false\n"));
  EXPECT_THAT(Config{}.Canonical(), HasSubstr("run.mode = paper\n"));
}

TEST(ConfigCanonicalTest, HashIsStableAndFollowsEveryValue) {
  const Config base;
  const std::string hash = base.Hash();
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(Config{}.Hash(), hash);

  Config changed;
  changed.risk.max_drawdown_pct = Fixed::FromInt(9);
  EXPECT_NE(changed.Hash(), hash);
  changed = Config{};
  changed.watchdog.auto_recover = false;
  EXPECT_NE(changed.Hash(), hash);
  changed = Config{};
  changed.strategy.entry.style = "pullback";
  EXPECT_NE(changed.Hash(), hash);
}

// ------------------------------------------------------------ secrets

class SecretsTest : public ::testing::Test {
 protected:
  std::string WriteDotEnv(const std::string& text) {
    std::ofstream(dir_.Sub(".env")) << text;
    return dir_.Sub(".env");
  }
  testing::TempDir dir_;
};

TEST_F(SecretsTest, PaperNeedsNone) {
  absl::StatusOr<Secrets> s = LoadSecrets(Mode::kPaper, dir_.Sub(".env"), NoEnv());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->api_key.empty());
  EXPECT_TRUE(s->secret_key.empty());
}

TEST_F(SecretsTest, ReadsDotEnvWithExportQuotesAndComments) {
  const std::string path = WriteDotEnv(
      "# testnet keys\n"
      "\n"
      "export BINANCE_TESTNET_FUTURE_API_KEY=\"tk-123\"\n"
      "BINANCE_TESTNET_FUTURE_SECRET_KEY='ts#456'  \n"
      "BINANCE_API_KEY=live-key # trailing comment\n"
      "BINANCE_SECRET_KEY=live-secret\n");
  absl::StatusOr<Secrets> testnet = LoadSecrets(Mode::kTestnet, path, NoEnv());
  ASSERT_TRUE(testnet.ok()) << testnet.status();
  EXPECT_EQ(testnet->api_key, "tk-123");
  EXPECT_EQ(testnet->secret_key, "ts#456");
  absl::StatusOr<Secrets> live = LoadSecrets(Mode::kLive, path, NoEnv());
  ASSERT_TRUE(live.ok()) << live.status();
  EXPECT_EQ(live->api_key, "live-key");
  EXPECT_EQ(live->secret_key, "live-secret");
}

TEST_F(SecretsTest, EnvironmentBeatsDotEnv) {
  const std::string path = WriteDotEnv(
      "BINANCE_API_KEY=from-file\nBINANCE_SECRET_KEY=file-secret\n");
  absl::StatusOr<Secrets> s =
      LoadSecrets(Mode::kLive, path, MapEnv({{"BINANCE_API_KEY", "from-env"}}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->api_key, "from-env");
  EXPECT_EQ(s->secret_key, "file-secret");
}

TEST_F(SecretsTest, MissingDotEnvIsFineWhenEnvironmentHasTheKeys) {
  absl::StatusOr<Secrets> s =
      LoadSecrets(Mode::kTestnet, dir_.Sub("absent.env"),
                  MapEnv({{"BINANCE_TESTNET_FUTURE_API_KEY", "k"},
                          {"BINANCE_TESTNET_FUTURE_SECRET_KEY", "s"}}));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->api_key, "k");
}

TEST_F(SecretsTest, MissingKeyNamesTheVariableButNoValue) {
  const std::string path = WriteDotEnv("BINANCE_API_KEY=sup3r-s3cret-api-key\n");
  absl::StatusOr<Secrets> s =
      LoadSecrets(Mode::kLive, path, MapEnv({{"BINANCE_TESTNET_FUTURE_SECRET_KEY", "other-val"}}));
  ASSERT_TRUE(absl::IsFailedPrecondition(s.status())) << s.status();
  const std::string message(s.status().message());
  EXPECT_THAT(message, HasSubstr("BINANCE_SECRET_KEY"));
  EXPECT_THAT(message, Not(HasSubstr("sup3r-s3cret-api-key")));
  EXPECT_THAT(message, Not(HasSubstr("other-val")));
}

TEST_F(SecretsTest, MalformedDotEnvLineIsReportedWithoutItsText) {
  const std::string path = WriteDotEnv("BINANCE_API_KEY=k\npasted-secret-without-name\n");
  absl::StatusOr<Secrets> s = LoadSecrets(Mode::kLive, path, NoEnv());
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr(":2:"));
  EXPECT_THAT(s.status().message(), Not(HasSubstr("pasted-secret")));
}

// ------------------------------------------------------------ the seed's config

const std::string kSeedConfig =
    (std::filesystem::path(__FILE__).parent_path() / "data" / "seed" / "config.yaml").string();

TEST_F(ConfigTest, SeedConfigIsRefusedInOneLineNamingEveryKeyNotImplementedYet) {
  absl::StatusOr<Config> cfg = LoadConfig(kSeedConfig, NoEnv());
  ASSERT_FALSE(cfg.ok());
  const std::string message(cfg.status().message());
  EXPECT_THAT(message, Not(HasSubstr("\n")));
  EXPECT_THAT(message, HasSubstr(": not implemented in Apollo yet: "));
  for (const char* key : {"backtest.execution_model", "execution.max_slippage_pct",
                          "backtest.slippage_base_bps", "storage.data_path",
                          "monitoring.error_log_backup_count"}) {
    EXPECT_THAT(message, HasSubstr(key)) << key;
  }
  // Renamed, fixed-behaviour, no-effect and secret keys are not among them.
  for (const char* key : {"reconciliation.interval_minutes", "scoring.factors", "user_stream_enabled", "llm.", "alert_webhooks",
                          "state_path", "environment", "universe.", "margin_type", "position_mode",
                          "max_funding_rate_pct", "trailing_", "regime.", "chop", "spread_threshold", "max_spread_pct",
                          "news."}) {
    EXPECT_THAT(message, Not(HasSubstr(key))) << key;
  }
}

TEST_F(ConfigTest, RenamedSeedKeyIsReadUnderItsNewNameWithOneNotice) {
  absl::StatusOr<Config> cfg = LoadConfig(Write("monitoring:\n  api_port: 8123\nreconciliation:\n  interval_minutes: 45\n"
                                                "strategy:\n  scoring:\n    factors:\n      trend: 0.4\n"),
                                          NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->api.port, 8123);
  EXPECT_EQ(cfg->reconciliation.interval_min, 45);
  EXPECT_EQ(cfg->strategy.scoring.trend, *Fixed::Parse("0.4"));
  ASSERT_EQ(cfg->notices.size(), 3u);
  EXPECT_EQ(cfg->notices[0], Path() + ": monitoring.api_port is the seed's name for api.port: read as api.port "
                                      "(rename it; `bot config migrate` does)");
  // The canonical text (hashed, journaled) knows only Apollo's names.
  EXPECT_THAT(cfg->Canonical(), Not(HasSubstr("api_port")));
}

TEST_F(ConfigTest, OneSettingUnderBothItsNamesMustAgree) {
  // The seed's own file sets both thresholds, to the same value.
  absl::StatusOr<Config> same =
      LoadConfig(Write("strategy:\n  entry:\n    score_threshold: 0.6\n  scoring:\n    threshold: 0.60\n"), NoEnv());
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->strategy.entry.score_threshold, *Fixed::Parse("0.6"));
  EXPECT_EQ(ErrorOf("api:\n  port: 8000\nmonitoring:\n  api_port: 8123\n"),
            Path() + ": api.port and monitoring.api_port both set api.port, to different values; keep api.port");
}

TEST_F(ConfigTest, SeedKeyAskingForWhatApolloNeverDoesIsRefused) {
  EXPECT_EQ(ErrorOf("binance:\n  user_stream_enabled: false\n"),
            Path() + ": binance.user_stream_enabled: Apollo always runs with true: testnet and live always follow "
                     "the user-data stream (got false)");
  absl::StatusOr<Config> zero = LoadConfig(Write("strategy:\n  scoring:\n    factors:\n      volume: 0.0\n"), NoEnv());
  ASSERT_TRUE(zero.ok()) << zero.status();
  ASSERT_EQ(zero->notices.size(), 1u);
  EXPECT_THAT(zero->notices[0], HasSubstr("strategy.scoring.factors.volume 0 is what Apollo always does"));
}

TEST_F(ConfigTest, WebhooksInTheConfigFileAreRefusedWithoutQuotingThem) {
  const std::string error =
      ErrorOf("monitoring:\n  alert_webhooks:\n  - https://hooks.slack.com/services/T000/B000/XXSECRETXX\n");
  EXPECT_EQ(error, Path() + ": monitoring.alert_webhooks: is a secret in Apollo: put it in ALERT_WEBHOOKS in .env "
                            "or the environment (comma-separated), not in the config file");
  EXPECT_THAT(error, Not(HasSubstr("XXSECRETXX")));
  EXPECT_EQ(ErrorOf("monitoring:\n  alert_webhooks: []\n"), "");
}

TEST_F(ConfigTest, SeedEnvironmentKeyMustAgreeWithRunMode) {
  EXPECT_EQ(ErrorOf("environment: production\nrun:\n  mode: testnet\n"),
            Path() + ": environment: contradicts run.mode testnet (Apollo reads the mode from run.mode) "
                     "(got production)");
  EXPECT_THAT(ErrorOf("environment: testnet\n", MapEnv({{"RUN_MODE", "live"}})), HasSubstr("contradicts run.mode live"));
  absl::StatusOr<Config> paper = LoadConfig(Write("environment: testnet\n"), NoEnv());
  ASSERT_TRUE(paper.ok()) << paper.status();
  EXPECT_THAT(paper->notices, ::testing::ElementsAre(HasSubstr("environment is the seed's")));
}

TEST_F(ConfigTest, SeedEnvironmentNameOfARenamedKeyStillWorks) {
  absl::StatusOr<Config> cfg = LoadConfig(Write(""), MapEnv({{"MONITORING__API_PORT", "8124"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->api.port, 8124);
  EXPECT_THAT(cfg->notices, ::testing::ElementsAre(HasSubstr("MONITORING__API_PORT is the seed's name for API__PORT")));
  EXPECT_THAT(ErrorOf("", MapEnv({{"MONITORING__API_PORT", "8124"}, {"API__PORT", "8000"}})),
              HasSubstr("environment MONITORING__API_PORT: disagrees with API__PORT"));
}

TEST_F(ConfigTest, MigratedSeedConfigLoadsWithItsSettingsAndSaysWhatChanged) {
  absl::StatusOr<Migration> m = MigrateConfig(kSeedConfig);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_GT(m->kept, 30);
  EXPECT_EQ(m->renamed, 6);  // interval_minutes and the five weighted factors
  EXPECT_THAT(m->yaml, HasSubstr("  interval_min: 30  # was reconciliation.interval_minutes\n"));
  EXPECT_THAT(m->yaml, HasSubstr("    trend: 0.35  # was strategy.scoring.factors.trend\n"));
  EXPECT_THAT(m->yaml, HasSubstr("news:\n  enabled: true\n  poll_interval_minutes: 15\n"));
  EXPECT_THAT(m->yaml, HasSubstr("regime:\n  enabled: true\n"));
  EXPECT_THAT(m->yaml, HasSubstr("#   llm.provider: openai  -- no effect in Apollo: Apollo has no LLM classifier\n"));
  EXPECT_THAT(m->yaml, HasSubstr("#   monitoring.alert_webhooks: []  -- a secret in Apollo: set ALERT_WEBHOOKS"));
  EXPECT_THAT(m->yaml, HasSubstr("#   strategy.scoring.threshold: 0.55  -- the same setting as strategy.entry.score_threshold"));
  EXPECT_THAT(m->yaml, HasSubstr("  sources: [{url: "));
  const std::string migrated = Write(m->yaml, "migrated.yaml");
  absl::StatusOr<Config> cfg = LoadConfig(migrated, NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status() << "\n" << m->yaml;
  EXPECT_TRUE(cfg->notices.empty()) << cfg->notices[0];
  EXPECT_EQ(cfg->strategy.trend_timeframe, "1d");
  EXPECT_EQ(cfg->strategy.entry_timeframe, "4h");
  EXPECT_EQ(cfg->strategy.scoring.funding, *Fixed::Parse("0.1"));
  EXPECT_EQ(cfg->risk.risk_per_trade_pct, *Fixed::Parse("0.75"));
  EXPECT_EQ(cfg->reconciliation.interval_min, 30);
  EXPECT_EQ(cfg->monitoring.log_http_max_body_chars, 1000);
  EXPECT_EQ(cfg->storage.ledger_path, "./data/ledger");
  EXPECT_THAT(cfg->news.sources, ::testing::ElementsAre(NewsSource{"coindesk", "https://www.coindesk.com/arc/outboundfeeds/rss/"}));
}

TEST_F(ConfigTest, AVenueWideUniverseNeedsASizeNoSymbolListAndAVenue) {
  absl::StatusOr<Config> cfg = LoadConfig(Write("run:\n  mode: testnet\nuniverse:\n  venue_wide: true\n  size: 5\n"
                                                "  refresh_interval_hours: 0.5\n"),
                                          NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_TRUE(cfg->universe.venue_wide);
  EXPECT_EQ(cfg->universe.refresh_interval_hours, *Fixed::Parse("0.5"));
  EXPECT_THAT(ErrorOf("run:\n  mode: testnet\nuniverse:\n  venue_wide: true\n  size: 5\n  symbols: [BTCUSDT]\n"),
              HasSubstr("universe.venue_wide: ranks every USDT perpetual of the venue: leave universe.symbols empty"));
  EXPECT_THAT(ErrorOf("run:\n  mode: testnet\nuniverse:\n  venue_wide: true\n"), HasSubstr("needs universe.size > 0"));
}

TEST_F(ConfigTest, NewsSourcesAreTheSeedsListOfMapsOrNameEqualsUrlItemsInTheEnvironment) {
  absl::StatusOr<Config> cfg = LoadConfig(Write("news:\n  sources:\n"
                                                "  - {url: https://www.coindesk.com/arc/outboundfeeds/rss/, name: coindesk}\n"
                                                "  - {url: https://decrypt.co/feed, name: decrypt, enabled: false}\n"
                                                "  - {name: theblock, url: 'https://www.theblock.co/rss.xml', enabled: true}\n"),
                                          NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_THAT(cfg->news.sources, ::testing::ElementsAre(NewsSource{"coindesk", "https://www.coindesk.com/arc/outboundfeeds/rss/"},
                                                        NewsSource{"theblock", "https://www.theblock.co/rss.xml"}))
      << "a source with enabled: false is left out";
  EXPECT_THAT(cfg->Canonical(), HasSubstr("news.sources = coindesk=https://www.coindesk.com/arc/outboundfeeds/rss/,"
                                          "theblock=https://www.theblock.co/rss.xml\n"));
  absl::StatusOr<Config> env = LoadConfig(Write(""), MapEnv({{"NEWS__SOURCES", "local=http://127.0.0.1:8080/feed.xml"}}));
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_THAT(env->news.sources, ::testing::ElementsAre(NewsSource{"local", "http://127.0.0.1:8080/feed.xml"}));
  EXPECT_THAT(ErrorOf("news:\n  sources:\n  - {name: a, url: ftp://example.org/feed}\n"),
              HasSubstr("news.sources: source a needs an http:// or https:// url without blanks"));
  EXPECT_THAT(ErrorOf("news:\n  sources:\n  - {name: a, url: https://x.org/1}\n  - {name: a, url: https://x.org/2}\n"),
              HasSubstr("names a twice"));
  EXPECT_THAT(ErrorOf("news:\n  sources:\n  - {name: a, link: https://x.org/1}\n"),
              HasSubstr("a source has only name, url and enabled"));
  EXPECT_THAT(ErrorOf("news:\n  sources:\n  - https://x.org/1\n"), HasSubstr("must be a list of {name, url, enabled} maps"));
  EXPECT_THAT(ErrorOf("news:\n  classifier_provider: llm\n"), HasSubstr("news.classifier_provider: must be one of rules"));
  EXPECT_THAT(ErrorOf("news:\n  high_risk_block_hours: -1\n"), HasSubstr("must be >= 0"));
}

TEST_F(ConfigTest, MigrationRefusesOneSettingWithTwoValues) {
  absl::StatusOr<Migration> m = MigrateConfig(Write("api:\n  port: 8000\nmonitoring:\n  api_port: 8123\n"));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            Path() + ": api.port and monitoring.api_port both set api.port, to different values; keep one");
}

// .env.example names every variable the code reads by name (getenv,
// ReadSecret) and every key variable of LoadSecrets.
TEST(EnvExample, ListsEveryVariableTheBotReads) {
  const std::filesystem::path root = std::filesystem::path(__FILE__).parent_path() / "..";
  std::ifstream in(root / ".env.example");
  ASSERT_TRUE(in) << ".env.example is missing";
  const std::string example((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::set<std::string> names = {"BINANCE_API_KEY", "BINANCE_SECRET_KEY", "BINANCE_TESTNET_FUTURE_API_KEY",
                                 "BINANCE_TESTNET_FUTURE_SECRET_KEY", "CONFIG_PATH", "RUN_MODE",
                                 "RUN_ENABLE_TRADING", "RUN_LIVE_CONFIRM"};
  const std::regex read_by_name(R"((getenv|ReadSecret)\("([A-Z][A-Z0-9_]*)\")");
  for (const char* dir : {"engine", "tools", "ledger", "replay"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root / dir)) {
      if (entry.path().extension() != ".cc") continue;
      std::ifstream src(entry.path());
      const std::string text((std::istreambuf_iterator<char>(src)), std::istreambuf_iterator<char>());
      for (std::sregex_iterator m(text.begin(), text.end(), read_by_name), end; m != end; ++m) names.insert((*m)[2]);
    }
  }
  EXPECT_GE(names.size(), 12u);
  for (const std::string& name : names) EXPECT_THAT(example, HasSubstr(name + "=")) << name;
}

TEST_F(ConfigTest, AKalshiRunTakesItsOwnLedgerLogsAndLockUnlessTheyAreNamed) {
  const std::string path = Write("");
  absl::StatusOr<Config> cfg = LoadForCommandLine({path, "testnet", "", "", "", "kalshi"}, NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->run.venue, "kalshi");
  EXPECT_EQ(cfg->storage.ledger_path, "data/ledger-kalshi-testnet");
  EXPECT_EQ(cfg->storage.logs_path, "logs/kalshi") << "its bot.log, pid and CSVs apart from Binance's";
  EXPECT_EQ(RunName(*cfg), "kalshi.testnet");
  cfg = LoadForCommandLine({path, "paper", "", "", "", ""}, MapEnv({{"RUN__VENUE", "kalshi"}}));
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->storage.ledger_path, "data/ledger-kalshi") << "run.venue from the environment counts too";
  EXPECT_EQ(RunName(*cfg), "kalshi.paper");
  cfg = LoadForCommandLine({path, "live", "/srv/kalshi", "", "", "kalshi"}, NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->storage.ledger_path, "/srv/kalshi") << "--ledger wins";
  cfg = LoadForCommandLine({Write("storage:\n  ledger_path: /srv/k2\n", "named.yaml"), "live", "", "", "", "kalshi"}, NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->storage.ledger_path, "/srv/k2") << "so does the config's own";
  cfg = LoadForCommandLine({path, "testnet", "", "", "", ""}, NoEnv());
  ASSERT_TRUE(cfg.ok()) << cfg.status();
  EXPECT_EQ(cfg->storage.ledger_path, "data/ledger");
  EXPECT_EQ(cfg->storage.logs_path, "logs");
  EXPECT_EQ(RunName(*cfg), "testnet") << "Binance's lock names are unchanged";
  EXPECT_EQ(LoadForCommandLine({path, "paper", "", "", "", "kraken"}, NoEnv()).status().message(),
            "--venue: binance or kalshi (got kraken)");
}

TEST_F(ConfigTest, JournaledConfigFromBeforeTheRejectBreakerReadsItOff) {
  absl::StatusOr<Config> back = ParseCanonical(CanonicalWithout({"weather.max_rejects"}), "ConfigLoaded");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->weather.max_rejects, 0) << "an old Kalshi ledger's decisions replay as they were made";
  EXPECT_EQ(Config{}.weather.max_rejects, 5);  // Milkbot's, for new configs
}

}  // namespace
}  // namespace apollo::config
