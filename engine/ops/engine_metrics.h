// The engine's metrics and alerts: an EngineObserver that keeps the
// Prometheus series of the runbook up to date from what the engine commits,
// and raises an alert once per incident (circuit breaker, manual
// intervention, process start/stop in live mode).
//
//   ops::Metrics metrics;
//   ops::EngineMetrics observer(&metrics, alerter.get(), Mode::kPaper);
//   deps.observer = &observer;
//   observer.UpdateAges(view, now_ns);  // before each scrape
#ifndef APOLLO_ENGINE_OPS_ENGINE_METRICS_H_
#define APOLLO_ENGINE_OPS_ENGINE_METRICS_H_

#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "engine/net/rate_gate.h"
#include "engine/ops/alerts.h"
#include "engine/ops/metrics.h"
#include "engine/runtime/engine.h"
#include "engine/runtime/view.h"

namespace apollo::ops {

class EngineMetrics : public runtime::EngineObserver {
 public:
  // `alerter` may be null (no webhooks configured).
  EngineMetrics(Metrics* metrics, Alerter* alerter, Mode mode);

  void OnCommitted(absl::Span<const Event> events, const State& state, double append_seconds) override;
  void OnSubmitted(const Order& order, const venue::Reports& reports) override;

  // The age gauges, computed at scrape time from the engine's heartbeats.
  void UpdateAges(const runtime::EngineView& view, int64_t now_wall_ns);
  // loop_interval_seconds{loop="strategy"}: how often the strategy loop is due
  // to step (the bar interval; a Kalshi run's decision interval), so an
  // alert on loop_last_tick_age_sec can scale with it.
  void SetStepInterval(double seconds);
  // ledger_disk_free_pct: free space on the filesystem under `dir`, at
  // scrape time (-1 when it cannot be read).
  void UpdateDiskFree(const std::string& dir);
  // Each venue REST request (any thread): latency and the used weight
  // header (-1 when absent).
  void OnRestRequest(double latency_seconds, int64_t used_weight_1m);
  // A wait of the venue client before a call or a retry (rate limits, 5xx,
  // transport), or `banned` for a 418 (alerted once).
  void OnRestBackoff(bool banned);
  // Venue data counts (live::LiveOptions::on_count): refused payloads,
  // ignored and backfilled klines, stream messages dropped. Any thread.
  void OnVenueCount(absl::string_view what, absl::string_view label, uint64_t n);
  // rate_gate_tokens{provider} and rate_gate_backoff_total{provider} for
  // each provider of `gate` (not owned; outlives this), registered now,
  // before the metrics are served; read from it by UpdateRateGate.
  void WatchRateGate(const net::RateGate* gate);
  void UpdateRateGate();  // at scrape time; any thread
  // Process start/stop and engine faults (alerted in every mode for faults,
  // in live mode for start/stop).
  void OnProcessEvent(const std::string& kind, const std::string& text);
  // A log or projection file failed to take a write (counted, alerted once
  // per failure) or takes writes again. Any thread.
  void OnStorageFault(const std::string& file, const std::string& what, bool recovered);

 private:
  Counter& StorageFailures(const std::string& file);
  // The seed's performance gauges, from the fold's TradeStats.
  void SetPerformance(const State& state);
  // Adverse slippage of each fill against its order's reference price.
  void ObserveSlippage(const Event& e, const State& state);
  void Alert(const std::string& kind, const std::string& incident, const std::string& text);

  Alerter* alerter_;
  Mode mode_;
  Gauge &age_strategy_, &age_reconcile_, &age_watchdog_, &step_interval_;
  Gauge &ws_connected_, &ws_age_;
  Gauge &open_positions_, &daily_pnl_pct_, &max_drawdown_pct_, &equity_, &margin_ratio_, &leverage_used_;
  Counter& spread_rejections_;
  // Counters of the ledger's totals: the first commit adds what the ledger
  // already holds, each later one what was paid or received since.
  Counter &funding_received_, &funding_paid_;
  Gauge& net_funding_;
  Fixed funding_received_seen_, funding_paid_seen_;
  Counter &trades_closed_, &fees_paid_, &reconciliation_success_, &reconciliation_failure_;
  absl::flat_hash_map<std::string, Counter*> discrepancies_;  // by type, all registered at construction
  // What the ledger-total counters above have counted so far.
  Fixed fees_seen_;
  uint64_t trades_seen_ = 0, reconciliations_ok_seen_ = 0, reconciliations_failed_seen_ = 0;
  absl::flat_hash_map<std::string, uint64_t> discrepancies_seen_;
  Gauge &expectancy_, &win_rate_, &time_in_market_, &avg_holding_hours_;
  Gauge &profit_factor_session_, &profit_factor_7d_, &profit_factor_30d_;
  Gauge &sharpe_, &equity_drawdown_, &disk_free_pct_, &bot_info_;
  Fixed session_gross_profit_, session_gross_loss_;  // at this process's first commit
  Histogram& slippage_bps_;
  struct Reference {
    Side side = Side::kBuy;
    Fixed price;
  };
  absl::flat_hash_map<std::string, Reference> references_;  // open orders, by client order id
  Gauge& last_reconciliation_age_hr_;
  Gauge &reconciliation_failures_, &rest_used_weight_;
  Counter& rest_backoffs_;
  Histogram& rest_latency_;
  Counter& watchdog_recoveries_;
  Gauge &breaker_, &manual_review_, &paused_;
  Gauge& ledger_last_seq_;
  Histogram& ledger_append_latency_;
  Counter &submitted_accepted_, &submitted_rejected_, &submitted_filled_;
  Metrics* metrics_;
  // "what/label" -> counter, all registered at construction (read-only after).
  absl::flat_hash_map<std::string, Counter*> venue_counts_;
  double watchdog_recoveries_seen_ = 0;
  bool baseline_set_ = false;
  // Sets the weather strategy's exposure gauges (a Kalshi run's, from its
  // first listed market on; a Binance run has none).
  void SetWeatherExposure(const State& state);
  bool weather_seen_ = false;
  struct GateSeries {
    Gauge* tokens;
    Counter* backoffs;
  };
  const net::RateGate* gate_ = nullptr;
  std::mutex gate_mu_;  // two scrapes at once must not both add a backoff
  absl::flat_hash_map<std::string, GateSeries> gate_series_;
};

}  // namespace apollo::ops

#endif  // APOLLO_ENGINE_OPS_ENGINE_METRICS_H_
