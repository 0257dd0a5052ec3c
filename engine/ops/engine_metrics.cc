// EngineMetrics: series and alerts from the engine's commits.
#include "engine/ops/engine_metrics.h"

#include <sys/statvfs.h>

#include <cmath>

#include <limits>
#include <set>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "engine/risk/risk.h"
#include "engine/weather/cities.h"
#include "engine/weather/markets.h"

namespace apollo::ops {
namespace {

const std::vector<double> kAppendBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5};
const std::vector<double> kRestBuckets = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const std::vector<double> kSlippageBuckets = {-50, -20, -10, -5, -2, -1, 0, 1, 2, 5, 10, 20, 50, 100};
constexpr double kNsPerHour = 3.6e12;
constexpr int64_t kNsPerDay = 86'400'000'000'000;

// Gross profit over gross loss; +Inf with profits and no loss, 0 with neither.
double ProfitFactor(Fixed profit, Fixed loss) {
  if (loss.raw() > 0) return profit.ToDouble() / loss.ToDouble();
  return profit.raw() > 0 ? std::numeric_limits<double>::infinity() : 0.0;
}

// Adds to `counter` what `total` grew by since `seen`.
template <class T>
void CountUp(Counter& counter, T total, T& seen) {
  if (total > seen) {
    if constexpr (std::is_same_v<T, Fixed>) {
      counter.Inc((total - seen).ToDouble());
    } else {
      counter.Inc(static_cast<double>(total - seen));
    }
    seen = total;
  }
}

double Seconds(int64_t from_ns, int64_t to_ns) { return from_ns <= 0 ? -1 : static_cast<double>(to_ns - from_ns) / 1e9; }

}  // namespace

