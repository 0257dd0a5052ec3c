// Kalshi's endpoints: see orders_api.h.
#include "engine/venue/kalshi/orders_api.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/domain/json.h"
#include "engine/domain/status_macros.h"

namespace apollo::venue::kalshi {
namespace {

// A ticker or id is placed in a path: letters, digits and - _ . only.
absl::Status CheckPathPart(absl::string_view what, absl::string_view text) {
  if (text.empty() || text.size() > 128) return absl::InvalidArgumentError(absl::StrCat("kalshi: empty or long ", what));
  if (text.find_first_not_of('.') == absl::string_view::npos) {  // "." and ".." would walk the path
    return absl::InvalidArgumentError(absl::StrCat("kalshi: ", what, " holds a character a path cannot"));
  }
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return absl::InvalidArgumentError(absl::StrCat("kalshi: ", what, " holds a character a path cannot"));
    }
  }
  return absl::OkStatus();
}

// Every page of a listing: `parse` reads one page; at most kMaxPages.
template <class T, class Parse>
absl::StatusOr<std::vector<T>> AllPages(RestClient& client, absl::string_view path, Query query, Auth auth,
                                        Parse parse) {
  std::vector<T> out;
  std::string cursor;
  query.emplace_back("limit", absl::StrCat(kPageLimit));
  for (int page = 0; page < kMaxPages; ++page) {
    Query q = query;
    if (!cursor.empty()) q.emplace_back("cursor", cursor);
    ASSIGN_OR_RETURN(RestResponse r, client.Call(HttpMethod::kGet, path, q, "", auth));
    ASSIGN_OR_RETURN(Page<T> p, parse(r.body));
    for (T& item : p.items) out.push_back(std::move(item));
    if (p.cursor.empty() || p.items.empty()) return out;
    cursor = std::move(p.cursor);
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("kalshi: GET ", path, ": more than ", kMaxPages, " pages of ", kPageLimit, "; narrow the query"));
}

}  // namespace

absl::StatusOr<std::string> OrderBody(const NewOrderRequest& r) {
  RETURN_IF_ERROR(CheckPathPart("ticker", r.ticker));
  if (r.side != "yes" && r.side != "no") return absl::InvalidArgumentError("kalshi order: side must be yes or no");
  if (r.action != "buy" && r.action != "sell") return absl::InvalidArgumentError("kalshi order: action must be buy or sell");
  if (!IsContractCount(r.count)) {
    return absl::InvalidArgumentError(absl::StrCat("kalshi order: count must be > 0 with at most 2 decimals (got ",
                                                   r.count.ToString(), ")"));
  }
  if (!IsTradablePrice(r.price)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kalshi order: price must be between 0 and 1 dollars, at most 4 decimals (got ", r.price.ToString(), ")"));
  }
  if (r.client_order_id.empty() || r.client_order_id.size() > 64) {
    return absl::InvalidArgumentError("kalshi order: client_order_id must be 1..64 characters");
  }
  if (r.time_in_force != "good_till_canceled" && r.time_in_force != "fill_or_kill" &&
      r.time_in_force != "immediate_or_cancel") {
    return absl::InvalidArgumentError("kalshi order: time_in_force must be good_till_canceled, fill_or_kill or immediate_or_cancel");
  }
  std::string body = "{\"ticker\":";
  json::AppendString(&body, r.ticker);
  body += ",\"client_order_id\":";
  json::AppendString(&body, r.client_order_id);
  absl::StrAppend(&body, ",\"side\":\"", r.side, "\",\"action\":\"", r.action, "\",\"count_fp\":\"", Count2(r.count),
                  "\",\"", r.side, "_price_dollars\":\"", Dollars4(r.price), "\",\"time_in_force\":\"", r.time_in_force,
                  "\",\"post_only\":", r.post_only ? "true" : "false", ",\"reduce_only\":", r.reduce_only ? "true" : "false",
                  "}");
  return body;
}

absl::StatusOr<Order> CreateOrder(RestClient& client, const NewOrderRequest& request) {
  ASSIGN_OR_RETURN(std::string body, OrderBody(request));
  ASSIGN_OR_RETURN(RestResponse r, client.Call(HttpMethod::kPost, "/portfolio/orders", {}, body, Auth::kSigned));
  return ParseOrder(r.body);
}

absl::StatusOr<Order> CancelOrder(RestClient& client, const std::string& order_id) {
  RETURN_IF_ERROR(CheckPathPart("order id", order_id));
  ASSIGN_OR_RETURN(RestResponse r,
                   client.Call(HttpMethod::kDelete, absl::StrCat("/portfolio/orders/", order_id), {}, "", Auth::kSigned));
  return ParseOrder(r.body);
}

