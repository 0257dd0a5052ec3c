// A paper bot for end-to-end tests: see paper_bot.h.
#include "tests/support/paper_bot.h"

#include <signal.h>

#include <chrono>
#include <optional>
#include <regex>

#include "absl/strings/str_cat.h"
#include "tests/support/cli.h"

namespace apollo::testing {
namespace {

using namespace std::chrono_literals;

}  // namespace

PaperBot::PaperBot(std::string bot_bin, const TempDir& tmp, std::vector<std::string> env)
    : bot_bin_(std::move(bot_bin)), tmp_(tmp), env_(std::move(env)) {}

PaperBot::~PaperBot() { Stop(); }

std::string PaperBot::Bars(size_t bars) const {
  const std::string path = tmp_.Sub(absl::StrCat("bars-", bars, ".csv"));
  WriteFile(path, BundledBars(bars));
  return path;
}

std::vector<std::string> PaperBot::Args(const std::string& ledger, size_t bars, const std::string& speed,
                                        const std::string& logs_dir) const {
  return {bot_bin_, "--config", absl::StrCat(APOLLO_SOURCE_DIR, "/config.yaml"), "--ledger", ledger, "--logs",
          logs_dir.empty() ? logs() : logs_dir, "--data", Bars(bars), "--speed", speed};
}

SpawnOptions PaperBot::Options(const std::vector<std::string>& more_env) const {
  std::vector<std::string> env = env_;
  env.insert(env.end(), more_env.begin(), more_env.end());
  SpawnOptions o = ToolOptions(env);
  o.cwd = tmp_.path();
  return o;
}

ExitStatus PaperBot::RunToEnd(const std::vector<std::string>& argv, std::string* output,
                              const std::vector<std::string>& more_env) const {
  auto p = Process::Spawn(argv, Options(more_env));
  if (!p.ok()) {
    if (output != nullptr) *output = std::string(p.status().message());
    return {};
  }
  const ExitStatus st = (*p)->Wait(180s);
  if (output != nullptr) *output = (*p)->out() + (*p)->err();
  return st;
}

absl::Status PaperBot::Hold(const std::string& ledger, size_t bars) {
  std::string out;
  if (!RunToEnd(Args(ledger, bars, "max"), &out).Exited(0)) return absl::InternalError("the run to hold from failed: " + out);
  auto bot = Process::Spawn(Args(ledger, bars + 2, "realtime"), Options());
  if (!bot.ok()) return bot.status();
  held_ = *std::move(bot);
  std::optional<std::string> line = held_->ReadLineStartingWith("bot: paper mode started", 60s);
  std::smatch m;
  if (!line || !std::regex_search(*line, m, std::regex(R"(serving api=127\.0\.0\.1:(\d+))"))) {
    return absl::InternalError("the held bot did not start: " + held_->err());
  }
  api_port_ = std::stoi(m[1].str());
  return absl::OkStatus();
}

ExitStatus PaperBot::Stop() {
  if (!held_) return {};
  held_->Signal(SIGTERM);
  const ExitStatus st = held_->Wait(60s);
  held_.reset();
  return st;
}

}  // namespace apollo::testing
