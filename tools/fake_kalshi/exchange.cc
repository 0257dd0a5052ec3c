#include "tools/fake_kalshi/exchange.h"

#include <simdjson.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/venue/kalshi/fees.h"
#include "engine/venue/kalshi/units.h"
#include "tools/fake_json.h"

namespace apollo::fake_kalshi {
namespace {

using fake::JsonArray;
using fake::JsonObject;
using venue::kalshi::Count2;
using venue::kalshi::Dollars4;
using venue::kalshi::FeeRole;

const Fixed kOne = Fixed::FromInt(1);

std::string Time(int64_t ms) { return absl::FormatTime(absl::RFC3339_sec, absl::FromUnixMillis(ms), absl::UTCTimeZone()); }

Reply Error(int status, absl::string_view code, absl::string_view message) {
  return Reply{status, JsonObject().Str("code", code).Str("message", message).Close()};
}

std::string Side(const std::vector<Level>& levels) {
  std::vector<std::string> pairs;
  for (const Level& l : levels) pairs.push_back(absl::StrCat("[\"", Dollars4(l.price), "\",\"", Count2(l.count), "\"]"));
  return JsonArray(pairs);
}

}  // namespace

Exchange::Exchange(std::function<int64_t()> now_ms, Fixed starting_balance)
    : now_ms_(std::move(now_ms)), balance_(starting_balance) {}

void Exchange::AddMarket(MarketSpec market) {
  std::lock_guard<std::mutex> l(mu_);
  const std::string ticker = market.ticker;
  markets_[ticker] = std::move(market);
}

std::string Exchange::OrderJson(const OurOrder& o) const {
  const Fixed yes = o.side == "yes" ? o.price : kOne - o.price;
  return JsonObject()
      .Str("order_id", o.order_id).Str("client_order_id", o.client_order_id).Str("ticker", o.ticker)
      .Str("side", o.side).Str("action", o.action).Str("type", "limit").Str("status", o.status)
      .Str("yes_price_dollars", Dollars4(yes)).Str("no_price_dollars", Dollars4(kOne - yes))
      .Str("fill_count_fp", Count2(o.filled)).Str("remaining_count_fp", Count2(o.status == "resting" ? o.initial - o.filled : Fixed()))
      .Str("initial_count_fp", Count2(o.initial)).Str("taker_fees_dollars", Dollars4(o.taker_fees))
      .Str("maker_fees_dollars", Dollars4(o.maker_fees)).Str("created_time", Time(o.created_ms))
      .Str("last_update_time", Time(o.updated_ms))
      .Close();
}

std::string Exchange::MarketJson(const MarketSpec& m) const {
  JsonObject o;
  o.Str("ticker", m.ticker).Str("event_ticker", m.event_ticker).Str("status", m.status).Str("result", m.result)
      .Str("strike_type", m.strike_type);
  if (m.floor_strike) o.Raw("floor_strike", m.floor_strike->ToString());
  if (m.cap_strike) o.Raw("cap_strike", m.cap_strike->ToString());
  auto best = [](const std::vector<Level>& levels) {
    Fixed b;
    for (const Level& l : levels) b = std::max(b, l.price);
    return b;
  };
  const Fixed yes_bid = best(BidsLocked(m, "yes")), no_bid = best(BidsLocked(m, "no"));
  o.Str("yes_bid_dollars", Dollars4(yes_bid)).Str("no_bid_dollars", Dollars4(no_bid))
      .Str("yes_ask_dollars", Dollars4(no_bid.is_zero() ? kOne : kOne - no_bid))
      .Str("no_ask_dollars", Dollars4(yes_bid.is_zero() ? kOne : kOne - yes_bid))
      .Str("volume_fp", Count2(m.volume)).Str("open_interest_fp", Count2(m.open_interest))
      .Raw("price_ranges", R"([{"start":"0.0000","end":"1.0000","step":"0.0100"}])")
      .Str("open_time", Time(m.open_time_ms)).Str("close_time", Time(m.close_time_ms))
      .Str("expected_expiration_time", Time(m.expected_expiration_ms));
  return o.Close();
}

void Exchange::FillLocked(OurOrder& o, Fixed count, Fixed price, bool taker, const std::string& trade_id) {
  const Fixed fee =
      venue::kalshi::TradeFee(taker ? FeeRole::kTaker : FeeRole::kMaker, count, price).value_or(Fixed()) + fee_surcharge_;
  o.filled += count;
  (taker ? o.taker_fees : o.maker_fees) += fee;
  o.updated_ms = now_ms_();
  if (o.filled >= o.initial) o.status = "executed";
  const bool buy = o.action == "buy";
  balance_ += buy ? -(count.Mul(price) + fee) : count.Mul(price) - fee;
  Holding& h = holdings_[o.ticker];
  (o.side == "yes" ? h.yes : h.no) += buy ? count : -count;
  Fixed& side_cost = o.side == "yes" ? h.yes_cost : h.no_cost;
  if (buy) side_cost += count.Mul(price);
  h.fees += fee;
  // Kalshi nets a YES against a NO of the same market: a pair is worth $1
  // whatever the result, and is paid back at once. Each side keeps the
  // cost of what it still holds, at its own average.
  if (const Fixed pairs = std::min(h.yes, h.no); pairs.raw() > 0) {
    h.yes_cost -= h.yes_cost.Mul(pairs).Div(h.yes);
    h.no_cost -= h.no_cost.Mul(pairs).Div(h.no);
    h.yes -= pairs;
    h.no -= pairs;
    balance_ += pairs;
  }
  const Fixed yes_price = o.side == "yes" ? price : kOne - price;
  if (taker) markets_[o.ticker].volume += count;  // a maker fill is in its print's (Trade)
  fills_.push_back(OurFill{absl::StrCat("f-", next_id_++), trade_id, o.order_id, o.ticker, o.side, o.action, count,
                           yes_price, fee, taker, o.updated_ms});
  stream_events_.push_back(StreamEvent{
      "fill", "fill", o.ticker,
      JsonObject()
          .Str("trade_id", trade_id).Str("order_id", o.order_id).Str("market_ticker", o.ticker).Bool("is_taker", taker)
          .Str("side", o.side).Str("action", o.action).Str("yes_price_dollars", Dollars4(yes_price))
          .Str("count_fp", Count2(count)).Str("post_position_fp", Count2(h.yes - h.no)).Int("ts_ms", o.updated_ms)
          .Close()});
  PositionChangedLocked(o.ticker);
}

std::vector<Level> Exchange::BidsLocked(const MarketSpec& m, const std::string& side) const {
  std::map<Fixed, Fixed> by_price;
  for (const Level& l : side == "yes" ? m.yes_bids : m.no_bids) by_price[l.price] += l.count;
  for (const auto& [id, o] : orders_) {
    if (o.ticker == m.ticker && o.side == side && o.action == "buy" && o.status == "resting") by_price[o.price] += o.initial - o.filled;
  }
  std::vector<Level> out;
  for (const auto& [price, count] : by_price) out.push_back(Level{price, count});
  return out;
}

void Exchange::BookChangedLocked(const MarketSpec& m, const std::string& side, Fixed price, Fixed delta) {
  const int64_t now = now_ms_();
  stream_events_.push_back(StreamEvent{"orderbook_delta", "orderbook_delta", m.ticker,
                                       JsonObject()
                                           .Str("market_ticker", m.ticker).Str("price_dollars", Dollars4(price))
                                           .Str("delta_fp", Count2(delta)).Str("side", side).Int("ts_ms", now)
                                           .Close(),
                                       ++book_version_});
  auto best = [](const std::vector<Level>& levels) {
    Fixed b;
    for (const Level& l : levels) b = std::max(b, l.price);
    return b;
  };
  const Fixed no_bid = best(BidsLocked(m, "no"));
  stream_events_.push_back(StreamEvent{
      "ticker", "ticker", m.ticker,
      JsonObject()
          .Str("market_ticker", m.ticker).Str("yes_bid_dollars", Dollars4(best(BidsLocked(m, "yes"))))
          .Str("yes_ask_dollars", Dollars4(no_bid.is_zero() ? kOne : kOne - no_bid)).Str("volume_fp", Count2(m.volume))
          .Str("open_interest_fp", Count2(m.open_interest)).Int("ts_ms", now)
          .Close()});
}

void Exchange::OrderChangedLocked(const OurOrder& o) {
  stream_events_.push_back(StreamEvent{"user_orders", "user_order", o.ticker, OrderJson(o)});
}

void Exchange::PositionChangedLocked(const std::string& ticker) {
  const Holding& h = holdings_[ticker];
  stream_events_.push_back(StreamEvent{"market_positions", "market_position", ticker,
                                       JsonObject()
                                           .Str("market_ticker", ticker).Str("position_fp", Count2(h.yes - h.no))
                                           .Str("position_cost_dollars", Dollars4(h.cost()))
                                           .Str("realized_pnl_dollars", "0.0000")
                                           .Str("fees_paid_dollars", Dollars4(h.fees))
                                           .Close()});
}

std::vector<StreamEvent> Exchange::TakeStreamEvents() {
  std::lock_guard<std::mutex> l(mu_);
  return std::exchange(stream_events_, {});
}

std::optional<std::pair<std::string, uint64_t>> Exchange::BookSnapshot(const std::string& ticker) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = markets_.find(ticker);
  if (it == markets_.end()) return std::nullopt;
  return std::make_pair(JsonObject()
                            .Str("market_ticker", ticker).Raw("yes_dollars_fp", Side(BidsLocked(it->second, "yes")))
                            .Raw("no_dollars_fp", Side(BidsLocked(it->second, "no")))
                            .Close(),
                        book_version_);
}

