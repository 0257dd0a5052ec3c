// Binance error codes and their standard messages (see api_error.h).
#include "tools/fake_binance/api_error.h"

#include "absl/strings/str_cat.h"
#include "tools/fake_binance/json_writer.h"

namespace apollo::fake_binance {
namespace {

struct Known {
  int code;
  const char* msg;
};

// Messages as Binance sends them; sources in api_error.h.
constexpr Known kKnown[] = {
    {kUnknown, "An unknown error occured while processing the request."},
    {kDisconnected, "Internal error; unable to process your request. Please try again."},
    {kTooManyRequests,
     "Too many requests; current limit is 2400 requests per minute. Please use the websocket for live updates "
     "to avoid polling the API."},
    {kInvalidTimestamp, "Timestamp for this request is outside of the recvWindow."},
    {kInvalidSignature, "Signature for this request is not valid."},
    {kBadPrecision, "Precision is over the maximum defined for this asset."},
    {kInvalidTimeInForce, "Invalid timeInForce."},
    {kInvalidOrderType, "Invalid orderType."},
    {kInvalidSide, "Invalid side."},
    {kBadSymbol, "Invalid symbol."},
    {kInvalidListenKey,
     "This listenKey does not exist. Please use `POST /fapi/v1/listenKey` to recreate `listenKey`"},
    {kBadRecvWindow, "recvWindow must be less than 60000"},
    {kCancelRejected, "Unknown order sent."},
    {kNoSuchOrder, "Order does not exist."},
    {kBadApiKeyFormat, "API-key format invalid."},
    {kRejectedApiKey, "Invalid API-key, IP, or permissions for action."},
    {kMarginInsufficient, "Margin is insufficient."},
    {kWouldImmediatelyTrigger, "Order would immediately trigger."},
    {kReduceOnlyRejected, "ReduceOnly Order is rejected."},
    {kMaxOpenOrders, "Reach max open order limit."},
    {kMaxStopOrders, "Reach max stop order limit."},
    {kPriceLessThanZero, "Price less than 0."},
    {kQtyLessThanZero, "Quantity less than zero."},
    {kQtyGreaterThanMax, "Quantity greater than max quantity."},
    {kPriceNotByTick, "Price not increased by tick size."},
    {kClientOrderIdInvalid, "Client order id is not valid."},
    {kQtyNotByStep, "Qty not increased by step size."},
    {kDuplicateClientOrderId, "ClientOrderId is duplicated."},
    {kUseAlgoOrderApi, "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead."},
    {kQtyWithClosePosition, "Quantity must be zero with closePosition equals true"},
    {kMinNotional, "Order's notional must be no smaller than 5 (unless you choose reduce only)."},
    {kNoNeedToChangeMarginType, "No need to change margin type."},
    {kMarginTypeOpenOrders, "Margin type cannot be changed if there exists open orders."},
    {kMarginTypePosition, "Margin type cannot be changed if there exists position."},
    {kNoNeedToChangePositionSide, "No need to change position side."},
    {kPositionSideNotMatch, "Order's position side does not match user's setting."},
    {kPositionSideOpenOrders, "Position side cannot be changed if there exists open orders."},
    {kPositionSidePosition, "Position side cannot be changed if there exists position."},
};

}  // namespace

std::string ApiError::ToJson() const { return JsonObject().Int("code", code).Str("msg", msg).Close(); }

ApiError Error(int code, std::string msg) {
  ApiError e;
  e.code = code;
  e.http_status = (code == kBadApiKeyFormat || code == kRejectedApiKey) ? 401 : 400;
  if (msg.empty()) {
    for (const Known& k : kKnown) {
      if (k.code == code) msg = k.msg;
    }
  }
  e.msg = msg.empty() ? "An unknown error occured while processing the request." : std::move(msg);
  return e;
}

std::string MandatoryParamMsg(absl::string_view param) {
  return absl::StrCat("Mandatory parameter '", param, "' was not sent, was empty/null, or malformed.");
}

std::string ParamNotRequiredMsg(absl::string_view param) {
  return absl::StrCat("Parameter '", param, "' sent when not required.");
}

}  // namespace apollo::fake_binance