EngineMetrics::EngineMetrics(Metrics* m, Alerter* alerter, Mode mode)
    : alerter_(alerter),
      mode_(mode),
      age_strategy_(m->AddGauge("loop_last_tick_age_sec", "Seconds since each engine loop last ran", {"loop"}, {"strategy"})),
      age_reconcile_(m->AddGauge("loop_last_tick_age_sec", "Seconds since each engine loop last ran", {"loop"}, {"reconcile"})),
      age_watchdog_(m->AddGauge("loop_last_tick_age_sec", "Seconds since each engine loop last ran", {"loop"}, {"watchdog"})),
      step_interval_(m->AddGauge("loop_interval_seconds", "How often the strategy loop is due to step, seconds (the bar interval; a Kalshi run's decision interval)",
                                 {"loop"}, {"strategy"})),
      ws_connected_(m->AddGauge("ws_connected", "1 when the venue's WebSocket streams are connected (paper: 0, none used)")),
      ws_age_(m->AddGauge("ws_last_message_age_sec", "Seconds since the last WebSocket message (paper: 0)")),
      open_positions_(m->AddGauge("open_positions", "Open positions")),
      daily_pnl_pct_(m->AddGauge("daily_pnl_pct", "Realised PnL of the UTC day, percent of the day's starting equity")),
      max_drawdown_pct_(m->AddGauge("max_drawdown_pct", "Peak-to-trough drawdown of equity now, percent (the circuit breaker's measure)")),
      equity_(m->AddGauge("equity_usdt", "Account equity from the fold (initial equity + realised PnL - fees + funding)")),
      margin_ratio_(m->AddGauge("margin_ratio", "Initial margin the open positions hold (notional at the last close / leverage), percent of equity")),
      leverage_used_(m->AddGauge("leverage_used", "Notional of the open positions at the last close over equity")),
      spread_rejections_(m->AddCounter("spread_rejections_total", "Entries refused SPREAD_TOO_WIDE by this process")),
      funding_received_(m->AddCounter("funding_received_total", "Funding received on open positions over the ledger, USDT (the seed's name)")),
      funding_paid_(m->AddCounter("funding_paid_total", "Funding paid on open positions over the ledger, USDT (the seed's name)")),
      net_funding_(m->AddGauge("net_funding", "Funding received less paid over the ledger, USDT")),
      trades_closed_(m->AddCounter("trades_closed_total", "Closes over the ledger (a partial take-profit counts as one)")),
      fees_paid_(m->AddCounter("fees_paid_total", "Trading fees paid over the ledger, USDT")),
      reconciliation_success_(m->AddCounter("reconciliation_success_total", "Reconciliation passes completed over the ledger")),
      reconciliation_failure_(m->AddCounter("reconciliation_failure_total", "Reconciliation passes that could not read the venue, over the ledger")),
      expectancy_(m->AddGauge("expectancy_per_trade", "Mean net result (PnL less fees) per close over the ledger, USDT")),
      win_rate_(m->AddGauge("win_rate_pct", "Closes with a net gain, percent of all closes over the ledger")),
      time_in_market_(m->AddGauge("time_in_market_pct", "Time with a position open, percent of the ledger's span")),
      avg_holding_hours_(m->AddGauge("avg_holding_time_hours", "Mean time from a position's opening to each close, hours")),
      profit_factor_session_(m->AddGauge("profit_factor_session", "Gross profit / gross loss of the closes since this process started (+Inf: no loss)")),
      profit_factor_7d_(m->AddGauge("profit_factor_7d", "Gross profit / gross loss of the closes of the last 7 days (+Inf: no loss)")),
      profit_factor_30d_(m->AddGauge("profit_factor_30d", "Gross profit / gross loss of the closes of the last 30 days (+Inf: no loss)")),
      sharpe_(m->AddGauge("trading_sharpe_ratio",
                          "Per-trade Sharpe ratio of the last 30 days: mean / standard deviation of each close's net "
                          "result (0 with fewer than two closes)")),
      equity_drawdown_(m->AddGauge("equity_curve_drawdown_pct",
                                   "Drawdown of equity from its peak now, percent (max_drawdown_pct under the AI-TS runbook's name)")),
      disk_free_pct_(m->AddGauge("ledger_disk_free_pct", "Free space on the ledger's filesystem, percent (-1: unknown)")),
      bot_info_(m->AddGauge("bot_info", "1, labelled with the bot's mode (paper, testnet, live)", {"mode"},
                            {std::string(EnumName(mode))})),
      slippage_bps_(m->AddHistogram("slippage_bps", "Adverse slippage of each fill against its order's price (limit, trigger, or the last close for market orders), basis points", kSlippageBuckets)),
      last_reconciliation_age_hr_(m->AddGauge("last_reconciliation_age_hr", "Hours since the last completed reconciliation (-1: none yet)")),
      reconciliation_failures_(m->AddGauge("reconciliation_consecutive_failures", "Failed reconciliation passes in a row")),
      rest_used_weight_(m->AddGauge("rest_rate_limit_used_weight", "X-MBX-USED-WEIGHT-1M of the last venue response")),
      rest_backoffs_(m->AddCounter("rest_rate_limit_backoffs_total",
                                   "Times the venue client waited before a call or a retry (rate limits, 5xx, transport)")),
      rest_latency_(m->AddHistogram("rest_request_latency_seconds", "Venue REST request latency", kRestBuckets)),
      watchdog_recoveries_(m->AddCounter("watchdog_recoveries_total", "Protective orders re-placed by the watchdog")),
      breaker_(m->AddGauge("circuit_breaker_active", "1 while the circuit breaker holds trading")),
      manual_review_(m->AddGauge("manual_review_required", "1 while trading waits for ack-manual-review")),
      paused_(m->AddGauge("trading_paused", "1 while an operator pause holds trading")),
      ledger_last_seq_(m->AddGauge("ledger_last_seq", "Sequence number of the ledger's last event")),
      ledger_append_latency_(m->AddHistogram("ledger_append_latency_seconds", "Latency of one synced ledger append (one engine step)", kAppendBuckets)),
      submitted_accepted_(m->AddCounter("orders_submitted_total", "Orders sent to the venue, by its answer", {"result"}, {"accepted"})),
      submitted_rejected_(m->AddCounter("orders_submitted_total", "Orders sent to the venue, by its answer", {"result"}, {"rejected"})),
      submitted_filled_(m->AddCounter("orders_submitted_total", "Orders sent to the venue, by its answer", {"result"}, {"filled"})),
      metrics_(m) {
  bot_info_.Set(1);
  // Venue data the run refused, ignored or fetched again (paper: all 0).
  const char* refused_help = "Venue answers and stream messages refused as malformed (bad JSON or number), by source";
  for (const char* source : {"rest", "market", "user"}) {
    venue_counts_[absl::StrCat("refused/", source)] =
        &m->AddCounter("venue_payloads_refused_total", refused_help, {"source"}, {source});
  }
  const char* ignored_help = "Closed klines ignored because the ledger already has a bar at or after them, by reason";
  for (const char* reason : {"repeated", "older"}) {
    venue_counts_[absl::StrCat("ignored/", reason)] =
        &m->AddCounter("market_klines_ignored_total", ignored_help, {"reason"}, {reason});
  }
  venue_counts_["backfilled/"] = &m->AddCounter(
      "market_klines_backfilled_total", "Closed klines the market stream missed, fetched from REST and journaled");
  venue_counts_["partial/step"] = &m->AddCounter(
      "market_steps_partial_total",
      "Steps that went without some symbol's kline of their close time (it came over 3 s late, or not at all)");
  const char* news_help = "Reads of the news feeds (news.sources), by result; a failed read is logged as news_feed_failed";
  for (const char* result : {"read", "failed"}) {
    venue_counts_[absl::StrCat("news/", result)] = &m->AddCounter("news_feed_reads_total", news_help, {"result"}, {result});
  }
  venue_counts_["news_items/"] = &m->AddCounter("news_items_ingested_total", "News items journaled (NewsIngested), each once");
  venue_counts_["dropped/inbox"] = &m->AddCounter(
      "stream_messages_dropped_total", "Stream messages dropped at the bound of the engine's input queue");
  // Kalshi runs (0 elsewhere): its stream's books and commands, and NWS.
  venue_counts_["book_gap/"] = &m->AddCounter(
      "kalshi_book_gaps_total", "Kalshi order book messages lost (a seq gap, a snapshot out of turn): snapshots asked again");
  venue_counts_["book_rest/"] = &m->AddCounter(
      "kalshi_books_from_rest_total", "Market books a Kalshi step read over REST because the stream held none it trusted");
  venue_counts_["fee_unexpected/"] = &m->AddCounter(
      "kalshi_fees_unexpected_total",
      "Kalshi fills whose fee is more than a cent off the published schedule (kalshi_fee_unexpected log lines)");
  venue_counts_["stream_refused/"] = &m->AddCounter(
      "kalshi_stream_commands_refused_total", "Commands (subscribe, get_snapshot) the Kalshi stream answered with an error");
  const char* nws_help = "Reads of NWS forecasts by a Kalshi run, by result; a failed read is logged as nws_read_failed";
  for (const char* result : {"read", "failed"}) {
    venue_counts_[absl::StrCat("nws/", result)] = &m->AddCounter("nws_reads_total", nws_help, {"result"}, {result});
  }
  for (const char* file : {"bot.log", "trades.csv", "orders.csv", "thinking.jsonl", "daily_summary"}) StorageFailures(file);
  for (size_t i = 0; i < EnumNames<InterventionAction>::kNames.size(); ++i) {
    const auto action = static_cast<InterventionAction>(i);
    if (!IsReconciliationDiscrepancy(action)) continue;
    const std::string type(EnumName(action));
    discrepancies_[type] = &m->AddCounter("reconciliation_discrepancy_total",
                                          "Differences reconciliation found with the venue over the ledger, by type",
                                          {"type"}, {type});
  }
}

