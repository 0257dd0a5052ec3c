// The fake USDⓈ-M account and matching engine: orders, matching, the account
// and the user events (see fake_exchange.h; the market side, bars, funding
// and the book, is in fake_exchange_market.cc).
#include "tools/fake_binance/fake_exchange.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/fake_binance/json_writer.h"
#include "tools/fake_binance/rest_payloads.h"
#include "tools/fake_binance/user_events.h"

namespace apollo::fake_binance {
namespace {

std::optional<absl::string_view> Get(const Params& p, absl::string_view key) {
  auto it = p.find(std::string(key));
  if (it == p.end() || it->second.empty()) return std::nullopt;
  return absl::string_view(it->second);
}

ApiError Missing(absl::string_view key) { return Error(kMandatoryParam, MandatoryParamMsg(key)); }

// Decimal places of v (0..8).
int Decimals(Fixed v) {
  int64_t raw = v.raw() < 0 ? -v.raw() : v.raw();
  int places = 8;
  while (places > 0 && raw % 10 == 0) {
    raw /= 10;
    --places;
  }
  return places;
}

// Binance's filter answers: too many decimals is -1111, otherwise off-grid
// is `off_grid_code` (-4014 price, -4023 quantity).
std::optional<ApiError> CheckGrid(Fixed v, Fixed step, int off_grid_code) {
  if (v.raw() % step.raw() == 0) return std::nullopt;
  if (Decimals(v) > Decimals(step)) return Error(kBadPrecision);
  return Error(off_grid_code);
}

ApiResult<Fixed> ParseDecimal(const Params& p, absl::string_view key) {
  std::optional<absl::string_view> text = Get(p, key);
  if (!text) return Missing(key);
  absl::StatusOr<Fixed> v = Fixed::Parse(*text);
  if (!v.ok()) return Missing(key);
  return *v;
}

// "true" / "false" in any case; absent is false.
ApiResult<bool> ParseBool(const Params& p, absl::string_view key) {
  std::optional<absl::string_view> text = Get(p, key);
  if (!text) return false;
  const std::string lower = absl::AsciiStrToLower(*text);
  if (lower == "true") return true;
  if (lower == "false") return false;
  return Missing(key);
}

ApiResult<Side> ParseSide(const Params& p) {
  std::optional<absl::string_view> text = Get(p, "side");
  if (!text) return Missing("side");
  if (*text == "BUY") return Side::kBuy;
  if (*text == "SELL") return Side::kSell;
  return Error(kInvalidSide);
}

// Binance: ^[\.A-Z\:/a-z0-9_-]{1,36}$
bool ValidClientId(absl::string_view id) {
  if (id.empty() || id.size() > 36) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != ':' && c != '/' && c != '_' &&
        c != '-') {
      return false;
    }
  }
  return true;
}

bool IsConditionalType(absl::string_view type) {
  return type == "STOP" || type == "STOP_MARKET" || type == "TAKE_PROFIT" || type == "TAKE_PROFIT_MARKET" ||
         type == "TRAILING_STOP_MARKET";
}

// Does this algo order trigger when the price falls to its trigger (a sell
// stop, a buy take-profit), rather than rises to it?
bool TriggersOnFall(const AlgoOrder& a) {
  return (a.type == AlgoType::kStopMarket) == (a.side == Side::kSell);
}

}  // namespace

absl::string_view SideName(Side side) { return side == Side::kBuy ? "BUY" : "SELL"; }
absl::string_view OrderTypeName(OrderType type) { return type == OrderType::kMarket ? "MARKET" : "LIMIT"; }
absl::string_view OrderStatusName(OrderStatus s) {
  switch (s) {
    case OrderStatus::kNew: return "NEW";
    case OrderStatus::kPartiallyFilled: return "PARTIALLY_FILLED";
    case OrderStatus::kFilled: return "FILLED";
    case OrderStatus::kCanceled: return "CANCELED";
    case OrderStatus::kExpired: return "EXPIRED";
  }
  return "?";
}
absl::string_view AlgoTypeName(AlgoType type) {
  return type == AlgoType::kStopMarket ? "STOP_MARKET" : "TAKE_PROFIT_MARKET";
}
absl::string_view AlgoStatusName(AlgoStatus s) {
  switch (s) {
    case AlgoStatus::kNew: return "NEW";
    case AlgoStatus::kTriggered: return "TRIGGERED";
    case AlgoStatus::kFinished: return "FINISHED";
    case AlgoStatus::kCanceled: return "CANCELED";
    case AlgoStatus::kRejected: return "REJECTED";
  }
  return "?";
}

const PositionSnapshot* AccountSnapshot::Find(absl::string_view symbol) const {
  for (const PositionSnapshot& p : positions) {
    if (p.position.symbol == symbol) return &p;
  }
  return nullptr;
}

namespace {

// `config` with the first market's instrument.
ExchangeConfig WithFirstInstrument(ExchangeConfig config, const std::vector<Market>& markets) {
  if (!markets.empty()) config.instrument = markets.front().instrument;  // empty: the constructor stops on it
  return config;
}

}  // namespace

FakeExchange::FakeExchange(ExchangeConfig config, std::vector<Bar> bars, Clock clock)
    : FakeExchange(config, std::vector<Market>{Market{config.instrument, std::move(bars)}}, std::move(clock)) {}

FakeExchange::FakeExchange(ExchangeConfig config, std::vector<Market> markets, Clock clock)
    : config_(WithFirstInstrument(std::move(config), markets)), clock_(std::move(clock)),
      wallet_(config_.start_balance), dual_side_(config_.dual_side_position) {
  // Preconditions: main.cc and the tests check their markets first.
  absl::Status valid = ValidateMarkets(markets);
  if (valid.ok()) valid = StartMarketsAt(&markets, 0);
  if (!valid.ok()) {
    std::fprintf(stderr, "FakeExchange: %s\n", std::string(valid.message()).c_str());
    std::abort();
  }
  timeline_ = SharedTimeline(markets);
  markets_.reserve(markets.size());
  for (Market& market : markets) {
    MarketState m;
    m.inst = std::move(market.instrument);
    m.bars = std::move(market.bars);
    m.position.symbol = m.inst.symbol;
    m.leverage = config_.leverage;
    m.margin_type = config_.margin_type;
    markets_.push_back(std::move(m));
  }
}

