// Helpers shared by the report's figures (report.cc) and its chart
// (report_svg.cc): units, number and time formatting, the underwater curve.
// Internal to replay/report*.cc.
#ifndef APOLLO_REPLAY_REPORT_INTERNAL_H_
#define APOLLO_REPLAY_REPORT_INTERNAL_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "replay/report.h"

namespace apollo::replay {

constexpr int64_t kHourNs = int64_t{3'600} * 1'000'000'000;
constexpr int64_t kDayNs = 24 * kHourNs;
constexpr double kDaysPerYear = 365.0;
constexpr absl::string_view kCurrency = "USDT";

// ---------------------------------------------------------------------------
// Small numeric and time helpers.

inline double Finite(double x) { return std::isfinite(x) ? x : 0.0; }
inline double Ratio(double num, double den) { return den == 0 ? 0.0 : Finite(num / den); }

// Rounds away values that would print as "-0.00" at `decimals` places.
inline double Clean(double x, int decimals) {
  x = Finite(x);
  return std::abs(x) < 0.5 * std::pow(10.0, -decimals) ? 0.0 : x;
}

inline int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

inline std::string FormatTs(int64_t ts_ns, const char* format) {
  return absl::FormatTime(format, absl::FromUnixNanos(ts_ns), absl::UTCTimeZone());
}
inline std::string IsoTime(int64_t ts_ns) { return FormatTs(ts_ns, "%Y-%m-%dT%H:%M:%SZ"); }
inline int64_t MsToNs(int64_t ms) { return ms * 1'000'000; }

// "-12,345.67": fixed decimals with thousands separators.
inline std::string Grouped(double v, int decimals) {
  const std::string s = absl::StrFormat("%.*f", decimals, Clean(v, decimals));
  const size_t begin = s[0] == '-' ? 1 : 0, end = std::min(s.find('.'), s.size());
  std::string out = s.substr(0, begin);
  for (size_t i = begin; i < end; ++i) {
    if (i > begin && (end - i) % 3 == 0) out.push_back(',');
    out.push_back(s[i]);
  }
  return out + s.substr(end);
}

// The running peak starts at the initial equity, at the period's start.
inline int64_t StartNs(const ReportInput& in) {
  if (in.from_ns != 0 || in.equity.empty()) return in.from_ns;
  return in.equity.front().ts_ns;
}

// Percent below the running peak at each equity point (<= 0).
inline std::vector<double> UnderwaterPct(const ReportInput& in) {
  std::vector<double> pct;
  Fixed peak = in.initial_equity;
  for (const EquityPoint& p : in.equity) {
    peak = std::max(peak, p.equity);
    pct.push_back(peak.raw() > 0 ? Finite((p.equity - peak).ToDouble() / peak.ToDouble() * 100) : 0.0);
  }
  return pct;
}

inline std::string Money(double v) { return absl::StrCat(Grouped(v, 2), " ", kCurrency); }
inline std::string Pct(double v) { return absl::StrCat(Grouped(v, 2), " %"); }
inline std::string MdTime(int64_t ts_ns) { return ts_ns == 0 ? "-" : IsoTime(ts_ns); }

}  // namespace apollo::replay

#endif  // APOLLO_REPLAY_REPORT_INTERNAL_H_
