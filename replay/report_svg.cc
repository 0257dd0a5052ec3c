// equity.svg of the backtest report; see report.h.
#include <algorithm>
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
#include "replay/report.h"
#include "replay/report_internal.h"

namespace apollo::replay {

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
