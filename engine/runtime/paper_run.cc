// The paper run loop: resume point from the ledger, pacing, signals, stop.
#include "engine/runtime/paper_run.h"

#include <algorithm>
#include <csignal>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "engine/domain/status_macros.h"
#include "engine/runtime/bar_file.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/engine.h"
#include "engine/runtime/projections.h"
#include "engine/runtime/signals.h"
#include "engine/runtime/surface.h"
#include "engine/venue/paper_venue.h"

namespace apollo::runtime {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;
// Events per unsynced append at --speed max (a few hundred bars' worth).
constexpr size_t kUnsyncedGroupEvents = 1024;

const char* SignalName(int sig) { return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGNAL"; }


// Waits until the bar's close is due at `speed` relative to the first bar of
// this run, handling operator commands, SIGHUP and heartbeats meanwhile.
absl::Status Pace(double speed, absl::Time run_start, int64_t first_close_ms, int64_t close_ms, Surface& surface,
                  Engine& engine, Log& log) {
  if (speed <= 0) return absl::OkStatus();
  const absl::Time due = run_start + absl::Milliseconds(static_cast<double>(close_ms - first_close_ms) / speed);
  for (absl::Time now = absl::Now(); now < due && StopSignal() == 0 && !engine.stop_requested(); now = absl::Now()) {
    SleepInterruptibly(std::min(due - now, absl::Seconds(1)));
    RETURN_IF_ERROR(surface.HandleCommands());
    ReopenLogIfAsked(log);
    surface.Publish(false);
  }
  return absl::OkStatus();
}

// One symbol's recorded bars and what trades them.
struct SymbolData {
  BarSeries series;
  std::vector<FundingPoint> funding;  // empty: none
  std::unique_ptr<strategy::Strategy> strategy;
  risk::Filters filters;
  std::string files;  // for messages and the summary
};

// Every symbol's bars merged by open time into steps, compactly (a run may
// hold millions of bars): `bars` lists each step's bars in symbol order,
// `steps` where each step's run of them starts.
struct Steps {
  struct Ref {
    const Symbol* symbol;
    const strategy::Bar* bar;
  };
  struct Step {
    int64_t open_time_ms;
    uint32_t first, count;  // into bars
  };
  std::vector<Ref> bars;
  std::vector<Step> steps;

  // The step's bars as the engine takes them.
  void Fill(const Step& step, std::vector<SymbolBar>* out) const {
    out->clear();
    for (uint32_t i = step.first; i < step.first + step.count; ++i) out->push_back({*bars[i].symbol, *bars[i].bar});
  }
};

Steps MergeSteps(const absl::btree_map<Symbol, SymbolData>& data) {
  Steps out;
  std::vector<size_t> next(data.size(), 0);
  for (;;) {
    int64_t open_ms = INT64_MAX;
    size_t k = 0;
    for (const auto& [symbol, d] : data) {
      if (next[k] < d.series.bars.size()) open_ms = std::min(open_ms, d.series.bars[next[k]].open_time_ms);
      ++k;
    }
    if (open_ms == INT64_MAX) return out;
    const auto first = static_cast<uint32_t>(out.bars.size());
    k = 0;
    for (const auto& [symbol, d] : data) {
      size_t& i = next[k++];
      if (i < d.series.bars.size() && d.series.bars[i].open_time_ms == open_ms) out.bars.push_back({&symbol, &d.series.bars[i++]});
    }
    out.steps.push_back({open_ms, first, static_cast<uint32_t>(out.bars.size()) - first});
  }
}

// A symbol traded on filters that are not its own would round every price
// wrongly: its first bars must sit on the tick it is given.
absl::Status CheckOnTick(const Symbol& symbol, const SymbolData& d, const std::string& source) {
  constexpr size_t kBarsChecked = 100;
  const Fixed tick = d.filters.price_tick;
  for (size_t i = 0; i < std::min(kBarsChecked, d.series.bars.size()); ++i) {
    const strategy::Bar& b = d.series.bars[i];
    for (Fixed price : {b.open, b.high, b.low, b.close}) {
      if (tick.raw() > 0 && price.raw() % tick.raw() == 0) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          symbol.value, ": ", d.files, ": the bar opening at ", IsoUtc(b.open_time_ms), " is priced ",
          price.ToString(), ", off the price tick ", tick.ToString(), " (", source,
          "); set paper_sim.exchange_info_file to a recorded exchangeInfo that lists ", symbol.value));
    }
  }
  return absl::OkStatus();
}

