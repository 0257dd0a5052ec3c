#include "engine/weather/model.h"

#include <cmath>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace apollo::weather {
namespace {

double Phi(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// The whole degrees a strike type admits: [lo, hi], nullopt for an open end.
struct Degrees {
  std::optional<double> lo, hi;
};

std::optional<Degrees> Admitted(const ContractTerms& t) {
  const double floor = t.floor_strike.ToDouble(), cap = t.cap_strike.ToDouble();
  switch (t.strike_type) {
    case StrikeType::kGreater: return Degrees{std::floor(floor) + 1, std::nullopt};
    case StrikeType::kGreaterOrEqual: return Degrees{std::ceil(floor), std::nullopt};
    case StrikeType::kLess: return Degrees{std::nullopt, std::ceil(cap) - 1};
    case StrikeType::kLessOrEqual: return Degrees{std::nullopt, std::floor(cap)};
    case StrikeType::kBetween: return Degrees{std::ceil(floor), std::floor(cap)};
    case StrikeType::kNone: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

Fixed Hundredths(double degrees_f) { return Fixed::FromDouble(degrees_f).RoundTo(Fixed::FromRaw(1'000'000)); }

double ProbabilityYes(const ContractTerms& terms, double forecast_f, double sigma_f) {
  const std::optional<Degrees> d = Admitted(terms);
  if (!d || sigma_f <= 0) return 0;
  if (d->lo && d->hi && *d->hi < *d->lo) return 0;
  const double upper = d->hi ? Phi((*d->hi + 0.5 - forecast_f) / sigma_f) : 1.0;
  const double lower = d->lo ? Phi((*d->lo - 0.5 - forecast_f) / sigma_f) : 0.0;
  return std::max(0.0, upper - lower);
}

std::optional<double> NormalOf(const Normals& normals, absl::CivilDay day) {
  std::string mmdd = absl::StrFormat("%02d-%02d", day.month(), day.day());
  auto it = normals.find(mmdd);
  if (it == normals.end() && mmdd == "02-29") it = normals.find("02-28");
  if (it == normals.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<ErrorFit> FitPersistence(const std::vector<DailyHigh>& history, const Normals& normals, int lead_days) {
  if (lead_days < 1) return absl::InvalidArgumentError(absl::StrCat("lead of ", lead_days, " days: at least 1"));
  absl::btree_map<absl::CivilDay, double> anomaly;  // by day: the sums below add in one order
  for (const DailyHigh& h : history) {
    if (std::optional<double> n = NormalOf(normals, h.day)) anomaly[h.day] = h.high_f - *n;
  }
  // Least squares of the day's anomaly y on the anomaly lead days before x.
  std::vector<std::pair<double, double>> xy;
  for (const auto& [day, y] : anomaly) {
    auto before = anomaly.find(day - lead_days);
    if (before != anomaly.end()) xy.emplace_back(before->second, y);
  }
  if (xy.size() < 30) {
    return absl::InvalidArgumentError(
        absl::StrCat("only ", xy.size(), " days with a high ", lead_days, " days before: at least 30 to fit"));
  }
  double sx = 0, sy = 0;
  for (auto [x, y] : xy) sx += x, sy += y;
  const double n = static_cast<double>(xy.size()), mx = sx / n, my = sy / n;
  double sxx = 0, sxy = 0;
  for (auto [x, y] : xy) sxx += (x - mx) * (x - mx), sxy += (x - mx) * (y - my);
  ErrorFit fit;
  fit.lead_days = lead_days;
  fit.n = xy.size();
  fit.slope = sxx > 0 ? sxy / sxx : 0;
  fit.intercept_f = my - fit.slope * mx;
  double sse = 0;
  for (auto [x, y] : xy) {
    const double e = y - (fit.intercept_f + fit.slope * x);
    sse += e * e;
  }
  fit.sigma_f = std::sqrt(sse / (n - 2));
  return fit;
}

double StandinHigh(double normal_f, const ErrorFit& fit, double last_high_f, double last_normal_f) {
  return normal_f + fit.intercept_f + fit.slope * (last_high_f - last_normal_f);
}

}  // namespace apollo::weather
