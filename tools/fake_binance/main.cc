// fake-binance: a fake Binance USDⓈ-M futures REST server on 127.0.0.1 for
// drills and end-to-end runs, priced from recorded klines. See server.h for
// the routes, faults.h for the faults (POST /admin/fault), and
// fake_exchange.h for the matching rules.
//
//   fake-binance --port 0 --api-key test-key --secret test-secret
//       --data data/market/btcusdt_perp_5m_2023-01-02_2023-02-09.csv
//       [--ws-port 0]
//   fake-binance ... --data eth.csv --symbol ETHUSDT --tick-size 0.01
//       --data sol.csv --symbol SOLUSDT --tick-size 0.001
//   → "fake-binance listening on 127.0.0.1:PORT" on stdout (and with --ws-port
//   "fake-binance websocket on 127.0.0.1:PORT"); runs until SIGINT/SIGTERM.
//
// Each --data is one market, paired in order with a --symbol (one file alone
// defaults to BTCUSDT); the markets share one timeline of bars (markets.h).
// --tick-size, --step-size and --min-notional take one value for every
// market or one per market, in the same order.
#include <signal.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/domain/fixed.h"
#include "tools/fake_binance/bars.h"
#include "tools/fake_binance/fake_exchange.h"
#include "tools/fake_binance/server.h"

namespace {

namespace fb = apollo::fake_binance;
using apollo::Fixed;

int Fail(absl::string_view what, int code = 1) {
  std::fprintf(stderr, "fake-binance: %.*s\n", static_cast<int>(what.size()), what.data());
  return code;
}

struct Flags {
  int port = 0;
  int ws_port = -1;  // -1: no WebSocket streams
  std::string kline_interval = "5m";
  std::vector<std::string> data, symbols;  // paired in order
  std::vector<std::string> tick_sizes, step_sizes, min_notionals;  // one, or one per market
  std::string api_key, secret;
  std::string balance = "10000";
  std::string taker_fee = "0.0004", maker_fee = "0.0002";
  int64_t leverage = 20, weight_limit = 2400, start_bar = 0;
  std::string margin_type = "CROSSED";
  bool hedge_mode = false;
  bool verbose = false;
};

// A positive decimal flag into *out; false (with a message) otherwise.
bool DecimalFlag(absl::string_view name, const std::string& text, bool allow_zero, Fixed* out, std::string* error) {
  absl::StatusOr<Fixed> v = Fixed::Parse(text);
  if (!v.ok() || v->raw() < 0 || (!allow_zero && v->is_zero())) {
    *error = absl::StrCat("--", name, ": expected a ", allow_zero ? "non-negative" : "positive",
                          " decimal, got '", text, "'");
    return false;
  }
  *out = *v;
  return true;
}

// Market i's value of a per-market flag given once for all, once per market
// or not at all (`fallback`).
const std::string& PerMarket(const std::vector<std::string>& values, size_t i, const std::string& fallback) {
  if (values.empty()) return fallback;
  return values.size() == 1 ? values[0] : values[i];
}

// "ETHUSDT" -> "ETH" when it ends with the quote asset; the symbol otherwise.
std::string BaseAsset(const std::string& symbol, absl::string_view quote_asset) {
  if (symbol.size() > quote_asset.size() && absl::EndsWith(symbol, quote_asset)) {
    return symbol.substr(0, symbol.size() - quote_asset.size());
  }
  return symbol;
}

// The markets of the flags: instruments and bars. Exit code 2 for flags that
// do not fit together, 1 for a file that cannot be read.
absl::StatusOr<std::vector<fb::Market>> Markets(const Flags& f, const fb::ExchangeConfig& config, int* exit_code) {
  *exit_code = 2;
  const size_t n = f.data.size();
  if (f.symbols.size() != n && !(n == 1 && f.symbols.empty())) {
    return absl::InvalidArgumentError(
        absl::StrCat(n, " --data file(s) need as many --symbol values, paired in order; got ", f.symbols.size()));
  }
  const std::vector<std::pair<const char*, const std::vector<std::string>*>> per_market = {
      {"tick-size", &f.tick_sizes}, {"step-size", &f.step_sizes}, {"min-notional", &f.min_notionals}};
  for (const auto& [name, values] : per_market) {
    if (values->size() > 1 && values->size() != n) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, ": expected one value or one per --data (", n, "), got ", values->size()));
    }
  }
  const fb::Instrument defaults;
  const std::string tick = defaults.tick_size.ToString(), step = defaults.step_size.ToString(),
                    min_notional = defaults.min_notional.ToString();
  std::vector<fb::Market> markets;
  std::string error;
  for (size_t i = 0; i < n; ++i) {
    fb::Market m;
    m.instrument.symbol = f.symbols.empty() ? defaults.symbol : f.symbols[i];
    m.instrument.base_asset = BaseAsset(m.instrument.symbol, config.quote_asset);
    if (!DecimalFlag("tick-size", PerMarket(f.tick_sizes, i, tick), false, &m.instrument.tick_size, &error) ||
        !DecimalFlag("step-size", PerMarket(f.step_sizes, i, step), false, &m.instrument.step_size, &error) ||
        !DecimalFlag("min-notional", PerMarket(f.min_notionals, i, min_notional), true, &m.instrument.min_notional,
                     &error)) {
      return absl::InvalidArgumentError(error);
    }
    markets.push_back(std::move(m));
  }
  for (size_t i = 0; i < n; ++i) {
    absl::StatusOr<std::vector<fb::Bar>> bars = fb::ReadBarsCsv(f.data[i]);
    if (!bars.ok()) {
      *exit_code = 1;
      return bars.status();
    }
    markets[i].bars = *std::move(bars);
  }
  if (absl::Status s = fb::ValidateMarkets(markets); !s.ok()) return s;
  const size_t steps = fb::SharedTimeline(markets).size();
  if (f.start_bar < 0 || static_cast<size_t>(f.start_bar) >= steps) {
    return absl::InvalidArgumentError(absl::StrCat("--start-bar: expected 0..", steps - 1));
  }
  if (absl::Status s = fb::StartMarketsAt(&markets, static_cast<size_t>(f.start_bar)); !s.ok()) return s;
  return markets;
}

