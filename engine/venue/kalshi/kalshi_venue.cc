#include "engine/venue/kalshi/kalshi_venue.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/venue/kalshi/fees.h"
#include "engine/venue/kalshi/units.h"

namespace apollo::venue::kalshi {
namespace {

// A fill's id in the ledger: its trade's, or its own when Kalshi gives none.
TradeId FillTradeId(const Fill& f) { return TradeId{f.trade_id.empty() ? f.fill_id : f.trade_id}; }

// What Kalshi's schedule charges for the fill (the same at P and 1 - P),
// to the cent for a whole-cent price; nullopt for a fill it cannot price.
std::optional<Fixed> ScheduledFee(const Fill& f) {
  const bool whole_cents = f.yes_price.raw() % kCent2 == 0;
  absl::StatusOr<Fixed> fee = TradeFee(f.is_taker ? FeeRole::kTaker : FeeRole::kMaker, f.count, f.yes_price, whole_cents);
  return fee.ok() ? std::optional<Fixed>(*fee) : std::nullopt;
}

}  // namespace

KalshiVenue::KalshiVenue(RestClient* client, KalshiVenueOptions options) : client_(client), options_(std::move(options)) {}

int64_t KalshiVenue::NowMs() const {
  if (options_.now_ms) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

NewOrderRequest KalshiVenue::RequestFor(const apollo::Order& o) {
  NewOrderRequest r;
  r.ticker = o.symbol.value;
  r.side = o.side == Side::kBuy ? "yes" : "no";
  r.action = "buy";
  r.count = o.qty;
  r.client_order_id = o.client_order_id.value;
  if (o.order_type == OrderType::kMarket) {
    // Kalshi has no market orders: one at the side's highest price that
    // takes what the book offers, at the book's prices, and leaves nothing
    // resting (the rest is cancelled).
    r.price = kMarketLimit;
    r.time_in_force = "immediate_or_cancel";
    return r;
  }
  r.price = o.side == Side::kBuy ? o.price : Fixed::FromInt(1) - o.price;
  return r;
}

absl::StatusOr<Reports> KalshiVenue::ReportsOf(const apollo::Order& ours, const Order& theirs) {
  Reports out;
  if (ours.status == apollo::OrderStatus::kPlaced) out.push_back(OrderAccepted{ours.client_order_id, VenueOrderId{theirs.order_id}});
  if (theirs.fill_count > ours.filled_qty) {
    absl::StatusOr<std::vector<Fill>> fills = Fills(*client_, theirs.ticker, 0);
    if (!fills.ok()) return fills.status();
    std::vector<Fill> mine;
    for (const Fill& f : *fills) {
      if (f.order_id == theirs.order_id && !ours.trade_ids.contains(FillTradeId(f))) mine.push_back(f);
    }
    std::stable_sort(mine.begin(), mine.end(), [](const Fill& a, const Fill& b) { return a.created_time_ms < b.created_time_ms; });
    Fixed filled = ours.filled_qty;
    for (const Fill& f : mine) {
      if (options_.on_unexpected_fee) {
        if (std::optional<Fixed> expected = ScheduledFee(f); expected && (f.fee - *expected).Abs().raw() > kCent2) {
          options_.on_unexpected_fee(f, *expected);
        }
      }
      filled += f.count;
      out.push_back(FillReport(apollo::Fill{ours.client_order_id, FillTradeId(f), f.yes_price, f.count, f.fee},
                               filled >= ours.qty));
    }
  }
  if (theirs.status == OrderStatus::kCanceled && theirs.fill_count < ours.qty) {
    out.push_back(OrderCancelled{ours.client_order_id, "CANCELLED_ON_KALSHI"});
  }
  return out;
}

Reports KalshiVenue::Submit(const apollo::Order& o) {
  if (!options_.send_orders) return {OrderRejected{o.client_order_id, 0, "not sent: run.enable_trading is false"}};
  if (o.order_type != OrderType::kLimit && o.order_type != OrderType::kMarket) {
    return {OrderRejected{o.client_order_id, 0, "not sent: Kalshi takes limit orders (a market order is sent as one)"}};
  }
  last_sent_ms_[o.client_order_id.value] = NowMs();
  absl::StatusOr<Order> placed = CreateOrder(*client_, RequestFor(o));
  if (absl::IsAlreadyExists(placed.status())) {
    // An earlier send arrived: what Kalshi holds is the answer.
    absl::StatusOr<Reports> found = Query(o);
    if (found.ok()) return *found;
    last_error_ = found.status();
    return {};
  }
  if (placed.ok()) {
    last_sent_ms_.erase(o.client_order_id.value);
    absl::StatusOr<Reports> reports = ReportsOf(o, *placed);
    if (reports.ok()) return *reports;
    last_error_ = reports.status();
    return {OrderAccepted{o.client_order_id, VenueOrderId{placed->order_id}}};  // its fills come with the next query
  }
  last_error_ = placed.status();
  const absl::StatusCode code = placed.status().code();
  if (code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kFailedPrecondition ||
      code == absl::StatusCode::kPermissionDenied || code == absl::StatusCode::kNotFound) {
    last_sent_ms_.erase(o.client_order_id.value);
    return {OrderRejected{o.client_order_id, 400, std::string(placed.status().message())}};
  }
  return {};  // in doubt: Query resolves it
}

absl::StatusOr<Reports> KalshiVenue::Query(const apollo::Order& o) {
  absl::StatusOr<std::optional<Order>> found = FindOrder(*client_, o.symbol.value, o.client_order_id.value);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    auto sent = last_sent_ms_.find(o.client_order_id.value);
    if (sent != last_sent_ms_.end() && NowMs() - sent->second < options_.in_flight_ms) {
      return absl::UnavailableError(absl::StrCat("order ", o.client_order_id.value,
                                                 " not at Kalshi yet; its request may still arrive for ",
                                                 options_.in_flight_ms - (NowMs() - sent->second), " ms"));
    }
    return absl::NotFoundError(absl::StrCat("order ", o.client_order_id.value, " was never received by Kalshi"));
  }
  last_sent_ms_.erase(o.client_order_id.value);
  return ReportsOf(o, **found);
}

Reports KalshiVenue::Cancel(const apollo::Order& o, const std::string& reason) {
  absl::StatusOr<Order> cancelled = CancelOrder(*client_, o.venue_order_id.value);
  if (cancelled.ok()) {
    absl::StatusOr<Reports> reports = ReportsOf(o, *cancelled);
    if (!reports.ok()) {
      last_error_ = reports.status();
      return {};
    }
    // Its fills first, then our cancel (not Kalshi's own).
    Reports out;
    for (EventBody& e : *reports) {
      if (!std::holds_alternative<OrderCancelled>(e)) out.push_back(std::move(e));
    }
    if (cancelled->fill_count < o.qty) out.push_back(OrderCancelled{o.client_order_id, reason});
    return out;
  }
  last_error_ = cancelled.status();
  // Gone already (filled or cancelled), our earlier cancel arrived, or the
  // market closed (MARKET_INACTIVE: Kalshi cancelled what rested at the
  // close): what Kalshi holds is the answer.
  if (absl::IsNotFound(cancelled.status()) || absl::IsDeadlineExceeded(cancelled.status()) ||
      absl::IsFailedPrecondition(cancelled.status())) {
    absl::StatusOr<Reports> now = Query(o);
    if (now.ok()) return *now;
  }
  return {};
}

}  // namespace apollo::venue::kalshi

