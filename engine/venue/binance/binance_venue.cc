// BinanceVenue: Venue calls → REST; user-data stream → reports.
#include "engine/venue/binance/binance_venue.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "engine/venue/binance/error.h"
#include "engine/venue/binance/orders_api.h"

namespace apollo::venue::binance {
namespace {

// The reports for a REST failure of a new order: a rejection the venue
// stated, nothing when the outcome is unknown (the order stays in doubt).
Reports RejectionOrNothing(const Order& order, const absl::Status& status) {
  if (absl::IsDeadlineExceeded(status)) return {};
  const std::optional<BinanceError> e = GetBinanceError(status);
  // The venue already holds an order with our id: an earlier send of this
  // very order. What became of it is asked for by client id.
  if (e && e->code == kDuplicateClientOrderIdCode) return {};
  const int32_t code = e ? e->code : 0;
  const std::string why = e ? e->msg : std::string(status.message());
  return Reports{OrderRejected{order.client_order_id, code, why}};
}

// A query the venue did not answer (5xx, timeouts, after the client's
// retries) is DeadlineExceeded: see Venue::Query.
absl::Status Unanswered(const absl::Status& status) {
  if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status)) {
    return absl::DeadlineExceededError(absl::StrCat("the venue did not answer: ", status.message()));
  }
  return status;
}

}  // namespace

BinanceVenue::BinanceVenue(RestClient* client, BinanceVenueOptions options)
    : client_(client),
      options_(std::move(options)),
      triggered_(options_.orders_tracked_max),
      last_sent_ms_(options_.orders_tracked_max),
      cancel_requested_(options_.orders_tracked_max) {
  created_ms_ = NowMs();
}

void BinanceVenue::Note(absl::string_view event, const ClientOrderId& id, absl::string_view detail) const {
  if (options_.on_note) options_.on_note(event, id, detail);
}

std::string BinanceVenue::CancelReason(const ClientOrderId& id) const {
  const std::string* asked = cancel_requested_.Find(id.value);
  return asked != nullptr ? *asked : std::string(kCancelledExternally);
}

Reports BinanceVenue::Settled(Reports reports) {
  for (const EventBody& r : reports) {
    if (auto* c = std::get_if<OrderCancelled>(&r)) cancel_requested_.Erase(c->client_order_id.value);
    if (auto* f = std::get_if<OrderFilled>(&r)) cancel_requested_.Erase(f->client_order_id.value);
    if (auto* x = std::get_if<OrderExpired>(&r)) cancel_requested_.Erase(x->client_order_id.value);
  }
  return reports;
}