// ---- markets ---------------------------------------------------------------

const FakeExchange::MarketState* FakeExchange::FindMarket(absl::string_view symbol) const {
  for (const MarketState& m : markets_) {
    if (m.inst.symbol == symbol) return &m;
  }
  return nullptr;
}

FakeExchange::MarketState* FakeExchange::FindMarket(absl::string_view symbol) {
  return const_cast<MarketState*>(std::as_const(*this).FindMarket(symbol));
}

const FakeExchange::MarketState& FakeExchange::MarketOrDie(absl::string_view symbol) const {
  const MarketState* m = FindMarket(symbol);
  if (m == nullptr) {
    std::fprintf(stderr, "FakeExchange: no market %s\n", std::string(symbol).c_str());
    std::abort();
  }
  return *m;
}

FakeExchange::MarketState& FakeExchange::MarketOrDie(absl::string_view symbol) {
  return const_cast<MarketState&>(std::as_const(*this).MarketOrDie(symbol));
}

ApiResult<const FakeExchange::MarketState*> FakeExchange::MarketFor(const Params& p) const {
  std::optional<absl::string_view> symbol = Get(p, "symbol");
  if (!symbol) return Missing("symbol");
  const MarketState* m = FindMarket(*symbol);
  if (m == nullptr) return Error(kBadSymbol);
  return m;
}

ApiResult<FakeExchange::MarketState*> FakeExchange::MarketFor(const Params& p) {
  ApiResult<const MarketState*> m = std::as_const(*this).MarketFor(p);
  if (!m.ok()) return m.error();
  return const_cast<MarketState*>(*m);
}

std::optional<ApiError> FakeExchange::CheckSymbol(const Params& p) const {
  if (!Get(p, "symbol")) return std::nullopt;
  ApiResult<const MarketState*> m = MarketFor(p);
  if (!m.ok()) return m.error();
  return std::nullopt;
}

bool FakeExchange::Selected(const Params& p, absl::string_view symbol) {
  std::optional<absl::string_view> wanted = Get(p, "symbol");
  return !wanted || *wanted == symbol;
}

// ---- checks ----------------------------------------------------------------

ApiResult<int64_t> FakeExchange::ChangeLeverage(const Params& p) {
  std::lock_guard<std::mutex> lock(mu_);
  ApiResult<MarketState*> m = MarketFor(p);
  if (!m.ok()) return m.error();
  std::optional<absl::string_view> text = Get(p, "leverage");
  if (!text) return Missing("leverage");
  int64_t leverage = 0;
  if (!absl::SimpleAtoi(*text, &leverage) || leverage < 1 || leverage > 125) {
    return Error(kInvalidLeverage, absl::StrCat("Leverage ", *text, " is not valid"));
  }
  (*m)->leverage = leverage;
  return leverage;
}

std::optional<ApiError> FakeExchange::ChangeMarginType(const Params& p) {
  std::lock_guard<std::mutex> lock(mu_);
  ApiResult<MarketState*> m = MarketFor(p);
  if (!m.ok()) return m.error();
  std::optional<absl::string_view> type = Get(p, "marginType");
  if (!type) return Missing("marginType");
  if (*type != "ISOLATED" && *type != "CROSSED") return Missing("marginType");
  MarketState& market = **m;
  if (*type == market.margin_type) return Error(kNoNeedToChangeMarginType);
  if (!market.position.qty.is_zero()) return Error(kMarginTypePosition);
  if (OpenOrderCount(market.inst.symbol) > 0) return Error(kMarginTypeOpenOrders);
  market.margin_type = std::string(*type);
  return std::nullopt;
}

bool FakeExchange::DualSidePosition() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dual_side_;
}

std::optional<ApiError> FakeExchange::ChangeDualSidePosition(const Params& p) {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<absl::string_view> text = Get(p, "dualSidePosition");
  if (!text || (*text != "true" && *text != "false")) return Missing("dualSidePosition");
  const bool dual = *text == "true";
  if (dual == dual_side_) return Error(kNoNeedToChangePositionSide);
  const bool any_position =
      std::any_of(markets_.begin(), markets_.end(), [](const MarketState& m) { return !m.position.qty.is_zero(); });
  if (any_position) return Error(kPositionSidePosition);
  if (OpenOrderCount() > 0 || OpenAlgoCount() > 0) return Error(kPositionSideOpenOrders);
  dual_side_ = dual;
  return std::nullopt;
}

int64_t FakeExchange::leverage() const { return leverage(config_.instrument.symbol); }

int64_t FakeExchange::leverage(absl::string_view symbol) const {
  std::lock_guard<std::mutex> lock(mu_);
  return MarketOrDie(symbol).leverage;
}

std::string FakeExchange::margin_type() const { return margin_type(config_.instrument.symbol); }

std::string FakeExchange::margin_type(absl::string_view symbol) const {
  std::lock_guard<std::mutex> lock(mu_);
  return MarketOrDie(symbol).margin_type;
}

Fixed FakeExchange::Reducible(const MarketState& m, Side side) {
  const Fixed qty = m.position.qty;
  if (qty.is_zero()) return Fixed();
  return (side == Side::kSell) == (qty.raw() > 0) ? qty.Abs() : Fixed();
}

