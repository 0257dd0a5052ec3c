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

namespace apollo::replay {
namespace {

constexpr int64_t kHourNs = int64_t{3'600} * 1'000'000'000;
constexpr int64_t kDayNs = 24 * kHourNs;
constexpr double kDaysPerYear = 365.0;
constexpr absl::string_view kCurrency = "USDT";

// ---------------------------------------------------------------------------
// Small numeric and time helpers.

double Finite(double x) { return std::isfinite(x) ? x : 0.0; }
double Ratio(double num, double den) { return den == 0 ? 0.0 : Finite(num / den); }

// Rounds away values that would print as "-0.00" at `decimals` places.
double Clean(double x, int decimals) {
  x = Finite(x);
  return std::abs(x) < 0.5 * std::pow(10.0, -decimals) ? 0.0 : x;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

std::string FormatTs(int64_t ts_ns, const char* format) {
  return absl::FormatTime(format, absl::FromUnixNanos(ts_ns), absl::UTCTimeZone());
}
std::string IsoTime(int64_t ts_ns) { return FormatTs(ts_ns, "%Y-%m-%dT%H:%M:%SZ"); }
int64_t MsToNs(int64_t ms) { return ms * 1'000'000; }

// "-12,345.67": fixed decimals with thousands separators.
std::string Grouped(double v, int decimals) {
  const std::string s = absl::StrFormat("%.*f", decimals, Clean(v, decimals));
  const size_t begin = s[0] == '-' ? 1 : 0, end = std::min(s.find('.'), s.size());
  std::string out = s.substr(0, begin);
  for (size_t i = begin; i < end; ++i) {
    if (i > begin && (end - i) % 3 == 0) out.push_back(',');
    out.push_back(s[i]);
  }
  return out + s.substr(end);
}

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

// The running peak starts at the initial equity, at the period's start.
int64_t StartNs(const ReportInput& in) {
  if (in.from_ns != 0 || in.equity.empty()) return in.from_ns;
  return in.equity.front().ts_ns;
}

// Percent below the running peak at each equity point (<= 0).
std::vector<double> UnderwaterPct(const ReportInput& in) {
  std::vector<double> pct;
  Fixed peak = in.initial_equity;
  for (const EquityPoint& p : in.equity) {
    peak = std::max(peak, p.equity);
    pct.push_back(peak.raw() > 0 ? Finite((p.equity - peak).ToDouble() / peak.ToDouble() * 100) : 0.0);
  }
  return pct;
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

std::string Money(double v) { return absl::StrCat(Grouped(v, 2), " ", kCurrency); }
std::string Pct(double v) { return absl::StrCat(Grouped(v, 2), " %"); }
std::string Plain(double v) { return Grouped(v, 2); }
std::string MdTime(int64_t ts_ns) { return ts_ns == 0 ? "-" : IsoTime(ts_ns); }

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

// ---------------------------------------------------------------------------
// equity.svg: the equity curve above, the underwater drawdown below, sharing
// a dated x axis; trades marked where they opened and closed.

namespace {

constexpr int kSvgWidth = 960, kSvgHeight = 540;
constexpr size_t kMaxCurvePoints = 4000;
constexpr char kEquityColor[] = "#1f77b4", kWinColor[] = "#2ca02c", kLossColor[] = "#d62728";
constexpr char kDrawdownColor[] = "#e4572e";

struct Box {
  double left, top, right, bottom;
};
constexpr Box kEquityBox{90, 56, 890, 330};
constexpr Box kUnderwaterBox{90, 356, 890, 486};

struct Sample {
  int64_t ts_ns;
  double value;
};

// A value axis: its range and the round values ticked on it.
struct Axis {
  double lo = 0, hi = 1;
  std::vector<double> ticks;
  int decimals = 0;
};

struct Frame {
  int64_t t0_ns = 0, t1_ns = 1;
  Axis equity, underwater;
};

std::string Xml(absl::string_view s) {
  return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&apos;"}});
}

double Lerp(double v, double lo, double hi, double a, double b) { return hi == lo ? a : a + (v - lo) / (hi - lo) * (b - a); }
double X(const Frame& f, int64_t ts_ns) {
  return Lerp(static_cast<double>(ts_ns - f.t0_ns), 0, static_cast<double>(f.t1_ns - f.t0_ns), kEquityBox.left,
              kEquityBox.right);
}
double Y(const Axis& a, const Box& box, double v) { return Lerp(v, a.lo, a.hi, box.bottom, box.top); }

// Fewest decimals that print `step` exactly (0.25 -> 2).
int DecimalsOf(double step) {
  for (int d = 0; d < 8; ++d) {
    const double scaled = step * std::pow(10.0, d);
    if (std::abs(scaled - std::round(scaled)) < 1e-6) return d;
  }
  return 8;
}

Axis AxisWithStep(double lo, double hi, double step) {
  Axis a;
  a.lo = std::floor(lo / step) * step;
  a.hi = std::ceil(hi / step) * step;
  const long intervals = std::min(std::lround((a.hi - a.lo) / step), 64L);
  for (long i = 0; i <= intervals; ++i) a.ticks.push_back(Clean(a.lo + static_cast<double>(i) * step, 10));
  a.decimals = DecimalsOf(step);
  return a;
}

// 4-6 round ticks (1, 2, 2.5, 5 x 10^k) covering [lo, hi]; the axis is
// widened to its outer ticks.
Axis NiceAxis(double lo, double hi) {
  if (!(hi - lo > 1e-7 * std::max(1.0, std::abs(hi)))) {
    const double pad = std::max(std::abs(hi) * 0.01, 1.0);
    lo -= pad;
    hi += pad;
  }
  const double magnitude = std::pow(10.0, std::floor(std::log10((hi - lo) / 5)));
  Axis fallback;
  for (const double m : {0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0, 20.0, 25.0, 50.0}) {
    Axis a = AxisWithStep(lo, hi, m * magnitude);
    if (a.ticks.size() >= 4 && a.ticks.size() <= 6) return a;
    if (fallback.ticks.empty() && a.ticks.size() <= 6) fallback = a;
  }
  return fallback.ticks.empty() ? AxisWithStep(lo, hi, hi - lo) : fallback;
}

// The equity as drawn: the initial equity at the start, then every point.
std::vector<Sample> EquitySeries(const ReportInput& in) {
  std::vector<Sample> s;
  if (in.from_ns != 0 || in.equity.empty()) s.push_back({StartNs(in), in.initial_equity.ToDouble()});
  for (const EquityPoint& p : in.equity) s.push_back({p.ts_ns, p.equity.ToDouble()});
  return s;
}

std::vector<Sample> UnderwaterSeries(const ReportInput& in) {
  std::vector<Sample> s;
  if (in.from_ns != 0 || in.equity.empty()) s.push_back({StartNs(in), 0.0});
  const std::vector<double> pct = UnderwaterPct(in);
  for (size_t i = 0; i < pct.size(); ++i) s.push_back({in.equity[i].ts_ns, pct[i]});
  return s;
}

// At most `max_points`: per bucket of consecutive samples, the lowest and the
// highest in time order, so dips and spikes survive.
std::vector<Sample> Downsample(const std::vector<Sample>& s, size_t max_points) {
  if (s.size() <= max_points) return s;
  const size_t buckets = max_points / 2;
  std::vector<Sample> out;
  for (size_t b = 0; b < buckets; ++b) {
    const auto first = s.begin() + static_cast<std::ptrdiff_t>(b * s.size() / buckets);
    const auto last = s.begin() + static_cast<std::ptrdiff_t>((b + 1) * s.size() / buckets);
    const auto [lo, hi] = std::minmax_element(first, last, [](const Sample& a, const Sample& c) { return a.value < c.value; });
    out.push_back(lo < hi ? *lo : *hi);
    if (lo != hi) out.push_back(lo < hi ? *hi : *lo);
  }
  return out;
}

Frame MakeFrame(const ReportInput& in, const std::vector<Sample>& equity, const std::vector<Sample>& underwater) {
  Frame f;
  f.t0_ns = std::min(StartNs(in), equity.front().ts_ns);
  f.t1_ns = std::max(in.to_ns, equity.back().ts_ns);
  if (f.t1_ns <= f.t0_ns) f.t1_ns = f.t0_ns + kDayNs;
  const auto [lo, hi] = std::minmax_element(equity.begin(), equity.end(), [](const Sample& a, const Sample& b) { return a.value < b.value; });
  f.equity = NiceAxis(lo->value, hi->value);
  double deepest = 0;
  for (const Sample& s : underwater) deepest = std::min(deepest, s.value);
  f.underwater = NiceAxis(deepest < -1e-9 ? deepest : -1.0, 0.0);
  return f;
}

struct TimeTick {
  int64_t ts_ns;
  std::string label;
};

// Every `hours` hours since the epoch, within [t0, t1]; at most 9.
std::vector<TimeTick> HourTicks(int64_t t0_ns, int64_t t1_ns, int64_t hours) {
  const int64_t step = hours * kHourNs;
  const char* format = hours >= 24 ? "%Y-%m-%d" : "%Y-%m-%d %H:%M";
  std::vector<TimeTick> ticks;
  for (int64_t ts = -FloorDiv(-t0_ns, step) * step; ts <= t1_ns && ticks.size() < 9; ts += step) {
    ticks.push_back({ts, FormatTs(ts, format)});
  }
  return ticks;
}

// The first of every `months`-th month (counted from January), within
// [t0, t1]; at most 9.
std::vector<TimeTick> MonthTicks(int64_t t0_ns, int64_t t1_ns, int months) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  absl::CivilMonth m = absl::ToCivilMonth(absl::FromUnixNanos(t0_ns), utc);
  if (absl::ToUnixNanos(absl::FromCivil(m, utc)) < t0_ns) ++m;
  while ((m.year() * 12 + m.month() - 1) % months != 0) ++m;
  std::vector<TimeTick> ticks;
  for (; ticks.size() < 9; m += months) {
    const int64_t ts = absl::ToUnixNanos(absl::FromCivil(m, utc));
    if (ts > t1_ns) break;
    ticks.push_back({ts, FormatTs(ts, "%Y-%m-%d")});
  }
  return ticks;
}

// 4-8 ticks on round UTC hours, days or months; evenly spaced if none fit.
std::vector<TimeTick> TimeTicks(int64_t t0_ns, int64_t t1_ns) {
  const auto fits = [](const std::vector<TimeTick>& t) { return t.size() >= 4 && t.size() <= 8; };
  for (const int64_t hours : {1, 2, 3, 6, 12, 24, 48, 96, 168, 336}) {
    if (auto ticks = HourTicks(t0_ns, t1_ns, hours); fits(ticks)) return ticks;
  }
  for (const int months : {1, 2, 3, 6, 12, 24, 60, 120}) {
    if (auto ticks = MonthTicks(t0_ns, t1_ns, months); fits(ticks)) return ticks;
  }
  const char* format = t1_ns - t0_ns >= 4 * kDayNs ? "%Y-%m-%d" : "%Y-%m-%d %H:%M";
  std::vector<TimeTick> ticks;
  for (int64_t i = 0; i < 5; ++i) {
    const int64_t ts = t0_ns + (t1_ns - t0_ns) / 4 * i;
    ticks.push_back({ts, FormatTs(ts, format)});
  }
  return ticks;
}

std::string Num(double v) { return absl::StrFormat("%.1f", Clean(v, 1)); }

std::string Points(const Frame& f, const Axis& axis, const Box& box, const std::vector<Sample>& s) {
  std::vector<std::string> parts;
  for (const Sample& p : s) parts.push_back(absl::StrCat(Num(X(f, p.ts_ns)), ",", Num(Y(axis, box, p.value))));
  return absl::StrJoin(parts, " ");
}

void AppendHeader(std::string& out, const ReportInput& in, const Report& r) {
  absl::StrAppendFormat(&out,
                        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                        "font-family=\"sans-serif\" font-size=\"11\">\n",
                        kSvgWidth, kSvgHeight, kSvgWidth, kSvgHeight);
  absl::StrAppendFormat(&out, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", kSvgWidth, kSvgHeight);
  absl::StrAppend(&out, "<text x=\"", kEquityBox.left, "\" y=\"24\" font-size=\"16\" font-weight=\"bold\">",
                  Xml(in.title.empty() ? "Backtest" : in.title), "</text>\n");
  const std::string period = r.from_ns == 0 ? "" : absl::StrCat(MdTime(r.from_ns), " to ", MdTime(r.to_ns), " | ");
  absl::StrAppend(&out, "<text x=\"", kEquityBox.left, "\" y=\"42\" fill=\"#555555\">", period, "net ",
                  Xml(Money(r.net_pnl)), " (", Xml(Pct(r.total_return_pct)), ") | max drawdown ",
                  Xml(Pct(r.max_drawdown_pct)), " | ", r.trades, " trades</text>\n");
}

// Horizontal grid lines with labels left of the panel, and the axis name.
void AppendValueAxis(std::string& out, const Axis& axis, const Box& box, absl::string_view unit) {
  for (const double v : axis.ticks) {
    const std::string y = Num(Y(axis, box, v));
    absl::StrAppend(&out, "<line x1=\"", box.left, "\" y1=\"", y, "\" x2=\"", box.right, "\" y2=\"", y,
                    "\" stroke=\"#e5e5e5\"/>\n");
    absl::StrAppend(&out, "<text x=\"", box.left - 6, "\" y=\"", y, "\" dy=\"4\" text-anchor=\"end\">",
                    Grouped(v, axis.decimals), "</text>\n");
  }
  const std::string mid = Num((box.top + box.bottom) / 2);
  absl::StrAppend(&out, "<text x=\"16\" y=\"", mid, "\" text-anchor=\"middle\" transform=\"rotate(-90 16 ", mid,
                  ")\">", Xml(unit), "</text>\n");
  absl::StrAppend(&out, "<rect x=\"", box.left, "\" y=\"", box.top, "\" width=\"", box.right - box.left,
                  "\" height=\"", box.bottom - box.top, "\" fill=\"none\" stroke=\"#999999\"/>\n");
}

// Vertical grid lines through both panels, dates under the lower one.
void AppendTimeAxis(std::string& out, const Frame& f) {
  for (const TimeTick& t : TimeTicks(f.t0_ns, f.t1_ns)) {
    const std::string x = Num(X(f, t.ts_ns));
    for (const Box& box : {kEquityBox, kUnderwaterBox}) {
      absl::StrAppend(&out, "<line x1=\"", x, "\" y1=\"", box.top, "\" x2=\"", x, "\" y2=\"", box.bottom,
                      "\" stroke=\"#eeeeee\"/>\n");
    }
    absl::StrAppend(&out, "<text class=\"date\" x=\"", x, "\" y=\"", kUnderwaterBox.bottom + 16,
                    "\" text-anchor=\"middle\">", t.label, "</text>\n");
  }
}

void AppendCurves(std::string& out, const Frame& f, const std::vector<Sample>& equity,
                  const std::vector<Sample>& underwater) {
  const std::vector<Sample> dd = Downsample(underwater, kMaxCurvePoints);
  const std::string top = Num(Y(f.underwater, kUnderwaterBox, 0));
  absl::StrAppend(&out, "<polygon class=\"underwater\" fill=\"", kDrawdownColor, "\" fill-opacity=\"0.35\" stroke=\"",
                  kDrawdownColor, "\" stroke-width=\"1\" points=\"", Num(X(f, dd.front().ts_ns)), ",", top, " ",
                  Points(f, f.underwater, kUnderwaterBox, dd), " ", Num(X(f, dd.back().ts_ns)), ",", top, "\"/>\n");
  absl::StrAppend(&out, "<polyline class=\"equity\" fill=\"none\" stroke=\"", kEquityColor,
                  "\" stroke-width=\"1.5\" stroke-linejoin=\"round\" points=\"",
                  Points(f, f.equity, kEquityBox, Downsample(equity, kMaxCurvePoints)), "\"/>\n");
}

// The equity at the first point at or after ts (the bar the event fell in).
double EquityAt(const ReportInput& in, int64_t ts_ns) {
  if (in.equity.empty()) return in.final_equity.ToDouble();
  auto it = std::lower_bound(in.equity.begin(), in.equity.end(), ts_ns,
                             [](const EquityPoint& p, int64_t ts) { return p.ts_ns < ts; });
  return (it == in.equity.end() ? in.equity.back() : *it).equity.ToDouble();
}

// Entries as hollow triangles (up: long, down: short), exits as filled
// circles; green for a win, red for a loss, the trade in a tooltip.
void AppendTrades(std::string& out, const ReportInput& in, const Frame& f) {
  for (const TradeRow& t : in.trades) {
    const Fixed net = t.realized_pnl - t.fees;
    const bool win = net.raw() >= 0, long_side = t.side == Side::kBuy;
    const char* color = win ? kWinColor : kLossColor;
    const char* outcome = win ? "win" : "loss";
    if (t.open_ts_ns != 0) {
      const double x = X(f, t.open_ts_ns), y = Y(f.equity, kEquityBox, EquityAt(in, t.open_ts_ns));
      const double tip = long_side ? -4 : 4;
      absl::StrAppend(&out, "<path class=\"entry ", outcome, "\" d=\"M", Num(x), " ", Num(y + tip), " L", Num(x - 3.5),
                      " ", Num(y - tip), " L", Num(x + 3.5), " ", Num(y - tip), " Z\" fill=\"none\" stroke=\"", color,
                      "\"/>\n");
    }
    absl::StrAppend(&out, "<circle class=\"exit ", outcome, "\" cx=\"", Num(X(f, t.close_ts_ns)), "\" cy=\"",
                    Num(Y(f.equity, kEquityBox, EquityAt(in, t.close_ts_ns))), "\" r=\"3.5\" fill=\"", color,
                    "\" stroke=\"#ffffff\" stroke-width=\"0.5\"><title>",
                    Xml(absl::StrCat(t.symbol, " ", long_side ? "long" : "short", " ", IsoTime(t.close_ts_ns), " ",
                                     Money(net.ToDouble()), " ", t.reason)),
                    "</title></circle>\n");
  }
}

// One row at the top right: each swatch drawn in 0..14 x 15..24, then its name.
void AppendLegend(std::string& out) {
  const std::array<std::pair<std::string, absl::string_view>, 5> items = {{
      {absl::StrCat("<line x1=\"0\" y1=\"20\" x2=\"14\" y2=\"20\" stroke=\"", kEquityColor,
                    "\" stroke-width=\"2\"/>"),
       "equity"},
      {absl::StrCat("<rect x=\"0\" y=\"15\" width=\"14\" height=\"9\" fill=\"", kDrawdownColor,
                    "\" fill-opacity=\"0.35\"/>"),
       "drawdown"},
      {absl::StrCat("<circle cx=\"7\" cy=\"20\" r=\"3.5\" fill=\"", kWinColor, "\"/>"), "winning exit"},
      {absl::StrCat("<circle cx=\"7\" cy=\"20\" r=\"3.5\" fill=\"", kLossColor, "\"/>"), "losing exit"},
      {"<path d=\"M7 15 L3 23 L11 23 Z\" fill=\"none\" stroke=\"#555555\"/>", "entry"},
  }};
  const auto width = [](absl::string_view label) { return 30 + 6.2 * static_cast<double>(label.size()); };
  double x = kEquityBox.right;
  for (const auto& item : items) x -= width(item.second);
  absl::StrAppend(&out, "<g class=\"legend\">\n");
  for (const auto& [swatch, label] : items) {
    absl::StrAppend(&out, "<g transform=\"translate(", Num(x), " 0)\">", swatch, "<text x=\"18\" y=\"24\">", label,
                    "</text></g>\n");
    x += width(label);
  }
  absl::StrAppend(&out, "</g>\n");
}

// Said in the plot rather than left as an empty frame.
void AppendNoDataNote(std::string& out, const ReportInput& in) {
  if (!in.equity.empty()) return;
  absl::StrAppend(&out, "<text x=\"", Num((kEquityBox.left + kEquityBox.right) / 2), "\" y=\"",
                  Num((kEquityBox.top + kEquityBox.bottom) / 2), "\" text-anchor=\"middle\" fill=\"#777777\">",
                  "no equity points</text>\n");
}

}  // namespace

std::string EquitySvg(const ReportInput& in, const Report& r) {
  const std::vector<Sample> equity = EquitySeries(in), underwater = UnderwaterSeries(in);
  const Frame f = MakeFrame(in, equity, underwater);
  std::string out;
  AppendHeader(out, in, r);
  AppendLegend(out);
  AppendTimeAxis(out, f);
  AppendValueAxis(out, f.equity, kEquityBox, absl::StrCat("Equity (", kCurrency, ")"));
  AppendValueAxis(out, f.underwater, kUnderwaterBox, "Drawdown (%)");
  AppendCurves(out, f, equity, underwater);
  AppendTrades(out, in, f);
  AppendNoDataNote(out, in);
  absl::StrAppend(&out, "</svg>\n");
  return out;
}

}  // namespace apollo::replay
