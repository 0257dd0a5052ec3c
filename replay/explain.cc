// The chain of causes behind `replay explain` (see explain.h). The ledger is
// read, never folded: the target's entry order is found first (from a client
// order id, an order's parent or a position's entry_order), its causes are
// looked up backwards through the links the events carry, and what followed
// is collected by one forward walk until the position is flat.
#include "replay/explain.h"

#include <algorithm>
#include <functional>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "engine/domain/codec.h"
#include "engine/domain/status_macros.h"
#include "ledger/event_log.h"

namespace apollo::replay {
namespace {

using ledger::Ledger;
using ledger::RecordView;

constexpr EventTag kExplainable[] = {
    EventTag::kOrderPlaced,    EventTag::kOrderAccepted,  EventTag::kOrderFilled,    EventTag::kOrderPartialFill,
    EventTag::kOrderCancelled, EventTag::kOrderRejected,  EventTag::kOrderExpired,   EventTag::kPositionOpened,
    EventTag::kPositionUpdated, EventTag::kPositionClosed, EventTag::kStopTriggered};
// The risk decision is journaled in the same step just before its entry order.
constexpr uint64_t kRiskLookBack = 64;
constexpr uint64_t kAnyDistance = UINT64_MAX;

// ---- One line per event ----

struct Line {
  uint64_t seq = 0;
  int64_t ts_ns = 0;
  std::string role;  // bar, signal, proposal, risk, order, trigger, fill, position, outcome
  std::string text;
  bool is_event = true;  // false for "still open"
};

std::string TimeOf(int64_t ts_ns) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixNanos(ts_ns), absl::UTCTimeZone());
}

std::string Values(const std::vector<NamedValue>& values) {
  return absl::StrJoin(values, " ", [](std::string* out, const NamedValue& v) {
    absl::StrAppend(out, v.name, "=", v.value.ToString());
  });
}

std::string Quoted(const std::string& s) { return absl::StrCat("\"", s, "\""); }

std::string FillText(absl::string_view name, const Fill& f) {
  return absl::StrCat(name, " ", f.client_order_id.value, " price=", f.price.ToString(), " qty=", f.qty.ToString(),
                      " fee=", f.fee.ToString(), " trade_id=", f.trade_id.value);
}

std::string OrderPlacedText(const OrderPlaced& p) {
  std::string out = absl::StrCat("OrderPlaced ", p.client_order_id.value, " ", EnumName(p.purpose), " ", p.symbol.value,
                                 " ", EnumName(p.side), " ", EnumName(p.order_type), " qty=", p.qty.ToString());
  if (!p.price.is_zero()) absl::StrAppend(&out, " price=", p.price.ToString());
  if (!p.stop_price.is_zero()) absl::StrAppend(&out, " stop_price=", p.stop_price.ToString());
  if (p.reduce_only) absl::StrAppend(&out, " reduce_only");
  if (!p.parent.empty()) absl::StrAppend(&out, " parent=", p.parent.value);
  if (p.purpose == OrderPurpose::kEntry) {
    absl::StrAppend(&out, " protect_stop=", p.protect_stop.ToString(),
                    " protect_take_profit=", p.protect_take_profit.ToString());
  }
  if (p.purpose == OrderPurpose::kExit) absl::StrAppend(&out, " close_reason=", EnumName(p.close_reason));
  return out;
}

