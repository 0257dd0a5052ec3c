// The fake Kalshi exchange (issue 15 §2): markets with other traders' bids,
// our orders matched against them, fills with Kalshi's fee, positions, a
// balance in dollars, and settlement. Every method answers as trade-api v2
// does (status and JSON in today's fixed-point shape: "0.5600" dollars,
// "10.00" counts), so the server only routes. Thread-safe.
//
//   Exchange x(SystemClockMs);
//   x.AddMarket(market);                                   // with its book
//   Reply r = x.CreateOrder(R"({"ticker":...,"side":"yes","action":"buy",...})");
//   x.Trade("KXHIGHNY-25APR01-B77.5", yes_price, count, /*taker_bought_yes=*/false);  // another trader's print
//   x.Settle("KXHIGHNY-25APR01-B77.5", "yes");
//
// Matching: a buy of YES at P takes the NO bids at 1 - q <= P, best first,
// each at 1 - q (taker, 0.07 x C x P x (1 - P), to the cent); a buy of NO
// the YES bids the same way; what is left rests. A resting order of ours
// fills from a later print (Trade) through or at its price, as a maker
// (0.0175 rate). Sells (action sell) close what is held and match the same
// way on the other side. A YES and a NO held in one market net at once,
// each pair paying back $1, as Kalshi does. A second order with a client_order_id already used
// is refused 409; an order in a market that is not active is refused 400
// market_inactive (cancels too); an immediate_or_cancel order's unfilled
// rest is cancelled at once. Our resting buys show in the book (REST,
// stream, listing) as Kalshi's do, beside other traders' bids, though
// matching never crosses them with ours. Every print and fill adds to the market's
// volume (its listing's and its ticker's volume_fp). What changes (book levels, our orders, fills and
// positions) is also kept as stream events for the WebSocket (stream.h).
#ifndef APOLLO_TOOLS_FAKE_KALSHI_EXCHANGE_H_
#define APOLLO_TOOLS_FAKE_KALSHI_EXCHANGE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/domain/fixed.h"

namespace apollo::fake_kalshi {

struct Level {
  Fixed price, count;  // dollars, contracts
};

struct MarketSpec {
  std::string ticker, event_ticker;
  std::string status = "active";  // active, closed, settled (then result)
  std::string strike_type;        // greater, less, between
  std::optional<Fixed> floor_strike, cap_strike;
  int64_t open_time_ms = 0, close_time_ms = 0, expected_expiration_ms = 0;
  std::vector<Level> yes_bids, no_bids;  // other traders' resting bids
  std::string result;                    // "" until settled
  // Contracts traded (every print and fill adds to it) and open (as given).
  Fixed volume, open_interest;
};

struct Reply {
  int status = 200;
  std::string body;
};

// What the exchange tells its stream (stream.h), in the order it happened:
// `msg` is the body of the message Kalshi sends (without type, sid, seq).
struct StreamEvent {
  std::string channel;  // orderbook_delta, ticker, fill, user_orders, market_positions
  std::string type;     // orderbook_delta, ticker, fill, user_order, market_position
  std::string ticker;
  std::string msg;
  uint64_t book_version = 0;  // orderbook_delta: the book's version after this change
};

class Exchange {
 public:
  explicit Exchange(std::function<int64_t()> now_ms, Fixed starting_balance = Fixed::FromInt(1000));

  void AddMarket(MarketSpec market);

  // trade-api v2, by path.
  Reply CreateOrder(absl::string_view body);            // POST /portfolio/orders
  Reply CancelOrder(const std::string& order_id);       // DELETE /portfolio/orders/{id}
  Reply GetOrder(const std::string& order_id);          // GET /portfolio/orders/{id}
  Reply ListOrders(const std::string& ticker, const std::string& status);  // GET /portfolio/orders
  Reply ListFills(const std::string& ticker);           // GET /portfolio/fills
  Reply Positions();                                    // GET /portfolio/positions
  Reply Balance();                                      // GET /portfolio/balance
  Reply Settlements();                                  // GET /portfolio/settlements
  Reply GetMarket(const std::string& ticker);           // GET /markets/{ticker}
  Reply GetEvent(const std::string& event_ticker);      // GET /events/{event_ticker} (markets nested)
  Reply ListMarkets(const std::string& series, const std::string& status);  // GET /markets
  Reply GetOrderbook(const std::string& ticker);        // GET /markets/{ticker}/orderbook
  Reply ApiLimits() const;                              // GET /account/limits (Basic tier)

