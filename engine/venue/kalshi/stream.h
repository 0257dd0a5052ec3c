// Kalshi's WebSocket messages (issue 15 §2) read into structs, and the
// order books kept from orderbook_snapshot and orderbook_delta. Each
// subscription (sid) numbers its messages (seq); a gap means a message was
// lost, so every book of that subscription is stale until the next snapshot:
// BookKeeper says so, and the caller resubscribes (update_subscription with
// get_snapshot). Prices and counts follow payloads.h's exact rules.
//
//   ASSIGN_OR_RETURN(StreamMessage m, ParseStreamMessage(text));
//   if (auto* d = std::get_if<BookDelta>(&m)) {
//     if (absl::Status st = books.Apply(*d); !st.ok()) resubscribe(d->sid);  // a seq gap
//   }
//
// Pure: no I/O.
#ifndef APOLLO_ENGINE_VENUE_KALSHI_STREAM_H_
#define APOLLO_ENGINE_VENUE_KALSHI_STREAM_H_

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/domain/fixed.h"
#include "engine/venue/kalshi/payloads.h"

namespace apollo::venue::kalshi {

struct StreamSubscribed {  // "subscribed": our command `id` got subscription `sid`
  int64_t id = 0, sid = 0;
  std::string channel;
};
struct StreamError {  // "error": our command `id` was refused
  int64_t id = 0, code = 0;
  std::string message;
};
struct BookSnapshot {
  int64_t sid = 0, seq = 0;
  std::string ticker;
  std::vector<BookLevel> yes_bids, no_bids;
};
struct BookDelta {
  int64_t sid = 0, seq = 0;
  std::string ticker;
  std::string side;  // yes | no: which bids
  Fixed price;       // dollars
  Fixed delta;       // contracts added (negative: taken away)
  int64_t ts_ms = 0;
};
struct TickerUpdate {
  std::string ticker;
  std::optional<Fixed> price, yes_bid, yes_ask;  // dollars
  Fixed volume, open_interest;
  int64_t ts_ms = 0;
};
struct StreamFill {  // "fill" (private)
  std::string trade_id, order_id, ticker, side, action;
  Fixed count, yes_price;
  Fixed post_position;  // the position after it, signed
  bool is_taker = false;
  int64_t ts_ms = 0;
};
struct StreamOrder {  // "user_order" (private)
  std::string order_id, client_order_id, ticker, side;
  OrderStatus status = OrderStatus::kResting;
  Fixed yes_price, initial_count, fill_count, remaining_count;
};
struct StreamPosition {  // "market_position" (private)
  std::string ticker;
  Fixed position;  // signed: + YES, - NO
  Fixed cost, realized_pnl, fees_paid;  // dollars
};
struct StreamOther {  // ok, unsubscribed, trade, lifecycle, ...: not used yet
  std::string type;
};

using StreamMessage = std::variant<StreamSubscribed, StreamError, BookSnapshot, BookDelta, TickerUpdate, StreamFill,
                                   StreamOrder, StreamPosition, StreamOther>;

// One text frame. A frame that is not JSON is DataLoss (the stream lost
// data); a known message with a bad field is InvalidArgument naming it.
absl::StatusOr<StreamMessage> ParseStreamMessage(absl::string_view text);

// The books of the markets subscribed to, from snapshots and deltas.
class BookKeeper {
 public:
  // A snapshot replaces the market's book and sets its subscription's seq;
  // one that does not follow the seq before it makes the subscription's
  // other books stale (messages were lost between): then false, and the
  // caller asks for their snapshots.
  bool Apply(const BookSnapshot& snapshot);
  // OK when applied. FailedPrecondition, naming the sid and the seqs, when
  // the delta is not the next of its subscription (every book of that sid
  // is stale from then until its snapshot), when it is for a market with no
  // snapshot, or when it would take a level below zero.
  absl::Status Apply(const BookDelta& delta);
  // The market's book; nullptr when there is none or it is stale.
  const Orderbook* Book(const std::string& ticker) const;

 private:
  struct Market {
    int64_t sid = 0;
    bool stale = false;
    std::map<Fixed, Fixed> yes, no;  // price -> count
    Orderbook book;                  // the levels above, as Book() gives them
  };
  void MarkStale(int64_t sid);
  static void Rebuild(Market& m);
  std::map<std::string, Market> markets_;
  std::map<int64_t, int64_t> last_seq_;  // by sid
};

}  // namespace apollo::venue::kalshi

#endif  // APOLLO_ENGINE_VENUE_KALSHI_STREAM_H_
