// bot: runs the engine in paper, testnet or live mode.
//
// Start-up order (each step logged to logs/bot.log): load the config → take
// the mode's lock → open the ledger → rebuild state → SystemStarted +
// ConfigLoaded → resolve in-doubt orders → run. SIGINT/SIGTERM stop it after
// the current step; SIGHUP reopens the log.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "engine/domain/status_macros.h"
#include "engine/config/config.h"
#include "engine/live/live_run.h"
#include "engine/net/rate_gate.h"
#include "engine/ops/alerts.h"
#include "engine/ops/engine_metrics.h"
#include "engine/ops/metrics.h"
#include "engine/ops/operator_api.h"
#include "engine/runtime/backtest.h"
#include "engine/runtime/kalshi_backtest.h"
#include "engine/live/kalshi_live.h"
#include "engine/venue/kalshi/credentials.h"
#include "engine/runtime/lock.h"
#include "engine/runtime/log.h"
#include "engine/runtime/paper_run.h"
#include "engine/runtime/signals.h"
#include "engine/venue/binance/payloads.h"
#include "ledger/ledger.h"
#include "replay/journal.h"
#include "engine/analytics/analytics.h"
#include "engine/config/policy.h"
#include "tools/bot_ops.h"
#include "tools/progress.h"
#include "tools/time_flag.h"

#ifndef APOLLO_BUILD_VERSION
#define APOLLO_BUILD_VERSION "unknown"
#endif

namespace {

using apollo::Mode;
namespace config = apollo::config;
namespace runtime = apollo::runtime;

struct Flags {
  std::string config_path, mode, ledger, speed = "max", logs, constant_funding_rate, venue;
  std::vector<std::string> data, funding_data;
};

int Fail(absl::string_view what, int code = 1) {
  std::fprintf(stderr, "bot: %.*s\n", static_cast<int>(what.size()), what.data());
  return code;
}

// One plain --data FILE is storage.data_file (journaled with the config);
// SYMBOL=FILE values and several files are the run's own (RunOptions).
std::string PlainDataFlag(const std::vector<std::string>& data) {
  if (data.size() != 1) return "";
  auto parsed = runtime::ParseDataFlags(data, "");
  return parsed.ok() && parsed->contains("") ? data.front() : "";
}

// The symbols' bars (--data, else storage.data_file) and, with
// paper_sim.exchange_info_file, each listed symbol's filters.
absl::Status PaperData(const config::Config& cfg, const std::vector<std::string>& data,
                       absl::btree_map<std::string, std::vector<std::string>>* symbol_data,
                       absl::btree_map<std::string, apollo::risk::Filters>* symbol_filters, std::string* source) {
  ASSIGN_OR_RETURN(*symbol_data,
                   runtime::ParseDataFlags(data.empty() ? std::vector<std::string>{cfg.storage.data_file} : data,
                                           cfg.run.symbol));
  const std::string& path = cfg.paper_sim.exchange_info_file;
  if (path.empty()) return absl::OkStatus();
  constexpr std::uintmax_t kMaxBytes = 64 << 20;
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxBytes) {
    return absl::InvalidArgumentError(absl::StrCat("paper_sim.exchange_info_file ", path, ": ",
                                                   ec ? ec.message() : "larger than 64 MiB"));
  }
  std::ifstream in(path, std::ios::binary);
  std::string text(size, '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(size))) {
    return absl::InvalidArgumentError(absl::StrCat("paper_sim.exchange_info_file ", path, ": cannot be read"));
  }
  absl::StatusOr<apollo::venue::binance::ExchangeInfo> info = apollo::venue::binance::ParseExchangeInfo(text);
  if (!info.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("paper_sim.exchange_info_file ", path, ": ", info.status().message()));
  }
  for (const auto& [symbol, filters] : info->symbols) (*symbol_filters)[symbol] = filters.ToRiskFilters();
  *source = "exchangeInfo_file";
  return absl::OkStatus();
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

// The operator's surface of one run: the rate gate, metrics, alerts, the API.
struct Surface {
  std::unique_ptr<apollo::net::RateGate> gate;
  apollo::ops::Metrics metrics;
  std::unique_ptr<apollo::ops::Alerter> alerter;
  std::unique_ptr<apollo::ops::EngineMetrics> engine_metrics;
  runtime::ViewBoard views;
  runtime::OperatorInbox inbox;
  std::unique_ptr<apollo::ops::OperatorServer> server;
  std::string analytics_url;  // ANALYTICS_URL (.env / environment): a secret, never logged
};

