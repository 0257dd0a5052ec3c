// Kalshi REST answers (trade-api v2, the fixed-point shape of 2026) read
// into plain structs (issue 15 §2). Prices are `*_dollars` strings ("0.5600":
// dollars, 0..1, at most 4 decimals) and counts `*_fp` strings ("10.00": at
// most 2 decimals, never negative); each is parsed exactly into Fixed, and a
// missing, malformed or out-of-range value is refused with one line naming
// the payload and the field, never read as 0. Strikes arrive as JSON numbers
// and are read from their text, not through a double.
//
//   ASSIGN_OR_RETURN(Orderbook book, ParseOrderbook(body));
//   std::optional<Fixed> ask = book.BestYesAsk();  // 1 - the best NO bid
//
// Pure: no I/O. The endpoints and their signing are the REST client's.
#ifndef APOLLO_ENGINE_VENUE_KALSHI_PAYLOADS_H_
#define APOLLO_ENGINE_VENUE_KALSHI_PAYLOADS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/domain/events.h"
#include "engine/domain/fixed.h"
#include "engine/venue/kalshi/units.h"

namespace apollo::venue::kalshi {

struct Market {
  std::string ticker, event_ticker;
  std::string status;  // initialized, inactive, active, closed, determined, finalized, ...
  std::string result;  // "", "yes", "no" (settled)
  StrikeType strike_type = StrikeType::kNone;  // none: functional, custom, ...: not traded here
  std::optional<Fixed> floor_strike, cap_strike;
  // Top of book in dollars; absent when the answer carries none.
  std::optional<Fixed> yes_bid, yes_ask, no_bid, no_ask, last_price;
  Fixed volume, open_interest;  // contracts
  std::vector<PriceBand> price_ranges;
  int64_t open_time_ms = 0, close_time_ms = 0, expected_expiration_ms = 0;

  // Whether `price` lies on the market's grid (a price_ranges band and its step).
  bool OnGrid(Fixed price) const;
};

// The market as the domain trades it: a binary event contract worth 1
// dollar, priced within its grid's bands, on its strikes (FACTS §8: from
// strike_type / floor_strike / cap_strike, never the ticker).
// FailedPrecondition, one line, for a market Apollo cannot trade (a strike
// type other than the five, no price grid).
// Its terms' series and subject_day are the event ticker's parts
// (SERIES-YYMMMDD, e.g. KXHIGHNY-25MAR29: KXHIGHNY, 2025-03-29); a date
// part that is no day gives "".
absl::StatusOr<Instrument> ListedInstrument(const Market& market);

// The day an event ticker names (its last part, YYMMMDD), as YYYY-MM-DD;
// "" when it names none.
std::string SubjectDayOfEvent(absl::string_view event_ticker);


struct BookLevel {
  Fixed price;  // dollars
  Fixed count;  // contracts
};

// Bids only, as Kalshi sends them: YES bids and NO bids. A NO bid at p is a
// YES ask at 1 - p.
struct Orderbook {
  std::vector<BookLevel> yes_bids, no_bids;  // in the order received
  std::optional<Fixed> BestYesBid() const;
  std::optional<Fixed> BestNoBid() const;
  std::optional<Fixed> BestYesAsk() const;  // 1 - BestNoBid()
  // Takes `count` contracts (ours: a resting order's rest) off the YES
  // (`yes`) or NO bid at `price`; a level left with none is dropped.
  void Remove(bool yes, Fixed price, Fixed count);
};

enum class OrderStatus : uint8_t { kResting, kCanceled, kExecuted };

struct Order {
  std::string order_id, client_order_id, ticker;
  std::string side;    // yes | no
  std::string action;  // buy | sell
  OrderStatus status = OrderStatus::kResting;
  Fixed yes_price, no_price;  // dollars
  Fixed initial_count, fill_count, remaining_count;
  Fixed taker_fees, maker_fees;  // dollars
  int64_t created_time_ms = 0, last_update_time_ms = 0;
};

struct Fill {
  std::string fill_id, trade_id, order_id, ticker;
  std::string side, action;
  Fixed count;
  Fixed yes_price, no_price;  // dollars
  Fixed fee;                  // dollars (fee_cost)
  bool is_taker = false;
  int64_t created_time_ms = 0;
};

struct Position {
  std::string ticker;
  Fixed position;  // signed contracts: + YES, - NO
  Fixed market_exposure, realized_pnl, fees_paid;  // dollars
};

// A market of ours that settled (GET /portfolio/settlements).
struct Settlement {
  std::string ticker, event_ticker;
  std::string result;             // market_result: yes | no | ...
  Fixed yes_count, no_count;      // contracts held at settlement
  Fixed yes_cost, no_cost, fee;   // dollars
  int64_t revenue_cents = 0;      // what the settlement paid
  int64_t settled_time_ms = 0;
};

struct Balance {
  Fixed balance;          // dollars (balance_dollars)
  int64_t updated_ts = 0;
};

// An event and its markets (GET /events/{event_ticker}?with_nested_markets=true:
// the markets inside the event; the older top-level `markets` is read too).
struct Event {
  std::string event_ticker, series_ticker, title;
  std::vector<Market> markets;
};

// The account's API tier (GET /account/limits, the shape since 2026-04-30):
// each bucket's refill (tokens a second) and size, in tokens; a request
// costs 10 of them unless GET /account/endpoint_costs says otherwise.
struct ApiLimits {
  std::string usage_tier;
  int64_t read_refill = 0, read_capacity = 0;
  int64_t write_refill = 0, write_capacity = 0;
};

// A page of a listing and the cursor of the next ("" on the last page).
template <class T>
struct Page {
  std::vector<T> items;
  std::string cursor;
};

absl::StatusOr<Market> ParseMarket(absl::string_view body);           // GET /markets/{ticker}
absl::StatusOr<Page<Market>> ParseMarkets(absl::string_view body);    // GET /markets
absl::StatusOr<Orderbook> ParseOrderbook(absl::string_view body);     // GET /markets/{ticker}/orderbook
absl::StatusOr<Order> ParseOrder(absl::string_view body);             // POST /portfolio/orders, GET/DELETE one
absl::StatusOr<Page<Order>> ParseOrders(absl::string_view body);      // GET /portfolio/orders
absl::StatusOr<Page<Fill>> ParseFills(absl::string_view body);        // GET /portfolio/fills
absl::StatusOr<Page<Position>> ParsePositions(absl::string_view body);  // GET /portfolio/positions (market_positions)
absl::StatusOr<Page<Settlement>> ParseSettlements(absl::string_view body);  // GET /portfolio/settlements
absl::StatusOr<Balance> ParseBalance(absl::string_view body);         // GET /portfolio/balance
absl::StatusOr<ApiLimits> ParseApiLimits(absl::string_view body);     // GET /account/limits
absl::StatusOr<Event> ParseEvent(absl::string_view body);             // GET /events/{event_ticker}

}  // namespace apollo::venue::kalshi

#endif  // APOLLO_ENGINE_VENUE_KALSHI_PAYLOADS_H_
