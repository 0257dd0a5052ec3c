// fake-nws: a loopback api.weather.gov for Kalshi drills (tools/fake_nws/fake_nws.h).
//
//   fake-nws --high 50 [--port 0]
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "CLI/CLI.hpp"
#include "tools/fake_nws/fake_nws.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"A fake api.weather.gov on 127.0.0.1: one forecast grid for every point, its daytime high the same "
               "every day from yesterday to six days ahead"};
  int high = 0, port = 0;
  app.add_option("--high", high, "The forecast daytime high, whole degrees F")->required()->check(CLI::Range(-80, 140));
  app.add_option("--port", port, "Port on 127.0.0.1 (0: any free one, printed)")->check(CLI::Range(0, 65535));
  CLI11_PARSE(app, argc, argv);
  apollo::fake_nws::FakeNws nws(high, port);
  if (absl::Status st = nws.Start(); !st.ok()) {
    std::fprintf(stderr, "fake-nws: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  std::printf("fake-nws: forecast high %d F at %s\n", high, nws.Url().c_str());
  std::fflush(stdout);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  nws.Stop();
  return 0;
}
