// fake-kalshi: the fake Kalshi trade-api v2 on loopback, for drills and
// end-to-end runs (tools/fake_kalshi/server.h says what it serves).
//
//   fake-kalshi --key-id KEY --public-key kalshi.pub.pem
//     --markets data/kalshi/kalshi_weather_markets_2024-08-16_2025-05-08.csv --event-date 2025-04-01
//     [--book KXHIGHNY-25APR01-B77.5=book.json]... [--volume 1000] [--tomorrow] [--port 0] [--ws-port 0]
//
// The markets of that event day are listed as active, with the strikes and
// times recorded; each --book gives one market the bids of a Kalshi
// orderbook answer (GET /markets/{ticker}/orderbook, the fixed-point shape).
// --tomorrow lists them as tomorrow's (UTC-5) instead: their times moved
// by whole days and their tickers renamed (KXHIGHNY-25APR01-B77.5 becomes
// e.g. KXHIGHNY-26DEC08-B77.5), so a drill's bot trades them now.
// The WebSocket (tools/fake_kalshi/stream.h) listens on --ws-port.
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "engine/domain/instrument.h"
#include "engine/venue/kalshi/payloads.h"
#include "engine/venue/kalshi/recorded.h"
#include "tools/fake_kalshi/server.h"
#include "tools/fake_kalshi/stream.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int Fail(const std::string& message) {
  std::fprintf(stderr, "fake-kalshi: %s\n", message.c_str());
  return 2;
}

const absl::TimeZone kUtcMinus5 = absl::FixedTimeZone(-5 * 3600);

// An event ticker's date part (SERIES-YYMMMDD) for `day`: 26DEC08.
std::string TickerDay(absl::CivilDay day) {
  return absl::AsciiStrToUpper(absl::FormatTime("%y%b%d", absl::FromCivil(day, kUtcMinus5), kUtcMinus5));
}

