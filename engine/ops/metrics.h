// Prometheus metrics, written by us: a small registry of counters, gauges
// and histograms (optionally with label values), rendered in the text
// exposition format 0.0.4 that `promtool check metrics` accepts.
//
//   Metrics m;
//   Gauge& open = m.AddGauge("open_positions", "Open positions");
//   Histogram& lat = m.AddHistogram("ledger_append_latency_seconds", "Synced append latency",
//                                   {0.0005, 0.001, 0.005, 0.01, 0.05});
//   Counter& orders = m.AddCounter("orders_submitted_total", "Orders sent", {"result"}, {"accepted"});
//   open.Set(1); lat.Observe(0.0012); orders.Inc();
//   std::string body = m.Render();
//
// Writers (the engine thread) and the reader (the HTTP thread) may run at
// once: every value is atomic, registration happens before serving.
#ifndef APOLLO_ENGINE_OPS_METRICS_H_
#define APOLLO_ENGINE_OPS_METRICS_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace apollo::ops {

class Counter {
 public:
  void Inc(double by = 1);
  double value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v); }
  double value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double v);
  // Cumulative counts per bound (+Inf last), sum and count, read together.
  struct Snapshot {
    std::vector<uint64_t> cumulative;
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Read() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; last is +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  // Out of line: Family is complete only in metrics.cc.
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Each name (with its label values) is registered once; registering the
  // same series again returns the existing one. Label names per metric name
  // must not change. Names must match [a-zA-Z_:][a-zA-Z0-9_:]*.
  Counter& AddCounter(const std::string& name, const std::string& help,
                      const std::vector<std::string>& label_names = {},
                      const std::vector<std::string>& label_values = {});
  Gauge& AddGauge(const std::string& name, const std::string& help,
                  const std::vector<std::string>& label_names = {},
                  const std::vector<std::string>& label_values = {});
  Histogram& AddHistogram(const std::string& name, const std::string& help, std::vector<double> upper_bounds);

  // The text exposition: # HELP and # TYPE once per name, then its series.
  std::string Render() const;

 private:
  struct Family;
  Family& FamilyFor(const std::string& name, const std::string& help, const char* type,
                    const std::vector<std::string>& label_names);
  mutable std::mutex mu_;
  std::deque<std::unique_ptr<Family>> families_;
};

}  // namespace apollo::ops

#endif  // APOLLO_ENGINE_OPS_METRICS_H_