absl::Status StartSurface(const config::Config& cfg, runtime::Log& log, Surface& s) {
  const config::Env env = config::ProcessEnv();
  auto token = config::ReadSecret("OPERATOR_API_TOKEN", ".env", env);
  if (!token.ok()) return token.status();
  auto webhooks = config::ReadSecret("ALERT_WEBHOOKS", ".env", env);
  if (!webhooks.ok()) return webhooks.status();
  auto analytics_url = config::ReadSecret("ANALYTICS_URL", ".env", env);
  if (!analytics_url.ok()) return analytics_url.status();
  s.analytics_url = *analytics_url;
  std::vector<std::string> urls = absl::StrSplit(*webhooks, ',', absl::SkipWhitespace());
  s.gate = apollo::tools::MakeRateGate(cfg.rate_limits);
  if (cfg.monitoring.alerts_enabled && !urls.empty()) {
    apollo::ops::AlerterOptions alert_options;
    alert_options.gate = s.gate.get();
    alert_options.on_result = [&log](const std::string& kind, const std::string& host, bool delivered, int attempts) {
      log.Write(delivered ? runtime::LogLevel::kInfo : runtime::LogLevel::kWarning, "alert_sent",
                runtime::LogFields().Add("kind", kind).Add("host", host).Add("delivered", delivered).Add("attempts", attempts));
    };
    s.alerter = std::make_unique<apollo::ops::Alerter>(urls, alert_options);
  }
  s.engine_metrics = std::make_unique<apollo::ops::EngineMetrics>(&s.metrics, s.alerter.get(), cfg.run.mode);
  s.engine_metrics->WatchRateGate(s.gate.get());
  if (cfg.run.venue == "kalshi") {
    s.engine_metrics->SetStepInterval(cfg.weather.decision_interval_min * 60.0);
  } else if (absl::StatusOr<int64_t> bar_sec = config::ParseTimeframe(cfg.run.interval); bar_sec.ok()) {
    s.engine_metrics->SetStepInterval(static_cast<double>(*bar_sec));
  }
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
  if (!analytics_url->empty()) o.secret_names_set.push_back("ANALYTICS_URL");
  o.unhealthy_after_ms = int64_t{cfg.api.unhealthy_after_sec} * 1000;
  o.dashboard_refresh_sec = cfg.api.dashboard_refresh_sec;
  o.strategy_name = cfg.strategy.name;
  o.gate = s.gate.get();
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

// `bot config migrate`: the seed's config in Apollo's spelling, written
// whole (a temporary file renamed into place) and never over a file.
int Migrate(const std::string& in, const std::string& out) {
  std::error_code ec;
  if (std::filesystem::exists(out, ec)) return Fail(absl::StrCat("--out ", out, " exists: choose a new file"), 2);
  auto m = config::MigrateConfig(in);
  if (!m.ok()) return Fail(m.status().message(), 2);
  const std::string tmp = out + ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    file << m->yaml;
    if (!file.flush()) return Fail(absl::StrCat("cannot write ", tmp));
  }
  std::filesystem::rename(tmp, out, ec);
  if (ec) return Fail(absl::StrCat("cannot write ", out, ": ", ec.message()));
  std::printf("bot: wrote %s: %d keys kept, %d renamed, %d left out (listed at its end, with why)\n", out.c_str(),
              m->kept, m->renamed, m->left_out);
  return 0;
}

// A seed key read under Apollo's name, or with no effect here: one line
// each on stderr and in bot.log, every start.
void ReportNotices(const config::Config& cfg, runtime::Log* log) {
  for (const std::string& notice : cfg.notices) {
    if (log == nullptr) {
      std::fprintf(stderr, "bot: %s\n", notice.c_str());
    } else {
      log->Warning("config_notice", runtime::LogFields().Add("detail", notice));
    }
  }
}

// The Kalshi run with a progress bar of its steps; SIGINT/SIGTERM stop it
// between two steps.
absl::StatusOr<runtime::KalshiBacktestResult> RunKalshiSteps(runtime::KalshiBacktestOptions o) {
  runtime::InstallSignalHandlers();
  o.stop_requested = [] { return runtime::StopSignal() != 0; };
  std::unique_ptr<apollo::tools::Progress> bar;
  o.on_step = [&bar](uint64_t done, uint64_t total) {
    if (!bar) bar = std::make_unique<apollo::tools::Progress>("steps", total);
    bar->Update(done);
  };
  auto result = runtime::RunKalshiBacktest(o);
  if (bar) bar->Done();
  return result;
}