std::string ReadFile(const std::string& path, bool* ok) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  *ok = static_cast<bool>(in);
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  using namespace apollo;
  CLI::App app{"A fake Kalshi trade-api v2 on 127.0.0.1: signed requests checked, recorded markets, matching, fills, "
               "settlement, faults"};
  std::string key_id, public_key, markets_file, event_date;
  std::vector<std::string> books;
  int port = 0, ws_port = 0;
  int64_t volume = 1000;
  bool tomorrow = false;
  app.add_option("--key-id", key_id, "The API key id signed requests must carry")->required();
  app.add_option("--public-key", public_key, "PEM file of the key's public half (signatures are checked with it)")->required();
  app.add_option("--markets", markets_file, "Recorded markets CSV (data/kalshi)")->required();
  app.add_option("--event-date", event_date, "List the markets of this event day (YYYY-MM-DD) as active")->required();
  app.add_option("--book", books, "TICKER=FILE: that market's bids, a Kalshi orderbook answer (repeatable)");
  app.add_option("--port", port, "Port on 127.0.0.1 (0: any free one, printed)");
  app.add_option("--ws-port", ws_port, "WebSocket port on 127.0.0.1 (0: any free one, printed)");
  app.add_flag("--tomorrow", tomorrow, "List the event day's markets as tomorrow's (UTC-5): times moved, tickers renamed");
  app.add_option("--volume", volume, "Contracts each market has traded when listed (its volume_fp; prints add to it)")
      ->check(CLI::Range(0, 1'000'000'000));
  CLI11_PARSE(app, argc, argv);

  bool ok = false;
  const std::string pem = ReadFile(public_key, &ok);
  if (!ok || pem.empty()) return Fail(absl::StrCat("cannot read --public-key ", public_key));
  absl::StatusOr<std::vector<venue::kalshi::RecordedMarket>> recorded = venue::kalshi::ReadRecordedMarkets(markets_file);
  if (!recorded.ok()) return Fail(std::string(recorded.status().message()));
  fake_kalshi::Exchange exchange([] { return absl::ToUnixMillis(absl::Now()); });
  absl::CivilDay recorded_day;
  if (!absl::ParseCivilTime(event_date, &recorded_day)) return Fail(absl::StrCat("--event-date ", event_date, ": not YYYY-MM-DD"));
  const absl::CivilDay listed_day = tomorrow ? absl::ToCivilDay(absl::Now(), kUtcMinus5) + 1 : recorded_day;
  const int64_t shift_ms = (listed_day - recorded_day) * int64_t{86'400'000};
  int listed = 0;
  std::vector<std::string> tickers;
  for (const auto& m : *recorded) {
    if (m.event_date != event_date) continue;
    const ContractTerms& t = m.instrument.terms;
    fake_kalshi::MarketSpec spec;
    spec.ticker = m.ticker.value;
    spec.event_ticker = t.event;
    if (tomorrow) {
      const size_t dash = t.event.rfind('-');
      if (dash == std::string::npos || m.ticker.value.rfind(t.event, 0) != 0) {
        return Fail(absl::StrCat("market ", m.ticker.value, ": its event ticker ", t.event, " has no date to rename"));
      }
      spec.event_ticker = absl::StrCat(t.event.substr(0, dash + 1), TickerDay(listed_day));
      spec.ticker = absl::StrCat(spec.event_ticker, m.ticker.value.substr(t.event.size()));
    }
    spec.strike_type = std::string(EnumName(t.strike_type));
    if (UsesFloor(t.strike_type)) spec.floor_strike = t.floor_strike;
    if (UsesCap(t.strike_type)) spec.cap_strike = t.cap_strike;
    spec.open_time_ms = m.open_time_ms + shift_ms;
    spec.close_time_ms = t.close_time_ms + shift_ms;
    spec.expected_expiration_ms = t.expected_expiration_ms + shift_ms;
    spec.volume = Fixed::FromInt(volume);
    for (const std::string& b : books) {
      const std::vector<std::string> parts = absl::StrSplit(b, absl::MaxSplits('=', 1));
      if (parts.size() != 2) return Fail(absl::StrCat("--book ", b, ": expected TICKER=FILE"));
      if (parts[0] != m.ticker.value && parts[0] != spec.ticker) continue;
      const std::string body = ReadFile(parts[1], &ok);
      absl::StatusOr<venue::kalshi::Orderbook> book = venue::kalshi::ParseOrderbook(body);
      if (!ok || !book.ok()) return Fail(absl::StrCat("--book ", b, ": ", ok ? book.status().message() : "cannot be read"));
      for (const auto& l : book->yes_bids) spec.yes_bids.push_back({l.price, l.count});
      for (const auto& l : book->no_bids) spec.no_bids.push_back({l.price, l.count});
    }
    tickers.push_back(spec.ticker);
    exchange.AddMarket(std::move(spec));
    ++listed;
  }
  if (listed == 0) return Fail(absl::StrCat("no market of event day ", event_date, " in ", markets_file));
  fake_kalshi::FakeKalshiStream stream(&exchange, {.key_id = key_id, .public_pem = pem, .port = ws_port});
  if (absl::Status st = stream.Start(); !st.ok()) return Fail(std::string(st.message()));
  fake_kalshi::FakeKalshiServer server(&exchange, {.key_id = key_id, .public_pem = pem, .port = port, .stream = &stream});
  if (absl::Status st = server.Start(); !st.ok()) return Fail(std::string(st.message()));
  std::printf("fake-kalshi: %d markets of %s at %s, stream %s\n", listed, absl::FormatCivilTime(listed_day).c_str(),
              server.BaseUrl().c_str(), stream.Url().c_str());
  for (const std::string& ticker : tickers) std::printf("  %s\n", ticker.c_str());
  std::fflush(stdout);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.Stop();
  stream.Stop();
  return 0;
}
