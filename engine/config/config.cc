// LoadConfig, Canonical/Hash, ParseTimeframe and LoadSecrets.
//
// Every key is declared once, in Fields(): its dotted path (which is also the
// C++ member path), how its text parses and what range it must be in. The
// YAML walk, the environment overrides and Canonical() are loops over that
// table, so a key cannot be parseable but unhashed, or hashed but not
// overridable. Cross-field rules live in CrossChecks(), also a table.
#include "engine/config/config.h"

#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/config/internal.h"
#include "engine/config/seed_keys.h"
#include "engine/domain/state.h"
#include "engine/domain/status_macros.h"

namespace apollo::config {
namespace {

// Config and .env files are a few kilobytes; anything huge is a mistake
// (a data file passed as --config), refused before parsing it.
constexpr std::uintmax_t kMaxFileBytes = 1 << 20;
// Values echoed in error messages are cut so one bad value keeps the message
// to one readable line.
constexpr size_t kMaxShownValueChars = 80;

// ---------------------------------------------------------------- the table

// Parses `text` into the config, or returns the "what" part of the error
// ("must be > 0 and <= 100"); the caller adds where and "(got ...)".
using Setter = std::function<std::optional<std::string>(Config&, const std::string& text)>;
using Getter = std::function<std::string(const Config&)>;

struct Field {
  std::string key;       // dotted path in config.yaml, e.g. "risk.max_drawdown_pct"
  std::string seed_env;  // the seed's own variable name, if it had one
  Setter set;
  Getter get;
  bool escaped = false;  // get() CEscapes the text (Canonical must unescape it)
  bool list = false;     // YAML may give a list (joined with commas)
  bool map_items = false;  // list items are maps {name, url, enabled} (news.sources)
  // What a journaled config without this key meant (a key added later):
  // the value that behaves as builds before it did. Empty: the default.
  std::string absent = {};
};

// A key added after ledgers were written: their configs lack it, and read
// back (replay decisions, backtest --like) it must act as it did then.
Field Added(Field f, std::string absent) {
  f.absent = std::move(absent);
  return f;
}

// Inclusive/exclusive bounds; unset means unbounded on that side.
template <class T>
struct Bounds {
  // Explicit initialisers so designated-initialiser tables need not list every member.
  std::optional<T> gt = std::nullopt, ge = std::nullopt, le = std::nullopt;
  bool whole = false;  // Fixed only: no fractional part (leverage is an integer on Binance)
};

std::string Show(Fixed v) { return v.ToString(); }
std::string Show(int v) { return absl::StrCat(v); }

template <class T>
std::optional<std::string> CheckBounds(T v, const Bounds<T>& b) {
  std::vector<std::string> parts;
  if (b.gt) parts.push_back(absl::StrCat("> ", Show(*b.gt)));
  if (b.ge) parts.push_back(absl::StrCat(">= ", Show(*b.ge)));
  if (b.le) parts.push_back(absl::StrCat("<= ", Show(*b.le)));
  const bool ok = (!b.gt || v > *b.gt) && (!b.ge || v >= *b.ge) && (!b.le || v <= *b.le);
  if (ok || parts.empty()) return std::nullopt;
  return absl::StrCat("must be ", absl::StrJoin(parts, " and "));
}

bool IsWhole(Fixed v) { return v.raw() % Fixed::kScale == 0; }

// The member path doubles as the YAML key, so the two cannot drift apart:
// KEY(risk.max_drawdown_pct) is "risk.max_drawdown_pct" plus an accessor
// that works on both Config& and const Config&.
#define KEY(path) #path, [](auto& c) -> auto& { return c.path; }

template <class Access>
Field FixedKey(const char* key, Access access, Bounds<Fixed> b) {
  Setter set = [=](Config& c, const std::string& text) -> std::optional<std::string> {
    absl::StatusOr<Fixed> v = Fixed::Parse(text);
    if (!v.ok()) return "must be a decimal number (at most 8 decimals)";
    if (b.whole && !IsWhole(*v)) return "must be a whole number";
    if (auto err = CheckBounds(*v, b)) return err;
    access(c) = *v;
    return std::nullopt;
  };
  return {key, "", set, [=](const Config& c) { return access(c).ToString(); }};
}

template <class Access>
Field IntKey(const char* key, Access access, Bounds<int> b) {
  Setter set = [=](Config& c, const std::string& text) -> std::optional<std::string> {
    int v = 0;
    // SimpleAtoi trims blanks; refuse them so "1 0" style typos are not read as 10.
    if (text != absl::StripAsciiWhitespace(text) || !absl::SimpleAtoi(text, &v)) {
      return "must be an integer";
    }
    if (auto err = CheckBounds(v, b)) return err;
    access(c) = v;
    return std::nullopt;
  };
  return {key, "", set, [=](const Config& c) { return absl::StrCat(access(c)); }};
}

// Only the words true/false: YAML 1.1's yes/on/1 are exactly the surprises a
// switch like run.enable_trading must not have.
template <class Access>
Field BoolKey(const char* key, Access access, std::string seed_env = "") {
  Setter set = [=](Config& c, const std::string& text) -> std::optional<std::string> {
    if (text != "true" && text != "false") return "must be true or false";
    access(c) = text == "true";
    return std::nullopt;
  };
  return {key, seed_env, set, [=](const Config& c) { return access(c) ? "true" : "false"; }};
}

enum class TextRule { kAnything, kNonEmpty, kSymbol, kTimeframe };

std::optional<std::string> CheckText(const std::string& text, TextRule rule) {
  switch (rule) {
    case TextRule::kAnything:
      return std::nullopt;
    case TextRule::kNonEmpty:
      if (text.empty()) return "must not be empty";
      return std::nullopt;
    case TextRule::kSymbol:
      if (!IsSymbolName(text)) return "must be upper-case letters and digits, e.g. BTCUSDT";
      return std::nullopt;
    case TextRule::kTimeframe:
      if (!ParseTimeframe(text).ok()) return "must be a timeframe such as 5m, 15m, 4h or 1d";
      return std::nullopt;
  }
  return std::nullopt;
}

template <class Access>
Field TextKey(const char* key, Access access, TextRule rule, std::string seed_env = "") {
  Setter set = [=](Config& c, const std::string& text) -> std::optional<std::string> {
    if (auto err = CheckText(text, rule)) return err;
    access(c) = text;
    return std::nullopt;
  };
  // Escaped so that a value with a newline cannot forge a second canonical line.
  return {key, seed_env, set, [=](const Config& c) { return absl::CEscape(access(c)); }, /*escaped=*/true};
}

// A list of symbols: a YAML list (or one comma-separated string, as the
// environment and --set give it), each checked, no repeats. Canonical()
// writes it comma-separated, in the order given.
template <class Access>
Field SymbolListKey(const char* key, Access access, size_t max_size) {
  Setter set = [=](Config& c, const std::string& text) -> std::optional<std::string> {
    std::vector<std::string> symbols;
    if (!text.empty()) symbols = absl::StrSplit(text, ',');
    std::set<std::string> seen;
    for (const std::string& symbol : symbols) {
      if (auto err = CheckText(symbol, TextRule::kSymbol)) return absl::StrCat("each symbol ", *err);
      if (!seen.insert(symbol).second) return absl::StrCat("lists ", symbol, " twice");
    }
    if (symbols.size() > max_size) return absl::StrCat("must list at most ", max_size, " symbols");
    access(c) = std::move(symbols);
    return std::nullopt;
  };
  Field f{key, "", set, [=](const Config& c) { return absl::StrJoin(access(c), ","); }};
  f.list = true;
  return f;
}

// The news feeds: in YAML the seed's list of maps ({name, url, enabled}),
// in the environment and --set "name=url" items, comma-separated, which is
// also how Canonical() writes them. A source with enabled: false is left
// out; names and URLs must be unique.
constexpr size_t kMaxNewsSources = 20;

template <class Access>
Field NewsSourcesKey(const char* key, Access access) {
  Setter set = [=](Config& c, const std::string& text) -> std::optional<std::string> {
    std::vector<NewsSource> sources;
    std::set<std::string> names, urls;
    for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipEmpty())) {
      std::pair<std::string, std::string> kv = absl::StrSplit(item, absl::MaxSplits('=', 1));
      NewsSource src{kv.first, kv.second};
      const bool name_ok = !src.name.empty() && src.name.size() <= 64 &&
                           std::all_of(src.name.begin(), src.name.end(), [](char ch) {
                             return absl::ascii_isalnum(ch) || ch == '_' || ch == '-' || ch == '.';
                           });
      if (!name_ok) return "each source needs a name of letters, digits, _ - . (at most 64)";
      const bool url_ok = (absl::StartsWith(src.url, "http://") || absl::StartsWith(src.url, "https://")) &&
                          src.url.size() <= kMaxNewsIdChars &&
                          std::none_of(src.url.begin(), src.url.end(), [](char ch) {
                            return absl::ascii_isspace(ch) || absl::ascii_iscntrl(ch);
                          });
      if (!url_ok) return absl::StrCat("source ", src.name, " needs an http:// or https:// url without blanks");
      if (!names.insert(src.name).second) return absl::StrCat("names ", src.name, " twice");
      if (!urls.insert(src.url).second) return absl::StrCat("lists the url of ", src.name, " twice");
      sources.push_back(std::move(src));
    }
    if (sources.size() > kMaxNewsSources) return absl::StrCat("must list at most ", kMaxNewsSources, " sources");
    access(c) = std::move(sources);
    return std::nullopt;
  };
  Field f{key, "", set, [=](const Config& c) {
            std::vector<std::string> items;
            for (const NewsSource& src : access(c)) items.push_back(absl::StrCat(src.name, "=", src.url));
            return absl::StrJoin(items, ",");
          }};
  f.list = true;
  f.map_items = true;
  return f;
}