Reply Exchange::ChangeBook(const std::string& ticker, const std::string& side, Fixed price, Fixed delta) {
  if ((side != "yes" && side != "no") || !venue::kalshi::IsTradablePrice(price) || delta.is_zero() ||
      delta.raw() % venue::kalshi::kCent2 != 0) {
    return Error(400, "invalid_parameters", "side yes|no, a tradable price and a nonzero whole-cent count");
  }
  std::lock_guard<std::mutex> l(mu_);
  auto m = markets_.find(ticker);
  if (m == markets_.end()) return Error(404, "market_not_found", "no such market");
  std::vector<Level>& book = side == "yes" ? m->second.yes_bids : m->second.no_bids;
  auto level = std::find_if(book.begin(), book.end(), [&](const Level& lv) { return lv.price == price; });
  const Fixed had = level == book.end() ? Fixed() : level->count;
  if (had + delta < Fixed()) return Error(400, "invalid_parameters", "would take the level below zero");
  if (level == book.end()) {
    book.push_back(Level{price, delta});
  } else {
    level->count += delta;
  }
  book.erase(std::remove_if(book.begin(), book.end(), [](const Level& lv) { return lv.count.raw() <= 0; }), book.end());
  BookChangedLocked(m->second, side, price, delta);
  return Reply{200, "{}"};
}

