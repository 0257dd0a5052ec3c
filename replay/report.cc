// The backtest report (see report.h): figures from a run's trades and equity
// curve, then three renderings of them: report.json for machines, report.md
// for people, equity.svg for eyes. Pure: values in, strings out; the same
// input gives the same bytes.
//
// Degenerate inputs (no trades, no equity points, one day, no drawdown) give
// figures of 0: every division is guarded and nothing prints NaN or inf.
#include "replay/report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/domain/json.h"
#include "replay/report_internal.h"

namespace apollo::replay {
namespace {


// ---------------------------------------------------------------------------
// Figures.

// Counts, sums, streaks and extremes over each trade's net PnL.
void AddTradeFigures(const std::vector<TradeRow>& trades, Report& r) {
  Fixed gross, win_sum, loss_sum;
  uint64_t win_run = 0, loss_run = 0;
  for (size_t i = 0; i < trades.size(); ++i) {
    const TradeRow& t = trades[i];
    const Fixed net = t.realized_pnl - t.fees;
    ++(t.side == Side::kBuy ? r.long_trades : r.short_trades);
    gross += t.realized_pnl;
    r.best_trade = i == 0 ? net.ToDouble() : std::max(r.best_trade, net.ToDouble());
    r.worst_trade = i == 0 ? net.ToDouble() : std::min(r.worst_trade, net.ToDouble());
    const bool win = net.raw() >= 0;  // as the fold counts it
    (win ? win_sum : loss_sum) += net;
    ++(win ? r.wins : r.losses);
    win_run = win ? win_run + 1 : 0;
    loss_run = win ? 0 : loss_run + 1;
    r.max_consecutive_wins = std::max(r.max_consecutive_wins, win_run);
    r.max_consecutive_losses = std::max(r.max_consecutive_losses, loss_run);
  }
  r.trades = trades.size();
  r.gross_pnl = gross.ToDouble();
  r.win_rate_pct = Ratio(100.0 * r.wins, r.trades);
  r.profit_factor = Ratio(win_sum.ToDouble(), -loss_sum.ToDouble());
  r.expectancy = Ratio((win_sum + loss_sum).ToDouble(), r.trades);
  r.avg_win = Ratio(win_sum.ToDouble(), r.wins);
  r.avg_loss = Ratio(loss_sum.ToDouble(), r.losses);
}

// One return per UTC day that has equity points: its last point against the
// previous such day's last point, the first against the initial equity.
std::vector<double> DailyReturns(const ReportInput& in) {
  std::vector<double> closes;
  int64_t day = 0;
  for (size_t i = 0; i < in.equity.size(); ++i) {
    const int64_t d = FloorDiv(in.equity[i].ts_ns, kDayNs);
    if (i == 0 || d != day) closes.push_back(0);
    closes.back() = in.equity[i].equity.ToDouble();
    day = d;
  }
  std::vector<double> returns;
  double prev = in.initial_equity.ToDouble();
  for (const double close : closes) {
    returns.push_back(prev > 0 ? Finite(close / prev - 1) : 0.0);
    prev = close;
  }
  return returns;
}

double Mean(const std::vector<double>& xs) {
  double sum = 0;
  for (const double x : xs) sum += x;
  return Ratio(sum, static_cast<double>(xs.size()));
}

// Mean over sample standard deviation (n - 1), annualised; 0 under 2 days.
double Sharpe(const std::vector<double>& returns) {
  if (returns.size() < 2) return 0;
  const double mean = Mean(returns);
  double sq = 0;
  for (const double x : returns) sq += (x - mean) * (x - mean);
  const double sd = std::sqrt(sq / static_cast<double>(returns.size() - 1));
  return sd > 0 ? Finite(mean / sd * std::sqrt(kDaysPerYear)) : 0.0;
}

// Mean over downside deviation sqrt(Σ min(r, 0)² / n), n counting every day;
// 0 under 2 days or with no losing day.
double Sortino(const std::vector<double>& returns) {
  if (returns.size() < 2) return 0;
  double sq = 0;
  for (const double x : returns) sq += x < 0 ? x * x : 0.0;
  const double dd = std::sqrt(sq / static_cast<double>(returns.size()));
  return dd > 0 ? Finite(Mean(returns) / dd * std::sqrt(kDaysPerYear)) : 0.0;
}

// Compound annual growth over 365-day years; -100 % if the equity is gone.
double CagrPct(const ReportInput& in, double days) {
  const double initial = in.initial_equity.ToDouble(), final = in.final_equity.ToDouble();
  if (days <= 0 || initial <= 0) return 0;
  if (final <= 0) return -100;
  return Finite((std::pow(final / initial, kDaysPerYear / days) - 1) * 100);
}



// When the equity is first back at `peak` after `trough`, or the last point.
int64_t RecoveredNs(const std::vector<EquityPoint>& equity, size_t trough, Fixed peak) {
  for (size_t i = trough + 1; i < equity.size(); ++i) {
    if (equity[i].equity >= peak) return equity[i].ts_ns;
  }
  return equity.back().ts_ns;
}

// The deepest drawdown by percentage: its depth, peak and trough times, and
// the days from the peak until the equity is back at it (or the last point).
void AddMaxDrawdown(const ReportInput& in, Report& r) {
  Fixed peak = in.initial_equity, worst_peak;
  int64_t peak_ns = StartNs(in);
  size_t trough = in.equity.size();
  for (size_t i = 0; i < in.equity.size(); ++i) {
    const EquityPoint& p = in.equity[i];
    if (p.equity >= peak) {
      peak = p.equity;
      peak_ns = p.ts_ns;
      continue;
    }
    const double pct = peak.raw() > 0 ? Finite((peak - p.equity).ToDouble() / peak.ToDouble() * 100) : 0.0;
    if (pct <= r.max_drawdown_pct) continue;
    r.max_drawdown_pct = pct;
    r.max_drawdown_abs = (peak - p.equity).ToDouble();
    r.max_drawdown_start_ns = peak_ns;
    r.max_drawdown_end_ns = p.ts_ns;
    worst_peak = peak;
    trough = i;
  }
  if (trough == in.equity.size()) return;
  const int64_t recovered_ns = RecoveredNs(in.equity, trough, worst_peak);
  r.max_drawdown_duration_days = static_cast<double>(recovered_ns - r.max_drawdown_start_ns) / kDayNs;
}

double TimeInMarketPct(const std::vector<EquityPoint>& equity) {
  const auto in_market = std::count_if(equity.begin(), equity.end(), [](const EquityPoint& p) { return p.in_market; });
  return Ratio(100.0 * static_cast<double>(in_market), static_cast<double>(equity.size()));
}

}  // namespace

Report ComputeReport(const ReportInput& in) {
  Report r;
  r.from_ns = in.from_ns;
  r.to_ns = in.to_ns;
  r.days = std::max(0.0, static_cast<double>(in.to_ns - in.from_ns) / kDayNs);
  r.bars = in.bars;
  AddTradeFigures(in.trades, r);
  r.initial_equity = in.initial_equity.ToDouble();
  r.final_equity = in.final_equity.ToDouble();
  r.net_pnl = (in.final_equity - in.initial_equity).ToDouble();
  r.fees = in.fees.ToDouble();
  r.funding = in.funding.ToDouble();
  r.open_pnl = in.open_pnl.ToDouble();
  r.total_return_pct = in.initial_equity.raw() > 0 ? Ratio(100 * r.net_pnl, r.initial_equity) : 0.0;
  r.cagr_pct = CagrPct(in, r.days);
  const std::vector<double> returns = DailyReturns(in);
  r.sharpe = Sharpe(returns);
  r.sortino = Sortino(returns);
  AddMaxDrawdown(in, r);
  r.calmar = r.max_drawdown_pct > 0 ? Ratio(r.cagr_pct, r.max_drawdown_pct) : 0.0;
  r.time_in_market_pct = TimeInMarketPct(in.equity);
  r.risk_rejections = in.risk_rejections;
  r.circuit_breaker_trips = in.circuit_breaker_trips;
  r.gaps = in.gaps;
  return r;
}

// ---------------------------------------------------------------------------
// report.json: one object, keys in Report's field order, one per line.

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

std::string JsonString(absl::string_view s) {
  std::string out;
  json::AppendString(&out, s);
  return out;
}
std::string JsonNumber(double v) { return absl::StrFormat("%.10g", Clean(v, 12)); }
std::string JsonMoney(double v) { return absl::StrFormat("%.8f", Clean(v, 8)); }
std::string JsonTime(int64_t ts_ns) { return ts_ns == 0 ? "null" : JsonString(IsoTime(ts_ns)); }

// {"a": 1, "b": 2} on one line, or one key per line indented by two.
std::string JsonObject(const Fields& fields, bool multiline) {
  std::vector<std::string> parts;
  for (const auto& [key, value] : fields) parts.push_back(absl::StrCat(JsonString(key), ": ", value));
  if (!multiline) return absl::StrCat("{", absl::StrJoin(parts, ", "), "}");
  return absl::StrCat("{\n  ", absl::StrJoin(parts, ",\n  "), "\n}");
}

std::string JsonRejections(const std::map<std::string, uint64_t>& rejections) {
  Fields fields;
  for (const auto& [rule, count] : rejections) fields.emplace_back(rule, absl::StrCat(count));
  return JsonObject(fields, false);
}

std::string JsonGaps(const std::vector<Gap>& gaps) {
  std::vector<std::string> items;
  for (const Gap& g : gaps) {
    items.push_back(JsonObject({{"file", JsonString(g.file)},
                                {"after_open_time", JsonTime(MsToNs(g.after_open_time_ms))},
                                {"next_open_time", JsonTime(MsToNs(g.next_open_time_ms))},
                                {"missing_bars", absl::StrCat(g.missing_bars)}},
                               false));
  }
  return items.empty() ? "[]" : absl::StrCat("[\n    ", absl::StrJoin(items, ",\n    "), "\n  ]");
}

void AddTradeFields(const Report& r, Fields& f) {
  f.insert(f.end(), {{"trades", absl::StrCat(r.trades)},
                     {"long_trades", absl::StrCat(r.long_trades)},
                     {"short_trades", absl::StrCat(r.short_trades)},
                     {"wins", absl::StrCat(r.wins)},
                     {"losses", absl::StrCat(r.losses)},
                     {"win_rate_pct", JsonNumber(r.win_rate_pct)},
                     {"profit_factor", JsonNumber(r.profit_factor)},
                     {"expectancy", JsonMoney(r.expectancy)},
                     {"avg_win", JsonMoney(r.avg_win)},
                     {"avg_loss", JsonMoney(r.avg_loss)},
                     {"best_trade", JsonMoney(r.best_trade)},
                     {"worst_trade", JsonMoney(r.worst_trade)},
                     {"max_consecutive_wins", absl::StrCat(r.max_consecutive_wins)},
                     {"max_consecutive_losses", absl::StrCat(r.max_consecutive_losses)}});
}

void AddMoneyAndRiskFields(const Report& r, Fields& f) {
  f.insert(f.end(), {{"gross_pnl", JsonMoney(r.gross_pnl)},
                     {"net_pnl", JsonMoney(r.net_pnl)},
                     {"fees", JsonMoney(r.fees)},
                     {"funding", JsonMoney(r.funding)},
                     {"open_pnl", JsonMoney(r.open_pnl)},
                     {"initial_equity", JsonMoney(r.initial_equity)},
                     {"final_equity", JsonMoney(r.final_equity)},
                     {"total_return_pct", JsonNumber(r.total_return_pct)},
                     {"cagr_pct", JsonNumber(r.cagr_pct)},
                     {"sharpe", JsonNumber(r.sharpe)},
                     {"sortino", JsonNumber(r.sortino)},
                     {"calmar", JsonNumber(r.calmar)},
                     {"max_drawdown_pct", JsonNumber(r.max_drawdown_pct)},
                     {"max_drawdown_abs", JsonMoney(r.max_drawdown_abs)},
                     {"max_drawdown_start", JsonTime(r.max_drawdown_start_ns)},
                     {"max_drawdown_end", JsonTime(r.max_drawdown_end_ns)},
                     {"max_drawdown_duration_days", JsonNumber(r.max_drawdown_duration_days)},
                     {"time_in_market_pct", JsonNumber(r.time_in_market_pct)},
                     {"risk_rejections", JsonRejections(r.risk_rejections)},
                     {"circuit_breaker_trips", absl::StrCat(r.circuit_breaker_trips)},
                     {"gaps", JsonGaps(r.gaps)}});
}

}  // namespace

