// The weather strategy's arithmetic (issue 15 §3): how likely a Kalshi
// daily-high market is to resolve YES given a forecast high and its error,
// the stand-in forecast backtests use where no recorded forecast exists,
// and that forecast's error fitted on history, by lead time. Pure: no I/O,
// no clock; doubles only here, where probabilities are computed.
//
//   ErrorFit fit = FitPersistence(history, normals, /*lead_days=*/1);   // on Central Park
//   double mu = StandinHigh(normal_f, fit, last_high_f, last_normal_f); // normal + persisted anomaly
//   double p = ProbabilityYes(terms, mu, fit.sigma_f);                  // whole-degree settlement
#ifndef APOLLO_ENGINE_WEATHER_MODEL_H_
#define APOLLO_ENGINE_WEATHER_MODEL_H_

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "engine/domain/events.h"

namespace apollo::weather {

// The probability that the day's high, Normal(forecast_f, sigma_f) and
// reported in whole degrees F (the NWS climate report Kalshi settles on),
// makes `terms` resolve YES: a whole degree n is reported for a true high
// in [n - 0.5, n + 0.5), so `between 81 82` is P(80.5 <= high < 82.5),
// `greater 79` is P(high >= 79.5), `less 84` is P(high < 83.5). Bounds come
// from the terms' strikes (fractional strikes resolve on the whole degrees
// they admit). 0 for a strike type it cannot price; sigma_f > 0.
double ProbabilityYes(const ContractTerms& terms, double forecast_f, double sigma_f);

// A forecast figure (a high, a sigma, degrees F) as ForecastObserved
// journals it: to the hundredth.
Fixed Hundredths(double degrees_f);

// A station's climatology: the normal daily high by calendar day (MM-DD,
// 02-29 included).
using Normals = absl::btree_map<std::string, double>;

// One observed daily high.
struct DailyHigh {
  absl::CivilDay day;
  double high_f = 0;
};

// How well "normal + persisted anomaly" forecasts the high `lead_days`
// ahead, fitted by least squares on history: the forecast is
//   normal(day) + intercept_f + slope x (high(day - lead) - normal(day - lead))
// and sigma_f is the standard deviation of its errors (n - 2 degrees of
// freedom); n the pairs it was fitted on.
struct ErrorFit {
  int lead_days = 1;
  double intercept_f = 0, slope = 0, sigma_f = 0;
  size_t n = 0;
};

// Fits the stand-in on `history` (any order; days without their lead day
// or a normal are skipped). InvalidArgument with fewer than 30 pairs or
// lead_days < 1.
absl::StatusOr<ErrorFit> FitPersistence(const std::vector<DailyHigh>& history, const Normals& normals, int lead_days);

// The stand-in forecast of a day's high (backtests, where no recorded NWS
// forecast exists): the day's normal, plus the fit's intercept, plus the
// persisted anomaly of the last high known when deciding.
double StandinHigh(double normal_f, const ErrorFit& fit, double last_high_f, double last_normal_f);

// The normal of `day` (02-29 falls back to 02-28), if the table has it.
std::optional<double> NormalOf(const Normals& normals, absl::CivilDay day);

}  // namespace apollo::weather

#endif  // APOLLO_ENGINE_WEATHER_MODEL_H_
