// State: what the bot knows, and only ever the fold of the ledger's events.
//
//   State s;
//   for (const Event& e : events) RETURN_IF_ERROR(Apply(s, e));
//
// Apply is pure and deterministic: no I/O, no clock (time is the event's),
// no randomness. A restart, an audit replay and snapshot + tail all give the
// same State, which is why risk flags live here: nothing but an event sets or
// clears them. Containers are ordered (btree) so snapshots encode
// deterministically.
#ifndef APOLLO_ENGINE_DOMAIN_STATE_H_
#define APOLLO_ENGINE_DOMAIN_STATE_H_

#include <cstdint>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/domain/events.h"

namespace apollo {

struct Order {
  ClientOrderId client_order_id;
  Symbol symbol;
  Side side = Side::kBuy;
  OrderType order_type = OrderType::kMarket;
  OrderPurpose purpose = OrderPurpose::kEntry;
  Fixed qty, price, stop_price;
  bool reduce_only = false;
  ClientOrderId parent;
  OrderStatus status = OrderStatus::kPlaced;
  VenueOrderId venue_order_id;
  Fixed filled_qty, avg_fill_price, fees;
  uint64_t placed_seq = 0;
  int64_t placed_ts_ns = 0;
  Fixed protect_stop, protect_take_profit;  // see OrderPlaced
  CloseReason close_reason = CloseReason::kStopLoss;
  absl::btree_set<TradeId> trade_ids;  // fills seen, to refuse duplicates
  // Why we asked for it to be cancelled (CancelRequested), "" if we did not:
  // the venue's answer may come back under another name.
  std::string cancel_requested;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("client_order_id", s.client_order_id); v("symbol", s.symbol); v("side", s.side);
    v("order_type", s.order_type); v("purpose", s.purpose); v("qty", s.qty); v("price", s.price);
    v("stop_price", s.stop_price); v("reduce_only", s.reduce_only); v("parent", s.parent);
    v("status", s.status); v("venue_order_id", s.venue_order_id); v("filled_qty", s.filled_qty);
    v("avg_fill_price", s.avg_fill_price); v("fees", s.fees); v("placed_seq", s.placed_seq);
    v("placed_ts_ns", s.placed_ts_ns); v("protect_stop", s.protect_stop);
    v("protect_take_profit", s.protect_take_profit); v("close_reason", s.close_reason);
    v("trade_ids", s.trade_ids); v("cancel_requested", s.cancel_requested);
  }
  bool operator==(const Order&) const = default;
};

struct Position {
  Symbol symbol;
  Side side = Side::kBuy;
  Fixed qty, entry_price, stop_price, take_profit, leverage;
  ClientOrderId entry_order;
  int64_t opened_ts_ns = 0;
  Fixed entry_fees;  // of the quantity still open
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("side", s.side); v("qty", s.qty); v("entry_price", s.entry_price);
    v("stop_price", s.stop_price); v("take_profit", s.take_profit); v("leverage", s.leverage);
    v("entry_order", s.entry_order); v("opened_ts_ns", s.opened_ts_ns);
    v("entry_fees", s.entry_fees);
  }
  bool operator==(const Position&) const = default;
};

// A city's latest forecast high for one climate day (ForecastObserved).
struct CityForecast {
  std::string station;
  Fixed high_f, sigma_f;
  int64_t issued_ms = 0;
  int64_t observed_ns = 0;  // the event's time: when it was read
  std::string source;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("station", s.station); v("high_f", s.high_f); v("sigma_f", s.sigma_f); v("issued_ms", s.issued_ms);
    v("observed_ns", s.observed_ns); v("source", s.source);
  }
  bool operator==(const CityForecast&) const = default;
};

// Last bar seen per symbol: the paper venue's price and where a run resumes.
struct LastBar {
  int64_t open_time_ms = 0;
  Fixed close, high, low;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("open_time_ms", s.open_time_ms); v("close", s.close); v("high", s.high); v("low", s.low);
  }
  bool operator==(const LastBar&) const = default;
};

