#include "engine/runtime/daily_summary.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace apollo::runtime {
namespace {

constexpr int64_t kSecondsPerDay = 86'400;

std::string Date(int64_t day_utc) {
  return absl::FormatTime("%Y-%m-%d", absl::FromUnixSeconds(day_utc * kSecondsPerDay), absl::UTCTimeZone());
}

Fixed Percent(Fixed part, Fixed whole) {
  return whole.raw() > 0 ? part.Mul(Fixed::FromInt(100)).Div(whole) : Fixed();
}

// Name and value (already JSON: a number, or a quoted date) of each field, in file order.
std::vector<std::pair<std::string, std::string>> Fields(const DaySummary& d) {
  const DayMark &a = d.start, &b = d.end;
  const Fixed realized = b.realized_pnl - a.realized_pnl;
  const Fixed fees = b.fees_paid - a.fees_paid;
  const Fixed funding = (b.funding_received - a.funding_received) - (b.funding_paid - a.funding_paid);
  const Fixed net = realized - fees + funding;
  const uint64_t closes = b.counters.trades_closed - a.counters.trades_closed;
  const uint64_t wins = b.counters.wins - a.counters.wins;
  const Fixed cent = *Fixed::Parse("0.01");
  auto count = [](uint64_t n) { return absl::StrCat(n); };
  return {
      {"date", absl::StrCat("\"", Date(d.day_utc), "\"")},
      {"start_balance", a.balance.ToString()},
      {"end_balance", b.balance.ToString()},
      {"realized_pnl", realized.ToString()},
      {"fees", fees.ToString()},
      {"funding", funding.ToString()},
      {"net_pnl", net.ToString()},
      {"net_pnl_pct", Percent(net, a.balance).RoundTo(cent).ToString()},
      {"trades_closed", count(closes)},
      {"wins", count(wins)},
      {"losses", count(b.counters.losses - a.counters.losses)},
      {"win_rate_pct", Percent(Fixed::FromInt(static_cast<int64_t>(wins)), Fixed::FromInt(static_cast<int64_t>(closes)))
                           .RoundTo(cent)
                           .ToString()},
      {"signals", count(b.counters.signals - a.counters.signals)},
      {"proposals", count(b.counters.proposals - a.counters.proposals)},
      {"risk_rejections", count(b.counters.risk_rejections - a.counters.risk_rejections)},
      {"orders_placed", count(b.counters.orders_placed - a.counters.orders_placed)},
      {"orders_rejected", count(b.counters.orders_rejected - a.counters.orders_rejected)},
      {"fills", count(b.counters.fills - a.counters.fills)},
      {"open_positions", count(d.open_positions)},
      {"drawdown_pct", d.drawdown_pct.ToString()},
  };
}

absl::Status WriteWhole(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path aside = path.string() + ".tmp";
  std::FILE* f = std::fopen(aside.c_str(), "we");
  if (f == nullptr) return absl::UnavailableError(absl::StrCat("cannot write ", aside.string(), ": ", std::strerror(errno)));
  // Synced before the rename, and the directory after it: a power loss
  // leaves the old file or the new one, never an empty one.
  const bool written =
      std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  const int saved = errno;
  if (std::fclose(f) != 0 || !written) {
    std::error_code ec;
    std::filesystem::remove(aside, ec);
    return absl::UnavailableError(absl::StrCat("cannot write ", aside.string(), ": ", std::strerror(written ? errno : saved)));
  }
  std::error_code ec;
  std::filesystem::rename(aside, path, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot rename ", aside.string(), ": ", ec.message()));
  const std::string dir = path.parent_path().empty() ? "." : path.parent_path().string();
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!synced) return absl::UnavailableError(absl::StrCat("cannot sync ", dir, ": ", std::strerror(errno)));
  return absl::OkStatus();
}

}  // namespace

std::string DaySummaryStem(int64_t day_utc) { return absl::StrCat("daily_summary_", Date(day_utc)); }

std::string DaySummaryJson(const DaySummary& day) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : Fields(day)) parts.push_back(absl::StrCat("\"", name, "\":", value));
  return absl::StrCat("{", absl::StrJoin(parts, ","), "}\n");
}

std::string DaySummaryCsv(const DaySummary& day) {
  std::vector<std::string> names, values;
  for (auto& [name, value] : Fields(day)) {
    names.push_back(name);
    values.push_back(name == "date" ? Date(day.day_utc) : value);
  }
  return absl::StrCat(absl::StrJoin(names, ","), "\n", absl::StrJoin(values, ","), "\n");
}

absl::Status WriteDaySummary(const std::string& dir, const DaySummary& day) {
  const std::filesystem::path stem = std::filesystem::path(dir) / DaySummaryStem(day.day_utc);
  if (absl::Status st = WriteWhole(stem.string() + ".json", DaySummaryJson(day)); !st.ok()) return st;
  return WriteWhole(stem.string() + ".csv", DaySummaryCsv(day));
}

}  // namespace apollo::runtime
