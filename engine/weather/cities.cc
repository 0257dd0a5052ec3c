#include "engine/weather/cities.h"

namespace apollo::weather {

const std::vector<City>& Cities() {
  // Station coordinates: KNYC from NCEI's normals file (data/nws); the
  // others as published for the ASOS stations (not checked offline).
  static const std::vector<City>* const kCities = new std::vector<City>{
      {"AUS", "Austin", "KXHIGHAUS", "KAUS", "USW00013904", "SE", 30.1831, -97.6799, -6},
      {"CHI", "Chicago", "KXHIGHCHI", "KMDW", "USW00014819", "Midwest", 41.7861, -87.7522, -6},
      {"DEN", "Denver", "KXHIGHDEN", "KDEN", "USW00003017", "Mountain", 39.8467, -104.6562, -7},
      {"LAX", "Los Angeles", "KXHIGHLAX", "KLAX", "USW00023174", "West", 33.9382, -118.3866, -8},
      {"MIA", "Miami", "KXHIGHMIA", "KMIA", "USW00012839", "SE", 25.7881, -80.3169, -5},
      {"NYC", "New York", "KXHIGHNY", "KNYC", "USW00094728", "NE", 40.7789, -73.9692, -5},
      {"PHIL", "Philadelphia", "KXHIGHPHIL", "KPHL", "USW00013739", "NE", 39.8683, -75.2311, -5},
  };
  return *kCities;
}

const City* CityByCode(absl::string_view code) {
  for (const City& c : Cities()) {
    if (c.code == code) return &c;
  }
  return nullptr;
}

const City* CityBySeries(absl::string_view series) {
  for (const City& c : Cities()) {
    if (c.series == series) return &c;
  }
  return nullptr;
}

}  // namespace apollo::weather
