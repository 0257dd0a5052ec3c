// Binance USDⓈ-M endpoints: parameter mapping and parsing.
#include "engine/venue/binance/orders_api.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/domain/status_macros.h"

namespace apollo::venue::binance {
namespace {

// Binance's rule for newClientOrderId and clientAlgoId: ^[.A-Z:/a-z0-9_-]{1,36}$
absl::Status CheckClientId(absl::string_view what, absl::string_view id) {
  bool ok = !id.empty() && id.size() <= 36;
  for (char c : id) {
    ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '.' || c == ':' || c == '/' || c == '_' || c == '-');
  }
  if (!ok) return absl::InvalidArgumentError(absl::StrCat("binance: ", what, " '", id, "' breaks ^[.A-Z:/a-z0-9_-]{1,36}$"));
  return absl::OkStatus();
}

absl::Status CheckSymbol(const Symbol& symbol) {
  if (symbol.empty()) return absl::InvalidArgumentError("binance: empty symbol");
  return absl::OkStatus();
}

// A 2xx body that cannot be read is refused (reported to the client's
// hook, then the call fails with the parser's InvalidArgument): a malformed
// number is never read as 0.
template <class T>
absl::StatusOr<T> Refusing(RestClient& client, absl::string_view endpoint, absl::StatusOr<T> parsed) {
  if (!parsed.ok()) client.NoteRefused(endpoint, parsed.status());
  return parsed;
}

// A 2xx body for an order we just placed that we cannot read: the order may
// exist, so the caller must treat the outcome as unknown.
template <class T>
absl::StatusOr<T> PlacedOrUnknown(RestClient& client, absl::StatusOr<T> parsed, absl::string_view context) {
  if (parsed.ok()) return parsed;
  client.NoteRefused(context, parsed.status());
  return absl::DeadlineExceededError(absl::StrCat("binance: ", context, " answered 2xx with an unreadable body (",
                                                  parsed.status().message(),
                                                  "); outcome unknown, query the order by its client id"));
}

Params SymbolParam(const std::optional<Symbol>& symbol) {
  Params p;
  if (symbol && !symbol->empty()) p.Add("symbol", symbol->value);
  return p;
}

}  // namespace

absl::string_view WorkingTypeName(WorkingType type) {
  return type == WorkingType::kMarkPrice ? "MARK_PRICE" : "CONTRACT_PRICE";
}

absl::StatusOr<OrderResult> NewOrder(RestClient& client, const NewOrderRequest& r) {
  RETURN_IF_ERROR(CheckSymbol(r.symbol));
  RETURN_IF_ERROR(CheckClientId("newClientOrderId", r.client_order_id.value));
  if (r.type != OrderType::kMarket && r.type != OrderType::kLimit) {
    return absl::InvalidArgumentError(absl::StrCat("binance: NewOrder takes MARKET or LIMIT, not ", EnumName(r.type),
                                                   " (conditional orders go through NewAlgoOrder)"));
  }
  if (r.quantity <= Fixed()) return absl::InvalidArgumentError("binance: NewOrder quantity must be positive");
  if (r.type == OrderType::kLimit && r.price <= Fixed()) {
    return absl::InvalidArgumentError("binance: LIMIT order needs a positive price");
  }
  Params p;
  p.Add("symbol", r.symbol.value).Add("side", EnumName(r.side)).Add("type", EnumName(r.type));
  p.AddDecimal("quantity", r.quantity);
  if (r.type == OrderType::kLimit) p.AddDecimal("price", r.price).Add("timeInForce", "GTC");
  p.Add("newClientOrderId", r.client_order_id.value);
  if (r.reduce_only) p.AddBool("reduceOnly", true);
  p.Add("newOrderRespType", "RESULT");
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kPost, "/fapi/v1/order", p, Security::kSigned));
  return PlacedOrUnknown(client, ParseOrder(resp.body), "POST /fapi/v1/order");
}

absl::StatusOr<OrderResult> QueryOrder(RestClient& client, const Symbol& symbol, const ClientOrderId& id) {
  RETURN_IF_ERROR(CheckSymbol(symbol));
  RETURN_IF_ERROR(CheckClientId("origClientOrderId", id.value));
  Params p;
  p.Add("symbol", symbol.value).Add("origClientOrderId", id.value);
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kGet, "/fapi/v1/order", p, Security::kSigned));
  return Refusing(client, "GET /fapi/v1/order", ParseOrder(resp.body));
}

absl::StatusOr<OrderResult> QueryOrderById(RestClient& client, const Symbol& symbol, const VenueOrderId& order_id) {
  RETURN_IF_ERROR(CheckSymbol(symbol));
  if (order_id.value.empty() || !std::all_of(order_id.value.begin(), order_id.value.end(), absl::ascii_isdigit)) {
    return absl::InvalidArgumentError(absl::StrCat("binance: orderId must be digits, got '", order_id.value, "'"));
  }
  Params p;
  p.Add("symbol", symbol.value).Add("orderId", order_id.value);
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kGet, "/fapi/v1/order", p, Security::kSigned));
  return Refusing(client, "GET /fapi/v1/order", ParseOrder(resp.body));
}

