// api.weather.gov answers read into plain structs (issue 15 §3), and the
// forecast high of one climate day from them. Pure: no I/O (the client is
// nws_client.h).
//
//   ASSIGN_OR_RETURN(GridPoint grid, ParsePoints(body));         // /points/{lat},{lon}
//   ASSIGN_OR_RETURN(NwsForecast f, ParseForecast(body));        // /gridpoints/.../forecast
//   std::optional<DayHigh> high = DailyHighOf(f, day, -5);        // New York's climate day
//
// Temperatures come as a number with temperatureUnit (F or C), or in the
// "quantitative value" form {"unitCode": "wmoUnit:degC", "value": 17.8};
// both read. A missing or malformed field is refused in one line naming it.
#ifndef APOLLO_ENGINE_WEATHER_NWS_H_
#define APOLLO_ENGINE_WEATHER_NWS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace apollo::weather {

// Where a point's forecasts are: its forecast office's grid.
struct GridPoint {
  std::string office;  // gridId: BOU
  int64_t x = 0, y = 0;
  std::string time_zone;  // America/Denver
};
absl::StatusOr<GridPoint> ParsePoints(absl::string_view body);

struct ForecastPeriod {
  std::string name;  // "Today", "Tuesday Night"; "" in the hourly forecast
  int64_t start_ms = 0, end_ms = 0;
  bool daytime = false;
  double temperature_f = 0;
};

struct NwsForecast {
  int64_t updated_ms = 0;  // updateTime: when the office last made it
  std::vector<ForecastPeriod> periods;
};
// /forecast (12-hour periods) or /forecast/hourly.
absl::StatusOr<NwsForecast> ParseForecast(absl::string_view body);

struct DayHigh {
  double high_f = 0;
  std::string detail;  // "Today: 64 F" (12-hour) or "hourly max 66 F over 24 h"
};
// The forecast high of `day`, a climate day of the station's local standard
// time (00:00 to 24:00 at `standard_utc_offset_hours`, no daylight saving,
// as the NWS climate report counts it): the daytime 12-hour period that
// begins in it, else the highest hourly temperature over it when the
// hourly forecast covers at least 12 of its hours; none otherwise.
std::optional<DayHigh> DailyHighOf(const NwsForecast& forecast, absl::CivilDay day, int standard_utc_offset_hours);

}  // namespace apollo::weather

#endif  // APOLLO_ENGINE_WEATHER_NWS_H_
