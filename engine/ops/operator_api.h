// The operator API and the metrics endpoint (cpp-httplib, one thread pool
// each). GETs read the engine's published view or the ledger (through an
// audit reader); POSTs become operator commands handled by the engine
// thread at its next step, journaled before they take effect.
//
//   ASSIGN_OR_RETURN(auto server, OperatorServer::Start(options, &views, &inbox, &metrics, &engine_metrics, &log));
//   server->api_port();  // the bound port (useful with port 0)
//
// GET  /health /state /positions /orders /events?from=&limit=&type=&tail= /config /
//      /pnl_dashboard.html (the PnL dashboard, dashboard.h) and its data:
//      /pnl_daily /equity?points= /trades?limit=; /strategy/status (weights,
//      the governance policy in force, the seed's leaderboard);
//      /ratelimit/status (each provider of the rate gate: tokens, backoff)
// POST /pause /resume /ack, and the seed's /actions/pause /actions/resume
//      /actions/ack-manual-review /actions/kill-switch; /actions/cancel-all
//      /actions/close {"symbol": S} /actions/flatten /actions/reconcile
//      /actions/reset-circuit-breaker, /actions/backup (a checkpoint beside
//      the ledger, for `bot backup`);
//      /strategy/weights {"weights": {"trend_following_v1": 0.1}} (0..1);
//      hmm_ops' /kill {"enabled": false};
//      /ratelimit/reset/{provider} (journaled as OperatorAction
//      ratelimit_reset with what the gate held, then the gate's backoff is
//      cleared and its bucket refilled; 404 for a provider it does not have)
//      (the kill switch; true resumes) — all need X-OPS-TOKEN ==
//      OPERATOR_API_TOKEN (compared in constant time). What each does:
//      Engine::OnOperator.
// GET  /metrics on the metrics server: Prometheus text exposition.
// A body over kMaxRequestBodyBytes is refused (413) unread; a body that
// starts as JSON but is not an object of "reason" (string), "symbol" (a
// symbol name), "enabled" (bool) and "weights" (an object of strategy names
// to numbers 0..1) is refused (400); either way nothing
// reaches the engine.
#ifndef APOLLO_ENGINE_OPS_OPERATOR_API_H_
#define APOLLO_ENGINE_OPS_OPERATOR_API_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/ops/engine_metrics.h"
#include "engine/ops/metrics.h"
#include "engine/net/rate_gate.h"
#include "engine/runtime/log.h"
#include "engine/runtime/operator_inbox.h"
#include "engine/runtime/view.h"

namespace apollo::ops {

// A POST carries a one-line reason (kept to 500 characters).
inline constexpr size_t kMaxRequestBodyBytes = 64 * 1024;

struct OperatorServerOptions {
  bool api_enabled = true;
  std::string api_host = "127.0.0.1";
  int api_port = 8000;
  bool metrics_enabled = true;
  std::string metrics_host = "127.0.0.1";
  int metrics_port = 9090;
  std::string token;        // OPERATOR_API_TOKEN; empty: every POST is refused
  std::string ledger_dir;   // for /events
  std::string config_canonical;  // Config::Canonical(), for /config
  std::vector<std::string> secret_names_set;  // shown as "[REDACTED]" in /config
  int64_t unhealthy_after_ms = 60'000;
  int dashboard_refresh_sec = 10;
  std::string strategy_name;  // the strategy this bot runs, for /strategy/status
  net::RateGate* gate = nullptr;  // for /ratelimit/*; none: no providers
  int64_t command_timeout_ms = 10'000;
  bool log_http = false, log_http_responses = false;
  int log_http_max_body_chars = 2000;
};

class OperatorServer {
 public:
  // Binds both servers (or refuses: a busy port, or a non-loopback API host
  // without a token, is FailedPrecondition with one line saying which).
  static absl::StatusOr<std::unique_ptr<OperatorServer>> Start(OperatorServerOptions options,
                                                               runtime::ViewBoard* views,
                                                               runtime::OperatorInbox* inbox, Metrics* metrics,
                                                               EngineMetrics* engine_metrics, runtime::Log* log);
  ~OperatorServer();  // stops both servers and joins their threads

  int api_port() const;
  int metrics_port() const;

  class Impl;

 private:
  explicit OperatorServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The API's routes without a socket: one raw HTTP/1.1 request (or several,
// pipelined) in, the raw responses out, through the same request parser and
// handlers the bound server runs. Nothing is bound and no thread is started;
// a POST waits options.command_timeout_ms for someone to take it from
// `inbox`. What tests/fuzz/operator_api_fuzz.cc drives.
//
//   OperatorApiHandler api(options, &views, &inbox, &log);
//   std::string reply = api.Serve("GET /events?limit=99999 HTTP/1.1\r\n\r\n");  // "HTTP/1.1 400 ..."
class OperatorApiHandler {
 public:
  OperatorApiHandler(OperatorServerOptions options, runtime::ViewBoard* views, runtime::OperatorInbox* inbox,
                     runtime::Log* log);
  ~OperatorApiHandler();
  std::string Serve(absl::string_view raw_requests);

 private:
  std::unique_ptr<OperatorServer::Impl> impl_;
};

// Whether a host string is a loopback address (127.0.0.0/8, ::1, localhost).
bool IsLoopbackHost(const std::string& host);

}  // namespace apollo::ops

#endif  // APOLLO_ENGINE_OPS_OPERATOR_API_H_
