// The performance fold behind backtest reports and export (see performance.h).
#include "replay/performance.h"

#include <utility>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/config/config.h"
#include "engine/domain/json.h"
#include "engine/domain/status_macros.h"
#include "ledger/event_log.h"

namespace apollo::replay {
namespace {

constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kNsPerDay = 86'400'000'000'000;
constexpr uint64_t kProgressEvery = 65536;

int64_t DayOf(int64_t ts_ns) { return ts_ns >= 0 ? ts_ns / kNsPerDay : (ts_ns + 1) / kNsPerDay - 1; }

Fixed OpenPnl(const State& s) {
  Fixed pnl;
  for (const auto& [symbol, p] : s.positions) {
    auto bar = s.last_bars.find(symbol);
    if (bar == s.last_bars.end()) continue;
    const Fixed move = p.side == Side::kBuy ? bar->second.close - p.entry_price : p.entry_price - bar->second.close;
    pnl += move.Mul(p.qty);
  }
  return pnl;
}

std::string Iso(int64_t ts_ns) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixNanos(ts_ns), absl::UTCTimeZone());
}
// A UTC day (days since the epoch) as 2023-01-02.
std::string Date(int64_t day) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(day * 86400), absl::UTCTimeZone());
}
// A drawdown as the exports show it: three decimals of a percent.
std::string Shown(Fixed drawdown_pct) { return drawdown_pct.RoundTo(Fixed::FromRaw(1000)).ToString(); }

class Measurer {
 public:
  Measurer(const PerformanceOptions& o, uint64_t head) : o_(o), head_(head) {}

  absl::Status OnEvent(const Event& e) {
    if (std::holds_alternative<CandleClose>(e.body)) TakePoint();
    Note(e);
    RETURN_IF_ERROR(Apply(p_.state, e));
    // A day closed by an event of the window (its daily_summary files).
    if (p_.state.last_day.day_utc >= 0 && (p_.days.empty() || p_.days.back().day_utc != p_.state.last_day.day_utc) &&
        InWindow(e.seq)) {
      p_.days.push_back(p_.state.last_day);
    }
    if (auto* c = std::get_if<CandleClose>(&e.body)) OnBar(*c, e.seq);
    if (auto* t = std::get_if<TradeCycleCompleted>(&e.body)) {
      point_seq_ = e.seq;
      // A late symbol's step or a new symbol's history closes an earlier
      // bar: the curve does not go back in time for it.
      point_ts_ns_ = std::max(point_ts_ns_, (t->bar_open_time_ms + interval_ms_) * kNsPerMs);
    }
    if (o_.progress && e.seq % kProgressEvery == 0) o_.progress(e.seq, head_);
    return absl::OkStatus();
  }

  Performance Finish() {
    TakePoint();
    const State& s = p_.state;
    ReportInput& in = p_.input;
    in.final_equity = p_.equity.empty() ? s.balance : p_.equity.back().equity;
    in.open_pnl = OpenPnl(s);
    in.fees = s.fees_paid - fees_at_start_;
    in.to_ns = last_close_ns_;
    for (const EquityRow& r : p_.equity) in.equity.push_back(EquityPoint{r.ts_ns, r.equity, r.in_market});
    if (!p_.daily.empty()) p_.daily.back().equity_close = in.final_equity;
    return std::move(p_);
  }

 private:
  bool InWindow(uint64_t seq) const { return seq >= o_.from_seq && seq <= o_.to_seq; }

  // What the events say before they are folded: trades and rule counts.
  void Note(const Event& e) {
    ReportInput& in = p_.input;
    if (auto* c = std::get_if<ConfigLoaded>(&e.body); c != nullptr && !p_.state.initialized) {
      in.initial_equity = c->initial_equity;
    }
    if (!InWindow(e.seq)) return;
    if (auto* o = std::get_if<PositionOpened>(&e.body)) opened_ns_[o->symbol] = e.ts_ns;
    if (auto* r = std::get_if<RiskRejected>(&e.body)) ++in.risk_rejections[std::string(EnumName(r->rule))];
    if (std::holds_alternative<CircuitBreakerTriggered>(e.body)) ++in.circuit_breaker_trips;
    if (auto* f = std::get_if<FundingPaid>(&e.body)) {
      in.funding += f->amount;
      Today(e.ts_ns, e.seq).funding += f->amount;
    }
    if (auto* c = std::get_if<PositionClosed>(&e.body)) {
      auto opened = opened_ns_.find(c->symbol);
      in.trades.push_back(TradeRow{e.seq, opened == opened_ns_.end() ? 0 : opened->second, e.ts_ns, c->symbol.value,
                                   c->side, c->qty, c->entry_price, c->exit_price, c->realized_pnl, c->fees,
                                   std::string(EnumName(c->reason))});
      Today(e.ts_ns, e.seq).realized_pnl += c->realized_pnl;
      ++Today(e.ts_ns, e.seq).trades;
    }
  }

