// The event catalogue: every input Apollo acted on, every decision and every
// venue report, as immutable plain structs gathered in one sum type.
//
// Tags are stored in the ledger and never change or get reused; a retired
// event keeps its tag as a comment. Each event has a schema version: changing
// its fields (they are encoded in the order Fields lists them) means a new
// version and a decoder for the old one. Names are the seed bot's, which
// operators grep for (DESIGN section 3 maps the issues' words onto them).
#ifndef APOLLO_ENGINE_DOMAIN_EVENTS_H_
#define APOLLO_ENGINE_DOMAIN_EVENTS_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/domain/fixed.h"
#include "engine/domain/types.h"

namespace apollo {

enum class EventTag : uint16_t {
  kSystemStarted = 1,
  kSystemStopped = 2,
  kConfigLoaded = 3,
  kCandleClose = 4,
  kFundingUpdate = 5,
  kNewsClassified = 6,
  kSignalComputed = 7,
  kTradeProposed = 8,
  kRiskApproved = 9,
  kRiskRejected = 10,
  kOrderPlaced = 11,
  kOrderAccepted = 12,
  kOrderRejected = 13,
  kOrderPartialFill = 14,
  kOrderFilled = 15,
  kOrderCancelled = 16,
  kOrderExpired = 17,
  kPositionOpened = 18,
  kPositionUpdated = 19,
  kPositionClosed = 20,
  kStopTriggered = 21,
  kProtectiveOrdersVerified = 22,
  kProtectiveOrdersMissing = 23,
  kProtectiveOrdersReplaced = 24,
  kReconciliationCompleted = 25,
  kReconciliationFailed = 26,
  kManualInterventionDetected = 27,
  kManualReviewAcknowledged = 28,
  kCircuitBreakerTriggered = 29,
  kTradingPaused = 30,
  kTradingResumed = 31,
  kTradeCycleCompleted = 32,
  kInstrumentFiltersUpdated = 33,
  kReconciliationSnapshot = 34,
  kCooldownStarted = 35,
  kUniverseUpdated = 36,
  kAccountSettingUpdated = 37,
  kAccountSettingFailed = 38,
  kFundingPaid = 39,
  kEntrySkipped = 40,
  kMarketTick = 41,
  kNewsIngested = 42,
  kOperatorAction = 43,
  kClientIdNonceRotated = 44,
  kPolicyChanged = 45,
  kStrategyWeightsChanged = 46,
  kInstrumentDefined = 47,
  kMarketSettled = 48,
  kForecastObserved = 49,
  kCancelRequested = 50,
};

#define APOLLO_EVENT(NAME, VERSION)                                    \
  static constexpr EventTag kTag = EventTag::k##NAME;                  \
  static constexpr uint16_t kSchemaVersion = VERSION;                  \
  static constexpr absl::string_view kName = #NAME;                    \
  bool operator==(const NAME&) const = default

// A named number an event was computed from (indicator, limit, measure).
struct NamedValue {
  std::string name;
  Fixed value;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("name", s.name); v("value", s.value); }
  bool operator==(const NamedValue&) const = default;
};

// Schema 2 carries the ledger's client id nonce: created once, at the first
// start of a testnet or live ledger (or the first start of an older one
// under this build), and repeated by every later start; folded into every
// client order id so that two ledgers on one account never reuse an id.
// Empty in paper ledgers (their ids reach no account).
struct SystemStarted {
  APOLLO_EVENT(SystemStarted, 2);
  Mode mode = Mode::kPaper;
  std::string build_version;
  std::string client_id_nonce;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("mode", s.mode); v("build_version", s.build_version); v("client_id_nonce", s.client_id_nonce);
  }
};

// SystemStarted as schema 1 wrote it; read without a nonce.
struct SystemStartedV1 {
  static constexpr uint16_t kSchemaVersion = 1;
  static constexpr absl::string_view kName = "SystemStarted";
  Mode mode = Mode::kPaper;
  std::string build_version;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("mode", s.mode); v("build_version", s.build_version); }
  SystemStarted Upgrade() const { return SystemStarted{mode, build_version, {}}; }
};

struct SystemStopped {
  APOLLO_EVENT(SystemStopped, 1);
  std::string reason;  // SIGTERM, SIGINT, END_OF_DATA, KILL_SWITCH, ...
  template <class S, class V>
  static void Fields(S& s, V& v) { v("reason", s.reason); }
};

// The configuration a run decided with. Schema 2 carries the whole
// effective config as canonical text ("key = value" lines, sorted; secrets
// are never part of it), so an audit re-runs decisions from the ledger
// alone. Schema 1 (hash only) still reads, with config_text empty.
struct ConfigLoaded {
  APOLLO_EVENT(ConfigLoaded, 2);
  std::string config_hash;  // hex SHA-256 of config_text
  std::string build_version;
  Fixed initial_equity;     // the account's equity before the first event
  std::string config_text;  // config::Config::Canonical()
  std::string strategy;     // strategy.name, e.g. trend_following_v1
  std::string strategy_version;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("config_hash", s.config_hash); v("build_version", s.build_version);
    v("initial_equity", s.initial_equity); v("config_text", s.config_text);
    v("strategy", s.strategy); v("strategy_version", s.strategy_version);
  }
};

