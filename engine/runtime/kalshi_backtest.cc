// The Kalshi backtest; see kalshi_backtest.h.
#include "engine/runtime/kalshi_backtest.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "engine/domain/instrument.h"
#include "engine/domain/status_macros.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/engine.h"
#include "engine/runtime/log.h"
#include "engine/runtime/scratch.h"
#include "engine/venue/kalshi/recorded.h"
#include "engine/venue/kalshi/tape_venue.h"
#include "engine/weather/cities.h"
#include "engine/weather/history.h"
#include "engine/weather/model.h"
#include "engine/weather/standin.h"
#include "ledger/ledger.h"

namespace apollo::runtime {
namespace {

using venue::kalshi::RecordedMarket;
using venue::kalshi::RecordedTrade;

constexpr int kMaxLead = 3;            // leads fitted; longer ones use the last
constexpr int kClimatologyWindow = 7;  // days either side, for a station without normals

// The high a settled event's results imply: the bucket's middle, or a
// tail's bound.
double ImpliedHigh(const venue::kalshi::RecordedSettlement& s) {
  if (s.high_min_f && s.high_max_f) return (*s.high_min_f + *s.high_max_f) / 2.0;
  return s.high_min_f ? *s.high_min_f : *s.high_max_f;
}

// The quote the tape shows for one market: the last price a taker sold YES
// at (the bid then) and the last one a taker bought at (the ask), and the
// contracts traded so far (its volume; the tape holds no open interest).
struct TapeQuote {
  Fixed bid, ask, volume;
  int64_t bid_ms = INT64_MIN, ask_ms = INT64_MIN;
  void See(const RecordedTrade& t) {
    (t.taker_bought_yes ? ask : bid) = t.yes_price;
    (t.taker_bought_yes ? ask_ms : bid_ms) = t.time_ms;
    volume += t.count;
  }
};

}  // namespace

absl::StatusOr<KalshiBacktestResult> RunKalshiBacktest(const KalshiBacktestOptions& o) {
  const config::Config& cfg = o.cfg;
  if (cfg.run.venue != "kalshi") return absl::InvalidArgumentError("a Kalshi backtest needs run.venue kalshi");
  // What is traded: the configured cities' markets of the days the tapes cover.
  ASSIGN_OR_RETURN(std::vector<RecordedMarket> all_markets, venue::kalshi::ReadRecordedMarkets(o.markets_file));
  ASSIGN_OR_RETURN(std::vector<venue::kalshi::RecordedSettlement> settlements,
                   venue::kalshi::ReadRecordedSettlements(o.settlements_file));
  std::vector<RecordedTrade> tape;
  for (const std::string& file : o.trade_files) {
    ASSIGN_OR_RETURN(std::vector<RecordedTrade> t, venue::kalshi::ReadRecordedTrades(file));
    tape.insert(tape.end(), t.begin(), t.end());
  }
  std::stable_sort(tape.begin(), tape.end(), [](const RecordedTrade& a, const RecordedTrade& b) { return a.time_ms < b.time_ms; });
  std::set<std::string> traded_tickers;
  for (const RecordedTrade& t : tape) traded_tickers.insert(t.ticker.value);
  std::set<std::string> days;
  std::map<std::string, int64_t> event_settles_ms;  // event -> its markets' expected expiration
  for (const RecordedMarket& m : all_markets) {
    int64_t& at = event_settles_ms[m.instrument.terms.event];
    at = std::max(at, m.instrument.terms.expected_expiration_ms);
    if (traded_tickers.contains(m.ticker.value)) days.insert(m.event_date);
  }
  std::vector<const RecordedMarket*> markets;
  std::set<std::string> cities;
  for (const RecordedMarket& m : all_markets) {
    const weather::City* city = weather::CityBySeries(m.instrument.terms.series);
    if (city == nullptr || !days.contains(m.event_date)) continue;
    if (std::find(cfg.weather.cities.begin(), cfg.weather.cities.end(), city->code) == cfg.weather.cities.end()) continue;
    markets.push_back(&m);
    cities.insert(city->code);
  }
  if (markets.empty()) return absl::FailedPreconditionError("no recorded market of weather.cities on the days the tapes cover");

  // The stand-in per city: a climatology and the error fits by lead on the
  // city's own history; the highs the settled events imply, each known from
  // its event's settlement.
  KalshiBacktestResult r;
  std::map<std::string, std::unique_ptr<weather::Standin>> standins;
  for (const std::string& code : cities) {
    const weather::City& city = *weather::CityByCode(code);
    ASSIGN_OR_RETURN(std::vector<weather::DailyHigh> history, weather::ReadDailyHighs(o.history_file, city.station));
    weather::Normals normals;
    if (city.code == "NYC") {
      ASSIGN_OR_RETURN(normals, weather::ReadNormals(o.normals_file));
    } else {
      normals = weather::ClimatologyOf(history, kClimatologyWindow);
    }
    std::vector<weather::ErrorFit> fits;
    for (int lead = 1; lead <= kMaxLead && !normals.empty(); ++lead) {
      absl::StatusOr<weather::ErrorFit> fit = weather::FitPersistence(history, normals, lead);
      if (!fit.ok()) break;
      fits.push_back(*fit);
    }
    if (fits.empty()) {
      r.cities_without_forecast.push_back(code);
      continue;
    }
    auto standin = std::make_unique<weather::Standin>(std::move(normals), std::move(fits));
    for (const auto& s : settlements) {
      absl::CivilDay day;
      const weather::City* c = weather::CityBySeries(s.series);
      if (c == nullptr || c->code != code || !absl::ParseCivilTime(s.event_date, &day)) continue;
      auto settles = event_settles_ms.find(s.event);
      if (settles == event_settles_ms.end()) continue;
      standin->Learn(day, ImpliedHigh(s), settles->second);
    }
    standins[code] = std::move(standin);
    r.forecast_cities.push_back(code);
  }

  // The engine, over a new ledger (a temporary one unless asked for).
  ScratchDir temp;
  std::string ledger_dir = o.ledger_dir;
  if (ledger_dir.empty()) {
    ASSIGN_OR_RETURN(temp.path, MakeScratchDir());
    ledger_dir = temp.path + "/ledger";
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> ledger, ledger::Ledger::OpenWriter(ledger_dir));
  if (ledger->head().last_seq != 0 && !o.resume) {
    return absl::FailedPreconditionError(absl::StrCat("ledger ", ledger_dir, " is not empty: a backtest writes a new one"));
  }
  std::optional<Log> log;
  if (!o.log_path.empty()) {
    ASSIGN_OR_RETURN(log, Log::Open(o.log_path, Log::ParseLevel(cfg.monitoring.log_level)));
  } else {
    ASSIGN_OR_RETURN(log, Log::Open("/dev/null", LogLevel::kError));
  }
  DataClock clock;
  EngineDeps deps;
  deps.cfg = cfg;
  deps.build_version = o.build_version;
  deps.ledger = ledger.get();
  deps.clock = &clock;
  deps.log = &*log;
  deps.filters_source = "recorded";
  Engine engine(deps);
  venue::kalshi::TapeVenue venue;
  engine.set_venue(&venue);

  const int64_t step_ms = int64_t{cfg.weather.decision_interval_min} * 60'000;
  int64_t first_ms = INT64_MAX, last_ms = INT64_MIN;
  for (const RecordedMarket* m : markets) {
    first_ms = std::min(first_ms, m->open_time_ms);
    last_ms = std::max(last_ms, m->instrument.terms.expected_expiration_ms);
  }
  first_ms = first_ms / step_ms * step_ms + step_ms;
  last_ms = last_ms / step_ms * step_ms + step_ms;
  // A resumed run goes on after the ledger's last step: every step's
  // events are one batch, so the last event's time is a whole step's.
  RETURN_IF_ERROR(engine.RebuildState());
  if (!engine.state().last_bars.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("ledger ", ledger_dir, " holds a Binance run's bars: a Kalshi run needs a ledger of its own"));
  }
  const int64_t done_ms = engine.state().last_seq == 0 ? INT64_MIN : engine.state().last_ts_ns / 1'000'000;
  int64_t start_ms = first_ms;
  while (start_ms <= done_ms) start_ms += step_ms;
  r.resumed_after_steps = static_cast<uint64_t>((start_ms - first_ms) / step_ms);
  clock.Set(std::max(start_ms, done_ms) * 1'000'000);
  RETURN_IF_ERROR(engine.Start());
  r.initial_equity = cfg.run.initial_equity;

