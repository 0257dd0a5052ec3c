// Live vs backtest trade comparison; see compare.h.
#include "replay/compare.h"

#include <map>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "engine/domain/events.h"
#include "engine/domain/status_macros.h"
#include "ledger/event_log.h"

namespace apollo::replay {
namespace {

struct Open {
  RunTrade trade;
  Fixed remaining;
  Fixed closed_qty, exit_value;  // for the average exit price
};

class TradeReader {
 public:
  absl::Status OnEvent(const Event& e) {
    if (auto* c = std::get_if<CandleClose>(&e.body)) bar_ms_[c->symbol] = c->open_time_ms;
    if (auto* t = std::get_if<TradeProposed>(&e.body)) proposal_[t->symbol] = {bar_ms_[t->symbol], t->entry_price};
    if (auto* o = std::get_if<OrderPlaced>(&e.body)) symbol_of_[o->client_order_id] = o->symbol;
    if (auto* f = std::get_if<OrderFilled>(&e.body)) Filled(*f);
    if (auto* f = std::get_if<OrderPartialFill>(&e.body)) Filled(*f);
    if (auto* p = std::get_if<PositionOpened>(&e.body)) Opened(*p);
    if (auto* c = std::get_if<PositionClosed>(&e.body)) Closed(*c);
    return absl::OkStatus();
  }
  std::vector<RunTrade> Finish() {
    for (auto& [symbol, o] : open_) done_.push_back(std::move(o.trade));
    return std::move(done_);
  }

 private:
  void Filled(const Fill& f) {
    auto s = symbol_of_.find(f.client_order_id);
    if (s == symbol_of_.end()) return;
    ++fills_since_[s->second];
    if (auto o = open_.find(s->second); o != open_.end()) ++o->second.trade.fills;
  }
  void Opened(const PositionOpened& p) {
    Open o;
    o.trade.symbol = p.symbol.value;
    o.trade.side = p.side;
    o.trade.qty = o.remaining = p.qty;
    o.trade.entry_price = p.entry_price;
    auto prop = proposal_.find(p.symbol);
    if (prop != proposal_.end()) std::tie(o.trade.decided_bar_ms, o.trade.proposed_price) = prop->second;
    o.trade.fills = std::exchange(fills_since_[p.symbol], 0);
    open_[p.symbol] = std::move(o);
  }
  void Closed(const PositionClosed& c) {
    auto it = open_.find(c.symbol);
    if (it == open_.end()) return;
    Open& o = it->second;
    o.trade.realized_pnl += c.realized_pnl;
    o.trade.fees += c.fees;
    o.closed_qty += c.qty;
    o.exit_value += c.exit_price.Mul(c.qty);
    o.remaining -= c.qty;
    if (o.remaining.raw() > 0) return;
    o.trade.exit_price = o.exit_value.Div(o.closed_qty);
    o.trade.closed = true;
    done_.push_back(std::move(o.trade));
    open_.erase(it);
    fills_since_[c.symbol] = 0;
  }