constexpr int64_t kDayMs = 86'400'000;

// Quote volume (close × volume, whole quote units) of `bars` closed in the
// 24 h up to close_ms.
int64_t QuoteVolume24h(const std::vector<strategy::Bar>& bars, int64_t close_ms, int64_t interval_ms) {
  auto from = std::lower_bound(bars.begin(), bars.end(), close_ms - kDayMs,
                               [](const strategy::Bar& b, int64_t t) { return b.open_time_ms < t; });
  __int128 sum = 0;
  for (auto it = from; it != bars.end() && it->open_time_ms + interval_ms <= close_ms; ++it) {
    sum += static_cast<__int128>(it->close.raw()) * it->volume.raw();
  }
  return static_cast<int64_t>(sum / (static_cast<__int128>(Fixed::kScale) * Fixed::kScale));
}

// The universe's candidates at close_ms from the recorded bars, once the data
// holds a whole day before it (the seed reads a 24 h ticker; a run that has
// not seen a day yet trades every symbol, as its strategies are warming up).
absl::Status MaybeChooseUniverse(Engine& engine, const absl::btree_map<Symbol, SymbolData>& data, int64_t first_open_ms,
                                 int64_t close_ms, int64_t interval_ms) {
  if (close_ms - first_open_ms < kDayMs || !engine.UniverseDue()) return absl::OkStatus();
  std::vector<UniverseCandidate> candidates;
  for (const auto& [symbol, d] : data) {
    UniverseCandidate c;
    c.symbol = symbol;
    c.quote_volume_24h = QuoteVolume24h(d.series.bars, close_ms, interval_ms);
    c.min_notional = d.filters.min_notional;
    if (auto f = engine.state().funding.find(symbol); f != engine.state().funding.end()) {
      c.funding_rate_pct = f->second.Pct();
      c.funding_known = true;
    }
    candidates.push_back(std::move(c));
  }
  return engine.OnUniverse(std::move(candidates), "recorded_bars");
}

// The funding due by `open_ms`, the step's open time (funding before the
// bars at equal times), of each symbol whose bars have begun: each time once,
// after both the last journaled bar and the last journaled funding of the
// symbol (so a resumed run settles nothing twice), at the last close.
absl::Status SettleFunding(Engine& engine, const absl::btree_map<Symbol, SymbolData>& data, int64_t open_ms) {
  const State& s = engine.state();
  std::vector<FundingUpdate> due;
  for (const auto& [symbol, d] : data) {
    auto bar = s.last_bars.find(symbol);
    if (d.funding.empty() || bar == s.last_bars.end()) continue;
    auto known = s.funding.find(symbol);
    const int64_t after = std::max(bar->second.open_time_ms, known == s.funding.end() ? INT64_MIN : known->second.funding_time_ms);
    auto it = std::upper_bound(d.funding.begin(), d.funding.end(), after,
                               [](int64_t t, const FundingPoint& p) { return t < p.time_ms; });
    for (; it != d.funding.end() && it->time_ms <= open_ms; ++it) {
      due.push_back(FundingUpdate{symbol, it->rate, bar->second.close, it->time_ms});
    }
  }
  if (due.empty()) return absl::OkStatus();
  return engine.OnFunding(std::move(due), /*settle=*/true);
}

