// Comparing two ledgers for `replay diff` (see diff.h).
#include "replay/diff.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/domain/codec.h"
#include "engine/domain/json.h"
#include "engine/domain/status_macros.h"
#include "ledger/event_log.h"

namespace apollo::replay {
namespace {

using ledger::Ledger;
using ledger::RecordView;

absl::Status Prefixed(const absl::Status& st, absl::string_view which) {
  return absl::Status(st.code(), absl::StrCat(which, ": ", st.message()));
}

// Counts a ledger's events per type, checking every record on the way.
absl::StatusOr<LedgerCensus> Census(const Ledger& l, absl::string_view which) {
  LedgerCensus c;
  const ledger::Head head = l.head();
  std::map<uint16_t, uint64_t> per_tag;
  if (head.last_seq > 0) {
    absl::Status st = l.Scan(1, head.last_seq, [&](const RecordView& r) {
      ++per_tag[r.tag];
      ++c.events;
      return absl::OkStatus();
    });
    if (!st.ok()) return Prefixed(st, which);
  }
  for (const auto& [tag, n] : per_tag) c.per_type[std::string(EventName(tag))] += n;
  c.head_hash = head.last_hash;
  return c;
}

absl::StatusOr<ledger::Hash> HashAt(const Ledger& l, uint64_t seq, absl::string_view which) {
  std::string chunk;
  absl::StatusOr<RecordView> r = l.Get(seq, &chunk);
  if (!r.ok()) return Prefixed(r.status(), which);
  return r->hash;
}

// The number of leading records both ledgers share: records are chained, so
// equal hashes at k mean equal ledgers up to k.
absl::StatusOr<uint64_t> CommonPrefix(const Ledger& a, const Ledger& b, uint64_t shorter) {
  uint64_t lo = 0, hi = shorter;  // records 1..lo are equal; hi is the most they can share
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo + 1) / 2;
    ASSIGN_OR_RETURN(ledger::Hash ha, HashAt(a, mid, "A"));
    ASSIGN_OR_RETURN(ledger::Hash hb, HashAt(b, mid, "B"));
    if (ha == hb) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

// The event at seq; nullopt past the ledger's end.
absl::StatusOr<std::optional<Event>> EventAt(const Ledger& l, uint64_t seq, uint64_t events, absl::string_view which) {
  if (seq > events) return std::nullopt;
  std::string chunk;
  absl::StatusOr<RecordView> r = l.Get(seq, &chunk);
  if (!r.ok()) return Prefixed(r.status(), which);
  absl::StatusOr<Event> e = ledger::DecodeRecord(*r);
  if (!e.ok()) return Prefixed(e.status(), which);
  return *e;
}

// "ts_ns", "type" or "data.<field>" for each way the two events differ.
std::vector<std::string> DifferingFields(const Event& a, const Event& b) {
  std::vector<std::string> out;
  if (a.ts_ns != b.ts_ns) out.push_back("ts_ns");
  if (a.body.index() != b.body.index()) {
    out.push_back("type");
    return out;
  }
  const auto fa = FieldsAsJson(a.body), fb = FieldsAsJson(b.body);
  for (size_t i = 0; i < fa.size() && i < fb.size(); ++i) {
    if (fa[i].second != fb[i].second) out.push_back(absl::StrCat("data.", fa[i].first));
  }
  if (out.empty()) out.push_back("encoding");  // e.g. an older schema version of the same event
  return out;
}

std::string JsonOrEnd(const std::optional<Event>& e, uint64_t events) {
  return e ? EventToJson(*e) : absl::StrCat("none (the ledger ends at seq ", events, ")");
}

}  // namespace

absl::StatusOr<LedgerDiff> DiffLedgers(const Ledger& a, const Ledger& b) {
  LedgerDiff d;
  ASSIGN_OR_RETURN(d.a, Census(a, "A"));
  ASSIGN_OR_RETURN(d.b, Census(b, "B"));
  ASSIGN_OR_RETURN(d.common_prefix, CommonPrefix(a, b, std::min(d.a.events, d.b.events)));
  d.identical = d.a.events == d.b.events && d.common_prefix == d.a.events;
  if (d.identical) return d;
  const uint64_t first = d.common_prefix + 1;
  ASSIGN_OR_RETURN(std::optional<Event> ea, EventAt(a, first, d.a.events, "A"));
  ASSIGN_OR_RETURN(std::optional<Event> eb, EventAt(b, first, d.b.events, "B"));
  d.a_event = JsonOrEnd(ea, d.a.events);
  d.b_event = JsonOrEnd(eb, d.b.events);
  if (ea && eb) d.differing_fields = DifferingFields(*ea, *eb);
  return d;
}

std::string DiffText(const LedgerDiff& d) {
  if (d.identical) {
    return absl::StrCat("identical: ", d.a.events, " events, head_hash ", ledger::HashHex(d.a.head_hash), "\n");
  }
  std::string out = absl::StrCat("first difference at seq ", d.common_prefix + 1, "\n", "A: ", d.a_event, "\n",
                                 "B: ", d.b_event, "\n");
  if (!d.differing_fields.empty()) absl::StrAppend(&out, "differs in: ", absl::StrJoin(d.differing_fields, ", "), "\n");
  absl::StrAppend(&out, "events: A ", d.a.events, ", B ", d.b.events, "\n", "common prefix: ", d.common_prefix,
                  " events\n");
  std::set<std::string> types;
  for (const auto& [name, n] : d.a.per_type) types.insert(name);
  for (const auto& [name, n] : d.b.per_type) types.insert(name);
  bool header = false;
  for (const std::string& name : types) {
    const auto ia = d.a.per_type.find(name), ib = d.b.per_type.find(name);
    const uint64_t na = ia == d.a.per_type.end() ? 0 : ia->second, nb = ib == d.b.per_type.end() ? 0 : ib->second;
    if (na == nb) continue;
    if (!header) absl::StrAppend(&out, "events per type where they differ (A vs B):\n");
    header = true;
    absl::StrAppend(&out, "  ", name, " ", na, " vs ", nb, "\n");
  }
  if (!header) absl::StrAppend(&out, "events per type: the same counts in both\n");
  return out;
}

}  // namespace apollo::replay