// The role and text of an event's line.
struct Describer {
  Line* line;
  void Set(const char* role, std::string text) {
    line->role = role;
    line->text = std::move(text);
  }
  void operator()(const CandleClose& c) {
    Set("bar", absl::StrCat("CandleClose ", c.symbol.value, " ", c.interval, " open_time=",
                            TimeOf(c.open_time_ms * 1'000'000), " open=", c.open.ToString(), " high=",
                            c.high.ToString(), " low=", c.low.ToString(), " close=", c.close.ToString(),
                            " volume=", c.volume.ToString()));
  }
  void operator()(const SignalComputed& s) {
    Set("signal", absl::StrCat("SignalComputed ", s.symbol.value, " ", EnumName(s.direction), " ", s.strategy,
                               " score=", s.score.ToString(), " confidence=", s.confidence.ToString(),
                               " reason=", Quoted(s.reason), " inputs: ", Values(s.inputs)));
  }
  void operator()(const TradeProposed& t) {
    Set("proposal", absl::StrCat("TradeProposed ", t.symbol.value, " ", EnumName(t.side), " ",
                                 EnumName(t.entry_type), " qty=", t.qty.ToString(), " entry=",
                                 t.entry_price.ToString(), " stop=", t.stop_price.ToString(), " take_profit=",
                                 t.take_profit_price.ToString(), " leverage=", t.leverage.ToString()));
  }
  void operator()(const RiskApproved& r) {
    Set("risk", absl::StrCat("RiskApproved ", r.symbol.value, " checks: ", Values(r.checks)));
  }
  void operator()(const RiskRejected& r) {
    Set("risk", absl::StrCat("RiskRejected ", r.symbol.value, " rule=", EnumName(r.rule), " reason=",
                             Quoted(r.reason), " values: ", Values(r.values)));
  }
  void operator()(const OrderPlaced& p) { Set("order", OrderPlacedText(p)); }
  void operator()(const OrderAccepted& a) {
    Set("order", absl::StrCat("OrderAccepted ", a.client_order_id.value, " venue_order_id=", a.venue_order_id.value));
  }
  void operator()(const OrderRejected& r) {
    Set("order", absl::StrCat("OrderRejected ", r.client_order_id.value, " code=", r.code, " reason=",
                              Quoted(r.reason)));
  }
  void operator()(const OrderPartialFill& f) { Set("fill", FillText("OrderPartialFill", f)); }
  void operator()(const OrderFilled& f) { Set("fill", FillText("OrderFilled", f)); }
  void operator()(const OrderCancelled& c) {
    Set("order", absl::StrCat("OrderCancelled ", c.client_order_id.value, " reason=", c.reason));
  }
  void operator()(const OrderExpired& x) {
    Set("order", absl::StrCat("OrderExpired ", x.client_order_id.value, " reason=", x.reason));
  }
  void operator()(const StopTriggered& s) {
    Set("trigger", absl::StrCat("StopTriggered ", s.client_order_id.value, " ", s.symbol.value,
                                " trigger_price=", s.trigger_price.ToString()));
  }
  void operator()(const PositionOpened& p) {
    Set("position", absl::StrCat("PositionOpened ", p.symbol.value, " ", EnumName(p.side), " qty=", p.qty.ToString(),
                                 " entry=", p.entry_price.ToString(), " stop=", p.stop_price.ToString(),
                                 " take_profit=", p.take_profit.ToString(), " leverage=", p.leverage.ToString(),
                                 " entry_order=", p.entry_order.value, " entry_fees=", p.entry_fees.ToString()));
  }
  void operator()(const PositionUpdated& u) {
    Set("position", absl::StrCat("PositionUpdated ", u.symbol.value, " qty=", u.qty.ToString(), " entry=",
                                 u.entry_price.ToString(), " stop=", u.stop_price.ToString(), " take_profit=",
                                 u.take_profit.ToString(), " reason=", u.reason));
  }
  void operator()(const PositionClosed& c) {
    Set("outcome", absl::StrCat("PositionClosed ", c.symbol.value, " ", EnumName(c.reason), " ", EnumName(c.side),
                                " qty=", c.qty.ToString(), " entry=", c.entry_price.ToString(), " exit=",
                                c.exit_price.ToString(), " realized_pnl=", c.realized_pnl.ToString(), " fees=",
                                c.fees.ToString(), " net=", (c.realized_pnl - c.fees).ToString()));
  }
  template <class T>
  void operator()(const T&) {
    Set("event", std::string(T::kName));
  }
};

Line Describe(const Event& e) {
  Line line{e.seq, e.ts_ns, "", "", true};
  std::visit(Describer{&line}, e.body);
  return line;
}

// ---- Reading the ledger ----

absl::StatusOr<Event> Read(const Ledger& l, uint64_t seq) {
  std::string chunk;
  ASSIGN_OR_RETURN(RecordView r, l.Get(seq, &chunk));
  return ledger::DecodeRecord(r);
}

