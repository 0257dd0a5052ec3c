// Vocabulary of the domain: typed ids and the enums events carry. Each enum's
// values are stored in the ledger as one byte and never renumbered; its names
// (EnumNames) are what JSON output and logs show.
#ifndef APOLLO_ENGINE_DOMAIN_TYPES_H_
#define APOLLO_ENGINE_DOMAIN_TYPES_H_

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <type_traits>

#include "absl/strings/string_view.h"

namespace apollo {

// A string id that cannot be mixed up with another kind of id.
template <class Tag>
struct StrongId {
  std::string value;
  auto operator<=>(const StrongId&) const = default;
  bool operator==(const StrongId&) const = default;
  bool empty() const { return value.empty(); }
};

using Symbol = StrongId<struct SymbolTag>;
// What a symbol's name may be (config, --data SYMBOL=FILE, a venue's
// listing): upper-case ASCII letters and digits, e.g. BTCUSDT.
inline bool IsSymbolName(absl::string_view text) {
  if (text.empty()) return false;
  for (char ch : text) {
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))) return false;
  }
  return true;
}
using ClientOrderId = StrongId<struct ClientOrderIdTag>;  // ours, <= 36 chars
using VenueOrderId = StrongId<struct VenueOrderIdTag>;    // the exchange's
using TradeId = StrongId<struct TradeIdTag>;              // the exchange's fill id

template <class T>
struct IsStrongId : std::false_type {};
template <class Tag>
struct IsStrongId<StrongId<Tag>> : std::true_type {};

// Names of an enum's values, indexed by value. Specialised beside each enum.
template <class E>
struct EnumNames;

template <class E>
absl::string_view EnumName(E value) {
  const auto& names = EnumNames<E>::kNames;
  const auto index = static_cast<size_t>(value);
  return index < names.size() ? names[index] : absl::string_view("UNKNOWN");
}