  void OnBar(const CandleClose& c, uint64_t seq) {
    if (interval_ms_ == 0) interval_ms_ = config::ParseTimeframe(c.interval).value_or(300) * 1000;
    if (!InWindow(seq)) return;
    ReportInput& in = p_.input;
    if (in.bars++ == 0) {
      in.from_ns = c.open_time_ms * kNsPerMs;
      fees_at_start_ = fees_seen_ = p_.state.fees_paid;
      if (p_.state.initialized && in.initial_equity != p_.state.balance) in.initial_equity = p_.state.balance;
      peak_ = in.initial_equity;  // a loss on the first bar is a drawdown too
    }
    last_close_ns_ = (c.open_time_ms + interval_ms_) * kNsPerMs;
  }

  DailyRow& Today(int64_t ts_ns, uint64_t seq) {
    const int64_t day = DayOf(ts_ns);
    if (p_.daily.empty() || p_.daily.back().day != day) {
      if (!p_.daily.empty()) p_.daily.back().equity_close = last_equity_;
      p_.daily.push_back(DailyRow{day, seq, {}, {}, {}, {}, 0});
    }
    p_.daily.back().last_seq = seq;
    return p_.daily.back();
  }

  // The closed bar's equity, now that its effects are journaled.
  void TakePoint() {
    if (point_seq_ == 0) return;
    const uint64_t seq = std::exchange(point_seq_, 0);
    if (!InWindow(seq)) return;
    const State& s = p_.state;
    EquityRow r{seq, point_ts_ns_, {}, s.balance, OpenPnl(s), {}, !s.positions.empty()};
    r.equity = r.balance + r.open_pnl;
    if (r.equity > peak_) peak_ = r.equity;
    r.drawdown_pct = peak_.raw() > 0 ? (peak_ - r.equity).Div(peak_).Mul(Fixed::FromInt(100)) : Fixed();
    DailyRow& day = Today(r.ts_ns, seq);
    day.fees += s.fees_paid - fees_seen_;
    fees_seen_ = s.fees_paid;
    last_equity_ = r.equity;
    p_.equity.push_back(r);
  }

  const PerformanceOptions& o_;
  const uint64_t head_;
  Performance p_;
  int64_t interval_ms_ = 0;
  uint64_t point_seq_ = 0;
  int64_t point_ts_ns_ = 0, last_close_ns_ = 0;
  Fixed peak_, last_equity_, fees_at_start_, fees_seen_;
  absl::btree_map<Symbol, int64_t> opened_ns_;
};

}  // namespace

struct PerformanceMeter::Impl {
  Measurer measurer;
};

PerformanceMeter::PerformanceMeter(PerformanceOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>(Impl{Measurer(options_, 0)})) {}
PerformanceMeter::~PerformanceMeter() = default;

absl::Status PerformanceMeter::OnEvent(const Event& event) { return impl_->measurer.OnEvent(event); }
Performance PerformanceMeter::Finish() { return impl_->measurer.Finish(); }
Performance PerformanceMeter::Peek() const {
  Measurer copy = impl_->measurer;
  return copy.Finish();
}

absl::StatusOr<Performance> MeasurePerformance(const ledger::Ledger& ledger, const PerformanceOptions& options) {
  const uint64_t head = ledger.head().last_seq;
  Measurer m(options, head);
  if (head > 0) {
    RETURN_IF_ERROR(ledger.Scan(1, head, [&](const ledger::RecordView& r) -> absl::Status {
      ASSIGN_OR_RETURN(Event e, ledger::DecodeRecord(r));
      return m.OnEvent(e);
    }));
  }
  return m.Finish();
}

