// The paper run loop: resume point from the ledger, pacing, signals, stop.
#include "engine/runtime/paper_run.h"

#include <algorithm>
#include <csignal>

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

// From start-up to the stop: the bars after the resume point, paced.
absl::StatusOr<RunSummary> RunLoop(const RunOptions& o, Log& log, const std::vector<strategy::Bar>& bars,
                                   int64_t interval_ms, int64_t resume_after_ms, Engine& engine, DataClock& clock,
                                   Surface& surface, absl::Time t0, strategy::Strategy* strategy) {
  RETURN_IF_ERROR(engine.Start());
  surface.Publish(false);

  auto next = std::upper_bound(bars.begin(), bars.end(), resume_after_ms,
                               [](int64_t t, const strategy::Bar& b) { return t < b.open_time_ms; });
  const auto first = next;
  // Recorded bars are known ahead: at --speed max the strategy may compute
  // from them on another thread (the same decisions, sooner).
  if (o.speed <= 0 && strategy != nullptr) {
    strategy->Prefetch(std::span<const strategy::Bar>(bars).subspan(static_cast<size_t>(next - bars.begin())));
  }
  log.Info("paper_run_started", LogFields().Add("data", o.data_file).Add("bars_total", static_cast<uint64_t>(bars.size()))
                                    .Add("bars_to_run", static_cast<uint64_t>(bars.end() - next)).Add("speed", o.speed));
  if (o.on_started) o.on_started(engine.state(), static_cast<size_t>(bars.end() - next));
  RunSummary summary;
  const absl::Time run_start = absl::Now();
  const int64_t first_close_ms = next == bars.end() ? 0 : next->open_time_ms + interval_ms;
  for (; next != bars.end() && StopSignal() == 0 && !engine.stop_requested(); ++next) {
    const int64_t close_ms = next->open_time_ms + interval_ms;
    RETURN_IF_ERROR(Pace(o.speed, run_start, first_close_ms, close_ms, surface, engine, log));
    if (StopSignal() != 0 || engine.stop_requested()) break;
    clock.Set(close_ms * kNsPerMs);
    RETURN_IF_ERROR(engine.OnBar(*next));
    ++summary.bars_this_run;
    if (o.on_bar) o.on_bar(summary.bars_this_run, static_cast<uint64_t>(bars.end() - first));
    surface.Publish(true);
    RETURN_IF_ERROR(surface.HandleCommands());
    ReopenLogIfAsked(log);
  }
  summary.stop_reason = StopSignal() != 0       ? SignalName(StopSignal())
                        : engine.stop_requested() ? "KILL_SWITCH"
                                                  : "END_OF_DATA";
  RETURN_IF_ERROR(engine.Stop(summary.stop_reason));
  summary.state = engine.state();
  surface.Publish(false);
  summary.seconds = absl::ToDoubleSeconds(absl::Now() - t0);
  summary.data_file = o.data_file;
  summary.ledger_dir = o.ledger_dir;
  return summary;
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

absl::StatusOr<RunSummary> RunPaper(const RunOptions& o, Log& log) {
  const absl::Time t0 = absl::Now();
  ASSIGN_OR_RETURN(int64_t interval_s, config::ParseTimeframe(o.cfg.run.interval));
  const int64_t interval_ms = interval_s * 1000;
  const std::vector<std::string> files = o.data_files.empty() ? std::vector<std::string>{o.data_file} : o.data_files;
  ASSIGN_OR_RETURN(BarSeries series, ReadBars(files, BarReadOptions{interval_ms, o.allow_gaps, o.from_ms, o.to_ms}));
  const std::vector<strategy::Bar>& bars = series.bars;
  if (bars.empty()) return absl::InvalidArgumentError(absl::StrCat(absl::StrJoin(files, ", "), ": no bars in the window"));
  for (const BarGap& g : series.gaps) {
    log.Warning("data_gap", LogFields().Add("file", g.file).Add("after_open_time_ms", g.after_open_time_ms)
                                .Add("next_open_time_ms", g.next_open_time_ms).Add("missing_bars", g.missing_bars));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> ledger, ledger::Ledger::OpenWriter(o.ledger_dir, {.faults = o.ledger_faults}));
  ASSIGN_OR_RETURN(std::unique_ptr<strategy::Strategy> strat,
                   strategy::MakeStrategy(o.cfg.strategy, o.cfg.run.symbol, o.cfg.run.interval));
  std::unique_ptr<Projections> projections;
  if (o.projections) {
    ASSIGN_OR_RETURN(projections, Projections::Open(o.logs_dir, o.on_projection_fault));
  }
  DataClock clock;
  EngineDeps deps;
  deps.cfg = o.cfg;
  deps.build_version = o.build_version;
  deps.ledger = ledger.get();
  deps.strategy = strat.get();
  deps.clock = &clock;
  deps.log = &log;
  deps.projections = projections.get();
  deps.observer = o.observer;
  deps.filters = risk::Filters{o.cfg.paper_sim.price_tick, o.cfg.paper_sim.qty_step, o.cfg.paper_sim.min_notional, {}, {}};
  if (o.speed <= 0) {
    deps.unsynced_group_events = kUnsyncedGroupEvents;
    deps.background_appends = true;
  }
  Engine engine(deps);
  venue::PaperVenue venue(o.cfg.paper_sim, &engine.state());
  engine.set_venue(&venue);

  RETURN_IF_ERROR(engine.RebuildState());
  const Symbol symbol{o.cfg.run.symbol};
  auto last = engine.state().last_bars.find(symbol);
  const int64_t resume_after_ms = last == engine.state().last_bars.end() ? INT64_MIN : last->second.open_time_ms;
  clock.Set((last == engine.state().last_bars.end() ? bars.front().open_time_ms : resume_after_ms + interval_ms) * kNsPerMs);
  Surface surface(o, engine);
  absl::StatusOr<RunSummary> result =
      RunLoop(o, log, bars, interval_ms, resume_after_ms, engine, clock, surface, t0, strat.get());
  if (!result.ok()) {
    surface.Halted(result.status());
    return result;
  }
  result->gaps = std::move(series.gaps);
  if (!o.data_files.empty()) result->data_file = absl::StrJoin(files, ", ");
  return result;
}

std::string FormatSummary(const RunSummary& s) {
  const State& st = s.state;
  const Counters& c = st.counters;
  std::string out = absl::StrFormat(
      "paper run %s: %s\n"
      "  bars %d (this run %d)  signals %d  orders %d  trades %d (%d won, %d lost)\n"
      "  net PnL %s USDT  equity %s USDT  max drawdown %s%%\n"
      "  events %d  seconds %.2f  ledger %s\n",
      s.stop_reason, s.data_file, c.bars, s.bars_this_run, c.signals, c.orders_placed, c.trades_closed, c.wins,
      c.losses, (st.realized_pnl - st.fees_paid).RoundTo(*Fixed::Parse("0.01")).ToString(),
      st.balance.RoundTo(*Fixed::Parse("0.01")).ToString(), st.max_drawdown_pct.RoundTo(*Fixed::Parse("0.01")).ToString(),
      st.last_seq, s.seconds, s.ledger_dir);
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