// A string field limited to a fixed set of words.
template <class Access>
Field ChoiceKey(const char* key, Access access, std::vector<std::string> choices) {
  Setter set = [=](Config& c, const std::string& text) -> std::optional<std::string> {
    if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
      return absl::StrCat("must be one of ", absl::StrJoin(choices, ", "));
    }
    access(c) = text;
    return std::nullopt;
  };
  return {key, "", set, [=](const Config& c) { return access(c); }};
}

// An enum field: `parse` reads a name, `print` writes the same name back.
template <class E, class Access>
Field EnumKey(const char* key, Access access, bool (*parse)(absl::string_view, E*),
              std::string (*print)(E), std::string choices, std::string seed_env = "") {
  Setter set = [=](Config& c, const std::string& text) -> std::optional<std::string> {
    E v{};
    if (!parse(text, &v)) return absl::StrCat("must be one of ", choices);
    access(c) = v;
    return std::nullopt;
  };
  return {key, seed_env, set, [=](const Config& c) { return print(access(c)); }};
}

std::string ModeName(Mode m) { return std::string(EnumName(m)); }

// config.yaml spells order types the seed's way (lower case); only the two
// an entry can be.
bool ParseEntryOrderType(absl::string_view text, OrderType* out) {
  if (text == "market") *out = OrderType::kMarket;
  else if (text == "limit") *out = OrderType::kLimit;
  else return false;
  return true;
}
std::string EntryOrderTypeName(OrderType t) { return absl::AsciiStrToLower(EnumName(t)); }

// Named bounds used by many keys.
const Bounds<Fixed> kPercent{.gt = Fixed(), .le = Fixed::FromInt(100)};
const Bounds<Fixed> kPercentOrZero{.ge = Fixed(), .le = Fixed::FromInt(100)};
const Bounds<Fixed> kPositive{.gt = Fixed()};
const Bounds<Fixed> kNonNegative{.ge = Fixed()};
const Bounds<Fixed> kUnitInterval{.ge = Fixed(), .le = Fixed::FromInt(1)};
const Bounds<int> kPeriod{.ge = 1, .le = 1000};  // bars; a bound keeps warm-up finite
const Bounds<int> kPort{.ge = 0, .le = 65535};   // 0 = any free port
constexpr size_t kMaxSymbols = 50;  // one engine step handles them all

