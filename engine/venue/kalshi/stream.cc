// Kalshi's WebSocket messages and books: see stream.h.
#include "engine/venue/kalshi/stream.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/domain/status_macros.h"
#include "engine/venue/kalshi/fields.h"

namespace apollo::venue::kalshi {
namespace {

using namespace internal;  // the field rules of fields.h, shared with payloads.cc

absl::StatusOr<StreamMessage> Read(Fields& top) {
  ASSIGN_OR_RETURN(std::string type, top.Str("type"));
  ASSIGN_OR_RETURN(std::optional<int64_t> sid, top.OptInt("sid"));
  ASSIGN_OR_RETURN(std::optional<int64_t> seq, top.OptInt("seq"));
  ASSIGN_OR_RETURN(std::optional<int64_t> id, top.OptInt("id"));
  od::value msg_value;
  ASSIGN_OR_RETURN(bool has_msg, top.Find("msg", &msg_value));
  od::object msg_object;
  if (has_msg && msg_value.get_object().get(msg_object) != simdjson::SUCCESS) return top.Error("msg", "not an object");
  auto needs_msg = [&]() -> absl::Status { return has_msg ? absl::OkStatus() : top.Error("msg", "missing"); };
  Fields m(msg_object, absl::StrCat("stream ", type, " msg"));

  if (type == "subscribed") {
    RETURN_IF_ERROR(needs_msg());
    StreamSubscribed s{id.value_or(0)};
    ASSIGN_OR_RETURN(s.channel, m.Str("channel"));
    ASSIGN_OR_RETURN(s.sid, m.Int("sid"));
    return s;
  }
  if (type == "error") {
    RETURN_IF_ERROR(needs_msg());
    StreamError e;
    e.id = id.value_or(0);
    ASSIGN_OR_RETURN(e.code, m.Int("code"));
    ASSIGN_OR_RETURN(e.message, m.StrOr("msg", ""));
    return e;
  }
  if (type == "orderbook_snapshot" || type == "orderbook_delta") {
    RETURN_IF_ERROR(needs_msg());
    if (!sid || !seq) return top.Error(sid ? "seq" : "sid", "missing");
    if (type == "orderbook_snapshot") {
      BookSnapshot b{*sid, *seq};
      ASSIGN_OR_RETURN(b.ticker, m.Str("market_ticker"));
      RETURN_IF_ERROR(ReadBookSide(m, "yes_dollars_fp", &b.yes_bids));
      RETURN_IF_ERROR(ReadBookSide(m, "no_dollars_fp", &b.no_bids));
      return b;
    }
    BookDelta d{*sid, *seq};
    ASSIGN_OR_RETURN(d.ticker, m.Str("market_ticker"));
    ASSIGN_OR_RETURN(d.side, m.Str("side"));
    if (d.side != "yes" && d.side != "no") return m.Error("side", absl::StrCat("unknown value '", d.side, "'"));
    ASSIGN_OR_RETURN(d.price, Dollars(m, "price_dollars", true));
    if (!IsTradablePrice(d.price)) {
      return m.Error("price_dollars", absl::StrCat("not a price strictly between 0 and 1 dollars: '", d.price.ToString(), "'"));
    }
    ASSIGN_OR_RETURN(d.delta, Count(m, "delta_fp", /*may_be_negative=*/true));
    ASSIGN_OR_RETURN(std::optional<int64_t> ts, m.OptInt("ts_ms"));
    d.ts_ms = ts.value_or(0);
    return d;
  }
  if (type == "ticker") {
    RETURN_IF_ERROR(needs_msg());
    TickerUpdate t;
    ASSIGN_OR_RETURN(t.ticker, m.Str("market_ticker"));
    ASSIGN_OR_RETURN(t.price, OptDollars(m, "price_dollars", true));
    ASSIGN_OR_RETURN(t.yes_bid, OptDollars(m, "yes_bid_dollars", true));
    ASSIGN_OR_RETURN(t.yes_ask, OptDollars(m, "yes_ask_dollars", true));
    ASSIGN_OR_RETURN(t.volume, Count(m, "volume_fp"));
    ASSIGN_OR_RETURN(t.open_interest, Count(m, "open_interest_fp"));
    ASSIGN_OR_RETURN(std::optional<int64_t> ts, m.OptInt("ts_ms"));
    t.ts_ms = ts.value_or(0);
    return t;
  }
  if (type == "fill") {
    RETURN_IF_ERROR(needs_msg());
    StreamFill x;
    ASSIGN_OR_RETURN(x.trade_id, m.Str("trade_id"));
    ASSIGN_OR_RETURN(x.order_id, m.Str("order_id"));
    ASSIGN_OR_RETURN(x.ticker, m.Str("market_ticker"));
    ASSIGN_OR_RETURN(x.side, m.Str("side"));
    ASSIGN_OR_RETURN(x.action, m.Str("action"));
    ASSIGN_OR_RETURN(x.count, Count(m, "count_fp"));
    ASSIGN_OR_RETURN(x.yes_price, Dollars(m, "yes_price_dollars", true));
    ASSIGN_OR_RETURN(std::optional<Fixed> post, m.OptDec("post_position_fp"));
    x.post_position = post.value_or(Fixed());
    RETURN_IF_ERROR(CheckCount(m, "post_position_fp", x.post_position, /*may_be_negative=*/true));
    ASSIGN_OR_RETURN(x.is_taker, m.BoolOr("is_taker", false));
    ASSIGN_OR_RETURN(std::optional<int64_t> ts, m.OptInt("ts_ms"));
    x.ts_ms = ts.value_or(0);
    return x;
  }
  if (type == "user_order") {
    RETURN_IF_ERROR(needs_msg());
    StreamOrder o;
    ASSIGN_OR_RETURN(o.order_id, m.Str("order_id"));
    ASSIGN_OR_RETURN(o.client_order_id, m.StrOr("client_order_id", ""));
    ASSIGN_OR_RETURN(o.ticker, m.Str("ticker"));
    ASSIGN_OR_RETURN(o.side, m.Str("side"));
    ASSIGN_OR_RETURN(o.status, StatusField(m));
    ASSIGN_OR_RETURN(o.yes_price, Dollars(m, "yes_price_dollars", true));
    ASSIGN_OR_RETURN(o.initial_count, Count(m, "initial_count_fp"));
    ASSIGN_OR_RETURN(o.fill_count, Count(m, "fill_count_fp"));
    ASSIGN_OR_RETURN(o.remaining_count, Count(m, "remaining_count_fp"));
    return o;
  }
  if (type == "market_position") {
    RETURN_IF_ERROR(needs_msg());
    StreamPosition p;
    ASSIGN_OR_RETURN(p.ticker, m.Str("market_ticker"));
    ASSIGN_OR_RETURN(p.position, Count(m, "position_fp", /*may_be_negative=*/true));
    ASSIGN_OR_RETURN(p.cost, Dollars(m, "position_cost_dollars", false));
    ASSIGN_OR_RETURN(p.realized_pnl, Dollars(m, "realized_pnl_dollars", false));
    ASSIGN_OR_RETURN(p.fees_paid, Dollars(m, "fees_paid_dollars", false));
    return p;
  }
  return StreamOther{type};
}

}  // namespace

absl::StatusOr<StreamMessage> ParseStreamMessage(absl::string_view text) {
  Json doc(text, Json::From::kStream);
  od::object root;
  RETURN_IF_ERROR(doc.Object("stream message", &root));
  Fields top(root, "stream message");
  return Read(top);
}

bool BookKeeper::Apply(const BookSnapshot& s) {
  // Out of turn, the messages between were lost: the subscription's other
  // books may miss deltas, so they wait for their own snapshots.
  bool in_turn = true;
  if (auto seq = last_seq_.find(s.sid); seq != last_seq_.end() && s.seq != seq->second + 1) {
    MarkStale(s.sid);
    in_turn = false;
  }
  Market& m = markets_[s.ticker];
  m = Market{s.sid};
  for (const BookLevel& l : s.yes_bids) m.yes[l.price] += l.count;
  for (const BookLevel& l : s.no_bids) m.no[l.price] += l.count;
  Rebuild(m);
  last_seq_[s.sid] = s.seq;
  return in_turn;
}

absl::Status BookKeeper::Apply(const BookDelta& d) {
  auto seq = last_seq_.find(d.sid);
  if (seq == last_seq_.end() || d.seq != seq->second + 1) {
    const std::string expected = seq == last_seq_.end() ? "a snapshot first" : absl::StrCat("seq ", seq->second + 1);
    MarkStale(d.sid);
    return absl::FailedPreconditionError(absl::StrCat("kalshi book: subscription ", d.sid, " expected ", expected,
                                                      ", got seq ", d.seq, ": its books are stale; resubscribe"));
  }
  seq->second = d.seq;
  auto it = markets_.find(d.ticker);
  if (it == markets_.end() || it->second.sid != d.sid) {
    MarkStale(d.sid);
    return absl::FailedPreconditionError(
        absl::StrCat("kalshi book: a delta for ", d.ticker, " without its snapshot; resubscribe"));
  }
  Market& m = it->second;
  std::map<Fixed, Fixed>& side = d.side == "yes" ? m.yes : m.no;
  const Fixed count = side[d.price] + d.delta;
  if (count < Fixed()) {
    MarkStale(d.sid);
    return absl::FailedPreconditionError(absl::StrCat("kalshi book: ", d.ticker, " ", d.side, " ", d.price.ToString(),
                                                      " would hold ", count.ToString(), "; resubscribe"));
  }
  if (count == Fixed()) {
    side.erase(d.price);
  } else {
    side[d.price] = count;
  }
  Rebuild(m);
  return absl::OkStatus();
}

const Orderbook* BookKeeper::Book(const std::string& ticker) const {
  auto it = markets_.find(ticker);
  if (it == markets_.end() || it->second.stale) return nullptr;
  return &it->second.book;
}

void BookKeeper::MarkStale(int64_t sid) {
  for (auto& [ticker, m] : markets_) {
    if (m.sid == sid) m.stale = true;
  }
  last_seq_.erase(sid);
}

void BookKeeper::Rebuild(Market& m) {
  m.book.yes_bids.clear();
  m.book.no_bids.clear();
  for (const auto& [price, count] : m.yes) m.book.yes_bids.push_back(BookLevel{price, count});
  for (const auto& [price, count] : m.no) m.book.no_bids.push_back(BookLevel{price, count});
}

}  // namespace apollo::venue::kalshi