// ConfigLoaded as schema 1 wrote it; read as ConfigLoaded without the text.
struct ConfigLoadedV1 {
  static constexpr uint16_t kSchemaVersion = 1;
  static constexpr absl::string_view kName = "ConfigLoaded";
  std::string config_hash;
  std::string build_version;
  Fixed initial_equity;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("config_hash", s.config_hash); v("build_version", s.build_version);
    v("initial_equity", s.initial_equity);
  }
  ConfigLoaded Upgrade() const { return ConfigLoaded{config_hash, build_version, initial_equity, {}, {}, {}}; }
};

// A closed bar the engine acted on (the issues' MarketBar).
struct CandleClose {
  APOLLO_EVENT(CandleClose, 1);
  Symbol symbol;
  std::string interval;  // "5m"
  int64_t open_time_ms = 0;
  Fixed open, high, low, close, volume;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("interval", s.interval); v("open_time_ms", s.open_time_ms);
    v("open", s.open); v("high", s.high); v("low", s.low); v("close", s.close);
    v("volume", s.volume);
  }
};

// A symbol's funding rate: in paper and backtests the rate settled at
// funding_time_ms (a recorded funding file or --constant-funding-rate), with
// the last close as mark price; the latest one is what risk and the
// universe judge funding by.
struct FundingUpdate {
  APOLLO_EVENT(FundingUpdate, 1);
  Symbol symbol;
  Fixed funding_rate;  // fraction, 0.0001 = 0.01%
  Fixed mark_price;
  int64_t funding_time_ms = 0;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("funding_rate", s.funding_rate); v("mark_price", s.mark_price);
    v("funding_time_ms", s.funding_time_ms);
  }
};

// Bounds of a news item's text, so one feed cannot bloat the ledger.
inline constexpr size_t kMaxNewsTitleChars = 300;
inline constexpr size_t kMaxNewsSummaryChars = 600;
inline constexpr size_t kMaxNewsIdChars = 500;  // item_id, link and source

// An item read from a news feed (news.sources, testnet and live): the input
// its NewsClassified events are derived from. The title and summary are
// the feed's text, tags removed, cut to kMaxNewsTitleChars and
// kMaxNewsSummaryChars.
struct NewsIngested {
  APOLLO_EVENT(NewsIngested, 1);
  std::string source;        // news.sources[].name
  std::string item_id;       // the feed's guid (RSS) or id (Atom), else its link
  std::string title;
  std::string summary;
  std::string link;
  int64_t published_ms = 0;  // the feed's date; 0: it gave none
  int64_t fetched_ms = 0;    // when the feed was read (the engine's clock)
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("source", s.source); v("item_id", s.item_id); v("title", s.title); v("summary", s.summary);
    v("link", s.link); v("published_ms", s.published_ms); v("fetched_ms", s.fetched_ms);
  }
};

// What a news item means for one symbol it names (symbol "": it names none
// of the symbols traded): entries in the symbol are blocked until
// block_until_ns (0: no block). HIGH blocks for news.high_risk_block_hours
// (NEWS_HIGH_RISK), MEDIUM for news.medium_risk_block_hours
// (NEWS_MEDIUM_RISK), LOW not at all.
struct NewsClassified {
  APOLLO_EVENT(NewsClassified, 1);
  Symbol symbol;
  std::string headline;
  std::string category;  // hack_exploit, exchange_outage, regulatory, macro_shock, other
  NewsRisk risk = NewsRisk::kLow;
  Fixed confidence;
  int64_t block_until_ns = 0;  // entries blocked until then; 0 = no block
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("headline", s.headline); v("category", s.category);
    v("risk", s.risk); v("confidence", s.confidence); v("block_until_ns", s.block_until_ns);
  }
};

// The issues' SignalGenerated.
struct SignalComputed {
  APOLLO_EVENT(SignalComputed, 1);
  Symbol symbol;
  std::string strategy;
  Side direction = Side::kBuy;
  Fixed score;       // 0..1
  Fixed confidence;  // 0..1
  std::string reason;
  std::vector<NamedValue> inputs;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("strategy", s.strategy); v("direction", s.direction);
    v("score", s.score); v("confidence", s.confidence); v("reason", s.reason);
    v("inputs", s.inputs);
  }
};

struct TradeProposed {
  APOLLO_EVENT(TradeProposed, 1);
  Symbol symbol;
  Side side = Side::kBuy;
  OrderType entry_type = OrderType::kMarket;
  Fixed qty, entry_price, stop_price, take_profit_price, leverage;
  uint64_t signal_seq = 0;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("side", s.side); v("entry_type", s.entry_type); v("qty", s.qty);
    v("entry_price", s.entry_price); v("stop_price", s.stop_price);
    v("take_profit_price", s.take_profit_price); v("leverage", s.leverage);
    v("signal_seq", s.signal_seq);
  }
};

