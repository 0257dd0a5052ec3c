// Binance's error answers as the fake server gives them: an HTTP status and
// the JSON body {"code":<int>,"msg":<string>}. Codes and messages follow the
// USDⓈ-M futures error-code page (shared/data/binance/rest/
// errors_usdm_futures.docs.json), plus the few the page lacks that real
// traffic shows: -4116 (duplicate client order id), -4120 (conditional type
// sent to /fapi/v1/order since the 2025-12-09 Algo Service move), -4164
// (MIN_NOTIONAL), -4137, -1131, -2025 and -4045 (open order limits).
//
//   return Error(kMarginInsufficient);                        // -2019, HTTP 400
//   return Error(kMandatoryParam, MandatoryParamMsg("symbol"));
#ifndef APOLLO_TOOLS_FAKE_BINANCE_API_ERROR_H_
#define APOLLO_TOOLS_FAKE_BINANCE_API_ERROR_H_

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace apollo::fake_binance {

inline constexpr int kUnknown = -1000;
inline constexpr int kDisconnected = -1001;
inline constexpr int kTooManyRequests = -1003;
inline constexpr int kInvalidTimestamp = -1021;
inline constexpr int kInvalidSignature = -1022;
inline constexpr int kMandatoryParam = -1102;
inline constexpr int kParamNotRequired = -1106;
inline constexpr int kBadPrecision = -1111;
inline constexpr int kInvalidTimeInForce = -1115;
inline constexpr int kInvalidOrderType = -1116;
inline constexpr int kInvalidSide = -1117;
inline constexpr int kBadSymbol = -1121;
inline constexpr int kInvalidListenKey = -1125;
inline constexpr int kBadRecvWindow = -1131;
inline constexpr int kCancelRejected = -2011;
inline constexpr int kNoSuchOrder = -2013;
inline constexpr int kBadApiKeyFormat = -2014;
inline constexpr int kRejectedApiKey = -2015;
inline constexpr int kMarginInsufficient = -2019;
inline constexpr int kWouldImmediatelyTrigger = -2021;
inline constexpr int kReduceOnlyRejected = -2022;
inline constexpr int kMaxOpenOrders = -2025;
inline constexpr int kPriceLessThanZero = -4001;
inline constexpr int kQtyLessThanZero = -4003;
inline constexpr int kQtyGreaterThanMax = -4005;
inline constexpr int kPriceNotByTick = -4014;
inline constexpr int kClientOrderIdInvalid = -4015;
inline constexpr int kQtyNotByStep = -4023;
inline constexpr int kMaxStopOrders = -4045;
inline constexpr int kDuplicateClientOrderId = -4116;
inline constexpr int kUseAlgoOrderApi = -4120;
inline constexpr int kQtyWithClosePosition = -4137;
inline constexpr int kMinNotional = -4164;
inline constexpr int kInvalidLeverage = -4028;
inline constexpr int kNoNeedToChangeMarginType = -4046;
inline constexpr int kMarginTypeOpenOrders = -4047;
inline constexpr int kMarginTypePosition = -4048;
inline constexpr int kNoNeedToChangePositionSide = -4059;
inline constexpr int kPositionSideNotMatch = -4061;
inline constexpr int kPositionSideOpenOrders = -4067;
inline constexpr int kPositionSidePosition = -4068;

struct ApiError {
  int http_status = 400;
  int code = 0;
  std::string msg;

  std::string ToJson() const;  // {"code":-2019,"msg":"Margin is insufficient."}
};

// The error with Binance's standard message for `code` (or `msg` when given)
// and its usual HTTP status (401 for the API-key errors, 400 otherwise).
ApiError Error(int code, std::string msg = "");
// "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."
std::string MandatoryParamMsg(absl::string_view param);
// "Parameter 'price' sent when not required."
std::string ParamNotRequiredMsg(absl::string_view param);

// A value or the Binance error that replaced it.
template <class T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : value_(std::move(value)) {}           // NOLINT: implicit by design
  ApiResult(ApiError error) : error_(std::move(error)) {}   // NOLINT
  bool ok() const { return !error_.has_value(); }
  const ApiError& error() const { return *error_; }
  const T& value() const { return *value_; }
  T& value() { return *value_; }
  const T* operator->() const { return &*value_; }
  const T& operator*() const { return *value_; }

 private:
  std::optional<T> value_;
  std::optional<ApiError> error_;
};

}  // namespace apollo::fake_binance

#endif  // APOLLO_TOOLS_FAKE_BINANCE_API_ERROR_H_
