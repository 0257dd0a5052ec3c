// The NWS client and its payloads (issue 15 §3), on real api.weather.gov
// answers (tests/data/nws, from weather.gov's own recorded fixtures): the
// forecast high of the station's own climate day (local standard time),
// both temperature forms, and a loopback NWS that checks the User-Agent,
// the rate gate and the five-minute cache.
#include <httplib.h>

#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "engine/net/rate_gate.h"
#include "engine/weather/cities.h"
#include "engine/weather/nws.h"
#include "engine/weather/nws_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace apollo::weather {
namespace {

using ::testing::HasSubstr;

std::string Data(const std::string& name) {
  std::ifstream in(std::string(APOLLO_SOURCE_DIR) + "/tests/data/nws/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(NwsPayloads, APointNamesItsForecastGrid) {
  absl::StatusOr<GridPoint> g = ParsePoints(Data("points_39.738,-104.985_BOU_Denver.json"));
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ(g->office, "BOU");
  EXPECT_EQ(g->x, 63);
  EXPECT_EQ(g->y, 61);
  EXPECT_EQ(g->time_zone, "America/Denver");
}

// San Francisco's office (MTR) on 2024-07-15: "Today" runs 10:00-20:00 PDT,
// i.e. from 09:00 Pacific standard time, inside that climate day.
TEST(NwsPayloads, TheDaytimePeriodOfTheClimateDayGivesItsHigh) {
  absl::StatusOr<NwsForecast> f = ParseForecast(Data("gridpoints_MTR_90,105_forecast.json"));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->periods.size(), 14u);
  EXPECT_EQ(f->updated_ms, 1'721'040'386'000);  // 2024-07-15T10:46:26Z
  std::optional<DayHigh> today = DailyHighOf(*f, absl::CivilDay(2024, 7, 15), -8);
  ASSERT_TRUE(today.has_value());
  EXPECT_EQ(today->high_f, 64);
  EXPECT_EQ(today->detail, "Today: 64 F");
  std::optional<DayHigh> next = DailyHighOf(*f, absl::CivilDay(2024, 7, 16), -8);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->detail, "Wednesday: 63 F") << "named as the recorded answer names it";
  EXPECT_FALSE(DailyHighOf(*f, absl::CivilDay(2024, 8, 1), -8).has_value()) << "beyond the forecast";
}

TEST(NwsPayloads, TheHourlyForecastGivesTheHighestHourOfTheDay) {
  absl::StatusOr<NwsForecast> f = ParseForecast(Data("gridpoints_MTR_90,105_forecast_hourly.json"));
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->periods.size(), 156u);
  std::optional<DayHigh> d = DailyHighOf(*f, absl::CivilDay(2024, 7, 16), -8);
  ASSERT_TRUE(d.has_value());
  EXPECT_THAT(d->detail, HasSubstr("hourly max")) << "hourly periods are not 12-hour daytime periods";
  EXPECT_THAT(d->detail, HasSubstr("over 24 h"));
  std::optional<DayHigh> first = DailyHighOf(*f, absl::CivilDay(2024, 7, 15), -8);
  ASSERT_TRUE(first.has_value());
  EXPECT_THAT(first->detail, HasSubstr("over 15 h")) << "the 15th is covered from 09:00 standard time on";
  EXPECT_FALSE(DailyHighOf(*f, absl::CivilDay(2024, 7, 22), -8).has_value()) << "under 12 hours of the 22nd";
}

TEST(NwsPayloads, TheQuantitativeTemperatureFormReadsInCelsiusAndBadOnesAreRefused) {
  std::string body = Data("gridpoints_LWX_95,71_forecast.json");
  const std::string qv = absl::StrReplaceAll(body, {{R"("temperature": 53,)", R"("temperature": {"unitCode": "wmoUnit:degC", "value": 20},)"}});
  ASSERT_NE(qv, body);
  absl::StatusOr<NwsForecast> f = ParseForecast(qv);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_DOUBLE_EQ(f->periods[0].temperature_f, 68.0);
  const std::string bad = absl::StrReplaceAll(body, {{R"("temperature": 53,)", R"("temperature": "hot",)"}});
  EXPECT_EQ(ParseForecast(bad).status().message(), "nws forecast period 0: field 'temperature': not a number");
  EXPECT_FALSE(ParseForecast("{").ok());
}