void EngineMetrics::SetPerformance(const State& state) {
  const TradeStats& st = state.stats;
  const uint64_t closes = state.counters.trades_closed;
  expectancy_.Set(closes == 0 ? 0 : (st.gross_profit - st.gross_loss).ToDouble() / static_cast<double>(closes));
  win_rate_.Set(closes == 0 ? 0 : 100.0 * static_cast<double>(state.counters.wins) / static_cast<double>(closes));
  avg_holding_hours_.Set(closes == 0 ? 0 : static_cast<double>(st.holding_ns) / kNsPerHour / static_cast<double>(closes));
  const int64_t span = state.last_ts_ns - st.first_ts_ns;
  const int64_t held = st.in_market_ns + (st.in_market_since_ns > 0 ? state.last_ts_ns - st.in_market_since_ns : 0);
  time_in_market_.Set(span <= 0 ? 0 : 100.0 * static_cast<double>(held) / static_cast<double>(span));
  profit_factor_session_.Set(ProfitFactor(st.gross_profit - session_gross_profit_, st.gross_loss - session_gross_loss_));
  for (auto [gauge, days] : {std::pair{&profit_factor_7d_, 7}, {&profit_factor_30d_, 30}}) {
    Fixed profit, loss;
    for (const ClosedResult& r : st.recent) {
      if (r.ts_ns < state.last_ts_ns - days * kNsPerDay) continue;
      (r.net.raw() < 0 ? loss : profit) += r.net.Abs();
    }
    gauge->Set(ProfitFactor(profit, loss));
  }
  // The closes of the last 30 days (TradeStats::recent holds no older ones).
  double sum = 0, sum_sq = 0;
  size_t n = 0;
  for (const ClosedResult& r : st.recent) {
    if (r.ts_ns < state.last_ts_ns - 30 * kNsPerDay) continue;
    const double x = r.net.ToDouble();
    sum += x;
    sum_sq += x * x;
    ++n;
  }
  double sharpe = 0;
  if (n >= 2) {
    const double mean = sum / static_cast<double>(n);
    const double var = (sum_sq - static_cast<double>(n) * mean * mean) / static_cast<double>(n - 1);
    sharpe = var > 0 ? mean / std::sqrt(var) : 0;
  }
  sharpe_.Set(sharpe);
  equity_drawdown_.Set(state.drawdown_pct.ToDouble());
}