  // Admin (drills and tests): another trader's print, which fills our
  // resting orders it crosses; trading ends (resting orders cancelled);
  // the market settles (yes|no), paying 1 a winning contract.
  Reply Trade(const std::string& ticker, Fixed yes_price, Fixed count, bool taker_bought_yes);
  Reply Close(const std::string& ticker);
  Reply Settle(const std::string& ticker, const std::string& result);
  // Another trader adds (delta > 0) or withdraws contracts bid at `price`
  // on `side` (yes|no); never below zero.
  Reply ChangeBook(const std::string& ticker, const std::string& side, Fixed price, Fixed delta);
  // Every fill from now on costs `extra` dollars more than the published
  // schedule (a fee change Kalshi did not announce), for tests and drills.
  void SetFeeSurcharge(Fixed extra);

  // The stream's view: events since the last call, and a market's book as
  // an orderbook_snapshot body with the book version it shows (a delta of
  // that version or older is already in it). nullopt for an unknown market.
  std::vector<StreamEvent> TakeStreamEvents();
  std::optional<std::pair<std::string, uint64_t>> BookSnapshot(const std::string& ticker) const;

 private:
  struct OurOrder {
    std::string order_id, client_order_id, ticker, side, action, status;  // status: resting, canceled, executed
    Fixed price;  // of its side
    Fixed initial, filled, taker_fees, maker_fees;
    int64_t created_ms = 0, updated_ms = 0;
  };
  struct OurFill {
    std::string fill_id, trade_id, order_id, ticker, side, action;
    Fixed count, yes_price, fee;
    bool taker = false;
    int64_t created_ms = 0;
  };
  struct Holding {
    Fixed yes, no, yes_cost, no_cost, fees;  // contracts held; what each side cost; fees paid
    Fixed cost() const { return yes_cost + no_cost; }
  };
  struct Settled {
    std::string ticker, event_ticker, result;
    Fixed yes_count, no_count, yes_cost, no_cost, fees;
    int64_t revenue_cents = 0, time_ms = 0;
  };

  // Fills `o` for `count` at its side's `price`, as taker or maker.
  void FillLocked(OurOrder& o, Fixed count, Fixed price, bool taker, const std::string& trade_id);
  std::string OrderJson(const OurOrder& o) const;
  std::string MarketJson(const MarketSpec& m) const;
  // A side's bids as Kalshi shows them (other traders' and our resting
  // buys, by price), under mu_; matching takes only other traders'.
  std::vector<Level> BidsLocked(const MarketSpec& m, const std::string& side) const;
  // Stream events, under mu_: a book level's change (and the ticker it
  // moves), an order's new state, a market's position.
  void BookChangedLocked(const MarketSpec& m, const std::string& side, Fixed price, Fixed delta);
  void OrderChangedLocked(const OurOrder& o);
  void PositionChangedLocked(const std::string& ticker);

  std::function<int64_t()> now_ms_;
  mutable std::mutex mu_;
  Fixed balance_;
  Fixed fee_surcharge_;
  std::map<std::string, MarketSpec> markets_;
  std::map<std::string, OurOrder> orders_;           // by order id
  std::map<std::string, std::string> by_client_id_;  // client_order_id -> order id
  std::vector<OurFill> fills_;
  std::map<std::string, Holding> holdings_;  // by ticker
  std::vector<Settled> settlements_;
  uint64_t next_id_ = 1;
  std::vector<StreamEvent> stream_events_;
  uint64_t book_version_ = 0;
};

}  // namespace apollo::fake_kalshi

#endif  // APOLLO_TOOLS_FAKE_KALSHI_EXCHANGE_H_
