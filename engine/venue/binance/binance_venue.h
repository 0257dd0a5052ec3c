// The Binance USDⓈ-M venue: the engine's Venue over the REST layer, plus
// the translation of user-data stream events into venue reports.
//
//   BinanceVenue venue(client.get(), {});
//   engine.set_venue(&venue);
//   // on the user-data stream's thread → engine thread:
//   UserEventEffects fx = venue.OnUserEvent(json, engine.state());
//
// Entries and exits go to POST /fapi/v1/order; stop-loss and take-profit to
// the Algo Order API (POST /fapi/v1/algoOrder) as reduce-only conditional
// orders, with our client order id as newClientOrderId / clientAlgoId.
// Fills are journaled from the user-data stream (ORDER_TRADE_UPDATE, with
// Binance's trade id and commission) and, after a crash or a lost stream,
// from queries: the order's trades (GET /fapi/v1/userTrades) with their own
// trade ids and commissions. A fill's fee is always the commission Binance
// reported for that trade, never one derived from config; a stream trade
// without its commission is looked up the same way. Both paths skip trades
// already journaled (by trade id and cumulative quantity), so a fill is
// never journaled twice.
//
// An order POST whose outcome is unknown (timeout, 5xx, or -4116 "client
// order id is duplicated", which means the venue already has it) returns no
// report: the order stays PLACED in the ledger and is resolved with Query(),
// by client id, before anything is resent. The venue's "no such order" is
// only believed once the request can no longer arrive: Binance refuses a
// request signed more than recvWindow ago, so until in_flight_ms after
// Submit returned (previous_in_flight_ms after the first start that followed
// it, or after this venue was made when that is unknown, for orders a
// previous process sent) Query() answers Unavailable and the
// engine asks again later. Binance documents that a 5xx may leave the
// execution status unknown for longer; the window is as safe as its docs.
//
// Cancels: a cancel Binance refuses because the order is no longer open
// (-2011) is followed by a query, whose fill or cancel is reported; a cancel
// whose answer is lost (5xx, timeout) reports nothing, and the order stays
// open in the ledger until the stream or the engine's next housekeeping
// pass settles it. A cancel the venue reports for an order nobody here asked
// to cancel is OrderCancelled with reason CANCELLED_EXTERNALLY.
//
// Bounds: the per-order memory below (orders in doubt, cancels asked for,
// triggered algo orders) holds at most orders_tracked_max entries each and
// forgets the oldest past that. Forgetting is safe and costs only care: an
// in-doubt order forgotten waits previous_in_flight_ms before "no such
// order" is believed; a forgotten cancel that the venue reports later reads
// as CANCELLED_EXTERNALLY (a manual review); a forgotten triggered order's
// fill is resolved by reconciliation's query instead of the stream. Trades by
// hand are kept for at most kForeignSymbolsMax symbols.
#ifndef APOLLO_ENGINE_VENUE_BINANCE_BINANCE_VENUE_H_
#define APOLLO_ENGINE_VENUE_BINANCE_BINANCE_VENUE_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "engine/reconcile/reconcile.h"
#include "engine/venue/binance/recent_map.h"
#include "engine/venue/binance/rest_client.h"
#include "engine/venue/binance/user_payloads.h"
#include "engine/venue/venue.h"

namespace apollo::venue::binance {

struct BinanceVenueOptions {
  // run.enable_trading: false runs everything but sends no order; each
  // one is journaled as rejected with that reason.
  bool send_orders = true;
  // recvWindow + kClockSkewAllowanceMs: how long a sent order request may
  // still reach the venue.
  int64_t in_flight_ms = 5'000 + 2'000;
  // The same for orders a previous process sent: it may have used any
  // recvWindow, up to Binance's 60 s maximum.
  int64_t previous_in_flight_ms = 60'000 + 2'000;
  // The wall-clock time (ms) by which the process that sent `order` had
  // stopped: the first start journaled after its OrderPlaced (one writer at a
  // time holds a ledger). With it, a previous run's order is believed gone
  // previous_in_flight_ms after that start rather than after this one, so a
  // run of short-lived starts still settles it. Unset or nullopt: this start.
  std::function<std::optional<int64_t>(const Order& order)> sender_stopped_wall_ms;
  std::function<int64_t()> wall_now_ms;  // unset: std::chrono::system_clock
  std::function<int64_t()> now_ms;  // monotonic ms; unset: std::chrono::steady_clock
  size_t orders_tracked_max = 4'096;  // per map; see the header comment
  // The wallet asset whose funding fees (ACCOUNT_UPDATE FUNDING_FEE) are
  // reported as FundingPaid.
  std::string quote_asset = "USDT";
  // What the venue noticed that the ledger will not show (optional, for the
  // log): "order_cancel_unconfirmed" (a cancel's answer was lost),
  // "fill_fee_unavailable" (a stream trade without its commission, and the
  // trades could not be read: left to reconciliation).
  std::function<void(absl::string_view event, const ClientOrderId& id, absl::string_view detail)> on_note;
};

// Binance refuses a timestamp 1 s ahead of its clock; our offset to it is
// measured, but a request may sit in a queue: 2 s on top of recvWindow.
inline constexpr int64_t kClockSkewAllowanceMs = 2'000;
// Symbols whose trades by hand are kept for an external close's price.
inline constexpr size_t kForeignSymbolsMax = 64;

// What a user-data stream message asks of the engine besides reports.
struct UserEventEffects {
  Reports reports;
  bool reconcile_now = false;       // ACCOUNT_UPDATE, an order we do not know, a refused message
  bool listen_key_expired = false;  // recreate the listenKey and reconnect
  // Non-empty when the message was refused (malformed): why. Nothing in it
  // was acted on; reconciliation asks the venue instead.
  std::string refused;
  bool reconnect = false;           // the text was not JSON at all: the stream lost data
};

class BinanceVenue : public Venue {
 public:
  // `client` may be null where only the user-data stream is translated
  // (OnUserEvent in tests and the fuzzer): a stream trade without its
  // commission is then left to reconciliation, as when the venue's trade
  // list cannot be read. Every other call needs it.
  BinanceVenue(RestClient* client, BinanceVenueOptions options);