// The issues' RiskDecision (approved).
struct RiskApproved {
  APOLLO_EVENT(RiskApproved, 1);
  Symbol symbol;
  uint64_t proposal_seq = 0;
  std::vector<NamedValue> checks;  // the numbers each rule saw
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("proposal_seq", s.proposal_seq); v("checks", s.checks);
  }
};

// The issues' RiskDecision (rejected): the rule and the numbers.
struct RiskRejected {
  APOLLO_EVENT(RiskRejected, 1);
  Symbol symbol;
  uint64_t proposal_seq = 0;
  RiskRule rule = RiskRule::kApproved;
  std::string reason;
  std::vector<NamedValue> values;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("proposal_seq", s.proposal_seq); v("rule", s.rule);
    v("reason", s.reason); v("values", s.values);
  }
};

// Intent to send an order, journaled before the request goes out (the
// issues' OrderSubmitted).
struct OrderPlaced {
  APOLLO_EVENT(OrderPlaced, 1);
  ClientOrderId client_order_id;
  Symbol symbol;
  Side side = Side::kBuy;
  OrderType order_type = OrderType::kMarket;
  OrderPurpose purpose = OrderPurpose::kEntry;
  Fixed qty;
  Fixed price;       // limit price; 0 for market and stop orders
  Fixed stop_price;  // trigger price for STOP_MARKET / TAKE_PROFIT_MARKET
  bool reduce_only = false;
  ClientOrderId parent;  // the entry a protective order protects
  // Entries: the protection planned for the position they open, placed
  // once they fill. Exits: why the position is being closed.
  Fixed protect_stop, protect_take_profit;
  CloseReason close_reason = CloseReason::kStopLoss;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("client_order_id", s.client_order_id); v("symbol", s.symbol); v("side", s.side);
    v("order_type", s.order_type); v("purpose", s.purpose); v("qty", s.qty);
    v("price", s.price); v("stop_price", s.stop_price); v("reduce_only", s.reduce_only);
    v("parent", s.parent); v("protect_stop", s.protect_stop);
    v("protect_take_profit", s.protect_take_profit); v("close_reason", s.close_reason);
  }
};

struct OrderAccepted {
  APOLLO_EVENT(OrderAccepted, 1);
  ClientOrderId client_order_id;
  VenueOrderId venue_order_id;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("client_order_id", s.client_order_id); v("venue_order_id", s.venue_order_id);
  }
};

struct OrderRejected {
  APOLLO_EVENT(OrderRejected, 1);
  ClientOrderId client_order_id;
  int32_t code = 0;  // venue error code, 0 when ours
  std::string reason;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("client_order_id", s.client_order_id); v("code", s.code); v("reason", s.reason);
  }
};

// One execution against an order; OrderPartialFill and OrderFilled share it.
// OrderFilled is the execution that completes the order.
struct Fill {
  ClientOrderId client_order_id;
  TradeId trade_id;
  Fixed price, qty, fee;  // fee in the quote asset
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("client_order_id", s.client_order_id); v("trade_id", s.trade_id); v("price", s.price);
    v("qty", s.qty); v("fee", s.fee);
  }
  bool operator==(const Fill&) const = default;
};

struct OrderPartialFill : Fill {
  APOLLO_EVENT(OrderPartialFill, 1);
};
struct OrderFilled : Fill {
  APOLLO_EVENT(OrderFilled, 1);
};

// The reason of an OrderCancelled the venue reports although Apollo never
// asked for it: someone cancelled the order by hand (web UI, another key).
inline constexpr absl::string_view kCancelledExternally = "CANCELLED_EXTERNALLY";
// Our cancel of a limit entry that rested past its timeout (EntrySkipped follows).
inline constexpr absl::string_view kEntryExpired = "ENTRY_EXPIRED";

struct OrderCancelled {
  APOLLO_EVENT(OrderCancelled, 1);
  ClientOrderId client_order_id;
  // Ours: OCO, ENTRY_EXPIRED, KILL_SWITCH (what the cancel was asked for);
  // CANCELLED_EXTERNALLY when nobody here asked; VENUE in older ledgers.
  std::string reason;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("client_order_id", s.client_order_id); v("reason", s.reason); }
};

struct OrderExpired {
  APOLLO_EVENT(OrderExpired, 1);
  ClientOrderId client_order_id;
  std::string reason;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("client_order_id", s.client_order_id); v("reason", s.reason); }
};

struct PositionOpened {
  APOLLO_EVENT(PositionOpened, 1);
  Symbol symbol;
  Side side = Side::kBuy;
  Fixed qty, entry_price, stop_price, take_profit, leverage;
  ClientOrderId entry_order;  // the seed's trade_id
  Fixed entry_fees;           // charged by the entry's fills; shared out over the closes
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("side", s.side); v("qty", s.qty); v("entry_price", s.entry_price);
    v("stop_price", s.stop_price); v("take_profit", s.take_profit); v("leverage", s.leverage);
    v("entry_order", s.entry_order); v("entry_fees", s.entry_fees);
  }
};

