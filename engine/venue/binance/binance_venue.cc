// BinanceVenue: Venue calls → REST; user-data stream → reports.
#include "engine/venue/binance/binance_venue.h"

#include <simdjson.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "engine/venue/binance/error.h"
#include "engine/venue/binance/orders_api.h"

namespace apollo::venue::binance {
namespace {

const Fixed kHundred = Fixed::FromInt(100);

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

std::string Text(simdjson::ondemand::value v) {
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  int64_t i = 0;
  if (v.get_int64().get(i) == simdjson::SUCCESS) return absl::StrCat(i);
  return "";
}

Fixed Decimal(const std::string& s) { return Fixed::Parse(s).value_or(Fixed()); }

// The fields of an ORDER_TRADE_UPDATE's "o" object Apollo uses.
struct OrderUpdate {
  std::string symbol, client_id, order_id, exec_type, status, trade_id;
  Fixed last_qty, cum_qty, last_price, commission;
};

}  // namespace

BinanceVenue::BinanceVenue(RestClient* client, BinanceVenueOptions options)
    : client_(client), options_(std::move(options)) {
  created_ms_ = NowMs();
}

int64_t BinanceVenue::NowMs() const {
  if (options_.now_ms) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

absl::Status BinanceVenue::NotFoundYet(const Order& o, const absl::Status& not_found) {
  auto it = last_sent_ms_.find(o.client_order_id.value);
  const int64_t until_ms = it == last_sent_ms_.end() ? created_ms_ + options_.previous_in_flight_ms
                                                    : it->second + options_.in_flight_ms;
  const int64_t wait_ms = until_ms - NowMs();
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
  if (out.empty()) last_sent_ms_[o.client_order_id.value] = NowMs();
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
  const absl::Status st = IsAlgo(o) ? CancelAlgoOrder(*client_, o.client_order_id).status()
                                    : CancelOrder(*client_, o.symbol, o.client_order_id).status();
  if (st.ok()) return Reports{OrderCancelled{o.client_order_id, reason}};
  // Not open any more (filled meanwhile, or cancelled by hand): what it
  // became arrives on the stream or at the next reconciliation.
  return {};
}

Reports BinanceVenue::FillsFromQuery(const Order& o, Fixed executed, Fixed avg_price, const std::string& venue_id) {
  Reports out;
  const Fixed missing = executed - o.filled_qty;
  if (missing.raw() <= 0) return out;
  Fill f;
  f.client_order_id = o.client_order_id;
  f.trade_id = TradeId{absl::StrCat("q-", venue_id, "-", executed.ToString())};
  f.price = avg_price;
  f.qty = missing;
  f.fee = avg_price.Mul(missing).Mul(options_.taker_fee_pct).Div(kHundred);
  out.push_back(FillReport(f, executed == o.qty));
  return out;
}

absl::StatusOr<Reports> BinanceVenue::Query(const Order& o) {
  Reports out;
  if (IsAlgo(o)) {
    absl::StatusOr<AlgoOrderResult> r = QueryAlgoOrder(*client_, o.client_order_id);
    if (absl::IsNotFound(r.status())) return NotFoundYet(o, r.status());
    if (!r.ok()) return r.status();
    if (o.status == OrderStatus::kPlaced) out.push_back(OrderAccepted{o.client_order_id, r->algo_id});
    if (r->status == AlgoStatus::kCanceled) out.push_back(OrderCancelled{o.client_order_id, "VENUE"});
    if (r->status == AlgoStatus::kRejected) out.push_back(OrderExpired{o.client_order_id, "VENUE_REJECTED"});
    if (!r->actual_order_id.empty()) {
      // Triggered: its fills are the fills of the order it became (their
      // stream report may still be on its way).
      triggered_[r->actual_order_id] = o.client_order_id;
      absl::StatusOr<OrderResult> actual = QueryOrderById(*client_, o.symbol, VenueOrderId{r->actual_order_id});
      if (!actual.ok()) return actual.status();
      for (EventBody& f : FillsFromQuery(o, actual->executed_qty, actual->avg_price, actual->order_id.value)) {
        out.push_back(std::move(f));
      }
    }
    return out;
  }
  absl::StatusOr<OrderResult> r = QueryOrder(*client_, o.symbol, o.client_order_id);
  if (absl::IsNotFound(r.status())) return NotFoundYet(o, r.status());
  if (!r.ok()) return r.status();
  if (o.status == OrderStatus::kPlaced) out.push_back(OrderAccepted{o.client_order_id, r->order_id});
  for (EventBody& f : FillsFromQuery(o, r->executed_qty, r->avg_price, r->order_id.value)) out.push_back(std::move(f));
  const bool done = r->status == OrderStatus::kFilled;
  if (!done && r->status == OrderStatus::kCancelled) out.push_back(OrderCancelled{o.client_order_id, "VENUE"});
  if (!done && r->status == OrderStatus::kExpired) out.push_back(OrderExpired{o.client_order_id, "VENUE"});
  return out;
}

UserEventEffects BinanceVenue::OnUserEvent(absl::string_view json, const State& state) {
  UserEventEffects fx;
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json.data(), json.size());
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) return fx;
  simdjson::ondemand::object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) return fx;
  simdjson::ondemand::object body = root;
  simdjson::ondemand::object data;
  const simdjson::error_code wrapped = root.find_field_unordered("data").get_object().get(data);
  if (wrapped == simdjson::SUCCESS) body = data;  // combined stream
  // Malformed JSON met while looking: the iterator is spent (reading on
  // would dereference its released parser).
  if (wrapped != simdjson::SUCCESS && wrapped != simdjson::NO_SUCH_FIELD && wrapped != simdjson::INCORRECT_TYPE) {
    return fx;
  }
  std::string_view type;
  if (body.find_field_unordered("e").get_string().get(type) != simdjson::SUCCESS) return fx;
  if (type == "listenKeyExpired") {
    fx.listen_key_expired = true;
    return fx;
  }
  if (type == "ACCOUNT_UPDATE") {
    fx.reconcile_now = true;  // a balance or position moved: check it against the fold now
    return fx;
  }
  simdjson::ondemand::object o;
  if (body.find_field_unordered("o").get_object().get(o) != simdjson::SUCCESS) return fx;
  if (type == "ALGO_UPDATE") {
    std::string caid, actual, status;
    for (auto field : o) {
      std::string_view key;
      if (field.unescaped_key().get(key) != simdjson::SUCCESS) continue;
      if (key == "caid") caid = Text(field.value());
      else if (key == "ai") actual = Text(field.value());
      else if (key == "X") status = Text(field.value());
    }
    auto it = state.orders.find(ClientOrderId{caid});
    if (it == state.orders.end()) {
      fx.reconcile_now = !caid.empty();
      return fx;
    }
    if (!actual.empty()) triggered_[actual] = it->second.client_order_id;
    if (status == "CANCELED" && it->second.status != OrderStatus::kPlaced) {
      fx.reports.push_back(OrderCancelled{it->second.client_order_id, "VENUE"});
    } else if ((status == "REJECTED" || status == "EXPIRED") && it->second.status != OrderStatus::kPlaced) {
      fx.reports.push_back(OrderExpired{it->second.client_order_id, absl::StrCat("VENUE_", status)});
    }
    return fx;
  }
  if (type != "ORDER_TRADE_UPDATE") return fx;
  OrderUpdate u;
  for (auto field : o) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) continue;
    if (key == "s") u.symbol = Text(field.value());
    else if (key == "c") u.client_id = Text(field.value());
    else if (key == "i") u.order_id = Text(field.value());
    else if (key == "x") u.exec_type = Text(field.value());
    else if (key == "X") u.status = Text(field.value());
    else if (key == "t") u.trade_id = Text(field.value());
    else if (key == "l") u.last_qty = Decimal(Text(field.value()));
    else if (key == "z") u.cum_qty = Decimal(Text(field.value()));
    else if (key == "L") u.last_price = Decimal(Text(field.value()));
    else if (key == "n") u.commission = Decimal(Text(field.value()));
  }
  ClientOrderId id{u.client_id};
  if (!state.orders.contains(id)) {
    auto t = triggered_.find(u.order_id);
    if (t == triggered_.end()) {
      if (u.exec_type == "TRADE" && u.last_qty.raw() > 0) {  // a trade by hand: keep its price and fee
        Foreign& f = foreign_[u.symbol];
        f.qty += u.last_qty;
        f.notional += u.last_qty.Mul(u.last_price);
        f.commission += u.commission;
      }
      fx.reconcile_now = true;  // not ours, or ours from before a restart: reconciliation decides
      return fx;
    }
    id = t->second;
  }
  const Order& order = state.orders.at(id);
  // A new position of ours: earlier trades by hand belong to the old one.
  if (order.purpose == OrderPurpose::kEntry && u.exec_type == "TRADE") foreign_.erase(u.symbol);
  if (order.status == OrderStatus::kPlaced) fx.reports.push_back(OrderAccepted{id, VenueOrderId{u.order_id}});
  if (u.exec_type == "TRADE" && u.cum_qty > order.filled_qty && u.last_qty.raw() > 0) {
    Fill f{id, TradeId{u.trade_id}, u.last_price, std::min(u.last_qty, order.qty - order.filled_qty), u.commission};
    fx.reports.push_back(FillReport(f, order.filled_qty + f.qty == order.qty));
  } else if (u.exec_type == "CANCELED") {
    fx.reports.push_back(OrderCancelled{id, "VENUE"});
  } else if (u.exec_type == "EXPIRED") {
    fx.reports.push_back(OrderExpired{id, "VENUE"});
  }
  return fx;
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
    if (f.qty.raw() > 0) out[Symbol{symbol}] = {f.qty, f.notional.Div(f.qty), f.commission};
  }
  return out;
}

}  // namespace apollo::venue::binance