// Calls fn with the decoded events in [from, to] whose tag is in `tags` (all
// when empty), in order, until it returns false.
absl::Status Walk(const Ledger& l, uint64_t from, uint64_t to, absl::Span<const EventTag> tags,
                  const std::function<bool(const Event&)>& fn) {
  if (from > to) return absl::OkStatus();
  bool stopped = false;
  absl::Status st = l.Scan(from, to, [&](const RecordView& r) -> absl::Status {
    if (!tags.empty() && std::find(tags.begin(), tags.end(), static_cast<EventTag>(r.tag)) == tags.end()) {
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(Event e, ledger::DecodeRecord(r));
    if (fn(e)) return absl::OkStatus();
    stopped = true;
    return absl::CancelledError("stopped");
  });
  return stopped ? absl::OkStatus() : st;
}

// The last event of type `tag` before `seq` that `match`es, searched
// backwards in growing windows, at most `max_back` events back.
absl::StatusOr<std::optional<Event>> LastBefore(const Ledger& l, uint64_t seq, EventTag tag,
                                                const std::function<bool(const Event&)>& match, uint64_t max_back) {
  const uint64_t floor = seq > max_back ? seq - max_back : 1;
  uint64_t hi = seq - 1, window = 64;
  while (seq > 1 && hi >= floor) {
    const uint64_t lo = hi - floor + 1 > window ? hi - window + 1 : floor;
    std::optional<Event> found;
    RETURN_IF_ERROR(Walk(l, lo, hi, {tag}, [&](const Event& e) {
      if (match(e)) found = e;
      return true;
    }));
    if (found) return found;
    if (lo == floor) break;
    hi = lo - 1;
    window *= 4;
  }
  return std::nullopt;
}

// The seq a client order id was made from ("ap-p1234-E", "ap-tk3x9q2mw-1234-E"
// → 1234); 0 if none.
uint64_t SeqOfClientOrderId(absl::string_view id) {
  if (!absl::ConsumePrefix(&id, "ap-") || id.size() < 4) return 0;
  id.remove_prefix(1);  // the mode's letter
  const size_t leg = id.rfind('-');
  if (leg == absl::string_view::npos) return 0;
  absl::string_view seq_text = id.substr(0, leg);
  if (const size_t nonce_end = seq_text.rfind('-'); nonce_end != absl::string_view::npos) {
    seq_text.remove_prefix(nonce_end + 1);
  }
  uint64_t seq = 0;
  return absl::SimpleAtoi(seq_text, &seq) ? seq : 0;
}

// The OrderPlaced of `id`, at or before `seq`.
absl::StatusOr<Event> OrderPlacedOf(const Ledger& l, const ClientOrderId& id, uint64_t seq) {
  auto is_it = [&id](const Event& e) {
    auto* p = std::get_if<OrderPlaced>(&e.body);
    return p != nullptr && p->client_order_id == id;
  };
  const uint64_t guess = SeqOfClientOrderId(id.value);
  if (guess >= 1 && guess <= seq) {
    ASSIGN_OR_RETURN(Event e, Read(l, guess));
    if (is_it(e)) return e;
  }
  ASSIGN_OR_RETURN(std::optional<Event> found, LastBefore(l, seq + 1, EventTag::kOrderPlaced, is_it, kAnyDistance));
  if (!found) return absl::NotFoundError(absl::StrCat("no OrderPlaced for client order id '", id.value, "' up to seq ", seq));
  return *found;
}

// The event at `seq` if it is a T; NotFound naming the link otherwise.
template <class T>
absl::StatusOr<Event> ReadLinked(const Ledger& l, uint64_t seq, absl::string_view link) {
  if (seq >= 1 && seq <= l.head().last_seq) {
    ASSIGN_OR_RETURN(Event e, Read(l, seq));
    if (std::holds_alternative<T>(e.body)) return e;
  }
  return absl::NotFoundError(absl::StrCat(link, " ", seq, " is not a ", T::kName));
}

const ClientOrderId* ReportedOrder(const EventBody& b) {
  if (auto* a = std::get_if<OrderAccepted>(&b)) return &a->client_order_id;
  if (auto* r = std::get_if<OrderRejected>(&b)) return &r->client_order_id;
  if (auto* f = std::get_if<OrderFilled>(&b)) return &f->client_order_id;
  if (auto* f = std::get_if<OrderPartialFill>(&b)) return &f->client_order_id;
  if (auto* c = std::get_if<OrderCancelled>(&b)) return &c->client_order_id;
  if (auto* x = std::get_if<OrderExpired>(&b)) return &x->client_order_id;
  if (auto* s = std::get_if<StopTriggered>(&b)) return &s->client_order_id;
  return nullptr;
}

bool EndsOrder(const EventBody& b) {
  return std::holds_alternative<OrderRejected>(b) || std::holds_alternative<OrderFilled>(b) ||
         std::holds_alternative<OrderCancelled>(b) || std::holds_alternative<OrderExpired>(b);
}

// ---- The chain ----

// The OrderPlaced the chain hangs from: the entry of the order's or the
// position's trade (an order without an entry parent is its own root).
absl::StatusOr<Event> RootOf(const Ledger& l, const Event& target) {
  Event placed = target;
  if (const ClientOrderId* id = ReportedOrder(target.body)) {
    ASSIGN_OR_RETURN(placed, OrderPlacedOf(l, *id, target.seq));
  } else if (auto* o = std::get_if<PositionOpened>(&target.body)) {
    return OrderPlacedOf(l, o->entry_order, target.seq);
  } else if (!std::holds_alternative<OrderPlaced>(target.body)) {
    const Symbol symbol = std::holds_alternative<PositionUpdated>(target.body)
                              ? std::get<PositionUpdated>(target.body).symbol
                              : std::get<PositionClosed>(target.body).symbol;
    auto opened_in = [&symbol](const Event& e) { return std::get<PositionOpened>(e.body).symbol == symbol; };
    ASSIGN_OR_RETURN(std::optional<Event> opened,
                     LastBefore(l, target.seq, EventTag::kPositionOpened, opened_in, kAnyDistance));
    if (!opened) return absl::NotFoundError(absl::StrCat("no PositionOpened of ", symbol.value, " before seq ", target.seq));
    return OrderPlacedOf(l, std::get<PositionOpened>(opened->body).entry_order, opened->seq);
  }
  const OrderPlaced& p = std::get<OrderPlaced>(placed.body);
  if (p.purpose == OrderPurpose::kEntry || p.parent.empty()) return placed;
  return OrderPlacedOf(l, p.parent, placed.seq);
}

// Bar → signal → proposal → risk decision, for an entry order.
absl::Status AddCauses(const Ledger& l, const Event& entry, std::vector<Line>* out) {
  const OrderPlaced& p = std::get<OrderPlaced>(entry.body);
  if (p.purpose != OrderPurpose::kEntry) return absl::OkStatus();
  auto same_symbol_risk = [&p](const Event& e) { return std::get<RiskApproved>(e.body).symbol == p.symbol; };
  ASSIGN_OR_RETURN(std::optional<Event> risk,
                   LastBefore(l, entry.seq, EventTag::kRiskApproved, same_symbol_risk, kRiskLookBack));
  if (!risk) return absl::OkStatus();
  out->push_back(Describe(*risk));
  ASSIGN_OR_RETURN(Event proposal, ReadLinked<TradeProposed>(l, std::get<RiskApproved>(risk->body).proposal_seq,
                                                             "RiskApproved.proposal_seq"));
  out->push_back(Describe(proposal));
  ASSIGN_OR_RETURN(Event signal, ReadLinked<SignalComputed>(l, std::get<TradeProposed>(proposal.body).signal_seq,
                                                            "TradeProposed.signal_seq"));
  out->push_back(Describe(signal));
  auto same_symbol_bar = [&p](const Event& e) { return std::get<CandleClose>(e.body).symbol == p.symbol; };
  ASSIGN_OR_RETURN(std::optional<Event> bar,
                   LastBefore(l, signal.seq, EventTag::kCandleClose, same_symbol_bar, kAnyDistance));
  if (bar) out->push_back(Describe(*bar));
  return absl::OkStatus();
}

// What followed an entry: its orders, the venue's answers, the position.
class Consequences {
 public:
  explicit Consequences(const OrderPlaced& root)
      : root_(root.client_order_id), symbol_(root.symbol), expects_position_(root.purpose == OrderPurpose::kEntry) {}

  // Adds the event's line if it belongs to the trade; false once it is over.
  bool Take(const Event& e, std::vector<Line>* out) {
    last_seq_ = e.seq;
    last_ts_ns_ = e.ts_ns;
    if (Belongs(e)) out->push_back(Describe(e));
    return !Over();
  }

  // "still open" at the last event walked, when the position is.
  std::optional<Line> StillOpen() const {
    if (!opened_ || closed_) return std::nullopt;
    return Line{last_seq_, last_ts_ns_, "outcome",
                absl::StrCat("still open: ", symbol_.value, " qty=", qty_.ToString(), " (at the ledger head)"), false};
  }

 private:
  bool Belongs(const Event& e) {
    if (auto* p = std::get_if<OrderPlaced>(&e.body)) return TakeOrder(*p);
    if (const ClientOrderId* id = ReportedOrder(e.body)) return TakeReport(*id, e.body);
    if (auto* o = std::get_if<PositionOpened>(&e.body)) {
      if (o->entry_order != root_ || opened_) return false;
      opened_ = true;
      qty_ = o->qty;
      return true;
    }
    if (!opened_ || closed_) return false;
    if (auto* u = std::get_if<PositionUpdated>(&e.body); u != nullptr && u->symbol == symbol_) {
      qty_ = u->qty;
      return true;
    }
    if (auto* c = std::get_if<PositionClosed>(&e.body); c != nullptr && c->symbol == symbol_) {
      qty_ -= c->qty;
      closed_ = qty_.raw() <= 0;
      return true;
    }
    return false;
  }
  bool TakeOrder(const OrderPlaced& p) {
    if (p.client_order_id != root_ && p.parent != root_) return false;
    ids_.insert(p.client_order_id.value);
    open_ids_.insert(p.client_order_id.value);
    return true;
  }
  bool TakeReport(const ClientOrderId& id, const EventBody& body) {
    if (!ids_.contains(id.value)) return false;
    if (EndsOrder(body)) open_ids_.erase(id.value);
    if (id == root_ && (std::holds_alternative<OrderFilled>(body) || std::holds_alternative<OrderPartialFill>(body))) {
      root_filled_ = true;
    }
    return true;
  }
  bool Over() const {
    if (!open_ids_.empty() || ids_.empty()) return false;
    return closed_ || !expects_position_ || (!opened_ && !root_filled_);
  }

  ClientOrderId root_;
  Symbol symbol_;
  bool expects_position_;
  absl::flat_hash_set<std::string> ids_, open_ids_;
  bool root_filled_ = false, opened_ = false, closed_ = false;
  Fixed qty_;
  uint64_t last_seq_ = 0;
  int64_t last_ts_ns_ = 0;
};

absl::Status AddConsequences(const Ledger& l, const Event& root, std::vector<Line>* out) {
  Consequences trade(std::get<OrderPlaced>(root.body));
  RETURN_IF_ERROR(Walk(l, root.seq, l.head().last_seq, {}, [&](const Event& e) { return trade.Take(e, out); }));
  if (std::optional<Line> open = trade.StillOpen()) out->push_back(*open);
  return absl::OkStatus();
}

bool Explainable(uint16_t tag) {
  return std::find(std::begin(kExplainable), std::end(kExplainable), static_cast<EventTag>(tag)) !=
         std::end(kExplainable);
}

std::vector<std::string> Render(std::vector<Line> lines, uint64_t asked) {
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.seq < b.seq; });
  std::vector<std::string> out;
  for (const Line& l : lines) {
    std::string role = l.role;
    role.resize(std::max<size_t>(role.size(), 8), ' ');
    out.push_back(absl::StrCat(l.seq, " ", TimeOf(l.ts_ns), " ", role, " ", l.text,
                               l.is_event && l.seq == asked ? "  (asked)" : ""));
  }
  return out;
}

}  // namespace