AccountSnapshot FakeExchange::AccountLocked() const {
  AccountSnapshot a;
  a.wallet_balance = wallet_;
  for (const MarketState& m : markets_) {
    PositionSnapshot s;
    s.position = m.position;
    s.mark_price = m.mark();
    s.leverage = m.leverage;
    s.margin_type = m.margin_type;
    s.unrealized_pnl = m.unrealized_pnl();
    const Fixed lev = Fixed::FromInt(m.leverage);
    const Fixed notional = m.position.qty.Abs().Mul(s.mark_price);
    s.initial_margin = notional.Div(lev);
    s.maint_margin = notional.Mul(m.inst.maint_margin_rate);
    for (const auto& [id, o] : orders_) {
      if (o.symbol != m.inst.symbol || !o.IsOpen() || o.type != OrderType::kLimit || o.reduce_only) continue;
      s.open_order_initial_margin += (o.orig_qty - o.executed_qty).Mul(o.price).Div(lev);
    }
    a.unrealized_pnl += s.unrealized_pnl;
    a.position_initial_margin += s.initial_margin;
    a.open_order_initial_margin += s.open_order_initial_margin;
    a.maint_margin += s.maint_margin;
    a.update_time_ms = std::max(a.update_time_ms, m.position.update_time_ms);
    a.positions.push_back(std::move(s));
  }
  a.position = a.positions.front().position;
  a.available_balance =
      std::max(Fixed(), wallet_ + a.unrealized_pnl - a.position_initial_margin - a.open_order_initial_margin);
  return a;
}

std::optional<ApiError> FakeExchange::CheckMargin(const MarketState& m, Side side, Fixed qty, Fixed price) const {
  const Fixed reducible = Reducible(m, side);
  const Fixed increase = qty > reducible ? qty - reducible : Fixed();
  if (increase.is_zero()) return std::nullopt;
  const AccountSnapshot a = AccountLocked();
  const Fixed free = wallet_ + a.unrealized_pnl - a.position_initial_margin - a.open_order_initial_margin;
  const Fixed notional = increase.Mul(price);
  const Fixed need = notional.Div(Fixed::FromInt(m.leverage)) + notional.Mul(config_.taker_fee_rate);
  if (need > free) return Error(kMarginInsufficient);
  return std::nullopt;
}

bool FakeExchange::ClientOrderIdInUse(absl::string_view id) const {
  for (const auto& [oid, o] : orders_) {
    if (o.IsOpen() && o.client_order_id == id) return true;
  }
  return false;
}

bool FakeExchange::ClientAlgoIdInUse(absl::string_view id) const {
  for (const auto& [aid, a] : algos_) {
    if (a.status == AlgoStatus::kNew && a.client_algo_id == id) return true;
  }
  return false;
}

// ---- orders ----------------------------------------------------------------

ApiResult<Order> FakeExchange::ParseNewOrder(const MarketState& m, const Params& p) const {
  ApiResult<Side> side = ParseSide(p);
  if (!side.ok()) return side.error();
  std::optional<absl::string_view> type_name = Get(p, "type");
  if (!type_name) return Missing("type");
  if (IsConditionalType(*type_name)) return Error(kUseAlgoOrderApi);
  if (*type_name != "MARKET" && *type_name != "LIMIT") return Error(kInvalidOrderType);
  if (Get(p, "closePosition")) return Error(kParamNotRequired, ParamNotRequiredMsg("closePosition"));
  Order o;
  o.symbol = m.inst.symbol;
  o.side = *side;
  o.type = *type_name == "MARKET" ? OrderType::kMarket : OrderType::kLimit;
  o.orig_type = std::string(*type_name);
  ApiResult<Fixed> qty = ParseQuantity(m.inst, p);
  if (!qty.ok()) return qty.error();
  o.orig_qty = *qty;
  if (o.type == OrderType::kLimit) {
    ApiResult<Fixed> price = ParsePrice(m.inst, p, "price");
    if (!price.ok()) return price.error();
    std::optional<absl::string_view> tif = Get(p, "timeInForce");
    if (!tif) return Missing("timeInForce");
    if (*tif != "GTC" && *tif != "IOC" && *tif != "FOK" && *tif != "GTX") return Error(kInvalidTimeInForce);
    o.price = *price;
    o.time_in_force = std::string(*tif);
  } else {
    if (Get(p, "price")) return Error(kParamNotRequired, ParamNotRequiredMsg("price"));
    o.time_in_force = "GTC";
  }
  ApiResult<bool> reduce_only = ParseBool(p, "reduceOnly");
  if (!reduce_only.ok()) return reduce_only.error();
  o.reduce_only = *reduce_only;
  if (std::optional<absl::string_view> cid = Get(p, "newClientOrderId")) {
    if (!ValidClientId(*cid)) return Error(kClientOrderIdInvalid);
    if (ClientOrderIdInUse(*cid)) return Error(kDuplicateClientOrderId);
    o.client_order_id = std::string(*cid);
  }
  return o;
}

ApiResult<Fixed> FakeExchange::ParseQuantity(const Instrument& inst, const Params& p) {
  ApiResult<Fixed> qty = ParseDecimal(p, "quantity");
  if (!qty.ok()) return qty.error();
  if (qty->raw() <= 0) return Error(kQtyLessThanZero);
  if (auto e = CheckGrid(*qty, inst.step_size, kQtyNotByStep)) return *e;
  if (*qty > inst.max_qty) return Error(kQtyGreaterThanMax);
  return qty;
}

ApiResult<Fixed> FakeExchange::ParsePrice(const Instrument& inst, const Params& p, absl::string_view key) {
  ApiResult<Fixed> price = ParseDecimal(p, key);
  if (!price.ok()) return price.error();
  if (price->raw() <= 0) return Error(kPriceLessThanZero);
  if (auto e = CheckGrid(*price, inst.tick_size, kPriceNotByTick)) return *e;
  return price;
}