// run.venue kalshi in paper mode: weather_high_v1 over the recorded Kalshi
// markets (as the Kalshi backtest), into a ledger of its own that an
// interrupted run resumes, under a lock of its venue and mode.
int KalshiPaper(const Flags& flags, config::Config cfg) {
  if (!flags.data.empty() || !flags.funding_data.empty() || !flags.constant_funding_rate.empty()) {
    return Fail("run.venue kalshi trades the recorded markets of data/kalshi: drop --data and the funding flags", 2);
  }
  if (!flags.speed.empty() && flags.speed != "max") {
    return Fail("run.venue kalshi paper runs at --speed max so far (a paced run comes with the live loop)", 2);
  }
  auto log = runtime::Log::Open((std::filesystem::path(cfg.storage.logs_path) / "bot.log").string(),
                                runtime::Log::ParseLevel(cfg.monitoring.log_level));
  if (!log.ok()) return Fail(log.status().message());
  auto lock = runtime::InstanceLock::Acquire(runtime::LockPath(cfg.storage.logs_path, config::RunName(cfg)));
  if (!lock.ok()) {
    log->Error("another_instance_running", runtime::LogFields().Add("detail", lock.status().message()));
    return Fail(lock.status().message());
  }
  runtime::KalshiBacktestOptions o;
  o.cfg = cfg;
  o.cfg.monitoring.log_cycles = false;
  o.ledger_dir = cfg.storage.ledger_path;
  o.log_path = (std::filesystem::path(cfg.storage.logs_path) / "bot.log").string();
  o.build_version = APOLLO_BUILD_VERSION;
  o.resume = true;
  std::printf("bot: kalshi paper mode started (pid %d), ledger %s\n", static_cast<int>(::getpid()), o.ledger_dir.c_str());
  std::fflush(stdout);
  const std::string ledger_dir = o.ledger_dir;
  auto result = RunKalshiSteps(std::move(o));
  if (!result.ok()) {
    log->Error("kalshi_paper_failed", runtime::LogFields().Add("error", result.status().message()));
    return Fail(result.status().message());
  }
  std::fputs(result->markdown.c_str(), stdout);
  std::printf("\nsteps %llu (this run %llu), events %llu, ledger %s\n",
              static_cast<unsigned long long>(result->resumed_after_steps + result->steps),
              static_cast<unsigned long long>(result->steps), static_cast<unsigned long long>(result->events),
              ledger_dir.c_str());
  return 0;
}