absl::StatusOr<OrderResult> CancelOrder(RestClient& client, const Symbol& symbol, const ClientOrderId& id) {
  RETURN_IF_ERROR(CheckSymbol(symbol));
  RETURN_IF_ERROR(CheckClientId("origClientOrderId", id.value));
  Params p;
  p.Add("symbol", symbol.value).Add("origClientOrderId", id.value);
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kDelete, "/fapi/v1/order", p, Security::kSigned));
  return Refusing(client, "DELETE /fapi/v1/order", ParseOrder(resp.body));
}

absl::StatusOr<std::vector<OrderResult>> OpenOrders(RestClient& client, const std::optional<Symbol>& symbol) {
  ASSIGN_OR_RETURN(RestResponse resp,
                   client.Call(HttpMethod::kGet, "/fapi/v1/openOrders", SymbolParam(symbol), Security::kSigned));
  return Refusing(client, "GET /fapi/v1/openOrders", ParseOrders(resp.body));
}

absl::StatusOr<AlgoOrderResult> NewAlgoOrder(RestClient& client, const NewAlgoOrderRequest& r) {
  RETURN_IF_ERROR(CheckSymbol(r.symbol));
  RETURN_IF_ERROR(CheckClientId("clientAlgoId", r.client_algo_id.value));
  if (r.type != OrderType::kStopMarket && r.type != OrderType::kTakeProfitMarket) {
    return absl::InvalidArgumentError(
        absl::StrCat("binance: NewAlgoOrder takes STOP_MARKET or TAKE_PROFIT_MARKET, not ", EnumName(r.type)));
  }
  if (r.trigger_price <= Fixed()) return absl::InvalidArgumentError("binance: triggerPrice must be positive");
  if (r.close_position == r.quantity.has_value()) {
    return absl::InvalidArgumentError("binance: an algo order has either a quantity or closePosition, not both or neither");
  }
  if (r.close_position && r.reduce_only) {
    return absl::InvalidArgumentError("binance: reduceOnly cannot be sent with closePosition=true");
  }
  if (r.quantity && *r.quantity <= Fixed()) return absl::InvalidArgumentError("binance: quantity must be positive");
  Params p;
  p.Add("algoType", "CONDITIONAL").Add("symbol", r.symbol.value).Add("side", EnumName(r.side));
  p.Add("type", EnumName(r.type));
  if (r.quantity) p.AddDecimal("quantity", *r.quantity);
  p.AddDecimal("triggerPrice", r.trigger_price).Add("workingType", WorkingTypeName(r.working_type));
  if (r.reduce_only) p.AddBool("reduceOnly", true);
  if (r.close_position) p.AddBool("closePosition", true);
  p.Add("clientAlgoId", r.client_algo_id.value);
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kPost, "/fapi/v1/algoOrder", p, Security::kSigned));
  return PlacedOrUnknown(client, ParseAlgoOrder(resp.body), "POST /fapi/v1/algoOrder");
}

absl::StatusOr<AlgoOrderResult> QueryAlgoOrder(RestClient& client, const ClientOrderId& client_algo_id) {
  RETURN_IF_ERROR(CheckClientId("clientAlgoId", client_algo_id.value));
  Params p;
  p.Add("clientAlgoId", client_algo_id.value);
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kGet, "/fapi/v1/algoOrder", p, Security::kSigned));
  return Refusing(client, "GET /fapi/v1/algoOrder", ParseAlgoOrder(resp.body));
}

absl::StatusOr<AlgoCancelResult> CancelAlgoOrder(RestClient& client, const ClientOrderId& client_algo_id) {
  RETURN_IF_ERROR(CheckClientId("clientAlgoId", client_algo_id.value));
  Params p;
  p.Add("clientAlgoId", client_algo_id.value);
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kDelete, "/fapi/v1/algoOrder", p, Security::kSigned));
  return Refusing(client, "DELETE /fapi/v1/algoOrder", ParseAlgoCancel(resp.body));
}

absl::StatusOr<std::vector<AlgoOrderResult>> OpenAlgoOrders(RestClient& client,
                                                            const std::optional<Symbol>& symbol) {
  ASSIGN_OR_RETURN(RestResponse resp,
                   client.Call(HttpMethod::kGet, "/fapi/v1/openAlgoOrders", SymbolParam(symbol), Security::kSigned));
  return Refusing(client, "GET /fapi/v1/openAlgoOrders", ParseAlgoOrders(resp.body));
}

absl::StatusOr<std::vector<PositionRisk>> GetPositionRisk(RestClient& client,
                                                          const std::optional<Symbol>& symbol) {
  ASSIGN_OR_RETURN(RestResponse resp,
                   client.Call(HttpMethod::kGet, "/fapi/v3/positionRisk", SymbolParam(symbol), Security::kSigned));
  return Refusing(client, "GET /fapi/v3/positionRisk", ParsePositionRisk(resp.body));
}

absl::StatusOr<Account> GetAccount(RestClient& client) {
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kGet, "/fapi/v3/account", Params(), Security::kSigned));
  return Refusing(client, "GET /fapi/v3/account", ParseAccount(resp.body));
}