std::vector<Field> MakeFields() {
  using R = TextRule;
  return {
      // run
      EnumKey<Mode>(KEY(run.mode), ParseEnumName<Mode>, ModeName, "paper, testnet, live",
                    "RUN_MODE"),
      BoolKey(KEY(run.enable_trading), "RUN_ENABLE_TRADING"),
      TextKey(KEY(run.live_confirm), R::kAnything, "RUN_LIVE_CONFIRM"),
      FixedKey(KEY(run.initial_equity), kPositive),
      TextKey(KEY(run.symbol), R::kSymbol),
      TextKey(KEY(run.interval), R::kTimeframe),
      Added(ChoiceKey(KEY(run.venue), {"binance", "kalshi"}), "binance"),
      // strategy
      TextKey(KEY(strategy.name), R::kNonEmpty),
      TextKey(KEY(strategy.trend_timeframe), R::kTimeframe),
      TextKey(KEY(strategy.entry_timeframe), R::kTimeframe),
      IntKey(KEY(strategy.indicators.ema_fast), kPeriod),
      IntKey(KEY(strategy.indicators.ema_slow), kPeriod),
      IntKey(KEY(strategy.indicators.atr_period), kPeriod),
      IntKey(KEY(strategy.indicators.rsi_period), kPeriod),
      IntKey(KEY(strategy.indicators.adx_period), kPeriod),
      IntKey(KEY(strategy.indicators.volume_sma_period), kPeriod),
      // 0 (ledgers from before CHOP): the regime reads ADX alone.
      Added(IntKey(KEY(strategy.indicators.chop_period), {.ge = 0, .le = 1000}), "0"),
      ChoiceKey(KEY(strategy.entry.style), {"breakout", "pullback"}),
      FixedKey(KEY(strategy.entry.score_threshold), kUnitInterval),
      FixedKey(KEY(strategy.entry.max_breakout_extension_atr), kPositive),
      IntKey(KEY(strategy.entry.breakout_lookback), kPeriod),
      FixedKey(KEY(strategy.entry.volume_breakout_threshold), kPositive),
      BoolKey(KEY(strategy.entry.volume_confirmation_enabled)),
      FixedKey(KEY(strategy.exit.atr_stop_multiplier), kPositive),
      FixedKey(KEY(strategy.exit.take_profit_atr_multiplier), kPositive),
      Added(FixedKey(KEY(strategy.exit.tp_partial_pct), {.gt = Fixed(), .le = Fixed::FromInt(100)}), "100"),
      Added(FixedKey(KEY(strategy.exit.trailing_start_atr), {.ge = Fixed(), .le = Fixed::FromInt(100)}), "0"),
      FixedKey(KEY(strategy.exit.trailing_distance_atr), {.gt = Fixed(), .le = Fixed::FromInt(100)}),
      BoolKey(KEY(strategy.exit.exit_on_trend_invalidation)),
      FixedKey(KEY(strategy.exit.time_stop_days), kPositive),
      FixedKey(KEY(strategy.exit.time_stop_min_profit_atr), kNonNegative),
      FixedKey(KEY(strategy.scoring.trend), kUnitInterval),
      FixedKey(KEY(strategy.scoring.volatility), kUnitInterval),
      FixedKey(KEY(strategy.scoring.entry_quality), kUnitInterval),
      FixedKey(KEY(strategy.scoring.funding), kUnitInterval),
      FixedKey(KEY(strategy.scoring.news), kUnitInterval),
      // regime (the seed's section)
      BoolKey(KEY(regime.enabled)),
      FixedKey(KEY(regime.adx_trending_threshold), {.gt = Fixed(), .le = Fixed::FromInt(100)}),
      FixedKey(KEY(regime.adx_ranging_threshold), {.ge = Fixed(), .le = Fixed::FromInt(100)}),
      FixedKey(KEY(regime.chop_trending_threshold), {.ge = Fixed(), .le = Fixed::FromInt(100)}),
      FixedKey(KEY(regime.chop_ranging_threshold), {.gt = Fixed(), .le = Fixed::FromInt(100)}),
      // 1 (ledgers from before it): a transitional regime sized as any other.
      Added(FixedKey(KEY(regime.transitional_size_multiplier), {.gt = Fixed(), .le = Fixed::FromInt(1)}), "1"),
      // risk: the seed refuses to start above 2% risk or 10x leverage.
      FixedKey(KEY(risk.risk_per_trade_pct), {.gt = Fixed(), .le = Fixed::FromInt(2)}),
      FixedKey(KEY(risk.max_leverage), {.ge = Fixed::FromInt(1), .le = Fixed::FromInt(10)}),
      FixedKey(KEY(risk.default_leverage),
               {.ge = Fixed::FromInt(1), .le = Fixed::FromInt(125), .whole = true}),
      FixedKey(KEY(risk.max_daily_loss_pct), kPercent),
      FixedKey(KEY(risk.max_drawdown_pct), kPercent),
      IntKey(KEY(risk.max_consecutive_losses), {.ge = 1, .le = 1000}),
      IntKey(KEY(risk.max_positions), {.ge = 1, .le = 100}),
      FixedKey(KEY(risk.max_position_notional_usd), kPositive),
      FixedKey(KEY(risk.max_stop_atr), kPositive),
      Added(FixedKey(KEY(risk.margin_buffer_pct), {.ge = Fixed(), .le = Fixed::FromInt(50)}), "0"),
      Added(FixedKey(KEY(risk.max_margin_ratio_pct), kPercentOrZero), "0"),
      FixedKey(KEY(risk.min_equity_usd), kNonNegative),
      Added(FixedKey(KEY(risk.cooldown_after_loss_hours), {.ge = Fixed(), .le = Fixed::FromInt(720)}), "0"),
      Added(IntKey(KEY(risk.max_loss_streak_24h), {.ge = 0, .le = static_cast<int>(kLossTimesKept)}), "0"),
      FixedKey(KEY(risk.loss_streak_window_hours), {.gt = Fixed(), .le = Fixed::FromInt(720)}),
      Added(FixedKey(KEY(risk.cooldown_after_max_daily_hours), {.ge = Fixed(), .le = Fixed::FromInt(720)}), "0"),
      Added(FixedKey(KEY(risk.max_funding_rate_pct), {.ge = Fixed(), .le = Fixed::FromInt(100)}), "0"),
      // universe
      SymbolListKey(KEY(universe.symbols), kMaxSymbols),
      IntKey(KEY(universe.size), {.ge = 0, .le = static_cast<int>(kMaxSymbols)}),
      FixedKey(KEY(universe.min_quote_volume_usd), kNonNegative),
      FixedKey(KEY(universe.max_min_notional_usd), kPositive),
      FixedKey(KEY(universe.max_funding_rate_pct), kPositive),
      FixedKey(KEY(universe.refresh_interval_hours), {.ge = *Fixed::Parse("0.001"), .le = Fixed::FromInt(24 * 30)}),
      Added(BoolKey(KEY(universe.venue_wide)), "false"),
      IntKey(KEY(universe.retry_interval_minutes), {.ge = 1, .le = 24 * 60}),
      // news
      BoolKey(KEY(news.enabled)),
      ChoiceKey(KEY(news.classifier_provider), {"rules"}),
      IntKey(KEY(news.poll_interval_minutes), {.ge = 1, .le = 24 * 60}),
      IntKey(KEY(news.max_age_hours), {.ge = 1, .le = 24 * 365}),
      IntKey(KEY(news.source_timeout_sec), {.ge = 1, .le = 120}),
      NewsSourcesKey(KEY(news.sources)),
      FixedKey(KEY(news.high_risk_block_hours), kNonNegative),
      FixedKey(KEY(news.medium_risk_block_hours), kNonNegative),
      // execution
      EnumKey<OrderType>(KEY(execution.entry_order_type), ParseEntryOrderType,
                         EntryOrderTypeName, "market, limit"),
      FixedKey(KEY(execution.limit_order_buffer_pct), kPercentOrZero),
      // false (ledgers from before the lifecycle): cancelled at
      // entry_max_duration_sec without an EntrySkipped, as then.
      Added(BoolKey(KEY(execution.entry_lifecycle_enabled)), "false"),
      ChoiceKey(KEY(execution.entry_timeout_mode), {"timeframe", "fixed"}),
      IntKey(KEY(execution.entry_fallback_timeout_sec), {.ge = 1, .le = 7 * 86400}),
      IntKey(KEY(execution.entry_max_duration_sec), {.ge = 1, .le = 7 * 86400}),
      Added(FixedKey(KEY(execution.max_spread_pct), kPercentOrZero), "0"),
      Added(BoolKey(KEY(execution.use_dynamic_spread_threshold)), "false"),
      // 0 would refuse every entry (any spread is above it).
      FixedKey(KEY(execution.spread_threshold_calm_pct), {.gt = Fixed(), .le = Fixed::FromInt(100)}),
      FixedKey(KEY(execution.spread_threshold_normal_pct), {.gt = Fixed(), .le = Fixed::FromInt(100)}),
      FixedKey(KEY(execution.spread_threshold_volatile_pct), {.gt = Fixed(), .le = Fixed::FromInt(100)}),
      FixedKey(KEY(execution.atr_calm_threshold), kPercentOrZero),
      FixedKey(KEY(execution.atr_volatile_threshold), kPercentOrZero),
      ChoiceKey(KEY(execution.margin_type), {"ISOLATED", "CROSSED"}),
      IntKey(KEY(execution.retry_attempts), {.ge = 0, .le = 10}),
      IntKey(KEY(execution.retry_initial_delay_ms), {.ge = 10, .le = 60'000}),
      IntKey(KEY(execution.retry_max_delay_ms), {.ge = 10, .le = 600'000}),
      // paper_sim
      TextKey(KEY(binance.base_url), R::kNonEmpty),
      TextKey(KEY(binance.ws_url), R::kNonEmpty),
      TextKey(KEY(binance.testnet_base_url), R::kNonEmpty),
      TextKey(KEY(binance.testnet_ws_url), R::kNonEmpty),
      IntKey(KEY(binance.recv_window), {.ge = 1, .le = 60000}),
      IntKey(KEY(binance.time_sync_interval_sec), {.ge = 0, .le = 86400}),
      IntKey(KEY(binance.connect_timeout_ms), {.ge = 100, .le = 60000}),
      IntKey(KEY(binance.request_timeout_ms), {.ge = 100, .le = 120000}),
      IntKey(KEY(binance.user_stream_keepalive_sec), {.ge = 60, .le = 3500}),
      IntKey(KEY(binance.stream_silence_sec), {.ge = 5, .le = 3600}),
      TextKey(KEY(binance.quote_asset), R::kSymbol),
      BoolKey(KEY(reconciliation.enabled)),
      IntKey(KEY(reconciliation.interval_min), {.ge = 1, .le = 1440}),
      IntKey(KEY(reconciliation.failure_threshold), {.ge = 1, .le = 100}),
      FixedKey(KEY(reconciliation.balance_tolerance_usd), kNonNegative),
      IntKey(KEY(execution.order_timeout_sec), {.ge = 1, .le = 3600}),
      FixedKey(KEY(paper_sim.slippage_base_bps), {.ge = Fixed(), .le = Fixed::FromInt(10000)}),
      FixedKey(KEY(paper_sim.maker_fee_pct), kPercentOrZero),
      FixedKey(KEY(paper_sim.taker_fee_pct), kPercentOrZero),
      FixedKey(KEY(paper_sim.price_tick), kPositive),
      FixedKey(KEY(paper_sim.qty_step), kPositive),
      FixedKey(KEY(paper_sim.min_notional), kNonNegative),
      TextKey(KEY(paper_sim.exchange_info_file), R::kAnything),
      // storage
      TextKey(KEY(storage.ledger_path), R::kNonEmpty),
      TextKey(KEY(storage.logs_path), R::kNonEmpty),
      TextKey(KEY(storage.data_file), R::kNonEmpty),
      IntKey(KEY(storage.snapshot_every_events), {.ge = 100, .le = 100'000'000}),
      IntKey(KEY(storage.snapshots_kept), {.ge = 1, .le = 100}),
      // monitoring
      ChoiceKey(KEY(monitoring.log_level), {"DEBUG", "INFO", "WARNING", "ERROR"}),
      BoolKey(KEY(monitoring.log_cycles)),
      BoolKey(KEY(monitoring.metrics_enabled)),
      TextKey(KEY(monitoring.metrics_host), R::kNonEmpty),
      IntKey(KEY(monitoring.metrics_port), kPort),
      BoolKey(KEY(monitoring.alerts_enabled)),
      BoolKey(KEY(monitoring.log_http)),
      BoolKey(KEY(monitoring.log_http_responses)),
      IntKey(KEY(monitoring.log_http_max_body_chars), {.ge = 0, .le = 1'000'000}),
      // analytics
      Added(BoolKey(KEY(analytics.enabled)), "true"),
      Added(TextKey(KEY(analytics.url), R::kAnything), ""),
      // api
      BoolKey(KEY(api.enabled)),
      TextKey(KEY(api.host), R::kNonEmpty),
      IntKey(KEY(api.port), kPort),
      IntKey(KEY(api.unhealthy_after_sec), {.ge = 1, .le = 86400}),
      IntKey(KEY(api.dashboard_refresh_sec), {.ge = 1, .le = 3600}),
      TextKey(KEY(governance.policies_path), R::kAnything),
      // rate_limits: the rate gate's quota per outbound provider
      IntKey(KEY(rate_limits.binance.requests_per_window), {.ge = 1, .le = 1'000'000}),
      IntKey(KEY(rate_limits.binance.window_sec), {.ge = 1, .le = 86'400}),
      IntKey(KEY(rate_limits.binance.burst), {.ge = 0, .le = 1'000'000}),
      IntKey(KEY(rate_limits.news.requests_per_window), {.ge = 1, .le = 1'000'000}),
      IntKey(KEY(rate_limits.news.window_sec), {.ge = 1, .le = 86'400}),
      IntKey(KEY(rate_limits.news.burst), {.ge = 0, .le = 1'000'000}),
      IntKey(KEY(rate_limits.webhooks.requests_per_window), {.ge = 1, .le = 1'000'000}),
      IntKey(KEY(rate_limits.webhooks.window_sec), {.ge = 1, .le = 86'400}),
      IntKey(KEY(rate_limits.webhooks.burst), {.ge = 0, .le = 1'000'000}),
      Added(IntKey(KEY(rate_limits.kalshi_read.requests_per_window), {.ge = 10, .le = 1'000'000}), "200"),
      Added(IntKey(KEY(rate_limits.kalshi_read.window_sec), {.ge = 1, .le = 86'400}), "1"),
      Added(IntKey(KEY(rate_limits.kalshi_read.burst), {.ge = 0, .le = 1'000'000}), "0"),
      Added(IntKey(KEY(rate_limits.kalshi_write.requests_per_window), {.ge = 10, .le = 1'000'000}), "100"),
      Added(IntKey(KEY(rate_limits.kalshi_write.window_sec), {.ge = 1, .le = 86'400}), "1"),
      Added(IntKey(KEY(rate_limits.kalshi_write.burst), {.ge = 0, .le = 1'000'000}), "0"),
      Added(IntKey(KEY(rate_limits.nws.requests_per_window), {.ge = 1, .le = 1'000'000}), "1"),
      Added(IntKey(KEY(rate_limits.nws.window_sec), {.ge = 1, .le = 86'400}), "1"),
      Added(IntKey(KEY(rate_limits.nws.burst), {.ge = 0, .le = 1'000'000}), "1"),
      // weather (issue 15): absent from ledgers written before it
      Added(SymbolListKey(KEY(weather.cities), 32), "AUS,CHI,DEN,LAX,MIA,NYC,PHIL"),
      Added(FixedKey(KEY(weather.min_edge_cents), {.ge = Fixed(), .le = Fixed::FromInt(100)}), "3"),
      Added(FixedKey(KEY(weather.max_spread_cents), {.gt = Fixed(), .le = Fixed::FromInt(100)}), "4"),
      Added(FixedKey(KEY(weather.max_uncertainty), {.gt = Fixed(), .le = Fixed::FromInt(1)}), "0.3"),
      Added(FixedKey(KEY(weather.max_open_risk_pct), {.gt = Fixed(), .le = Fixed::FromInt(100)}), "10"),
      Added(FixedKey(KEY(weather.per_trade_risk_pct), {.gt = Fixed(), .le = Fixed::FromInt(100)}), "2"),
      Added(IntKey(KEY(weather.max_contracts_per_trade), {.ge = 1, .le = 1'000'000}), "95"),
      Added(FixedKey(KEY(weather.city_exposure_pct), {.gt = Fixed(), .le = Fixed::FromInt(100)}), "3"),
      Added(FixedKey(KEY(weather.cluster_exposure_pct), {.gt = Fixed(), .le = Fixed::FromInt(100)}), "5"),
      Added(IntKey(KEY(weather.forecast_stale_min), {.ge = 1, .le = 24 * 60}), "15"),
      Added(IntKey(KEY(weather.decision_interval_min), {.ge = 1, .le = 24 * 60}), "60"),
      // Off in a ledger from before the breaker: its decisions replay as made.
      Added(IntKey(KEY(weather.max_rejects), {.ge = 0, .le = 64}), "0"),
      Added(IntKey(KEY(weather.reject_window_min), {.ge = 1, .le = 24 * 60}), "15"),
      // Off in a ledger from before the liquidity gate and the repricer.
      Added(FixedKey(KEY(weather.min_liquidity), {.ge = Fixed(), .le = Fixed::FromInt(1'000'000'000)}), "0"),
      Added(IntKey(KEY(weather.reprice_interval_sec), {.ge = 0, .le = 24 * 3600}), "0"),
      Added(FixedKey(KEY(weather.max_chase_cents), {.ge = Fixed(), .le = Fixed::FromInt(100)}), "3"),
      Added(TextKey(KEY(weather.nws_base_url), R::kNonEmpty), "https://api.weather.gov"),
      Added(TextKey(KEY(weather.nws_user_agent), R::kNonEmpty), "apollo weather_high_v1"),
      Added(FixedKey(KEY(weather.nws_sigma_f), {.gt = Fixed(), .le = Fixed::FromInt(30)}), "3.5"),
      Added(FixedKey(KEY(weather.nws_sigma_per_day_f), {.ge = Fixed(), .le = Fixed::FromInt(10)}), "0.5"),
      // watchdog
      BoolKey(KEY(watchdog.enabled)),
      IntKey(KEY(watchdog.interval_sec), {.ge = 1, .le = 86400}),
      BoolKey(KEY(watchdog.auto_recover)),
  };
}

#undef KEY

// Sorted by key: the order Canonical() prints in.
const std::vector<Field>& Fields() {
  static const std::vector<Field>* const fields = [] {
    auto* f = new std::vector<Field>(MakeFields());
    std::sort(f->begin(), f->end(), [](const Field& a, const Field& b) { return a.key < b.key; });
    return f;
  }();
  return *fields;
}

const Field* FindField(const std::string& key) {
  for (const Field& f : Fields()) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

// True if `prefix` is a section (or sub-section) holding declared keys.
bool IsSection(const std::string& prefix) {
  const std::string dotted = prefix + ".";
  return std::any_of(Fields().begin(), Fields().end(),
                     [&](const Field& f) { return absl::StartsWith(f.key, dotted); });
}

// "risk.max_drawdown_pct" -> "RISK__MAX_DRAWDOWN_PCT".
std::string EnvName(const std::string& key) {
  return absl::AsciiStrToUpper(absl::StrReplaceAll(key, {{".", "__"}}));
}

// ---------------------------------------------------------------- errors

std::string ShowValue(const std::string& value) {
  if (value.empty()) return "\"\"";
  std::string shown = absl::CEscape(value.substr(0, kMaxShownValueChars));
  if (value.size() > kMaxShownValueChars) shown += "...";
  return shown;
}

// `where` is "config.yaml: risk.max_drawdown_pct" or "environment RISK__...".
absl::Status ValueError(const std::string& where, const std::string& what,
                        const std::string& got) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what, " (got ", ShowValue(got), ")"));
}

std::string FileWhere(const std::string& path, const std::string& key) {
  return absl::StrCat(path, ": ", key);
}
std::string EnvWhere(const std::string& name) { return absl::StrCat("environment ", name); }

// ---------------------------------------------------------------- cross-field rules

struct CrossCheck {
  std::string key;  // the key the error is reported on
  // The "what" of the error, or nullopt if the config is fine.
  std::function<std::optional<std::string>(const Config&)> what;
};

int64_t Seconds(const std::string& timeframe) {
  absl::StatusOr<int64_t> s = ParseTimeframe(timeframe);
  return s.ok() ? *s : 0;  // fields were validated on the way in
}

std::optional<std::string> MultipleOfInterval(const Config& c, const std::string& timeframe) {
  const int64_t base = Seconds(c.run.interval);
  if (base > 0 && Seconds(timeframe) % base == 0) return std::nullopt;
  return absl::StrCat("must be a whole multiple of run.interval (", c.run.interval, ")");
}

const std::vector<CrossCheck>& CrossChecks() {
  static const std::vector<CrossCheck>* const checks = new std::vector<CrossCheck>{
      {"analytics.url",
       [](const Config& c) -> std::optional<std::string> {
         const std::string& url = c.analytics.url;
         if (url.empty() || (absl::StartsWith(url, "sqlite:") && url.size() > 7)) return std::nullopt;
         if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://")) {
           // config.yaml is journaled (ConfigLoaded): a password goes in
           // ANALYTICS_URL (.env / environment) instead, or PGPASSWORD.
           const absl::string_view rest = absl::string_view(url).substr(url.find("://") + 3);
           const absl::string_view authority = rest.substr(0, rest.find_first_of("/?"));
           const size_t at = authority.rfind('@');
           // libpq percent-decodes the query's keywords too (pass%77ord=).
           std::string query(rest.substr(std::min(rest.size(), rest.find('?'))));
           for (size_t i = 0; i + 2 < query.size(); ++i) {
             int byte = 0;
             if (query[i] == '%' && absl::SimpleHexAtoi(query.substr(i + 1, 2), &byte)) {
               query.replace(i, 3, 1, static_cast<char>(byte));
             }
           }
           const bool password = (at != absl::string_view::npos &&
                                  authority.substr(0, at).find(':') != absl::string_view::npos) ||
                                 absl::StrContains(absl::AsciiStrToLower(query), "password=");
           if (!password) return std::nullopt;
           return std::string("a password does not belong in config.yaml (it is journaled): set ANALYTICS_URL "
                              "in .env or the environment, or PGPASSWORD");
         }
         return std::string("expected \"\" (SQLite at logs/apollo.sqlite), sqlite:PATH or postgresql://...");
       }},
      {"risk.default_leverage",
       [](const Config& c) -> std::optional<std::string> {
         if (c.risk.default_leverage <= c.risk.max_leverage) return std::nullopt;
         return absl::StrCat("must be <= risk.max_leverage (", c.risk.max_leverage.ToString(), ")");
       }},
      // Both timeframes are resampled from run.interval bars.
      {"strategy.entry_timeframe",
       [](const Config& c) { return MultipleOfInterval(c, c.strategy.entry_timeframe); }},
      {"strategy.trend_timeframe",
       [](const Config& c) { return MultipleOfInterval(c, c.strategy.trend_timeframe); }},
      {"strategy.trend_timeframe",
       [](const Config& c) -> std::optional<std::string> {
         if (Seconds(c.strategy.trend_timeframe) >= Seconds(c.strategy.entry_timeframe)) {
           return std::nullopt;
         }
         return absl::StrCat("must be >= strategy.entry_timeframe (", c.strategy.entry_timeframe,
                             ")");
       }},
      // CHOP over one bar is log(1)/log(1): undefined.
      {"strategy.indicators.chop_period",
       [](const Config& c) -> std::optional<std::string> {
         if (c.strategy.indicators.chop_period != 1) return std::nullopt;
         return std::string("must be 0 (no CHOP) or >= 2");
       }},
      // A calmer market must not be allowed a wider spread.
      {"execution.spread_threshold_normal_pct",
       [](const Config& c) -> std::optional<std::string> {
         const config::ExecutionConfig& e = c.execution;
         if (e.spread_threshold_calm_pct <= e.spread_threshold_normal_pct &&
             e.spread_threshold_normal_pct <= e.spread_threshold_volatile_pct) {
           return std::nullopt;
         }
         return absl::StrCat("must lie between execution.spread_threshold_calm_pct (",
                             e.spread_threshold_calm_pct.ToString(), ") and execution.spread_threshold_volatile_pct (",
                             e.spread_threshold_volatile_pct.ToString(), ")");
       }},
      // A calm market above the volatile one would never be normal.
      {"execution.atr_calm_threshold",
       [](const Config& c) -> std::optional<std::string> {
         if (c.execution.atr_calm_threshold <= c.execution.atr_volatile_threshold) return std::nullopt;
         return absl::StrCat("must be <= execution.atr_volatile_threshold (",
                             c.execution.atr_volatile_threshold.ToString(), ")");
       }},
      // Overlapping bands would make a bar both trending and choppy.
      {"regime.adx_ranging_threshold",
       [](const Config& c) -> std::optional<std::string> {
         if (c.regime.adx_ranging_threshold < c.regime.adx_trending_threshold) return std::nullopt;
         return absl::StrCat("must be < regime.adx_trending_threshold (",
                             c.regime.adx_trending_threshold.ToString(), ")");
       }},
      {"regime.chop_trending_threshold",
       [](const Config& c) -> std::optional<std::string> {
         if (c.regime.chop_trending_threshold < c.regime.chop_ranging_threshold) return std::nullopt;
         return absl::StrCat("must be < regime.chop_ranging_threshold (",
                             c.regime.chop_ranging_threshold.ToString(), ")");
       }},
      // A fast EMA that is not faster makes the trend filter meaningless.
      {"strategy.indicators.ema_slow",
       [](const Config& c) -> std::optional<std::string> {
         if (c.strategy.indicators.ema_slow > c.strategy.indicators.ema_fast) return std::nullopt;
         return absl::StrCat("must be > strategy.indicators.ema_fast (",
                             c.strategy.indicators.ema_fast, ")");
       }},
      {"execution.retry_max_delay_ms",
       [](const Config& c) -> std::optional<std::string> {
         if (c.execution.retry_max_delay_ms >= c.execution.retry_initial_delay_ms) return std::nullopt;
         return absl::StrCat("must be >= execution.retry_initial_delay_ms (", c.execution.retry_initial_delay_ms, ")");
       }},
      // A Binance call may weigh 40 (open orders of every symbol) and waits
      // at most 10 s at the rate gate: a slower refill refuses cancels and
      // closes.
      {"rate_limits.binance.requests_per_window",
       [](const Config& c) -> std::optional<std::string> {
         const ProviderQuotaConfig& q = c.rate_limits.binance;
         if (int64_t{q.requests_per_window} * 10 >= int64_t{40} * q.window_sec) return std::nullopt;
         return absl::StrCat("must be at least 4 per second of rate_limits.binance.window_sec (", 4 * q.window_sec,
                             " for ", q.window_sec, "): a Binance call may weigh 40 and waits at most 10 s at the gate");
       }},
      {"universe.venue_wide",
       [](const Config& c) -> std::optional<std::string> {
         if (!c.universe.venue_wide) return std::nullopt;
         if (!c.universe.symbols.empty()) return "ranks every USDT perpetual of the venue: leave universe.symbols empty";
         if (c.universe.size <= 0) return "needs universe.size > 0 (how many symbols to keep)";
         return std::nullopt;
       }},
      // The seed refuses to start live with more than two positions.
      {"risk.max_positions",
       [](const Config& c) -> std::optional<std::string> {
         if (c.run.mode != Mode::kLive || c.risk.max_positions <= 2) return std::nullopt;
         return "must be <= 2 when run.mode is live";
       }},
  };
  return *checks;
}

// ---------------------------------------------------------------- loading

// Builds one Config from defaults, then YAML, then the environment,
// remembering where each value came from so errors can say so.
class Loader {
 public:
  explicit Loader(std::string path) : path_(std::move(path)) {}

  absl::Status ApplyYaml(const YAML::Node& root) {
    if (!root || root.IsNull()) return absl::OkStatus();  // empty file: all defaults
    if (!root.IsMap()) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": must be a map of sections"));
    }
    return ApplyMap(root, "");
  }

  absl::Status ApplyEnv(const Env& env) {
    for (const Field& f : Fields()) RETURN_IF_ERROR(ApplyEnvField(f, env));
    // The seed's spelling of a renamed key (MONITORING__API_PORT) still
    // works, unless Apollo's own says otherwise.
    for (const Field& f : Fields()) {
      for (const std::string& old : seed::OldNames(f.key)) {
        std::optional<std::string> value = env(EnvName(old));
        if (!value) continue;
        std::optional<std::string> current = env(EnvName(f.key));
        if (current && *current != *value) {
          return ValueError(EnvWhere(EnvName(old)), absl::StrCat("disagrees with ", EnvName(f.key)),
                            absl::StrCat(*value, " vs ", *current));
        }
        RETURN_IF_ERROR(Set(f, *value, EnvWhere(EnvName(old))));
        notices_.push_back(absl::StrCat("environment ", EnvName(old), " is the seed's name for ", EnvName(f.key),
                                        ": read as ", f.key));
      }
    }
    return absl::OkStatus();
  }

  // The seed's keys met in the file that need more than their value read:
  // keys not implemented yet (all named in one line), then the seed's
  // `environment` against the final run.mode.
  absl::Status FinishSeedKeys() {
    if (!not_implemented_.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path_, ": not implemented in Apollo yet: ", absl::StrJoin(not_implemented_, ", "),
          " (remove these keys, or run `bot config migrate`, which comments them out)"));
    }
    if (!environment_.empty()) {
      const bool production = environment_ == "production";
      if ((production && cfg_.run.mode == Mode::kTestnet) || (!production && cfg_.run.mode == Mode::kLive)) {
        return ValueError(FileWhere(path_, "environment"),
                          absl::StrCat("contradicts run.mode ", EnumName(cfg_.run.mode),
                                       " (Apollo reads the mode from run.mode)"),
                          environment_);
      }
      Notice("environment", absl::StrCat("is the seed's; Apollo reads the mode from run.mode (", EnumName(cfg_.run.mode),
                                         "), which agrees; the key can go"));
    }
    return absl::OkStatus();
  }

  std::vector<std::string> TakeNotices() { return std::move(notices_); }

  // "key = value" lines as Canonical() writes them; every declared key
  // must be there once (a config journaled by this build has them all; an
  // older build's lacks the keys added since, which keep their defaults).
  absl::Status ApplyCanonical(const std::string& text) {
    std::set<std::string> seen;
    std::istringstream lines(text);
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
      if (line.empty()) continue;
      const size_t eq = line.find(" = ");
      const std::string key = eq == std::string::npos ? line : line.substr(0, eq);
      const Field* f = eq == std::string::npos ? nullptr : FindField(key);
      if (f == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(path_, ": line ", number, ": unknown key ", ShowValue(key)));
      }
      if (!seen.insert(key).second) return absl::InvalidArgumentError(absl::StrCat(path_, ": duplicate key ", key));
      std::string value = line.substr(eq + 3);
      if (f->escaped && !absl::CUnescape(value, &value)) {
        return ValueError(FileWhere(path_, key), "is not a valid escaped string", value);
      }
      RETURN_IF_ERROR(Set(*f, value, FileWhere(path_, key)));
    }
    for (const Field& f : Fields()) {
      if (!f.absent.empty() && !seen.contains(f.key)) RETURN_IF_ERROR(Set(f, f.absent, FileWhere(path_, f.key)));
    }
    return absl::OkStatus();
  }

  // One `key=value` as a command line gives it (--set).
  absl::Status ApplyOverride(const std::string& assignment) {
    const size_t eq = assignment.find('=');
    const std::string key = eq == std::string::npos ? assignment : assignment.substr(0, eq);
    const Field* f = FindField(key);
    if (eq == std::string::npos || f == nullptr) {
      return absl::InvalidArgumentError(
          eq == std::string::npos ? absl::StrCat("--set ", ShowValue(assignment), ": expected key=value")
                                  : absl::StrCat("--set ", ShowValue(key), ": unknown key"));
    }
    return Set(*f, assignment.substr(eq + 1), absl::StrCat("--set ", key));
  }

  void Reset(const Config& cfg) { cfg_ = cfg; }

  absl::Status CheckCrossFields() const {
    for (const CrossCheck& check : CrossChecks()) {
      if (auto what = check.what(cfg_)) {
        // A URL with a password is never quoted back.
        if (check.key == "analytics.url") return absl::InvalidArgumentError(absl::StrCat(WhereSet(check.key), ": ", *what));
        return ValueError(WhereSet(check.key), *what, FindField(check.key)->get(cfg_));
      }
    }
    return absl::OkStatus();
  }

  const Config& config() const { return cfg_; }

 private:
  absl::Status ApplyMap(const YAML::Node& map, const std::string& prefix) {
    std::set<std::string> seen;
    for (const auto& entry : map) {
      // A dotted key ("risk.max_drawdown_pct: 5") would dodge the duplicate
      // check against the nested spelling, so keys are single words.
      if (!entry.first.IsScalar() || absl::StrContains(entry.first.Scalar(), '.')) {
        const std::string where = prefix.empty() ? "top level" : prefix;
        return absl::InvalidArgumentError(
            absl::StrCat(path_, ": ", where, ": keys must be plain words"));
      }
      const std::string key = prefix.empty() ? entry.first.Scalar()
                                             : absl::StrCat(prefix, ".", entry.first.Scalar());
      // yaml-cpp keeps both copies of a repeated key; which one "wins" would be a guess.
      if (!seen.insert(key).second) {
        return absl::InvalidArgumentError(absl::StrCat(path_, ": duplicate key ", key));
      }
      RETURN_IF_ERROR(ApplyEntry(key, entry.second));
    }
    return absl::OkStatus();
  }

  absl::Status ApplyEntry(const std::string& key, const YAML::Node& value) {
    if (const Field* f = FindField(key)) return ApplyYamlValue(*f, value, key);
    if (const seed::Key* k = seed::Find(key)) return ApplySeedKey(*k, key, value);
    if (!IsSection(key) && !seed::IsSection(key)) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": unknown key ", ShowValue(key)));
    }
    if (value.IsNull()) return absl::OkStatus();  // every key commented out: defaults
    if (!value.IsMap()) {
      return ValueError(FileWhere(path_, key), "must be a map of keys", Describe(value));
    }
    return ApplyMap(value, key);
  }

  // `spelled` is the key as the file has it: f.key, or the seed's old name.
  absl::Status ApplyYamlValue(const Field& f, const YAML::Node& value, const std::string& spelled) {
    const std::string where = FileWhere(path_, spelled);
    std::string text;
    if (f.map_items && value.IsSequence()) {
      ASSIGN_OR_RETURN(text, NewsSourcesText(value, where));
    } else if (f.list && value.IsSequence()) {
      std::vector<std::string> items;
      for (const YAML::Node& item : value) {
        if (!item.IsScalar() || absl::StrContains(item.Scalar(), ',')) {
          return ValueError(where, "must be a list of single values", Describe(item));
        }
        items.push_back(item.Scalar());
      }
      text = absl::StrJoin(items, ",");
    } else if (value.IsMap() || value.IsSequence()) {
      return ValueError(where, f.list ? "must be a list" : "must be a single value", Describe(value));
    } else {
      // `key:` with nothing after it is YAML null; read it as empty text so a
      // string key may be blank and every other kind says what it expected.
      text = value.IsNull() ? "" : value.Scalar();
    }
    // One setting under both its names (the seed's own file sets
    // strategy.scoring.threshold and strategy.entry.score_threshold): the
    // same value is fine, two values would leave which was meant a guess.
    auto [it, first] = spelled_.emplace(f.key, std::make_pair(spelled, text));
    if (!first) {
      if (SameValue(it->second.second, text)) return absl::OkStatus();
      return absl::InvalidArgumentError(absl::StrCat(path_, ": ", it->second.first, " and ", spelled,
                                                     " both set ", f.key, ", to different values; keep ", f.key));
    }
    return Set(f, text, where);
  }

  // The seed's list of {name, url, enabled} maps as "name=url" items.
  absl::StatusOr<std::string> NewsSourcesText(const YAML::Node& list, const std::string& where) {
    std::vector<std::string> items;
    for (const YAML::Node& item : list) {
      if (!item.IsMap()) return ValueError(where, "must be a list of {name, url, enabled} maps", Describe(item));
      std::string name, url;
      bool enabled = true;
      for (const auto& entry : item) {
        const std::string k = entry.first.Scalar();
        if (!entry.second.IsScalar()) return ValueError(where, absl::StrCat(k, " must be a single value"), Describe(entry.second));
        const std::string v = entry.second.Scalar();
        if (k == "name") {
          name = v;
        } else if (k == "url") {
          url = v;
        } else if (k == "enabled") {
          if (v != "true" && v != "false") return ValueError(where, "enabled must be true or false", v);
          enabled = v == "true";
        } else {
          return ValueError(where, "a source has only name, url and enabled", k);
        }
      }
      if (url.empty()) return ValueError(where, "each source needs a url", name);
      if (absl::StrContains(url, ',') || absl::StrContains(name, ',') || absl::StrContains(name, '=')) {
        return ValueError(where, "a source's name and url cannot hold a comma (nor the name an =)", name);
      }
      if (enabled) items.push_back(absl::StrCat(name, "=", url));
    }
    return absl::StrJoin(items, ",");
  }

  absl::Status ApplySeedKey(const seed::Key& k, const std::string& key, const YAML::Node& value) {
    const std::string where = FileWhere(path_, key);
    const std::string text = value.IsScalar() ? value.Scalar() : "";
    switch (k.kind) {
      case seed::Kind::kRenamed:
        RETURN_IF_ERROR(ApplyYamlValue(*FindField(k.to), value, key));
        Notice(key, absl::StrCat("is the seed's name for ", k.to, ": read as ", k.to,
                                 " (rename it; `bot config migrate` does)"));
        return absl::OkStatus();
      case seed::Kind::kFixed:
        if (!value.IsScalar() || !SameValue(text, k.value)) {
          return ValueError(where, absl::StrCat("Apollo always runs with ", k.value, ": ", k.why), Describe(value));
        }
        Notice(key, absl::StrCat(k.value, " is what Apollo always does (", k.why, "); the key can go"));
        return absl::OkStatus();
      case seed::Kind::kNoEffect:
        Notice(key, absl::StrCat("has no effect in Apollo: ", k.why));
        return absl::OkStatus();
      case seed::Kind::kSecret:
        // Never echoed: a webhook URL carries its token.
        if (!value.IsNull() && !(value.IsSequence() && value.size() == 0) && !(value.IsScalar() && text.empty())) {
          return absl::InvalidArgumentError(absl::StrCat(where, ": is a secret in Apollo: put it in ", k.to,
                                                         " in .env or the environment (comma-separated), "
                                                         "not in the config file"));
        }
        Notice(key, absl::StrCat("is a secret in Apollo (", k.to, " in .env); the empty value here is ignored"));
        return absl::OkStatus();
      case seed::Kind::kEnvironment:
        if (text != "testnet" && text != "production") {
          return ValueError(where, "must be testnet or production", Describe(value));
        }
        environment_ = text;
        return absl::OkStatus();
      case seed::Kind::kNotImplemented:
        not_implemented_.push_back(absl::CEscape(key));
        return absl::OkStatus();
    }
    return absl::OkStatus();
  }

  // "0" and "0.0" are the same setting.
  static bool SameValue(const std::string& a, const std::string& b) {
    absl::StatusOr<Fixed> x = Fixed::Parse(a), y = Fixed::Parse(b);
    return x.ok() && y.ok() ? *x == *y : a == b;
  }

  void Notice(const std::string& key, const std::string& what) {
    notices_.push_back(absl::StrCat(path_, ": ", absl::CEscape(key), " ", what));
  }

  absl::Status ApplyEnvField(const Field& f, const Env& env) {
    const std::string generic = EnvName(f.key);
    std::optional<std::string> value = env(generic);
    std::string name = generic;
    if (!f.seed_env.empty()) {
      std::optional<std::string> seed = env(f.seed_env);
      // Two spellings of one setting that disagree (RUN_MODE=live,
      // RUN__MODE=paper) is refused: guessing which was meant could go live.
      if (seed && value && *seed != *value) {
        return ValueError(EnvWhere(f.seed_env), absl::StrCat("disagrees with ", generic),
                          absl::StrCat(*seed, " vs ", *value));
      }
      if (seed) {
        value = seed;
        name = f.seed_env;
      }
    }
    if (!value) return absl::OkStatus();
    return Set(f, *value, EnvWhere(name));
  }

  absl::Status Set(const Field& f, const std::string& text, const std::string& where) {
    if (auto what = f.set(cfg_, text)) return ValueError(where, *what, text);
    where_[f.key] = where;
    return absl::OkStatus();
  }

  // Where a key's value came from; a default is reported against the file.
  std::string WhereSet(const std::string& key) const {
    auto it = where_.find(key);
    return it != where_.end() ? it->second : FileWhere(path_, key);
  }

  static std::string Describe(const YAML::Node& node) {
    if (node.IsMap()) return "a map";
    if (node.IsSequence()) return "a list";
    return node.IsNull() ? "" : node.Scalar();
  }

  std::string path_;
  Config cfg_;
  std::map<std::string, std::string> where_;
  std::map<std::string, std::pair<std::string, std::string>> spelled_;  // key -> (spelled as, value)
  std::vector<std::string> not_implemented_;    // the seed's keys Apollo lacks, as met
  std::string environment_;                     // the seed's top-level key, if given
  std::vector<std::string> notices_;
};

// ---------------------------------------------------------------- .env

bool IsEnvName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char ch) { return absl::ascii_isalnum(ch) || ch == '_'; });
}

// The value part of KEY=VALUE: quotes stripped, or for an unquoted value a
// trailing " # comment" dropped (what python-dotenv does).
std::string DotEnvValue(absl::string_view raw) {
  raw = absl::StripAsciiWhitespace(raw);
  if (raw.size() >= 2 && (raw.front() == '"' || raw.front() == '\'') && raw.back() == raw.front()) {
    return std::string(raw.substr(1, raw.size() - 2));
  }
  const size_t comment = raw.find(" #");
  if (comment != absl::string_view::npos) {
    raw = absl::StripTrailingAsciiWhitespace(raw.substr(0, comment));
  }
  return std::string(raw);
}

// Parses .env text. Errors give the line number only: a malformed line may
// well be a pasted secret.
absl::StatusOr<std::map<std::string, std::string>> ParseDotEnv(const std::string& path,
                                                               const std::string& text) {
  std::map<std::string, std::string> vars;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    absl::string_view rest = absl::StripAsciiWhitespace(line);
    if (rest.empty() || rest.front() == '#') continue;
    absl::ConsumePrefix(&rest, "export ");
    const size_t eq = rest.find('=');
    const absl::string_view name = eq == absl::string_view::npos
                                       ? absl::string_view()
                                       : absl::StripAsciiWhitespace(rest.substr(0, eq));
    if (!IsEnvName(name)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": not a KEY=VALUE line"));
    }
    vars[std::string(name)] = DotEnvValue(rest.substr(eq + 1));
  }
  return vars;
}

}  // namespace

// ---------------------------------------------------------------- internal.h

// Reads a whole small file. NotFound if it does not exist.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return absl::NotFoundError(absl::StrCat(what, " ", path, " not found"));
  }
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("cannot read ", what, " ", path));
  if (size > kMaxFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", path, " is larger than 1 MiB"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read ", what, " ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<YAML::Node> ParseYaml(const std::string& path, const std::string& text) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's mark is 0-based; editors count from 1.
    return absl::InvalidArgumentError(absl::StrCat(path, ": line ", e.mark.line + 1, ", column ",
                                                   e.mark.column + 1, ": invalid YAML: ",
                                                   absl::StrReplaceAll(e.msg, {{"\n", " "}})));
  }
}

