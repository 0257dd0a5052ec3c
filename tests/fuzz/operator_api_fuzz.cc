// libFuzzer target: the operator API's request handling
// (engine/ops/operator_api.h, OperatorApiHandler): raw HTTP/1.1 bytes, one
// or more pipelined requests, through httplib's request parser and our
// routes and handlers, with no socket. The API serves a published view and
// a small ledger written at start-up (for /events); POSTs carry the token
// "fuzz-token" to get past the check, and nobody takes the commands (the
// engine thread is absent), so they answer 503 at once.
//
// Every request gets an answer; an answer the server wrote is an HTTP
// status line, and a POST without the token never reaches the inbox.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "engine/ops/operator_api.h"
#include "ledger/event_log.h"
#include "ledger/ledger.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/support/random_events.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace apollo;

constexpr char kToken[] = "fuzz-token";

struct Api {
  Api() {
    auto ledger = ledger::Ledger::OpenWriter(dir.path() + "/ledger");
    FUZZ_CHECK(ledger.ok());
    std::vector<Event> events = testing::OneOfEach();
    FUZZ_CHECK(ledger::AppendEvents(**ledger, events, /*sync=*/false).ok());
    State state;
    for (const Event& e : events) FUZZ_CHECK(Apply(state, e).ok());
    auto view = std::make_shared<runtime::EngineView>();
    view->state = std::move(state);
    views.Publish(std::move(view));
    auto opened = runtime::Log::Open(dir.path() + "/bot.log", runtime::LogLevel::kError);
    FUZZ_CHECK(opened.ok());
    log = std::make_unique<runtime::Log>(*std::move(opened));
    ops::OperatorServerOptions options;
    options.token = kToken;
    options.ledger_dir = dir.path() + "/ledger";
    options.config_canonical = "risk.max_drawdown_pct = 10\nrun.symbol = BTCUSDT\n";
    options.secret_names_set = {"OPERATOR_API_TOKEN"};
    options.command_timeout_ms = 0;
    options.log_http = true;
    handler = std::make_unique<ops::OperatorApiHandler>(options, &views, &inbox, log.get());
  }
  testing::TempDir dir;
  runtime::ViewBoard views;
  runtime::OperatorInbox inbox;
  std::unique_ptr<runtime::Log> log;
  std::unique_ptr<ops::OperatorApiHandler> handler;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Api api;
  const absl::string_view request = fuzz::Bytes(data, size);
  const std::string response = api.handler->Serve(request);
  if (!response.empty()) FUZZ_CHECK(absl::StartsWith(response, "HTTP/1.1 "));
  const std::vector<runtime::OperatorInbox::Item> taken = api.inbox.TakeAll();
  if (!absl::StrContains(request, kToken)) FUZZ_CHECK(taken.empty());
  return 0;
}