void EngineMetrics::SetWeatherExposure(const State& state) {
  weather_seen_ = weather_seen_ || !state.instruments.empty();
  if (!weather_seen_) return;
  // What the open contracts could lose: Milkbot's risk report, as gauges
  // (each city and cluster of the city table, 0 when nothing is open there).
  const weather::Exposure exposure = weather::ExposureOf(state);
  auto of = [](const absl::btree_map<std::string, Fixed>& m, const std::string& key) {
    auto it = m.find(key);
    return it == m.end() ? 0.0 : it->second.ToDouble();
  };
  metrics_->AddGauge("weather_open_risk_usd", "What the open Kalshi contracts and entry orders could lose, dollars")
      .Set(exposure.total.ToDouble());
  std::set<std::string> clusters;
  for (const weather::City& city : weather::Cities()) {
    metrics_->AddGauge("weather_city_exposure_usd", "What the open contracts of one city could lose, dollars", {"city"},
                       {city.code})
        .Set(of(exposure.by_city, city.code));
    clusters.insert(city.cluster);
  }
  for (const std::string& cluster : clusters) {
    metrics_->AddGauge("weather_cluster_exposure_usd", "What the open contracts of one cluster of cities could lose, dollars",
                       {"cluster"}, {cluster})
        .Set(of(exposure.by_cluster, cluster));
  }
}

void EngineMetrics::UpdateDiskFree(const std::string& dir) {
  struct statvfs v {};
  disk_free_pct_.Set(::statvfs(dir.c_str(), &v) == 0 && v.f_blocks > 0
                         ? 100.0 * static_cast<double>(v.f_bavail) / static_cast<double>(v.f_blocks)
                         : -1);
}

void EngineMetrics::WatchRateGate(const net::RateGate* gate) {
  gate_ = gate;
  for (const net::ProviderStatus& p : gate->Snapshot()) {
    gate_series_[p.provider] = GateSeries{
        &metrics_->AddGauge("rate_gate_tokens", "Tokens (request weight) left in the rate gate's bucket", {"provider"},
                            {p.provider}),
        &metrics_->AddCounter("rate_gate_backoff_total",
                              "Times a provider asked the rate gate to wait (429, 418, its usage headers)", {"provider"},
                              {p.provider})};
  }
  UpdateRateGate();
}

void EngineMetrics::UpdateRateGate() {
  if (gate_ == nullptr) return;
  std::lock_guard<std::mutex> l(gate_mu_);
  for (const net::ProviderStatus& p : gate_->Snapshot()) {
    auto it = gate_series_.find(p.provider);
    if (it == gate_series_.end()) continue;
    it->second.tokens->Set(p.tokens);
    const double more = static_cast<double>(p.backoffs) - it->second.backoffs->value();
    if (more > 0) it->second.backoffs->Inc(more);
  }
}

