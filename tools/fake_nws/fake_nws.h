// A loopback api.weather.gov for tests and drills (issue 15): every
// /points/{lat},{lon} answers one forecast grid (OKX 33,35), and its
// /gridpoints/OKX/33,35/forecast a daytime high of `high_f` on every day
// from yesterday to six days ahead (days of UTC-5), issued half an hour
// ago. Enough for a Kalshi run's NWS reads; nothing else is served (404).
//
//   FakeNws nws(50);
//   RETURN_IF_ERROR(nws.Start());
//   ... WEATHER__NWS_BASE_URL=nws.Url() ...
#ifndef APOLLO_TOOLS_FAKE_NWS_FAKE_NWS_H_
#define APOLLO_TOOLS_FAKE_NWS_FAKE_NWS_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"

namespace apollo::fake_nws {

class FakeNws {
 public:
  // `port` 0: any free one (Url() says which).
  explicit FakeNws(int high_f, int port = 0);
  ~FakeNws();
  FakeNws(const FakeNws&) = delete;
  FakeNws& operator=(const FakeNws&) = delete;

  absl::Status Start();  // bound to 127.0.0.1 and answering when it returns
  void Stop();
  std::string Url() const;  // http://127.0.0.1:PORT
  int requests() const { return requests_.load(); }  // forecast and grid requests answered
  void SetHigh(int high_f) { high_f_.store(high_f); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<int> high_f_;
  std::atomic<int> requests_{0};
  int port_ = 0;
};

}  // namespace apollo::fake_nws

#endif  // APOLLO_TOOLS_FAKE_NWS_FAKE_NWS_H_
