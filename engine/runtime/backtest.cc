// The backtest run and its report; see backtest.h.
#include "engine/runtime/backtest.h"

#include <filesystem>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/domain/status_macros.h"
#include "engine/runtime/scratch.h"
#include "ledger/ledger.h"
#include "replay/compare.h"
#include "replay/journal.h"
#include "replay/performance.h"

namespace apollo::runtime {
namespace {

namespace fs = std::filesystem;

std::string Title(const config::Config& cfg, const std::vector<std::string>& symbols) {
  return absl::StrCat(cfg.strategy.name, " on ", absl::StrJoin(symbols, ", "), " ", cfg.run.interval);
}

absl::Status WriteReport(const std::string& dir, const BacktestResult& r, const replay::Performance& p) {
  const fs::path d(dir);
  RETURN_IF_ERROR(WriteWholeFile(d / "report.md", r.markdown));
  RETURN_IF_ERROR(WriteWholeFile(d / "report.json", replay::ReportJson(r.input, r.report)));
  RETURN_IF_ERROR(WriteWholeFile(d / "equity.svg", replay::EquitySvg(r.input, r.report)));
  RETURN_IF_ERROR(WriteWholeFile(d / "equity.csv", replay::EquityCsv(p.equity)));
  return WriteWholeFile(d / "pnl_daily.csv", replay::DailyCsv(p.daily));
}

// Measures the run from the events it commits; only whole when the run
// started an empty ledger (else the ledger is read again afterwards).
class MeterObserver : public EngineObserver {
 public:
  void OnCommitted(absl::Span<const Event> events, const State& state, double append_seconds) override {
    for (const Event& e : events) {
      if (first_seq_ == 0) first_seq_ = e.seq;
      if (status_.ok()) status_ = meter_.OnEvent(e);
    }
  }
  // The measurement, if it saw the ledger from seq 1 without an error.
  std::optional<replay::Performance> Take() {
    if (first_seq_ != 1 || !status_.ok()) return std::nullopt;
    return meter_.Finish();
  }

 private:
  replay::PerformanceMeter meter_;
  uint64_t first_seq_ = 0;
  absl::Status status_;
};

}  // namespace

absl::StatusOr<BacktestResult> RunBacktest(const BacktestOptions& o) {
  ScratchDir temp;  // the ledger and the logs when not asked to keep them
  ASSIGN_OR_RETURN(temp.path, MakeScratchDir());
  const std::string ledger_dir = o.ledger_dir.empty() ? (fs::path(temp.path) / "ledger").string() : o.ledger_dir;
  const std::string logs_dir = o.report_dir.empty() ? (fs::path(temp.path) / "logs").string() : o.report_dir;
  std::error_code ec;
  fs::create_directories(logs_dir, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("cannot create ", logs_dir, ": ", ec.message()));

  RunOptions run;
  run.cfg = o.cfg;
  std::unique_ptr<ledger::Ledger> like;  // --like: its bars are run, its trades compared
  if (!o.like_ledger.empty()) {
    ASSIGN_OR_RETURN(like, ledger::Ledger::OpenReader(o.like_ledger));
    ASSIGN_OR_RETURN(replay::Journaled journaled, replay::ReadJournaled(*like));
    // The journaled bars of each symbol the config trades, as files the run reads like any other.
    for (const std::string& symbol : o.cfg.Symbols()) {
      auto bars = journaled.bars.find(Symbol{symbol});
      if (bars == journaled.bars.end()) continue;  // MatchUniverse names it
      const std::string file = (fs::path(temp.path) / absl::StrCat("journaled-", symbol, ".csv")).string();
      RETURN_IF_ERROR(WriteWholeFile(file, replay::BarsCsv(bars->second)));
      run.symbol_data[symbol] = {file};
      // Sized on the filters the ledger traded with, unless told otherwise.
      if (auto f = journaled.filters.find(Symbol{symbol}); f != journaled.filters.end() && o.symbol_filters.empty()) {
        run.symbol_filters[symbol] = risk::FromInstrumentFilters(f->second);
        run.filters_source = "journaled";
      }
    }
    if (run.symbol_data.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("--like ", o.like_ledger, ": the ledger holds no bars of ",
                                                        absl::StrJoin(o.cfg.Symbols(), ", ")));
    }
  }
  run.cfg.storage.ledger_path = ledger_dir;
  run.cfg.storage.logs_path = logs_dir;
  if (o.like_ledger.empty()) run.symbol_data = o.symbol_data;
  if (!o.symbol_filters.empty()) {
    run.symbol_filters = o.symbol_filters;
    run.filters_source = o.filters_source;
  }
  run.funding = o.funding;
  run.allow_gaps = o.allow_gaps;
  run.from_ms = o.from_ms;
  run.to_ms = o.to_ms;
  run.ledger_dir = ledger_dir;
  run.logs_dir = logs_dir;
  run.speed = 0;
  run.build_version = o.build_version;
  run.on_bar = o.on_bar;
  run.projections = !o.report_dir.empty();
  MeterObserver meter;
  run.observer = &meter;
  ASSIGN_OR_RETURN(Log log,
                   Log::Open((fs::path(logs_dir) / "bot.log").string(), Log::ParseLevel(o.cfg.monitoring.log_level)));
  BacktestResult r;
  ASSIGN_OR_RETURN(r.run, RunPaper(run, log));

  ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> ledger, ledger::Ledger::OpenReader(ledger_dir));
  std::optional<replay::Performance> measured = meter.Take();
  if (!measured) {
    ASSIGN_OR_RETURN(measured, replay::MeasurePerformance(*ledger, {}));
  }
  replay::Performance& p = *measured;
  r.input = std::move(p.input);
  r.input.title = Title(run.cfg, r.run.symbols);
  for (const BarGap& g : r.run.gaps) {
    r.input.gaps.push_back(replay::Gap{g.file, g.after_open_time_ms, g.next_open_time_ms, g.missing_bars});
  }
  r.report = replay::ComputeReport(r.input);
  r.markdown = replay::ReportMarkdown(r.input, r.report);
  if (like != nullptr) {
    ASSIGN_OR_RETURN(std::vector<replay::RunTrade> theirs, replay::ReadTrades(*like));
    ASSIGN_OR_RETURN(std::vector<replay::RunTrade> ours, replay::ReadTrades(*ledger));
    r.comparison = replay::CompareRuns(theirs, ours);
    absl::StrAppend(&r.markdown, "\n", r.comparison);
  }
  if (!o.report_dir.empty()) RETURN_IF_ERROR(WriteReport(o.report_dir, r, p));
  if (!o.report_dir.empty() && !r.comparison.empty()) RETURN_IF_ERROR(WriteWholeFile(fs::path(o.report_dir) / "like.md", r.comparison));
  r.ledger_dir = o.ledger_dir;
  return r;
}

}  // namespace apollo::runtime