struct PositionUpdated {
  APOLLO_EVENT(PositionUpdated, 1);
  Symbol symbol;
  Fixed qty, entry_price, stop_price, take_profit;
  std::string reason;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("qty", s.qty); v("entry_price", s.entry_price);
    v("stop_price", s.stop_price); v("take_profit", s.take_profit); v("reason", s.reason);
  }
};

// Closes qty of a position (all of it, or part). realized_pnl is the price
// PnL of the closed quantity; fees were charged by the fills already and are
// repeated here (entry share + exit) so a trade's net result reads from one event.
// side and entry_price repeat the position's, so one event is one trade row.
struct PositionClosed {
  APOLLO_EVENT(PositionClosed, 1);
  Symbol symbol;
  Side side = Side::kBuy;
  Fixed qty, entry_price, exit_price, realized_pnl, fees;
  CloseReason reason = CloseReason::kStopLoss;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("side", s.side); v("qty", s.qty); v("entry_price", s.entry_price);
    v("exit_price", s.exit_price); v("realized_pnl", s.realized_pnl); v("fees", s.fees);
    v("reason", s.reason);
  }
};

struct StopTriggered {
  APOLLO_EVENT(StopTriggered, 1);
  Symbol symbol;
  ClientOrderId client_order_id;
  Fixed trigger_price;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("client_order_id", s.client_order_id);
    v("trigger_price", s.trigger_price);
  }
};

struct ProtectiveOrdersVerified {
  APOLLO_EVENT(ProtectiveOrdersVerified, 1);
  Symbol symbol;
  ClientOrderId stop_loss, take_profit;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("stop_loss", s.stop_loss); v("take_profit", s.take_profit);
  }
};

struct ProtectiveOrdersMissing {
  APOLLO_EVENT(ProtectiveOrdersMissing, 1);
  Symbol symbol;
  bool stop_loss_missing = false;
  bool take_profit_missing = false;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("stop_loss_missing", s.stop_loss_missing);
    v("take_profit_missing", s.take_profit_missing);
  }
};

struct ProtectiveOrdersReplaced {
  APOLLO_EVENT(ProtectiveOrdersReplaced, 1);
  Symbol symbol;
  ClientOrderId stop_loss, take_profit;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("stop_loss", s.stop_loss); v("take_profit", s.take_profit);
  }
};

struct ReconciliationCompleted {
  APOLLO_EVENT(ReconciliationCompleted, 1);
  uint32_t positions = 0;
  uint32_t open_orders = 0;
  Fixed venue_balance;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("positions", s.positions); v("open_orders", s.open_orders);
    v("venue_balance", s.venue_balance);
  }
};

struct ReconciliationFailed {
  APOLLO_EVENT(ReconciliationFailed, 1);
  std::string reason;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("reason", s.reason); }
};

// One difference between the fold and the venue.
struct Discrepancy {
  InterventionAction action = InterventionAction::kPositionOpenedExternally;
  Symbol symbol;
  ClientOrderId client_order_id;
  Fixed expected, actual;
  std::string detail;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("action", s.action); v("symbol", s.symbol); v("client_order_id", s.client_order_id);
    v("expected", s.expected); v("actual", s.actual); v("detail", s.detail);
  }
  bool operator==(const Discrepancy&) const = default;
};

struct ManualInterventionDetected {
  APOLLO_EVENT(ManualInterventionDetected, 1);
  std::vector<Discrepancy> discrepancies;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("discrepancies", s.discrepancies); }
};

struct ManualReviewAcknowledged {
  APOLLO_EVENT(ManualReviewAcknowledged, 1);
  std::string who;  // "cli", "api", ...
  std::string reason;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("who", s.who); v("reason", s.reason); }
};

struct CircuitBreakerTriggered {
  APOLLO_EVENT(CircuitBreakerTriggered, 1);
  RiskRule rule = RiskRule::kMaxDrawdown;
  std::string reason;
  std::vector<NamedValue> values;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("rule", s.rule); v("reason", s.reason); v("values", s.values); }
};

// Entries are refused (COOLDOWN_ACTIVE) until `until_ns`: journaled when a
// close takes the day's realised loss to risk.max_daily_loss_pct and
// risk.cooldown_after_max_daily_hours is set (the seed's cooldown after the
// daily limit), once per UTC day. `rule` is what started it.
struct CooldownStarted {
  APOLLO_EVENT(CooldownStarted, 1);
  RiskRule rule = RiskRule::kDailyLossLimit;
  int64_t until_ns = 0;
  std::string reason;
  std::vector<NamedValue> values;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("rule", s.rule); v("until_ns", s.until_ns); v("reason", s.reason); v("values", s.values);
  }
};