// A symbol's latest MarketTick: the top of its book.
struct BookTop {
  Fixed bid, ask;
  int64_t time_ms = 0;
  Fixed volume, open_interest;  // contracts (event contracts; see MarketTick)
  // (ask - bid) over the mid price, in percent.
  Fixed SpreadPct() const;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("bid", s.bid); v("ask", s.ask); v("time_ms", s.time_ms); v("volume", s.volume);
    v("open_interest", s.open_interest);
  }
  bool operator==(const BookTop&) const = default;
};

// Where an event contract's entry intent on each side began: the limit of
// its first entry order (OrderPlaced), 0 for none. A repriced entry chases
// at most weather.max_chase_cents from it; kept until the market settles.
struct EntryAnchor {
  Fixed buy, sell;
  Fixed& Of(Side side) { return side == Side::kBuy ? buy : sell; }
  Fixed Of(Side side) const { return side == Side::kBuy ? buy : sell; }
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("buy", s.buy); v("sell", s.sell);
  }
  bool operator==(const EntryAnchor&) const = default;
};

// A symbol's latest FundingUpdate.
struct FundingRate {
  Fixed rate;  // fraction per funding period
  Fixed mark_price;
  int64_t funding_time_ms = 0;
  Fixed Pct() const { return rate.Mul(Fixed::FromInt(100)); }  // the rate in percent
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("rate", s.rate); v("mark_price", s.mark_price); v("funding_time_ms", s.funding_time_ms);
  }
  bool operator==(const FundingRate&) const = default;
};

// What a funding payment on `qty` of a `side` position is, at `mark_price`
// and `rate`: a long pays a positive rate (< 0), a short receives it.
Fixed FundingAmount(Side side, Fixed qty, Fixed mark_price, Fixed rate);

struct State;
// Whether a FundingPaid of `amount` folds onto `state`: its balance, the
// day's PnL and the funding total it adds to stay within Fixed's range.
bool FundingFits(const State& state, Fixed amount);

// A flag with why and by whom it was last set.
struct Flag {
  bool active = false;
  std::string reason;
  std::string who;
  uint64_t seq = 0;  // event that last changed it
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("active", s.active); v("reason", s.reason); v("who", s.who); v("seq", s.seq);
  }
  bool operator==(const Flag&) const = default;
};

// Counts for summaries and metrics.
struct Counters {
  uint64_t events = 0, bars = 0, signals = 0, proposals = 0, risk_rejections = 0;
  uint64_t orders_placed = 0, orders_rejected = 0, fills = 0, trades_closed = 0;
  uint64_t wins = 0, losses = 0, starts = 0, cycles = 0, watchdog_recoveries = 0;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("events", s.events); v("bars", s.bars); v("signals", s.signals);
    v("proposals", s.proposals); v("risk_rejections", s.risk_rejections);
    v("orders_placed", s.orders_placed); v("orders_rejected", s.orders_rejected);
    v("fills", s.fills); v("trades_closed", s.trades_closed); v("wins", s.wins);
    v("losses", s.losses); v("starts", s.starts); v("cycles", s.cycles);
    v("watchdog_recoveries", s.watchdog_recoveries);
  }
  bool operator==(const Counters&) const = default;
};

// A close's time and net result (realised PnL less its fees), for the
// performance over the last days.
struct ClosedResult {
  int64_t ts_ns = 0;
  Fixed net;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("ts_ns", s.ts_ns); v("net", s.net); }
  bool operator==(const ClosedResult&) const = default;
};