std::optional<ApiError> FakeExchange::CheckAccountFor(const MarketState& m, const Order& o) const {
  const Fixed ref_price = o.type == OrderType::kLimit ? o.price : m.mark();
  if (o.reduce_only) {
    if (Reducible(m, o.side).is_zero()) return Error(kReduceOnlyRejected);
  } else {
    if (o.orig_qty.Mul(ref_price) < m.inst.min_notional) {
      return Error(kMinNotional, absl::StrCat("Order's notional must be no smaller than ",
                                              m.inst.min_notional.ToString(), " (unless you choose reduce only)."));
    }
    if (auto e = CheckMargin(m, o.side, o.orig_qty, ref_price)) return *e;
  }
  if (OpenOrderCount(m.inst.symbol) >= config_.max_open_orders) return Error(kMaxOpenOrders);
  return std::nullopt;
}

ApiResult<NewOrderResult> FakeExchange::NewOrder(const Params& p) {
  std::lock_guard<std::mutex> lock(mu_);
  ApiResult<MarketState*> market = MarketFor(p);
  if (!market.ok()) return market.error();
  MarketState& m = **market;
  ApiResult<Order> parsed = ParseNewOrder(m, p);
  if (!parsed.ok()) return parsed.error();
  Order o = std::move(parsed.value());
  // Hedge mode needs positionSide LONG/SHORT on every order.
  if (dual_side_ && Get(p, "positionSide").value_or("BOTH") == "BOTH") return Error(kPositionSideNotMatch);
  if (auto e = CheckAccountFor(m, o)) return *e;
  if (o.client_order_id.empty()) o.client_order_id = absl::StrCat("autoclientid", next_auto_id_++);
  o.order_id = next_order_id_++;
  o.time_ms = o.update_time_ms = NowLocked();
  Order& order = AddOrder(std::move(o));
  EmitOrderUpdate(order, "NEW", Fixed(), Fixed(), Fixed(), Fixed(), 0, false);
  NewOrderResult result;
  result.accepted = order;
  MatchOnArrival(m, order);
  result.result = order;
  return result;
}

void FakeExchange::MatchOnArrival(MarketState& m, Order& order) {
  const Fixed close = m.mark();
  if (order.type == OrderType::kMarket) {
    Fixed now_qty = order.orig_qty;
    if (partial_fill_next_percent_ > 0) {
      now_qty = order.orig_qty.Mul(Fixed::FromInt(partial_fill_next_percent_))
                    .Div(Fixed::FromInt(100))
                    .FloorTo(m.inst.step_size);
      if (now_qty.is_zero()) now_qty = m.inst.step_size;
      now_qty = std::min(now_qty, order.orig_qty);
      partial_fill_next_percent_ = 0;
      order.deferred_qty = order.orig_qty - now_qty;
    }
    Fill(m, order, now_qty, close, /*maker=*/false);
    return;
  }
  const bool crosses = order.side == Side::kBuy ? order.price >= close : order.price <= close;
  if (crosses && order.time_in_force == "GTX") {
    Expire(order);  // post-only would have taken liquidity
  } else if (crosses) {
    Fill(m, order, order.orig_qty, close, /*maker=*/false);
  } else if (order.time_in_force == "IOC" || order.time_in_force == "FOK") {
    Expire(order);
  }
}

Order* FakeExchange::FindOrder(absl::string_view symbol, const Params& p, std::optional<ApiError>* error) {
  std::optional<absl::string_view> id_text = Get(p, "orderId");
  std::optional<absl::string_view> client_id = Get(p, "origClientOrderId");
  if (!id_text && !client_id) {
    *error = Error(kMandatoryParam, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
    return nullptr;
  }
  if (id_text) {  // orderId prevails when both are sent
    int64_t id = 0;
    if (!absl::SimpleAtoi(*id_text, &id)) {
      *error = Missing("orderId");
      return nullptr;
    }
    auto it = orders_.find(id);
    return it == orders_.end() || it->second.symbol != symbol ? nullptr : &it->second;
  }
  for (auto it = orders_.rbegin(); it != orders_.rend(); ++it) {  // the newest with that id
    if (it->second.symbol == symbol && it->second.client_order_id == *client_id) return &it->second;
  }
  return nullptr;
}

ApiResult<Order> FakeExchange::QueryOrder(const Params& p) {
  std::lock_guard<std::mutex> lock(mu_);
  ApiResult<MarketState*> m = MarketFor(p);
  if (!m.ok()) return m.error();
  std::optional<ApiError> error;
  Order* order = FindOrder((*m)->inst.symbol, p, &error);
  if (error) return *error;
  if (order == nullptr) return Error(kNoSuchOrder);
  return *order;
}

ApiResult<Order> FakeExchange::CancelOrder(const Params& p) {
  std::lock_guard<std::mutex> lock(mu_);
  ApiResult<MarketState*> m = MarketFor(p);
  if (!m.ok()) return m.error();
  std::optional<ApiError> error;
  Order* order = FindOrder((*m)->inst.symbol, p, &error);
  if (error) return *error;
  if (order == nullptr || !order->IsOpen()) return Error(kCancelRejected);
  order->status = OrderStatus::kCanceled;
  order->deferred_qty = Fixed();
  order->update_time_ms = NowLocked();
  EmitOrderUpdate(*order, "CANCELED", Fixed(), Fixed(), Fixed(), Fixed(), 0, false);
  return *order;
}

ApiResult<std::vector<Order>> FakeExchange::OpenOrders(const Params& p) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto e = CheckSymbol(p)) return *e;
  std::vector<Order> open;
  for (const auto& [id, o] : orders_) {
    if (o.IsOpen() && Selected(p, o.symbol)) open.push_back(o);
  }
  return open;
}

int64_t FakeExchange::OpenOrderCount(absl::string_view symbol) const {
  return std::count_if(orders_.begin(), orders_.end(), [symbol](const auto& kv) {
    return kv.second.IsOpen() && (symbol.empty() || kv.second.symbol == symbol);
  });
}