bool IsApolloListKey(const std::string& key) {
  const Field* f = FindField(key);
  return f != nullptr && f->list;
}

bool IsApolloKey(const std::string& key) { return FindField(key) != nullptr; }

bool IsApolloSection(const std::string& prefix) { return IsSection(prefix); }

// ---------------------------------------------------------------- public API

Env ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

absl::StatusOr<int64_t> ParseTimeframe(const std::string& text) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("not a timeframe: ", ShowValue(text), " (want a number and s, m, h or d, e.g. 15m)"));
  };
  // 1 to 6 digits without a leading zero (so each timeframe has one spelling),
  // then the unit. Six digits cannot overflow once multiplied by a day.
  const absl::string_view digits =
      absl::string_view(text).substr(0, text.empty() ? 0 : text.size() - 1);
  if (digits.empty() || digits.size() > 6 || digits[0] == '0' ||
      !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) {
    return bad();
  }
  int64_t count = 0;
  if (!absl::SimpleAtoi(digits, &count)) return bad();
  switch (text.back()) {
    case 's': return count;
    case 'm': return count * 60;
    case 'h': return count * 3600;
    case 'd': return count * 86400;
    default: return bad();
  }
}

std::vector<std::string> Config::Symbols() const {
  std::vector<std::string> out = universe.symbols.empty() ? std::vector<std::string>{run.symbol} : universe.symbols;
  std::sort(out.begin(), out.end());
  return out;
}

