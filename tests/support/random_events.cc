// Random valid event streams.
#include "tests/support/random_events.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"

namespace apollo::testing {

RandomEventStream::RandomEventStream(uint64_t seed) : rng_(seed) {}

Symbol RandomEventStream::PickSymbol() {
  static const char* kSymbols[] = {"BTCUSDT", "ETHUSDT", "SOLUSDT"};
  return Symbol{kSymbols[Uniform(3)]};
}

Fixed RandomEventStream::Price(int64_t base) {
  return Fixed::FromRaw(base * Fixed::kScale + static_cast<int64_t>(Uniform(100'000'000'000)));
}

EventBody RandomEventStream::OrderReportFor(const Order& o) {
  const Fixed left = o.qty - o.filled_qty;
  const Fixed fee = Fixed::FromRaw(static_cast<int64_t>(Uniform(5'000'000)));
  Fill fill{o.client_order_id, TradeId{absl::StrCat("t", next_id_++)}, Price(20000), left, fee};
  switch (Uniform(o.status == OrderStatus::kPlaced ? 6 : 4)) {
    case 0:
      if (left > Fixed::FromRaw(1)) {
        fill.qty = Fixed::FromRaw(left.raw() / 2);
        return OrderPartialFill{fill};
      }
      return OrderFilled{fill};
    case 1: return OrderFilled{fill};
    case 2: return OrderCancelled{o.client_order_id, "OCO"};
    case 3: return OrderExpired{o.client_order_id, "GTD"};
    case 4: return OrderAccepted{o.client_order_id, VenueOrderId{absl::StrCat(next_id_++)}};
    default: return OrderRejected{o.client_order_id, -2019, "Margin is insufficient."};
  }
}

EventBody RandomEventStream::Body() {
  if (!state_.initialized) {
    return ConfigLoaded{"cafe", "test", Fixed::FromInt(10'000), {}, {}, {}};
  }
  const Symbol sym = PickSymbol();
  const Side side = Uniform(2) ? Side::kBuy : Side::kSell;
  switch (Uniform(24)) {
    case 0: case 1: case 2: {
      bar_ms_ += 300'000;
      return CandleClose{sym, "5m", bar_ms_, Price(20000), Price(20100), Price(19900), Price(20000),
                         Price(100)};
    }
    case 3:
      return SignalComputed{sym, "trend_following_v1", side, Fixed::FromRaw(60'000'000),
                            Fixed::FromRaw(70'000'000), "breakout above 20-bar high",
                            {{"ema_fast", Price(20000)}, {"ema_slow", Price(19900)}, {"atr", Price(50)}}};
    case 4:
      return TradeProposed{sym, side, OrderType::kLimit, Fixed::FromRaw(1'000'000), Price(20000),
                           Price(19900), Price(20200), Fixed::FromInt(2), state_.last_seq};
    case 5:
      if (Uniform(2)) return RiskApproved{sym, state_.last_seq, {{"risk_pct", Fixed::FromRaw(75'000'000)}}};
      return RiskRejected{sym, state_.last_seq, RiskRule::kMaxPositionsReached, "1 of 1 open",
                          {{"open_positions", Fixed::FromInt(1)}, {"max_positions", Fixed::FromInt(1)}}};
    case 6: case 7: {
      const auto purpose = static_cast<OrderPurpose>(Uniform(4));
      return OrderPlaced{ClientOrderId{absl::StrCat("ap-", next_id_++, "-E")}, sym, side,
                         static_cast<OrderType>(Uniform(4)), purpose,
                         Fixed::FromRaw(static_cast<int64_t>(1 + Uniform(50'000'000))), Price(20000),
                         Price(19000), purpose != OrderPurpose::kEntry, ClientOrderId{}};
    }
    case 8: case 9: case 10:
      if (!state_.orders.empty()) {
        auto it = state_.orders.begin();
        std::advance(it, Uniform(state_.orders.size()));
        return OrderReportFor(it->second);
      }
      if (auto it = state_.positions.find(sym); it != state_.positions.end() && Uniform(2)) {
        const Position& p = it->second;
        const Fixed mark = Price(20000), rate = Fixed::FromRaw(static_cast<int64_t>(Uniform(40'000)) - 20'000);
        return FundingPaid{sym, p.side, p.qty, mark, rate, FundingAmount(p.side, p.qty, mark, rate), bar_ms_};
      }
      if (Uniform(2)) {
        const Fixed bid = Price(20000);
        return MarketTick{sym, bid, bid + Fixed::FromInt(10), bar_ms_, Fixed(), Fixed()};
      }
      return FundingUpdate{sym, Fixed::FromRaw(10'000), Price(20000), bar_ms_};
    case 11: {
      auto it = state_.positions.find(sym);
      if (it == state_.positions.end()) {
        return PositionOpened{sym, side, Fixed::FromRaw(static_cast<int64_t>(2 + Uniform(10'000'000))),
                              Price(20000), Price(19800), Price(20400), Fixed::FromInt(2),
                              ClientOrderId{"ap-entry"}};
      }
      if (Uniform(2)) {
        return PositionUpdated{sym, it->second.qty, it->second.entry_price, Price(19900),
                               it->second.take_profit, "TRAILING_STOP"};
      }
      const Fixed qty = Uniform(3) == 0 ? Fixed::FromRaw(it->second.qty.raw() / 2) : it->second.qty;
      const auto pnl = static_cast<int64_t>(Uniform(400)) - 220;
      return PositionClosed{sym, it->second.side, qty.is_zero() ? it->second.qty : qty,
                            it->second.entry_price, Price(20000),
                            Fixed::FromInt(pnl), Fixed::FromRaw(30'000'000),
                            static_cast<CloseReason>(Uniform(9))};
    }
    case 12:
      if (Uniform(2)) {
        return NewsIngested{"coindesk", absl::StrCat("guid-", Uniform(1000)), "Exchange \"hacked\"", "Funds drained.",
                            "https://example.org/a", bar_ms_, bar_ms_ + 1000};
      }
      return NewsClassified{sym, "Exchange hacked", "hack_exploit", NewsRisk::kHigh, Fixed::FromRaw(90'000'000),
                            ts_ns_ + 3'600'000'000'000 * static_cast<int64_t>(Uniform(30))};
    case 13:
      return StopTriggered{sym, ClientOrderId{"ap-9-S"}, Price(19800)};
    case 14: {
      const uint64_t k = Uniform(3);
      if (k == 0) return ProtectiveOrdersVerified{sym, ClientOrderId{"ap-1-S"}, ClientOrderId{"ap-1-T"}};
      if (k == 1) return ProtectiveOrdersMissing{sym, true, Uniform(2) == 1};
      return ProtectiveOrdersReplaced{sym, ClientOrderId{"ap-2-S"}, ClientOrderId{"ap-2-T"}};
    }
    case 15:
      if (Uniform(2)) return ReconciliationCompleted{1, 2, Price(10000)};
      return ReconciliationFailed{"venue unavailable"};
    case 16:
      return ManualInterventionDetected{{Discrepancy{InterventionAction::kPositionClosedExternally, sym,
                                                     ClientOrderId{}, Fixed::FromInt(1), Fixed(), "gone"}}};
    case 17:
      return ManualReviewAcknowledged{"cli", "checked on the venue"};
    case 18:
      return CircuitBreakerTriggered{RiskRule::kConsecutiveLosses, "3 losses in a row",
                                     {{"consecutive_losses", Fixed::FromInt(3)}}};
    case 19:
      if (Uniform(4) == 0) return OperatorAction{"api@127.0.0.1", "drill", "cancel_all", Symbol{}, "cancelling 0 orders"};
      if (Uniform(8) == 0) return PolicyChanged{"ops/policies.yaml", "", "start", {{"risk.max_positions", Fixed::FromInt(1)}}};
      if (Uniform(8) == 0) return StrategyWeightsChanged{"api", "drill", {{"trend_following_v1", Fixed::FromInt(1)}}};
      if (state_.paused.active) return TradingResumed{"api", "done"};
      return TradingPaused{"api", "maintenance"};
    case 20:
      return TradeCycleCompleted{bar_ms_, static_cast<uint32_t>(Uniform(3)), static_cast<uint32_t>(Uniform(3))};
    case 21:
      return state_.running ? EventBody(SystemStopped{"SIGTERM"}) : EventBody(SystemStarted{Mode::kPaper, "test"});
    case 22:
      return ConfigLoaded{"beef", "test", Fixed::FromInt(10'000), {}, {}, {}};
    default:
      return TradeCycleCompleted{bar_ms_, 0, 0};
  }
}

Event RandomEventStream::Next() {
  ts_ns_ += static_cast<int64_t>(Uniform(3'600'000'000'000));  // up to an hour
  Event e{state_.last_seq + 1, ts_ns_, Body()};
  if (absl::Status st = Apply(state_, e); !st.ok()) {
    std::cerr << "generator produced an invalid event: " << st << "\n";
    std::abort();
  }
  return e;
}

std::vector<Event> OneOfEach() {
  const Symbol btc{"BTCUSDT"};
  const ClientOrderId entry{"ap-5-E"}, sl{"ap-9-S"}, tp{"ap-9-T"};
  std::vector<EventBody> bodies = {
      SystemStarted{Mode::kPaper, "v1"},
      ConfigLoaded{"abc123", "v1", Fixed::FromInt(10'000), "risk.max_drawdown_pct = 10\nrun.symbol = BTCUSDT\n",
                   "trend_following_v1", "1"},
      InstrumentFiltersUpdated{btc, "exchangeInfo", InstrumentFilters{Fixed::FromRaw(10'000'000), Fixed::FromRaw(100'000),
                                                                     Fixed::FromRaw(100'000), Fixed::FromInt(1000),
                                                                     Fixed::FromInt(5)}},
      CandleClose{btc, "5m", 1'672'675'500'000, Fixed::FromInt(16650), Fixed::FromInt(16700),
                  Fixed::FromInt(16600), Fixed::FromRaw(1'667'050'000'000), Fixed::FromRaw(123'456'000)},
      FundingUpdate{btc, Fixed::FromRaw(10'000), Fixed::FromInt(16650), 1'672'675'200'000},
      NewsClassified{btc, "Major exchange \"hacked\"\n", "hack_exploit", NewsRisk::kHigh,
                     Fixed::FromRaw(90'000'000), 1'700'000'000'000'000'000},
      SignalComputed{btc, "trend_following_v1", Side::kBuy, Fixed::FromRaw(62'000'000),
                     Fixed::FromRaw(70'000'000), "breakout", {{"atr", Fixed::FromInt(50)}}},
      TradeProposed{btc, Side::kBuy, OrderType::kMarket, Fixed::FromRaw(1'000'000), Fixed::FromInt(16650),
                    Fixed::FromInt(16550), Fixed::FromInt(16850), Fixed::FromInt(2), 6},
      RiskApproved{btc, 7, {{"risk_pct", Fixed::FromRaw(75'000'000)}}},
      RiskRejected{btc, 7, RiskRule::kNewsHighRisk, "news block", {}},
      OrderPlaced{entry, btc, Side::kBuy, OrderType::kMarket, OrderPurpose::kEntry, Fixed::FromRaw(2'000'000),
                  Fixed(), Fixed(), false, ClientOrderId{}},
      OrderAccepted{entry, VenueOrderId{"8886774"}},
      OrderPartialFill{{entry, TradeId{"t1"}, Fixed::FromInt(16650), Fixed::FromRaw(1'000'000), Fixed::FromRaw(666'000)}},
      OrderFilled{{entry, TradeId{"t2"}, Fixed::FromInt(16651), Fixed::FromRaw(1'000'000), Fixed::FromRaw(666'040)}},
      PositionOpened{btc, Side::kBuy, Fixed::FromRaw(2'000'000), Fixed::FromRaw(1'665'050'000'000),
                     Fixed::FromInt(16550), Fixed::FromInt(16850), Fixed::FromInt(2), entry},
      OrderPlaced{sl, btc, Side::kSell, OrderType::kStopMarket, OrderPurpose::kStopLoss, Fixed::FromRaw(2'000'000),
                  Fixed(), Fixed::FromInt(16550), true, entry},
      OrderPlaced{tp, btc, Side::kSell, OrderType::kTakeProfitMarket, OrderPurpose::kTakeProfit,
                  Fixed::FromRaw(2'000'000), Fixed(), Fixed::FromInt(16850), true, entry},
      ProtectiveOrdersVerified{btc, sl, tp},
      PositionUpdated{btc, Fixed::FromRaw(2'000'000), Fixed::FromRaw(1'665'050'000'000), Fixed::FromInt(16600),
                      Fixed::FromInt(16850), "TRAILING_STOP"},
      StopTriggered{btc, sl, Fixed::FromInt(16600)},
      OrderFilled{{sl, TradeId{"t3"}, Fixed::FromInt(16600), Fixed::FromRaw(2'000'000), Fixed::FromRaw(1'328'000)}},
      OrderCancelled{tp, "OCO"},
      PositionClosed{btc, Side::kBuy, Fixed::FromRaw(2'000'000), Fixed::FromRaw(1'665'050'000'000),
                     Fixed::FromInt(16600), Fixed::FromRaw(-101'000'000),
                     Fixed::FromRaw(2'660'040), CloseReason::kStopLoss},
      ProtectiveOrdersMissing{btc, true, false},
      ProtectiveOrdersReplaced{btc, sl, tp},
      OrderPlaced{ClientOrderId{"ap-30-E"}, btc, Side::kSell, OrderType::kLimit, OrderPurpose::kEntry,
                  Fixed::FromRaw(1'000'000), Fixed::FromInt(17000), Fixed(), false, ClientOrderId{}},
      CancelRequested{ClientOrderId{"ap-30-E"}, "REPRICE"},
      OrderExpired{ClientOrderId{"ap-30-E"}, "GTD"},
      OrderPlaced{ClientOrderId{"ap-32-E"}, btc, Side::kSell, OrderType::kLimit, OrderPurpose::kEntry,
                  Fixed::FromRaw(1'000'000), Fixed::FromInt(17000), Fixed(), false, ClientOrderId{}},
      OrderRejected{ClientOrderId{"ap-32-E"}, -2019, "Margin is insufficient."},
      ReconciliationSnapshot{{SnapshotPosition{btc, Side::kBuy, Fixed::FromRaw(2'000'000), Fixed::FromInt(16650)}},
                             {SnapshotOrder{sl, btc, true, Side::kSell, Fixed::FromRaw(2'000'000)}},
                             Fixed::FromInt(9898),
                             {SnapshotForeignFill{btc, Fixed::FromRaw(1'000'000), Fixed::FromInt(16600), Fixed::FromRaw(66'400)}},
                             Fixed::FromRaw(100'000), Fixed::FromInt(5)},
      ReconciliationCompleted{0, 0, Fixed::FromInt(9898)},
      ReconciliationFailed{"timeout"},
      ManualInterventionDetected{{Discrepancy{InterventionAction::kPositionOpenedExternally, btc,
                                              ClientOrderId{}, Fixed(), Fixed::FromRaw(1'000'000), "opened by hand"}}},
      ManualReviewAcknowledged{"cli", "closed by hand on purpose"},
      CircuitBreakerTriggered{RiskRule::kMaxDrawdown, "drawdown 10.2% >= 10%", {{"drawdown_pct", Fixed::FromRaw(1'020'000'000)}}},
      CooldownStarted{RiskRule::kDailyLossLimit, 1'672'762'200'000'000'000, "daily loss -3.1% reached the limit",
                      {{"daily_pnl_pct", Fixed::FromRaw(-310'000'000)}}},
      UniverseUpdated{"recorded_bars",
                      {UniverseCandidate{btc, 18'000'000'000, Fixed::FromInt(5), Fixed::FromRaw(1'000'000), true, 1, true, "KEPT"},
                       UniverseCandidate{Symbol{"ADAUSDT"}, 40'000'000, Fixed::FromInt(5), Fixed(), false, 2, false,
                                         "LOW_QUOTE_VOLUME"}},
                      {btc}},
      AccountSettingUpdated{btc, "leverage", "2", "set"},
      AccountSettingFailed{btc, "margin_type", "ISOLATED", -4048, "Margin type cannot be changed if there exists position."},
      FundingPaid{btc, Side::kBuy, Fixed::FromRaw(200'000), Fixed::FromInt(16850), Fixed::FromRaw(10'000),
                  Fixed::FromRaw(-337'000), 1'672'675'200'000},
      EntrySkipped{btc, Side::kBuy, ClientOrderId{"ap-p42-E"}, Fixed::FromRaw(200'000), Fixed(), Fixed::FromInt(16840),
                   "ENTRY_EXPIRED", 900},
      MarketTick{btc, Fixed::FromInt(16849), *Fixed::Parse("16849.1"), 1'672'675'200'000, Fixed(), Fixed()},
      NewsIngested{"coindesk", "9aef2b42-3854-4f38-8336-c157cc2d05a1", "Upbit hack puts Binance\u2019s freeze policy under scrutiny",
                   "", "https://www.coindesk.com/x", 1'765'578'018'000, 1'765'580'000'000},
      TradingPaused{"api", "maintenance"},
      TradingResumed{"api", "maintenance done"},
      InstrumentDefined{Symbol{"KXHIGHNY-25MAR29-B81.5"}, "recorded",
                        Instrument{InstrumentKind::kBinaryEventContract, *Fixed::Parse("0.01"), *Fixed::Parse("0.99"),
                                   {PriceBand{*Fixed::Parse("0.01"), *Fixed::Parse("0.99"), *Fixed::Parse("0.01")}},
                                   Fixed::FromInt(1),
                                   ContractTerms{"KXHIGHNY", "KXHIGHNY-25MAR29", "2025-03-29", StrikeType::kBetween,
                                                 Fixed::FromInt(81), Fixed::FromInt(82), 1'743'307'140'000,
                                                 1'743'343'200'000, "81\u00b0 to 82\u00b0"}}},
      ForecastObserved{"NYC", "KNYC", "2025-03-29", Fixed::FromInt(80), *Fixed::Parse("6.57"), 1'672'675'800'000, "standin",
                       "normal 57.9 F blended with yesterday's 81 F"},
      MarketSettled{Symbol{"KXHIGHNY-25MAR29-B81.5"}, MarketResult::kNo, Fixed(), 1'743'343'200'000, "recorded"},
      OperatorAction{"api@127.0.0.1", "exchange incident", "close", btc, "closing 1 position (BTCUSDT)"},
      ClientIdNonceRotated{"", "k3x9q2za", "bot restore"},
      PolicyChanged{"ops/policies.yaml", std::string(64, 'a'), "sighup",
                    {{"max_concurrent_signals", Fixed::FromInt(1)}, {"risk.max_drawdown_pct", Fixed::FromInt(8)}}},
      StrategyWeightsChanged{"api@127.0.0.1", "gradual resume", {{"trend_following_v1", *Fixed::Parse("0.1")}}},
      TradeCycleCompleted{1'672'675'500'000, 1, 1, 40, 1'672'675'800'000'000'000},
      SystemStopped{"SIGTERM"},
  };
  std::vector<Event> events;
  int64_t ts = 1'672'675'800'000'000'000;
  for (auto& b : bodies) {
    events.push_back(Event{events.size() + 1, ts, std::move(b)});
    ts += 1'000'000'000;
  }
  return events;
}

}  // namespace apollo::testing
