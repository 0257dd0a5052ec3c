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

std::string PercentEncode(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                            c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

}  // namespace apollo::venue::binance
