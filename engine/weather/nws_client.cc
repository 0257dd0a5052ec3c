#include "engine/weather/nws_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/domain/status_macros.h"

namespace apollo::weather {

absl::StatusOr<std::unique_ptr<NwsClient>> NwsClient::Create(NwsClientOptions options, net::RateGate* gate,
                                                             std::function<absl::Time()> now) {
  if (options.user_agent.empty()) {
    return absl::InvalidArgumentError("nws: a User-Agent is required (NWS refuses anonymous clients)");
  }
  if (options.base_url.empty()) return absl::InvalidArgumentError("nws: no base URL");
  if (gate == nullptr) return absl::InvalidArgumentError("nws: no rate gate");
  ASSIGN_OR_RETURN(std::unique_ptr<net::HttpClient> http,
                   net::HttpClient::Create({.connect_timeout_ms = 3'000, .request_timeout_ms = options.request_timeout_ms}));
  if (!now) now = [] { return absl::Now(); };
  return std::unique_ptr<NwsClient>(new NwsClient(std::move(options), std::move(http), gate, std::move(now)));
}

NwsClient::NwsClient(NwsClientOptions options, std::unique_ptr<net::HttpClient> http, net::RateGate* gate,
                     std::function<absl::Time()> now)
    : options_(std::move(options)), http_(std::move(http)), gate_(gate), now_(std::move(now)) {}

absl::StatusOr<std::string> NwsClient::Get(const std::string& path) {
  RETURN_IF_ERROR(gate_->Acquire(kNwsGateProvider, 1, options_.gate_wait));
  ++requests_;
  const net::HttpExchange ex = http_->Perform(
      net::HttpMethod::kGet, options_.base_url + path,
      {absl::StrCat("User-Agent: ", options_.user_agent), "Accept: application/geo+json"}, "");
  if (ex.transport != net::HttpExchange::Transport::kOk) {
    return absl::UnavailableError(absl::StrCat("nws GET ", path, ": ", ex.transport_error));
  }
  if (ex.http_status == 429 || ex.http_status == 503) {
    gate_->BackOff(kNwsGateProvider, now_() + absl::Seconds(5), absl::StrCat("HTTP ", ex.http_status));
  }
  if (ex.http_status != 200) return absl::UnavailableError(absl::StrCat("nws GET ", path, ": HTTP ", ex.http_status));
  return ex.body;
}

absl::StatusOr<const NwsClient::Cached*> NwsClient::Forecast(const City& city, absl::string_view suffix, Cache& cache,
                                                              bool* fresh) {
  auto cached = cache.find(city.code);
  if (cached != cache.end() && now_() - cached->second.read_at < options_.cache_ttl) return &cached->second;
  auto grid = grids_.find(city.code);
  if (grid == grids_.end()) {
    ASSIGN_OR_RETURN(std::string body, Get(absl::StrFormat("/points/%.4f,%.4f", city.latitude, city.longitude)));
    ASSIGN_OR_RETURN(GridPoint g, ParsePoints(body));
    grid = grids_.emplace(city.code, std::move(g)).first;
  }
  const GridPoint& g = grid->second;
  ASSIGN_OR_RETURN(std::string body, Get(absl::StrCat("/gridpoints/", g.office, "/", g.x, ",", g.y, suffix)));
  ASSIGN_OR_RETURN(NwsForecast forecast, ParseForecast(body));
  *fresh = true;
  return &cache.insert_or_assign(city.code, Cached{std::move(forecast), now_()}).first->second;
}

absl::StatusOr<CityRead> NwsClient::Read(const City& city, absl::CivilDay day) {
  CityRead out;
  ASSIGN_OR_RETURN(const Cached* read, Forecast(city, "/forecast", cache_, &out.fresh));
  std::optional<DayHigh> high = DailyHighOf(read->forecast, day, city.standard_utc_offset_hours);
  if (!high) {
    // No daytime period of the day in the 12-hour forecast: the hourly
    // forecast's, when it covers enough of the day.
    out.fresh = false;
    ASSIGN_OR_RETURN(read, Forecast(city, "/forecast/hourly", hourly_cache_, &out.fresh));
    high = DailyHighOf(read->forecast, day, city.standard_utc_offset_hours);
  }
  if (!high) {
    return absl::NotFoundError(absl::StrCat("nws: the forecast of ", city.code, " has no high for ", absl::FormatCivilTime(day)));
  }
  out.high = *high;
  out.issued_ms = read->forecast.updated_ms;
  out.read_at = read->read_at;
  return out;
}

}  // namespace apollo::weather
