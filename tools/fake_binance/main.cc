// fake-binance: a fake Binance USDⓈ-M futures REST server on 127.0.0.1 for
// drills and end-to-end runs, priced from recorded klines. See server.h for
// the routes, faults.h for the faults (POST /admin/fault), and
// fake_exchange.h for the matching rules.
//
//   fake-binance --port 0 --api-key test-key --secret test-secret
//       --data data/market/btcusdt_perp_5m_2023-01-02_2023-02-09.csv
//       [--ws-port 0]
//   → "fake-binance listening on 127.0.0.1:PORT" on stdout (and with --ws-port
//   "fake-binance websocket on 127.0.0.1:PORT"); runs until SIGINT/SIGTERM.
#include <signal.h>

#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
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
  std::string data, api_key, secret, symbol = "BTCUSDT";
  std::string balance = "10000", tick_size = "0.10", step_size = "0.001", min_notional = "5";
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

int Run(const Flags& f) {
  fb::ExchangeConfig config;
  config.symbol = f.symbol;
  std::string error;
  if (!DecimalFlag("balance", f.balance, false, &config.start_balance, &error) ||
      !DecimalFlag("tick-size", f.tick_size, false, &config.tick_size, &error) ||
      !DecimalFlag("step-size", f.step_size, false, &config.step_size, &error) ||
      !DecimalFlag("min-notional", f.min_notional, true, &config.min_notional, &error) ||
      !DecimalFlag("taker-fee", f.taker_fee, true, &config.taker_fee_rate, &error) ||
      !DecimalFlag("maker-fee", f.maker_fee, true, &config.maker_fee_rate, &error)) {
    return Fail(error, 2);
  }
  if (f.leverage < 1 || f.leverage > 125) return Fail("--leverage: expected 1..125", 2);
  if (f.weight_limit < 1) return Fail("--weight-limit: expected a positive integer", 2);
  config.leverage = f.leverage;
  config.margin_type = f.margin_type;
  config.dual_side_position = f.hedge_mode;

  absl::StatusOr<std::vector<fb::Bar>> bars = fb::ReadBarsCsv(f.data);
  if (!bars.ok()) return Fail(bars.status().message());
  if (f.start_bar < 0 || static_cast<size_t>(f.start_bar) >= bars->size()) {
    return Fail(absl::StrCat("--start-bar: expected 0..", bars->size() - 1), 2);
  }
  bars->erase(bars->begin(), bars->begin() + f.start_bar);

  // SIGINT/SIGTERM are taken by sigwait below; block them before any thread
  // starts so that the server's threads inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  fb::FakeExchange exchange(config, *std::move(bars), fb::SystemClockMs);
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
  app.add_option("--data", f.data, "Kline CSV (open_time_ms,open,high,low,close,volume)")->required();
  app.add_option("--api-key", f.api_key, "The API key clients must send in X-MBX-APIKEY")
      ->required()
      ->envname("FAKE_BINANCE_API_KEY");
  app.add_option("--secret", f.secret, "The API secret signatures are checked with")
      ->required()
      ->envname("FAKE_BINANCE_SECRET");
  app.add_option("--balance", f.balance, "Starting USDT wallet balance (default 10000)");
  app.add_option("--symbol", f.symbol, "The one tradable symbol (default BTCUSDT)");
  app.add_option("--tick-size", f.tick_size, "PRICE_FILTER tickSize (default 0.10)");
  app.add_option("--step-size", f.step_size, "LOT_SIZE stepSize (default 0.001)");
  app.add_option("--min-notional", f.min_notional, "MIN_NOTIONAL notional (default 5)");
  app.add_option("--taker-fee", f.taker_fee, "Taker commission rate (default 0.0004)");
  app.add_option("--maker-fee", f.maker_fee, "Maker commission rate (default 0.0002)");
  app.add_option("--leverage", f.leverage, "Leverage at start, for margin checks (default 20; POST /fapi/v1/leverage changes it)");
  app.add_option("--margin-type", f.margin_type, "Margin type at start (default CROSSED)")
      ->check(CLI::IsMember({"ISOLATED", "CROSSED"}));
  app.add_flag("--hedge-mode", f.hedge_mode, "Start the account in hedge (dual-side) position mode");
  app.add_option("--weight-limit", f.weight_limit, "REQUEST_WEIGHT per minute before 429 (default 2400)");
  app.add_option("--start-bar", f.start_bar, "Start at this bar of the file (default 0)");
  app.add_flag("--verbose", f.verbose, "Log every request to stderr");
  app.footer("Admin (loopback, no signature): POST /admin/fault kind=429|418|5xx|delay|timestamp|margin|"
             "no_such_order|duplicate_client_id|error|partial_fill|close_position; DELETE /admin/fault; "
             "POST /admin/bar [count=N]; GET /admin/state; POST /admin/clock skew_ms=N; POST /admin/ws kind=drop|silent [on=false]|listen_key_expired.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return Run(f);
}
