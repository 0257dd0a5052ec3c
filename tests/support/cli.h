// Running the executables the way an operator does, for the end-to-end
// suites: a child with a clean environment (no config overrides, CONFIG_PATH,
// webhooks, token or analytics URL from the developer's shell; any free API/metrics port; no
// alerts), waited for with a deadline, plus small file helpers and the
// bundled klines. Header-only: it uses the including suite's
// APOLLO_SOURCE_DIR.
#ifndef APOLLO_TESTS_SUPPORT_CLI_H_
#define APOLLO_TESTS_SUPPORT_CLI_H_

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "tests/support/process.h"

#ifndef APOLLO_SOURCE_DIR
#error "APOLLO_SOURCE_DIR must be defined"
#endif

namespace apollo::testing {

inline constexpr char kBundledData[] = "data/market/btcusdt_perp_5m_2023-01-02_2023-02-09.csv";
inline constexpr size_t kBundledBars = 10'999;

inline bool IsConfigOverride(const std::string& name) {
  return absl::StrContains(name, "__") || absl::StartsWith(name, "RUN_") || name == "CONFIG_PATH" ||
         name == "ALERT_WEBHOOKS" || name == "OPERATOR_API_TOKEN" || name == "ANALYTICS_URL";
}

// Started in the source tree (config.yaml's relative paths resolve there).
inline SpawnOptions ToolOptions(const std::vector<std::string>& extra_env = {}) {
  SpawnOptions o;
  o.cwd = APOLLO_SOURCE_DIR;
  o.inherit_env = false;
  o.env = EnvironmentWithout(&IsConfigOverride);
  for (const char* e : {"API__PORT=0", "MONITORING__METRICS_PORT=0", "MONITORING__ALERTS_ENABLED=false"}) {
    o.env.emplace_back(e);
  }
  o.env.insert(o.env.end(), extra_env.begin(), extra_env.end());
  return o;
}

struct ToolRun {
  ExitStatus status;
  std::string out, err;
};

// Runs argv to its end (at most `timeout`).
inline ToolRun RunTool(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(240)) {
  auto p = Process::Spawn(argv, ToolOptions(extra_env));
  if (!p.ok()) {
    ADD_FAILURE() << "spawning " << argv[0] << ": " << p.status();
    return {};
  }
  ToolRun run;
  run.status = (*p)->Wait(timeout);
  run.out = (*p)->out();
  run.err = (*p)->err();
  return run;
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::vector<std::string> Lines(const std::string& text) { return absl::StrSplit(text, '\n', absl::SkipEmpty()); }

// The header and the first `n` bundled bars, without rows [cut_from, cut_to).
inline std::string BundledBars(size_t n, size_t cut_from = 0, size_t cut_to = 0) {
  const std::vector<std::string> lines = Lines(ReadFile(std::filesystem::path(APOLLO_SOURCE_DIR) / kBundledData));
  std::string out = lines[0] + "\n";
  for (size_t i = 1; i <= n && i < lines.size(); ++i) {
    if (i - 1 >= cut_from && i - 1 < cut_to) continue;
    out += lines[i] + "\n";
  }
  return out;
}

}  // namespace apollo::testing

#endif  // APOLLO_TESTS_SUPPORT_CLI_H_