int Run(const Flags& flags) {
  auto cfg = config::LoadForCommandLine(
      {flags.config_path, flags.mode, flags.ledger, flags.logs, PlainDataFlag(flags.data), flags.venue}, config::ProcessEnv());
  if (!cfg.ok()) return Fail(cfg.status().message(), 2);
  ReportNotices(*cfg, nullptr);
  const bool kalshi = cfg->run.venue == "kalshi";
  if (kalshi && cfg->run.mode == Mode::kPaper) return KalshiPaper(flags, *cfg);
  if (kalshi && !flags.data.empty()) return Fail("a Kalshi testnet or live run reads Kalshi's markets: drop --data", 2);
  auto speed = runtime::ParseSpeed(flags.speed);
  if (!speed.ok()) return Fail(speed.status().message(), 2);
  if (absl::Status gates = CheckLiveGates(*cfg); !gates.ok()) return Fail(gates.message(), 2);
  if (cfg->run.mode != Mode::kPaper && (!flags.funding_data.empty() || !flags.constant_funding_rate.empty())) {
    return Fail("--funding-data and --constant-funding-rate are for paper runs and backtests: testnet and live pay the venue's funding", 2);
  }
  auto funding = runtime::ParseFundingFlags(flags.funding_data, flags.constant_funding_rate);
  if (!funding.ok()) return Fail(funding.status().message(), 2);
  const std::string mode(apollo::EnumName(cfg->run.mode));
  config::Secrets secrets;
  apollo::venue::kalshi::Credentials kalshi_credentials;
  if (kalshi) {
    auto loaded = apollo::venue::kalshi::LoadCredentials(cfg->run.mode, ".env", config::ProcessEnv());
    if (!loaded.ok()) return Fail(loaded.status().message(), 2);
    kalshi_credentials = *std::move(loaded);
  } else if (cfg->run.mode != Mode::kPaper) {
    auto loaded = config::LoadSecrets(cfg->run.mode, ".env", config::ProcessEnv());
    if (!loaded.ok()) return Fail(loaded.status().message(), 2);
    secrets = *loaded;
  }
  auto log = runtime::Log::Open((std::filesystem::path(cfg->storage.logs_path) / "bot.log").string(),
                                runtime::Log::ParseLevel(cfg->monitoring.log_level));
  if (!log.ok()) return Fail(log.status().message());
  auto lock = runtime::InstanceLock::Acquire(runtime::LockPath(cfg->storage.logs_path, config::RunName(*cfg)));
  if (!lock.ok()) {
    log->Error("another_instance_running", runtime::LogFields().Add("detail", lock.status().message()));
    return Fail(lock.status().message());
  }
  WritePidFile(cfg->storage.logs_path);
  ReportNotices(*cfg, &*log);
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

  // The analytics projection follows the ledger on its own thread; its
  // destructor (at any return below) writes what the run appended last.
  std::unique_ptr<apollo::analytics::Projector> analytics;
  if (cfg->analytics.enabled) {
    // ANALYTICS_URL may carry a password; it is never journaled or logged
    // (the target's name has none).
    const bool from_secret = !surface.analytics_url.empty();
    auto target = apollo::analytics::TargetOf(from_secret ? surface.analytics_url : cfg->analytics.url,
                                              cfg->storage.logs_path);
    if (!target.ok()) return Fail(absl::StrCat(from_secret ? "ANALYTICS_URL" : "analytics.url", ": ", target.status().message()));
    apollo::analytics::Projector::Options ao;
    ao.ledger_dir = cfg->storage.ledger_path;
    apollo::ops::EngineMetrics* m = surface.engine_metrics.get();
    runtime::Log* lp = &*log;
    ao.on_fault = [lp, m, name = target->name, label = target->label](bool ok, const std::string& what) {
      lp->Write(ok ? runtime::LogLevel::kInfo : runtime::LogLevel::kError, ok ? "analytics_caught_up" : "analytics_write_failed",
                runtime::LogFields().Add("db", name).Add("detail", what));
      m->OnStorageFault(label, what, ok);
    };
    log->Info("analytics_started", runtime::LogFields().Add("db", target->name));
    analytics = apollo::analytics::Projector::Start(target->open, ao);
  }

  runtime::RunOptions options;
  options.cfg = *cfg;
  // The governance policy: an invalid file refuses the start (one line);
  // while the bot runs, one is refused and the policy in force stays.
  options.policies_path = cfg->governance.policies_path;
  if (!options.policies_path.empty()) {
    absl::StatusOr<std::optional<std::string>> text = config::ReadPolicyFile(options.policies_path);
    absl::Status st = text.status();
    if (text.ok() && *text) st = config::ParsePolicy(**text, *cfg).status();
    if (!st.ok()) return Fail(absl::StrCat(options.policies_path, ": ", st.message()), 2);
  }
  if (cfg->run.mode == Mode::kPaper) {
    if (absl::Status st = PaperData(*cfg, flags.data, &options.symbol_data, &options.symbol_filters, &options.filters_source);
        !st.ok()) {
      return Fail(st.message(), 2);
    }
    options.funding = *std::move(funding);
  }
  options.ledger_dir = cfg->storage.ledger_path;
  // A drill of the runbook's disk faults: the ledger's disk fails as told.
  if (const char* spec = std::getenv("APOLLO_LEDGER_FAULTS"); spec != nullptr && *spec != '\0') {
    auto faults = apollo::ledger::DiskFaults::Parse(spec);
    if (!faults.ok()) return Fail(faults.status().message(), 2);
    options.ledger_faults = *faults;
    log->Warning("ledger_faults_injected", runtime::LogFields().Add("spec", spec));
  }
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
  // A log or projection file that cannot be written never stops trading:
  // logged (projections), alerted and counted; caught up when it heals.
  apollo::ops::EngineMetrics* metrics = surface.engine_metrics.get();
  log->set_fault_handler([metrics](const std::string& what, bool recovered) {
    metrics->OnStorageFault("bot.log", what, recovered);
  });
  options.on_projection_fault = [&log, metrics](const std::string& file, const std::string& what, bool recovered) {
    log->Write(recovered ? runtime::LogLevel::kInfo : runtime::LogLevel::kError,
               recovered ? "projection_caught_up" : "projection_write_failed",
               runtime::LogFields().Add("file", file).Add("detail", what));
    metrics->OnStorageFault(file, what, recovered);
  };
  options.inbox = &surface.inbox;
  options.views = &surface.views;
  options.observer = surface.engine_metrics.get();
  surface.engine_metrics->OnProcessEvent("process_started", absl::StrCat("bot started in ", mode, " mode"));
  absl::StatusOr<runtime::RunSummary> summary;
  if (cfg->run.mode == Mode::kPaper) {
    summary = runtime::RunPaper(options, *log);
  } else if (kalshi) {
    apollo::live::KalshiLiveOptions kalshi_options;
    kalshi_options.run = options;
    kalshi_options.credentials = kalshi_credentials;
    kalshi_options.gate = surface.gate.get();
    apollo::ops::EngineMetrics* km = surface.engine_metrics.get();
    kalshi_options.on_count = [km](absl::string_view what, absl::string_view label, uint64_t n) {
      km->OnVenueCount(what, label, n);
    };
    summary = apollo::live::RunKalshiLive(kalshi_options, *log);
  } else {
    apollo::live::LiveOptions live_options;
    live_options.run = options;
    live_options.secrets = secrets;
    live_options.gate = surface.gate.get();
    apollo::ops::EngineMetrics* m = surface.engine_metrics.get();
    live_options.on_rest_request = [m](double latency, int64_t weight) { m->OnRestRequest(latency, weight); };
    live_options.on_rest_backoff = [m](bool banned) { m->OnRestBackoff(banned); };
    live_options.on_count = [m](absl::string_view what, absl::string_view label, uint64_t n) {
      m->OnVenueCount(what, label, n);
    };
    summary = apollo::live::RunLive(live_options, *log);
  }
  analytics.reset();  // its last rows, before the alerts are drained
  if (!summary.ok()) {
    log->Error("engine_halted", runtime::LogFields().Add("error", summary.status().message()));
    // A full ledger disk has its own alert: the fix is space, not the bot.
    const bool disk_full = absl::IsResourceExhausted(summary.status()) &&
                           absl::StartsWith(summary.status().message(), "ledger disk full");
    surface.engine_metrics->OnProcessEvent(disk_full ? "ledger_disk_full" : "engine_halted",
                                           absl::StrCat("engine halted: ", summary.status().message()));
    if (surface.alerter) surface.alerter->Drain(3000);
    return Fail(summary.status().message());
  }
  surface.engine_metrics->OnProcessEvent("process_stopped", absl::StrCat("bot stopped: ", summary->stop_reason));
  std::error_code ec;
  std::filesystem::remove(std::filesystem::path(cfg->storage.logs_path) / "bot.pid", ec);  // only on a clean stop
  if (surface.alerter) surface.alerter->Drain(3000);
  std::fputs(runtime::FormatSummary(*summary).c_str(), stdout);
  if (summary->exit_code != 0) {
    std::fprintf(stderr, "bot: the kill switch stopped the bot but the venue is not flat: manual review (see bot.log)\n");
  }
  return summary->exit_code;
}

