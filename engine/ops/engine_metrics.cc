// EngineMetrics: series and alerts from the engine's commits.
#include "engine/ops/engine_metrics.h"

#include "absl/strings/str_cat.h"

namespace apollo::ops {
namespace {

const std::vector<double> kAppendBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5};
const std::vector<double> kRestBuckets = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

double Seconds(int64_t from_ns, int64_t to_ns) { return from_ns <= 0 ? -1 : static_cast<double>(to_ns - from_ns) / 1e9; }

}  // namespace

EngineMetrics::EngineMetrics(Metrics* m, Alerter* alerter, Mode mode)
    : alerter_(alerter),
      mode_(mode),
      age_strategy_(m->AddGauge("loop_last_tick_age_sec", "Seconds since each engine loop last ran", {"loop"}, {"strategy"})),
      age_reconcile_(m->AddGauge("loop_last_tick_age_sec", "Seconds since each engine loop last ran", {"loop"}, {"reconcile"})),
      age_watchdog_(m->AddGauge("loop_last_tick_age_sec", "Seconds since each engine loop last ran", {"loop"}, {"watchdog"})),
      ws_connected_(m->AddGauge("ws_connected", "1 when the venue's WebSocket streams are connected (paper: 0, none used)")),
      ws_age_(m->AddGauge("ws_last_message_age_sec", "Seconds since the last WebSocket message (paper: 0)")),
      open_positions_(m->AddGauge("open_positions", "Open positions")),
      daily_pnl_pct_(m->AddGauge("daily_pnl_pct", "Realised PnL of the UTC day, percent of the day's starting equity")),
      max_drawdown_pct_(m->AddGauge("max_drawdown_pct", "Peak-to-trough drawdown of equity now, percent (the circuit breaker's measure)")),
      equity_(m->AddGauge("equity_usdt", "Account equity from the fold (initial equity + realised PnL - fees + funding)")),
      funding_received_(m->AddCounter("funding_received_total", "Funding received on open positions over the ledger, USDT (the seed's name)")),
      funding_paid_(m->AddCounter("funding_paid_total", "Funding paid on open positions over the ledger, USDT (the seed's name)")),
      net_funding_(m->AddGauge("net_funding", "Funding received less paid over the ledger, USDT")),
      reconciliation_failures_(m->AddGauge("reconciliation_consecutive_failures", "Failed reconciliation passes in a row")),
      rest_used_weight_(m->AddGauge("rest_rate_limit_used_weight", "X-MBX-USED-WEIGHT-1M of the last venue response")),
      rest_backoffs_(m->AddCounter("rest_rate_limit_backoffs_total", "Times the venue client backed off for rate limits")),
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
  venue_counts_["dropped/inbox"] = &m->AddCounter(
      "stream_messages_dropped_total", "Stream messages dropped at the bound of the engine's input queue");
  for (const char* file : {"bot.log", "trades.csv", "orders.csv", "thinking.jsonl"}) StorageFailures(file);
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
  Alert("storage_write_failed", file,
        absl::StrCat(file, " cannot be written (", what, "); trading goes on, the file is caught up from the ledger"));
}

void EngineMetrics::OnCommitted(absl::Span<const Event> events, const State& state, double append_seconds) {
  ledger_append_latency_.Observe(append_seconds);
  ledger_last_seq_.Set(static_cast<double>(state.last_seq));
  open_positions_.Set(static_cast<double>(state.positions.size()));
  daily_pnl_pct_.Set(state.DailyPnlPct().ToDouble());
  max_drawdown_pct_.Set(state.drawdown_pct.ToDouble());
  equity_.Set(state.balance.ToDouble());
  if (state.funding_received > funding_received_seen_) {
    funding_received_.Inc((state.funding_received - funding_received_seen_).ToDouble());
    funding_received_seen_ = state.funding_received;
  }
  if (state.funding_paid > funding_paid_seen_) {
    funding_paid_.Inc((state.funding_paid - funding_paid_seen_).ToDouble());
    funding_paid_seen_ = state.funding_paid;
  }
  net_funding_.Set((state.funding_received - state.funding_paid).ToDouble());
  reconciliation_failures_.Set(static_cast<double>(state.reconciliation_consecutive_failures));
  breaker_.Set(state.circuit_breaker.active ? 1 : 0);
  manual_review_.Set(state.manual_review.active ? 1 : 0);
  paused_.Set(state.paused.active ? 1 : 0);
  // The counter counts this process's recoveries: the first commit (the
  // start-up's) sets the baseline from what the ledger already holds.
  const double recoveries = static_cast<double>(state.counters.watchdog_recoveries);
  if (!baseline_set_) {
    watchdog_recoveries_seen_ = recoveries;
    baseline_set_ = true;
  }
  if (recoveries > watchdog_recoveries_seen_) {
    watchdog_recoveries_.Inc(recoveries - watchdog_recoveries_seen_);
    watchdog_recoveries_seen_ = recoveries;
  }
  for (const Event& e : events) {
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

void EngineMetrics::UpdateAges(const runtime::EngineView& view, int64_t now) {
  age_strategy_.Set(Seconds(view.last_step_wall_ns > 0 ? view.last_step_wall_ns : view.started_wall_ns, now));
  age_reconcile_.Set(Seconds(view.last_reconcile_wall_ns > 0 ? view.last_reconcile_wall_ns : view.started_wall_ns, now));
  age_watchdog_.Set(Seconds(view.last_watchdog_wall_ns > 0 ? view.last_watchdog_wall_ns : view.started_wall_ns, now));
  ws_connected_.Set(view.ws_connected ? 1 : 0);
  ws_age_.Set(view.ws_last_message_age_sec);
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
