// StepAssembler: see step_assembler.h.
#include "engine/live/step_assembler.h"

#include <algorithm>

namespace apollo::live {

StepAssembler::StepAssembler(std::vector<Symbol> symbols, int64_t grace_ms)
    : symbols_(symbols.begin(), symbols.end()), grace_ms_(grace_ms) {}

void StepAssembler::Add(const Symbol& symbol, const strategy::Bar& bar, int64_t now_ms) {
  int64_t& latest = latest_[symbol];
  latest = std::max(latest, bar.open_time_ms);
  if (bar.open_time_ms <= last_left_open_ms_) {
    late_.push_back({runtime::SymbolBar{symbol, bar}});
    return;
  }
  auto [it, inserted] = pending_.try_emplace(bar.open_time_ms);
  if (inserted) it->second.first_seen_ms = now_ms;
  std::vector<runtime::SymbolBar>& bars = it->second.bars;
  // One bar per symbol and open time: a second one replaces the first.
  auto same = std::find_if(bars.begin(), bars.end(), [&](const runtime::SymbolBar& b) { return b.symbol == symbol; });
  if (same != bars.end()) {
    same->bar = bar;
  } else {
    bars.push_back({symbol, bar});
  }
}

std::vector<std::vector<runtime::SymbolBar>> StepAssembler::TakeReady(int64_t now_ms) {
  std::vector<std::vector<runtime::SymbolBar>> out = std::exchange(late_, {});
  while (!pending_.empty()) {
    auto it = pending_.begin();
    const std::vector<runtime::SymbolBar>& bars = it->second.bars;
    bool complete = true, final = true;
    for (const Symbol& s : symbols_) {
      if (std::any_of(bars.begin(), bars.end(), [&](const runtime::SymbolBar& b) { return b.symbol == s; })) continue;
      complete = false;
      // A symbol whose feed has handed over a later bar has none for this
      // open time: its feeds hand bars over in order.
      auto latest = latest_.find(s);
      final = final && latest != latest_.end() && latest->second > it->first;
    }
    if (!final && now_ms - it->second.first_seen_ms < grace_ms_) break;
    if (!complete) ++partial_;
    std::vector<runtime::SymbolBar> step = std::move(it->second.bars);
    std::sort(step.begin(), step.end(), [](const runtime::SymbolBar& a, const runtime::SymbolBar& b) {
      return a.symbol < b.symbol;
    });
    last_left_open_ms_ = it->first;
    pending_.erase(it);
    out.push_back(std::move(step));
  }
  return out;
}

void StepAssembler::RemoveSymbol(const Symbol& symbol) {
  symbols_.erase(symbol);
  latest_.erase(symbol);
  // Its bars waiting here go too: were it to come back, its history would
  // journal them first.
  auto other = [&](const runtime::SymbolBar& b) { return b.symbol == symbol; };
  for (auto it = pending_.begin(); it != pending_.end();) {
    std::erase_if(it->second.bars, other);
    it = it->second.bars.empty() ? pending_.erase(it) : std::next(it);
  }
  for (auto it = late_.begin(); it != late_.end();) {
    std::erase_if(*it, other);
    it = it->empty() ? late_.erase(it) : std::next(it);
  }
}

size_t StepAssembler::held() const {
  size_t n = 0;
  for (const auto& [open_ms, p] : pending_) n += p.bars.size();
  return n;
}

}  // namespace apollo::live