struct BacktestFlags {
  std::vector<std::string> data, funding_data;
  std::string from, to, config_path, ledger, report, initial_equity, fee_pct, slippage_pct, like, constant_funding_rate;
  std::string venue;
  std::vector<std::string> overrides;
  int64_t random_seed = 42;
  bool allow_gaps = false;
};

absl::StatusOr<int64_t> ParseDateMs(const std::string& flag, const std::string& text) {
  ASSIGN_OR_RETURN(absl::Time t, apollo::tools::ParseTimeFlag(flag, text));
  return absl::ToUnixMillis(t);
}

// The Python bot's cost flags, as the keys they stand for.
std::vector<std::string> CostOverrides(const BacktestFlags& f) {
  std::vector<std::string> out;
  if (!f.initial_equity.empty()) out.push_back(absl::StrCat("run.initial_equity=", f.initial_equity));
  if (!f.fee_pct.empty()) {
    out.push_back(absl::StrCat("paper_sim.taker_fee_pct=", f.fee_pct));
    out.push_back(absl::StrCat("paper_sim.maker_fee_pct=", f.fee_pct));
  }
  return out;
}

// --like: the config the ledger journaled (unless --config names one).
absl::StatusOr<config::Config> LikeConfig(const BacktestFlags& f) {
  if (!f.data.empty()) return absl::InvalidArgumentError("--like re-runs the ledger's own bars: drop --data");
  ASSIGN_OR_RETURN(std::unique_ptr<apollo::ledger::Ledger> ledger, apollo::ledger::Ledger::OpenReader(f.like));
  ASSIGN_OR_RETURN(apollo::replay::Journaled journaled, apollo::replay::ReadJournaled(*ledger));
  if (journaled.config_text.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("--like ", f.like, ": the ledger journaled no config text (written before ConfigLoaded v2); pass --config"));
  }
  return config::ParseCanonical(journaled.config_text, absl::StrCat("the config journaled in ", f.like));
}

