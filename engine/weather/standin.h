// The backtest's stand-in forecast (issue 15 §4): there are no recorded NWS
// forecasts for the recorded Kalshi days, so a backtest forecasts the day's
// high as climatology blended with persistence: the day's normal plus the
// anomaly of the latest high known when deciding, damped by the fit for
// that lead (model.h, fitted on Central Park), with the fit's sigma. A
// high is known only from when it was published (a settled event's high
// from its settlement time): the day being forecast is never seen before
// it settled, so no decision can use the high it is betting on.
//
//   Standin s(normals, fits);                 // fits for leads 1, 2, 3, ...
//   s.Learn(absl::CivilDay(2025, 3, 28), 81, settled_ms);
//   std::optional<StandinForecast> f = s.At(absl::CivilDay(2025, 3, 29), now_ms);
#ifndef APOLLO_ENGINE_WEATHER_STANDIN_H_
#define APOLLO_ENGINE_WEATHER_STANDIN_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/weather/model.h"

namespace apollo::weather {

struct StandinForecast {
  double high_f = 0, sigma_f = 0;
  int lead_days = 0;
  std::string detail;  // how it was made, journaled with it
};

class Standin {
 public:
  // `fits` by lead (fits[0] is lead 1); a longer lead uses the last one.
  Standin(Normals normals, std::vector<ErrorFit> fits);
  // The high of `day`, known from `known_from_ms` on.
  void Learn(absl::CivilDay day, double high_f, int64_t known_from_ms);
  // The forecast of `day` made at `now_ms` from what was known then; none
  // without a normal for the day or a known high before it.
  std::optional<StandinForecast> At(absl::CivilDay day, int64_t now_ms) const;

 private:
  struct Known {
    double high_f = 0;
    int64_t known_from_ms = 0;
  };
  Normals normals_;
  std::vector<ErrorFit> fits_;
  std::map<absl::CivilDay, Known> known_;
};

// A climatology from observed highs, for a station without published
// normals: each calendar day's mean high over the days within
// `window_days` of it in every year of `history` (at least 30 of them,
// else the day is left out).
Normals ClimatologyOf(const std::vector<DailyHigh>& history, int window_days);

}  // namespace apollo::weather

#endif  // APOLLO_ENGINE_WEATHER_STANDIN_H_
