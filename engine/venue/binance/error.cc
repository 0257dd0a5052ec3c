// Binance error codes to absl status codes, and the status payload.
#include "engine/venue/binance/error.h"

#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace apollo::venue::binance {
namespace {

// Payload layout: "<http_status>\n<code>\n<msg>" (msg may contain newlines).
constexpr absl::string_view kPayloadUrl = "type.apollo/venue.binance.BinanceError";

}  // namespace

absl::StatusCode StatusCodeForBinance(int code, int http_status) {
  switch (code) {
    case -2011:
    case -2013:
      return absl::StatusCode::kNotFound;
    case -1007:
      return absl::StatusCode::kDeadlineExceeded;
    case -1000:
    case -1001:
    case -1008:
    case -1021:
      return absl::StatusCode::kUnavailable;
    case -1003:
    case -1015:
      return absl::StatusCode::kResourceExhausted;
    case -1002:
    case -1022:
    case -2014:
    case -2015:
      return absl::StatusCode::kPermissionDenied;
    default:
      break;
  }
  if (http_status == 418 || http_status == 429) return absl::StatusCode::kResourceExhausted;
  if (code <= -1100 && code > -1200) return absl::StatusCode::kInvalidArgument;
  if (code <= -4000 && code > -5000) return absl::StatusCode::kInvalidArgument;
  if (code <= -2000 && code > -3000) return absl::StatusCode::kFailedPrecondition;
  if (http_status >= 500) return absl::StatusCode::kUnavailable;
  if (http_status == 401 || http_status == 403) return absl::StatusCode::kPermissionDenied;
  if (http_status >= 400) return absl::StatusCode::kFailedPrecondition;
  return absl::StatusCode::kUnknown;
}

absl::Status MakeBinanceStatus(absl::StatusCode code, const BinanceError& error,
                               absl::string_view context) {
  std::string text = "binance";
  if (error.code != 0) absl::StrAppend(&text, " ", error.code);
  if (!error.msg.empty()) absl::StrAppend(&text, " ", error.msg);
  absl::StrAppend(&text, " (", context);
  if (error.http_status != 0) absl::StrAppend(&text, ", HTTP ", error.http_status);
  absl::StrAppend(&text, ")");
  absl::Status status(code, text);
  status.SetPayload(kPayloadUrl,
                    absl::Cord(absl::StrCat(error.http_status, "\n", error.code, "\n", error.msg)));
  return status;
}

std::optional<BinanceError> GetBinanceError(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadUrl);  // absl::optional<absl::Cord>
  if (!payload) return std::nullopt;
  std::vector<std::string> parts = absl::StrSplit(std::string(*payload), absl::MaxSplits('\n', 2));
  BinanceError error;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &error.http_status) ||
      !absl::SimpleAtoi(parts[1], &error.code)) {
    return std::nullopt;
  }
  error.msg = std::move(parts[2]);
  return error;
}

bool IsIpBanned(const absl::Status& status) {
  std::optional<BinanceError> error = GetBinanceError(status);
  return error && error->http_status == 418;
}

}  // namespace apollo::venue::binance