// Parses a name (as EnumName prints it); false if unknown.
template <class E>
bool ParseEnumName(absl::string_view name, E* out) {
  const auto& names = EnumNames<E>::kNames;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) {
      *out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

enum class Side : uint8_t { kBuy = 0, kSell = 1 };
template <>
struct EnumNames<Side> {
  static constexpr std::array<absl::string_view, 2> kNames = {"BUY", "SELL"};
};
inline Side Opposite(Side s) { return s == Side::kBuy ? Side::kSell : Side::kBuy; }

enum class OrderType : uint8_t { kMarket = 0, kLimit = 1, kStopMarket = 2, kTakeProfitMarket = 3 };
template <>
struct EnumNames<OrderType> {
  static constexpr std::array<absl::string_view, 4> kNames = {"MARKET", "LIMIT", "STOP_MARKET",
                                                              "TAKE_PROFIT_MARKET"};
};

// What an order is for; decides how its fills move the position.
enum class OrderPurpose : uint8_t { kEntry = 0, kStopLoss = 1, kTakeProfit = 2, kExit = 3 };
template <>
struct EnumNames<OrderPurpose> {
  static constexpr std::array<absl::string_view, 4> kNames = {"ENTRY", "STOP_LOSS", "TAKE_PROFIT",
                                                              "EXIT"};
};

// Order life cycle; see order_status.h for the transition table.
enum class OrderStatus : uint8_t {
  kPlaced = 0,  // intent journaled, request (to be) sent, venue has not answered
  kAccepted = 1,
  kPartiallyFilled = 2,
  kFilled = 3,
  kCancelled = 4,
  kRejected = 5,
  kExpired = 6,
};
template <>
struct EnumNames<OrderStatus> {
  static constexpr std::array<absl::string_view, 7> kNames = {
      "PLACED", "ACCEPTED", "PARTIALLY_FILLED", "FILLED", "CANCELLED", "REJECTED", "EXPIRED"};
};

enum class CloseReason : uint8_t {
  kStopLoss = 0,
  kTakeProfit = 1,
  kTrendInvalidation = 2,
  kTimeStop = 3,
  kReduceOnlyExit = 4,
  kKillSwitch = 5,
  kClosedExternally = 6,
  kWatchdogFlatten = 7,
  kOperatorClose = 8,  // POST /actions/close or /actions/flatten
  kSettlement = 9,     // an event contract's market settled (MarketSettled)
};
template <>
struct EnumNames<CloseReason> {
  static constexpr std::array<absl::string_view, 10> kNames = {
      "STOP_LOSS",         "TAKE_PROFIT", "TREND_INVALIDATION",  "TIME_STOP",
      "REDUCE_ONLY_EXIT",  "KILL_SWITCH", "CLOSED_EXTERNALLY",   "WATCHDOG_FLATTEN",
      "OPERATOR_CLOSE",    "SETTLEMENT"};
};

// What a symbol is (InstrumentDefined). A linear perpetual (Binance USDS-M)
// gains or loses qty x the price move, without bound; a binary event
// contract (Kalshi) is priced between its bounds and pays contract_value
// when its event happens and nothing otherwise, so a buy (long YES) risks
// price x qty and a sell (short YES, i.e. buying NO at 1 - price) risks
// (contract_value - price) x qty. A symbol without InstrumentDefined is a
// linear perpetual.
enum class InstrumentKind : uint8_t { kLinearPerpetual = 0, kBinaryEventContract = 1 };
template <>
struct EnumNames<InstrumentKind> {
  static constexpr std::array<absl::string_view, 2> kNames = {"LINEAR_PERPETUAL", "BINARY_EVENT_CONTRACT"};
};

// How a binary contract's YES is decided against its strikes (Kalshi's
// strike_type, with its names): greater (value > floor), greater_or_equal,
// less (value < cap), less_or_equal, between (floor <= value <= cap).
enum class StrikeType : uint8_t {
  kNone = 0,
  kGreater = 1,
  kGreaterOrEqual = 2,
  kLess = 3,
  kLessOrEqual = 4,
  kBetween = 5,
};
template <>
struct EnumNames<StrikeType> {
  static constexpr std::array<absl::string_view, 6> kNames = {"none", "greater",       "greater_or_equal",
                                                              "less", "less_or_equal", "between"};
};

// How an event contract's market settled (Kalshi's market_result).
enum class MarketResult : uint8_t { kYes = 0, kNo = 1 };
template <>
struct EnumNames<MarketResult> {
  static constexpr std::array<absl::string_view, 2> kNames = {"yes", "no"};
};

// The seed's ManualInterventionDetected actions.
enum class InterventionAction : uint8_t {
  kPositionOpenedExternally = 0,
  kPositionClosedExternally = 1,
  kPositionSizeChanged = 2,
  kOrderPlacedExternally = 3,
  kOrderMissingOnExchange = 4,
  kReconciliationFailureThreshold = 5,
  kHandlerException = 6,
  kExitNotFilled = 7,
  kProtectiveOrderMissing = 8,
  kTrailingStopUpdateFailed = 9,
  kOperatorPause = 10,
  kBalanceMismatch = 11,
};
template <>
struct EnumNames<InterventionAction> {
  static constexpr std::array<absl::string_view, 12> kNames = {
      "POSITION_OPENED_EXTERNALLY",      "POSITION_CLOSED_EXTERNALLY", "POSITION_SIZE_CHANGED",
      "ORDER_PLACED_EXTERNALLY",         "ORDER_MISSING_ON_EXCHANGE",
      "RECONCILIATION_FAILURE_THRESHOLD", "HANDLER_EXCEPTION",          "EXIT_NOT_FILLED",
      "PROTECTIVE_ORDER_MISSING",        "TRAILING_STOP_UPDATE_FAILED", "OPERATOR_PAUSE",
      "BALANCE_MISMATCH"};
};

// The differences a reconciliation pass reports (the other actions come
// from the engine, the watchdog or the operator).
constexpr bool IsReconciliationDiscrepancy(InterventionAction a) {
  return a == InterventionAction::kPositionOpenedExternally || a == InterventionAction::kPositionClosedExternally ||
         a == InterventionAction::kPositionSizeChanged || a == InterventionAction::kOrderPlacedExternally ||
         a == InterventionAction::kOrderMissingOnExchange || a == InterventionAction::kBalanceMismatch;
}

// The seed's risk rules (rejection reasons), plus the venue-filter rules.
enum class RiskRule : uint8_t {
  kApproved = 0,
  kCircuitBreakerActive = 1,
  kEquityBelowMinimum = 2,
  kDailyLossLimit = 3,
  kMaxDrawdown = 4,
  kMaxPositionsReached = 5,
  kLeverageExceedsLimit = 6,
  kSymbolAlreadyOpen = 7,
  kOpenOrderExists = 8,
  kStopLossMissing = 9,
  kStopTooWide = 10,
  kFundingTooHigh = 11,
  kNewsHighRisk = 12,
  kCooldownAfterLoss = 13,
  kCooldownAfterLossStreak = 14,
  kCooldownActive = 15,
  kSizeBelowMinNotional = 16,
  kMarginRatioHigh = 17,
  kTradingPaused = 18,
  kManualReviewRequired = 19,
  kMaxNotionalExceeded = 20,
  kConsecutiveLosses = 21,
  kPriceFilter = 22,
  kLotSize = 23,
  kAccountSettingFailed = 24,
  kSpreadTooWide = 25,
  kNewsMediumRisk = 26,
  kMaxOpenRisk = 27,       // binary contracts: what every open one can lose
  kCityExposure = 28,      // weather: what one city's can lose
  kClusterExposure = 29,   // weather: what one cluster's can lose
  kRejectRate = 30,        // weather: the venue refused too many orders lately (Milkbot's breaker)
};
template <>
struct EnumNames<RiskRule> {
  static constexpr std::array<absl::string_view, 31> kNames = {
      "APPROVED",
      "CIRCUIT_BREAKER_ACTIVE",
      "EQUITY_BELOW_MINIMUM",
      "DAILY_LOSS_LIMIT",
      "MAX_DRAWDOWN",
      "MAX_POSITIONS_REACHED",
      "LEVERAGE_EXCEEDS_LIMIT",
      "SYMBOL_ALREADY_OPEN",
      "OPEN_ORDER_EXISTS",
      "STOP_LOSS_MISSING",
      "STOP_TOO_WIDE",
      "FUNDING_TOO_HIGH",
      "NEWS_HIGH_RISK",
      "COOLDOWN_AFTER_LOSS",
      "COOLDOWN_AFTER_LOSS_STREAK",
      "COOLDOWN_ACTIVE",
      "SIZE_BELOW_MIN_NOTIONAL",
      "MARGIN_RATIO_HIGH",
      "TRADING_PAUSED",
      "MANUAL_REVIEW_REQUIRED",
      "MAX_NOTIONAL_EXCEEDED",
      "CONSECUTIVE_LOSSES",
      "PRICE_FILTER",
      "LOT_SIZE",
      "ACCOUNT_SETTING_FAILED",
      "SPREAD_TOO_WIDE",
      "NEWS_MEDIUM_RISK",
      "MAX_OPEN_RISK",
      "CITY_EXPOSURE",
      "CLUSTER_EXPOSURE",
      "REJECT_RATE"};
};

enum class NewsRisk : uint8_t { kLow = 0, kMedium = 1, kHigh = 2 };
template <>
struct EnumNames<NewsRisk> {
  static constexpr std::array<absl::string_view, 3> kNames = {"LOW", "MEDIUM", "HIGH"};
};

enum class Mode : uint8_t { kPaper = 0, kTestnet = 1, kLive = 2 };
template <>
struct EnumNames<Mode> {
  static constexpr std::array<absl::string_view, 3> kNames = {"paper", "testnet", "live"};
};

}  // namespace apollo

#endif  // APOLLO_ENGINE_DOMAIN_TYPES_H_