std::string ReportJson(const ReportInput& in, const Report& r) {
  Fields f = {{"title", JsonString(in.title)},
              {"currency", JsonString(kCurrency)},
              {"from", JsonTime(r.from_ns)},
              {"to", JsonTime(r.to_ns)},
              {"days", JsonNumber(r.days)},
              {"bars", absl::StrCat(r.bars)}};
  AddTradeFields(r, f);
  AddMoneyAndRiskFields(r, f);
  return absl::StrCat(JsonObject(f, true), "\n");
}

// ---------------------------------------------------------------------------
// report.md: a title, the metric table, rejections, then gaps if any.

namespace {

std::string Plain(double v) { return Grouped(v, 2); }

std::vector<std::pair<std::string, std::string>> MetricRows(const Report& r) {
  return {{"Period start", MdTime(r.from_ns)},
          {"Period end", MdTime(r.to_ns)},
          {"Days", Plain(r.days)},
          {"Bars", absl::StrCat(r.bars)},
          {"Trades", absl::StrFormat("%d (long %d, short %d)", r.trades, r.long_trades, r.short_trades)},
          {"Wins / losses", absl::StrFormat("%d / %d", r.wins, r.losses)},
          {"Win rate", Pct(r.win_rate_pct)},
          {"Profit factor", Plain(r.profit_factor)},
          {"Expectancy", Money(r.expectancy)},
          {"Average win", Money(r.avg_win)},
          {"Average loss", Money(r.avg_loss)},
          {"Best trade", Money(r.best_trade)},
          {"Worst trade", Money(r.worst_trade)},
          {"Max consecutive wins", absl::StrCat(r.max_consecutive_wins)},
          {"Max consecutive losses", absl::StrCat(r.max_consecutive_losses)},
          {"Gross PnL", Money(r.gross_pnl)},
          {"Fees", Money(r.fees)},
          {"Funding", Money(r.funding)},
          {"Open PnL", Money(r.open_pnl)},
          {"Net PnL", Money(r.net_pnl)},
          {"Initial equity", Money(r.initial_equity)},
          {"Final equity", Money(r.final_equity)},
          {"Total return", Pct(r.total_return_pct)},
          {"CAGR", Pct(r.cagr_pct)},
          {"Sharpe", Plain(r.sharpe)},
          {"Sortino", Plain(r.sortino)},
          {"Calmar", Plain(r.calmar)},
          {"Max drawdown", absl::StrCat(Pct(r.max_drawdown_pct), " (", Money(r.max_drawdown_abs), ")")},
          {"Max drawdown peak", MdTime(r.max_drawdown_start_ns)},
          {"Max drawdown trough", MdTime(r.max_drawdown_end_ns)},
          {"Max drawdown duration", absl::StrCat(Plain(r.max_drawdown_duration_days), " days")},
          {"Time in market", Pct(r.time_in_market_pct)},
          {"Circuit-breaker trips", absl::StrCat(r.circuit_breaker_trips)},
          {"Gaps in the data", absl::StrCat(r.gaps.size())}};
}

std::string OneLine(absl::string_view s) { return absl::StrReplaceAll(s, {{"\r", " "}, {"\n", " "}}); }

std::string MdRejections(const Report& r) {
  std::string out = "\n## Risk rejections\n\n";
  if (r.risk_rejections.empty()) return absl::StrCat(out, "None.\n");
  for (const auto& [rule, count] : r.risk_rejections) absl::StrAppend(&out, "- ", OneLine(rule), ": ", count, "\n");
  return out;
}

std::string MdGaps(const Report& r) {
  if (r.gaps.empty()) return "";
  std::string out = "\n## Gaps in the data\n\n";
  for (const Gap& g : r.gaps) {
    absl::StrAppend(&out, "- ", OneLine(g.file), ": after ", IsoTime(MsToNs(g.after_open_time_ms)), ", before ",
                    IsoTime(MsToNs(g.next_open_time_ms)), ", ", g.missing_bars, " missing bars\n");
  }
  return out;
}

}  // namespace

std::string ReportMarkdown(const ReportInput& in, const Report& r) {
  std::string out = absl::StrCat("# Backtest report: ", OneLine(in.title.empty() ? "untitled" : in.title), "\n\n");
  absl::StrAppend(&out, "| metric | value |\n|---|---:|\n");
  for (const auto& [metric, value] : MetricRows(r)) absl::StrAppend(&out, "| ", metric, " | ", value, " |\n");
  return absl::StrCat(out, MdRejections(r), MdGaps(r));
}

}  // namespace apollo::replay
