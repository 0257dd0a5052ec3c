// Fixed-point decimal for prices, quantities and money: an int64 count of
// 1e-8 units. Nothing in the ledger is a double; doubles appear only at the
// edges (indicator maths, display) through explicit conversions.
//
//   auto px = Fixed::Parse("16650.5");   // StatusOr<Fixed>
//   Fixed notional = px->Mul(Fixed::FromInt(2));
//
// Arithmetic is checked: a result outside int64 (about +-92 billion units),
// a division by zero or a step <= 0 is never wrapped or guessed; it stops
// the process with one line naming the operation and its operands (the
// ledger holds every committed step; nothing half-computed is journaled).
// Inputs from outside are refused earlier: Parse and FromDoubleChecked say
// InvalidArgument instead. Rounding is stated per operation below.
#ifndef APOLLO_ENGINE_DOMAIN_FIXED_H_
#define APOLLO_ENGINE_DOMAIN_FIXED_H_

#include <compare>
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace apollo {

class Fixed {
 public:
  static constexpr int64_t kScale = 100'000'000;  // 8 decimal places

  constexpr Fixed() = default;
  static constexpr Fixed FromRaw(int64_t raw) { return Fixed(raw); }
  static Fixed FromInt(int64_t units);  // exact
  // Rounds to the nearest 1e-8 (halves away from zero); for values computed
  // in floating point. Not finite or out of range: fatal (see above).
  static Fixed FromDouble(double value);
  // The same, InvalidArgument instead of fatal.
  static absl::StatusOr<Fixed> FromDoubleChecked(double value);
  // Exact parse of a decimal string ("-12.345", "5e-3" is rejected). More than
  // eight decimals, overflow or garbage is InvalidArgument.
  static absl::StatusOr<Fixed> Parse(absl::string_view text);

  constexpr int64_t raw() const { return raw_; }
  double ToDouble() const { return static_cast<double>(raw_) / kScale; }
  // Shortest exact decimal form: "16650.5", "0", "-0.001".
  std::string ToString() const;

  // Sum, difference, negation: exact.
  Fixed operator+(Fixed o) const {
    int64_t r;
    if (__builtin_add_overflow(raw_, o.raw_, &r)) Overflow("+", *this, o);
    return Fixed(r);
  }
  Fixed operator-(Fixed o) const {
    int64_t r;
    if (__builtin_sub_overflow(raw_, o.raw_, &r)) Overflow("-", *this, o);
    return Fixed(r);
  }
  Fixed operator-() const { return Fixed() - *this; }
  Fixed& operator+=(Fixed o) { return *this = *this + o; }
  Fixed& operator-=(Fixed o) { return *this = *this - o; }
  // Product and quotient rounded to the nearest 1e-8, halves away from zero.
  Fixed Mul(Fixed o) const;
  Fixed Div(Fixed o) const;  // by zero: fatal
  // The same three, nullopt instead of fatal: for sums of numbers that came
  // from outside (a venue's report), where a result out of range is the
  // input's fault and is dropped, not the process's.
  std::optional<Fixed> CheckedAdd(Fixed o) const;
  std::optional<Fixed> CheckedMul(Fixed o) const;
  std::optional<Fixed> CheckedDiv(Fixed o) const;
  // Toward zero to a multiple of step / to the nearest multiple of step,
  // halves away from zero (step > 0, else fatal).
  Fixed FloorTo(Fixed step) const;
  Fixed RoundTo(Fixed step) const;
  constexpr bool is_zero() const { return raw_ == 0; }
  Fixed Abs() const { return raw_ < 0 ? -*this : *this; }

  constexpr auto operator<=>(const Fixed&) const = default;

 private:
  constexpr explicit Fixed(int64_t raw) : raw_(raw) {}
  [[noreturn]] static void Overflow(const char* op, Fixed a, Fixed b);
  int64_t raw_ = 0;
};

// A duration given in hours (a config's limit) as nanoseconds; beyond ten
// years, ten years (no overflow).
inline int64_t HoursToNs(Fixed hours) {
  const int64_t raw = std::min(hours.raw(), Fixed::FromInt(87'600).raw());
  return raw * (int64_t{3'600'000'000'000} / Fixed::kScale);
}

}  // namespace apollo

#endif  // APOLLO_ENGINE_DOMAIN_FIXED_H_