  // What the steps before this run left: the markets listed (those the
  // state holds) and settled (opened since, and gone), our resting orders
  // on the venue, the tape read so far and its quotes.
  std::map<Symbol, TapeQuote> quotes;
  std::set<Symbol> listed, settled;
  for (const RecordedMarket* m : markets) {
    if (engine.state().instruments.contains(m->ticker)) {
      listed.insert(m->ticker);
    } else if (m->open_time_ms < start_ms - step_ms && r.resumed_after_steps > 0) {
      settled.insert(m->ticker);
    }
  }
  venue.Restore(engine.state());
  size_t next_trade = 0;
  while (next_trade < tape.size() && tape[next_trade].time_ms <= start_ms - step_ms) {
    quotes[tape[next_trade].ticker].See(tape[next_trade]);
    ++next_trade;
  }
  const uint64_t total = static_cast<uint64_t>((last_ms - first_ms) / step_ms + 1);
  r.stop_reason = "END_OF_DATA";
  for (int64_t t = start_ms; t <= last_ms; t += step_ms) {
    if (o.stop_requested && o.stop_requested()) {
      r.stop_reason = "STOP_REQUESTED";
      break;
    }
    const int64_t prev = t - step_ms;
    // The tape since the last step: fills, and the quotes it shows.
    const size_t from = next_trade;
    while (next_trade < tape.size() && tape[next_trade].time_ms <= t) {
      quotes[tape[next_trade].ticker].See(tape[next_trade]);
      ++next_trade;
    }
    venue::Reports reports = venue.OnTrades(std::span<const RecordedTrade>(tape.data() + from, next_trade - from));
    std::vector<EventBody> inputs;
    std::set<std::pair<std::string, std::string>> forecast_days;  // (city, climate day)
    for (const RecordedMarket* m : markets) {
      const ContractTerms& terms = m->instrument.terms;
      if (terms.close_time_ms > prev && terms.close_time_ms <= t) {
        venue::Reports closed = venue.CloseMarket(m->ticker);
        reports.insert(reports.end(), closed.begin(), closed.end());
      }
      const bool open = m->open_time_ms <= t && terms.close_time_ms > t;
      if (open && !listed.contains(m->ticker) && !settled.contains(m->ticker)) {
        inputs.push_back(InstrumentDefined{m->ticker, "recorded", m->instrument});
        listed.insert(m->ticker);
        ++r.markets;
      }
      if (!open || !listed.contains(m->ticker)) continue;
      forecast_days.insert({weather::CityBySeries(terms.series)->code, terms.subject_day});
      auto q = quotes.find(m->ticker);
      if (q != quotes.end() && q->second.bid_ms > prev && q->second.ask_ms > prev && q->second.bid < q->second.ask) {
        inputs.push_back(MarketTick{m->ticker, q->second.bid, q->second.ask, t, q->second.volume, Fixed()});
      }
    }
    for (const auto& [code, day_text] : forecast_days) {
      auto s = standins.find(code);
      absl::CivilDay day;
      if (s == standins.end() || !absl::ParseCivilTime(day_text, &day)) continue;
      std::optional<weather::StandinForecast> f = s->second->At(day, t);
      if (!f) continue;
      const weather::City& city = *weather::CityByCode(code);
      inputs.push_back(ForecastObserved{code, city.station, day_text, weather::Hundredths(f->high_f),
                                        weather::Hundredths(f->sigma_f), t,
                                        "standin", f->detail});
    }
    for (const RecordedMarket* m : markets) {
      const int64_t at = m->instrument.terms.expected_expiration_ms;
      if (!m->result || at <= prev || at > t || !listed.contains(m->ticker)) continue;
      inputs.push_back(MarketSettled{m->ticker, *m->result, YesPayout(m->instrument, *m->result), at, "recorded"});
      listed.erase(m->ticker);
      settled.insert(m->ticker);
      ++r.settled;
    }
    clock.Set(t * 1'000'000);
    RETURN_IF_ERROR(engine.OnMarketStep(t, std::move(inputs), std::move(reports)).status());
    ++r.steps;
    if (o.on_step) o.on_step(r.resumed_after_steps + r.steps, total);
  }
  RETURN_IF_ERROR(engine.Stop(r.stop_reason));

