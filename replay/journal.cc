// Reading a ledger's journaled config and bars; see journal.h.
#include "replay/journal.h"

#include "absl/strings/str_cat.h"
#include "engine/domain/status_macros.h"
#include "ledger/event_log.h"

namespace apollo::replay {

absl::StatusOr<Journaled> ReadJournaled(const ledger::Ledger& ledger) {
  Journaled j;
  const uint64_t head = ledger.head().last_seq;
  if (head > 0) {
    RETURN_IF_ERROR(ledger.Scan(1, head, [&](const ledger::RecordView& r) -> absl::Status {
      const auto tag = static_cast<EventTag>(r.tag);
      if (tag != EventTag::kCandleClose && tag != EventTag::kConfigLoaded && tag != EventTag::kInstrumentFiltersUpdated) {
        return absl::OkStatus();
      }
      ASSIGN_OR_RETURN(Event e, ledger::DecodeRecord(r));
      if (auto* c = std::get_if<ConfigLoaded>(&e.body); c != nullptr && !c->config_text.empty()) {
        j.config_text = c->config_text;
      } else if (auto* b = std::get_if<CandleClose>(&e.body)) {
        j.bars[b->symbol].push_back(std::move(*b));
      } else if (auto* f = std::get_if<InstrumentFiltersUpdated>(&e.body)) {
        j.filters[f->symbol] = f->filters;
      }
      return absl::OkStatus();
    }));
  }
  if (j.bars.empty()) return absl::FailedPreconditionError("the ledger holds no bar to re-run");
  return j;
}

std::string BarsCsv(const std::vector<CandleClose>& bars) {
  std::string out = "open_time_ms,open,high,low,close,volume\n";
  for (const CandleClose& b : bars) {
    absl::StrAppend(&out, b.open_time_ms, ",", b.open.ToString(), ",", b.high.ToString(), ",", b.low.ToString(), ",",
                    b.close.ToString(), ",", b.volume.ToString(), "\n");
  }
  return out;
}

}  // namespace apollo::replay
