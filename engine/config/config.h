// The bot's configuration: config.yaml (documented at the repo root) with the
// seed's environment overrides on top. Every key is declared once, with its
// default, unit and check; an unknown key or a bad value is an
// InvalidArgument whose message is one line naming the key.
//
//   ASSIGN_OR_RETURN(Config cfg, LoadConfig("config.yaml", ProcessEnv()));
//   cfg.risk.max_drawdown_pct  // Fixed, percent
//
// Precedence: environment > YAML > defaults. The seed's names RUN_MODE,
// RUN_ENABLE_TRADING, RUN_LIVE_CONFIRM are honoured, and any declared key can
// be set as SECTION__KEY (e.g. RISK__MAX_DRAWDOWN_PCT=8). Secrets never live
// here: they come from .env / the environment through LoadSecrets.
#ifndef APOLLO_ENGINE_CONFIG_CONFIG_H_
#define APOLLO_ENGINE_CONFIG_CONFIG_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/domain/fixed.h"
#include "engine/domain/types.h"

namespace apollo::config {

// Reads environment variables; tests pass a map instead of the process env.
using Env = std::function<std::optional<std::string>(const std::string& name)>;
Env ProcessEnv();

struct RunConfig {
  Mode mode = Mode::kPaper;          // run.mode: paper|testnet|live
  bool enable_trading = false;       // run.enable_trading
  std::string live_confirm;          // run.live_confirm (YES_I_UNDERSTAND)
  Fixed initial_equity = Fixed::FromInt(10000);  // run.initial_equity, quote asset (USDT)
  std::string symbol = "BTCUSDT";    // run.symbol
  std::string interval = "5m";       // run.interval: base bar interval of the data/stream
  std::string venue = "binance";     // run.venue: binance|kalshi
};

struct IndicatorsConfig {
  int ema_fast = 8, ema_slow = 21, atr_period = 14, rsi_period = 14, adx_period = 14;
  int volume_sma_period = 20;
  int chop_period = 14;  // Choppiness Index (regime); 0 = the regime reads ADX alone
};

struct EntryConfig {
  std::string style = "breakout";    // breakout|pullback
  Fixed score_threshold = *Fixed::Parse("0.55");
  Fixed max_breakout_extension_atr = *Fixed::Parse("1.5");
  int breakout_lookback = 20;        // entry-timeframe bars
  Fixed volume_breakout_threshold = *Fixed::Parse("1.5");
  bool volume_confirmation_enabled = true;
};

struct ExitConfig {
  Fixed atr_stop_multiplier = Fixed::FromInt(2);
  Fixed take_profit_atr_multiplier = Fixed::FromInt(2);  // the seed's tp_atr
  // The take-profit closes this share of the position; the rest runs with
  // the stop (the seed's 25 %). 100: the whole position.
  Fixed tp_partial_pct = Fixed::FromInt(25);
  // Trailing stop (the seed's): once the close is trailing_start_atr ATR in
  // profit, the stop follows trailing_distance_atr ATR behind the close and
  // never widens. 0: off.
  Fixed trailing_start_atr = *Fixed::Parse("1.5");
  Fixed trailing_distance_atr = *Fixed::Parse("1.5");
  bool exit_on_trend_invalidation = true;
  Fixed time_stop_days = Fixed::FromInt(7);
  Fixed time_stop_min_profit_atr = *Fixed::Parse("0.5");
};

struct ScoringConfig {
  Fixed trend = *Fixed::Parse("0.35"), volatility = *Fixed::Parse("0.15"),
        entry_quality = *Fixed::Parse("0.25"), funding = *Fixed::Parse("0.1"),
        news = *Fixed::Parse("0.15");
};

// The regime filter (the seed's `regime.*`), read on the trend timeframe's
// bars: TRENDING needs ADX >= adx_trending_threshold and CHOP <=
// chop_trending_threshold; CHOPPY (ADX <= adx_ranging_threshold or CHOP >=
// chop_ranging_threshold) blocks entries; anything between is TRANSITIONAL,
// where entries are sized by transitional_size_multiplier.
struct RegimeConfig {
  bool enabled = true;  // false: every bar reads as trending
  Fixed adx_trending_threshold = Fixed::FromInt(25);
  Fixed adx_ranging_threshold = Fixed::FromInt(20);
  Fixed chop_trending_threshold = Fixed::FromInt(50);
  Fixed chop_ranging_threshold = *Fixed::Parse("61.8");
  Fixed transitional_size_multiplier = *Fixed::Parse("0.5");
};

struct StrategyConfig {
  std::string name = "trend_following_v1";
  std::string trend_timeframe = "4h";  // resampled from run.interval bars
  std::string entry_timeframe = "15m";
  IndicatorsConfig indicators;
  EntryConfig entry;
  ExitConfig exit;
  ScoringConfig scoring;
};

struct RiskConfig {
  Fixed risk_per_trade_pct = *Fixed::Parse("0.75");
  Fixed max_leverage = Fixed::FromInt(5);
  Fixed default_leverage = Fixed::FromInt(2);
  Fixed max_daily_loss_pct = Fixed::FromInt(3);
  Fixed max_drawdown_pct = Fixed::FromInt(10);
  int max_consecutive_losses = 3;
  int max_positions = 1;
  Fixed max_position_notional_usd = Fixed::FromInt(50000);
  Fixed max_stop_atr = Fixed::FromInt(3);    // STOP_TOO_WIDE beyond this many ATR
  // Of the notional cap (equity x default_leverage), this share stays
  // unused: the margin the venue asks at that leverage plus the entry's fee
  // must fit the equity, or Binance refuses the order (-2019).
  Fixed margin_buffer_pct = Fixed::FromInt(2);
  // MARGIN_RATIO_HIGH: no entry whose margin, with what the open positions
  // and entry orders hold (risk::MarginInUse), would be above this share of
  // the equity; 100 is what the venue allows. 0 = off (ledgers from before it).
  Fixed max_margin_ratio_pct = Fixed::FromInt(100);
  Fixed min_equity_usd = Fixed::FromInt(100);  // EQUITY_BELOW_MINIMUM
  // Cooldowns (the seed's), each 0 = off:
  Fixed cooldown_after_loss_hours = Fixed::FromInt(4);        // COOLDOWN_AFTER_LOSS after any losing close
  int max_loss_streak_24h = 5;                                // COOLDOWN_AFTER_LOSS_STREAK at this many losses
  Fixed loss_streak_window_hours = Fixed::FromInt(24);        // ... within this window
  Fixed cooldown_after_max_daily_hours = Fixed::FromInt(24);  // COOLDOWN_ACTIVE after the daily loss limit
  // FUNDING_TOO_HIGH: no entry in a symbol whose latest funding rate is
  // beyond plus or minus this percent (0 = off; no rate known: no check).
  Fixed max_funding_rate_pct = *Fixed::Parse("0.1");
};

// The symbols traded: one engine, one ledger, one step per bar close across
// them all (in symbol order); with size > 0, the seed's ranked selection of
// which of them new entries may open in (engine/universe).
struct UniverseConfig {
  std::vector<std::string> symbols;  // universe.symbols; empty: run.symbol alone
  int size = 0;                      // kept by 24 h quote volume; 0: no ranking, every symbol
  // Testnet and live: the candidates are every USDT perpetual the venue
  // trades (not universe.symbols, which must be empty); the symbols chosen
  // are subscribed to as they enter (their history journaled first) and
  // dropped when they leave with nothing open. run.symbol is always traded.
  bool venue_wide = false;
  Fixed min_quote_volume_usd = Fixed::FromInt(50'000'000);
  Fixed max_min_notional_usd = Fixed::FromInt(6);
  Fixed max_funding_rate_pct = *Fixed::Parse("0.1");
  Fixed refresh_interval_hours = Fixed::FromInt(24);  // fractions allowed (0.5 = 30 minutes)
  int retry_interval_minutes = 5;    // after a failed refresh (testnet, live)
};

// One RSS or Atom feed polled for news (news.sources).
struct NewsSource {
  std::string name;  // journaled with each item; [A-Za-z0-9_.-]
  std::string url;   // http or https
  bool operator==(const NewsSource&) const = default;
};

// The analytics projection (engine/analytics): the ledger's orders, fills,
// trades, positions, funding and equity as SQL tables for the operators'
// queries. url "" is SQLite at <storage.logs_path>/apollo.sqlite;
// "sqlite:PATH" another file (PostgreSQL is refused until it is built).
struct AnalyticsConfig {
  bool enabled = true;
  std::string url;
};

// News as an entry filter (testnet and live): the feeds are polled every
// poll_interval_minutes, each item classified by the seed's rules, and a
// HIGH (MEDIUM) item blocks entries in the symbols it names for
// high_risk_block_hours (medium_risk_block_hours).
struct NewsConfig {
  bool enabled = false;
  std::string classifier_provider = "rules";  // the seed's rules; "llm" is not implemented
  int poll_interval_minutes = 15;
  int max_age_hours = 24;      // older items are not journaled
  int source_timeout_sec = 10;
  std::vector<NewsSource> sources;
  Fixed high_risk_block_hours = Fixed::FromInt(24);
  Fixed medium_risk_block_hours = Fixed::FromInt(6);
};

// One outbound provider's quota in the rate gate (engine/net/rate_gate.h):
// requests (or request weight) per window, and the bucket's size (0: a
// window's worth at once).
struct ProviderQuotaConfig {
  int requests_per_window = 60;
  int window_sec = 60;
  int burst = 0;
};

// The rate gate every outbound call goes through, one quota per provider.
struct RateLimitsConfig {
  // Binance's REQUEST_WEIGHT limit per minute (exchangeInfo says 2400);
  // its X-MBX-USED-WEIGHT-1M header lowers what is left.
  ProviderQuotaConfig binance{2400, 60, 0};
  ProviderQuotaConfig news{60, 60, 20};     // feed reads (news.sources)
  ProviderQuotaConfig webhooks{30, 60, 5};  // alert deliveries (ALERT_WEBHOOKS)
  // Kalshi's read and write token buckets (Basic tier: 200 and 100 tokens
  // a second; a request costs 10), and the NWS API (at most 1 a second).
  ProviderQuotaConfig kalshi_read{200, 1, 0};
  ProviderQuotaConfig kalshi_write{100, 1, 0};
  ProviderQuotaConfig nws{1, 1, 1};
};

// The weather strategy (weather_high_v1, issue 15 §3) and its risk policy
// (Milkbot's, FACTS §10). Which cities it trades; engine/weather/cities.h
// holds each one's series, settlement station, NWS grid and cluster.
struct WeatherConfig {
  std::vector<std::string> cities = {"AUS", "CHI", "DEN", "LAX", "MIA", "NYC", "PHIL"};
  Fixed min_edge_cents = Fixed::FromInt(3);    // edge after the fee, per contract
  Fixed max_spread_cents = Fixed::FromInt(4);  // YES ask - YES bid
  Fixed max_uncertainty = *Fixed::Parse("0.30");  // min(sigma / 15, 1) above this: hold
  Fixed max_open_risk_pct = Fixed::FromInt(10);   // of equity, what every open contract can lose
  Fixed per_trade_risk_pct = Fixed::FromInt(2);   // of equity, what one entry can lose
  int max_contracts_per_trade = 95;
  Fixed city_exposure_pct = Fixed::FromInt(3);     // of equity, per city
  Fixed cluster_exposure_pct = Fixed::FromInt(5);  // of equity, per cluster (NE, SE, Midwest, Mountain, West)
  int forecast_stale_min = 15;     // a city's forecast not read again for this long: no trading there
  int decision_interval_min = 60;  // one decision step this often
  // Milkbot's reject breaker: after max_rejects orders refused by the venue
  // within reject_window_min, no entry (REJECT_RATE) until the oldest of
  // them leaves the window. 0 = off.
  int max_rejects = 5;
  int reject_window_min = 15;
  // Milkbot's liquidity gate: a market whose volume plus open interest
  // (contracts) is below this is held (low_liquidity). 0 = off.
  Fixed min_liquidity = Fixed::FromInt(500);
  // Milkbot's repricer (REPRICE_INTERVAL_SEC, MAX_CHASE_CENTS): an entry
  // resting this long is moved to the step's price (cancelled, re-entered
  // at the next step), never more than max_chase_cents past its intent's
  // first price; one whose spread widens or liquidity drops past the gates,
  // or whose price lost its edge, is cancelled. 0 = off: a resting entry
  // stays as placed.
  int reprice_interval_sec = 120;
  Fixed max_chase_cents = Fixed::FromInt(3);
  // NWS (testnet and live): the User-Agent NWS asks every client for, and
  // the error of its forecast high by lead, a stated prior (no NWS forecast
  // was recorded with its outcome, so none can be fitted here):
  // nws_sigma_f for the climate day itself and the next, plus
  // nws_sigma_per_day_f for each day further out.
  std::string nws_base_url = "https://api.weather.gov";  // a drill's loopback NWS
  std::string nws_user_agent = "apollo weather_high_v1";
  Fixed nws_sigma_f = *Fixed::Parse("3.5");
  Fixed nws_sigma_per_day_f = *Fixed::Parse("0.5");
};

struct ExecutionConfig {
  OrderType entry_order_type = OrderType::kMarket;  // execution.entry_order_type: market|limit
  Fixed limit_order_buffer_pct = *Fixed::Parse("0.05");
  // The seed's entry lifecycle: an unfilled limit entry is cancelled
  // (ENTRY_EXPIRED, then EntrySkipped) after one entry-timeframe bar
  // (entry_timeout_mode "timeframe") or entry_fallback_timeout_sec
  // ("fixed"), never later than entry_max_duration_sec. Off (ledgers from
  // before it): cancelled at entry_max_duration_sec, nothing journaled but
  // the cancel.
  bool entry_lifecycle_enabled = true;
  std::string entry_timeout_mode = "timeframe";  // timeframe|fixed
  int entry_fallback_timeout_sec = 900;
  int entry_max_duration_sec = 3600;
  // The seed's spread check (SPREAD_TOO_WIDE): no entry while the symbol's
  // best ask is further above its best bid than this, in percent of the
  // mid price. The book is the venue's book ticker, journaled as MarketTick
  // before each testnet/live step; with no tick of the last minute (paper,
  // backtests) there is no check. 0 = off (and ledgers from before it).
  Fixed max_spread_pct = *Fixed::Parse("0.3");
  // Instead, the limit by the entry bar's volatility (ATR in percent of
  // the close): below atr_calm_threshold spread_threshold_calm_pct, above
  // atr_volatile_threshold spread_threshold_volatile_pct, else
  // spread_threshold_normal_pct.
  bool use_dynamic_spread_threshold = false;
  Fixed spread_threshold_calm_pct = *Fixed::Parse("0.05");
  Fixed spread_threshold_normal_pct = *Fixed::Parse("0.1");
  Fixed spread_threshold_volatile_pct = *Fixed::Parse("0.2");
  Fixed atr_calm_threshold = Fixed::FromInt(2);
  Fixed atr_volatile_threshold = Fixed::FromInt(4);
  // An order journaled but never received by the venue (found after a
  // restart) is sent only if it is younger than this; older, it expires.
  int order_timeout_sec = 30;
  // Set on every traded symbol at each testnet/live start (with leverage
  // risk.default_leverage, and the account in one-way position mode).
  std::string margin_type = "ISOLATED";  // execution.margin_type: ISOLATED|CROSSED
  // Venue REST calls failing with 429, 5xx or a transport error are retried
  // this many times, waiting from the initial delay, doubling, up to the max
  // (the seed's keys; Apollo's delays are shorter than the seed's 1 s / 10 s).
  int retry_attempts = 3;
  int retry_initial_delay_ms = 250;
  int retry_max_delay_ms = 5000;
};

// Binance USDⓈ-M endpoints (testnet and live) and the user-data stream.
struct BinanceConfig {
  std::string base_url = "https://fapi.binance.com";             // live REST
  std::string ws_url = "wss://fstream.binance.com";              // live streams
  std::string testnet_base_url = "https://testnet.binancefuture.com";
  std::string testnet_ws_url = "wss://fstream.binancefuture.com";
  int recv_window = 5000;                 // ms
  int time_sync_interval_sec = 60;        // re-read the server time offset this often; 0: only at start and on -1021
  int connect_timeout_ms = 3000;          // REST: TCP + TLS connect
  int request_timeout_ms = 10000;         // REST: whole request; an order then is in doubt
  int user_stream_keepalive_sec = 1800;   // listenKey keep-alive period
  int stream_silence_sec = 120;           // no message this long: reconnect
  std::string quote_asset = "USDT";
};

struct ReconciliationConfig {
  bool enabled = true;
  int interval_min = 30;
  int failure_threshold = 3;  // consecutive failures that need manual review
  Fixed balance_tolerance_usd = Fixed::FromInt(5);  // funding and rounding drift
};

struct PaperSimConfig {
  Fixed slippage_base_bps = Fixed::FromInt(2);
  Fixed maker_fee_pct = *Fixed::Parse("0.02");
  Fixed taker_fee_pct = *Fixed::Parse("0.04");
  Fixed price_tick = *Fixed::Parse("0.1");
  Fixed qty_step = *Fixed::Parse("0.001");
  Fixed min_notional = Fixed::FromInt(5);
  // A recorded GET /fapi/v1/exchangeInfo: each symbol found there trades
  // on its own tick, step and minimum notional; the three keys above are
  // for symbols it lacks. Empty: the keys above for every symbol.
  std::string exchange_info_file;
};

struct StorageConfig {
  std::string ledger_path = "data/ledger";
  std::string logs_path = "logs";
  std::string data_file = "data/market/btcusdt_perp_5m_2023-01-02_2023-02-09.csv";
  int snapshot_every_events = 10000;
  int snapshots_kept = 3;
};

struct MonitoringConfig {
  std::string log_level = "INFO";  // DEBUG|INFO|WARNING|ERROR
  bool log_cycles = true;          // one strategy_cycle_complete line per bar
  bool metrics_enabled = true;
  std::string metrics_host = "127.0.0.1";
  int metrics_port = 9090;         // 0: any free port (printed at start)
  // Alert webhooks are secrets (their URLs hold tokens): they come from
  // ALERT_WEBHOOKS in .env / the environment, comma-separated.
  bool alerts_enabled = true;
  bool log_http = false;           // log each HTTP request (operator API; venue REST later)
  bool log_http_responses = false; // and its response body
  int log_http_max_body_chars = 2000;
};

// The operator API (GET /health /state /positions /orders /events /config,
// POST /pause /resume /ack). Mutations need OPERATOR_API_TOKEN.
struct ApiConfig {
  bool enabled = true;
  std::string host = "127.0.0.1";  // a non-loopback host needs a token
  int port = 8000;                 // 0: any free port (printed at start)
  int unhealthy_after_sec = 60;    // /health is 503 when the loop is quiet this long
  int dashboard_refresh_sec = 10;  // GET /pnl_dashboard.html reloads its data this often
};

// The governance policy an operator changes while the bot runs
// (engine/config/policy.h): read at start, on change and on SIGHUP.
struct GovernanceConfig {
  std::string policies_path = "ops/policies.yaml";  // "" = none; relative to the working directory
};

struct WatchdogConfig {
  bool enabled = true;
  int interval_sec = 300;
  bool auto_recover = true;
};

struct Config {
  RunConfig run;
  StrategyConfig strategy;
  RegimeConfig regime;
  RiskConfig risk;
  UniverseConfig universe;
  NewsConfig news;
  AnalyticsConfig analytics;
  ExecutionConfig execution;
  PaperSimConfig paper_sim;
  BinanceConfig binance;
  ReconciliationConfig reconciliation;
  StorageConfig storage;
  MonitoringConfig monitoring;
  ApiConfig api;
  WatchdogConfig watchdog;
  GovernanceConfig governance;
  RateLimitsConfig rate_limits;
  WeatherConfig weather;