absl::StatusOr<runtime::BacktestOptions> BacktestSetup(const BacktestFlags& f) {
  config::Config cfg;
  if (!f.like.empty() && f.config_path.empty()) {
    ASSIGN_OR_RETURN(cfg, LikeConfig(f));
  } else {
    ASSIGN_OR_RETURN(cfg, config::LoadForCommandLine({f.config_path, "paper", "", "", ""}, config::ProcessEnv()));
    ReportNotices(cfg, nullptr);
  }
  std::vector<std::string> overrides = CostOverrides(f);
  if (!f.slippage_pct.empty()) {
    auto pct = apollo::Fixed::Parse(f.slippage_pct);
    if (!pct.ok() || pct->raw() < 0) {
      return absl::InvalidArgumentError(absl::StrCat("--slippage-pct: expected a percentage >= 0 (got ", f.slippage_pct, ")"));
    }
    overrides.push_back(absl::StrCat("paper_sim.slippage_base_bps=", pct->Mul(apollo::Fixed::FromInt(100)).ToString()));
  }
  for (const std::string& o : f.overrides) overrides.push_back(o);
  overrides.push_back("monitoring.log_cycles=false");  // one log line per bar would dominate a backtest
  ASSIGN_OR_RETURN(cfg, config::ApplyOverrides(cfg, overrides));
  cfg.run.mode = Mode::kPaper;
  runtime::BacktestOptions o;
  o.cfg = cfg;
  if (f.like.empty()) RETURN_IF_ERROR(PaperData(cfg, f.data, &o.symbol_data, &o.symbol_filters, &o.filters_source));
  ASSIGN_OR_RETURN(o.funding, runtime::ParseFundingFlags(f.funding_data, f.constant_funding_rate));
  if (!f.from.empty()) {
    ASSIGN_OR_RETURN(o.from_ms, ParseDateMs("--from", f.from));
  }
  if (!f.to.empty()) {
    ASSIGN_OR_RETURN(o.to_ms, ParseDateMs("--to", f.to));
  }
  if (o.to_ms <= o.from_ms) return absl::InvalidArgumentError("--to must be after --from");
  o.allow_gaps = f.allow_gaps;
  o.like_ledger = f.like;
  o.ledger_dir = f.ledger;
  o.report_dir = f.report;
  o.build_version = APOLLO_BUILD_VERSION;
  return o;
}

// --venue kalshi: weather_high_v1 over the bundled recorded Kalshi markets.
int KalshiBacktest(const BacktestFlags& f) {
  for (const auto& [given, flag] : {std::pair{!f.data.empty(), "--data"}, std::pair{!f.funding_data.empty(), "--funding-data"},
                                    std::pair{!f.like.empty(), "--like"}, std::pair{!f.from.empty(), "--from"},
                                    std::pair{!f.to.empty(), "--to"}, std::pair{!f.fee_pct.empty(), "--fee-pct"},
                                    std::pair{!f.slippage_pct.empty(), "--slippage-pct"},
                                    std::pair{f.allow_gaps, "--allow-gaps"},
                                    std::pair{!f.constant_funding_rate.empty(), "--constant-funding-rate"}}) {
    if (given) return Fail(absl::StrCat("--venue kalshi backtests the recorded markets of data/kalshi: drop ", flag), 2);
  }
  auto cfg = config::LoadForCommandLine({f.config_path, "paper", "", "", ""}, config::ProcessEnv());
  if (!cfg.ok()) return Fail(cfg.status().message(), 2);
  ReportNotices(*cfg, nullptr);
  std::vector<std::string> overrides = CostOverrides(f);
  for (const std::string& o : f.overrides) overrides.push_back(o);
  overrides.push_back("run.venue=kalshi");
  overrides.push_back("monitoring.log_cycles=false");
  cfg = config::ApplyOverrides(*cfg, overrides);
  if (!cfg.ok()) return Fail(cfg.status().message(), 2);
  cfg->run.mode = Mode::kPaper;
  runtime::KalshiBacktestOptions o;
  o.cfg = *cfg;
  o.build_version = APOLLO_BUILD_VERSION;
  o.ledger_dir = f.ledger;  // "" for a temporary one
  if (!f.report.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(f.report, ec);
    if (ec) return Fail(absl::StrCat("cannot create ", f.report, ": ", ec.message()));
    o.report_dir = f.report;
    o.log_path = f.report + "/bot.log";
  }
  auto result = RunKalshiSteps(std::move(o));
  if (!result.ok()) return Fail(result.status().message());
  std::fputs(result->markdown.c_str(), stdout);
  std::printf("\nsteps %llu, events %llu", static_cast<unsigned long long>(result->steps),
              static_cast<unsigned long long>(result->events));
  if (!f.ledger.empty()) std::printf(", ledger %s", f.ledger.c_str());
  if (!f.report.empty()) std::printf(", report in %s", f.report.c_str());
  std::printf("\n");
  return 0;
}

