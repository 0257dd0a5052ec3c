// Fixed-point arithmetic and exact decimal conversion.
#include "engine/domain/fixed.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace apollo {
namespace {

// num / den rounded to the nearest integer, halves away from zero; false if
// den is 0 or the result is outside int64.
bool RoundedQuotient(__int128 num, __int128 den, int64_t* out) {
  if (den == 0) return false;
  if (den < 0) { num = -num; den = -den; }
  __int128 q = num / den;
  __int128 r = num % den;
  if (2 * (r < 0 ? -r : r) >= den) q += (num < 0) ? -1 : 1;
  if (q > std::numeric_limits<int64_t>::max() || q < std::numeric_limits<int64_t>::min()) return false;
  *out = static_cast<int64_t>(q);
  return true;
}

}  // namespace

void Fixed::Overflow(const char* op, Fixed a, Fixed b) {
  // Domain code does no I/O, but a wrong amount of money must not go on.
  std::fprintf(stderr, "fatal: fixed-point %s of %s and %s is out of range or undefined\n", op,
               a.ToString().c_str(), b.ToString().c_str());
  std::abort();
}

Fixed Fixed::FromInt(int64_t units) {
  int64_t r;
  if (__builtin_mul_overflow(units, kScale, &r)) Overflow("FromInt", Fixed(units), Fixed(kScale));
  return Fixed(r);
}

absl::StatusOr<Fixed> Fixed::FromDoubleChecked(double value) {
  const double scaled = std::round(value * kScale);
  // 2^63 is exactly representable; every double below it converts.
  if (!std::isfinite(scaled) || scaled >= 9223372036854775808.0 || scaled < -9223372036854775808.0) {
    return absl::InvalidArgumentError(absl::StrCat("number out of range: ", value));
  }
  return Fixed(static_cast<int64_t>(scaled));
}

Fixed Fixed::FromDouble(double value) {
  absl::StatusOr<Fixed> f = FromDoubleChecked(value);
  if (!f.ok()) {
    std::fprintf(stderr, "fatal: fixed-point FromDouble of %g is out of range or not a number\n", value);
    std::abort();
  }
  return *f;
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
  int64_t r;
  if (!RoundedQuotient(static_cast<__int128>(raw_) * o.raw_, kScale, &r)) Overflow("Mul", *this, o);
  return Fixed(r);
}

Fixed Fixed::Div(Fixed o) const {
  int64_t r;
  if (!RoundedQuotient(static_cast<__int128>(raw_) * kScale, o.raw_, &r)) Overflow("Div", *this, o);
  return Fixed(r);
}

std::optional<Fixed> Fixed::CheckedAdd(Fixed o) const {
  int64_t r;
  if (__builtin_add_overflow(raw_, o.raw_, &r)) return std::nullopt;
  return Fixed(r);
}

std::optional<Fixed> Fixed::CheckedMul(Fixed o) const {
  int64_t r;
  if (!RoundedQuotient(static_cast<__int128>(raw_) * o.raw_, kScale, &r)) return std::nullopt;
  return Fixed(r);
}

std::optional<Fixed> Fixed::CheckedDiv(Fixed o) const {
  int64_t r;
  if (!RoundedQuotient(static_cast<__int128>(raw_) * kScale, o.raw_, &r)) return std::nullopt;
  return Fixed(r);
}

Fixed Fixed::FloorTo(Fixed step) const {
  if (step.raw_ <= 0) Overflow("FloorTo", *this, step);
  return Fixed(raw_ / step.raw_ * step.raw_);  // cannot overflow: |result| <= |raw_|
}

Fixed Fixed::RoundTo(Fixed step) const {
  int64_t q, r;
  if (step.raw_ <= 0 || !RoundedQuotient(raw_, step.raw_, &q) || __builtin_mul_overflow(q, step.raw_, &r)) {
    Overflow("RoundTo", *this, step);
  }
  return Fixed(r);
}

}  // namespace apollo