int64_t FakeExchange::OpenAlgoCount(absl::string_view symbol) const {
  return std::count_if(algos_.begin(), algos_.end(), [symbol](const auto& kv) {
    return kv.second.status == AlgoStatus::kNew && (symbol.empty() || kv.second.symbol == symbol);
  });
}

AlgoOrder& FakeExchange::AddAlgo(AlgoOrder algo) {
  if (algos_.size() >= config_.history_max) {  // forget the oldest finished algo order
    for (auto it = algos_.begin(); it != algos_.end(); ++it) {
      if (it->second.status != AlgoStatus::kNew) {
        algos_.erase(it);
        break;
      }
    }
  }
  const int64_t id = algo.algo_id;
  return algos_.emplace(id, std::move(algo)).first->second;
}

Order& FakeExchange::AddOrder(Order order) {
  if (orders_.size() >= config_.history_max) {  // forget the oldest closed order
    for (auto it = orders_.begin(); it != orders_.end(); ++it) {
      if (!it->second.IsOpen()) {
        orders_.erase(it);
        break;
      }
    }
  }
  const int64_t id = order.order_id;
  return orders_.emplace(id, std::move(order)).first->second;
}

void FakeExchange::Fill(MarketState& m, Order& order, Fixed qty, Fixed price, bool maker) {
  const bool reducing = order.reduce_only || order.close_position;
  if (reducing) qty = std::min(qty, Reducible(m, order.side));
  if (qty.is_zero()) {
    Expire(order);
    return;
  }
  const int64_t now = NowLocked();
  const Fixed signed_qty = order.side == Side::kBuy ? qty : -qty;
  Position& pos = m.position;
  Fixed realized;
  if (pos.qty.is_zero() || (pos.qty.raw() > 0) == (signed_qty.raw() > 0)) {
    const Fixed size = pos.qty.Abs() + qty;
    pos.entry_price = (pos.qty.Abs().Mul(pos.entry_price) + qty.Mul(price)).Div(size);
    pos.qty += signed_qty;
  } else {
    const bool was_long = pos.qty.raw() > 0;
    const Fixed closing = std::min(pos.qty.Abs(), qty);
    realized = closing.Mul(was_long ? price - pos.entry_price : pos.entry_price - price);
    pos.qty += signed_qty;
    if (pos.qty.is_zero()) {
      pos.entry_price = Fixed();
    } else if ((pos.qty.raw() > 0) != was_long) {
      pos.entry_price = price;  // flipped: the rest opened at this price
    }
  }
  const Fixed fee = qty.Mul(price).Mul(maker ? config_.maker_fee_rate : config_.taker_fee_rate);
  pos.realized_pnl += realized;
  pos.update_time_ms = now;
  wallet_ += realized - fee;

  order.executed_qty += qty;
  order.cum_quote += qty.Mul(price);
  order.update_time_ms = now;
  order.status = order.executed_qty == order.orig_qty ? OrderStatus::kFilled : OrderStatus::kPartiallyFilled;
  const int64_t trade_id = next_trade_id_++;
  trades_.push_back(
      Trade{trade_id, order.symbol, order.order_id, order.side, price, qty, qty.Mul(price), fee, realized, maker, now});
  if (trades_.size() > config_.history_max) trades_.pop_front();
  EmitOrderUpdate(order, "TRADE", qty, price, fee, realized, trade_id, maker);
  EmitAccountUpdate(m, "ORDER", Fixed());
  if (reducing && order.IsOpen() && order.deferred_qty.is_zero() && Reducible(m, order.side).is_zero()) Expire(order);
  ExpireReduceOnlyOrdersIfFlat(m);
}

void FakeExchange::Expire(Order& order) {
  order.status = OrderStatus::kExpired;
  order.deferred_qty = Fixed();
  order.update_time_ms = NowLocked();
  EmitOrderUpdate(order, "EXPIRED", Fixed(), Fixed(), Fixed(), Fixed(), 0, false);
}

void FakeExchange::ExpireReduceOnlyOrdersIfFlat(const MarketState& m) {
  if (!m.position.qty.is_zero()) return;
  for (auto& [id, o] : orders_) {
    if (o.symbol == m.inst.symbol && o.IsOpen() && o.reduce_only && o.type == OrderType::kLimit) Expire(o);
  }
}

void FakeExchange::RunBar(MarketState& m) {
  const Bar& bar = m.current();
  const std::string& symbol = m.inst.symbol;
  // 1. Remainders of partially filled market orders, at the open.
  for (auto& [id, order] : orders_) {
    if (order.symbol != symbol || !order.IsOpen() || order.deferred_qty.is_zero()) continue;
    const Fixed qty = order.deferred_qty;
    order.deferred_qty = Fixed();
    Fill(m, order, qty, bar.open, /*maker=*/false);
  }
  // 2. Algo orders: every stop before any take-profit (the pessimistic
  // reading of a bar that touched both).
  for (AlgoType pass : {AlgoType::kStopMarket, AlgoType::kTakeProfitMarket}) {
    for (auto& [id, algo] : algos_) {
      if (algo.symbol != symbol || algo.status != AlgoStatus::kNew || algo.type != pass) continue;
      const bool hit = TriggersOnFall(algo) ? bar.low <= algo.trigger_price : bar.high >= algo.trigger_price;
      if (hit) TriggerAlgo(m, algo);
    }
  }
  // 3. Resting limit orders the bar's range reached, at their price.
  for (auto& [id, order] : orders_) {
    if (order.symbol != symbol || !order.IsOpen() || order.type != OrderType::kLimit) continue;
    const bool hit = order.side == Side::kBuy ? bar.low <= order.price : bar.high >= order.price;
    if (hit) Fill(m, order, order.orig_qty - order.executed_qty, order.price, /*maker=*/true);
  }
}