  Reports Submit(const Order& order) override;
  Reports Cancel(const Order& order, const std::string& reason) override;
  absl::StatusOr<Reports> Query(const Order& order) override;
  Reports OnBar(const State&, const CandleClose&) override { return {}; }

  // True once after a call was refused with HTTP 418 (IP banned): the run
  // pauses trading and alerts.
  bool TakeBanNotice() { return std::exchange(ban_noticed_, false); }

  // One user-data stream message (raw JSON, combined-stream wrapper or not).
  UserEventEffects OnUserEvent(absl::string_view json, const State& state);

  // The venue's positions, open orders (plain and algo) and wallet balance
  // of `quote_asset`, for reconciliation, with the fills of orders not ours
  // the stream reported since our last entry fill (foreign_fills).
  absl::StatusOr<reconcile::VenueSnapshot> Snapshot(const std::string& quote_asset);
  // The fills of orders not ours the stream reported since our last entry
  // fill, by symbol (part of Snapshot).
  std::map<Symbol, reconcile::ForeignFills> ForeignFillsSinceOurEntry() const;

 private:
  Reports Send(const Order& order);  // the REST call of Submit
  // The fills of `o` the venue's order `venue_order_id` has that the ledger
  // lacks (executed beyond o.filled_qty), from its trades.
  absl::StatusOr<Reports> FillsFromTrades(const Order& o, const std::string& venue_order_id, Fixed executed);
  // The commission of one trade of a venue order, from its trades.
  absl::StatusOr<Fixed> TradeCommission(const Symbol& symbol, const std::string& venue_order_id,
                                        const std::string& trade_id);
  Reports FundingFees(const AccountUpdate& a, const State& state) const;
  Reports FromOrderUpdate(const OrderTradeUpdate& u, const State& state, UserEventEffects& fx);
  Reports FromAlgoUpdate(const AlgoUpdate& u, const State& state, UserEventEffects& fx);
  // The reason of a cancel the venue reports: ours if we asked, else
  // CANCELLED_EXTERNALLY.
  std::string CancelReason(const ClientOrderId& id) const;
  // `reports`, once returned: the cancels asked for that they settle are forgotten.
  Reports Settled(Reports reports);
  // NotFound from the venue, or Unavailable while the order's request may
  // still be on its way.
  absl::Status NotFoundYet(const Order& order, const absl::Status& not_found);
  void Note(absl::string_view event, const ClientOrderId& id, absl::string_view detail) const;
  int64_t NowMs() const;

  RestClient* client_;
  BinanceVenueOptions options_;
  // Binance's order id of a triggered algo order -> our client id (from
  // ALGO_UPDATE), so the triggered order's fills find their order.
  RecentMap<ClientOrderId> triggered_;
  // When Submit returned for an order left in doubt, by client id.
  RecentMap<int64_t> last_sent_ms_;
  // Cancels asked for whose outcome the venue has not confirmed: reason by client id.
  RecentMap<std::string> cancel_requested_;
  bool ban_noticed_ = false;
  int64_t created_ms_ = 0;
  // Fills of orders not ours since our last entry fill, by symbol: the
  // price and commission of a close made by hand.
  // A sum out of range (no real account trades that much) leaves the
  // symbol unpriced: reconciliation then treats the close as of unknown price.
  struct Foreign {
    Fixed qty, notional, commission;
    bool out_of_range = false;
  };
  absl::flat_hash_map<std::string, Foreign> foreign_;
  void Notice(const absl::Status& status);
};

// Whether an order of ours goes through the Algo Order API.
bool IsAlgo(const Order& order);

}  // namespace apollo::venue::binance

#endif  // APOLLO_ENGINE_VENUE_BINANCE_BINANCE_VENUE_H_