// What the seed's performance metrics are computed from (ops/engine_metrics):
// results of the closes, holding and in-market time, reconciliation passes.
struct TradeStats {
  Fixed gross_profit, gross_loss;  // sums of the winning closes' net results, and of the losing ones' (>= 0)
  int64_t holding_ns = 0;          // summed over closes: each from its position's opening
  int64_t in_market_ns = 0;        // time with a position open, up to in_market_since_ns
  int64_t in_market_since_ns = 0;  // when the book last went from flat to holding; 0 while flat
  int64_t first_ts_ns = 0;         // the ledger's first event: time in market is measured from it
  // Closes of the last kRecentCloseDays days, oldest first (at most kRecentClosesKept).
  std::vector<ClosedResult> recent;
  uint64_t reconciliations_ok = 0, reconciliations_failed = 0;
  // Differences reconciliation found, by type (InterventionAction name).
  absl::btree_map<std::string, uint64_t> discrepancies;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("gross_profit", s.gross_profit); v("gross_loss", s.gross_loss); v("holding_ns", s.holding_ns);
    v("in_market_ns", s.in_market_ns); v("in_market_since_ns", s.in_market_since_ns);
    v("first_ts_ns", s.first_ts_ns); v("recent", s.recent); v("reconciliations_ok", s.reconciliations_ok);
    v("reconciliations_failed", s.reconciliations_failed); v("discrepancies", s.discrepancies);
  }
  bool operator==(const TradeStats&) const = default;
};

// The running totals at one moment; a day's figures are the difference of
// its end's and its start's.
struct DayMark {
  Fixed balance, realized_pnl, fees_paid, funding_received, funding_paid;
  Counters counters;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("balance", s.balance); v("realized_pnl", s.realized_pnl); v("fees_paid", s.fees_paid);
    v("funding_received", s.funding_received); v("funding_paid", s.funding_paid); v("counters", s.counters);
  }
  bool operator==(const DayMark&) const = default;
};

// One UTC day of the ledger, closed by the first event of a later day (the
// seed's logs/daily_summary_YYYY-MM-DD files).
struct DaySummary {
  int64_t day_utc = -1;  // days since the epoch; -1: no day closed yet
  DayMark start, end;
  uint32_t open_positions = 0;  // at the day's end
  Fixed drawdown_pct;           // at the day's end
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("day_utc", s.day_utc); v("start", s.start); v("end", s.end);
    v("open_positions", s.open_positions); v("drawdown_pct", s.drawdown_pct);
  }
  bool operator==(const DaySummary&) const = default;
};

struct State {
  // Position in the ledger.
  uint64_t last_seq = 0;
  int64_t last_ts_ns = 0;
  bool initialized = false;  // set by the first ConfigLoaded
  bool running = false;      // between SystemStarted and SystemStopped
  // The ledger's part of every client order id (see SystemStarted); "" in
  // paper ledgers and ledgers from before it.
  std::string client_id_nonce;

  // Money (quote asset). balance = initial equity + realised PnL - fees +
  // funding; equity, peak and drawdown follow realised results, as the
  // seed's do.
  Fixed balance, realized_pnl, fees_paid, peak_equity, max_drawdown_pct, drawdown_pct;
  // Funding payments (FundingPaid): received and paid, each >= 0.
  Fixed funding_received, funding_paid;
  uint32_t consecutive_losses = 0;
  int64_t day_utc = 0;  // days since the epoch of daily_realized_pnl
  Fixed daily_realized_pnl, daily_start_equity;
  // Event times of the latest losing closes, oldest first (at most
  // kLossTimesKept): the cooldowns after a loss and after a loss streak.
  std::vector<int64_t> loss_times_ns;
  // Event times of the venue's latest refusals of our orders (OrderRejected),
  // oldest first, at most kOrderRejectsKept: the reject-rate breaker.
  std::vector<int64_t> order_rejects_ns;
  // The cooldown after the daily loss limit (CooldownStarted): entries are
  // refused until cooldown_until_ns; started at most once per UTC day.
  int64_t cooldown_until_ns = 0;
  int64_t cooldown_day_utc = -1;
  std::string cooldown_reason;

  // The last UniverseUpdated: entries open only in these symbols once one
  // was journaled (universe_updated_ns > 0); before, in every symbol traded.
  absl::btree_set<Symbol> universe;
  int64_t universe_updated_ns = 0;

  // Account settings the venue refused (AccountSettingFailed), by
  // "SYMBOL/setting" ("/position_mode" for the account's), with why; a later
  // AccountSettingUpdated of the same clears it.
  absl::btree_map<std::string, std::string> account_setting_failures;