absl::StatusOr<std::vector<Balance>> GetBalances(RestClient& client) {
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kGet, "/fapi/v3/balance", Params(), Security::kSigned));
  return Refusing(client, "GET /fapi/v3/balance", ParseBalances(resp.body));
}

absl::StatusOr<std::vector<Kline>> GetKlines(RestClient& client, const Symbol& symbol, absl::string_view interval,
                                            int64_t start_time_ms, int limit) {
  RETURN_IF_ERROR(CheckSymbol(symbol));
  if (limit < 1 || limit > kKlinesLimitMax) {
    return absl::InvalidArgumentError(absl::StrCat("binance: klines limit must be 1..", kKlinesLimitMax));
  }
  Params p;
  p.Add("symbol", symbol.value).Add("interval", interval).AddInt("startTime", start_time_ms).AddInt("limit", limit);
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kGet, "/fapi/v1/klines", p, Security::kNone));
  return Refusing(client, "GET /fapi/v1/klines", ParseKlines(resp.body));
}

absl::StatusOr<std::vector<UserTrade>> GetUserTrades(RestClient& client, const Symbol& symbol,
                                                     const VenueOrderId& order_id) {
  RETURN_IF_ERROR(CheckSymbol(symbol));
  if (order_id.value.empty() || !std::all_of(order_id.value.begin(), order_id.value.end(), absl::ascii_isdigit)) {
    return absl::InvalidArgumentError(absl::StrCat("binance: orderId must be digits, got '", order_id.value, "'"));
  }
  Params p;
  p.Add("symbol", symbol.value).Add("orderId", order_id.value);
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kGet, "/fapi/v1/userTrades", p, Security::kSigned));
  return Refusing(client, "GET /fapi/v1/userTrades", ParseUserTrades(resp.body));
}

namespace {

// GET `path`?symbol=S of a public endpoint that answers one object for
// one symbol: parsed with `parse`, and it must be that symbol's.
template <class T>
absl::StatusOr<T> GetForSymbol(RestClient& client, absl::string_view path, const Symbol& symbol,
                               absl::StatusOr<std::vector<T>> (*parse)(absl::string_view)) {
  RETURN_IF_ERROR(CheckSymbol(symbol));
  Params p;
  p.Add("symbol", symbol.value);
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kGet, path, p, Security::kNone));
  const std::string endpoint = absl::StrCat("GET ", path);
  absl::StatusOr<std::vector<T>> parsed = parse(resp.body);
  if (parsed.ok() && (parsed->size() != 1 || parsed->front().symbol != symbol)) {
    parsed = absl::InvalidArgumentError(absl::StrCat("binance ", endpoint, ": not the answer for ", symbol.value));
  }
  ASSIGN_OR_RETURN(std::vector<T> one, Refusing(client, endpoint, std::move(parsed)));
  return std::move(one.front());
}

}  // namespace

absl::StatusOr<Ticker24h> GetTicker24h(RestClient& client, const Symbol& symbol) {
  return GetForSymbol(client, "/fapi/v1/ticker/24hr", symbol, ParseTickers24h);
}

absl::StatusOr<PremiumIndex> GetPremiumIndex(RestClient& client, const Symbol& symbol) {
  return GetForSymbol(client, "/fapi/v1/premiumIndex", symbol, ParsePremiumIndexes);
}

absl::StatusOr<std::vector<Ticker24h>> GetTickers24h(RestClient& client) {
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kGet, "/fapi/v1/ticker/24hr", Params(), Security::kNone));
  return Refusing(client, "GET /fapi/v1/ticker/24hr", ParseTickers24h(resp.body));
}

absl::StatusOr<std::vector<PremiumIndex>> GetPremiumIndexes(RestClient& client) {
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kGet, "/fapi/v1/premiumIndex", Params(), Security::kNone));
  return Refusing(client, "GET /fapi/v1/premiumIndex", ParsePremiumIndexes(resp.body));
}

absl::StatusOr<ExchangeInfo> GetExchangeInfo(RestClient& client) {
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kGet, "/fapi/v1/exchangeInfo", Params(), Security::kNone));
  return Refusing(client, "GET /fapi/v1/exchangeInfo", ParseExchangeInfo(resp.body));
}

absl::StatusOr<int64_t> GetServerTime(RestClient& client) {
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kGet, "/fapi/v1/time", Params(), Security::kNone));
  return Refusing(client, "GET /fapi/v1/time", ParseServerTime(resp.body));
}

absl::StatusOr<std::string> CreateListenKey(RestClient& client) {
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kPost, "/fapi/v1/listenKey", Params(), Security::kApiKey));
  return Refusing(client, "POST /fapi/v1/listenKey", ParseListenKey(resp.body));
}

absl::Status KeepAliveListenKey(RestClient& client) {
  return client.Call(HttpMethod::kPut, "/fapi/v1/listenKey", Params(), Security::kApiKey).status();
}

absl::Status CloseListenKey(RestClient& client) {
  return client.Call(HttpMethod::kDelete, "/fapi/v1/listenKey", Params(), Security::kApiKey).status();
}

}  // namespace apollo::venue::binance
