// The cities weather_high_v1 can trade (FACTS §8): each one's Kalshi series,
// the station whose NWS climate report settles it, and its cluster for the
// exposure limits. Settlement stations are the rules text's, not Milkbot's
// city centres: Chicago settles on Midway (KMDW), Los Angeles is KXHIGHLAX.
// Climate days are the station's local standard time (no daylight saving).
// Pure data.
#ifndef APOLLO_ENGINE_WEATHER_CITIES_H_
#define APOLLO_ENGINE_WEATHER_CITIES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace apollo::weather {

struct City {
  std::string code;     // NYC: weather.cities
  std::string name;
  std::string series;   // KXHIGHNY
  std::string station;  // KNYC: the settlement station (ICAO)
  std::string ghcn_id;  // USW00094728
  std::string cluster;  // NE, SE, Midwest, Mountain, West
  double latitude = 0, longitude = 0;  // the station: where its NWS grid is looked up
  int standard_utc_offset_hours = 0;   // -5 for New York: climate days run 00:00-24:00 at this offset
};

const std::vector<City>& Cities();
// nullptr when unknown.
const City* CityByCode(absl::string_view code);
const City* CityBySeries(absl::string_view series);

}  // namespace apollo::weather

#endif  // APOLLO_ENGINE_WEATHER_CITIES_H_
