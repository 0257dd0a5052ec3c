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
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/config/config.h"
#include "engine/live/live_run.h"
#include "engine/ops/alerts.h"
#include "engine/ops/engine_metrics.h"
#include "engine/ops/metrics.h"
#include "engine/ops/operator_api.h"
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

// The operator's surface of one run: metrics, alerts, the API.
struct Surface {
  apollo::ops::Metrics metrics;
  std::unique_ptr<apollo::ops::Alerter> alerter;
  std::unique_ptr<apollo::ops::EngineMetrics> engine_metrics;
  runtime::ViewBoard views;
  runtime::OperatorInbox inbox;
  std::unique_ptr<apollo::ops::OperatorServer> server;
};

absl::Status StartSurface(const config::Config& cfg, runtime::Log& log, Surface& s) {
  const config::Env env = config::ProcessEnv();
  auto token = config::ReadSecret("OPERATOR_API_TOKEN", ".env", env);
  if (!token.ok()) return token.status();
  auto webhooks = config::ReadSecret("ALERT_WEBHOOKS", ".env", env);
  if (!webhooks.ok()) return webhooks.status();
  std::vector<std::string> urls = absl::StrSplit(*webhooks, ',', absl::SkipWhitespace());
  if (cfg.monitoring.alerts_enabled && !urls.empty()) {
    apollo::ops::AlerterOptions alert_options;
    alert_options.on_result = [&log](const std::string& kind, const std::string& host, bool delivered, int attempts) {
      log.Write(delivered ? runtime::LogLevel::kInfo : runtime::LogLevel::kWarning, "alert_sent",
                runtime::LogFields().Add("kind", kind).Add("host", host).Add("delivered", delivered).Add("attempts", attempts));
    };
    s.alerter = std::make_unique<apollo::ops::Alerter>(urls, alert_options);
  }
  s.engine_metrics = std::make_unique<apollo::ops::EngineMetrics>(&s.metrics, s.alerter.get(), cfg.run.mode);
  apollo::ops::OperatorServerOptions o;
  o.api_enabled = cfg.api.enabled;
  o.api_host = cfg.api.host;
  o.api_port = cfg.api.port;
  o.metrics_enabled = cfg.monitoring.metrics_enabled;
  o.metrics_host = cfg.monitoring.metrics_host;
  o.metrics_port = cfg.monitoring.metrics_port;
  o.token = *token;
  o.ledger_dir = cfg.storage.ledger_path;
  o.config_canonical = cfg.Canonical();
  if (!token->empty()) o.secret_names_set.push_back("OPERATOR_API_TOKEN");
  if (!urls.empty()) o.secret_names_set.push_back("ALERT_WEBHOOKS");
  o.unhealthy_after_ms = int64_t{cfg.api.unhealthy_after_sec} * 1000;
  o.log_http = cfg.monitoring.log_http;
  o.log_http_responses = cfg.monitoring.log_http_responses;
  o.log_http_max_body_chars = cfg.monitoring.log_http_max_body_chars;
  auto server = apollo::ops::OperatorServer::Start(o, &s.views, &s.inbox, &s.metrics, s.engine_metrics.get(), &log);
  if (!server.ok()) return server.status();
  s.server = std::move(*server);
  return absl::OkStatus();
}

void WritePidFile(const std::string& logs_dir) {
  std::ofstream((std::filesystem::path(logs_dir) / "bot.pid").string(), std::ios::trunc) << ::getpid() << "\n";
}