// ---- algo orders -----------------------------------------------------------

ApiResult<AlgoOrder> FakeExchange::ParseNewAlgoOrder(const Params& p) const {
  std::optional<absl::string_view> algo_type = Get(p, "algoType");
  if (!algo_type) return Missing("algoType");
  if (*algo_type != "CONDITIONAL") return Error(kInvalidOrderType, "Invalid algoType.");
  ApiResult<const MarketState*> m = MarketFor(p);
  if (!m.ok()) return m.error();
  const Instrument& inst = (*m)->inst;
  ApiResult<Side> side = ParseSide(p);
  if (!side.ok()) return side.error();
  std::optional<absl::string_view> type_name = Get(p, "type");
  if (!type_name) return Missing("type");
  AlgoOrder a;
  if (*type_name == "STOP_MARKET") {
    a.type = AlgoType::kStopMarket;
  } else if (*type_name == "TAKE_PROFIT_MARKET") {
    a.type = AlgoType::kTakeProfitMarket;
  } else {
    return Error(kInvalidOrderType);  // STOP, TAKE_PROFIT, TRAILING_STOP_MARKET: not modelled here
  }
  a.symbol = inst.symbol;
  a.side = *side;
  ApiResult<bool> close_position = ParseBool(p, "closePosition");
  if (!close_position.ok()) return close_position.error();
  ApiResult<bool> reduce_only = ParseBool(p, "reduceOnly");
  if (!reduce_only.ok()) return reduce_only.error();
  a.close_position = *close_position;
  a.reduce_only = *reduce_only;
  if (a.close_position) {
    if (Get(p, "reduceOnly")) return Error(kParamNotRequired, ParamNotRequiredMsg("reduceOnly"));
    if (Get(p, "quantity")) return Error(kQtyWithClosePosition);
  } else {
    ApiResult<Fixed> qty = ParseQuantity(inst, p);
    if (!qty.ok()) return qty.error();
    a.quantity = *qty;
  }
  ApiResult<Fixed> trigger = ParsePrice(inst, p, "triggerPrice");
  if (!trigger.ok()) return trigger.error();
  a.trigger_price = *trigger;
  if (std::optional<absl::string_view> wt = Get(p, "workingType")) {
    if (*wt != "MARK_PRICE" && *wt != "CONTRACT_PRICE") return Missing("workingType");
    a.working_type = std::string(*wt);
  }
  if (std::optional<absl::string_view> tif = Get(p, "timeInForce")) {
    if (*tif != "GTC" && *tif != "IOC" && *tif != "FOK") return Error(kInvalidTimeInForce);
    a.time_in_force = std::string(*tif);
  }
  if (std::optional<absl::string_view> cid = Get(p, "clientAlgoId")) {
    if (!ValidClientId(*cid)) return Error(kClientOrderIdInvalid);
    if (ClientAlgoIdInUse(*cid)) return Error(kDuplicateClientOrderId);
    a.client_algo_id = std::string(*cid);
  }
  return a;
}

ApiResult<AlgoOrder> FakeExchange::NewAlgoOrder(const Params& p) {
  std::lock_guard<std::mutex> lock(mu_);
  ApiResult<AlgoOrder> parsed = ParseNewAlgoOrder(p);
  if (!parsed.ok()) return parsed.error();
  AlgoOrder a = std::move(parsed.value());
  const Fixed close = MarketOrDie(a.symbol).mark();
  if (TriggersOnFall(a) ? close <= a.trigger_price : close >= a.trigger_price) {
    return Error(kWouldImmediatelyTrigger);
  }
  if (OpenAlgoCount(a.symbol) >= config_.max_open_algo_orders) return Error(kMaxStopOrders);
  if (a.client_algo_id.empty()) a.client_algo_id = absl::StrCat("autoalgoid", next_auto_id_++);
  a.algo_id = next_algo_id_++;
  a.create_time_ms = a.update_time_ms = NowLocked();
  AlgoOrder& algo = AddAlgo(std::move(a));
  EmitAlgoUpdate(algo);
  return algo;
}

AlgoOrder* FakeExchange::FindAlgo(const Params& p, std::optional<ApiError>* error) {
  std::optional<absl::string_view> id_text = Get(p, "algoId");
  std::optional<absl::string_view> client_id = Get(p, "clientAlgoId");
  if (!id_text && !client_id) {
    *error = Error(kMandatoryParam, "Param 'clientAlgoId' or 'algoId' must be sent, but both were empty/null!");
    return nullptr;
  }
  if (id_text) {
    int64_t id = 0;
    if (!absl::SimpleAtoi(*id_text, &id)) {
      *error = Missing("algoId");
      return nullptr;
    }
    auto it = algos_.find(id);
    return it == algos_.end() ? nullptr : &it->second;
  }
  for (auto it = algos_.rbegin(); it != algos_.rend(); ++it) {
    if (it->second.client_algo_id == *client_id) return &it->second;
  }
  return nullptr;
}

ApiResult<AlgoOrder> FakeExchange::QueryAlgoOrder(const Params& p) {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<ApiError> error;
  AlgoOrder* algo = FindAlgo(p, &error);
  if (error) return *error;
  if (algo == nullptr) return Error(kNoSuchOrder);
  return *algo;
}

ApiResult<AlgoOrder> FakeExchange::CancelAlgoOrder(const Params& p) {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<ApiError> error;
  AlgoOrder* algo = FindAlgo(p, &error);
  if (error) return *error;
  if (algo == nullptr || algo->status != AlgoStatus::kNew) return Error(kCancelRejected);
  algo->status = AlgoStatus::kCanceled;
  algo->update_time_ms = NowLocked();
  EmitAlgoUpdate(*algo);
  return *algo;
}

