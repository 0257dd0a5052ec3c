// Fixed-point decimal for prices, quantities and money: an int64 count of
// 1e-8 units. Nothing in the ledger is a double; doubles appear only at the
// edges (indicator maths, display) through explicit conversions.
//
//   auto px = Fixed::Parse("16650.5");   // StatusOr<Fixed>
//   Fixed notional = px->Mul(Fixed::FromInt(2));
#ifndef APOLLO_ENGINE_DOMAIN_FIXED_H_
#define APOLLO_ENGINE_DOMAIN_FIXED_H_

#include <compare>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace apollo {

class Fixed {
 public:
  static constexpr int64_t kScale = 100'000'000;  // 8 decimal places

  constexpr Fixed() = default;
  static constexpr Fixed FromRaw(int64_t raw) { return Fixed(raw); }
  static constexpr Fixed FromInt(int64_t units) { return Fixed(units * kScale); }
  // Rounds to the nearest 1e-8; for values computed in floating point.
  static Fixed FromDouble(double value);
  // Exact parse of a decimal string ("-12.345", "5e-3" is rejected). More than
  // eight decimals, overflow or garbage is InvalidArgument.
  static absl::StatusOr<Fixed> Parse(absl::string_view text);

  constexpr int64_t raw() const { return raw_; }
  double ToDouble() const { return static_cast<double>(raw_) / kScale; }
  // Shortest exact decimal form: "16650.5", "0", "-0.001".
  std::string ToString() const;

  constexpr Fixed operator+(Fixed o) const { return Fixed(raw_ + o.raw_); }
  constexpr Fixed operator-(Fixed o) const { return Fixed(raw_ - o.raw_); }
  constexpr Fixed operator-() const { return Fixed(-raw_); }
  Fixed& operator+=(Fixed o) { raw_ += o.raw_; return *this; }
  Fixed& operator-=(Fixed o) { raw_ -= o.raw_; return *this; }
  // Product and quotient rounded half away from zero to 1e-8.
  Fixed Mul(Fixed o) const;
  Fixed Div(Fixed o) const;  // o must be non-zero
  // Rounds toward zero / to nearest multiple of step (step > 0).
  Fixed FloorTo(Fixed step) const;
  Fixed RoundTo(Fixed step) const;
  constexpr bool is_zero() const { return raw_ == 0; }
  constexpr Fixed Abs() const { return Fixed(raw_ < 0 ? -raw_ : raw_); }

  constexpr auto operator<=>(const Fixed&) const = default;

 private:
  constexpr explicit Fixed(int64_t raw) : raw_(raw) {}
  int64_t raw_ = 0;
};

}  // namespace apollo

#endif  // APOLLO_ENGINE_DOMAIN_FIXED_H_