int64_t BinanceVenue::NowMs() const {
  if (options_.now_ms) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

absl::Status BinanceVenue::NotFoundYet(const Order& o, const absl::Status& not_found) {
  const int64_t* sent_ms = last_sent_ms_.Find(o.client_order_id.value);
  const int64_t until_ms = sent_ms == nullptr ? created_ms_ + options_.previous_in_flight_ms
                                              : *sent_ms + options_.in_flight_ms;
  int64_t wait_ms = until_ms - NowMs();
  if (sent_ms == nullptr && options_.sender_stopped_wall_ms) {
    if (std::optional<int64_t> stopped = options_.sender_stopped_wall_ms(o)) {
      const int64_t wall_now = options_.wall_now_ms ? options_.wall_now_ms()
                                                    : std::chrono::duration_cast<std::chrono::milliseconds>(
                                                          std::chrono::system_clock::now().time_since_epoch())
                                                          .count();
      wait_ms = std::min(wait_ms, *stopped + options_.previous_in_flight_ms - wall_now);
    }
  }
  if (wait_ms <= 0) return not_found;
  return absl::UnavailableError(absl::StrCat("order ", o.client_order_id.value,
                                             " not at the venue yet; its request may still arrive for ", wait_ms,
                                             " ms"));
}

void BinanceVenue::Notice(const absl::Status& status) {
  if (IsIpBanned(status)) ban_noticed_ = true;
}

bool IsAlgo(const Order& o) {
  return o.order_type == OrderType::kStopMarket || o.order_type == OrderType::kTakeProfitMarket;
}

Reports BinanceVenue::Submit(const Order& o) {
  if (!options_.send_orders) {
    return Reports{OrderRejected{o.client_order_id, 0, "not sent: run.enable_trading is false"}};
  }
  Reports out = Send(o);
  // In doubt: its requests were all signed before now (the client may have
  // waited out a 429 and re-signed), so "no such order" is believed only
  // in_flight_ms from here.
  if (out.empty()) last_sent_ms_.Put(o.client_order_id.value, NowMs());
  return out;
}

Reports BinanceVenue::Send(const Order& o) {
  if (IsAlgo(o)) {
    NewAlgoOrderRequest req;
    req.symbol = o.symbol;
    req.side = o.side;
    req.type = o.order_type;
    req.trigger_price = o.stop_price;
    req.quantity = o.qty;
    req.reduce_only = o.reduce_only;
    req.client_algo_id = o.client_order_id;
    absl::StatusOr<AlgoOrderResult> r = NewAlgoOrder(*client_, req);
    Notice(r.status());
    if (!r.ok()) return RejectionOrNothing(o, r.status());
    return Reports{OrderAccepted{o.client_order_id, r->algo_id}};
  }
  NewOrderRequest req{o.symbol, o.side, o.order_type, o.qty, o.price, o.client_order_id, o.reduce_only};
  absl::StatusOr<OrderResult> r = NewOrder(*client_, req);
  Notice(r.status());
  if (!r.ok()) return RejectionOrNothing(o, r.status());
  if (r->status == OrderStatus::kRejected || r->status == OrderStatus::kExpired) {
    return Reports{OrderRejected{o.client_order_id, 0, absl::StrCat("venue status ", EnumName(r->status))}};
  }
  // Fills come from the user-data stream (trade id, commission); the answer
  // only says the venue has the order.
  return Reports{OrderAccepted{o.client_order_id, r->order_id}};
}

Reports BinanceVenue::Cancel(const Order& o, const std::string& reason) {
  cancel_requested_.Put(o.client_order_id.value, reason);
  const absl::Status st = IsAlgo(o) ? CancelAlgoOrder(*client_, o.client_order_id).status()
                                    : CancelOrder(*client_, o.symbol, o.client_order_id).status();
  Notice(st);
  if (st.ok()) return Settled(Reports{OrderCancelled{o.client_order_id, reason}});
  // Not open any more (-2011): filled or triggered meanwhile, or cancelled
  // already (by an earlier request of ours whose answer was lost, or by
  // hand). What it became is asked for now.
  if (absl::IsNotFound(st)) {
    absl::StatusOr<Reports> settled = Query(o);
    if (settled.ok() && !settled->empty()) return *std::move(settled);
  }
  // The answer was lost (5xx, timeout): the stream reports the cancel, or
  // the next housekeeping pass asks again.
  Note("order_cancel_unconfirmed", o.client_order_id, st.message());
  return {};
}

absl::StatusOr<Reports> BinanceVenue::FillsFromTrades(const Order& o, const std::string& venue_order_id,
                                                      Fixed executed) {
  Reports out;
  if (executed <= o.filled_qty) return out;
  absl::StatusOr<std::vector<UserTrade>> trades = GetUserTrades(*client_, o.symbol, VenueOrderId{venue_order_id});
  Notice(trades.status());
  if (!trades.ok()) return trades.status();
  // Binance lists them oldest first; a lagging list gives the fills it has
  // now and the rest come with the stream or a later query.
  Fixed filled = o.filled_qty;
  for (const UserTrade& t : *trades) {
    if (filled >= executed || filled >= o.qty) break;
    if (o.trade_ids.contains(TradeId{t.id})) continue;
    const Fixed qty = std::min(t.qty, o.qty - filled);
    filled += qty;
    out.push_back(FillReport(Fill{o.client_order_id, TradeId{t.id}, t.price, qty, t.commission}, filled == o.qty));
  }
  return out;
}

absl::StatusOr<Fixed> BinanceVenue::TradeCommission(const Symbol& symbol, const std::string& venue_order_id,
                                                    const std::string& trade_id) {
  if (client_ == nullptr) return absl::UnavailableError("no REST client to list the order's trades");
  absl::StatusOr<std::vector<UserTrade>> trades = GetUserTrades(*client_, symbol, VenueOrderId{venue_order_id});
  Notice(trades.status());
  if (!trades.ok()) return trades.status();
  for (const UserTrade& t : *trades) {
    if (t.id == trade_id) return t.commission;
  }
  return absl::UnavailableError(absl::StrCat("trade ", trade_id, " of order ", venue_order_id, " not listed yet"));
}

absl::StatusOr<Reports> BinanceVenue::Query(const Order& o) {
  Reports out;
  if (IsAlgo(o)) {
    absl::StatusOr<AlgoOrderResult> r = QueryAlgoOrder(*client_, o.client_order_id);
    Notice(r.status());
    if (absl::IsNotFound(r.status())) return NotFoundYet(o, r.status());
    if (!r.ok()) return Unanswered(r.status());
    last_sent_ms_.Erase(o.client_order_id.value);
    if (o.status == OrderStatus::kPlaced) out.push_back(OrderAccepted{o.client_order_id, r->algo_id});
    if (r->status == AlgoStatus::kCanceled) out.push_back(OrderCancelled{o.client_order_id, CancelReason(o.client_order_id)});
    if (r->status == AlgoStatus::kRejected) out.push_back(OrderExpired{o.client_order_id, "VENUE_REJECTED"});
    if (r->status == AlgoStatus::kExpired) out.push_back(OrderExpired{o.client_order_id, "VENUE_EXPIRED"});
    if (!r->actual_order_id.empty()) {
      // Triggered: its fills are the fills of the order it became (their
      // stream report may still be on its way).
      triggered_.Put(r->actual_order_id, o.client_order_id);
      absl::StatusOr<OrderResult> actual = QueryOrderById(*client_, o.symbol, VenueOrderId{r->actual_order_id});
      Notice(actual.status());
      if (!actual.ok()) return Unanswered(actual.status());
      absl::StatusOr<Reports> fills = FillsFromTrades(o, actual->order_id.value, actual->executed_qty);
      if (!fills.ok()) return Unanswered(fills.status());
      for (EventBody& f : *fills) out.push_back(std::move(f));
    }
    return Settled(std::move(out));
  }
  absl::StatusOr<OrderResult> r = QueryOrder(*client_, o.symbol, o.client_order_id);
  Notice(r.status());
  if (absl::IsNotFound(r.status())) return NotFoundYet(o, r.status());
  if (!r.ok()) return Unanswered(r.status());
  last_sent_ms_.Erase(o.client_order_id.value);
  if (o.status == OrderStatus::kPlaced) out.push_back(OrderAccepted{o.client_order_id, r->order_id});
  absl::StatusOr<Reports> fills = FillsFromTrades(o, r->order_id.value, r->executed_qty);
  if (!fills.ok()) return Unanswered(fills.status());
  for (EventBody& f : *fills) out.push_back(std::move(f));
  const bool done = r->status == OrderStatus::kFilled;
  if (!done && r->status == OrderStatus::kCancelled) {
    out.push_back(OrderCancelled{o.client_order_id, CancelReason(o.client_order_id)});
  }
  if (!done && r->status == OrderStatus::kExpired) out.push_back(OrderExpired{o.client_order_id, "VENUE"});
  return Settled(std::move(out));
}

UserEventEffects BinanceVenue::OnUserEvent(absl::string_view json, const State& state) {
  UserEventEffects fx;
  absl::StatusOr<UserEvent> e = ParseUserEvent(json);
  if (!e.ok()) {
    // Whatever it said (a fill, a cancel) is asked of the venue instead.
    fx.refused = std::string(e.status().message());
    fx.reconcile_now = true;
    fx.reconnect = absl::IsDataLoss(e.status());
    return fx;
  }
  switch (e->kind) {
    case UserEvent::kListenKeyExpired:
      fx.listen_key_expired = true;
      break;
    case UserEvent::kAccountUpdate:
      fx.reconcile_now = true;  // a balance or position moved: check it against the fold now
      if (e->account.reason == "FUNDING_FEE") fx.reports = FundingFees(e->account, state);
      break;
    case UserEvent::kAlgoUpdate:
      fx.reports = Settled(FromAlgoUpdate(e->algo, state, fx));
      break;
    case UserEvent::kOrderTradeUpdate:
      fx.reports = Settled(FromOrderUpdate(e->order, state, fx));
      break;
    case UserEvent::kOther:
      break;
  }
  return fx;
}

// A funding fee the venue settled: one FundingPaid per change of the quote
// asset, on the position the message names (isolated margin) or, naming
// none, the one position open (cross margin); mark price and rate 0: the
// amount is the venue's.
Reports BinanceVenue::FundingFees(const AccountUpdate& a, const State& state) const {
  Reports out;
  for (const AccountUpdate::Balance& b : a.balances) {
    if (b.asset != options_.quote_asset || b.change.is_zero()) continue;
    // An amount the fold could not add is no funding fee: reconciliation asks the venue.
    if (!FundingFits(state, b.change)) continue;
    Symbol symbol;
    if (a.positions.size() == 1) {
      symbol = a.positions.front().symbol;
    } else if (state.positions.size() == 1) {
      symbol = state.positions.begin()->first;
    }
    auto pos = state.positions.find(symbol);
    const bool open = pos != state.positions.end();
    out.push_back(FundingPaid{symbol, open ? pos->second.side : Side::kBuy, open ? pos->second.qty : Fixed(), Fixed(),
                              Fixed(), b.change, a.time_ms});
  }
  return out;
}

Reports BinanceVenue::FromAlgoUpdate(const AlgoUpdate& u, const State& state, UserEventEffects& fx) {
  Reports out;
  auto it = state.orders.find(u.client_algo_id);
  if (it == state.orders.end()) {
    fx.reconcile_now = !u.client_algo_id.empty();
    return out;
  }
  const Order& order = it->second;
  if (!u.actual_order_id.empty()) triggered_.Put(u.actual_order_id, order.client_order_id);
  if (u.status == "CANCELED" && order.status != OrderStatus::kPlaced) {
    out.push_back(OrderCancelled{order.client_order_id, CancelReason(order.client_order_id)});
  } else if ((u.status == "REJECTED" || u.status == "EXPIRED") && order.status != OrderStatus::kPlaced) {
    out.push_back(OrderExpired{order.client_order_id, absl::StrCat("VENUE_", u.status)});
  }
  return out;
}

Reports BinanceVenue::FromOrderUpdate(const OrderTradeUpdate& u, const State& state, UserEventEffects& fx) {
  Reports out;
  const bool trade = u.exec_type == "TRADE";
  ClientOrderId id = u.client_order_id;
  if (!state.orders.contains(id)) {
    const ClientOrderId* triggered = triggered_.Find(u.order_id);
    if (triggered == nullptr || !state.orders.contains(*triggered)) {
      // Not ours, or ours from before a restart: reconciliation decides. A
      // trade by hand is kept for its price and fee.
      if (trade && (foreign_.contains(u.symbol.value) || foreign_.size() < kForeignSymbolsMax)) {
        Foreign& f = foreign_[u.symbol.value];
        const std::optional<Fixed> notional = u.last_qty.CheckedMul(u.last_price);
        const std::optional<Fixed> qty = f.qty.CheckedAdd(u.last_qty);
        const std::optional<Fixed> sum = notional ? f.notional.CheckedAdd(*notional) : std::nullopt;
        const std::optional<Fixed> fees = f.commission.CheckedAdd(u.commission.value_or(Fixed()));
        if (qty && sum && fees) {
          f = {*qty, *sum, *fees, f.out_of_range};
        } else {
          f.out_of_range = true;
        }
      }
      fx.reconcile_now = true;
      return out;
    }
    id = *triggered;
  }
  const Order& order = state.orders.at(id);
  // A new position of ours: earlier trades by hand belong to the old one.
  if (order.purpose == OrderPurpose::kEntry && trade) foreign_.erase(u.symbol.value);
  if (order.status == OrderStatus::kPlaced) out.push_back(OrderAccepted{id, VenueOrderId{u.order_id}});
  if (trade && u.cum_qty > order.filled_qty && !order.trade_ids.contains(TradeId{u.trade_id})) {
    Fixed fee;
    if (u.commission) {
      fee = *u.commission;
    } else {
      absl::StatusOr<Fixed> commission = TradeCommission(order.symbol, u.order_id, u.trade_id);
      if (!commission.ok()) {
        // Journaled later, from the order's trades, by reconciliation.
        Note("fill_fee_unavailable", id, commission.status().message());
        fx.reconcile_now = true;
        return out;
      }
      fee = *commission;
    }
    const Fill f{id, TradeId{u.trade_id}, u.last_price, std::min(u.last_qty, order.qty - order.filled_qty), fee};
    const bool completes = order.filled_qty + f.qty == order.qty;
    out.push_back(FillReport(f, completes));
    if (completes) triggered_.Erase(u.order_id);
  } else if (u.exec_type == "CANCELED") {
    out.push_back(OrderCancelled{id, CancelReason(id)});
  } else if (u.exec_type == "EXPIRED") {
    out.push_back(OrderExpired{id, "VENUE"});
  }
  return out;
}

absl::StatusOr<reconcile::VenueSnapshot> BinanceVenue::Snapshot(const std::string& quote_asset) {
  reconcile::VenueSnapshot v;
  absl::StatusOr<std::vector<PositionRisk>> positions = GetPositionRisk(*client_, std::nullopt);
  if (!positions.ok()) return positions.status();
  for (const PositionRisk& p : *positions) {
    if (p.position_amt.is_zero()) continue;
    v.positions.push_back({p.symbol, p.position_amt.raw() > 0 ? Side::kBuy : Side::kSell, p.position_amt.Abs(),
                           p.entry_price});
  }
  absl::StatusOr<std::vector<OrderResult>> orders = OpenOrders(*client_, std::nullopt);
  if (!orders.ok()) return orders.status();
  for (const OrderResult& o : *orders) {
    v.open_orders.push_back({o.client_order_id, o.symbol, false, o.side, o.orig_qty - o.executed_qty});
  }
  absl::StatusOr<std::vector<AlgoOrderResult>> algos = OpenAlgoOrders(*client_, std::nullopt);
  if (!algos.ok()) return algos.status();
  for (const AlgoOrderResult& a : *algos) {
    v.open_orders.push_back({a.client_algo_id, a.symbol, true, a.side, a.quantity});
  }
  absl::StatusOr<Account> account = GetAccount(*client_);
  if (!account.ok()) return account.status();
  for (const AccountAsset& a : account->assets) {
    if (a.asset == quote_asset) v.balance = a.wallet_balance;
  }
  v.foreign_fills = ForeignFillsSinceOurEntry();
  return v;
}

std::map<Symbol, reconcile::ForeignFills> BinanceVenue::ForeignFillsSinceOurEntry() const {
  std::map<Symbol, reconcile::ForeignFills> out;
  for (const auto& [symbol, f] : foreign_) {
    if (f.out_of_range || f.qty.raw() <= 0) continue;
    if (const std::optional<Fixed> avg = f.notional.CheckedDiv(f.qty)) {
      out[Symbol{symbol}] = {f.qty, *avg, f.commission};
    }
  }
  return out;
}

}  // namespace apollo::venue::binance