ApiResult<std::vector<AlgoOrder>> FakeExchange::OpenAlgoOrders(const Params& p) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto e = CheckSymbol(p)) return *e;
  std::vector<AlgoOrder> open;
  for (const auto& [id, a] : algos_) {
    if (a.status == AlgoStatus::kNew && Selected(p, a.symbol)) open.push_back(a);
  }
  return open;
}

void FakeExchange::TriggerAlgo(MarketState& m, AlgoOrder& algo) {
  const Bar& bar = m.current();
  const int64_t now = NowLocked();
  algo.trigger_time_ms = algo.update_time_ms = now;
  const bool reducing = algo.reduce_only || algo.close_position;
  if (reducing && Reducible(m, algo.side).is_zero()) {
    algo.status = AlgoStatus::kRejected;
    algo.reject_reason = "Reduce Only reject";
    EmitAlgoUpdate(algo);
    return;
  }
  // The first price at or past the trigger: the open when the bar gapped through it.
  const Fixed price = TriggersOnFall(algo) ? std::min(algo.trigger_price, bar.open)
                                           : std::max(algo.trigger_price, bar.open);
  Order o;
  o.order_id = next_order_id_++;
  o.client_order_id = algo.client_algo_id;
  o.symbol = algo.symbol;
  o.side = algo.side;
  o.type = OrderType::kMarket;
  o.orig_type = std::string(AlgoTypeName(algo.type));
  o.time_in_force = algo.time_in_force;
  o.stop_price = algo.trigger_price;
  o.orig_qty = algo.close_position ? Reducible(m, algo.side) : algo.quantity;
  o.reduce_only = algo.reduce_only;
  o.close_position = algo.close_position;
  o.time_ms = o.update_time_ms = now;
  Order& order = AddOrder(std::move(o));
  algo.status = AlgoStatus::kTriggered;
  algo.actual_order_id = order.order_id;
  EmitAlgoUpdate(algo);
  EmitOrderUpdate(order, "NEW", Fixed(), Fixed(), Fixed(), Fixed(), 0, false);
  Fill(m, order, order.orig_qty, price, /*maker=*/false);
  algo.status = AlgoStatus::kFinished;
  algo.actual_price = order.AvgPrice();
  algo.executed_qty = order.executed_qty;
  algo.update_time_ms = NowLocked();
  EmitAlgoUpdate(algo);
}

// ---- account ---------------------------------------------------------------

AccountSnapshot FakeExchange::Account() const {
  std::lock_guard<std::mutex> lock(mu_);
  return AccountLocked();
}

ApiResult<std::vector<Trade>> FakeExchange::UserTrades(const Params& p) const {
  std::lock_guard<std::mutex> lock(mu_);
  ApiResult<const MarketState*> m = MarketFor(p);
  if (!m.ok()) return m.error();
  int64_t order_id = 0, limit = 500;
  std::optional<absl::string_view> id_text = Get(p, "orderId");
  if (id_text && !absl::SimpleAtoi(*id_text, &order_id)) return Missing("orderId");
  if (std::optional<absl::string_view> l = Get(p, "limit"); l && (!absl::SimpleAtoi(*l, &limit) || limit < 1)) {
    return Missing("limit");
  }
  limit = std::min<int64_t>(limit, 1000);
  std::vector<Trade> out;
  for (const Trade& t : trades_) {
    if (t.symbol != (*m)->inst.symbol || (id_text && t.order_id != order_id)) continue;
    out.push_back(t);
  }
  if (out.size() > static_cast<size_t>(limit)) out.erase(out.begin(), out.end() - limit);  // the newest
  return out;
}

std::string FakeExchange::StartUserStream() {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = NowLocked();
  std::erase_if(listen_keys_, [now](const ListenKey& k) { return k.expires_ms <= now; });
  if (!listen_keys_.empty()) {
    listen_keys_.front().expires_ms = now + config_.listen_key_ttl_ms;
    return listen_keys_.front().key;
  }
  ListenKey k{absl::StrFormat("fakelistenkey%051d", next_auto_id_++), now + config_.listen_key_ttl_ms};
  listen_keys_.push_back(k);
  return k.key;
}

ApiResult<std::string> FakeExchange::KeepAliveUserStream(absl::string_view listen_key) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = NowLocked();
  for (ListenKey& k : listen_keys_) {
    if ((listen_key.empty() || k.key == listen_key) && k.expires_ms > now) {
      k.expires_ms = now + config_.listen_key_ttl_ms;
      return k.key;
    }
  }
  return Error(kInvalidListenKey);
}

std::optional<ApiError> FakeExchange::CloseUserStream(absl::string_view listen_key) {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t erased = std::erase_if(
      listen_keys_, [&](const ListenKey& k) { return listen_key.empty() || k.key == listen_key; });
  if (erased == 0) return Error(kInvalidListenKey);
  return std::nullopt;
}

bool FakeExchange::IsListenKeyActive(absl::string_view listen_key) const {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t now = NowLocked();
  return std::any_of(listen_keys_.begin(), listen_keys_.end(),
                     [&](const ListenKey& k) { return k.key == listen_key && k.expires_ms > now; });
}

// ---- drills ----------------------------------------------------------------

absl::Status FakeExchange::SetPartialFillNextMarket(int percent) {
  if (percent < 1 || percent > 99) return absl::InvalidArgumentError("partial fill percent must be 1..99");
  std::lock_guard<std::mutex> lock(mu_);
  partial_fill_next_percent_ = percent;
  return absl::OkStatus();
}