void EngineMetrics::ObserveSlippage(const Event& e, const State& state) {
  if (auto* p = std::get_if<OrderPlaced>(&e.body)) {
    Fixed reference = p->price.raw() > 0 ? p->price : p->stop_price;
    if (reference.raw() <= 0) {
      auto bar = state.last_bars.find(p->symbol);
      if (bar != state.last_bars.end()) reference = bar->second.close;
    }
    if (reference.raw() > 0) references_[p->client_order_id.value] = Reference{p->side, reference};
    return;
  }
  const Fill* fill = std::get_if<OrderFilled>(&e.body);
  if (fill == nullptr) fill = std::get_if<OrderPartialFill>(&e.body);
  if (fill != nullptr) {
    auto it = references_.find(fill->client_order_id.value);
    if (it == references_.end()) return;
    const double ref = it->second.price.ToDouble();
    const double bps = (fill->price.ToDouble() - ref) / ref * 1e4;
    slippage_bps_.Observe(it->second.side == Side::kBuy ? bps : -bps);
  }
  // The order is done: filled, cancelled, rejected or expired.
  const ClientOrderId* done = nullptr;
  if (auto* f = std::get_if<OrderFilled>(&e.body)) done = &f->client_order_id;
  if (auto* c = std::get_if<OrderCancelled>(&e.body)) done = &c->client_order_id;
  if (auto* r = std::get_if<OrderRejected>(&e.body)) done = &r->client_order_id;
  if (auto* x = std::get_if<OrderExpired>(&e.body)) done = &x->client_order_id;
  if (done != nullptr) references_.erase(done->value);
}

void EngineMetrics::OnVenueCount(absl::string_view what, absl::string_view label, uint64_t n) {
  auto it = venue_counts_.find(absl::StrCat(what, "/", label));
  if (it != venue_counts_.end()) it->second->Inc(static_cast<double>(n));
}

Counter& EngineMetrics::StorageFailures(const std::string& file) {
  return metrics_->AddCounter("storage_write_failures_total",
                              "Times a log or projection file went from writable to failing (disk full, I/O error); trading goes on",
                              {"file"}, {file});
}

void EngineMetrics::OnStorageFault(const std::string& file, const std::string& what, bool recovered) {
  if (recovered) return;
  StorageFailures(file).Inc();
  const char* then = file == "daily_summary"
                         ? "the last day closed is written again at the next start; `replay export` writes every day"
                         : "the file is caught up from the ledger";
  Alert("storage_write_failed", file,
        absl::StrCat(file, " cannot be written (", what, "); trading goes on, ", then));
}

void EngineMetrics::OnCommitted(absl::Span<const Event> events, const State& state, double append_seconds) {
  ledger_append_latency_.Observe(append_seconds);
  ledger_last_seq_.Set(static_cast<double>(state.last_seq));
  open_positions_.Set(static_cast<double>(state.positions.size()));
  SetWeatherExposure(state);
  daily_pnl_pct_.Set(state.DailyPnlPct().ToDouble());
  max_drawdown_pct_.Set(state.drawdown_pct.ToDouble());
  equity_.Set(state.balance.ToDouble());
  const double equity = state.balance.ToDouble();
  margin_ratio_.Set(equity > 0 ? risk::PositionMargin(state).ToDouble() * 100 / equity : 0);
  leverage_used_.Set(equity > 0 ? risk::PositionNotional(state).ToDouble() / equity : 0);
  CountUp(funding_received_, state.funding_received, funding_received_seen_);
  CountUp(funding_paid_, state.funding_paid, funding_paid_seen_);
  net_funding_.Set((state.funding_received - state.funding_paid).ToDouble());
  CountUp(trades_closed_, state.counters.trades_closed, trades_seen_);
  CountUp(fees_paid_, state.fees_paid, fees_seen_);
  CountUp(reconciliation_success_, state.stats.reconciliations_ok, reconciliations_ok_seen_);
  CountUp(reconciliation_failure_, state.stats.reconciliations_failed, reconciliations_failed_seen_);
  for (const auto& [type, n] : state.stats.discrepancies) {
    auto counter = discrepancies_.find(type);
    if (counter != discrepancies_.end()) CountUp(*counter->second, n, discrepancies_seen_[type]);
  }
  reconciliation_failures_.Set(static_cast<double>(state.reconciliation_consecutive_failures));
  breaker_.Set(state.circuit_breaker.active ? 1 : 0);
  manual_review_.Set(state.manual_review.active ? 1 : 0);
  paused_.Set(state.paused.active ? 1 : 0);
  // The counter counts this process's recoveries: the first commit (the
  // start-up's) sets the baseline from what the ledger already holds.
  const double recoveries = static_cast<double>(state.counters.watchdog_recoveries);
  if (!baseline_set_) {
    watchdog_recoveries_seen_ = recoveries;
    session_gross_profit_ = state.stats.gross_profit;
    session_gross_loss_ = state.stats.gross_loss;
    baseline_set_ = true;
  }
  SetPerformance(state);
  if (recoveries > watchdog_recoveries_seen_) {
    watchdog_recoveries_.Inc(recoveries - watchdog_recoveries_seen_);
    watchdog_recoveries_seen_ = recoveries;
  }
  for (const Event& e : events) {
    ObserveSlippage(e, state);
    if (auto* r = std::get_if<RiskRejected>(&e.body); r != nullptr && r->rule == RiskRule::kSpreadTooWide) {
      spread_rejections_.Inc();
    }
    if (auto* b = std::get_if<CircuitBreakerTriggered>(&e.body)) {
      Alert("circuit_breaker", absl::StrCat(e.seq),
            absl::StrCat("Circuit breaker triggered (", EnumName(b->rule), "): ", b->reason,
                         ". Trading paused until ack-manual-review."));
    } else if (auto* m = std::get_if<ManualInterventionDetected>(&e.body)) {
      std::string what;
      for (const Discrepancy& d : m->discrepancies) {
        absl::StrAppend(&what, what.empty() ? "" : "; ", EnumName(d.action), " ", d.symbol.value, " ", d.detail);
      }
      Alert("manual_intervention", absl::StrCat(e.seq),
            absl::StrCat("Manual intervention detected: ", what, ". Trading paused until ack-manual-review."));
    }
  }
}

