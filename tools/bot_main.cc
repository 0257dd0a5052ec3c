// bot: runs the engine in paper, testnet or live mode.
//
// Start-up order (each step logged to logs/bot.log): load the config → take
// the mode's lock → open the ledger → rebuild state → SystemStarted +
// ConfigLoaded → resolve in-doubt orders → run. SIGINT/SIGTERM stop it after
// the current step; SIGHUP reopens the log.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "engine/config/config.h"
#include "engine/runtime/lock.h"
#include "engine/runtime/log.h"
#include "engine/runtime/paper_run.h"
#include "engine/runtime/signals.h"

#ifndef APOLLO_BUILD_VERSION
#define APOLLO_BUILD_VERSION "unknown"
#endif

namespace {

using apollo::Mode;
namespace config = apollo::config;
namespace runtime = apollo::runtime;

struct Flags {
  std::string config_path, mode, ledger, data, speed = "max", logs;
};

int Fail(absl::string_view what, int code = 1) {
  std::fprintf(stderr, "bot: %.*s\n", static_cast<int>(what.size()), what.data());
  return code;
}

// live trades real money: it starts only when both switches say so.
absl::Status CheckLiveGates(const config::Config& cfg) {
  if (cfg.run.mode != Mode::kLive) return absl::OkStatus();
  if (!cfg.run.enable_trading) {
    return absl::FailedPreconditionError("live mode refused: run.enable_trading is not true");
  }
  if (cfg.run.live_confirm != "YES_I_UNDERSTAND") {
    return absl::FailedPreconditionError("live mode refused: run.live_confirm is not YES_I_UNDERSTAND");
  }
  return absl::OkStatus();
}

absl::StatusOr<config::Config> LoadWithFlags(const Flags& f) {
  const config::Env env = config::ProcessEnv();
  std::string path = f.config_path;
  if (path.empty()) path = env("CONFIG_PATH").value_or("config.yaml");
  auto cfg = config::LoadConfig(path, env);
  if (!cfg.ok()) return cfg.status();
  if (!f.mode.empty() && !apollo::ParseEnumName(f.mode, &cfg->run.mode)) {
    return absl::InvalidArgumentError(absl::StrCat("--mode: expected paper, testnet or live (got ", f.mode, ")"));
  }
  if (!f.ledger.empty()) cfg->storage.ledger_path = f.ledger;
  if (!f.data.empty()) cfg->storage.data_file = f.data;
  if (!f.logs.empty()) cfg->storage.logs_path = f.logs;
  return cfg;
}

void WritePidFile(const std::string& logs_dir) {
  std::ofstream((std::filesystem::path(logs_dir) / "bot.pid").string(), std::ios::trunc) << ::getpid() << "\n";
}

int Run(const Flags& flags) {
  auto cfg = LoadWithFlags(flags);
  if (!cfg.ok()) return Fail(cfg.status().message(), 2);
  auto speed = runtime::ParseSpeed(flags.speed);
  if (!speed.ok()) return Fail(speed.status().message(), 2);
  if (absl::Status gates = CheckLiveGates(*cfg); !gates.ok()) return Fail(gates.message(), 2);
  const std::string mode(apollo::EnumName(cfg->run.mode));
  if (cfg->run.mode != Mode::kPaper) {
    return Fail(absl::StrCat("mode ", mode, " needs the Binance venue, which this build does not have yet"), 2);
  }
  auto log = runtime::Log::Open((std::filesystem::path(cfg->storage.logs_path) / "bot.log").string(),
                                runtime::Log::ParseLevel(cfg->monitoring.log_level));
  if (!log.ok()) return Fail(log.status().message());
  auto lock = runtime::InstanceLock::Acquire(runtime::LockPath(cfg->storage.logs_path, mode));
  if (!lock.ok()) {
    log->Error("another_instance_running", runtime::LogFields().Add("detail", lock.status().message()));
    return Fail(lock.status().message());
  }
  WritePidFile(cfg->storage.logs_path);
  runtime::InstallSignalHandlers();
  log->Info("lock_acquired", runtime::LogFields().Add("lock", lock->path()).Add("pid", static_cast<int64_t>(::getpid())));

  runtime::RunOptions options{*cfg, cfg->storage.data_file, cfg->storage.ledger_path, cfg->storage.logs_path, *speed,
                              APOLLO_BUILD_VERSION};
  // One line as soon as it runs, so an operator (or a test) knows it is up.
  options.on_started = [&](const apollo::State& state, size_t bars_to_run) {
    std::printf("bot: %s mode started (pid %d), ledger at seq %llu, %zu bars to run\n", mode.c_str(),
                static_cast<int>(::getpid()), static_cast<unsigned long long>(state.last_seq), bars_to_run);
    std::fflush(stdout);
  };
  auto summary = runtime::RunPaper(options, *log);
  if (!summary.ok()) {
    log->Error("engine_halted", runtime::LogFields().Add("error", summary.status().message()));
    return Fail(summary.status().message());
  }
  std::fputs(runtime::FormatSummary(*summary).c_str(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Apollo trading engine. Runs config.yaml's run.mode (paper by default) until the data ends or "
               "SIGINT/SIGTERM."};
  app.failure_message(CLI::FailureMessage::simple);
  Flags flags;
  app.add_option("--config", flags.config_path, "Config file (default: $CONFIG_PATH, else config.yaml)");
  app.add_option("--mode", flags.mode, "paper | testnet | live (overrides run.mode)");
  app.add_option("--ledger", flags.ledger, "Ledger directory (overrides storage.ledger_path)");
  app.add_option("--data", flags.data, "Recorded kline CSV for paper mode (overrides storage.data_file)");
  app.add_option("--speed", flags.speed, "Paper pacing: max | realtime | <N>x (default max)");
  app.add_option("--logs", flags.logs, "Logs directory: bot.log, CSVs, lock and pid files (overrides storage.logs_path)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return Run(flags);
}
