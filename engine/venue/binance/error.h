// Binance errors as absl::Status. A refusal from Binance arrives as HTTP 4xx
// with a JSON body `{"code":-2019,"msg":"Margin is insufficient."}`; the REST
// client turns it into a Status whose code tells the caller what to do and
// whose payload keeps Binance's own code and message, so callers branch on the
// number, never on message text.
//
//   absl::StatusOr<OrderResult> r = NewOrder(client, request);
//   if (auto e = GetBinanceError(r.status()); e && e->code == -2019) { ... }
//   if (IsIpBanned(r.status())) { /* stop sending until banned_until_ms */ }
//
// Status codes chosen (StatusCodeForBinance):
//   kNotFound            -2011 / -2013: the order does not exist on the venue
//   kDeadlineExceeded    -1007 (backend timeout): outcome unknown, query it
//   kUnavailable         -1000 / -1001 / -1008, -1021 (clock skew), HTTP 5xx
//   kResourceExhausted   -1003 / -1015, HTTP 429, HTTP 418 (IP ban)
//   kPermissionDenied    -1002, -1022, -2014, -2015: credentials or signature
//   kInvalidArgument     -11xx and -4xxx: the request broke a parameter rule
//   kFailedPrecondition  other -2xxx: the account state refused it (margin, ...)
// Texts built here never contain the API key, secret or a signature: the
// client redacts them out of Binance's `msg` before it gets here.
#ifndef APOLLO_ENGINE_VENUE_BINANCE_ERROR_H_
#define APOLLO_ENGINE_VENUE_BINANCE_ERROR_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace apollo::venue::binance {

// What Binance said. `code` is 0 when the answer carried no JSON error
// (a bare 5xx or 418); `http_status` is 0 for transport failures.
struct BinanceError {
  int code = 0;
  std::string msg;
  int http_status = 0;
  bool operator==(const BinanceError&) const = default;
};

// -4116 "ClientOrderId is duplicated.": the venue already holds an order
// with that id (for a retried send: ours).
inline constexpr int kDuplicateClientOrderIdCode = -4116;

// The absl code for a Binance error code, falling back on the HTTP status.
absl::StatusCode StatusCodeForBinance(int code, int http_status);

// "binance -2019 Margin is insufficient. (POST /fapi/v1/order, HTTP 400)"
// with `error` attached as the status payload.
absl::Status MakeBinanceStatus(absl::StatusCode code, const BinanceError& error,
                               absl::string_view context);

// The payload MakeBinanceStatus attached, if any.
std::optional<BinanceError> GetBinanceError(const absl::Status& status);

// True for the HTTP 418 "IP auto-banned" status: do not send anything until
// RestClient::banned_until_ms().
bool IsIpBanned(const absl::Status& status);

}  // namespace apollo::venue::binance

#endif  // APOLLO_ENGINE_VENUE_BINANCE_ERROR_H_
