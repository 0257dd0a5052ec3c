// Tests for the metrics registry: the exact text exposition of each type,
// escaping, number formatting, registration rules, concurrent writers with a
// reader, and that `promtool check metrics` accepts what we render.
#include "engine/ops/metrics.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>

#include "tests/support/temp_dir.h"

namespace apollo::ops {
namespace {

constexpr char kPromtool[] = "/usr/bin/promtool";

TEST(MetricsTest, CounterRendersHelpTypeAndIntegralValue) {
  Metrics m;
  Counter& c = m.AddCounter("fills_total", "Fills received");
  c.Inc();
  c.Inc(2);
  EXPECT_EQ(m.Render(),
            "# HELP fills_total Fills received\n"
            "# TYPE fills_total counter\n"
            "fills_total 3\n");
}

TEST(MetricsTest, LabelledGaugeRendersEachSeriesInRegistrationOrder) {
  Metrics m;
  m.AddGauge("loop_last_tick_age_seconds", "Seconds since the loop last ticked", {"loop"}, {"strategy"}).Set(0.25);
  m.AddGauge("loop_last_tick_age_seconds", "Seconds since the loop last ticked", {"loop"}, {"watchdog"}).Set(-1.5);
  EXPECT_EQ(m.Render(),
            "# HELP loop_last_tick_age_seconds Seconds since the loop last ticked\n"
            "# TYPE loop_last_tick_age_seconds gauge\n"
            "loop_last_tick_age_seconds{loop=\"strategy\"} 0.25\n"
            "loop_last_tick_age_seconds{loop=\"watchdog\"} -1.5\n");
}

TEST(MetricsTest, HistogramRendersSortedDedupedBucketsThenInfSumAndCount) {
  Metrics m;
  Histogram& h = m.AddHistogram("append_latency_seconds", "Append latency", {0.01, 0.005, 0.01, 1});
  h.Observe(0.005);  // on a bound: counts in that bucket (le = less or equal)
  h.Observe(0.007);
  h.Observe(3);
  EXPECT_EQ(m.Render(),
            "# HELP append_latency_seconds Append latency\n"
            "# TYPE append_latency_seconds histogram\n"
            "append_latency_seconds_bucket{le=\"0.005\"} 1\n"
            "append_latency_seconds_bucket{le=\"0.01\"} 2\n"
            "append_latency_seconds_bucket{le=\"1\"} 2\n"
            "append_latency_seconds_bucket{le=\"+Inf\"} 3\n"
            "append_latency_seconds_sum 3.012\n"
            "append_latency_seconds_count 3\n");
}

TEST(MetricsTest, FamiliesRenderOnceEachInRegistrationOrder) {
  Metrics m;
  m.AddGauge("open_positions", "Open positions").Set(2);
  m.AddCounter("orders_submitted_total", "Orders sent", {"result"}, {"accepted"}).Inc(4);
  m.AddHistogram("rest_request_latency_seconds", "REST latency", {0.1});
  m.AddCounter("orders_submitted_total", "Orders sent", {"result"}, {"rejected"}).Inc();
  EXPECT_EQ(m.Render(),
            "# HELP open_positions Open positions\n"
            "# TYPE open_positions gauge\n"
            "open_positions 2\n"
            "# HELP orders_submitted_total Orders sent\n"
            "# TYPE orders_submitted_total counter\n"
            "orders_submitted_total{result=\"accepted\"} 4\n"
            "orders_submitted_total{result=\"rejected\"} 1\n"
            "# HELP rest_request_latency_seconds REST latency\n"
            "# TYPE rest_request_latency_seconds histogram\n"
            "rest_request_latency_seconds_bucket{le=\"0.1\"} 0\n"
            "rest_request_latency_seconds_bucket{le=\"+Inf\"} 0\n"
            "rest_request_latency_seconds_sum 0\n"
            "rest_request_latency_seconds_count 0\n");
}

TEST(MetricsTest, LabelValuesEscapeBackslashQuoteAndNewlineAndHelpEscapesBackslashAndNewline) {
  Metrics m;
  m.AddGauge("g", "line one\nC:\\path \"quoted\"", {"a", "b"}, {"x\\y", "say \"hi\"\nbye"}).Set(1);
  EXPECT_EQ(m.Render(),
            "# HELP g line one\\nC:\\\\path \"quoted\"\n"
            "# TYPE g gauge\n"
            "g{a=\"x\\\\y\",b=\"say \\\"hi\\\"\\nbye\"} 1\n");
}

TEST(MetricsTest, NumbersAreIntegersWhenIntegralElseShortestRoundTrip) {
  Metrics m;
  auto render = [&](double v) {
    Metrics r;
    r.AddGauge("g", "h").Set(v);
    std::string body = r.Render();
    std::string last = body.substr(body.rfind("g ") + 2);
    return last.substr(0, last.size() - 1);  // without '\n'
  };
  EXPECT_EQ(render(3), "3");
  EXPECT_EQ(render(-2), "-2");
  EXPECT_EQ(render(-0.0), "0");
  EXPECT_EQ(render(1e6), "1000000");
  EXPECT_EQ(render(1234567890123.0), "1234567890123");
  EXPECT_EQ(render(0.1), "0.1");
  EXPECT_EQ(render(0.0012), "0.0012");
  EXPECT_EQ(render(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(std::stod(render(1.0 / 3)), 1.0 / 3);
  EXPECT_EQ(render(1e-7), "1e-07");
  EXPECT_EQ(render(1e300), "1e+300");
  EXPECT_EQ(render(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(render(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(render(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfEqualToCountAndExactSum) {
  Histogram h({1, 2, 4});
  for (double v : {0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 8.0, 16.0}) h.Observe(v);
  Histogram::Snapshot s = h.Read();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2, 4, 6, 8}));
  EXPECT_EQ(s.cumulative.back(), s.count);
  EXPECT_EQ(s.count, 8u);
  EXPECT_EQ(s.sum, 36.0);
}

TEST(MetricsTest, HistogramDropsExplicitInfBoundAndCountsNaNOnlyInInf) {
  Histogram h({std::numeric_limits<double>::infinity(), 1});
  EXPECT_EQ(h.bounds(), std::vector<double>{1});
  h.Observe(std::numeric_limits<double>::quiet_NaN());
  Histogram::Snapshot s = h.Read();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{0, 1}));
  EXPECT_TRUE(std::isnan(s.sum));
  EXPECT_THROW(Histogram({std::nan("")}), std::invalid_argument);
}

TEST(MetricsTest, ReRegistrationReturnsTheSameSeries) {
  Metrics m;
  Counter& a = m.AddCounter("orders_submitted_total", "Orders sent", {"result"}, {"accepted"});
  Counter& b = m.AddCounter("orders_submitted_total", "Orders sent", {"result"}, {"rejected"});
  EXPECT_EQ(&a, &m.AddCounter("orders_submitted_total", "Orders sent", {"result"}, {"accepted"}));
  EXPECT_NE(&a, &b);
  Gauge& g = m.AddGauge("ws_connected", "1 while connected");
  EXPECT_EQ(&g, &m.AddGauge("ws_connected", "1 while connected"));
  Histogram& h = m.AddHistogram("lat_seconds", "Latency", {0.1, 1});
  EXPECT_EQ(&h, &m.AddHistogram("lat_seconds", "Latency", {1, 0.1, 1}));  // same bounds once normalised
  a.Inc();
  m.AddCounter("orders_submitted_total", "Orders sent", {"result"}, {"accepted"}).Inc();
  EXPECT_EQ(a.value(), 2);
}

TEST(MetricsTest, MisregistrationThrowsInvalidArgument) {
  Metrics m;
  m.AddCounter("orders_submitted_total", "Orders sent", {"result"}, {"accepted"});
  m.AddHistogram("lat_seconds", "Latency", {0.1});
  // Label names must not change for a name.
  EXPECT_THROW(m.AddCounter("orders_submitted_total", "Orders sent", {"outcome"}, {"accepted"}),
               std::invalid_argument);
  EXPECT_THROW(m.AddCounter("orders_submitted_total", "Orders sent"), std::invalid_argument);
  // Nor the type, nor a histogram's bounds.
  EXPECT_THROW(m.AddGauge("orders_submitted_total", "Orders sent", {"result"}, {"accepted"}),
               std::invalid_argument);
  EXPECT_THROW(m.AddHistogram("lat_seconds", "Latency", {0.2}), std::invalid_argument);
  // Invalid names, label names, value counts and empty help.
  EXPECT_THROW(m.AddGauge("1bad", "h"), std::invalid_argument);
  EXPECT_THROW(m.AddGauge("bad-name", "h"), std::invalid_argument);
  EXPECT_THROW(m.AddGauge("", "h"), std::invalid_argument);
  EXPECT_THROW(m.AddGauge("g", "h", {"a:b"}, {"x"}), std::invalid_argument);
  EXPECT_THROW(m.AddGauge("g", "h", {"__reserved"}, {"x"}), std::invalid_argument);
  EXPECT_THROW(m.AddGauge("g", "h", {"a", "a"}, {"x", "y"}), std::invalid_argument);
  EXPECT_THROW(m.AddGauge("g", "h", {"a"}, {}), std::invalid_argument);
  EXPECT_THROW(m.AddGauge("g", "", {}, {}), std::invalid_argument);
  // Valid edge cases are accepted.
  EXPECT_NO_THROW(m.AddGauge("ns:sub_metric", "h", {"_x9"}, {""}));
}

TEST(MetricsTest, CounterIgnoresNegativeZeroAndNaNIncrements) {
  Counter c;
  c.Inc(5);
  c.Inc(-3);
  c.Inc(0);
  c.Inc(std::nan(""));
  EXPECT_EQ(c.value(), 5);
}

// Parses the value of the first line starting with `prefix` in a body.
double ValueAfter(const std::string& body, const std::string& prefix) {
  size_t at = body.find("\n" + prefix);
  if (at == std::string::npos) return -1;
  at += 1 + prefix.size();
  return std::stod(body.substr(at, body.find('\n', at) - at));
}

TEST(MetricsTest, ConcurrentWritersLoseNoIncrementsWhileAReaderRenders) {
  constexpr int kPerThread = 100000;
  Metrics m;
  Counter& c = m.AddCounter("ticks_total", "Ticks");
  Histogram& h = m.AddHistogram("work_seconds", "Work", {0.5});
  std::atomic<int> writers_done{0};
  auto writer = [&] {
    for (int i = 0; i < kPerThread; ++i) {
      c.Inc();
      h.Observe(1);
    }
    writers_done.fetch_add(1);
  };
  std::thread w1(writer), w2(writer);
  int renders = 0;
  double last_seen = 0;
  bool monotonic = true;
  // The reader renders until both writers finish (the loop is bounded by
  // them), at least once even if they finished first.
  do {
    std::string body = m.Render();
    double seen = ValueAfter(body, "ticks_total ");
    monotonic = monotonic && seen >= last_seen && seen <= 2 * kPerThread;
    last_seen = seen;
    ++renders;
  } while (writers_done.load() < 2);
  w1.join();
  w2.join();
  EXPECT_TRUE(monotonic);
  EXPECT_GT(renders, 0);
  EXPECT_EQ(c.value(), 2 * kPerThread);
  std::string body = m.Render();
  EXPECT_EQ(ValueAfter(body, "ticks_total "), 2 * kPerThread);
  EXPECT_EQ(ValueAfter(body, "work_seconds_bucket{le=\"+Inf\"} "), 2 * kPerThread);
  EXPECT_EQ(ValueAfter(body, "work_seconds_count "), 2 * kPerThread);
  EXPECT_EQ(ValueAfter(body, "work_seconds_sum "), 2 * kPerThread);
}

struct PromtoolResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `promtool check metrics < file` and captures everything it prints.
PromtoolResult CheckWithPromtool(const std::string& body) {
  apollo::testing::TempDir dir;
  const std::string path = dir.Sub("metrics.prom");
  {
    std::ofstream file(path, std::ios::binary);
    file << body;
  }
  const std::string command = std::string(kPromtool) + " check metrics < '" + path + "' 2>&1";
  PromtoolResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    result.output = "popen failed";
    return result;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) result.output.append(buf, n);
  int status = pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

// A registry with every type, labelled series, and awkward values.
void FillEveryType(Metrics& m, const std::string& age_suffix) {
  m.AddCounter("orders_submitted_total", "Orders sent to the venue", {"result"}, {"accepted"}).Inc(7);
  m.AddCounter("orders_submitted_total", "Orders sent to the venue", {"result"}, {"rejected \"risk\"\n\\"}).Inc();
  m.AddGauge("loop_last_tick_age_" + age_suffix, "Age of the loop's last tick", {"loop"}, {"strategy"}).Set(0.125);
  m.AddGauge("ws_last_message_age_" + age_suffix, "Age of the last WebSocket message").Set(3);
  m.AddGauge("ws_connected", "1 while the market-data socket is up").Set(1);
  m.AddGauge("daily_pnl_pct", "Today's PnL, percent\nof equity \\ start").Set(-0.3);
  m.AddGauge("max_drawdown_pct", "Worst drawdown, percent").Set(std::numeric_limits<double>::quiet_NaN());
  m.AddGauge("rest_rate_limit_remaining", "Requests left").Set(std::numeric_limits<double>::infinity());
  Histogram& h = m.AddHistogram("rest_request_latency_seconds", "REST latency", {0.005, 0.05, 0.5, 5});
  for (double v : {0.001, 0.01, 0.2, 9.0}) h.Observe(v);
  m.AddHistogram("ledger_append_latency_seconds", "Synced append latency", {0.0005, 0.001});
}

TEST(MetricsTest, PromtoolAcceptsTheRenderedBody) {
  if (access(kPromtool, X_OK) != 0) GTEST_SKIP() << kPromtool << " not found (Debian's prometheus package; make deps)";
  Metrics m;
  FillEveryType(m, "seconds");
  const std::string body = m.Render();
  PromtoolResult r = CheckWithPromtool(body);
  EXPECT_EQ(r.exit_code, 0) << "promtool said:\n" << r.output << "\nbody:\n" << body;
  EXPECT_EQ(r.output, "") << "body:\n" << body;
}

// The runbook's names `loop_last_tick_age_sec` and `ws_last_message_age_sec`
// (DESIGN.md §7, engine_metrics.cc) parse, but promtool's linter objects to
// the abbreviated unit and exits 3. This pins that those names are the only
// complaint, so the body itself is well formed.
TEST(MetricsTest, PromtoolObjectsOnlyToTheRunbookSecAbbreviation) {
  if (access(kPromtool, X_OK) != 0) GTEST_SKIP() << kPromtool << " not found (Debian's prometheus package; make deps)";
  Metrics m;
  FillEveryType(m, "sec");
  const std::string body = m.Render();
  PromtoolResult r = CheckWithPromtool(body);
  EXPECT_EQ(r.exit_code, 3) << "promtool said:\n" << r.output << "\nbody:\n" << body;
  EXPECT_EQ(r.output,
            "loop_last_tick_age_sec metric names should not contain abbreviated units\n"
            "ws_last_message_age_sec metric names should not contain abbreviated units\n")
      << "body:\n" << body;
}

}  // namespace
}  // namespace apollo::ops