// One symbol considered for the universe: what it was judged on and the verdict.
struct UniverseCandidate {
  Symbol symbol;
  // Quote asset (USDT) traded over the last 24 h, whole units: an int64, as
  // a busy symbol's day can exceed what Fixed holds.
  int64_t quote_volume_24h = 0;
  Fixed min_notional;       // the venue's minimum order notional, quote asset
  Fixed funding_rate_pct;   // the latest funding rate, percent (per funding period)
  bool funding_known = false;
  uint32_t rank = 0;        // by quote volume among the candidates, 1 = the most
  bool kept = false;
  // KEPT, LOW_QUOTE_VOLUME, MIN_NOTIONAL_TOO_HIGH, FUNDING_TOO_HIGH, BEYOND_SIZE.
  std::string reason;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("quote_volume_24h", s.quote_volume_24h); v("min_notional", s.min_notional);
    v("funding_rate_pct", s.funding_rate_pct); v("funding_known", s.funding_known); v("rank", s.rank);
    v("kept", s.kept); v("reason", s.reason);
  }
  bool operator==(const UniverseCandidate&) const = default;
};

// The symbols new entries may open in, until the next one (universe.size >
// 0): the candidates ranked by 24 h quote volume, filtered by the universe.*
// limits, the best `size` kept. Positions in a symbol that leaves keep their
// exits and protection. `source` says where the numbers came from
// (recorded_bars in paper and backtests).
struct UniverseUpdated {
  APOLLO_EVENT(UniverseUpdated, 1);
  std::string source;
  std::vector<UniverseCandidate> candidates;  // by rank
  std::vector<Symbol> symbols;                // kept, by rank
  template <class S, class V>
  static void Fields(S& s, V& v) { v("source", s.source); v("candidates", s.candidates); v("symbols", s.symbols); }
};

// The venue account set as the config asks (testnet, live: at start):
// `setting` is leverage, margin_type (per symbol) or position_mode (the
// account's; symbol empty). `detail` says whether it changed or already was.
struct AccountSettingUpdated {
  APOLLO_EVENT(AccountSettingUpdated, 1);
  Symbol symbol;
  std::string setting, value, detail;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("symbol", s.symbol); v("setting", s.setting); v("value", s.value); v("detail", s.detail); }
};

// The venue refused a setting: new entries in the symbol (every symbol, for
// position_mode) are refused (ACCOUNT_SETTING_FAILED) until a later start
// sets it. `code` is the venue's error code (0 when none came back).
struct AccountSettingFailed {
  APOLLO_EVENT(AccountSettingFailed, 1);
  Symbol symbol;
  std::string setting, value;
  int32_t code = 0;
  std::string reason;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("setting", s.setting); v("value", s.value); v("code", s.code); v("reason", s.reason);
  }
};

// A funding payment on an open position (00/08/16 UTC on Binance). Paper:
// simulated from the journaled FundingUpdate (amount = -qty x mark x rate
// for a long, + for a short, rounded to 1e-8). Testnet and live: the
// venue's ACCOUNT_UPDATE FUNDING_FEE, its amount as reported, mark_price and
// funding_rate 0 (not in the message). amount > 0 was received. It moves
// the balance and the day's PnL, as a fee does.
struct FundingPaid {
  APOLLO_EVENT(FundingPaid, 1);
  Symbol symbol;
  Side side = Side::kBuy;
  Fixed qty, mark_price, funding_rate, amount;
  int64_t funding_time_ms = 0;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("side", s.side); v("qty", s.qty); v("mark_price", s.mark_price);
    v("funding_rate", s.funding_rate); v("amount", s.amount); v("funding_time_ms", s.funding_time_ms);
  }
};

// A limit entry that ran out of time (the seed's EntrySkipped): journaled
// with the venue's confirmation of the cancel (OrderCancelled ENTRY_EXPIRED),
// with what it asked for, what had filled by then (its position, if any,
// carries on at that size) and the timeout it had.
struct EntrySkipped {
  APOLLO_EVENT(EntrySkipped, 1);
  Symbol symbol;
  Side side = Side::kBuy;
  ClientOrderId client_order_id;
  Fixed qty, filled_qty, price;  // ordered, filled before the cancel, limit price
  std::string reason;            // ENTRY_EXPIRED
  int64_t timeout_sec = 0;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("side", s.side); v("client_order_id", s.client_order_id); v("qty", s.qty);
    v("filled_qty", s.filled_qty); v("price", s.price); v("reason", s.reason); v("timeout_sec", s.timeout_sec);
  }
};

// A symbol's best bid and ask as the venue's book ticker last gave them
// (the seed's MarketTick), journaled with each step whose entries the
// spread check (SPREAD_TOO_WIDE) judges by it. Prices are positive, bid
// below ask, both at most kMaxBookPrice.
inline constexpr Fixed kMaxBookPrice = Fixed::FromRaw(100'000'000 * Fixed::kScale);  // 100,000,000
struct MarketTick {
  APOLLO_EVENT(MarketTick, 2);
  Symbol symbol;
  Fixed bid_price, ask_price;
  int64_t time_ms = 0;  // when the bot held it as the book, on the venue's clock (ms)
  // An event contract's trading so far, in contracts (Kalshi's volume_fp and
  // open_interest_fp; the backtest's tape volume, open interest 0); 0 where
  // the venue gives none (Binance).
  Fixed volume, open_interest;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("bid_price", s.bid_price); v("ask_price", s.ask_price); v("time_ms", s.time_ms);
    v("volume", s.volume); v("open_interest", s.open_interest);
  }
};