// A loopback api.weather.gov serving the recorded MTR grid.
class FakeNws {
 public:
  FakeNws() {
    server_.Get(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> l(mu_);
      paths_.push_back(req.path);
      agents_.push_back(req.get_header_value("User-Agent"));
      if (req.path == "/ready") return res.set_content("ok", "text/plain");
      if (fail_) {
        res.status = 500;
        return;
      }
      if (req.path.rfind("/points/", 0) == 0) {
        return res.set_content(absl::StrReplaceAll(Data("points_39.738,-104.985_BOU_Denver.json"),
                                                   {{R"("gridId": "BOU")", R"("gridId": "MTR")"},
                                                    {R"("gridX": 63)", R"("gridX": 90)"},
                                                    {R"("gridY": 61)", R"("gridY": 105)"}}),
                               "application/geo+json");
      }
      if (req.path == "/gridpoints/MTR/90,105/forecast") {
        std::string body = Data("gridpoints_MTR_90,105_forecast.json");
        if (rolled_over_) {  // "Today" taken out: "Tonight" comes first
          const size_t first = body.rfind('{', body.find("\"number\": 1,"));
          const size_t second = body.rfind('{', body.find("\"number\": 2,"));
          body.erase(first, second - first);
        }
        return res.set_content(body, "application/geo+json");
      }
      if (req.path == "/gridpoints/MTR/90,105/forecast/hourly") {
        return res.set_content(Data("gridpoints_MTR_90,105_forecast_hourly.json"), "application/geo+json");
      }
      res.status = 404;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    httplib::Client ready("127.0.0.1", port_);
    ready.set_connection_timeout(5);
    auto answered = ready.Get("/ready");
    EXPECT_TRUE(answered && answered->status == 200);
    std::lock_guard<std::mutex> l(mu_);
    paths_.clear();
    agents_.clear();
  }
  ~FakeNws() {
    server_.stop();
    thread_.join();
  }
  std::string Url() const { return absl::StrCat("http://127.0.0.1:", port_); }
  std::vector<std::string> Paths() {
    std::lock_guard<std::mutex> l(mu_);
    return paths_;
  }
  std::vector<std::string> Agents() {
    std::lock_guard<std::mutex> l(mu_);
    return agents_;
  }
  void Fail() {
    std::lock_guard<std::mutex> l(mu_);
    fail_ = true;
  }
  void RollOver() {
    std::lock_guard<std::mutex> l(mu_);
    rolled_over_ = true;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<std::string> paths_, agents_;
  bool fail_ = false, rolled_over_ = false;
};

// San Francisco is not a Kalshi city here; a city on MTR's grid for the test.
City Oakland() { return City{"OAK", "Oakland", "KXHIGHTSFO", "KOAK", "", "West", 37.805, -122.273, -8}; }

TEST(NwsClient, ReadsTheGridOnceAndTheForecastAtMostOncePerFiveMinutes) {
  FakeNws nws;
  absl::Time now = absl::FromUnixSeconds(1'721'070'000);
  // The gate's waits pass on the test's clock: nothing sleeps.
  net::RateGate gate({{"nws", net::Quota{1, absl::Seconds(1), 1}}}, [&] { return now; },
                     [&](absl::Duration d) { now += d; });
  auto client = NwsClient::Create({.base_url = nws.Url(), .user_agent = "apollo-test (ops@example.com)"}, &gate,
                                  [&] { return now; });
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<CityRead> first = (*client)->Read(Oakland(), absl::CivilDay(2024, 7, 15));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->fresh);
  EXPECT_EQ(first->high.high_f, 64);
  EXPECT_EQ(first->issued_ms, 1'721'040'386'000);
  now += absl::Minutes(4);
  absl::StatusOr<CityRead> cached = (*client)->Read(Oakland(), absl::CivilDay(2024, 7, 16));
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_FALSE(cached->fresh) << "within the five minutes";
  now += absl::Minutes(1);
  absl::StatusOr<CityRead> again = (*client)->Read(Oakland(), absl::CivilDay(2024, 7, 15));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->fresh);
  EXPECT_EQ(nws.Paths(), (std::vector<std::string>{"/points/37.8050,-122.2730", "/gridpoints/MTR/90,105/forecast",
                                                    "/gridpoints/MTR/90,105/forecast"}));
  for (const std::string& agent : nws.Agents()) EXPECT_EQ(agent, "apollo-test (ops@example.com)");
  EXPECT_EQ(gate.Snapshot().front().waits, 1u) << "one request a second: the forecast waited for the points' second";
}

TEST(NwsClient, AFailedReadIsOneLineAndNoUserAgentIsRefused) {
  FakeNws nws;
  net::RateGate gate({{"nws", net::Quota{100, absl::Seconds(1), 100}}});
  EXPECT_EQ(NwsClient::Create({.base_url = nws.Url()}, &gate).status().message(),
            "nws: a User-Agent is required (NWS refuses anonymous clients)");
  auto client = NwsClient::Create({.base_url = nws.Url(), .user_agent = "apollo-test"}, &gate);
  ASSERT_TRUE(client.ok());
  nws.Fail();
  absl::StatusOr<CityRead> r = (*client)->Read(Oakland(), absl::CivilDay(2024, 7, 15));
  EXPECT_EQ(r.status().message(), "nws GET /points/37.8050,-122.2730: HTTP 500");
  net::RateGate none({{"binance", net::Quota{}}});
  auto ungated = NwsClient::Create({.base_url = nws.Url(), .user_agent = "apollo-test"}, &none);
  ASSERT_TRUE(ungated.ok());
  EXPECT_FALSE((*ungated)->Read(Oakland(), absl::CivilDay(2024, 7, 15)).ok()) << "no nws quota: nothing is sent";
  EXPECT_EQ(nws.Paths().size(), 1u);
}


// A 12-hour forecast without the day's daytime period (here the payload's
// first period taken out): the day's high comes from the hourly forecast
// (its highest hour over the 14 it covers), read only then and cached the
// same way.
TEST(NwsClient, ADayThe12HourForecastNoLongerHoldsIsReadFromTheHourlyForecast) {
  FakeNws nws;
  nws.RollOver();
  net::RateGate gate({{"nws", net::Quota{100, absl::Seconds(1), 100}}});
  absl::Time now = absl::FromUnixSeconds(1'721'070'000);
  auto client = NwsClient::Create({.base_url = nws.Url(), .user_agent = "apollo-test"}, &gate, [&] { return now; });
  ASSERT_TRUE(client.ok());
  absl::StatusOr<CityRead> today = (*client)->Read(Oakland(), absl::CivilDay(2024, 7, 15));
  ASSERT_TRUE(today.ok()) << today.status();
  EXPECT_TRUE(today->fresh);
  EXPECT_THAT(today->high.detail, HasSubstr("hourly max"));
  absl::StatusOr<CityRead> tomorrow = (*client)->Read(Oakland(), absl::CivilDay(2024, 7, 16));
  ASSERT_TRUE(tomorrow.ok()) << tomorrow.status();
  EXPECT_THAT(tomorrow->high.detail, ::testing::Not(HasSubstr("hourly"))) << "its daytime period is there";
  EXPECT_TRUE((*client)->Read(Oakland(), absl::CivilDay(2024, 7, 15)).ok());
  EXPECT_EQ(nws.Paths(), (std::vector<std::string>{"/points/37.8050,-122.2730", "/gridpoints/MTR/90,105/forecast",
                                                    "/gridpoints/MTR/90,105/forecast/hourly"}))
      << "each read once within the five minutes";
  EXPECT_EQ((*client)->Read(Oakland(), absl::CivilDay(2024, 7, 23)).status().message(),
            "nws: the forecast of OAK has no high for 2024-07-23");
}

}  // namespace
}  // namespace apollo::weather
