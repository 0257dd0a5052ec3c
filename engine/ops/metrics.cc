// The metrics registry and its text exposition (Prometheus format 0.0.4):
//
//   # HELP <name> <help, with \ and newline escaped>
//   # TYPE <name> counter|gauge|histogram
//   <name>{<label>="<value, with \ " and newline escaped>",...} <number>
//   <name>_bucket{le="<bound>"} <cumulative count>   (histograms: each bound,
//   <name>_bucket{le="+Inf"} <count>                   then +Inf,
//   <name>_sum <sum>                                   sum and count)
//   <name>_count <count>
//
// Numbers: integral values as integers ("3"), others as the shortest text
// that reads back to the same double, and NaN, +Inf, -Inf.
#include "engine/ops/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

namespace apollo::ops {

struct Metrics::Family {
  struct Series {
    std::vector<std::string> label_values;
    // Exactly one is set, as `type` says.
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };

  std::string name;
  std::string help;  // the first registration's
  const char* type;  // "counter", "gauge" or "histogram"
  std::vector<std::string> label_names;
  std::deque<Series> series;  // registration order; a deque keeps references stable

  Series* Find(const std::vector<std::string>& label_values) {
    for (Series& s : series) {
      if (s.label_values == label_values) return &s;
    }
    return nullptr;
  }
};

namespace {

constexpr char kCounter[] = "counter";
constexpr char kGauge[] = "gauge";
constexpr char kHistogram[] = "histogram";

bool IsNameStart(char c, bool colon_ok) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':');
}
bool IsNameChar(char c, bool colon_ok) { return IsNameStart(c, colon_ok) || (c >= '0' && c <= '9'); }

// [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; label names have no ':'.
bool IsValidName(const std::string& name, bool colon_ok) {
  if (name.empty() || !IsNameStart(name[0], colon_ok)) return false;
  return std::all_of(name.begin() + 1, name.end(), [&](char c) { return IsNameChar(c, colon_ok); });
}

void CheckRegistration(const std::string& name, const std::string& help, const std::vector<std::string>& label_names,
                       const std::vector<std::string>& label_values) {
  if (!IsValidName(name, /*colon_ok=*/true)) {
    throw std::invalid_argument("metrics: invalid metric name \"" + name + "\" (must match [a-zA-Z_:][a-zA-Z0-9_:]*)");
  }
  if (help.empty()) throw std::invalid_argument("metrics: " + name + " has no help text");
  for (size_t i = 0; i < label_names.size(); ++i) {
    const std::string& label = label_names[i];
    if (!IsValidName(label, /*colon_ok=*/false) || label.starts_with("__")) {
      throw std::invalid_argument("metrics: " + name + ": invalid label name \"" + label +
                                  "\" (must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __)");
    }
    if (std::find(label_names.begin(), label_names.begin() + i, label) != label_names.begin() + i) {
      throw std::invalid_argument("metrics: " + name + ": label \"" + label + "\" given twice");
    }
  }
  if (label_values.size() != label_names.size()) {
    throw std::invalid_argument("metrics: " + name + ": " + std::to_string(label_names.size()) + " label names but " +
                                std::to_string(label_values.size()) + " label values");
  }
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) out += (i ? "," : "") + names[i];
  return out + "}";
}

// Sorted ascending, duplicates and +Inf (always implicit) removed.
std::vector<double> NormalizeBounds(std::vector<double> bounds) {
  for (double b : bounds) {
    if (std::isnan(b)) throw std::invalid_argument("metrics: histogram bucket bound is NaN");
  }
  std::erase_if(bounds, [](double b) { return b == INFINITY; });
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  return bounds;
}

void AppendNumber(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  std::to_chars_result r;
  // Every integral double below 2^63 in magnitude fits an int64_t exactly.
  if (v == std::trunc(v) && std::fabs(v) < 9223372036854775808.0) {
    r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
  } else {
    r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip
  }
  out.append(buf, r.ptr);
}

// Escapes backslash and newline, and the double quote when `quote`.
void AppendEscaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// "{a="x",b="y"}", or nothing when there are no labels; `le` is appended last.
void AppendLabels(std::string& out, const std::vector<std::string>& names, const std::vector<std::string>& values,
                  const char* le = nullptr) {
  if (names.empty() && le == nullptr) return;
  out += '{';
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += names[i];
    out += "=\"";
    AppendEscaped(out, values[i], /*quote=*/true);
    out += '"';
  }
  if (le != nullptr) {
    if (!names.empty()) out += ',';
    out += "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
}

void AppendCount(std::string& out, uint64_t n) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, n).ptr);
}

}  // namespace