// A decision to cancel a resting order of ours (weather_high_v1's
// repricer: REPRICE, SIGNAL_GONE), journaled with the step's other
// decisions before the cancel is sent, so `replay decisions` derives it.
// Kalshi's answer follows: OrderCancelled with the same reason, or a fill
// that came first. The order stays open in the fold until then.
struct CancelRequested {
  APOLLO_EVENT(CancelRequested, 1);
  ClientOrderId client_order_id;
  std::string reason;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("client_order_id", s.client_order_id); v("reason", s.reason); }
};

// MarketTick as schema 1 wrote it; read with no volume or open interest.
struct MarketTickV1 {
  static constexpr uint16_t kSchemaVersion = 1;
  static constexpr absl::string_view kName = "MarketTick";
  Symbol symbol;
  Fixed bid_price, ask_price;
  int64_t time_ms = 0;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("bid_price", s.bid_price); v("ask_price", s.ask_price); v("time_ms", s.time_ms);
  }
  MarketTick Upgrade() const { return MarketTick{symbol, bid_price, ask_price, time_ms, Fixed(), Fixed()}; }
};

struct TradingPaused {
  APOLLO_EVENT(TradingPaused, 1);
  std::string who, reason;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("who", s.who); v("reason", s.reason); }
};

struct TradingResumed {
  APOLLO_EVENT(TradingResumed, 1);
  std::string who, reason;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("who", s.who); v("reason", s.reason); }
};

// The ledger's client order id nonce replaced (`bot restore` of a testnet
// or live ledger): the restored ledger's sequence numbers go back, and with
// the old nonce its next orders would reuse client ids the venue saw after
// the backup. Orders already in the ledger keep their ids.
struct ClientIdNonceRotated {
  APOLLO_EVENT(ClientIdNonceRotated, 1);
  std::string old_nonce, nonce, reason;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("old_nonce", s.old_nonce); v("nonce", s.nonce); v("reason", s.reason); }
};

// The governance policy (ops/policies.yaml) as read and validated: each rail
// a limit of config.yaml's tightened, by name (max_concurrent_signals,
// risk.max_drawdown_pct, ...); no rails: none (the file is gone or empty).
// It replaces the previous policy whole and holds from the next step; the
// risk checks use the tighter of config.yaml and a rail.
struct PolicyChanged {
  APOLLO_EVENT(PolicyChanged, 1);
  std::string source;  // the file, as configured
  std::string sha256;  // of its bytes ("" when it is gone)
  std::string who;     // "start", "file_changed", "sighup", "api@127.0.0.1"
  std::vector<NamedValue> rails;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("source", s.source); v("sha256", s.sha256); v("who", s.who); v("rails", s.rails);
  }
};

// Strategy weights set by an operator (POST /strategy/weights): each named
// strategy's entries are sized at weight x what risk would size them (0..1;
// 0 stops its entries; 1, the default, is full size). Strategies not named
// keep theirs.
struct StrategyWeightsChanged {
  APOLLO_EVENT(StrategyWeightsChanged, 1);
  std::string who, reason;
  std::vector<NamedValue> weights;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("who", s.who); v("reason", s.reason); v("weights", s.weights); }
};

// An operator's action through the API beyond pause, resume and ack: who
// asked, why, and what it did. Journaled in the same step as its effects
// (the cancels and closes it asked for follow it; a reconciliation's own
// events come before it), so the ledger says who flattened the book.
// action: kill_switch, cancel_all, close, flatten, reconcile,
// reset_circuit_breaker, ratelimit_reset (outcome: the provider and what
// its rate gate held: "binance: 0 of 2400 tokens, backing off 95 s more
// (HTTP 418: IP banned)").
struct OperatorAction {
  APOLLO_EVENT(OperatorAction, 1);
  std::string who, reason;
  std::string action;
  Symbol symbol;        // close: the position's symbol; else ""
  std::string outcome;  // "cancelling 1 order; closing 1 position (BTCUSDT)", ...
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("who", s.who); v("reason", s.reason); v("action", s.action); v("symbol", s.symbol); v("outcome", s.outcome);
  }
};

// The end of one bar's step. Schema 2 says where the strategy decided: the
// events after decided_after_seq (and before this one) are what the
// strategy, risk and the order manager made of the bar, at decided_at_ns,
// so an audit can re-run exactly that decision. Schema 1 reads with both 0.
struct TradeCycleCompleted {
  APOLLO_EVENT(TradeCycleCompleted, 2);
  int64_t bar_open_time_ms = 0;
  uint32_t signals = 0;
  uint32_t orders = 0;
  uint64_t decided_after_seq = 0;
  int64_t decided_at_ns = 0;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("bar_open_time_ms", s.bar_open_time_ms); v("signals", s.signals); v("orders", s.orders);
    v("decided_after_seq", s.decided_after_seq); v("decided_at_ns", s.decided_at_ns);
  }
};

