// See time_flag.h.
#include "tools/time_flag.h"

#include "absl/strings/str_cat.h"

namespace apollo::tools {

absl::StatusOr<absl::Time> ParseTimeFlag(const std::string& flag, const std::string& text) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &t, &err) ||
      absl::ParseTime(absl::RFC3339_full, text, absl::UTCTimeZone(), &t, &err)) {
    return t;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(flag, ": expected a time such as 2023-01-20 or 2023-01-20T12:00:00Z (got '", text, "')"));
}

}  // namespace apollo::tools