  absl::btree_map<Symbol, int64_t> bar_ms_;
  absl::btree_map<Symbol, std::pair<int64_t, Fixed>> proposal_;
  absl::btree_map<ClientOrderId, Symbol> symbol_of_;
  absl::btree_map<Symbol, uint64_t> fills_since_;
  absl::btree_map<Symbol, Open> open_;
  std::vector<RunTrade> done_;
};

std::string Time(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

std::string Money(Fixed v) { return absl::StrFormat("%.2f", v.ToDouble()); }

struct Totals {
  Fixed net, fees;
  uint64_t fills = 0;
  double slippage_bps = 0;
  size_t n = 0;
  void Add(const RunTrade& t) {
    net += t.Net();
    fees += t.fees;
    fills += t.fills;
    slippage_bps += t.SlippageBps();
    ++n;
  }
  double AvgSlippage() const { return n == 0 ? 0 : slippage_bps / static_cast<double>(n); }
};

bool Differ(const RunTrade& a, const RunTrade& b) {
  return a.qty != b.qty || a.entry_price != b.entry_price || a.exit_price != b.exit_price || a.fees != b.fees ||
         a.realized_pnl != b.realized_pnl || a.fills != b.fills;
}

std::string Row(const RunTrade* a, const RunTrade* b) {
  const RunTrade& any = a != nullptr ? *a : *b;
  auto cell = [](const RunTrade* t, auto get) { return t == nullptr ? std::string("-") : get(*t); };
  return absl::StrCat(
      "| ", Time(any.decided_bar_ms), " | ", EnumName(any.side), " | ",
      cell(a, [](const RunTrade& t) { return absl::StrCat(t.qty.ToString(), " @ ", t.entry_price.ToString()); }), " | ",
      cell(b, [](const RunTrade& t) { return absl::StrCat(t.qty.ToString(), " @ ", t.entry_price.ToString()); }), " | ",
      cell(a, [](const RunTrade& t) { return t.exit_price.ToString(); }), " | ",
      cell(b, [](const RunTrade& t) { return t.exit_price.ToString(); }), " | ",
      cell(a, [](const RunTrade& t) { return Money(t.fees); }), " | ", cell(b, [](const RunTrade& t) { return Money(t.fees); }),
      " | ", cell(a, [](const RunTrade& t) { return Money(t.Net()); }), " | ",
      cell(b, [](const RunTrade& t) { return Money(t.Net()); }), " |\n");
}

}  // namespace

double RunTrade::SlippageBps() const {
  if (proposed_price.raw() == 0) return 0;
  const double d = (entry_price.ToDouble() - proposed_price.ToDouble()) / proposed_price.ToDouble() * 1e4;
  return side == Side::kBuy ? d : -d;
}

absl::StatusOr<std::vector<RunTrade>> ReadTrades(const ledger::Ledger& ledger) {
  TradeReader reader;
  const uint64_t head = ledger.head().last_seq;
  if (head > 0) {
    RETURN_IF_ERROR(ledger.Scan(1, head, [&](const ledger::RecordView& r) -> absl::Status {
      ASSIGN_OR_RETURN(Event e, ledger::DecodeRecord(r));
      return reader.OnEvent(e);
    }));
  }
  return reader.Finish();
}

std::string CompareRuns(const std::vector<RunTrade>& a, const std::vector<RunTrade>& b, size_t max_rows) {
  std::map<std::pair<int64_t, int>, const RunTrade*> by_a, by_b;
  for (const RunTrade& t : a) by_a[{t.decided_bar_ms, static_cast<int>(t.side)}] = &t;
  for (const RunTrade& t : b) by_b[{t.decided_bar_ms, static_cast<int>(t.side)}] = &t;
  Totals ta, tb;
  for (const RunTrade& t : a) ta.Add(t);
  for (const RunTrade& t : b) tb.Add(t);
  size_t both = 0, only_a = 0, only_b = 0, differing = 0;
  std::string rows;
  size_t shown = 0;
  auto show = [&](const RunTrade* x, const RunTrade* y) {
    if (shown++ < max_rows) rows += Row(x, y);
  };
  for (const auto& [key, t] : by_a) {
    auto other = by_b.find(key);
    if (other == by_b.end()) {
      ++only_a;
      show(t, nullptr);
    } else {
      ++both;
      if (Differ(*t, *other->second)) {
        ++differing;
        show(t, other->second);
      }
    }
  }
  for (const auto& [key, t] : by_b) {
    if (!by_a.contains(key)) {
      ++only_b;
      show(nullptr, t);
    }
  }
  std::string out = "## Ledger vs backtest\n\n| | ledger | backtest |\n|---|---:|---:|\n";
  absl::StrAppend(&out, "| Trades | ", a.size(), " | ", b.size(), " |\n");
  absl::StrAppend(&out, "| Fills | ", ta.fills, " | ", tb.fills, " |\n");
  absl::StrAppend(&out, "| Net PnL | ", Money(ta.net), " USDT | ", Money(tb.net), " USDT |\n");
  absl::StrAppend(&out, "| Fees | ", Money(ta.fees), " USDT | ", Money(tb.fees), " USDT |\n");
  absl::StrAppend(&out, absl::StrFormat("| Average entry slippage | %.2f bps | %.2f bps |\n", ta.AvgSlippage(),
                                        tb.AvgSlippage()));
  absl::StrAppend(&out, "\nTrades in both: ", both, " (", differing, " differ), only in the ledger: ", only_a,
                  ", only in the backtest: ", only_b, "\n");
  if (shown > 0) {
    absl::StrAppend(&out, "\n| decided on bar | side | entry (ledger) | entry (backtest) | exit (ledger) | exit (backtest) "
                          "| fees (ledger) | fees (backtest) | net (ledger) | net (backtest) |\n"
                          "|---|---|---|---|---|---|---|---|---|---|\n",
                    rows);
    if (shown > max_rows) absl::StrAppend(&out, "\n(", shown - max_rows, " more not shown)\n");
  }
  return out;
}

}  // namespace apollo::replay
