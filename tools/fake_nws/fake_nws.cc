// The loopback api.weather.gov; see fake_nws.h.
#include "tools/fake_nws/fake_nws.h"

#include <httplib.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"

namespace apollo::fake_nws {
namespace {

const absl::TimeZone kUtcMinus5 = absl::FixedTimeZone(-5 * 3600);

std::string Forecast(int high_f) {
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), kUtcMinus5);
  std::string periods;
  for (int i = -1; i < 7; ++i) {
    const std::string day = absl::FormatCivilTime(today + i);
    absl::StrAppend(&periods, periods.empty() ? "" : ",",
                    absl::StrFormat(R"({"name":"Day %d","startTime":"%sT06:00:00-05:00","endTime":"%sT18:00:00-05:00",)"
                                    R"("isDaytime":true,"temperature":%d,"temperatureUnit":"F",)"
                                    R"("shortForecast":"High near %d"})",
                                    i, day, day, high_f, high_f));
  }
  const std::string updated = absl::FormatTime("%Y-%m-%dT%H:%M:%S+00:00", absl::Now() - absl::Minutes(30), absl::UTCTimeZone());
  return absl::StrCat(R"({"properties":{"updateTime":")", updated, R"(","periods":[)", periods, "]}}");
}

}  // namespace

struct FakeNws::Impl {
  httplib::Server server;
  std::thread thread;
};

FakeNws::FakeNws(int high_f, int port) : impl_(std::make_unique<Impl>()), high_f_(high_f), port_(port) {}

FakeNws::~FakeNws() { Stop(); }

absl::Status FakeNws::Start() {
  httplib::Server& s = impl_->server;
  s.Get("/ready", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
  s.Get(R"(/points/([-0-9.]+),([-0-9.]+))", [this](const httplib::Request&, httplib::Response& res) {
    ++requests_;
    res.set_content(R"({"properties":{"gridId":"OKX","gridX":33,"gridY":35,"timeZone":"America/New_York"}})",
                    "application/geo+json");
  });
  s.Get("/gridpoints/OKX/33,35/forecast", [this](const httplib::Request&, httplib::Response& res) {
    ++requests_;
    res.set_content(Forecast(high_f_.load()), "application/geo+json");
  });
  port_ = port_ == 0 ? s.bind_to_any_port("127.0.0.1") : (s.bind_to_port("127.0.0.1", port_) ? port_ : -1);
  if (port_ <= 0) return absl::UnavailableError("fake-nws: cannot bind 127.0.0.1");
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  // Bound and listening already: the answer comes once the thread accepts.
  httplib::Client ready("127.0.0.1", port_);
  ready.set_connection_timeout(5);
  httplib::Result answered = ready.Get("/ready");
  if (!answered || answered->status != 200) return absl::UnavailableError("fake-nws: not answering on 127.0.0.1");
  return absl::OkStatus();
}

void FakeNws::Stop() {
  if (!impl_->thread.joinable()) return;
  impl_->server.stop();
  impl_->thread.join();
}

std::string FakeNws::Url() const { return absl::StrCat("http://127.0.0.1:", port_); }

}  // namespace apollo::fake_nws
