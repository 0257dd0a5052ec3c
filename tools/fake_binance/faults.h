// Fault injection for the fake server: a queue of one-shot (or N-shot)
// misbehaviours that the next matching requests suffer. Each fault acts at
// one stage of a request:
//
//   kGateway      before authentication, as Binance's front door would:
//                 answer 429 / 418 / 5xx (with Retry-After), or wait
//                 `delay_ms` and then carry on (a client timeout drill).
//   kEngine       after authentication, for SIGNED endpoints only, instead
//                 of the handler: a Binance error (-1021, -2019, -2013,
//                 -4116...). The request has no effect.
//   kAfterAccept  after the handler answered 200 (the order exists): wait
//                 `delay_ms` before answering ("timeout after accepted"),
//                 replace the answer with an HTTP error (a 5xx after the
//                 order was placed), or send it with one field's value
//                 replaced (`corrupt_field` = `corrupt_value`: a malformed
//                 number in a 200 answer).
//
// A fault matches a request when its method and path are empty or equal;
// the first pending fault that matches is consumed (count decremented).
// A fault with `for_ms` > 0 is not consumed: it acts on every matching
// request for that long after it was added (a venue slow for minutes).
//
//   RETURN_IF_ERROR(faults.Add(RateLimited(/*retry_after_s=*/2)));  // next request: 429
//   RETURN_IF_ERROR(faults.Add(DelayAfterAccept(3000)));            // next POST /fapi/v1/order
//   RETURN_IF_ERROR(faults.Add(EngineError(-1021)));                // next signed request
//
// Thread-safe.
#ifndef APOLLO_TOOLS_FAKE_BINANCE_FAULTS_H_
#define APOLLO_TOOLS_FAKE_BINANCE_FAULTS_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tools/fake_binance/fake_exchange.h"

namespace apollo::fake_binance {

enum class FaultStage : uint8_t { kGateway, kEngine, kAfterAccept };

struct Fault {
  FaultStage stage = FaultStage::kGateway;
  std::string method;  // "GET", "POST", ...; "" = any
  std::string path;    // "/fapi/v1/order"; "" = any /fapi path
  int count = 1;       // how many matching requests suffer it

  int http_status = 0;     // answer with this status (0: no answer, only a delay)
  int retry_after_s = -1;  // Retry-After header when >= 0
  int code = 0;            // Binance error code for the body (0: no JSON body)
  std::string msg;         // "" = Binance's standard message for `code`
  int64_t delay_ms = 0;    // wait before carrying on / before answering
  std::string corrupt_field, corrupt_value;  // kAfterAccept: "price" = "abc"
  int64_t for_ms = 0;      // > 0: every matching request for this long, not `count`
  int64_t until_ms = 0;    // steady clock, set by FaultInjector::Add when for_ms > 0

  std::string ToJson() const;
};

// The usual faults. `path` "" means any path.
Fault RateLimited(int retry_after_s, int count = 1, std::string path = "");   // 429, -1003
Fault IpBanned(int retry_after_s, int64_t now_ms, int count = 1, std::string path = "");  // 418, -1003
Fault ServerError(int http_status, int count = 1, std::string path = "");    // 5xx before processing
Fault DelayBefore(int64_t delay_ms, int count = 1, std::string path = "");
// `method`/`path` default to the order entry point, POST /fapi/v1/order.
Fault DelayAfterAccept(int64_t delay_ms, std::string method = "POST", std::string path = "/fapi/v1/order");
Fault ServerErrorAfterAccept(int http_status, std::string method = "POST", std::string path = "/fapi/v1/order");
// The next 200 answer to method/path with "field"'s value replaced by `value`.
Fault CorruptAnswer(std::string field, std::string value, std::string method, std::string path);
// A Binance error on the next signed request matching method/path:
// -1021 (any), -2019 / -4116 (POST /fapi/v1/order), -2013 (GET /fapi/v1/order).
Fault EngineError(int code, std::string method = "", std::string path = "", int count = 1);

class FaultInjector {
 public:
  static constexpr size_t kPendingMax = 1'000;

  // ResourceExhausted when kPendingMax faults are already pending.
  absl::Status Add(Fault fault);
  void Clear();
  // Consumes and returns the first pending fault of `stage` matching the request.
  std::optional<Fault> Take(FaultStage stage, absl::string_view method, absl::string_view path);
  std::vector<Fault> Pending() const;
  std::string PendingJson() const;

 private:
  mutable std::mutex mu_;
  std::vector<Fault> faults_;
};

// The admin endpoint's parameters → a fault. `kind` is one of
//   429 | 418 | 5xx (status=500..599) | delay (ms=, phase=before|after) |
//   timestamp (-1021) | margin (-2019) | no_such_order (-2013) |
//   duplicate_client_id (-4116) | error (code=, msg=) |
//   corrupt (field=, value=, path= and method= required: the 200 answer
//   carries "field":"value")
// with optional count=, path=, method=, retry_after=, for_ms= (act on every
// matching request for that long instead of count= of them), and for 5xx
// phase=after (the request is processed, then answered 5xx).
// InvalidArgument names the bad parameter.
absl::StatusOr<Fault> ParseFault(const Params& params, int64_t now_ms);

// `json` with the value of the first "field": replaced by `value` (inside
// the quotes for a string value, bare otherwise); unchanged if absent.
std::string CorruptJsonField(absl::string_view json, absl::string_view field, absl::string_view value);

}  // namespace apollo::fake_binance

#endif  // APOLLO_TOOLS_FAKE_BINANCE_FAULTS_H_
