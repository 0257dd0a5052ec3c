// Kalshi's endpoints by name (issue 15 §2), over RestClient and payloads.h:
// markets, books, orders, fills, positions, settlements, balance. Listings
// follow Kalshi's cursor page by page, at most kMaxPages pages (more is
// ResourceExhausted, never a silent cut).
//
//   NewOrderRequest req{.ticker = "KXHIGHNY-25APR01-B77.5", .side = "yes", .action = "buy",
//                       .count = Fixed::FromInt(5), .price = *Fixed::Parse("0.42"),
//                       .client_order_id = "apollo-1a2b-812-entry"};
//   ASSIGN_OR_RETURN(Order order, CreateOrder(client, req));
#ifndef APOLLO_ENGINE_VENUE_KALSHI_ORDERS_API_H_
#define APOLLO_ENGINE_VENUE_KALSHI_ORDERS_API_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/domain/fixed.h"
#include "engine/venue/kalshi/payloads.h"
#include "engine/venue/kalshi/rest_client.h"

namespace apollo::venue::kalshi {

inline constexpr int kMaxPages = 50;
inline constexpr int kPageLimit = 200;  // items asked for per page

// A limit order. `price` is the dollar price of the side bought or sold
// (yes_price_dollars for side yes, no_price_dollars for side no).
struct NewOrderRequest {
  std::string ticker;
  std::string side;    // yes | no
  std::string action;  // buy | sell
  Fixed count;         // contracts, at most 2 decimals, > 0
  Fixed price;         // dollars, strictly between 0 and 1, at most 4 decimals
  std::string client_order_id;  // ours: Kalshi refuses a second order with it (409)
  std::string time_in_force = "good_till_canceled";  // | fill_or_kill | immediate_or_cancel
  bool post_only = false;
  bool reduce_only = false;
};

// The request's JSON body; InvalidArgument (nothing sent) for a bad field.
absl::StatusOr<std::string> OrderBody(const NewOrderRequest& request);

absl::StatusOr<Order> CreateOrder(RestClient& client, const NewOrderRequest& request);
absl::StatusOr<Order> CancelOrder(RestClient& client, const std::string& order_id);
absl::StatusOr<Order> GetOrder(RestClient& client, const std::string& order_id);
// Our order by its client_order_id among the market's orders (what an
// order in doubt after a crash is resolved by); nullopt: Kalshi has none.
absl::StatusOr<std::optional<Order>> FindOrder(RestClient& client, const std::string& ticker,
                                               const std::string& client_order_id);
// Resting orders, of one market or all.
absl::StatusOr<std::vector<Order>> RestingOrders(RestClient& client, const std::optional<std::string>& ticker);
// Fills since `min_ts` (Unix seconds; 0: all Kalshi keeps), of one market or all.
absl::StatusOr<std::vector<Fill>> Fills(RestClient& client, const std::optional<std::string>& ticker, int64_t min_ts);
absl::StatusOr<std::vector<Position>> Positions(RestClient& client);
absl::StatusOr<std::vector<Settlement>> Settlements(RestClient& client);
absl::StatusOr<Balance> GetBalance(RestClient& client);
absl::StatusOr<ApiLimits> GetApiLimits(RestClient& client);

// Public market data (no signature).
absl::StatusOr<Market> GetMarket(RestClient& client, const std::string& ticker);
absl::StatusOr<std::vector<Market>> Markets(RestClient& client, const std::string& series_ticker,
                                            const std::string& status);  // status "" = any
absl::StatusOr<Orderbook> GetOrderbook(RestClient& client, const std::string& ticker);
// An event with its markets (one call for all of an event's results).
absl::StatusOr<Event> GetEvent(RestClient& client, const std::string& event_ticker);

}  // namespace apollo::venue::kalshi

#endif  // APOLLO_ENGINE_VENUE_KALSHI_ORDERS_API_H_