Reply Exchange::CreateOrder(absl::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::object req;
  if (parser.parse(body.data(), body.size()).get(req) != simdjson::SUCCESS) return Error(400, "invalid_parameters", "not JSON");
  auto text = [&](const char* key) -> std::string {
    std::string_view v;
    return req[key].get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
  };
  OurOrder o;
  o.ticker = text("ticker");
  o.client_order_id = text("client_order_id");
  o.side = text("side");
  o.action = text("action");
  absl::StatusOr<Fixed> count = Fixed::Parse(text("count_fp"));
  absl::StatusOr<Fixed> price = Fixed::Parse(text(o.side == "no" ? "no_price_dollars" : "yes_price_dollars"));
  if ((o.side != "yes" && o.side != "no") || (o.action != "buy" && o.action != "sell") || !count.ok() ||
      !venue::kalshi::IsContractCount(*count) || !price.ok() || !venue::kalshi::IsTradablePrice(*price)) {
    return Error(400, "invalid_parameters", "side, action, count_fp or the side's price_dollars is not valid");
  }
  std::lock_guard<std::mutex> l(mu_);
  auto market = markets_.find(o.ticker);
  if (market == markets_.end()) return Error(404, "market_not_found", "no such market");
  if (market->second.status != "active") return Error(400, "market_inactive", "the market is not open for trading");
  if (!o.client_order_id.empty() && by_client_id_.contains(o.client_order_id)) {
    return Error(409, "order_already_exists", "an order with this client_order_id exists");
  }
  o.order_id = absl::StrCat("fk-", next_id_++);
  o.status = "resting";
  o.price = *price;
  o.initial = *count;
  o.created_ms = o.updated_ms = now_ms_();
  // A buy of YES takes the NO bids whose YES ask (1 - q) is within its
  // price; a buy of NO the YES bids; a sell takes its own side's bids.
  const bool buy = o.action == "buy";
  std::vector<Level>& book = (o.side == "yes") == buy ? market->second.no_bids : market->second.yes_bids;
  std::sort(book.begin(), book.end(), [](const Level& a, const Level& b) { return a.price > b.price; });
  std::vector<Level> taken;
  for (Level& level : book) {
    const Fixed at = buy ? kOne - level.price : level.price;
    if (o.filled >= o.initial || (buy ? at > o.price : at < o.price)) break;
    const Fixed take = std::min(level.count, o.initial - o.filled);
    level.count -= take;
    taken.push_back(Level{level.price, take});
    FillLocked(o, take, at, /*taker=*/true, absl::StrCat("t-", next_id_++));
  }
  book.erase(std::remove_if(book.begin(), book.end(), [](const Level& lv) { return lv.count.raw() <= 0; }), book.end());
  const std::string book_side = (o.side == "yes") == buy ? "no" : "yes";
  for (const Level& t : taken) BookChangedLocked(market->second, book_side, t.price, -t.count);
  // Immediate or cancel: what did not fill at once does not rest.
  if (text("time_in_force") == "immediate_or_cancel" && o.status == "resting") o.status = "canceled";
  if (!o.client_order_id.empty()) by_client_id_[o.client_order_id] = o.order_id;
  OrderChangedLocked(o);
  const std::string json = OrderJson(o);
  const bool rests = o.status == "resting" && o.action == "buy";
  const std::string rest_side = o.side;
  const Fixed rest_price = o.price, rest = o.initial - o.filled;
  orders_[o.order_id] = std::move(o);
  if (rests) BookChangedLocked(market->second, rest_side, rest_price, rest);  // ours, shown as Kalshi shows it
  return Reply{201, absl::StrCat("{\"order\":", json, "}")};
}

