// The weather history the model is fitted on (data/nws): a station's
// observed daily highs and its climate normals. Reads files.
//
//   ASSIGN_OR_RETURN(std::vector<DailyHigh> nyc, ReadDailyHighs(path, "KNYC"));
//   ASSIGN_OR_RETURN(Normals normals, ReadNormals(normals_path));
#ifndef APOLLO_ENGINE_WEATHER_HISTORY_H_
#define APOLLO_ENGINE_WEATHER_HISTORY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/weather/model.h"

namespace apollo::weather {

// The rows of `station_icao` in a GHCN daily-high file (header
// date,station_icao,tmax_f at least), by day; a day twice is refused.
absl::StatusOr<std::vector<DailyHigh>> ReadDailyHighs(const std::string& path, const std::string& station_icao);

// A normals file (header mmdd,tmax_normal_f at least): the normal daily
// high by MM-DD.
absl::StatusOr<Normals> ReadNormals(const std::string& path);

}  // namespace apollo::weather

#endif  // APOLLO_ENGINE_WEATHER_HISTORY_H_