std::string Config::Canonical() const {
  std::string out;
  for (const Field& f : Fields()) absl::StrAppend(&out, f.key, " = ", f.get(*this), "\n");
  return out;
}

std::string Config::Hash() const {
  const std::string text = Canonical();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    // Only fails if OpenSSL cannot allocate; a config hash we cannot compute
    // must not silently become an empty string that matches another one.
    std::abort();
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), length));
}

absl::StatusOr<Config> ParseCanonical(const std::string& text, const std::string& where) {
  Loader loader(where);
  RETURN_IF_ERROR(loader.ApplyCanonical(text));
  RETURN_IF_ERROR(loader.CheckCrossFields());
  return loader.config();
}

absl::StatusOr<Config> ApplyOverrides(const Config& cfg, const std::vector<std::string>& assignments) {
  Loader loader("--set");
  loader.Reset(cfg);
  for (const std::string& a : assignments) RETURN_IF_ERROR(loader.ApplyOverride(a));
  RETURN_IF_ERROR(loader.CheckCrossFields());
  return loader.config();
}

absl::StatusOr<Config> LoadConfig(const std::string& path, const Env& env) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, "config file"));
  return ParseConfigYaml(text, path, env);
}

absl::StatusOr<Config> ParseConfigYaml(const std::string& text, const std::string& path, const Env& env) {
  ASSIGN_OR_RETURN(YAML::Node root, ParseYaml(path, text));
  Loader loader(path);
  try {
    RETURN_IF_ERROR(loader.ApplyYaml(root));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.msg));
  }
  RETURN_IF_ERROR(loader.ApplyEnv(env));
  RETURN_IF_ERROR(loader.FinishSeedKeys());
  RETURN_IF_ERROR(loader.CheckCrossFields());
  Config cfg = loader.config();
  cfg.notices = loader.TakeNotices();
  return cfg;
}