std::vector<std::string> ExplainableEventNames() {
  std::vector<std::string> names;
  for (EventTag t : kExplainable) names.emplace_back(EventName(static_cast<uint16_t>(t)));
  return names;
}

absl::StatusOr<std::vector<std::string>> ExplainEvent(const Ledger& ledger, uint64_t seq) {
  if (seq == 0 || seq > ledger.head().last_seq) {
    return absl::OutOfRangeError(
        absl::StrCat("seq ", seq, " is not in the ledger (1..", ledger.head().last_seq, ")"));
  }
  ASSIGN_OR_RETURN(Event target, Read(ledger, seq));
  const uint16_t tag = static_cast<uint16_t>(TagOf(target.body));
  if (!Explainable(tag)) {
    return absl::InvalidArgumentError(absl::StrCat("seq ", seq, " is a ", EventName(tag),
                                                   "; explain takes an order, fill or position event: ",
                                                   absl::StrJoin(ExplainableEventNames(), ", ")));
  }
  ASSIGN_OR_RETURN(Event root, RootOf(ledger, target));
  std::vector<Line> lines;
  RETURN_IF_ERROR(AddCauses(ledger, root, &lines));
  RETURN_IF_ERROR(AddConsequences(ledger, root, &lines));
  const bool has_target = std::any_of(lines.begin(), lines.end(), [seq](const Line& l) { return l.is_event && l.seq == seq; });
  if (!has_target) lines.push_back(Describe(target));
  return Render(std::move(lines), seq);
}

}  // namespace apollo::replay