  const State& s = engine.state();
  r.final_equity = s.balance;
  r.fees_paid = s.fees_paid;
  r.max_drawdown_pct = s.max_drawdown_pct;
  r.signals = s.counters.signals;
  r.fills = s.counters.fills;
  r.orders = s.counters.orders_placed;
  r.trades_closed = s.counters.trades_closed;
  r.wins = s.counters.wins;
  r.losses = s.counters.losses;
  r.events = s.last_seq;
  absl::StrAppend(&r.markdown, "# weather_high_v1 backtest on recorded Kalshi markets\n\n",
                  absl::StrFormat("- days: %s .. %s (%d event days), %d steps of %d min%s\n", *days.begin(),
                                  *days.rbegin(), days.size(), r.resumed_after_steps + r.steps,
                                  cfg.weather.decision_interval_min,
                                  r.resumed_after_steps > 0 ? absl::StrFormat(" (%d this run)", r.steps) : ""),
                  absl::StrFormat("- markets listed %d, settled %d (this run); signals %d, orders %d, fills %d\n",
                                  r.markets, r.settled, r.signals, r.orders, r.fills),
                  absl::StrFormat("- stopped: %s; trades closed %d (%d won, %d lost); equity %s -> %s; fees %s; max "
                                  "drawdown %s%%\n",
                                  r.stop_reason,
                                  r.trades_closed, r.wins, r.losses, r.initial_equity.ToString(),
                                  r.final_equity.ToString(), r.fees_paid.ToString(), r.max_drawdown_pct.ToString()),
                  "- forecast: a stand-in, not NWS (no NWS forecast was recorded for these days): the day's "
                  "climatology (Central Park's 1991-2020 normals for NYC, a 2020-2024 climatology elsewhere) plus the "
                  "persisted anomaly of the latest high settled by the time of the decision, with its error fitted by "
                  "lead on the city's 2020-2024 history. Never the day's own high.\n",
                  "- cities with a forecast: ", absl::StrJoin(r.forecast_cities, ", "), "\n");
  if (!r.cities_without_forecast.empty()) {
    absl::StrAppend(&r.markdown, "- cities without one (no history bundled; their markets are held, missing_data): ",
                    absl::StrJoin(r.cities_without_forecast, ", "), "\n");
  }
  if (!o.report_dir.empty()) RETURN_IF_ERROR(WriteWholeFile(std::filesystem::path(o.report_dir) / "report.md", r.markdown));
  return r;
}

}  // namespace apollo::runtime