int Run(const Flags& f) {
  fb::ExchangeConfig config;
  std::string error;
  if (!DecimalFlag("balance", f.balance, false, &config.start_balance, &error) ||
      !DecimalFlag("taker-fee", f.taker_fee, true, &config.taker_fee_rate, &error) ||
      !DecimalFlag("maker-fee", f.maker_fee, true, &config.maker_fee_rate, &error)) {
    return Fail(error, 2);
  }
  if (f.leverage < 1 || f.leverage > 125) return Fail("--leverage: expected 1..125", 2);
  if (f.weight_limit < 1) return Fail("--weight-limit: expected a positive integer", 2);
  config.leverage = f.leverage;
  config.margin_type = f.margin_type;
  config.dual_side_position = f.hedge_mode;
  int exit_code = 0;
  absl::StatusOr<std::vector<fb::Market>> markets = Markets(f, config, &exit_code);
  if (!markets.ok()) return Fail(markets.status().message(), exit_code);

  // SIGINT/SIGTERM are taken by sigwait below; block them before any thread
  // starts so that the server's threads inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  fb::FakeExchange exchange(config, *std::move(markets), fb::SystemClockMs);
  fb::ServerOptions options;
  options.port = f.port;
  options.api_key = f.api_key;
  options.api_secret = f.secret;
  options.limits.request_weight_1m = f.weight_limit;
  options.kline_interval = f.kline_interval;
  if (f.verbose) {
    options.access_log = [](absl::string_view line) {
      std::fprintf(stderr, "fake-binance: %.*s\n", static_cast<int>(line.size()), line.data());
    };
  }
  fb::FakeBinanceServer server(&exchange, options);
  if (absl::Status s = server.Start(); !s.ok()) return Fail(s.message());
  std::printf("fake-binance listening on 127.0.0.1:%d\n", server.port());
  if (f.ws_port >= 0) {
    if (absl::Status s = server.StartWs(f.ws_port); !s.ok()) return Fail(s.message());
    std::printf("fake-binance websocket on 127.0.0.1:%d\n", server.ws_port());
  }
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server.Stop();
  std::fprintf(stderr, "fake-binance: stopped (signal %d)\n", signal_number);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"A fake Binance USDⓈ-M futures REST server on 127.0.0.1, priced from recorded klines, "
               "with fault injection (POST /admin/fault) for tests and operator drills."};
  app.failure_message([](const CLI::App*, const CLI::Error& e) {  // one line, like every other error here
    return absl::StrCat("fake-binance: ", e.what(), " (see --help)\n");
  });
  Flags f;
  app.add_option("--port", f.port, "TCP port on 127.0.0.1 (0 = any free port; default 0)")->check(CLI::Range(0, 65535));
  app.add_option("--ws-port", f.ws_port,
                 "Also serve the WebSocket streams (/ws/<listenKey>, /stream) on this port (0 = any free port)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--kline-interval", f.kline_interval, "Interval of the bars for the kline stream (default 5m)");
  app.add_option("--data", f.data,
                 "Kline CSV (open_time_ms,open,high,low,close,volume) of one market; repeat for several "
                 "markets on one timeline (from the latest first bar), paired in order with --symbol")
      ->required()
      ->allow_extra_args(false);
  app.add_option("--api-key", f.api_key, "The API key clients must send in X-MBX-APIKEY")
      ->required()
      ->envname("FAKE_BINANCE_API_KEY");
  app.add_option("--secret", f.secret, "The API secret signatures are checked with")
      ->required()
      ->envname("FAKE_BINANCE_SECRET");
  app.add_option("--balance", f.balance, "Starting USDT wallet balance (default 10000)");
  app.add_option("--symbol", f.symbols,
                 "The symbol of each --data, in order (one --data alone: default BTCUSDT)")
      ->allow_extra_args(false);
  app.add_option("--tick-size", f.tick_sizes, "PRICE_FILTER tickSize: one for all or one per --data (default 0.1)")
      ->allow_extra_args(false);
  app.add_option("--step-size", f.step_sizes, "LOT_SIZE stepSize: one for all or one per --data (default 0.001)")
      ->allow_extra_args(false);
  app.add_option("--min-notional", f.min_notionals,
                 "MIN_NOTIONAL notional: one for all or one per --data (default 5)")
      ->allow_extra_args(false);
  app.add_option("--taker-fee", f.taker_fee, "Taker commission rate (default 0.0004)");
  app.add_option("--maker-fee", f.maker_fee, "Maker commission rate (default 0.0002)");
  app.add_option("--leverage", f.leverage,
                 "Every symbol's leverage at start, for margin checks (default 20; POST /fapi/v1/leverage "
                 "changes one)");
  app.add_option("--margin-type", f.margin_type, "Every symbol's margin type at start (default CROSSED)")
      ->check(CLI::IsMember({"ISOLATED", "CROSSED"}));
  app.add_flag("--hedge-mode", f.hedge_mode, "Start the account in hedge (dual-side) position mode");
  app.add_option("--weight-limit", f.weight_limit, "REQUEST_WEIGHT per minute before 429 (default 2400)");
  app.add_option("--start-bar", f.start_bar, "Start at this step of the markets' shared timeline (default 0)");
  app.add_flag("--verbose", f.verbose, "Log every request to stderr");
  app.footer("Admin (loopback, no signature): POST /admin/fault kind=429|418|5xx|delay|timestamp|margin|"
             "no_such_order|duplicate_client_id|error|partial_fill|close_position; DELETE /admin/fault; "
             "POST /admin/bar [count=N]; GET /admin/state; POST /admin/clock skew_ms=N; POST /admin/ws "
             "kind=drop|silent [on=false]|listen_key_expired|kline back=K [symbol=S]; POST /admin/market symbol=S "
             "[funding_rate=R] [spread=F] [volume_scale=X].");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return Run(f);
}