  absl::btree_map<Symbol, Position> positions;
  absl::btree_map<ClientOrderId, Order> orders;  // open orders only
  absl::btree_map<Symbol, LastBar> last_bars;
  // Symbol -> entries blocked until (ns), by HIGH news (and any other
  // risk but MEDIUM) and by MEDIUM news.
  absl::btree_map<Symbol, int64_t> news_blocks, news_medium_blocks;
  // NewsKey() of the latest news items ingested, oldest first (at most
  // kNewsSeenKept): an item read again is not journaled again.
  std::vector<uint64_t> news_seen;
  absl::btree_map<Symbol, uint32_t> protection_failures;  // watchdog misses in a row
  absl::btree_map<Symbol, InstrumentFilters> filters;     // as last journaled
  absl::btree_map<Symbol, FundingRate> funding;           // latest FundingUpdate
  absl::btree_map<Symbol, BookTop> book;                  // latest MarketTick
  // Instruments defined (InstrumentDefined) and not settled: every listed
  // event contract; a settled market's is dropped (MarketSettled), with its
  // filters and book.
  absl::btree_map<Symbol, Instrument> instruments;
  absl::btree_map<Symbol, EntryAnchor> entry_anchors;  // listed event contracts' entry intents
  // City -> climate day (YYYY-MM-DD) -> latest forecast (ForecastObserved),
  // the last kForecastDaysKept days of each city.
  absl::btree_map<std::string, absl::btree_map<std::string, CityForecast>> forecasts;

  Flag paused, manual_review, circuit_breaker;
  // The governance rails in force (PolicyChanged), by name, and the seq that set them.
  absl::btree_map<std::string, Fixed> policy;
  uint64_t policy_seq = 0;
  // Strategy weights (StrategyWeightsChanged); a strategy not here weighs 1.
  absl::btree_map<std::string, Fixed> strategy_weights;
  // Venue wallet minus fold balance: as last reported by reconciliation,
  // and as accepted by the operator's last acknowledgement (fees of a hand
  // close, funding: money moved outside our orders). Reconciliation
  // compares against the accepted gap, so an acknowledged difference does
  // not raise the review again.
  Fixed balance_gap_reported, balance_gap_accepted;
  uint32_t reconciliation_consecutive_failures = 0;
  int64_t last_reconciliation_ns = 0;
  Counters counters;
  TradeStats stats;
  // The totals when the current UTC day began, and the last day closed.
  DayMark day_start;
  DaySummary last_day;

  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("last_seq", s.last_seq); v("last_ts_ns", s.last_ts_ns); v("initialized", s.initialized);
    v("running", s.running); v("client_id_nonce", s.client_id_nonce); v("balance", s.balance); v("realized_pnl", s.realized_pnl);
    v("fees_paid", s.fees_paid); v("peak_equity", s.peak_equity);
    v("max_drawdown_pct", s.max_drawdown_pct); v("drawdown_pct", s.drawdown_pct);
    v("consecutive_losses", s.consecutive_losses); v("day_utc", s.day_utc);
    v("daily_realized_pnl", s.daily_realized_pnl); v("daily_start_equity", s.daily_start_equity);
    v("loss_times_ns", s.loss_times_ns); v("order_rejects_ns", s.order_rejects_ns);
    v("cooldown_until_ns", s.cooldown_until_ns);
    v("cooldown_day_utc", s.cooldown_day_utc); v("cooldown_reason", s.cooldown_reason);
    v("universe", s.universe); v("universe_updated_ns", s.universe_updated_ns);
    v("account_setting_failures", s.account_setting_failures);
    v("positions", s.positions); v("orders", s.orders); v("last_bars", s.last_bars);
    v("news_blocks", s.news_blocks); v("news_medium_blocks", s.news_medium_blocks); v("news_seen", s.news_seen);
    v("protection_failures", s.protection_failures);
    v("filters", s.filters); v("funding", s.funding); v("book", s.book);
    v("instruments", s.instruments); v("forecasts", s.forecasts);
    v("entry_anchors", s.entry_anchors);
    v("funding_received", s.funding_received); v("funding_paid", s.funding_paid);
    v("paused", s.paused); v("manual_review", s.manual_review);
    v("circuit_breaker", s.circuit_breaker);
    v("policy", s.policy); v("policy_seq", s.policy_seq); v("strategy_weights", s.strategy_weights);
    v("balance_gap_reported", s.balance_gap_reported);
    v("balance_gap_accepted", s.balance_gap_accepted);
    v("reconciliation_consecutive_failures", s.reconciliation_consecutive_failures);
    v("last_reconciliation_ns", s.last_reconciliation_ns); v("counters", s.counters);
    v("stats", s.stats); v("day_start", s.day_start); v("last_day", s.last_day);
  }
  bool operator==(const State&) const = default;

  // Trading is gated while any of these is set.
  bool TradingBlocked() const {
    return paused.active || manual_review.active || circuit_breaker.active;
  }
  // Entries in `symbol` are blocked by HIGH news; by MEDIUM news.
  bool NewsBlocked(const Symbol& symbol, int64_t now_ns) const;
  bool NewsMediumBlocked(const Symbol& symbol, int64_t now_ns) const;
  bool NewsSeen(const std::string& source, const std::string& item_id) const;
  // Why the venue account is not set up for trading `symbol` (each failed
  // setting of it, and of the account's position mode, joined by "; "), or
  // "" when it is.
  std::string AccountSettingFailure(const Symbol& symbol) const;
  // New entries may open in `symbol`: no universe was chosen yet, or it is in it.
  bool InUniverse(const Symbol& symbol) const { return universe_updated_ns == 0 || universe.contains(symbol); }
  // Daily realised PnL as a percentage of the day's starting equity.
  Fixed DailyPnlPct() const;
  // The weight `strategy`'s entries are sized at (1 unless an operator set one).
  Fixed StrategyWeight(const std::string& strategy) const {
    auto it = strategy_weights.find(strategy);
    return it == strategy_weights.end() ? Fixed::FromInt(1) : it->second;
  }
};