namespace apollo::venue::kalshi {

absl::StatusOr<reconcile::VenueSnapshot> KalshiVenue::Snapshot() {
  reconcile::VenueSnapshot v;
  absl::StatusOr<std::vector<Position>> positions = Positions(*client_);
  if (!positions.ok()) return positions.status();
  Fixed cost;
  for (const Position& p : *positions) {
    if (p.position.is_zero()) continue;
    const Fixed qty = p.position < Fixed() ? -p.position : p.position;
    reconcile::VenuePosition vp;
    vp.symbol = Symbol{p.ticker};
    vp.side = p.position < Fixed() ? Side::kSell : Side::kBuy;
    vp.qty = qty;
    // What a contract cost: a YES contract's price, or a NO's (1 - the YES price shorted at).
    const Fixed each = p.market_exposure.Div(qty);
    vp.entry_price = vp.side == Side::kBuy ? each : Fixed::FromInt(1) - each;
    v.positions.push_back(vp);
    cost += p.market_exposure;
  }
  absl::StatusOr<std::vector<Order>> resting = RestingOrders(*client_, std::nullopt);
  if (!resting.ok()) return resting.status();
  for (const Order& o : *resting) {
    reconcile::VenueOrder vo;
    vo.client_order_id = ClientOrderId{o.client_order_id};
    vo.symbol = Symbol{o.ticker};
    vo.side = (o.side == "yes") == (o.action == "buy") ? Side::kBuy : Side::kSell;
    vo.qty = o.remaining_count;
    v.open_orders.push_back(vo);
  }
  absl::StatusOr<Balance> balance = GetBalance(*client_);
  if (!balance.ok()) return balance.status();
  v.balance = balance->balance + cost;
  return v;
}

}  // namespace apollo::venue::kalshi
