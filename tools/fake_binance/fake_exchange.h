// The fake Binance USDⓈ-M futures account and matching engine, apart from any
// transport: several symbols (markets.h) on one clock of bars, one-way
// position mode, cross margin, one USDT wallet. Prices come from recorded
// bars (bars.h): "now" is each market's current bar, its market price is
// that bar's close; AdvanceBar() moves the shared timeline to its next open
// time, and every market with a bar there closes it and runs what the bar's
// range triggers. The HTTP routing (server.h) is a thin layer over this
// class, and a WebSocket layer can sit beside it: every change a real
// account would push on its user-data stream is rendered in Binance's shape
// (user_events.h) and both queued for TakeUserEvents() and handed to the
// sink installed with SetUserEventSink().
//
//   FakeExchange ex(ExchangeConfig{}, *ReadBarsCsv(path), SystemClockMs);  // BTCUSDT only
//   FakeExchange two(ExchangeConfig{}, {{eth, eth_bars}, {sol, sol_bars}}, SystemClockMs);
//   auto r = ex.NewOrder({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "MARKET"},
//                         {"quantity", "0.010"}, {"newClientOrderId", "a-1"}});
//   if (!r.ok()) std::cerr << r.error().ToJson();   // {"code":-2019,...}
//   std::vector<std::string> events = ex.TakeUserEvents();  // ORDER_TRADE_UPDATE, ACCOUNT_UPDATE
//
// Requests take Binance's parameter names and string values, as sent on the
// wire, and are validated the way Binance does it with Binance's error codes,
// so the C++ API and the HTTP API behave alike.
//
// Per symbol, as on Binance: the price, the position, leverage, margin type,
// funding rate, the filters (PRICE_FILTER, LOT_SIZE, MIN_NOTIONAL,
// MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS) and the matching of its orders. For
// the account: the wallet, cross margin (every position's initial margin at
// its own leverage and mark), the position mode, listen keys and the user
// events. Methods without a symbol mean the first market (config().symbol);
// those taking one require one of Symbols() unless they say otherwise.
//
// Trades (every fill) are kept for GET /fapi/v1/userTrades, with the
// commission the user stream reported for them.
//
// Matching rules (a bar-level model, conservative where a bar hides order):
// - MARKET fills at once at the current close (taker fee). A partial-fill
//   fault fills a percentage now and the rest at its market's next bar's open.
// - LIMIT that crosses the close fills at the close (taker); GTX that would
//   cross EXPIRES; IOC/FOK that would not cross EXPIRE; GTC rests and fills at
//   its price (maker fee) on the first later bar whose range reaches it.
// - Algo STOP_MARKET / TAKE_PROFIT_MARKET (CONDITIONAL) trigger when a later
//   bar's high/low reaches triggerPrice, stops before take-profits, then fill
//   as MARKET at the trigger price (at the open if the bar gapped through it).
//   A reduce-only or closePosition one with nothing to reduce is REJECTED.
//   Placing one that the current close already satisfies is -2021.
//   Per bar: deferred market remainders, then stops, then take-profits, then
//   resting limits. Markets close their bars in market order.
// - The book (bookTicker) only straddles the close: fills stay at the close.
// - newClientOrderId / clientAlgoId must be unique among OPEN orders only, as
//   on Binance: a filled order's id can be reused (query finds the newest).
// - Reduce-only fills are clipped to the position; what cannot fill EXPIRES.
//   When the position reaches zero, open reduce-only limit orders expire.
//   closePosition algo orders stay open, as on Binance.
// - Margin: cross, `leverage`x initial margin at the close plus the taker fee
//   must fit the available balance (-2019); no liquidation is modelled.
//   Open orders are capped per symbol at MAX_NUM_ORDERS (-2025), open algo
//   orders at MAX_NUM_ALGO_ORDERS (-4045).
// Thread-safe: one mutex around everything. The sinks run under that mutex,
// in event order; they must be quick and must not call back into the exchange.
#ifndef APOLLO_TOOLS_FAKE_BINANCE_FAKE_EXCHANGE_H_
#define APOLLO_TOOLS_FAKE_BINANCE_FAKE_EXCHANGE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/domain/fixed.h"
#include "tools/fake_binance/api_error.h"
#include "tools/fake_binance/bars.h"
#include "tools/fake_binance/markets.h"

