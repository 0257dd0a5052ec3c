// ack-manual-review: the operator's acknowledgement, recorded as a
// ManualReviewAcknowledged event. It clears the manual-review gate and the
// circuit breaker at the bot's next start.
//
// With the bot stopped it takes the mode's lock (so no bot can start
// meanwhile) and appends to the ledger itself. With a bot running it finds
// the bot's operator API in the lock file and POSTs /ack with
// OPERATOR_API_TOKEN: the running engine journals and applies it.
#include <cstdio>
#include <filesystem>
#include <string>

#include <httplib.h>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/config/config.h"
#include "engine/domain/json.h"
#include "engine/runtime/lock.h"
#include "ledger/event_log.h"
#include "replay/fold.h"

namespace {

namespace config = apollo::config;
namespace runtime = apollo::runtime;

int Fail(absl::string_view what, int code = 1) {
  std::fprintf(stderr, "ack-manual-review: %.*s\n", static_cast<int>(what.size()), what.data());
  return code;
}

// Acknowledges through the running bot's operator API.
int AckThroughApi(const std::string& api, const std::string& reason, long pid) {
  auto token = config::ReadSecret("OPERATOR_API_TOKEN", ".env", config::ProcessEnv());
  if (!token.ok()) return Fail(token.status().message());
  if (token->empty()) {
    return Fail(absl::StrCat("a bot is running (pid ", pid, "); acknowledging through it needs OPERATOR_API_TOKEN "
                             "in the environment or .env"));
  }
  httplib::Client client("http://" + api);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(15, 0);
  std::string body = "{\"reason\":";
  apollo::json::AppendString(&body, reason);
  body += "}";
  auto res = client.Post("/ack", httplib::Headers{{"X-OPS-TOKEN", *token}}, body, "application/json");
  if (!res) return Fail(absl::StrCat("a bot is running (pid ", pid, ") but its operator API at ", api, " did not answer"));
  if (res->status != 200) {
    return Fail(absl::StrCat("the running bot refused the acknowledgement: HTTP ", res->status, " ", res->body));
  }
  std::printf("acknowledged through the running bot (pid %ld): %s\n", pid, res->body.c_str());
  return 0;
}

struct Flags {
  std::string config_path, mode, ledger, logs, venue, reason = "manual_ack";
};

int Run(const Flags& f) {
  auto cfg = config::LoadForCommandLine({f.config_path, f.mode, f.ledger, f.logs, "", f.venue}, config::ProcessEnv());
  if (!cfg.ok()) return Fail(cfg.status().message(), 2);
  if (f.reason.empty()) return Fail("--reason must not be empty", 2);
  const std::string& ledger_dir = cfg->storage.ledger_path;
  const std::string& logs_dir = cfg->storage.logs_path;
  const std::string mode(apollo::EnumName(cfg->run.mode));

  const std::string lock_path = runtime::LockPath(logs_dir, config::RunName(*cfg));
  auto lock = runtime::InstanceLock::Acquire(lock_path);
  if (!lock.ok()) {
    if (!absl::IsFailedPrecondition(lock.status())) return Fail(lock.status().message());
    const long pid = runtime::ReadLockHolder(lock_path);
    const std::string api = runtime::ReadLockValue(lock_path, "api");
    if (api.empty()) {
      return Fail(absl::StrCat("a ", mode, " bot is running (pid ", pid, ") without an operator API (api.enabled); "
                               "stop it first, then run this again"));
    }
    return AckThroughApi(api, f.reason, pid);
  }
  if (!std::filesystem::exists(std::filesystem::path(ledger_dir) / "CURRENT")) {
    return Fail(absl::StrCat("no ledger at ", ledger_dir));
  }
  auto ledger = apollo::ledger::Ledger::OpenWriter(ledger_dir);
  if (!ledger.ok()) return Fail(ledger.status().message());
  auto folded = apollo::replay::FoldLedger(**ledger, apollo::replay::FoldOptions{});
  if (!folded.ok()) return Fail(folded.status().message());
  const apollo::State& state = folded->state;
  if (!state.manual_review.active && !state.circuit_breaker.active) {
    std::printf("nothing to acknowledge: neither manual review nor the circuit breaker is active (ledger seq %llu)\n",
                static_cast<unsigned long long>(state.last_seq));
    return 0;
  }
  // Paper ledgers run on the data's clock; the ack takes the ledger's time so
  // days and durations stay monotonic. Live ledgers run on the wall clock.
  const int64_t ts = cfg->run.mode == apollo::Mode::kPaper ? state.last_ts_ns
                                                           : std::max(state.last_ts_ns, absl::GetCurrentTimeNanos());
  std::vector<apollo::Event> events{apollo::Event{0, ts, apollo::ManualReviewAcknowledged{"cli", f.reason}}};
  auto seq = apollo::ledger::AppendEvents(**ledger, events, /*sync=*/true);
  if (!seq.ok()) return Fail(seq.status().message());
  std::printf("acknowledged at seq %llu (reason: %s)\n", static_cast<unsigned long long>(*seq), f.reason.c_str());
  if (state.manual_review.active) std::printf("manual review [%s] cleared\n", state.manual_review.reason.c_str());
  if (state.circuit_breaker.active) {
    std::printf("circuit breaker [%s] cleared; the loss streak and drawdown peak start afresh\n",
                state.circuit_breaker.reason.c_str());
  }
  std::printf("the bot trades again from its next start\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Acknowledge a manual review or a tripped circuit breaker so the bot trades again at its next start."};
  app.failure_message(CLI::FailureMessage::simple);
  Flags f;
  app.add_option("--reason", f.reason, "Why it is safe to resume (recorded in the ledger; default manual_ack)");
  app.add_option("--config", f.config_path, "Config file (default: $CONFIG_PATH, else config.yaml)");
  app.add_option("--mode", f.mode, "paper | testnet | live (default: run.mode); picks the lock file");
  app.add_option("--venue", f.venue, "binance | kalshi (default: run.venue); picks the lock file and ledger");
  app.add_option("--ledger", f.ledger, "Ledger directory (overrides storage.ledger_path)");
  app.add_option("--logs", f.logs, "Logs directory holding the lock file (overrides storage.logs_path)");
  app.footer("With a bot running, the acknowledgement goes through its operator API (found in the lock file) "
             "and needs OPERATOR_API_TOKEN in the environment or .env.");
  // For the runbooks' test: a command line that parses exits 0 here.
  bool parse_only = false;
  app.add_flag("--parse-only", parse_only)->group("");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (parse_only) return 0;
  return Run(f);
}