ApiResult<Order> FakeExchange::ClosePositionByHand(absl::string_view symbol) {
  std::lock_guard<std::mutex> lock(mu_);
  MarketState* m = FindMarket(symbol);
  if (m == nullptr) return Error(kBadSymbol);
  if (m->position.qty.is_zero()) return Error(kReduceOnlyRejected);
  const int64_t now = NowLocked();
  Order o;
  o.order_id = next_order_id_++;
  o.client_order_id = absl::StrCat("web_manual_", next_auto_id_++);
  o.symbol = m->inst.symbol;
  o.side = m->position.qty.raw() > 0 ? Side::kSell : Side::kBuy;
  o.type = OrderType::kMarket;
  o.orig_type = "MARKET";
  o.time_in_force = "GTC";
  o.orig_qty = m->position.qty.Abs();
  o.reduce_only = true;
  o.time_ms = o.update_time_ms = now;
  Order& order = AddOrder(std::move(o));
  EmitOrderUpdate(order, "NEW", Fixed(), Fixed(), Fixed(), Fixed(), 0, false);
  Fill(*m, order, order.orig_qty, m->mark(), /*maker=*/false);
  return order;
}

ApiResult<AlgoOrder> FakeExchange::CancelAlgoByHand(absl::string_view type, absl::string_view symbol) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, algo] : algos_) {
    if (algo.status != AlgoStatus::kNew || AlgoTypeName(algo.type) != type) continue;
    if (!symbol.empty() && algo.symbol != symbol) continue;
    algo.status = AlgoStatus::kCanceled;
    algo.update_time_ms = NowLocked();
    EmitAlgoUpdate(algo);
    return algo;
  }
  return Error(kCancelRejected);
}

// ---- user events -----------------------------------------------------------

std::vector<std::string> FakeExchange::TakeUserEvents() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out(std::make_move_iterator(user_events_.begin()),
                               std::make_move_iterator(user_events_.end()));
  user_events_.clear();
  return out;
}

void FakeExchange::SetUserEventSink(UserEventSink sink) {
  std::lock_guard<std::mutex> lock(mu_);
  sink_ = std::move(sink);
}

void FakeExchange::SetBarSink(BarSink sink) {
  std::lock_guard<std::mutex> lock(mu_);
  bar_sink_ = std::move(sink);
}

void FakeExchange::Emit(std::string event_json) {
  if (sink_) sink_(event_json);
  user_events_.push_back(std::move(event_json));
  if (user_events_.size() > config_.user_events_max) {
    user_events_.pop_front();
    ++user_events_dropped_;
  }
}

void FakeExchange::EmitOrderUpdate(const Order& order, absl::string_view exec_type, Fixed last_qty, Fixed last_price,
                                   Fixed commission, Fixed realized, int64_t trade_id, bool maker) {
  ExecutionReport exec{exec_type, last_qty, last_price, commission, realized, trade_id, maker};
  Emit(OrderTradeUpdateJson(order, exec, config_.quote_asset, NowLocked()));
}

void FakeExchange::EmitAccountUpdate(const MarketState& m, absl::string_view reason, Fixed balance_change) {
  Emit(AccountUpdateJson(reason, config_.quote_asset, wallet_, balance_change, m.position, m.unrealized_pnl(),
                         NowLocked()));
}

void FakeExchange::EmitAlgoUpdate(const AlgoOrder& algo) { Emit(AlgoUpdateJson(algo, NowLocked())); }

std::string FakeExchange::StateJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  auto bar_json = [](const Bar& bar) {
    return JsonObject()
        .Int("openTime", bar.open_time_ms)
        .Dec("open", bar.open)
        .Dec("high", bar.high)
        .Dec("low", bar.low)
        .Dec("close", bar.close)
        .Dec("volume", bar.volume)
        .Close();
  };
  auto position_json = [](const Position& p) {
    return JsonObject()
        .Str("symbol", p.symbol)
        .Dec("positionAmt", p.qty)
        .Dec("entryPrice", p.entry_price)
        .Dec("realizedPnl", p.realized_pnl)
        .Int("updateTime", p.update_time_ms)
        .Close();
  };
  std::vector<std::string> markets, orders, algos, keys;
  for (const MarketState& m : markets_) {
    markets.push_back(JsonObject()
                          .Str("symbol", m.inst.symbol)
                          .Int("leverage", m.leverage)
                          .Str("marginType", m.margin_type)
                          .Dec("fundingRate", m.funding_rate)
                          .Dec("spread", m.spread)
                          .Raw("bar", bar_json(m.current()))
                          .Raw("position", position_json(m.position))
                          .Close());
  }
  for (const auto& [id, o] : orders_) orders.push_back(OrderJson(o));
  for (const auto& [id, a] : algos_) algos.push_back(AlgoOrderJson(a));
  for (const ListenKey& k : listen_keys_) {
    keys.push_back(JsonObject().Str("listenKey", k.key).Int("expiresMs", k.expires_ms).Close());
  }
  const AccountSnapshot account = AccountLocked();
  const MarketState& first = markets_.front();
  return JsonObject()
      .Int("serverTime", NowLocked())
      .Int("clockSkewMs", skew_ms_)
      .Str("symbol", first.inst.symbol)  // symbol .. position: the first market's, as in "markets"
      .Int("leverage", first.leverage)
      .Str("marginType", first.margin_type)
      .Bool("dualSidePosition", dual_side_)
      .Int("barIndex", static_cast<int64_t>(step_))
      .Int("barCount", static_cast<int64_t>(timeline_.size()))
      .Raw("bar", bar_json(first.current()))
      .Dec("walletBalance", wallet_)
      .Dec("availableBalance", account.available_balance)
      .Dec("unrealizedProfit", account.unrealized_pnl)
      .Raw("position", position_json(first.position))
      .Raw("markets", JsonArray(markets))
      .Raw("orders", JsonArray(orders))
      .Raw("algoOrders", JsonArray(algos))
      .Raw("listenKeys", JsonArray(keys))
      .Int("partialFillNextMarketPercent", partial_fill_next_percent_)
      .Int("userEventsQueued", static_cast<int64_t>(user_events_.size()))
      .Int("userEventsDropped", user_events_dropped_)
      .Close();
}

}  // namespace apollo::fake_binance