Reply Exchange::CancelOrder(const std::string& order_id) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = orders_.find(order_id);
  if (it != orders_.end()) {
    auto m = markets_.find(it->second.ticker);
    // After the close every order operation is refused, cancels included.
    if (m != markets_.end() && m->second.status != "active") {
      return Error(400, "market_inactive", "the market is not open for trading");
    }
  }
  if (it == orders_.end() || it->second.status != "resting") return Error(404, "not_found", "no resting order with this id");
  it->second.status = "canceled";
  it->second.updated_ms = now_ms_();
  OrderChangedLocked(it->second);
  const OurOrder& o = it->second;
  if (o.action == "buy") BookChangedLocked(markets_[o.ticker], o.side, o.price, -(o.initial - o.filled));
  return Reply{200, absl::StrCat("{\"order\":", OrderJson(it->second), "}")};
}

Reply Exchange::GetOrder(const std::string& order_id) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = orders_.find(order_id);
  if (it == orders_.end()) return Error(404, "not_found", "no order with this id");
  return Reply{200, absl::StrCat("{\"order\":", OrderJson(it->second), "}")};
}

Reply Exchange::ListOrders(const std::string& ticker, const std::string& status) {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> items;
  for (const auto& [id, o] : orders_) {
    if ((ticker.empty() || o.ticker == ticker) && (status.empty() || o.status == status)) items.push_back(OrderJson(o));
  }
  return Reply{200, absl::StrCat("{\"orders\":", JsonArray(items), ",\"cursor\":\"\"}")};
}