void Counter::Inc(double by) {
  if (!(by > 0)) return;  // negative, zero or NaN: a counter never goes down
  double current = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(current, current + by, std::memory_order_relaxed)) {
    // `current` now holds the value another writer stored; retry from it.
  }
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(NormalizeBounds(std::move(upper_bounds))), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double v) {
  // The first bucket whose bound is >= v; NaN and values above every bound go to +Inf.
  size_t bucket = bounds_.size();
  if (!std::isnan(v)) bucket = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[bucket];
  sum_ += v;
  ++count_;
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot snap;
  snap.cumulative.reserve(counts_.size());
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t running = 0;
  for (uint64_t c : counts_) {
    running += c;
    snap.cumulative.push_back(running);
  }
  snap.sum = sum_;
  snap.count = count_;
  return snap;
}

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

// Called with mu_ held.
Metrics::Family& Metrics::FamilyFor(const std::string& name, const std::string& help, const char* type,
                                    const std::vector<std::string>& label_names) {
  for (const std::unique_ptr<Family>& f : families_) {
    if (f->name != name) continue;
    if (std::string_view(f->type) != type) {
      throw std::invalid_argument("metrics: " + name + " registered as a " + f->type + ", now as a " + type);
    }
    if (f->label_names != label_names) {
      throw std::invalid_argument("metrics: " + name + " registered with labels " + JoinNames(f->label_names) +
                                  ", now with " + JoinNames(label_names));
    }
    return *f;
  }
  auto family = std::make_unique<Family>();
  family->name = name;
  family->help = help;
  family->type = type;
  family->label_names = label_names;
  families_.push_back(std::move(family));
  return *families_.back();
}

Counter& Metrics::AddCounter(const std::string& name, const std::string& help,
                             const std::vector<std::string>& label_names,
                             const std::vector<std::string>& label_values) {
  CheckRegistration(name, help, label_names, label_values);
  std::lock_guard<std::mutex> lock(mu_);
  Family& family = FamilyFor(name, help, kCounter, label_names);
  if (Family::Series* s = family.Find(label_values)) return *s->counter;
  Family::Series& added = family.series.emplace_back();
  added.label_values = label_values;
  added.counter = std::make_unique<Counter>();
  return *added.counter;
}

Gauge& Metrics::AddGauge(const std::string& name, const std::string& help, const std::vector<std::string>& label_names,
                         const std::vector<std::string>& label_values) {
  CheckRegistration(name, help, label_names, label_values);
  std::lock_guard<std::mutex> lock(mu_);
  Family& family = FamilyFor(name, help, kGauge, label_names);
  if (Family::Series* s = family.Find(label_values)) return *s->gauge;
  Family::Series& added = family.series.emplace_back();
  added.label_values = label_values;
  added.gauge = std::make_unique<Gauge>();
  return *added.gauge;
}

Histogram& Metrics::AddHistogram(const std::string& name, const std::string& help, std::vector<double> upper_bounds) {
  CheckRegistration(name, help, {}, {});
  std::vector<double> bounds = NormalizeBounds(std::move(upper_bounds));
  std::lock_guard<std::mutex> lock(mu_);
  Family& family = FamilyFor(name, help, kHistogram, {});
  if (Family::Series* s = family.Find({})) {
    if (s->histogram->bounds() != bounds) {
      throw std::invalid_argument("metrics: histogram " + name + " registered again with different bucket bounds");
    }
    return *s->histogram;
  }
  Family::Series& added = family.series.emplace_back();
  added.histogram = std::make_unique<Histogram>(std::move(bounds));
  return *added.histogram;
}

std::string Metrics::Render() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::unique_ptr<Family>& f : families_) {
    out += "# HELP " + f->name + ' ';
    AppendEscaped(out, f->help, /*quote=*/false);
    out += "\n# TYPE " + f->name + ' ' + f->type + '\n';
    for (const Family::Series& s : f->series) {
      if (s.histogram == nullptr) {
        out += f->name;
        AppendLabels(out, f->label_names, s.label_values);
        out += ' ';
        AppendNumber(out, s.counter ? s.counter->value() : s.gauge->value());
        out += '\n';
        continue;
      }
      Histogram::Snapshot snap = s.histogram->Read();
      const std::vector<double>& bounds = s.histogram->bounds();
      for (size_t i = 0; i <= bounds.size(); ++i) {
        std::string le;
        AppendNumber(le, i < bounds.size() ? bounds[i] : INFINITY);
        out += f->name + "_bucket";
        AppendLabels(out, f->label_names, s.label_values, le.c_str());
        out += ' ';
        AppendCount(out, snap.cumulative[i]);
        out += '\n';
      }
      out += f->name + "_sum ";
      AppendNumber(out, snap.sum);
      out += '\n' + f->name + "_count ";
      AppendCount(out, snap.count);
      out += '\n';
    }
  }
  return out;
}

}  // namespace apollo::ops
