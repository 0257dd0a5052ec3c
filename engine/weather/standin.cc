#include "engine/weather/standin.h"

#include <utility>

#include "absl/strings/str_format.h"

namespace apollo::weather {

Standin::Standin(Normals normals, std::vector<ErrorFit> fits) : normals_(std::move(normals)), fits_(std::move(fits)) {}

void Standin::Learn(absl::CivilDay day, double high_f, int64_t known_from_ms) {
  known_[day] = Known{high_f, known_from_ms};
}

std::optional<StandinForecast> Standin::At(absl::CivilDay day, int64_t now_ms) const {
  const std::optional<double> normal = NormalOf(normals_, day);
  if (!normal || fits_.empty()) return std::nullopt;
  // The latest day before `day` whose high was known by now.
  for (auto it = known_.lower_bound(day); it != known_.begin();) {
    --it;
    if (it->second.known_from_ms > now_ms) continue;
    const std::optional<double> last_normal = NormalOf(normals_, it->first);
    if (!last_normal) return std::nullopt;
    const int lead = static_cast<int>(day - it->first);
    const ErrorFit& fit = fits_[std::min<size_t>(static_cast<size_t>(lead), fits_.size()) - 1];
    StandinForecast f;
    f.high_f = StandinHigh(*normal, fit, it->second.high_f, *last_normal);
    f.sigma_f = fit.sigma_f;
    f.lead_days = lead;
    f.detail = absl::StrFormat("standin: normal %.1f F + %.2f F + %.3f x (%.0f F on %s - normal %.1f F), lead %d d",
                               *normal, fit.intercept_f, fit.slope, it->second.high_f,
                               absl::FormatCivilTime(it->first), *last_normal, lead);
    return f;
  }
  return std::nullopt;
}

Normals ClimatologyOf(const std::vector<DailyHigh>& history, int window_days) {
  Normals out;
  for (int doy = 0; doy < 366; ++doy) {
    const absl::CivilDay target = absl::CivilDay(2000, 1, 1) + doy;  // 2000 is a leap year
    double sum = 0;
    int n = 0;
    for (const DailyHigh& h : history) {
      // The same calendar day in h's year or a year beside it (the window
      // crosses New Year), and its distance from h.
      for (int64_t year = h.day.year() - 1; year <= h.day.year() + 1; ++year) {
        const absl::CivilDay same(year, target.month(), target.day());
        if (same.month() != target.month()) continue;  // 02-29 of a common year
        const int64_t apart = h.day - same;
        if (apart >= -window_days && apart <= window_days) {
          sum += h.high_f;
          ++n;
        }
      }
    }
    if (n >= 30) out[absl::StrFormat("%02d-%02d", target.month(), target.day())] = sum / n;
  }
  return out;
}

}  // namespace apollo::weather