void EngineMetrics::OnSubmitted(const Order& order, const venue::Reports& reports) {
  bool accepted = false, rejected = false, filled = false;
  for (const EventBody& r : reports) {
    accepted |= std::holds_alternative<OrderAccepted>(r);
    rejected |= std::holds_alternative<OrderRejected>(r);
    filled |= std::holds_alternative<OrderFilled>(r);
  }
  if (rejected) submitted_rejected_.Inc();
  else if (filled) submitted_filled_.Inc();
  else if (accepted) submitted_accepted_.Inc();
}

void EngineMetrics::SetStepInterval(double seconds) { step_interval_.Set(seconds); }

void EngineMetrics::UpdateAges(const runtime::EngineView& view, int64_t now) {
  age_strategy_.Set(Seconds(view.last_step_wall_ns > 0 ? view.last_step_wall_ns : view.started_wall_ns, now));
  age_reconcile_.Set(Seconds(view.last_reconcile_wall_ns > 0 ? view.last_reconcile_wall_ns : view.started_wall_ns, now));
  age_watchdog_.Set(Seconds(view.last_watchdog_wall_ns > 0 ? view.last_watchdog_wall_ns : view.started_wall_ns, now));
  ws_connected_.Set(view.ws_connected ? 1 : 0);
  ws_age_.Set(view.ws_last_message_age_sec);
  last_reconciliation_age_hr_.Set(view.last_reconcile_wall_ns > 0
                                      ? static_cast<double>(now - view.last_reconcile_wall_ns) / kNsPerHour
                                      : -1);
}

void EngineMetrics::OnRestRequest(double latency_seconds, int64_t used_weight_1m) {
  rest_latency_.Observe(latency_seconds);
  if (used_weight_1m >= 0) rest_used_weight_.Set(static_cast<double>(used_weight_1m));
}

void EngineMetrics::OnRestBackoff(bool banned) {
  rest_backoffs_.Inc();
  if (banned) Alert("venue_banned", "418", "Binance answered 418 (IP banned): no requests until the ban ends.");
}

void EngineMetrics::OnProcessEvent(const std::string& kind, const std::string& text) {
  const bool fault = kind == "ledger_fault" || kind == "ledger_disk_full" || kind == "engine_halted";
  if (fault || mode_ == Mode::kLive) Alert(kind, text, text);
}

void EngineMetrics::Alert(const std::string& kind, const std::string& incident, const std::string& text) {
  if (alerter_ != nullptr) alerter_->Raise(kind, incident, absl::StrCat("[apollo ", EnumName(mode_), "] ", text));
}

}  // namespace apollo::ops
