// Ordered, percent-encoded request parameters.
#include "engine/venue/binance/params.h"

#include "absl/strings/str_cat.h"

namespace apollo::venue::binance {

Params& Params::Add(absl::string_view key, absl::string_view value) {
  entries_.emplace_back(std::string(key), std::string(value));
  return *this;
}

Params& Params::AddInt(absl::string_view key, int64_t value) {
  return Add(key, absl::StrCat(value));
}

Params& Params::AddDecimal(absl::string_view key, Fixed value) {
  return Add(key, value.ToString());
}

Params& Params::AddBool(absl::string_view key, bool value) {
  return Add(key, value ? "true" : "false");
}

std::string Params::Encode() const {
  std::string out;
  for (const auto& [key, value] : entries_) {
    if (!out.empty()) out.push_back('&');
    absl::StrAppend(&out, PercentEncode(key), "=", PercentEncode(value));
  }
  return out;
}


}  // namespace apollo::venue::binance