Reply Exchange::ListFills(const std::string& ticker) {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> items;
  for (const OurFill& f : fills_) {
    if (!ticker.empty() && f.ticker != ticker) continue;
    items.push_back(JsonObject()
                        .Str("fill_id", f.fill_id).Str("trade_id", f.trade_id).Str("order_id", f.order_id)
                        .Str("ticker", f.ticker).Str("side", f.side).Str("action", f.action)
                        .Str("count_fp", Count2(f.count)).Str("yes_price_dollars", Dollars4(f.yes_price))
                        .Str("no_price_dollars", Dollars4(kOne - f.yes_price)).Bool("is_taker", f.taker)
                        .Str("fee_cost", Dollars4(f.fee)).Str("created_time", Time(f.created_ms))
                        .Close());
  }
  return Reply{200, absl::StrCat("{\"fills\":", JsonArray(items), ",\"cursor\":\"\"}")};
}

Reply Exchange::Positions() {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> items;
  for (const auto& [ticker, h] : holdings_) {
    const Fixed net = h.yes - h.no;
    if (net.is_zero()) continue;
    items.push_back(JsonObject()
                        .Str("ticker", ticker).Str("position_fp", Count2(net))
                        .Str("market_exposure_dollars", Dollars4(h.cost())).Str("fees_paid_dollars", Dollars4(h.fees))
                        .Close());
  }
  return Reply{200, absl::StrCat("{\"market_positions\":", JsonArray(items), ",\"cursor\":\"\"}")};
}

Reply Exchange::Balance() {
  std::lock_guard<std::mutex> l(mu_);
  return Reply{200, JsonObject().Str("balance_dollars", Dollars4(balance_)).Int("updated_ts", now_ms_() / 1000).Close()};
}

Reply Exchange::Settlements() {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> items;
  for (const Settled& s : settlements_) {
    items.push_back(JsonObject()
                        .Str("ticker", s.ticker).Str("event_ticker", s.event_ticker).Str("market_result", s.result)
                        .Str("yes_count_fp", Count2(s.yes_count)).Str("no_count_fp", Count2(s.no_count))
                        .Str("yes_total_cost_dollars", Dollars4(s.yes_cost)).Str("no_total_cost_dollars", Dollars4(s.no_cost))
                        .Str("fee_cost", Dollars4(s.fees)).Int("revenue", s.revenue_cents)
                        .Str("settled_time", Time(s.time_ms))
                        .Close());
  }
  return Reply{200, absl::StrCat("{\"settlements\":", JsonArray(items), ",\"cursor\":\"\"}")};
}

Reply Exchange::GetMarket(const std::string& ticker) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = markets_.find(ticker);
  if (it == markets_.end()) return Error(404, "market_not_found", "no such market");
  return Reply{200, absl::StrCat("{\"market\":", MarketJson(it->second), "}")};
}

Reply Exchange::GetEvent(const std::string& event_ticker) {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> markets;
  for (const auto& [ticker, m] : markets_) {
    if (m.event_ticker == event_ticker) markets.push_back(MarketJson(m));
  }
  if (markets.empty()) return Error(404, "not_found", "no such event");
  return Reply{200, JsonObject()
                        .Raw("event", JsonObject()
                                          .Str("event_ticker", event_ticker)
                                          .Str("series_ticker", event_ticker.substr(0, event_ticker.find('-')))
                                          .Str("title", "").Raw("markets", JsonArray(markets))
                                          .Close())
                        .Close()};
}

Reply Exchange::ListMarkets(const std::string& series, const std::string& status) {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> items;
  for (const auto& [ticker, m] : markets_) {
    if (!series.empty() && m.event_ticker.rfind(series + "-", 0) != 0) continue;
    // The query's "open" is a market whose status reads "active".
    if (!status.empty() && m.status != status && !(status == "open" && m.status == "active")) continue;
    items.push_back(MarketJson(m));
  }
  return Reply{200, absl::StrCat("{\"markets\":", JsonArray(items), ",\"cursor\":\"\"}")};
}