int Backtest(const BacktestFlags& flags) {
  if (!flags.venue.empty() && flags.venue != "binance" && flags.venue != "kalshi") {
    return Fail(absl::StrCat("--venue: binance or kalshi (got ", flags.venue, ")"), 2);
  }
  // Without --venue, the config's run.venue (with --set) says which.
  std::string venue = flags.venue;
  if (venue.empty() && flags.like.empty()) {
    auto cfg = config::LoadForCommandLine({flags.config_path, "paper", "", "", ""}, config::ProcessEnv());
    if (cfg.ok()) cfg = config::ApplyOverrides(*cfg, flags.overrides);
    if (cfg.ok()) venue = cfg->run.venue;
  }
  if (venue == "kalshi") return KalshiBacktest(flags);
  auto options = BacktestSetup(flags);
  if (!options.ok()) return Fail(options.status().message(), 2);
  runtime::InstallSignalHandlers();
  std::unique_ptr<apollo::tools::Progress> bar;
  options->on_bar = [&bar](uint64_t done, uint64_t total) {
    if (!bar) bar = std::make_unique<apollo::tools::Progress>("bars", total);
    bar->Update(done);
  };
  auto result = runtime::RunBacktest(*options);
  if (bar) bar->Done();
  if (!result.ok()) return Fail(result.status().message());
  std::fputs(result->markdown.c_str(), stdout);
  std::printf("\nbars %llu in %.2f s", static_cast<unsigned long long>(result->run.bars_this_run), result->run.seconds);
  if (!flags.ledger.empty()) std::printf(", ledger %s", flags.ledger.c_str());
  if (!flags.report.empty()) std::printf(", report in %s", flags.report.c_str());
  std::printf("\n");
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
  app.add_option("--data", flags.data,
                 "Recorded kline CSV for paper mode (overrides storage.data_file); SYMBOL=FILE for each of several "
                 "symbols (repeatable)");
  app.add_option("--funding-data", flags.funding_data,
                 "Paper: SYMBOL=FILE of recorded funding rates (funding_time_ms,symbol,funding_rate; repeatable)");
  app.add_option("--constant-funding-rate", flags.constant_funding_rate,
                 "Paper: this funding rate (0.0001 = 0.01 %) every 8 h for symbols without --funding-data");
  app.add_option("--speed", flags.speed, "Paper pacing: max | realtime | <N>x (default max)");
  app.add_option("--venue", flags.venue, "binance | kalshi (overrides run.venue)");
  app.add_option("--logs", flags.logs, "Logs directory: bot.log, CSVs, lock and pid files (overrides storage.logs_path)");
  // For the runbooks' test: a command line that parses exits 0 here.
  bool parse_only = false;
  app.add_flag("--parse-only", parse_only)->group("");
  app.fallthrough();  // --parse-only may come after the subcommand

  BacktestFlags bt;
  auto* backtest = app.add_subcommand("backtest", "Run the engine over recorded bars with the paper venue, then report");
  backtest->add_option("--data", bt.data,
                       "Kline CSV: the bundled format or Binance's dumps (repeatable, in time order); SYMBOL=FILE for "
                       "each of several symbols");
  backtest->add_option("--funding-data", bt.funding_data,
                       "SYMBOL=FILE of recorded funding rates (funding_time_ms,symbol,funding_rate; repeatable)");
  backtest->add_option("--constant-funding-rate", bt.constant_funding_rate,
                       "This funding rate (0.0001 = 0.01 %) every 8 h (00/08/16 UTC) for symbols without --funding-data");
  backtest->add_option("--from", bt.from, "First bar open time (UTC date or ISO time)");
  backtest->add_option("--to", bt.to, "End: bars opening before this (UTC date or ISO time)");
  backtest->add_option("--config", bt.config_path, "Config file (default: $CONFIG_PATH, else config.yaml)");
  backtest->add_option("--set", bt.overrides, "key=value on top of the config (repeatable)");
  backtest->add_option("--initial-equity", bt.initial_equity, "Starting equity, USDT (run.initial_equity)");
  backtest->add_option("--fee-pct", bt.fee_pct, "Fee per fill, percent (paper_sim maker and taker)");
  backtest->add_option("--slippage-pct", bt.slippage_pct, "Slippage on market fills, percent (paper_sim.slippage_base_bps / 100)");
  backtest->add_option("--random-seed", bt.random_seed, "Accepted for the Python bot's scripts; the paper venue is deterministic");
  backtest->add_option("--ledger", bt.ledger, "Keep the ledger here (default: a temporary one, removed)");
  backtest->add_option("--report,--out-dir", bt.report, "Write report.json, report.md, equity.svg, CSVs here");
  backtest->add_flag("--allow-gaps", bt.allow_gaps, "Run across holes in the data (listed in the report)");
  backtest->add_option("--venue", bt.venue,
                       "binance (default: recorded klines) or kalshi (weather_high_v1 over the recorded Kalshi weather "
                       "markets of data/kalshi)");
  backtest->add_option("--like", bt.like,
                       "Re-run the bars journaled in this paper/testnet/live ledger with its config, and compare trades");
  apollo::tools::BackupFlags backup_flags;
  auto* backup = app.add_subcommand(
      "backup", "A verified checkpoint of the ledger (through the running bot, or under the lock when none runs)");
  backup->add_option("--out", backup_flags.out, "The directory backups go under (ledger-YYYYMMDD-HHMMSS each)")->required();
  backup->add_option("--keep-daily", backup_flags.keep_daily, "Then keep the newest backup of each of the last N days");
  backup->add_option("--keep-weekly", backup_flags.keep_weekly, "... and of each of the last N ISO weeks (UTC)");
  apollo::tools::RestoreFlags restore_flags;
  auto* restore = app.add_subcommand("restore", "Put a backup in place as the ledger (the bot stopped; under the lock)");
  restore->add_option("--from", restore_flags.from, "The backup directory (ledger-YYYYMMDD-HHMMSS)")->required();
  apollo::tools::HealthFlags health_flags;
  auto* health = app.add_subcommand("health", "One line per check of the running bot; exit 0 ok, 1 warn, 2 critical");
  health->add_flag("--alert", health_flags.alert, "Also send each warning and critical line to ALERT_WEBHOOKS");
  health->add_option("--rss-warn-mb", health_flags.rss_warn_mb, "Warn above this resident memory, MiB (default 1024)");
  health->add_option("--rss-critical-mb", health_flags.rss_critical_mb, "Critical above this, MiB (default 2048)");
  health->add_option("--disk-warn-pct", health_flags.disk_warn_pct, "Warn below this much free disk under the ledger, % (default 15)");
  health->add_option("--disk-critical-pct", health_flags.disk_critical_pct, "Critical below this, % (default 5)");
  for (CLI::App* cmd : {backup, restore, health}) {
    apollo::tools::BotWhere& where = cmd == backup    ? backup_flags.where
                                     : cmd == restore ? restore_flags.where
                                                      : health_flags.where;
    cmd->add_option("--config", where.config_path, "Config file (default: $CONFIG_PATH, else config.yaml)");
    cmd->add_option("--mode", where.mode, "paper | testnet | live (default: run.mode): whose lock and ledger");
    cmd->add_option("--venue", where.venue, "binance | kalshi (default: run.venue): whose lock and ledger");
    cmd->add_option("--ledger", where.ledger, "Ledger directory (overrides storage.ledger_path)");
    cmd->add_option("--logs", where.logs, "Logs directory: the lock file (overrides storage.logs_path)");
  }
  auto* config_cmd = app.add_subcommand("config", "Config file tools");
  config_cmd->require_subcommand(1);
  std::string migrate_in, migrate_out;
  auto* migrate = config_cmd->add_subcommand(
      "migrate", "Rewrite the Python bot's config.yaml in Apollo's spelling, a comment per change");
  migrate->add_option("--in", migrate_in, "The old config file")->required();
  migrate->add_option("--out", migrate_out, "The new file (must not exist)")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (parse_only) return 0;
  if (*backtest) return Backtest(bt);
  if (*migrate) return Migrate(migrate_in, migrate_out);
  if (*backup) return apollo::tools::Backup(backup_flags);
  if (*restore) return apollo::tools::Restore(restore_flags);
  if (*health) return apollo::tools::Health(health_flags);
  return Run(flags);
}