std::string EquityCsv(const std::vector<EquityRow>& rows) {
  std::string out = "seq,time,equity,balance,open_pnl,drawdown_pct\n";
  for (const EquityRow& r : rows) {
    absl::StrAppend(&out, r.seq, ",", Iso(r.ts_ns), ",", r.equity.ToString(), ",", r.balance.ToString(), ",",
                    r.open_pnl.ToString(), ",", Shown(r.drawdown_pct), "\n");
  }
  return out;
}

std::string DailyCsv(const std::vector<DailyRow>& rows) {
  std::string out = "date,realized_pnl,fees,funding,equity_close,trades\n";
  for (const DailyRow& r : rows) {
    absl::StrAppend(&out, Date(r.day), ",",
                    r.realized_pnl.ToString(), ",", r.fees.ToString(), ",", r.funding.ToString(), ",",
                    r.equity_close.ToString(), ",", r.trades, "\n");
  }
  return out;
}

std::string DailyJson(const Performance& p) {
  std::string out = "{\"days\":[";
  for (size_t i = 0; i < p.daily.size(); ++i) {
    const DailyRow& d = p.daily[i];
    absl::StrAppend(&out, i == 0 ? "" : ",", "{\"date\":\"",
                    Date(d.day),
                    "\",\"realized_pnl\":", d.realized_pnl.ToString(), ",\"fees\":", d.fees.ToString(),
                    ",\"funding\":", d.funding.ToString(),
                    ",\"net_pnl\":", (d.realized_pnl - d.fees + d.funding).ToString(),
                    ",\"equity_close\":", d.equity_close.ToString(), ",\"trades\":", d.trades, "}");
  }
  return out + "]}";
}

std::string EquityJson(const Performance& p, size_t max_points) {
  const std::vector<EquityRow>& rows = p.equity;
  size_t deepest = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].drawdown_pct > rows[deepest].drawdown_pct) deepest = i;
  }
  // Evenly every stride-th row, plus the last and the deepest: at most
  // max_points (>= 4) in all.
  const size_t stride =
      rows.size() <= max_points ? 1 : (rows.size() - 1 + (max_points - 3) - 1) / (max_points - 3);
  std::string out = "{\"points\":[";
  bool first = true;
  for (size_t i = 0; i < rows.size(); ++i) {
    const bool keep = i % stride == 0 || i + 1 == rows.size() || (i == deepest && stride > 1);
    if (!keep) continue;
    const EquityRow& r = rows[i];
    absl::StrAppend(&out, first ? "" : ",", "{\"seq\":", r.seq, ",\"time\":\"", Iso(r.ts_ns), "\",\"equity\":",
                    r.equity.ToString(), ",\"drawdown_pct\":", Shown(r.drawdown_pct),
                    "}");
    first = false;
  }
  return absl::StrCat(out, "],\"max_drawdown_pct\":",
                      rows.empty() ? "0" : Shown(rows[deepest].drawdown_pct),
                      ",\"count\":", rows.size(), "}");
}

std::string TradesJson(const Performance& p, size_t limit) {
  const std::vector<TradeRow>& trades = p.input.trades;
  std::string out = "{\"trades\":[";
  for (size_t n = 0; n < std::min(limit, trades.size()); ++n) {
    const TradeRow& t = trades[trades.size() - 1 - n];
    absl::StrAppend(&out, n == 0 ? "" : ",", "{\"seq\":", t.seq, ",\"time\":\"", Iso(t.close_ts_ns), "\",\"symbol\":");
    json::AppendString(&out, t.symbol);
    absl::StrAppend(&out, ",\"side\":\"", EnumName(t.side), "\",\"qty\":", t.qty.ToString(),
                    ",\"entry_price\":", t.entry_price.ToString(), ",\"exit_price\":", t.exit_price.ToString(),
                    ",\"realized_pnl\":", t.realized_pnl.ToString(), ",\"fees\":", t.fees.ToString(),
                    ",\"net_pnl\":", (t.realized_pnl - t.fees).ToString(), ",\"reason\":");
    json::AppendString(&out, t.reason);
    out += "}";
  }
  return out + "]}";
}

}  // namespace apollo::replay