struct TradeCycleCompletedV1 {
  static constexpr uint16_t kSchemaVersion = 1;
  static constexpr absl::string_view kName = "TradeCycleCompleted";
  int64_t bar_open_time_ms = 0;
  uint32_t signals = 0;
  uint32_t orders = 0;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("bar_open_time_ms", s.bar_open_time_ms); v("signals", s.signals); v("orders", s.orders);
  }
  TradeCycleCompleted Upgrade() const { return TradeCycleCompleted{bar_open_time_ms, signals, orders, 0, 0}; }
};

// A symbol's order filters: prices on the tick grid, quantities on the step
// grid within [min_qty, max_qty] (0 = no bound), notional >= min_notional.
struct InstrumentFilters {
  Fixed tick_size, step_size, min_qty, max_qty, min_notional;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("tick_size", s.tick_size); v("step_size", s.step_size); v("min_qty", s.min_qty);
    v("max_qty", s.max_qty); v("min_notional", s.min_notional);
  }
  bool operator==(const InstrumentFilters&) const = default;
};

// The order filters sizing and validation use for a symbol (Binance
// exchangeInfo's PRICE_FILTER, LOT_SIZE, MIN_NOTIONAL, or paper_sim's),
// journaled at start and whenever they change.
struct InstrumentFiltersUpdated {
  APOLLO_EVENT(InstrumentFiltersUpdated, 1);
  Symbol symbol;
  std::string source;  // "exchangeInfo", "paper_sim"
  InstrumentFilters filters;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("symbol", s.symbol); v("source", s.source); v("filters", s.filters); }
};

// One band of a price grid: start, start + step, ... up to end (inclusive).
struct PriceBand {
  Fixed start, end, step;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("start", s.start); v("end", s.end); v("step", s.step); }
  bool operator==(const PriceBand&) const = default;
};

// What a binary event contract pays on (Kalshi: the market's event and
// strikes, read from strike_type / floor_strike / cap_strike, never from
// the ticker). A strike a type does not use is 0.
struct ContractTerms {
  std::string series;  // KXHIGHNY
  std::string event;   // KXHIGHNY-25MAR29
  std::string subject_day;  // YYYY-MM-DD the event is about (weather: the climate day); "" if none
  StrikeType strike_type = StrikeType::kNone;
  Fixed floor_strike, cap_strike;
  int64_t close_time_ms = 0;             // trading ends
  int64_t expected_expiration_ms = 0;    // settlement expected
  std::string title;                     // yes_sub_title: "84° to 85°"
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("series", s.series); v("event", s.event); v("subject_day", s.subject_day); v("strike_type", s.strike_type);
    v("floor_strike", s.floor_strike); v("cap_strike", s.cap_strike); v("close_time_ms", s.close_time_ms);
    v("expected_expiration_ms", s.expected_expiration_ms); v("title", s.title);
  }
  bool operator==(const ContractTerms&) const = default;
};

// What a symbol is (see InstrumentKind and domain/instrument.h): its kind,
// the prices it may trade at (min_price..max_price, both 0 for no bounds;
// on price_bands' grid, or with none on the filters' tick_size alone) and
// its contract value: for a binary contract what one contract pays when its
// event happens (a YES settles at that price, a NO at 0; Kalshi: 1 dollar),
// for a linear perpetual the base quantity one contract is (1). Either way
// PnL is qty x the price move.
struct Instrument {
  InstrumentKind kind = InstrumentKind::kLinearPerpetual;
  Fixed min_price, max_price;
  std::vector<PriceBand> price_bands;
  Fixed contract_value = Fixed::FromRaw(Fixed::kScale);  // 1
  ContractTerms terms;  // binary event contracts
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("kind", s.kind); v("min_price", s.min_price); v("max_price", s.max_price);
    v("price_bands", s.price_bands); v("contract_value", s.contract_value); v("terms", s.terms);
  }
  bool operator==(const Instrument&) const = default;
};

// A symbol's instrument as the venue lists it (Kalshi's market), journaled
// before the symbol is first traded and whenever it changes. A symbol
// never defined is a linear perpetual (every Binance symbol).
struct InstrumentDefined {
  APOLLO_EVENT(InstrumentDefined, 1);
  Symbol symbol;
  std::string source;  // "kalshi", "recorded"
  Instrument instrument;
  template <class S, class V>
  static void Fields(S& s, V& v) { v("symbol", s.symbol); v("source", s.source); v("instrument", s.instrument); }
};

