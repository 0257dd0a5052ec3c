// Fixed-point arithmetic and exact decimal conversion.
#include "engine/domain/fixed.h"

#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace apollo {
namespace {

int64_t RoundedQuotient(__int128 num, __int128 den) {
  if (den < 0) { num = -num; den = -den; }
  __int128 q = num / den;
  __int128 r = num % den;
  if (2 * (r < 0 ? -r : r) >= den) q += (num < 0) ? -1 : 1;
  return static_cast<int64_t>(q);
}

}  // namespace

Fixed Fixed::FromDouble(double value) {
  return Fixed(static_cast<int64_t>(std::llround(value * kScale)));
}

absl::StatusOr<Fixed> Fixed::Parse(absl::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError("empty number");
  size_t i = 0;
  bool negative = false;
  if (text[0] == '-' || text[0] == '+') {
    negative = text[0] == '-';
    i = 1;
  }
  __int128 units = 0;
  int decimals = -1;  // -1 until the point is seen
  bool any_digit = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (decimals >= 0) return absl::InvalidArgumentError(absl::StrCat("not a number: '", text, "'"));
      decimals = 0;
      continue;
    }
    if (c < '0' || c > '9') return absl::InvalidArgumentError(absl::StrCat("not a number: '", text, "'"));
    any_digit = true;
    if (decimals >= 0) {
      if (decimals == 8) {
        if (c != '0') return absl::InvalidArgumentError(absl::StrCat("more than 8 decimals: '", text, "'"));
        continue;
      }
      ++decimals;
    }
    units = units * 10 + (c - '0');
    if (units > std::numeric_limits<int64_t>::max()) {
      return absl::InvalidArgumentError(absl::StrCat("number out of range: '", text, "'"));
    }
  }
  if (!any_digit) return absl::InvalidArgumentError(absl::StrCat("not a number: '", text, "'"));
  for (int d = decimals < 0 ? 0 : decimals; d < 8; ++d) {
    units *= 10;
    if (units > std::numeric_limits<int64_t>::max()) {
      return absl::InvalidArgumentError(absl::StrCat("number out of range: '", text, "'"));
    }
  }
  return Fixed(static_cast<int64_t>(negative ? -units : units));
}

std::string Fixed::ToString() const {
  const bool negative = raw_ < 0;
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(raw_) : static_cast<uint64_t>(raw_);
  std::string out = negative ? "-" : "";
  absl::StrAppend(&out, magnitude / kScale);
  uint64_t frac = magnitude % kScale;
  if (frac != 0) {
    char digits[9];
    for (int d = 7; d >= 0; --d) {
      digits[d] = static_cast<char>('0' + frac % 10);
      frac /= 10;
    }
    int len = 8;
    while (len > 0 && digits[len - 1] == '0') --len;
    out.push_back('.');
    out.append(digits, len);
  }
  return out;
}

Fixed Fixed::Mul(Fixed o) const {
  return Fixed(RoundedQuotient(static_cast<__int128>(raw_) * o.raw_, kScale));
}

Fixed Fixed::Div(Fixed o) const {
  return Fixed(RoundedQuotient(static_cast<__int128>(raw_) * kScale, o.raw_));
}

Fixed Fixed::FloorTo(Fixed step) const { return Fixed(raw_ / step.raw_ * step.raw_); }

Fixed Fixed::RoundTo(Fixed step) const {
  return Fixed(RoundedQuotient(raw_, step.raw_) * step.raw_);
}

}  // namespace apollo