  // What LoadConfig noted besides errors, one line each: a key of the
  // seed's read under Apollo's name, one that has no effect here. Not part
  // of Canonical(); the bot prints and logs them at start.
  std::vector<std::string> notices;

  // The symbols traded, sorted (the order of a step): universe.symbols,
  // else run.symbol.
  std::vector<std::string> Symbols() const;

  // "key = value" per declared key, sorted: what ConfigHash hashes and what
  // `bot --print-config` shows.
  std::string Canonical() const;
  // Hex SHA-256 of Canonical().
  std::string Hash() const;
};

// Loads `path` (yaml-cpp), applies env overrides, validates. A missing file is
// NotFound; anything else wrong is InvalidArgument with one line naming the
// key, e.g. "config.yaml: risk.max_drawdown_pct: must be > 0 and <= 100 (got -3)".
absl::StatusOr<Config> LoadConfig(const std::string& path, const Env& env);

// The same for YAML text; `path` names it in errors.
absl::StatusOr<Config> ParseConfigYaml(const std::string& text, const std::string& path, const Env& env);

// The seed's config file rewritten in Apollo's spelling (`bot config
// migrate`): each key Apollo reads kept, each renamed key under its new name
// with a comment saying what it was, and every other key (not implemented
// yet, no effect here, a secret, unknown) left out, listed in comments at
// the end with why. The text is checked to load (environment aside) before
// it is returned. InvalidArgument naming the key if the file cannot be
// migrated (a bad value, one setting under both its names).
struct Migration {
  std::string yaml;
  int kept = 0, renamed = 0, left_out = 0;
};
absl::StatusOr<Migration> MigrateConfig(const std::string& path);

// A config journaled in a ConfigLoaded event (Canonical() text) read back:
// each line through its key's own check, then the cross-field rules. Keys
// the text lacks keep their defaults. InvalidArgument naming `where`, the
// line or the key.
absl::StatusOr<Config> ParseCanonical(const std::string& text, const std::string& where);

// `key=value` assignments (the --set flags of replay and backtest) applied
// on top of `cfg`, each checked as config.yaml's would be, then the
// cross-field rules. InvalidArgument naming the key.
absl::StatusOr<Config> ApplyOverrides(const Config& cfg, const std::vector<std::string>& assignments);

// What a command line says about the config: --config (else $CONFIG_PATH,
// else config.yaml) and the flags that override single keys; empty means
// not given.
struct CommandLine {
  std::string config_path, mode, ledger, logs, data, venue;
};
// LoadConfig of the named file, then the flags: --mode (run.mode),
// --ledger, --logs, --data (storage.*), --venue (run.venue). A bad --mode
// or --venue is InvalidArgument with one line naming the flag. A Kalshi
// run never takes the Binance ledger or logs: unless --ledger or
// storage.ledger_path names one, its own, data/ledger-kalshi in paper mode
// and data/ledger-kalshi-<mode> on Kalshi's demo (testnet) and live; and
// logs/kalshi unless --logs or storage.logs_path names a directory.
absl::StatusOr<Config> LoadForCommandLine(const CommandLine& flags, const Env& env);

// The name of a run's lock file under the logs directory: its mode
// ("paper", "testnet", "live"), "kalshi.<mode>" for a Kalshi run; each can
// run beside the others.
std::string RunName(const Config& cfg);

// Parses a duration such as "5m", "15m", "1h", "4h", "1d" into seconds.
absl::StatusOr<int64_t> ParseTimeframe(const std::string& text);

// API keys for a mode, from the environment, else from the .env file at
// `dotenv_path` (KEY=VALUE lines, '#' comments, optional quotes). testnet:
// BINANCE_TESTNET_FUTURE_API_KEY / _SECRET_KEY; live: BINANCE_API_KEY /
// BINANCE_SECRET_KEY. Missing keys are FailedPrecondition naming the
// variable, never its value. Paper needs none and returns empty.
struct Secrets {
  std::string api_key, secret_key;
};
absl::StatusOr<Secrets> LoadSecrets(Mode mode, const std::string& dotenv_path, const Env& env);

// One secret (OPERATOR_API_TOKEN, ALERT_WEBHOOKS, ...) from the environment,
// else from .env; "" when set in neither. Errors never quote a value.
absl::StatusOr<std::string> ReadSecret(const std::string& name, const std::string& dotenv_path, const Env& env);

}  // namespace apollo::config

#endif  // APOLLO_ENGINE_CONFIG_CONFIG_H_
