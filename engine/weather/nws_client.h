// The NWS API client (api.weather.gov, issue 15 §3): a city's forecast
// high for one climate day, read through the rate gate (provider "nws", at
// most rate_limits.nws: 1 a second), with the User-Agent NWS requires and
// geo+json. The station's grid is looked up once (/points/{lat},{lon}); a
// city's forecast is read at most once per cache TTL (5 min) and served
// from the cache in between (`fresh` false: the caller journals only fresh
// reads, so a city whose reads fail goes stale after
// weather.forecast_stale_min and is not traded).
//
//   ASSIGN_OR_RETURN(auto nws, NwsClient::Create({.user_agent = "apollo (ops@example.com)"}, &gate));
//   ASSIGN_OR_RETURN(CityRead r, nws->Read(*CityByCode("NYC"), absl::CivilDay(2026, 12, 7)));
#ifndef APOLLO_ENGINE_WEATHER_NWS_CLIENT_H_
#define APOLLO_ENGINE_WEATHER_NWS_CLIENT_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/net/http_client.h"
#include "engine/net/rate_gate.h"
#include "engine/weather/cities.h"
#include "engine/weather/nws.h"

namespace apollo::weather {

inline constexpr absl::string_view kNwsGateProvider = "nws";

struct NwsClientOptions {
  std::string base_url = "https://api.weather.gov";
  std::string user_agent;  // required by NWS: who we are and how to reach us
  int64_t request_timeout_ms = 10'000;
  absl::Duration cache_ttl = absl::Minutes(5);
  absl::Duration gate_wait = absl::Seconds(5);  // the longest wait at the gate
};

struct CityRead {
  DayHigh high;
  int64_t issued_ms = 0;  // the forecast's updateTime
  bool fresh = false;     // read now (not from the cache)
  // When NWS was read for it: now, or the cached read's time. One read
  // serves every climate day of the city.
  absl::Time read_at;
};

class NwsClient {
 public:
  // InvalidArgument without a User-Agent or a base URL.
  static absl::StatusOr<std::unique_ptr<NwsClient>> Create(NwsClientOptions options, net::RateGate* gate,
                                                           std::function<absl::Time()> now = nullptr);
  // The high of `day` from the 12-hour forecast (its daytime period), else
  // from the hourly forecast (read only then: its highest hour, when it
  // covers at least 12 of the day's hours). Unavailable (one line: the
  // path and the HTTP status or transport error) when NWS could not be
  // read; NotFound when neither has a high for `day`; ResourceExhausted
  // when the gate would wait too long.
  absl::StatusOr<CityRead> Read(const City& city, absl::CivilDay day);
  uint64_t requests() const { return requests_; }

 private:
  NwsClient(NwsClientOptions options, std::unique_ptr<net::HttpClient> http, net::RateGate* gate,
            std::function<absl::Time()> now);
  absl::StatusOr<std::string> Get(const std::string& path);

  struct Cached {
    NwsForecast forecast;
    absl::Time read_at;
  };
  using Cache = std::map<std::string, Cached>;  // by city code
  // The city's forecast at `suffix` (/forecast, /forecast/hourly) of its
  // grid, read anew once the cached one is cache_ttl old (`*fresh`).
  absl::StatusOr<const Cached*> Forecast(const City& city, absl::string_view suffix, Cache& cache, bool* fresh);
  NwsClientOptions options_;
  std::unique_ptr<net::HttpClient> http_;
  net::RateGate* gate_;
  std::function<absl::Time()> now_;
  std::map<std::string, GridPoint> grids_;  // by city code
  Cache cache_, hourly_cache_;
  uint64_t requests_ = 0;
};

}  // namespace apollo::weather

#endif  // APOLLO_ENGINE_WEATHER_NWS_CLIENT_H_
