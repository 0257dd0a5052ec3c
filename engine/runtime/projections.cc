// Projections: rows from events. See projections.h.
#include "engine/runtime/projections.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "engine/domain/codec.h"
#include "engine/runtime/daily_summary.h"
#include "engine/domain/status_macros.h"
#include "ledger/event_log.h"

namespace apollo::runtime {
namespace {

constexpr const char* kNames[] = {"trades.csv", "orders.csv", "thinking.jsonl"};
constexpr const char* kHeaders[] = {
    "seq,ts_ns,symbol,side,qty,entry_price,exit_price,realized_pnl,fees,net_pnl,reason\n",
    "seq,ts_ns,event,client_order_id,symbol,side,type,purpose,qty,price,stop_price,reduce_only,detail\n",
    ""};

// Drops a trailing partial line and returns the seq that starts the last
// complete one (0 if none). Rows start with "<seq>," or {"seq":<seq>,.
absl::StatusOr<uint64_t> RepairAndReadLastSeq(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec || size == 0) return 0;
  std::ifstream in(path, std::ios::binary);
  const std::streamoff window = std::min<std::streamoff>(static_cast<std::streamoff>(size), 1 << 16);
  std::string tail(static_cast<size_t>(window), '\0');
  in.seekg(static_cast<std::streamoff>(size) - window);
  in.read(tail.data(), window);
  const size_t end = tail.rfind('\n');
  const uint64_t keep = end == std::string::npos ? size - window : size - window + end + 1;
  if (keep != size) {
    std::filesystem::resize_file(path, keep, ec);
    if (ec) return absl::UnavailableError(absl::StrCat("cannot truncate a torn row of ", path));
  }
  if (end == std::string::npos) return 0;
  const absl::string_view body(tail.data(), end);  // up to the last newline
  const size_t previous = body.rfind('\n');
  absl::string_view line = body.substr(previous == absl::string_view::npos ? 0 : previous + 1);
  absl::ConsumePrefix(&line, "{\"seq\":");
  const size_t digits = line.find_first_not_of("0123456789");
  uint64_t seq = 0;
  if (!absl::SimpleAtoi(line.substr(0, digits), &seq)) return 0;  // the header
  return seq;
}

std::string TradeRow(const Event& e, const PositionClosed& c) {
  return absl::StrCat(e.seq, ",", e.ts_ns, ",", c.symbol.value, ",", EnumName(c.side), ",", c.qty.ToString(), ",",
                      c.entry_price.ToString(), ",", c.exit_price.ToString(), ",", c.realized_pnl.ToString(), ",",
                      c.fees.ToString(), ",", (c.realized_pnl - c.fees).ToString(), ",", EnumName(c.reason), "\n");
}

std::string OrderRow(const Event& e, absl::string_view id, absl::string_view symbol, absl::string_view side,
                     absl::string_view type, absl::string_view purpose, absl::string_view qty,
                     absl::string_view price, absl::string_view stop, absl::string_view reduce_only,
                     absl::string_view detail) {
  std::string clean(detail);
  std::replace(clean.begin(), clean.end(), ',', ';');
  return absl::StrCat(e.seq, ",", e.ts_ns, ",", EventName(static_cast<uint16_t>(TagOf(e.body))), ",", id, ",",
                      symbol, ",", side, ",", type, ",", purpose, ",", qty, ",", price, ",", stop, ",", reduce_only,
                      ",", clean, "\n");
}

// The orders.csv row of an event, or "" if it is not an order event.
std::string OrderRowOf(const Event& e) {
  if (auto* p = std::get_if<OrderPlaced>(&e.body)) {
    return OrderRow(e, p->client_order_id.value, p->symbol.value, EnumName(p->side), EnumName(p->order_type),
                    EnumName(p->purpose), p->qty.ToString(), p->price.ToString(), p->stop_price.ToString(),
                    p->reduce_only ? "true" : "false", p->parent.value);
  }
  if (auto* a = std::get_if<OrderAccepted>(&e.body)) {
    return OrderRow(e, a->client_order_id.value, "", "", "", "", "", "", "", "", a->venue_order_id.value);
  }
  if (auto* r = std::get_if<OrderRejected>(&e.body)) {
    return OrderRow(e, r->client_order_id.value, "", "", "", "", "", "", "", "", absl::StrCat(r->code, " ", r->reason));
  }
  const Fill* f = std::get_if<OrderFilled>(&e.body);
  if (f == nullptr) f = std::get_if<OrderPartialFill>(&e.body);
  if (f != nullptr) {
    return OrderRow(e, f->client_order_id.value, "", "", "", "", f->qty.ToString(), f->price.ToString(), "", "",
                    absl::StrCat("fee=", f->fee.ToString(), " trade=", f->trade_id.value));
  }
  if (auto* c = std::get_if<OrderCancelled>(&e.body)) {
    return OrderRow(e, c->client_order_id.value, "", "", "", "", "", "", "", "", c->reason);
  }
  if (auto* x = std::get_if<OrderExpired>(&e.body)) {
    return OrderRow(e, x->client_order_id.value, "", "", "", "", "", "", "", "", x->reason);
  }
  return "";
}

bool IsThinking(const Event& e) {
  return std::holds_alternative<SignalComputed>(e.body) || std::holds_alternative<TradeProposed>(e.body) ||
         std::holds_alternative<RiskApproved>(e.body) || std::holds_alternative<RiskRejected>(e.body);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Projections>> Projections::Open(const std::string& logs_dir, FaultHandler on_fault,
                                                               absl::Duration retry_every) {
  std::error_code ec;
  std::filesystem::create_directories(logs_dir, ec);
  auto p = std::unique_ptr<Projections>(new Projections());
  p->on_fault_ = std::move(on_fault);
  p->retry_every_ = retry_every;
  p->logs_dir_ = logs_dir;
  for (int k = 0; k < kKinds; ++k) {
    File& file = p->files_[k];
    file.path = (std::filesystem::path(logs_dir) / kNames[k]).string();
    if (absl::Status st = p->Reopen(file, k); !st.ok()) {
      if (p->on_fault_ == nullptr) return st;
      p->Fail(file, std::string(st.message()));
    }
  }
  return p;
}

absl::Status Projections::Reopen(File& file, int kind) {
  ASSIGN_OR_RETURN(file.last_seq, RepairAndReadLastSeq(file.path));
  std::error_code ec;
  const bool fresh = !std::filesystem::exists(file.path, ec) || std::filesystem::file_size(file.path, ec) == 0;
  file.f = std::fopen(file.path.c_str(), "ae");
  if (file.f == nullptr) return absl::PermissionDeniedError(absl::StrCat("cannot open ", file.path, ": ", std::strerror(errno)));
  if (fresh && (std::fputs(kHeaders[kind], file.f) < 0 || std::fflush(file.f) != 0)) {
    std::fclose(file.f);
    file.f = nullptr;
    return absl::UnavailableError(absl::StrCat("cannot write ", file.path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

void Projections::Fail(File& file, const std::string& what) {
  if (file.f != nullptr) std::fclose(file.f);  // what it buffered is rewritten from the ledger
  file.f = nullptr;
  file.retry_at = absl::Now() + retry_every_;
  ++failed_;
  if (file.reported) return;  // a retry that failed again: already reported
  file.reported = true;
  ++write_failures_;
  if (on_fault_) on_fault_(std::filesystem::path(file.path).filename().string(), what, false);
}

void Projections::WriteDay(const DaySummary& day) {
  absl::Status st = WriteDaySummary(logs_dir_, day);
  if (st.ok()) {
    if (day_failed_ && on_fault_) on_fault_("daily_summary", "", true);
    day_failed_ = false;
    return;
  }
  if (day_failed_) return;
  day_failed_ = true;
  ++write_failures_;
  if (on_fault_) on_fault_("daily_summary", std::string(st.message()), false);
}

void Projections::Heal(const ledger::Ledger& ledger) {
  if (failed_ == 0) return;
  const absl::Time now = absl::Now();
  for (int k = 0; k < kKinds; ++k) {
    File& file = files_[k];
    if (file.f != nullptr || now < file.retry_at) continue;
    --failed_;
    if (absl::Status st = Reopen(file, k); !st.ok()) {
      Fail(file, std::string(st.message()));
      continue;
    }
    if (absl::Status st = CatchUp(ledger, file.last_seq + 1, ledger.head().last_seq); !st.ok()) {
      Fail(file, std::string(st.message()));
      continue;
    }
    if (file.f == nullptr) continue;  // its catch-up (written and flushed) failed
    file.reported = false;
    if (on_fault_) {
      on_fault_(std::filesystem::path(file.path).filename().string(),
                absl::StrCat("caught up to seq ", file.last_seq), true);
    }
  }
}

Projections::~Projections() {
  for (File& f : files_) {
    if (f.f != nullptr) std::fclose(f.f);
  }
}

absl::Status Projections::CatchUp(const ledger::Ledger& ledger) {
  return CatchUp(ledger, 1, ledger.head().last_seq);
}

absl::Status Projections::CatchUp(const ledger::Ledger& ledger, uint64_t from_seq, uint64_t to_seq,
                                  const std::function<void(uint64_t seq)>& progress) {
  constexpr uint64_t kProgressEvery = 4096;
  uint64_t have = UINT64_MAX;
  for (const File& f : files_) {
    if (f.f != nullptr) have = std::min(have, f.last_seq);
  }
  if (have == UINT64_MAX) return absl::OkStatus();  // every file failed: Heal catches them up
  const uint64_t from = std::max(from_seq, have + 1);
  const uint64_t to = std::min(to_seq, ledger.head().last_seq);
  if (from > to) return absl::OkStatus();
  RETURN_IF_ERROR(ledger.Scan(from, to, [&](const ledger::RecordView& r) -> absl::Status {
    ASSIGN_OR_RETURN(Event e, ledger::DecodeRecord(r));
    WriteOne(e);
    if (progress && r.seq % kProgressEvery == 0) progress(r.seq);
    return absl::OkStatus();
  }));
  Flush();
  return absl::OkStatus();
}

absl::Status Projections::Write(absl::Span<const Event> events) {
  for (const Event& e : events) WriteOne(e);
  return absl::OkStatus();
}

void Projections::WriteOne(const Event& e) {
  auto put = [&](Kind k, const std::string& row) {
    File& file = files_[k];
    if (row.empty() || file.f == nullptr || e.seq <= file.last_seq) return;
    if (std::fwrite(row.data(), 1, row.size(), file.f) != row.size()) {
      Fail(file, absl::StrCat("writing ", file.path, ": ", std::strerror(errno)));
      return;
    }
    file.last_seq = e.seq;
  };
  if (auto* c = std::get_if<PositionClosed>(&e.body)) put(kTrades, TradeRow(e, *c));
  put(kOrders, OrderRowOf(e));
  if (IsThinking(e)) put(kThinking, EventToJson(e) + "\n");
}

void Projections::Flush() {
  for (File& f : files_) {
    if (f.f != nullptr && std::fflush(f.f) != 0) Fail(f, absl::StrCat("writing ", f.path, ": ", std::strerror(errno)));
  }
}

}  // namespace apollo::runtime
