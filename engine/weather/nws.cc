#include "engine/weather/nws.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "engine/domain/status_macros.h"
#include "engine/venue/json_fields.h"

namespace apollo::weather {
namespace {

struct NwsName {
  static constexpr absl::string_view kName = "nws";
};
using Fields = venue::payload::Fields<NwsName>;
using Json = venue::payload::Json<NwsName>;
namespace od = simdjson::ondemand;

absl::StatusOr<int64_t> TimeMs(Fields& f, absl::string_view field) {
  ASSIGN_OR_RETURN(std::string text, f.Str(field));
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err)) return f.Error(field, absl::StrCat("not a time: '", text, "'"));
  return absl::ToUnixMillis(t);
}

// A temperature in F: a number with temperatureUnit, or {unitCode, value}.
absl::StatusOr<double> TemperatureF(Fields& f) {
  od::value v;
  ASSIGN_OR_RETURN(bool found, f.Find("temperature", &v));
  if (!found) return f.Error("temperature", "missing");
  double value = 0;
  std::string unit;
  od::json_type type;
  if (v.type().get(type)) return f.Error("temperature", "malformed");
  if (type == od::json_type::object) {
    od::object o;
    if (v.get_object().get(o)) return f.Error("temperature", "malformed");
    Fields q(o, absl::StrCat(f.what(), " temperature"));
    ASSIGN_OR_RETURN(std::string code, q.Str("unitCode"));
    od::value number;
    ASSIGN_OR_RETURN(bool has, q.Find("value", &number));
    if (!has || number.get_double().get(value)) return q.Error("value", "not a number");
    if (code == "wmoUnit:degC") {
      unit = "C";
    } else if (code == "wmoUnit:degF") {
      unit = "F";
    } else {
      return q.Error("unitCode", absl::StrCat("not a temperature unit: '", code, "'"));
    }
  } else {
    if (v.get_double().get(value)) return f.Error("temperature", "not a number");
    ASSIGN_OR_RETURN(unit, f.Str("temperatureUnit"));
  }
  if (!std::isfinite(value)) return f.Error("temperature", "not finite");
  if (unit == "C") return value * 9.0 / 5.0 + 32.0;
  if (unit == "F") return value;
  return f.Error("temperatureUnit", absl::StrCat("neither F nor C: '", unit, "'"));
}

// A GeoJSON answer's "properties" object (where NWS puts everything).
absl::Status Properties(Json& doc, absl::string_view what, od::object* props) {
  od::object root;
  RETURN_IF_ERROR(doc.Object(what, &root));
  Fields r(root, std::string(what));
  od::value v;
  ASSIGN_OR_RETURN(bool found, r.Find("properties", &v));
  if (!found || v.get_object().get(*props)) return r.Error("properties", "missing");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<GridPoint> ParsePoints(absl::string_view body) {
  Json doc(body);
  od::object props;
  RETURN_IF_ERROR(Properties(doc, "points", &props));
  Fields p(props, "points properties");
  GridPoint g;
  ASSIGN_OR_RETURN(g.office, p.Str("gridId"));
  ASSIGN_OR_RETURN(g.x, p.Int("gridX"));
  ASSIGN_OR_RETURN(g.y, p.Int("gridY"));
  ASSIGN_OR_RETURN(g.time_zone, p.StrOr("timeZone", ""));
  if (g.office.empty() || g.office.size() > 4 || g.x < 0 || g.y < 0) return p.Error("gridId", "not a forecast grid");
  return g;
}

absl::StatusOr<NwsForecast> ParseForecast(absl::string_view body) {
  Json doc(body);
  od::object props;
  RETURN_IF_ERROR(Properties(doc, "forecast", &props));
  Fields p(props, "forecast properties");
  NwsForecast out;
  ASSIGN_OR_RETURN(out.updated_ms, TimeMs(p, "updateTime"));
  ASSIGN_OR_RETURN(od::array periods, p.Array("periods"));
  RETURN_IF_ERROR(venue::payload::ForEachObject<NwsName>(periods, "forecast periods", [&](od::object& o, size_t i) {
    Fields f(o, absl::StrCat("forecast period ", i));
    ForecastPeriod period;
    ASSIGN_OR_RETURN(period.name, f.StrOr("name", ""));
    ASSIGN_OR_RETURN(period.start_ms, TimeMs(f, "startTime"));
    ASSIGN_OR_RETURN(period.end_ms, TimeMs(f, "endTime"));
    ASSIGN_OR_RETURN(period.daytime, f.BoolOr("isDaytime", false));
    ASSIGN_OR_RETURN(period.temperature_f, TemperatureF(f));
    if (period.end_ms <= period.start_ms) return f.Error("endTime", "not after startTime");
    if (period.temperature_f < -100 || period.temperature_f > 150) return f.Error("temperature", "not a temperature");
    out.periods.push_back(std::move(period));
    return absl::OkStatus();
  }));
  return out;
}

std::optional<DayHigh> DailyHighOf(const NwsForecast& forecast, absl::CivilDay day, int standard_utc_offset_hours) {
  const absl::TimeZone standard = absl::FixedTimeZone(standard_utc_offset_hours * 3600);
  const int64_t begin = absl::ToUnixMillis(absl::FromCivil(day, standard));
  const int64_t end = begin + 86'400'000;
  // The 12-hour daytime period that begins on the day: NWS's "High near".
  for (const ForecastPeriod& p : forecast.periods) {
    if (p.daytime && p.end_ms - p.start_ms > 3'600'000 && p.start_ms >= begin && p.start_ms < end) {
      return DayHigh{p.temperature_f, absl::StrFormat("%s: %.0f F", p.name.empty() ? "daytime" : p.name, p.temperature_f)};
    }
  }
  // Else the hourly forecast's highest hour, if it covers half the day.
  double high = -1000;
  int hours = 0;
  for (const ForecastPeriod& p : forecast.periods) {
    if (p.end_ms - p.start_ms != 3'600'000 || p.start_ms < begin || p.start_ms >= end) continue;
    high = std::max(high, p.temperature_f);
    ++hours;
  }
  if (hours < 12) return std::nullopt;
  return DayHigh{high, absl::StrFormat("hourly max %.0f F over %d h", high, hours)};
}

}  // namespace apollo::weather