std::vector<std::string> SymbolNames(const absl::btree_map<Symbol, SymbolData>& data) {
  std::vector<std::string> out;
  for (const auto& [symbol, d] : data) out.push_back(symbol.value);
  return out;
}

// From start-up to the stop: the steps after the resume point, paced.
absl::StatusOr<RunSummary> RunLoop(const RunOptions& o, Log& log, const Steps& merged,
                                   absl::btree_map<Symbol, SymbolData>& data, const std::string& data_names,
                                   int64_t interval_ms, int64_t resume_after_ms, Engine& engine, DataClock& clock,
                                   Surface& surface, absl::Time t0) {
  RETURN_IF_ERROR(engine.Start());
  surface.Publish(false);

  const std::vector<Steps::Step>& steps = merged.steps;
  auto next = std::upper_bound(steps.begin(), steps.end(), resume_after_ms,
                               [](int64_t t, const Steps::Step& s) { return t < s.open_time_ms; });
  const auto first = next;
  // Recorded bars are known ahead: at --speed max each strategy may compute
  // from its symbol's on another thread (the same decisions, sooner).
  uint64_t bars_total = 0, bars_to_run = 0;
  for (auto& [symbol, d] : data) {
    const auto& bars = d.series.bars;
    auto from = std::upper_bound(bars.begin(), bars.end(), resume_after_ms,
                                 [](int64_t t, const strategy::Bar& b) { return t < b.open_time_ms; });
    bars_total += bars.size();
    bars_to_run += static_cast<uint64_t>(bars.end() - from);
    if (o.speed <= 0) d.strategy->Prefetch(std::span<const strategy::Bar>(bars).subspan(static_cast<size_t>(from - bars.begin())));
  }
  log.Info("paper_run_started", LogFields().Add("data", data_names).Add("symbols", static_cast<uint64_t>(data.size()))
                                    .Add("bars_total", bars_total).Add("bars_to_run", bars_to_run).Add("speed", o.speed));
  RETURN_IF_ERROR(surface.CheckPolicy());  // the policy holds from the first step
  if (o.on_started) o.on_started(engine.state(), static_cast<size_t>(bars_to_run));
  RunSummary summary;
  const absl::Time run_start = absl::Now();
  const int64_t first_close_ms = next == steps.end() ? 0 : next->open_time_ms + interval_ms;
  std::vector<SymbolBar> step_bars;
  for (; next != steps.end() && StopSignal() == 0 && !engine.stop_requested(); ++next) {
    const int64_t close_ms = next->open_time_ms + interval_ms;
    RETURN_IF_ERROR(Pace(o.speed, run_start, first_close_ms, close_ms, surface, engine, log));
    if (StopSignal() != 0 || engine.stop_requested()) break;
    RETURN_IF_ERROR(SettleFunding(engine, data, next->open_time_ms));  // at the previous close: the funding time
    clock.Set(close_ms * kNsPerMs);
    RETURN_IF_ERROR(MaybeChooseUniverse(engine, data, steps.front().open_time_ms, close_ms, interval_ms));
    merged.Fill(*next, &step_bars);
    RETURN_IF_ERROR(engine.OnStep(step_bars));
    summary.bars_this_run += step_bars.size();
    if (o.on_bar) o.on_bar(static_cast<uint64_t>(next - first) + 1, static_cast<uint64_t>(steps.end() - first));
    surface.Publish(true);
    RETURN_IF_ERROR(surface.HandleCommands());
    ReopenLogIfAsked(log);
  }
  summary.stop_reason = engine.stop_requested() ? "KILL_SWITCH"
                        : StopSignal() != 0     ? SignalName(StopSignal())
                                                : "END_OF_DATA";
  // The paper venue fills the kill switch's closes at once: flat by now,
  // unless a close was refused.
  if (engine.stop_requested()) {
    ASSIGN_OR_RETURN(const bool flat, engine.FinishKillSwitch(/*venue_agrees=*/true));
    if (!flat) summary.exit_code = kExitKillSwitchIncomplete;
  }
  RETURN_IF_ERROR(engine.Stop(summary.stop_reason));
  summary.state = engine.state();
  surface.Publish(false);
  summary.seconds = absl::ToDoubleSeconds(absl::Now() - t0);
  // One symbol: its files; several: their names (the files are in bot.log).
  summary.data_file = data.size() == 1 ? data_names : absl::StrCat(data.size(), " symbols: ", absl::StrJoin(SymbolNames(data), " "));
  summary.ledger_dir = o.ledger_dir;
  summary.symbols = SymbolNames(data);
  return summary;
}

