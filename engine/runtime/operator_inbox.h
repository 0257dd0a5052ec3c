// Operator commands (pause, resume, ack, kill switch, cancel-all, close,
// flatten, reconcile, circuit-breaker reset, backup, strategy weights, a
// rate-gate reset) on their way from the
// operator API's threads to the engine thread. The API never touches State:
// it submits a command and waits for the engine to handle it at its next
// step, which journals the command as an event first.
//
//   auto done = inbox.Submit({OperatorCommand::kPause, "api@127.0.0.1", "news"});
//   if (done.wait_for(5s) == ready) reply(done.get());
//   ... engine thread: for (auto& [cmd, promise] : inbox.TakeAll()) promise.set_value(engine.OnOperator(cmd));
#ifndef APOLLO_ENGINE_RUNTIME_OPERATOR_INBOX_H_
#define APOLLO_ENGINE_RUNTIME_OPERATOR_INBOX_H_

#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "engine/domain/events.h"

namespace apollo::runtime {

struct OperatorCommand {
  enum Kind {
    kPause, kResume, kAck, kKillSwitch, kCancelAll, kClose, kFlatten, kReconcile, kResetBreaker, kBackup, kSetWeights,
    kResetRateLimit
  };
  Kind kind = kPause;
  std::string who;     // "api@127.0.0.1", "cli", ...
  std::string reason;
  std::string symbol;  // kClose: the position to close
  std::vector<NamedValue> weights;  // kSetWeights: strategy name -> 0..1
  // kResetRateLimit: the provider, and what its gate held before (both
  // journaled in the OperatorAction).
  std::string provider, detail;
  // kResetRateLimit: called by the engine thread once the command is in the
  // ledger (synced), whether or not the API still waits for the answer: the
  // effect outside the engine, the gate's reset.
  std::function<void()> on_journaled;
};

struct OperatorResult {
  int http_status = 200;
  std::string json;  // the response body
};

class OperatorInbox {
 public:
  using Item = std::pair<OperatorCommand, std::promise<OperatorResult>>;
  // Commands waiting for the engine at most; one more is answered 503 at
  // once (the engine is not taking them: a stalled loop, not a busy one).
  static constexpr size_t kMaxPending = 64;

  // Called after each Submit, from the submitting thread, with the inbox's
  // lock held (it must not call back into the inbox): wakes the engine loop
  // if it is waiting (a paced paper run, an idle live loop).
  void SetWake(std::function<void()> wake) {
    std::lock_guard<std::mutex> l(mu_);
    wake_ = std::move(wake);
  }
  std::future<OperatorResult> Submit(OperatorCommand cmd) {
    std::promise<OperatorResult> p;
    std::future<OperatorResult> f = p.get_future();
    std::lock_guard<std::mutex> l(mu_);
    if (items_.size() >= kMaxPending) {
      p.set_value(OperatorResult{503, R"({"error":"the engine has not taken the last 64 commands; try again"})"});
      return f;
    }
    items_.emplace_back(std::move(cmd), std::move(p));
    // Under the lock: once SetWake(nullptr) returns, no call to the old
    // wake is under way (it may point into a loop that is ending).
    if (wake_) wake_();
    return f;
  }
  std::vector<Item> TakeAll() {
    std::lock_guard<std::mutex> l(mu_);
    return std::exchange(items_, {});
  }

 private:
  std::mutex mu_;
  std::vector<Item> items_;
  std::function<void()> wake_;
};

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_OPERATOR_INBOX_H_