int Run(const Flags& flags) {
  auto cfg = config::LoadForCommandLine({flags.config_path, flags.mode, flags.ledger, flags.logs, flags.data},
                                        config::ProcessEnv());
  if (!cfg.ok()) return Fail(cfg.status().message(), 2);
  auto speed = runtime::ParseSpeed(flags.speed);
  if (!speed.ok()) return Fail(speed.status().message(), 2);
  if (absl::Status gates = CheckLiveGates(*cfg); !gates.ok()) return Fail(gates.message(), 2);
  const std::string mode(apollo::EnumName(cfg->run.mode));
  config::Secrets secrets;
  if (cfg->run.mode != Mode::kPaper) {
    auto loaded = config::LoadSecrets(cfg->run.mode, ".env", config::ProcessEnv());
    if (!loaded.ok()) return Fail(loaded.status().message(), 2);
    secrets = *loaded;
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
  Surface surface;
  if (absl::Status st = StartSurface(*cfg, *log, surface); !st.ok()) {
    log->Error("startup_refused", runtime::LogFields().Add("error", st.message()));
    return Fail(st.message(), 2);
  }
  std::vector<std::string> served;
  if (surface.server->api_port() > 0) served.push_back(absl::StrCat("api=", cfg->api.host, ":", surface.server->api_port()));
  if (surface.server->metrics_port() > 0) {
    served.push_back(absl::StrCat("metrics=", cfg->monitoring.metrics_host, ":", surface.server->metrics_port()));
  }
  // ack-manual-review finds the running bot's API through the lock file.
  if (absl::Status st = lock->Annotate(served); !st.ok()) return Fail(st.message());
  log->Info("operator_surface_started", runtime::LogFields().Add("served", absl::StrJoin(served, " ")));

  runtime::RunOptions options;
  options.cfg = *cfg;
  options.data_file = cfg->storage.data_file;
  options.ledger_dir = cfg->storage.ledger_path;
  options.logs_dir = cfg->storage.logs_path;
  options.speed = *speed;
  options.build_version = APOLLO_BUILD_VERSION;
  // One line as soon as it runs, so an operator (or a test) knows it is up.
  options.on_started = [&](const apollo::State& state, size_t bars_to_run) {
    std::printf("bot: %s mode started (pid %d), ledger at seq %llu, %zu bars to run%s%s\n", mode.c_str(),
                static_cast<int>(::getpid()), static_cast<unsigned long long>(state.last_seq), bars_to_run,
                served.empty() ? "" : ", serving ", absl::StrJoin(served, " ").c_str());
    std::fflush(stdout);
  };
  options.inbox = &surface.inbox;
  options.views = &surface.views;
  options.observer = surface.engine_metrics.get();
  surface.engine_metrics->OnProcessEvent("process_started", absl::StrCat("bot started in ", mode, " mode"));
  absl::StatusOr<runtime::RunSummary> summary;
  if (cfg->run.mode == Mode::kPaper) {
    summary = runtime::RunPaper(options, *log);
  } else {
    apollo::live::LiveOptions live_options;
    live_options.run = options;
    live_options.secrets = secrets;
    apollo::ops::EngineMetrics* m = surface.engine_metrics.get();
    live_options.on_rest_request = [m](double latency, int64_t weight) { m->OnRestRequest(latency, weight); };
    live_options.on_rest_backoff = [m](bool banned) { m->OnRestBackoff(banned); };
    summary = apollo::live::RunLive(live_options, *log);
  }
  if (!summary.ok()) {
    log->Error("engine_halted", runtime::LogFields().Add("error", summary.status().message()));
    surface.engine_metrics->OnProcessEvent("engine_halted", absl::StrCat("engine halted: ", summary.status().message()));
    if (surface.alerter) surface.alerter->Drain(3000);
    return Fail(summary.status().message());
  }
  surface.engine_metrics->OnProcessEvent("process_stopped", absl::StrCat("bot stopped: ", summary->stop_reason));
  std::error_code ec;
  std::filesystem::remove(std::filesystem::path(cfg->storage.logs_path) / "bot.pid", ec);  // only on a clean stop
  if (surface.alerter) surface.alerter->Drain(3000);
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
  // For the runbooks' test: a command line that parses exits 0 here.
  bool parse_only = false;
  app.add_flag("--parse-only", parse_only)->group("");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (parse_only) return 0;
  return Run(flags);
}