// An event contract's market settled: YES paid yes_payout per contract
// (its contract_value on yes, 0 on no). Its instrument is no longer traded.
// Our position in it was closed just before, by a PositionClosed
// (SETTLEMENT) at yes_payout, and our orders in it cancelled: the fold
// refuses a settlement while either is open.
struct MarketSettled {
  APOLLO_EVENT(MarketSettled, 1);
  Symbol symbol;
  MarketResult result = MarketResult::kNo;
  Fixed yes_payout;
  int64_t settled_time_ms = 0;
  std::string source;  // "kalshi", "recorded"
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("result", s.result); v("yes_payout", s.yes_payout);
    v("settled_time_ms", s.settled_time_ms); v("source", s.source);
  }
};

// A forecast of one city's daily high for one climate day (the settlement
// station's local standard-time day), as a strategy read it: the NWS
// forecast, or in backtests the stated stand-in. issued_ms is when its
// source made it (never later than the event's time: nothing decided on it
// can have seen what came after).
struct ForecastObserved {
  APOLLO_EVENT(ForecastObserved, 1);
  std::string city;         // weather.cities[].code: NYC
  std::string station;      // KNYC
  std::string climate_day;  // YYYY-MM-DD
  Fixed high_f;             // degrees Fahrenheit
  Fixed sigma_f;            // its error (standard deviation, F) at this lead: what the strategy prices with
  int64_t issued_ms = 0;
  std::string source;       // "nws", "standin"
  std::string detail;       // the NWS period ("Thursday: High near 54"), or how the stand-in was made
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("city", s.city); v("station", s.station); v("climate_day", s.climate_day); v("high_f", s.high_f);
    v("sigma_f", s.sigma_f); v("issued_ms", s.issued_ms); v("source", s.source); v("detail", s.detail);
  }
};

// What one reconciliation pass compared: the venue's side as it was read
// and the tolerances. Journaled just before its outcome
// (ReconciliationCompleted or ManualInterventionDetected), so an audit can
// judge the pass again.
struct SnapshotPosition {
  Symbol symbol;
  Side side = Side::kBuy;
  Fixed qty, entry_price;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("side", s.side); v("qty", s.qty); v("entry_price", s.entry_price);
  }
  bool operator==(const SnapshotPosition&) const = default;
};
struct SnapshotOrder {
  ClientOrderId client_order_id;
  Symbol symbol;
  bool algo = false;
  Side side = Side::kBuy;
  Fixed qty;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("client_order_id", s.client_order_id); v("symbol", s.symbol); v("algo", s.algo);
    v("side", s.side); v("qty", s.qty);
  }
  bool operator==(const SnapshotOrder&) const = default;
};
struct SnapshotForeignFill {
  Symbol symbol;
  Fixed qty, avg_price, commission;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("symbol", s.symbol); v("qty", s.qty); v("avg_price", s.avg_price); v("commission", s.commission);
  }
  bool operator==(const SnapshotForeignFill&) const = default;
};
struct ReconciliationSnapshot {
  APOLLO_EVENT(ReconciliationSnapshot, 1);
  std::vector<SnapshotPosition> positions;
  std::vector<SnapshotOrder> open_orders;
  Fixed balance;
  std::vector<SnapshotForeignFill> foreign_fills;
  Fixed qty_tolerance, balance_tolerance;
  template <class S, class V>
  static void Fields(S& s, V& v) {
    v("positions", s.positions); v("open_orders", s.open_orders); v("balance", s.balance);
    v("foreign_fills", s.foreign_fills); v("qty_tolerance", s.qty_tolerance);
    v("balance_tolerance", s.balance_tolerance);
  }
};

#undef APOLLO_EVENT

using EventBody = std::variant<
    SystemStarted, SystemStopped, ConfigLoaded, CandleClose, FundingUpdate, NewsClassified,
    SignalComputed, TradeProposed, RiskApproved, RiskRejected, OrderPlaced, OrderAccepted,
    OrderRejected, OrderPartialFill, OrderFilled, OrderCancelled, OrderExpired, PositionOpened,
    PositionUpdated, PositionClosed, StopTriggered, ProtectiveOrdersVerified,
    ProtectiveOrdersMissing, ProtectiveOrdersReplaced, ReconciliationCompleted,
    ReconciliationFailed, ManualInterventionDetected, ManualReviewAcknowledged,
    CircuitBreakerTriggered, TradingPaused, TradingResumed, TradeCycleCompleted,
    InstrumentFiltersUpdated, ReconciliationSnapshot, CooldownStarted, UniverseUpdated,
    AccountSettingUpdated, AccountSettingFailed, FundingPaid, EntrySkipped, MarketTick, NewsIngested,
    OperatorAction, ClientIdNonceRotated, PolicyChanged, StrategyWeightsChanged, InstrumentDefined,
    MarketSettled, ForecastObserved, CancelRequested>;

// An event as the ledger holds it: its sequence number (0 until appended),
// its event time (from the injected clock) and its body.
struct Event {
  uint64_t seq = 0;
  int64_t ts_ns = 0;
  EventBody body;
  bool operator==(const Event&) const = default;
};

}  // namespace apollo

#endif  // APOLLO_ENGINE_DOMAIN_EVENTS_H_