namespace apollo::fake_binance {

// Request parameters by Binance name, values as sent (already URL-decoded).
using Params = std::map<std::string, std::string>;

enum class Side : uint8_t { kBuy, kSell };
enum class OrderType : uint8_t { kMarket, kLimit };
enum class OrderStatus : uint8_t { kNew, kPartiallyFilled, kFilled, kCanceled, kExpired };
enum class AlgoType : uint8_t { kStopMarket, kTakeProfitMarket };
enum class AlgoStatus : uint8_t { kNew, kTriggered, kFinished, kCanceled, kRejected };

absl::string_view SideName(Side side);              // "BUY"
absl::string_view OrderTypeName(OrderType type);    // "MARKET"
absl::string_view OrderStatusName(OrderStatus s);   // "PARTIALLY_FILLED"
absl::string_view AlgoTypeName(AlgoType type);      // "STOP_MARKET"
absl::string_view AlgoStatusName(AlgoStatus s);     // "TRIGGERED"

struct ExchangeConfig {
  // The one market of FakeExchange(config, bars, clock). With several
  // markets, the first's (the constructor sets it so).
  Instrument instrument;
  // The account.
  std::string quote_asset = "USDT";
  Fixed start_balance = Fixed::FromInt(10'000);
  Fixed taker_fee_rate = Fixed::FromRaw(40'000);       // 0.0004 = 0.04 %
  Fixed maker_fee_rate = Fixed::FromRaw(20'000);       // 0.0002 = 0.02 %
  int64_t leverage = 20;          // every symbol's at start; POST /fapi/v1/leverage changes one
  std::string margin_type = "CROSSED";  // every symbol's at start (Binance's default)
  bool dual_side_position = false;      // at start: hedge mode when true
  int64_t listen_key_ttl_ms = 60 * 60 * 1000;
  int64_t max_open_orders = 200;      // MAX_NUM_ORDERS: beyond it -2025
  int64_t max_open_algo_orders = 10;  // MAX_NUM_ALGO_ORDERS: beyond it -4045
  size_t user_events_max = 65'536;  // queue bound; the oldest are dropped (and counted)
  size_t history_max = 100'000;     // closed (algo) orders beyond this are forgotten, oldest first
};

struct Order {
  int64_t order_id = 0;
  std::string client_order_id;
  std::string symbol;
  Side side = Side::kBuy;
  OrderType type = OrderType::kMarket;
  std::string orig_type;      // "MARKET", "LIMIT"; "STOP_MARKET"... for a triggered algo order
  std::string time_in_force;  // GTC, IOC, FOK, GTX
  Fixed price;                // 0 for MARKET
  Fixed stop_price;           // the trigger of the algo order that made it, else 0
  Fixed orig_qty, executed_qty, cum_quote;
  OrderStatus status = OrderStatus::kNew;
  bool reduce_only = false;
  bool close_position = false;
  int64_t time_ms = 0, update_time_ms = 0;
  Fixed deferred_qty;  // partial-fill fault: fills at the next bar's open

  bool IsOpen() const { return status == OrderStatus::kNew || status == OrderStatus::kPartiallyFilled; }
  Fixed AvgPrice() const { return executed_qty.is_zero() ? Fixed() : cum_quote.Div(executed_qty); }
};

struct AlgoOrder {
  int64_t algo_id = 0;
  std::string client_algo_id;
  std::string symbol;
  Side side = Side::kBuy;
  AlgoType type = AlgoType::kStopMarket;
  std::string time_in_force = "GTC";
  std::string working_type = "CONTRACT_PRICE";
  Fixed quantity;  // 0 with closePosition
  Fixed trigger_price;
  bool reduce_only = false;
  bool close_position = false;
  AlgoStatus status = AlgoStatus::kNew;
  std::string reject_reason;     // "Reduce Only reject" when REJECTED
  int64_t actual_order_id = 0;   // the MARKET order it became, once triggered
  Fixed actual_price, executed_qty;
  int64_t create_time_ms = 0, update_time_ms = 0, trigger_time_ms = 0;
};

// One execution, as GET /fapi/v1/userTrades lists it.
struct Trade {
  int64_t id = 0;        // the trade id the user stream's "t" carried
  std::string symbol;
  int64_t order_id = 0;
  Side side = Side::kBuy;
  Fixed price, qty, quote_qty, commission, realized_pnl;
  bool maker = false;
  int64_t time_ms = 0;
};

struct Position {
  std::string symbol;
  Fixed qty;            // signed: negative is short
  Fixed entry_price;    // 0 when flat
  Fixed realized_pnl;   // accumulated ("cr" in ACCOUNT_UPDATE)
  int64_t update_time_ms = 0;
};

// One symbol's position as positionRisk reports it, at its mark.
struct PositionSnapshot {
  Position position;  // position.symbol names the symbol
  Fixed mark_price;   // its current bar's close
  int64_t leverage = 0;
  std::string margin_type;  // "CROSSED", "ISOLATED"
  Fixed unrealized_pnl;
  Fixed initial_margin;             // |qty| x mark / leverage
  Fixed open_order_initial_margin;  // its open non-reduce-only limit orders
  Fixed maint_margin;               // |qty| x mark x maint_margin_rate
};

// The account as positionRisk / account / balance report it, at the marks.
struct AccountSnapshot {
  Fixed wallet_balance;
  Fixed unrealized_pnl;             // these four: sums over `positions`
  Fixed position_initial_margin;
  Fixed open_order_initial_margin;
  Fixed maint_margin;
  Fixed available_balance;  // wallet + unrealized - initial margins
  std::vector<PositionSnapshot> positions;  // every symbol's, in market order
  Position position;        // the first symbol's (positions[0].position)
  int64_t update_time_ms = 0;  // the latest position change

  // The symbol's entry in `positions`; nullptr if there is none.
  const PositionSnapshot* Find(absl::string_view symbol) const;
};

// The mark price stream's and GET /fapi/v1/premiumIndex's numbers.
struct MarkPrice {
  std::string symbol;
  Fixed mark_price;     // the current bar's close; also the index and settle price
  Fixed funding_rate;   // SetFundingRate's, 0.0001 until set
  int64_t next_funding_time_ms = 0;  // the next 00/08/16 UTC after time_ms
  int64_t time_ms = 0;               // the exchange clock
};

// GET /fapi/v1/ticker/bookTicker: a best bid and ask around the close.
struct BookTop {
  std::string symbol;
  Fixed bid_price, ask_price;
  int64_t time_ms = 0;
};

struct NewOrderResult {
  Order accepted;  // as accepted, before any fill (newOrderRespType=ACK)
  Order result;    // after the immediate fills (newOrderRespType=RESULT)
};

class FakeExchange {
 public:
  using Clock = std::function<int64_t()>;  // Unix ms; must be thread-safe
  using UserEventSink = std::function<void(const std::string& event_json)>;
  // Called with each bar AdvanceBar() closes, after that bar's user events.
  using BarSink = std::function<void(const std::string& symbol, const Bar& bar)>;

  // One market: `config.instrument`, trading from
  // bars[0]. `bars` must not be empty.
  FakeExchange(ExchangeConfig config, std::vector<Bar> bars, Clock clock);
  // Several markets on the shared timeline (markets.h); ValidateMarkets()
  // must accept them. config().instrument becomes the first's.
  FakeExchange(ExchangeConfig config, std::vector<Market> markets, Clock clock);
  FakeExchange(const FakeExchange&) = delete;
  FakeExchange& operator=(const FakeExchange&) = delete;

  const ExchangeConfig& config() const { return config_; }
  std::vector<std::string> Symbols() const;  // in market order
  std::vector<Instrument> Instruments() const;  // in market order
  bool HasSymbol(absl::string_view symbol) const;

  // The server clock: the injected clock plus the skew (drills for -1021).
  int64_t NowMs() const;
  void SetClockSkewMs(int64_t skew_ms);
  int64_t clock_skew_ms() const;

  // Market data. bar_index() is the step of the shared timeline (0 at the
  // start), bar_count() its length; AdvanceBar() is OutOfRange after the
  // last step, else returns the first market's current bar.
  Bar CurrentBar() const;
  Bar CurrentBar(absl::string_view symbol) const;
  size_t bar_index() const;
  size_t bar_count() const { return timeline_.size(); }
  absl::StatusOr<Bar> AdvanceBar();
  // The closed bars (up to the current one) opening at or after
  // start_time_ms, oldest first, at most `limit`: GET /fapi/v1/klines. Empty
  // for an unknown symbol.
  std::vector<Bar> ClosedBars(int64_t start_time_ms, size_t limit) const;
  std::vector<Bar> ClosedBars(absl::string_view symbol, int64_t start_time_ms, size_t limit) const;
  // The closed bar `back` bars before the current one (0: the current).
  // NotFound for an unknown symbol.
  absl::StatusOr<Bar> BarBack(size_t back) const;
  absl::StatusOr<Bar> BarBack(absl::string_view symbol, size_t back) const;
  // GET /fapi/v1/ticker/24hr's window: the closed bars opening less than
  // 24 h before the current one, and the current one; oldest first. -1121
  // for an unknown symbol.
  ApiResult<std::vector<Bar>> LastDayBars(absl::string_view symbol) const;
  // The 24 h ticker's bars' volumes times `scale` (> 0), so a test can
  // change which symbols a venue-wide universe ranks first. NotFound for an
  // unknown symbol, InvalidArgument for a scale <= 0.
  absl::Status SetVolumeScale(absl::string_view symbol, Fixed scale);

  // A funding settlement at the current close and `rate`: the position pays
  // (or receives) qty x close x rate from the wallet, and the user stream
  // gets ACCOUNT_UPDATE with reason FUNDING_FEE ("bc" the amount). Returns
  // the amount (0 when flat: nothing is sent).
  Fixed SettleFunding(Fixed rate);
  Fixed SettleFunding(absl::string_view symbol, Fixed rate);
  // The mark price stream (<symbol>@markPrice) and premiumIndex: the current
  // bar's close as the mark, the funding rate set here (0.0001 until set),
  // and the next funding time (00/08/16 UTC) after the exchange's clock. The
  // server sends one with each closed kline, just before it.
  // SetFundingRate is NotFound and MarkPriceOf -1121 for an unknown symbol.
  void SetFundingRate(Fixed rate);
  absl::Status SetFundingRate(absl::string_view symbol, Fixed rate);
  ApiResult<MarkPrice> MarkPriceOf(absl::string_view symbol) const;
  std::string MarkPriceJson() const;  // {"e":"markPriceUpdate",...}
  std::string MarkPriceJson(absl::string_view symbol) const;
  // The book: bid = the close rounded down to the tick, ask one tick above;
  // with a spread fraction f (0 <= f < 1; 0.002 = 0.2 %), bid and ask sit
  // f x close / 2 below and above the close, each rounded outward to the
  // tick (at least one tick apart). InvalidArgument for f out of range.
  absl::Status SetSpread(absl::string_view symbol, Fixed spread_fraction);
  ApiResult<BookTop> BookTicker(absl::string_view symbol) const;

  // POST/GET/DELETE /fapi/v1/order, GET /fapi/v1/openOrders (every
  // symbol's without `symbol`).
  ApiResult<NewOrderResult> NewOrder(const Params& p);
  ApiResult<Order> QueryOrder(const Params& p);
  ApiResult<Order> CancelOrder(const Params& p);
  ApiResult<std::vector<Order>> OpenOrders(const Params& p);
  // POST/GET/DELETE /fapi/v1/algoOrder, GET /fapi/v1/openAlgoOrders (every
  // symbol's without `symbol`).
  ApiResult<AlgoOrder> NewAlgoOrder(const Params& p);
  ApiResult<AlgoOrder> QueryAlgoOrder(const Params& p);
  ApiResult<AlgoOrder> CancelAlgoOrder(const Params& p);
  ApiResult<std::vector<AlgoOrder>> OpenAlgoOrders(const Params& p);
  // positionRisk / account / balance.
  AccountSnapshot Account() const;
  // Account settings, as Binance checks them: POST /fapi/v1/leverage
  // (1..125, else -4028) and POST /fapi/v1/marginType (-4046 when it already
  // is, -4047/-4048 with open orders or a position in the symbol) per
  // symbol; GET/POST /fapi/v1/positionSide/dual for the account (-4059,
  // -4067, -4068 alike, any symbol's orders or position counting). In hedge
  // mode an order without positionSide is -4061.
  ApiResult<int64_t> ChangeLeverage(const Params& p);
  std::optional<ApiError> ChangeMarginType(const Params& p);
  bool DualSidePosition() const;
  std::optional<ApiError> ChangeDualSidePosition(const Params& p);
  int64_t leverage() const;
  int64_t leverage(absl::string_view symbol) const;
  std::string margin_type() const;
  std::string margin_type(absl::string_view symbol) const;
  // GET /fapi/v1/userTrades: symbol (required), orderId, limit (default 500,
  // max 1000); oldest first. Trades beyond history_max are forgotten.
  ApiResult<std::vector<Trade>> UserTrades(const Params& p) const;

  // POST/PUT/DELETE /fapi/v1/listenKey. Start returns the active key if
  // there is one (extending it), as Binance does; keys expire after
  // listen_key_ttl_ms without a keep-alive (-1125 afterwards). The account
  // has one key, so an empty `listen_key` means "the account's key" (USDⓈ-M
  // PUT and DELETE take no parameter).
  std::string StartUserStream();
  ApiResult<std::string> KeepAliveUserStream(absl::string_view listen_key);
  std::optional<ApiError> CloseUserStream(absl::string_view listen_key);
  bool IsListenKeyActive(absl::string_view listen_key) const;

  // Drills. The next MARKET order fills `percent` (1..99) now, the rest on
  // the next bar. ClosePositionByHand is a reduce-only MARKET order the bot
  // did not send (client id "web_manual_<n>", as from the web UI): the
  // symbol's position goes to zero at the current close and the user events
  // follow (-1121 for an unknown symbol, -2022 when flat).
  absl::Status SetPartialFillNextMarket(int percent);
  ApiResult<Order> ClosePositionByHand(absl::string_view symbol);
  // Cancels the oldest open algo order of `type` ("STOP_MARKET",
  // "TAKE_PROFIT_MARKET") of `symbol` (empty: any symbol) as from the web
  // UI; its ALGO_UPDATE follows.
  ApiResult<AlgoOrder> CancelAlgoByHand(absl::string_view type, absl::string_view symbol = "");

  // User-data events (JSON, Binance shapes), oldest first.
  std::vector<std::string> TakeUserEvents();
  void SetUserEventSink(UserEventSink sink);
  // Like the user-event sink (under the same mutex, same rules), for the
  // bars: a kline stream sits here.
  void SetBarSink(BarSink sink);

  // Everything above as one JSON object, for GET /admin/state.
  std::string StateJson() const;

 private:
  struct ListenKey {
    std::string key;
    int64_t expires_ms = 0;
  };
  // One symbol's market and the account's stake in it.
  struct MarketState {
    Instrument inst;
    std::vector<Bar> bars;  // bars[0] is current at the timeline's start
    size_t index = 0;       // the current bar
    Position position;
    int64_t leverage = 0;
    std::string margin_type;
    Fixed funding_rate = Fixed::FromRaw(10'000);  // 0.0001
    Fixed spread;  // the book's width as a fraction of the close; 0: one tick
    Fixed volume_scale = Fixed::FromInt(1);  // the 24 h ticker's volumes are the bars' times this

    const Bar& current() const { return bars[index]; }
    Fixed mark() const { return current().close; }
    Fixed unrealized_pnl() const { return position.qty.Mul(mark() - position.entry_price); }
  };

  int64_t NowLocked() const { return clock_() + skew_ms_; }
  const MarketState* FindMarket(absl::string_view symbol) const;
  MarketState* FindMarket(absl::string_view symbol);
  // A precondition: `symbol` is one of Symbols() (else the process stops).
  const MarketState& MarketOrDie(absl::string_view symbol) const;
  MarketState& MarketOrDie(absl::string_view symbol);
  // The market `symbol=` names: -1102 when absent, -1121 when unknown.
  ApiResult<const MarketState*> MarketFor(const Params& p) const;
  ApiResult<MarketState*> MarketFor(const Params& p);
  // -1121 if `symbol=` is sent and unknown (the filter of the list endpoints).
  std::optional<ApiError> CheckSymbol(const Params& p) const;
  // Does `symbol` pass the optional `symbol=` filter of `p`?
  static bool Selected(const Params& p, absl::string_view symbol);
  AccountSnapshot AccountLocked() const;
  // Request → order, with Binance's parameter and filter checks (no account state).
  ApiResult<Order> ParseNewOrder(const MarketState& m, const Params& p) const;
  ApiResult<AlgoOrder> ParseNewAlgoOrder(const Params& p) const;
  static ApiResult<Fixed> ParseQuantity(const Instrument& inst, const Params& p);
  static ApiResult<Fixed> ParsePrice(const Instrument& inst, const Params& p, absl::string_view key);
  // Reduce-only, MIN_NOTIONAL, margin and open-order limit.
  std::optional<ApiError> CheckAccountFor(const MarketState& m, const Order& order) const;
  Order* FindOrder(absl::string_view symbol, const Params& p, std::optional<ApiError>* error);
  AlgoOrder* FindAlgo(const Params& p, std::optional<ApiError>* error);
  bool ClientOrderIdInUse(absl::string_view id) const;
  bool ClientAlgoIdInUse(absl::string_view id) const;
  static Fixed Reducible(const MarketState& m, Side side);  // |position| if `side` reduces it, else 0
  std::optional<ApiError> CheckMargin(const MarketState& m, Side side, Fixed qty, Fixed price) const;

  // Executes `qty` of `order` (of market `m`) at `price`: position, wallet,
  // fees, events.
  void Fill(MarketState& m, Order& order, Fixed qty, Fixed price, bool maker);
  // A new order meets the current close: market fills, crossing limits fill.
  void MatchOnArrival(MarketState& m, Order& order);
  void Expire(Order& order);
  void ExpireReduceOnlyOrdersIfFlat(const MarketState& m);
  void TriggerAlgo(MarketState& m, AlgoOrder& algo);
  // The market's current bar has just closed: run what its range triggers.
  void RunBar(MarketState& m);
  Order& AddOrder(Order order);
  AlgoOrder& AddAlgo(AlgoOrder algo);
  int64_t OpenOrderCount(absl::string_view symbol = "") const;  // empty: every symbol's
  int64_t OpenAlgoCount(absl::string_view symbol = "") const;
  MarkPrice MarkPriceLocked(const MarketState& m) const;
  void Emit(std::string event_json);
  void EmitOrderUpdate(const Order& order, absl::string_view exec_type, Fixed last_qty, Fixed last_price,
                       Fixed commission, Fixed realized, int64_t trade_id, bool maker);
  void EmitAccountUpdate(const MarketState& m, absl::string_view reason, Fixed balance_change);
  void EmitAlgoUpdate(const AlgoOrder& algo);

  const ExchangeConfig config_;
  const Clock clock_;
  std::vector<int64_t> timeline_;  // the shared open times (markets.h); fixed at construction

  mutable std::mutex mu_;
  std::vector<MarketState> markets_;  // in market order; the set is fixed at construction
  size_t step_ = 0;                   // the current open time: timeline_[step_]
  int64_t skew_ms_ = 0;
  Fixed wallet_;
  std::map<int64_t, Order> orders_;     // by orderId (increasing = time order), every symbol's
  std::map<int64_t, AlgoOrder> algos_;  // by algoId
  std::deque<Trade> trades_;            // oldest first, at most history_max
  int64_t next_order_id_ = 4'000'000'001;
  int64_t next_algo_id_ = 1'000'000'001;
  int64_t next_trade_id_ = 500'000'001;
  int64_t next_auto_id_ = 1;
  int partial_fill_next_percent_ = 0;
  bool dual_side_ = false;
  std::vector<ListenKey> listen_keys_;
  std::deque<std::string> user_events_;
  int64_t user_events_dropped_ = 0;
  UserEventSink sink_;
  BarSink bar_sink_;
};

// Unix ms from the system clock: the default Clock for the executable.
int64_t SystemClockMs();

}  // namespace apollo::fake_binance

#endif  // APOLLO_TOOLS_FAKE_BINANCE_FAKE_EXCHANGE_H_