// The symbols of the data against the config's: universe.symbols when set
// (each needs its data, and only they may have any), else they become it.
absl::Status MatchUniverse(config::Config& cfg, const absl::btree_map<std::string, std::vector<std::string>>& files) {
  std::vector<std::string> have;
  for (const auto& [symbol, f] : files) have.push_back(symbol);
  if (cfg.universe.symbols.empty()) {
    if (have != std::vector<std::string>{cfg.run.symbol}) cfg.universe.symbols = have;
    return absl::OkStatus();
  }
  const std::vector<std::string> want = cfg.Symbols();
  for (const std::string& symbol : want) {
    if (!files.contains(symbol)) {
      return absl::InvalidArgumentError(absl::StrCat("universe.symbols lists ", symbol,
                                                     " but no bars were given for it: pass --data ", symbol, "=FILE"));
    }
  }
  for (const std::string& symbol : have) {
    if (!std::binary_search(want.begin(), want.end(), symbol)) {
      return absl::InvalidArgumentError(absl::StrCat("--data ", symbol, "=...: ", symbol,
                                                     " is not in universe.symbols (", absl::StrJoin(want, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<double> ParseSpeed(const std::string& text) {
  if (text == "max") return 0.0;
  if (text == "realtime") return 1.0;
  double x = 0;
  if (text.size() > 1 && text.back() == 'x' && absl::SimpleAtod(text.substr(0, text.size() - 1), &x) &&
      x >= kMinSpeed && x <= kMaxSpeed) {
    return x;
  }
  return absl::InvalidArgumentError(absl::StrCat("--speed: expected max, realtime or <N>x with N from ", kMinSpeed, " to ",
                                                 static_cast<int64_t>(kMaxSpeed), " (got ",
                                                 absl::CEscape(text.substr(0, 80)), ")"));
}

absl::StatusOr<absl::btree_map<std::string, std::vector<std::string>>> ParseDataFlags(
    const std::vector<std::string>& values, const std::string& default_symbol) {
  absl::btree_map<std::string, std::vector<std::string>> out;
  for (const std::string& value : values) {
    std::string symbol = default_symbol, file = value;
    // SYMBOL=FILE when what precedes the first '=' reads as a symbol.
    if (const size_t eq = value.find('='); eq != std::string::npos) {
      const std::string head = value.substr(0, eq);
      if (IsSymbolName(head)) {
        symbol = head;
        file = value.substr(eq + 1);
      }
    }
    if (file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("--data ", absl::CEscape(value.substr(0, 80)),
                                                     ": expected FILE or SYMBOL=FILE"));
    }
    out[symbol].push_back(file);
  }
  return out;
}

absl::StatusOr<FundingInputs> ParseFundingFlags(const std::vector<std::string>& values,
                                                const std::string& constant_rate) {
  FundingInputs out;
  for (const std::string& value : values) {
    const size_t eq = value.find('=');
    const std::string symbol = value.substr(0, eq == std::string::npos ? 0 : eq);
    if (!IsSymbolName(symbol) || eq + 1 == value.size()) {
      return absl::InvalidArgumentError(absl::StrCat("--funding-data ", absl::CEscape(value.substr(0, 80)),
                                                     ": expected SYMBOL=FILE"));
    }
    if (!out.files.emplace(symbol, value.substr(eq + 1)).second) {
      return absl::InvalidArgumentError(absl::StrCat("--funding-data: ", symbol, " is given twice (one file per symbol)"));
    }
  }
  if (!constant_rate.empty()) {
    ASSIGN_OR_RETURN(out.constant_rate, ParseFundingRate(constant_rate));
  }
  return out;
}

absl::StatusOr<RunSummary> RunPaper(const RunOptions& o, Log& log) {
  const absl::Time t0 = absl::Now();
  ASSIGN_OR_RETURN(int64_t interval_s, config::ParseTimeframe(o.cfg.run.interval));
  const int64_t interval_ms = interval_s * 1000;
  const absl::btree_map<std::string, std::vector<std::string>>& files = o.symbol_data;
  if (files.empty()) return absl::InvalidArgumentError("no bars given: --data FILE or SYMBOL=FILE");
  if (o.cfg.universe.venue_wide) {
    return absl::InvalidArgumentError(
        "universe.venue_wide is for testnet and live: paper runs and backtests trade their data files (--data)");
  }
  config::Config cfg = o.cfg;
  RETURN_IF_ERROR(MatchUniverse(cfg, files));

  const risk::Filters paper_filters{cfg.paper_sim.price_tick, cfg.paper_sim.qty_step, cfg.paper_sim.min_notional, {}, {}};
  absl::btree_map<Symbol, SymbolData> data;
  std::vector<std::string> names;
  std::vector<BarGap> gaps;
  for (const auto& [name, paths] : files) {
    SymbolData& d = data[Symbol{name}];
    d.files = absl::StrJoin(paths, ", ");
    names.push_back(files.size() == 1 ? d.files : absl::StrCat(name, "=", d.files));
    ASSIGN_OR_RETURN(d.series, ReadBars(paths, BarReadOptions{interval_ms, o.allow_gaps, o.from_ms, o.to_ms}));
    if (d.series.bars.empty()) return absl::InvalidArgumentError(absl::StrCat(d.files, ": no bars in the window"));
    auto known = o.symbol_filters.find(name);
    d.filters = known == o.symbol_filters.end() ? paper_filters : known->second;
    RETURN_IF_ERROR(CheckOnTick(Symbol{name}, d, known == o.symbol_filters.end() ? "paper_sim.price_tick" : o.filters_source));
    ASSIGN_OR_RETURN(d.strategy, strategy::MakeStrategy(cfg.strategy, cfg.regime, name, cfg.run.interval));
    for (const BarGap& g : d.series.gaps) {
      log.Warning("data_gap", LogFields().Add("symbol", name).Add("file", g.file).Add("after_open_time_ms", g.after_open_time_ms)
                                  .Add("next_open_time_ms", g.next_open_time_ms).Add("missing_bars", g.missing_bars));
      gaps.push_back(g);
    }
  }
  for (const auto& [name, path] : o.funding.files) {
    auto d = data.find(Symbol{name});
    if (d == data.end()) {
      return absl::InvalidArgumentError(absl::StrCat("--funding-data ", name, "=", path, ": no bars were given for ", name));
    }
    ASSIGN_OR_RETURN(d->second.funding, ReadFundingFile(path, name));
  }
  if (o.funding.constant_rate) {
    for (auto& [symbol, d] : data) {
      if (d.funding.empty()) {
        d.funding = ConstantFunding(*o.funding.constant_rate, d.series.bars.front().open_time_ms,
                                    d.series.bars.back().open_time_ms + interval_ms);
      }
    }
  }
  const Steps steps = MergeSteps(data);
  const std::string data_names = absl::StrJoin(names, "; ");

  ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> ledger, ledger::Ledger::OpenWriter(o.ledger_dir, {.faults = o.ledger_faults}));
  std::unique_ptr<Projections> projections;
  if (o.projections) {
    ASSIGN_OR_RETURN(projections, Projections::Open(o.logs_dir, o.on_projection_fault));
  }
  DataClock clock;
  EngineDeps deps;
  deps.cfg = cfg;
  deps.build_version = o.build_version;
  deps.ledger = ledger.get();
  for (auto& [symbol, d] : data) deps.symbols[symbol] = TradedSymbol{d.strategy.get(), d.filters};
  deps.filters_source = o.symbol_filters.empty() ? "paper_sim" : o.filters_source;
  deps.clock = &clock;
  deps.log = &log;
  deps.projections = projections.get();
  deps.observer = o.observer;
  if (o.speed <= 0) {
    deps.unsynced_group_events = kUnsyncedGroupEvents;
    deps.background_appends = true;
  }
  Engine engine(deps);
  venue::PaperVenue venue(cfg.paper_sim, &engine.state());
  engine.set_venue(&venue);

  RETURN_IF_ERROR(engine.RebuildState());
  // A run goes on after the latest bar its ledger holds, of any symbol:
  // time only moves forward.
  const int64_t resume_after_ms = engine.LastBarOpenMs();
  clock.Set((resume_after_ms == INT64_MIN ? steps.steps.front().open_time_ms : resume_after_ms + interval_ms) * kNsPerMs);
  Surface surface(o, engine, log);
  absl::StatusOr<RunSummary> result =
      RunLoop(o, log, steps, data, data_names, interval_ms, resume_after_ms, engine, clock, surface, t0);
  if (!result.ok()) {
    surface.Halted(result.status());
    return result;
  }
  result->gaps = std::move(gaps);
  return result;
}

std::string FormatSummary(const RunSummary& s) {
  const State& st = s.state;
  const Counters& c = st.counters;
  std::string out = absl::StrFormat(
      "%s %s: %s\n"
      "  %s %d (this run %d)  signals %d  orders %d  trades %d (%d won, %d lost)\n"
      "  net PnL %s %s  equity %s %s  max drawdown %s%%\n"
      "  events %d  seconds %.2f  ledger %s\n",
      s.label, s.stop_reason, s.data_file, s.steps, s.steps == "bars" ? c.bars : s.bars_this_run, s.bars_this_run,
      c.signals, c.orders_placed, c.trades_closed, c.wins, c.losses,
      (st.realized_pnl - st.fees_paid + st.funding_received - st.funding_paid).RoundTo(*Fixed::Parse("0.01")).ToString(),
      s.currency, st.balance.RoundTo(*Fixed::Parse("0.01")).ToString(), s.currency,
      st.max_drawdown_pct.RoundTo(*Fixed::Parse("0.01")).ToString(), st.last_seq, s.seconds, s.ledger_dir);
  if (!st.funding_received.is_zero() || !st.funding_paid.is_zero()) {
    absl::StrAppend(&out, "  funding received ", st.funding_received.RoundTo(*Fixed::Parse("0.01")).ToString(),
                    " USDT  paid ", st.funding_paid.RoundTo(*Fixed::Parse("0.01")).ToString(), " USDT\n");
  }
  if (!s.gaps.empty()) {
    int64_t missing = 0;
    for (const BarGap& g : s.gaps) missing += g.missing_bars;
    absl::StrAppend(&out, "  data gaps ", s.gaps.size(), " (", missing, " bars missing; run with --allow-gaps)\n");
  }
  if (st.circuit_breaker.active) {
    absl::StrAppend(&out, "  CIRCUIT BREAKER ACTIVE (", st.circuit_breaker.reason,
                    "): trading paused until `ack-manual-review --reason \"...\"`\n");
  }
  if (st.manual_review.active) {
    absl::StrAppend(&out, "  MANUAL REVIEW REQUIRED (", st.manual_review.reason,
                    "): trading paused until `ack-manual-review --reason \"...\"`\n");
  }
  return out;
}

}  // namespace apollo::runtime