namespace {

// name -> value from the environment, else .env ("" when in neither; an
// empty environment value counts as unset). A missing .env is fine.
absl::StatusOr<std::function<std::string(const std::string&)>> SecretLookup(const std::string& dotenv_path,
                                                                             const Env& env) {
  std::map<std::string, std::string> dotenv;
  absl::StatusOr<std::string> text = ReadSmallFile(dotenv_path, ".env file");
  if (text.ok()) {
    ASSIGN_OR_RETURN(dotenv, ParseDotEnv(dotenv_path, *text));
  } else if (!absl::IsNotFound(text.status())) {
    return text.status();
  }
  return [env, dotenv = std::move(dotenv)](const std::string& name) -> std::string {
    if (std::optional<std::string> v = env(name); v && !v->empty()) return *v;
    auto it = dotenv.find(name);
    return it != dotenv.end() ? it->second : "";
  };
}

}  // namespace

absl::StatusOr<std::string> ReadSecret(const std::string& name, const std::string& dotenv_path, const Env& env) {
  ASSIGN_OR_RETURN(auto lookup, SecretLookup(dotenv_path, env));
  return lookup(name);
}

absl::StatusOr<Config> LoadForCommandLine(const CommandLine& flags, const Env& env) {
  const std::string path = !flags.config_path.empty() ? flags.config_path : env("CONFIG_PATH").value_or("config.yaml");
  ASSIGN_OR_RETURN(Config cfg, LoadConfig(path, env));
  if (!flags.mode.empty() && !ParseEnumName(flags.mode, &cfg.run.mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--mode: expected paper, testnet or live (got ", ShowValue(flags.mode), ")"));
  }
  if (!flags.venue.empty()) {
    if (flags.venue != "binance" && flags.venue != "kalshi") {
      return absl::InvalidArgumentError(absl::StrCat("--venue: binance or kalshi (got ", ShowValue(flags.venue), ")"));
    }
    cfg.run.venue = flags.venue;
  }
  if (!flags.ledger.empty()) {
    cfg.storage.ledger_path = flags.ledger;
  } else if (cfg.run.venue == "kalshi" && cfg.storage.ledger_path == StorageConfig{}.ledger_path) {
    cfg.storage.ledger_path =
        cfg.run.mode == Mode::kPaper ? "data/ledger-kalshi" : absl::StrCat("data/ledger-kalshi-", EnumName(cfg.run.mode));
  }
  if (!flags.logs.empty()) {
    cfg.storage.logs_path = flags.logs;
  } else if (cfg.run.venue == "kalshi" && cfg.storage.logs_path == StorageConfig{}.logs_path) {
    // Its bot.log, pid file, projections and analytics beside Binance's, not in them.
    cfg.storage.logs_path = "logs/kalshi";
  }
  if (!flags.data.empty()) cfg.storage.data_file = flags.data;
  return cfg;
}

std::string RunName(const Config& cfg) {
  const std::string mode(EnumName(cfg.run.mode));
  return cfg.run.venue == "kalshi" ? absl::StrCat("kalshi.", mode) : mode;
}

absl::StatusOr<Secrets> LoadSecrets(Mode mode, const std::string& dotenv_path, const Env& env) {
  if (mode == Mode::kPaper) return Secrets{};
  const bool live = mode == Mode::kLive;
  const std::string key_name = live ? "BINANCE_API_KEY" : "BINANCE_TESTNET_FUTURE_API_KEY";
  const std::string secret_name = live ? "BINANCE_SECRET_KEY" : "BINANCE_TESTNET_FUTURE_SECRET_KEY";
  ASSIGN_OR_RETURN(auto lookup, SecretLookup(dotenv_path, env));
  Secrets secrets{lookup(key_name), lookup(secret_name)};
  std::vector<std::string> missing;
  if (secrets.api_key.empty()) missing.push_back(key_name);
  if (secrets.secret_key.empty()) missing.push_back(secret_name);
  if (!missing.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(EnumName(mode), " mode needs ", absl::StrJoin(missing, " and "),
                     ": set it in the environment or in ", dotenv_path));
  }
  return secrets;
}

}  // namespace apollo::config