absl::StatusOr<Order> GetOrder(RestClient& client, const std::string& order_id) {
  RETURN_IF_ERROR(CheckPathPart("order id", order_id));
  ASSIGN_OR_RETURN(RestResponse r,
                   client.Call(HttpMethod::kGet, absl::StrCat("/portfolio/orders/", order_id), {}, "", Auth::kSigned));
  return ParseOrder(r.body);
}

absl::StatusOr<std::optional<Order>> FindOrder(RestClient& client, const std::string& ticker,
                                               const std::string& client_order_id) {
  RETURN_IF_ERROR(CheckPathPart("ticker", ticker));
  ASSIGN_OR_RETURN(std::vector<Order> orders,
                   AllPages<Order>(client, "/portfolio/orders", {{"ticker", ticker}}, Auth::kSigned, ParseOrders));
  for (Order& o : orders) {
    if (o.client_order_id == client_order_id) return std::optional<Order>(std::move(o));
  }
  return std::optional<Order>();
}

absl::StatusOr<std::vector<Order>> RestingOrders(RestClient& client, const std::optional<std::string>& ticker) {
  Query q = {{"status", "resting"}};
  if (ticker) q.emplace_back("ticker", *ticker);
  return AllPages<Order>(client, "/portfolio/orders", q, Auth::kSigned, ParseOrders);
}

absl::StatusOr<std::vector<Fill>> Fills(RestClient& client, const std::optional<std::string>& ticker, int64_t min_ts) {
  Query q;
  if (ticker) q.emplace_back("ticker", *ticker);
  if (min_ts > 0) q.emplace_back("min_ts", absl::StrCat(min_ts));
  return AllPages<Fill>(client, "/portfolio/fills", q, Auth::kSigned, ParseFills);
}

absl::StatusOr<std::vector<Position>> Positions(RestClient& client) {
  return AllPages<Position>(client, "/portfolio/positions", {}, Auth::kSigned, ParsePositions);
}

absl::StatusOr<std::vector<Settlement>> Settlements(RestClient& client) {
  return AllPages<Settlement>(client, "/portfolio/settlements", {}, Auth::kSigned, ParseSettlements);
}

absl::StatusOr<Balance> GetBalance(RestClient& client) {
  ASSIGN_OR_RETURN(RestResponse r, client.Call(HttpMethod::kGet, "/portfolio/balance", {}, "", Auth::kSigned));
  return ParseBalance(r.body);
}

absl::StatusOr<ApiLimits> GetApiLimits(RestClient& client) {
  ASSIGN_OR_RETURN(RestResponse r, client.Call(HttpMethod::kGet, "/account/limits", {}, "", Auth::kSigned));
  return ParseApiLimits(r.body);
}

absl::StatusOr<Market> GetMarket(RestClient& client, const std::string& ticker) {
  RETURN_IF_ERROR(CheckPathPart("ticker", ticker));
  ASSIGN_OR_RETURN(RestResponse r, client.Call(HttpMethod::kGet, absl::StrCat("/markets/", ticker), {}, "", Auth::kNone));
  return ParseMarket(r.body);
}

absl::StatusOr<std::vector<Market>> Markets(RestClient& client, const std::string& series_ticker,
                                            const std::string& status) {
  Query q = {{"series_ticker", series_ticker}};
  if (!status.empty()) q.emplace_back("status", status);
  return AllPages<Market>(client, "/markets", q, Auth::kNone, ParseMarkets);
}

absl::StatusOr<Event> GetEvent(RestClient& client, const std::string& event_ticker) {
  RETURN_IF_ERROR(CheckPathPart("event_ticker", event_ticker));
  ASSIGN_OR_RETURN(RestResponse r, client.Call(HttpMethod::kGet, absl::StrCat("/events/", event_ticker),
                                               {{"with_nested_markets", "true"}}, "", Auth::kNone));
  return ParseEvent(r.body);
}

absl::StatusOr<Orderbook> GetOrderbook(RestClient& client, const std::string& ticker) {
  RETURN_IF_ERROR(CheckPathPart("ticker", ticker));
  ASSIGN_OR_RETURN(RestResponse r, client.Call(HttpMethod::kGet, absl::StrCat("/markets/", ticker, "/orderbook"), {}, "",
                                               Auth::kNone));
  return ParseOrderbook(r.body);
}

}  // namespace apollo::venue::kalshi