Reply Exchange::GetOrderbook(const std::string& ticker) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = markets_.find(ticker);
  if (it == markets_.end()) return Error(404, "market_not_found", "no such market");
  return Reply{200, absl::StrCat("{\"orderbook_fp\":{\"yes_dollars\":", Side(BidsLocked(it->second, "yes")),
                                 ",\"no_dollars\":", Side(BidsLocked(it->second, "no")), "}}")};
}

Reply Exchange::Trade(const std::string& ticker, Fixed yes_price, Fixed count, bool taker_bought_yes) {
  std::lock_guard<std::mutex> l(mu_);
  if (!markets_.contains(ticker)) return Error(404, "market_not_found", "no such market");
  markets_[ticker].volume += count;
  Fixed left = count;
  const std::string trade_id = absl::StrCat("t-", next_id_++);
  for (auto& [id, o] : orders_) {
    if (o.ticker != ticker || o.status != "resting" || o.action != "buy" || left.raw() <= 0) continue;
    // Our bid for YES at L (or for NO at L, a YES offer at 1 - L).
    const Fixed yes_limit = o.side == "yes" ? o.price : kOne - o.price;
    if (!venue::kalshi::PrintFills(o.side == "yes", yes_limit, yes_price, taker_bought_yes)) continue;
    const Fixed take = std::min(left, o.initial - o.filled);
    left -= take;
    FillLocked(o, take, o.price, /*taker=*/false, trade_id);
    OrderChangedLocked(o);
    BookChangedLocked(markets_[ticker], o.side, o.price, -take);
  }
  return Reply{200, JsonObject().Str("trade_id", trade_id).Str("unfilled_fp", Count2(left)).Close()};
}

void Exchange::SetFeeSurcharge(Fixed extra) {
  std::lock_guard<std::mutex> l(mu_);
  fee_surcharge_ = extra;
}

Reply Exchange::ApiLimits() const {
  return Reply{200, R"({"usage_tier":"basic","read":{"refill_rate":200,"bucket_capacity":200},)"
                    R"("write":{"refill_rate":100,"bucket_capacity":100},"grants":[]})"};
}

Reply Exchange::Close(const std::string& ticker) {
  std::lock_guard<std::mutex> l(mu_);
  auto m = markets_.find(ticker);
  if (m == markets_.end()) return Error(404, "market_not_found", "no such market");
  m->second.status = "closed";
  for (auto& [id, o] : orders_) {
    if (o.ticker != ticker || o.status != "resting") continue;
    o.status = "canceled";
    o.updated_ms = now_ms_();
    OrderChangedLocked(o);
    if (o.action == "buy") BookChangedLocked(m->second, o.side, o.price, -(o.initial - o.filled));
  }
  return Reply{200, "{}"};
}

Reply Exchange::Settle(const std::string& ticker, const std::string& result) {
  if (result != "yes" && result != "no") return Error(400, "invalid_parameters", "result is yes or no");
  (void)Close(ticker);
  std::lock_guard<std::mutex> l(mu_);
  auto m = markets_.find(ticker);
  if (m == markets_.end()) return Error(404, "market_not_found", "no such market");
  m->second.status = "finalized";  // today's word; "settled" in older answers
  m->second.result = result;
  Holding& h = holdings_[ticker];
  const Fixed won = result == "yes" ? h.yes : h.no;
  const int64_t revenue_cents = won.raw() / (Fixed::kScale / 100);
  balance_ += won;
  settlements_.push_back(Settled{ticker, m->second.event_ticker, result, h.yes, h.no, Fixed(), Fixed(), h.fees,
                                 revenue_cents, now_ms_()});
  h = Holding{};
  PositionChangedLocked(ticker);
  return Reply{200, "{}"};
}

}  // namespace apollo::fake_kalshi
