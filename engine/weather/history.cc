#include "engine/weather/history.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/data/csv_table.h"
#include "engine/domain/status_macros.h"

namespace apollo::weather {

absl::StatusOr<std::vector<DailyHigh>> ReadDailyHighs(const std::string& path, const std::string& station_icao) {
  ASSIGN_OR_RETURN(data::CsvTable t, data::CsvTable::Open(path, {"date", "station_icao", "tmax_f"}));
  std::vector<DailyHigh> out;
  while (true) {
    ASSIGN_OR_RETURN(bool more, t.Next());
    if (!more) break;
    if (t.Cell("station_icao") != station_icao) continue;
    DailyHigh h;
    if (!absl::ParseCivilTime(t.Cell("date"), &h.day)) return t.Bad("date", "is not a YYYY-MM-DD day");
    ASSIGN_OR_RETURN(const Fixed f, t.Decimal("tmax_f"));
    if (f < Fixed::FromInt(-100) || f > Fixed::FromInt(150)) return t.Bad("tmax_f", "is not a temperature");
    h.high_f = f.ToDouble();
    out.push_back(h);
  }
  std::sort(out.begin(), out.end(), [](const DailyHigh& a, const DailyHigh& b) { return a.day < b.day; });
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].day == out[i - 1].day) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", station_icao, " has ", absl::FormatCivilTime(out[i].day), " twice"));
    }
  }
  return out;
}

absl::StatusOr<Normals> ReadNormals(const std::string& path) {
  ASSIGN_OR_RETURN(data::CsvTable t, data::CsvTable::Open(path, {"mmdd", "tmax_normal_f"}));
  Normals out;
  while (true) {
    ASSIGN_OR_RETURN(bool more, t.Next());
    if (!more) break;
    const std::string& mmdd = t.Cell("mmdd");
    absl::CivilDay day;
    if (mmdd.size() != 5 || !absl::ParseCivilTime(absl::StrCat("2000-", mmdd), &day)) {
      return t.Bad("mmdd", "is not a MM-DD day");
    }
    ASSIGN_OR_RETURN(const Fixed f, t.Decimal("tmax_normal_f"));
    if (!out.emplace(mmdd, f.ToDouble()).second) return t.Bad("mmdd", "appears twice");
  }
  return out;
}

}  // namespace apollo::weather
