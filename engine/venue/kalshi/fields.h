// The field rules Kalshi's payloads share (payloads.cc for REST answers,
// stream.cc for WebSocket messages): exact dollars (at most 4 decimals,
// prices 0..1), counts (at most 2 decimals, not negative), RFC 3339 times,
// order status names. Internal to engine/venue/kalshi.
#ifndef APOLLO_ENGINE_VENUE_KALSHI_FIELDS_H_
#define APOLLO_ENGINE_VENUE_KALSHI_FIELDS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/domain/status_macros.h"
#include "engine/venue/json_fields.h"
#include "engine/venue/kalshi/payloads.h"

namespace apollo::venue::kalshi::internal {

namespace od = simdjson::ondemand;

struct KalshiName {
  static constexpr absl::string_view kName = "kalshi";
};
using Fields = payload::Fields<KalshiName>;
using Json = payload::Json<KalshiName>;


// A *_dollars money amount: at most 4 decimals; `price`: also 0..1.
inline absl::StatusOr<std::optional<Fixed>> OptDollars(Fields& f, absl::string_view field, bool price) {
  ASSIGN_OR_RETURN(std::optional<Fixed> v, f.OptDec(field));
  if (!v) return v;
  if (v->raw() % kCent4 != 0) return f.Error(field, absl::StrCat("more than 4 decimals: '", v->ToString(), "'"));
  if (price && (*v < Fixed() || *v > Fixed::FromInt(1))) {
    return f.Error(field, absl::StrCat("a price outside 0..1 dollars: '", v->ToString(), "'"));
  }
  return v;
}
inline absl::StatusOr<Fixed> Dollars(Fields& f, absl::string_view field, bool price) {
  ASSIGN_OR_RETURN(std::optional<Fixed> v, OptDollars(f, field, price));
  if (!v) return f.Error(field, "missing");
  return *v;
}

// A contract count as text: at most 2 decimals, never negative.
inline absl::Status CheckCount(Fields& f, absl::string_view field, Fixed v, bool may_be_negative = false) {
  if (v.raw() % kCent2 != 0) return f.Error(field, absl::StrCat("more than 2 decimals: '", v.ToString(), "'"));
  if (!may_be_negative && v < Fixed()) return f.Error(field, absl::StrCat("negative: '", v.ToString(), "'"));
  return absl::OkStatus();
}
inline absl::StatusOr<Fixed> Count(Fields& f, absl::string_view field, bool may_be_negative = false) {
  ASSIGN_OR_RETURN(Fixed v, f.Dec(field));
  RETURN_IF_ERROR(CheckCount(f, field, v, may_be_negative));
  return v;
}

// An RFC 3339 time ("2026-01-01T00:00:00Z") as Unix ms; 0 when absent.
inline absl::StatusOr<int64_t> TimeMs(Fields& f, absl::string_view field) {
  ASSIGN_OR_RETURN(std::optional<std::string> text, f.OptStr(field));
  if (!text || text->empty()) return 0;
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, *text, &t, &error)) {
    return f.Error(field, absl::StrCat("not an RFC 3339 time: '", *text, "'"));
  }
  return absl::ToUnixMillis(t);
}

// One side of a book, REST or stream: [["0.4200", "13.00"], ...], each
// price strictly between 0 and 1 dollars and each count above 0.
inline absl::Status ReadBookSide(Fields& book, absl::string_view field, std::vector<BookLevel>* out) {
  ASSIGN_OR_RETURN(std::optional<od::array> levels, book.OptArray(field));
  if (!levels) return absl::OkStatus();
  size_t index = 0;
  for (auto element : *levels) {
    const std::string where = absl::StrCat(field, "[", index++, "]");
    od::array pair;
    if (simdjson::error_code e = element.get_array().get(pair)) return book.Error(where, payload::Problem(e));
    std::vector<std::string> texts;
    for (auto item : pair) {
      std::string_view text;
      if (simdjson::error_code e = item.get_string().get(text)) return book.Error(where, payload::Problem(e));
      texts.emplace_back(text);
    }
    if (texts.size() != 2) return book.Error(where, "not a [price, count] pair");
    absl::StatusOr<Fixed> price = Fixed::Parse(texts[0]);
    absl::StatusOr<Fixed> count = Fixed::Parse(texts[1]);
    if (!price.ok() || !IsTradablePrice(*price)) {
      return book.Error(where, absl::StrCat("not a price strictly between 0 and 1 dollars: '", texts[0], "'"));
    }
    if (!count.ok() || !IsContractCount(*count)) {
      return book.Error(where, absl::StrCat("not a positive count: '", texts[1], "'"));
    }
    out->push_back(BookLevel{*price, *count});
  }
  return absl::OkStatus();
}

// "resting" | "canceled" | "executed".
inline absl::StatusOr<OrderStatus> StatusField(Fields& f) {
  ASSIGN_OR_RETURN(std::string status, f.Str("status"));
  if (status == "resting") return OrderStatus::kResting;
  if (status == "canceled") return OrderStatus::kCanceled;
  if (status == "executed") return OrderStatus::kExecuted;
  return f.Error("status", absl::StrCat("unknown value '", status, "'"));
}

}  // namespace apollo::venue::kalshi::internal

#endif  // APOLLO_ENGINE_VENUE_KALSHI_FIELDS_H_