// Folds one event into the state. Events must come in sequence (seq =
// last_seq + 1). An event that contradicts the state (unknown order, invalid
// transition, duplicate fill, position already open, ...) is
// FailedPrecondition and leaves the state unchanged for that event's effects.
[[nodiscard]] absl::Status Apply(State& state, const Event& event);

// Snapshot encoding of a whole State, with its own schema version; an unknown
// version or malformed bytes is InvalidArgument (the caller folds from the
// ledger instead).
inline constexpr uint16_t kStateSchemaVersion = 14;  // 2: filters; 3: client_id_nonce; 4: cooldowns; 5: universe, account settings; 6: funding; 7: stats, days; 8: book; 9: news; 10: policy, strategy weights; 11: instruments, forecasts; 12: order rejects; 13: book volume, entry anchors; 14: requested cancels, anchors that end
// Climate days of forecasts kept per city (State::forecasts).
inline constexpr size_t kForecastDaysKept = 8;
// News items remembered so a feed read again adds nothing (State::news_seen):
// four times what the 20 sources of 200 items each can show at once.
inline constexpr size_t kNewsSeenKept = 16384;
// A news item's identity in State::news_seen: FNV-1a (64 bit) of
// source, NUL, item_id; stable across builds, so snapshots stay valid.
uint64_t NewsKey(const std::string& source, const std::string& item_id);
// Losing closes remembered for the cooldowns (risk.max_loss_streak_24h <= this).
inline constexpr size_t kLossTimesKept = 64;
// Order refusals kept (State::order_rejects_ns): weather.max_rejects is at most this.
inline constexpr size_t kOrderRejectsKept = 64;
// Closes remembered for the performance of the last days (TradeStats::recent).
inline constexpr int64_t kRecentCloseDays = 30;
inline constexpr size_t kRecentClosesKept = 4096;
// The totals a day's figures are measured between.
DayMark MarkOf(const State& state);
std::string EncodeState(const State& state);
absl::StatusOr<State> DecodeState(absl::string_view bytes);
std::string StateToJson(const State& state);

}  // namespace apollo

#endif  // APOLLO_ENGINE_DOMAIN_STATE_H_
