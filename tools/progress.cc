// Progress lines; see progress.h.
#include "tools/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace apollo::tools {
namespace {

constexpr int kBarWidth = 28;

std::string Eta(double seconds) {
  if (seconds < 60) return absl::StrFormat("%.0fs", seconds);
  if (seconds < 3600) return absl::StrFormat("%dm%02ds", static_cast<int>(seconds) / 60, static_cast<int>(seconds) % 60);
  return absl::StrFormat("%dh%02dm", static_cast<int>(seconds) / 3600, static_cast<int>(seconds) % 3600 / 60);
}

}  // namespace

Progress::Progress(std::string unit, uint64_t total)
    : unit_(std::move(unit)), total_(total), tty_(isatty(STDERR_FILENO) == 1), start_(absl::Now()), last_draw_(start_) {}

std::string Progress::Line(const std::string& unit, uint64_t done, uint64_t total, double seconds, bool bar) {
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::string out;
  if (total > 0) {
    const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    if (bar) {
      const int filled = static_cast<int>(frac * kBarWidth);
      absl::StrAppend(&out, "[", std::string(filled, '#'), std::string(kBarWidth - filled, '.'), "] ");
    }
    absl::StrAppend(&out, absl::StrFormat("%3.0f%% %d/%d %s", frac * 100, done, total, unit));
  } else {
    absl::StrAppend(&out, absl::StrFormat("%d %s", done, unit));
  }
  absl::StrAppend(&out, absl::StrFormat("  %.0f %s/s", rate, unit));
  if (total > 0 && rate > 0 && done < total) {
    absl::StrAppend(&out, "  ETA ", Eta(static_cast<double>(total - done) / rate));
  }
  return out;
}

void Progress::Update(uint64_t done) {
  done_ = done;
  const absl::Time now = absl::Now();
  const double seconds = absl::ToDoubleSeconds(now - start_);
  if (tty_) {
    if (now - last_draw_ < absl::Milliseconds(100)) return;
    last_draw_ = now;
    std::fprintf(stderr, "\r%s\033[K", Line(unit_, done, total_, seconds, true).c_str());
    shown_ = true;
    return;
  }
  if (total_ == 0) return;
  const int decile = static_cast<int>(std::min<uint64_t>(10, done * 10 / total_));
  if (decile <= last_decile_ || decile == 0 || decile == 10) return;
  last_decile_ = decile;
  std::fprintf(stderr, "%s\n", Line(unit_, done, total_, seconds, false).c_str());
}

void Progress::Done() {
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start_);
  if (tty_ && shown_) std::fprintf(stderr, "\r%s\033[K\n", Line(unit_, done_, total_, seconds, true).c_str());
}

}  // namespace apollo::tools
