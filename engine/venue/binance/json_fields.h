// The shared JSON field readers (engine/venue/json_fields.h) under
// Binance's name, for its payload readers (payloads.cc for REST answers,
// market_payloads.cc and user_payloads.cc for klines, trades and user-data
// stream events): "binance order: field 'executedQty': not a decimal:
// 'abc'". Internal to engine/venue/binance.
//
//   Json doc(body);
//   od::object root;
//   RETURN_IF_ERROR(doc.Object("order", &root));
//   Fields f(root, "order");
//   ASSIGN_OR_RETURN(Fixed qty, f.Dec("executedQty"));
#ifndef APOLLO_ENGINE_VENUE_BINANCE_JSON_FIELDS_H_
#define APOLLO_ENGINE_VENUE_BINANCE_JSON_FIELDS_H_

#include <utility>

#include "engine/venue/json_fields.h"

namespace apollo::venue::binance {

namespace od = simdjson::ondemand;

struct BinanceName {
  static constexpr absl::string_view kName = "binance";
};

using Fields = payload::Fields<BinanceName>;
using Json = payload::Json<BinanceName>;
using payload::Problem;
using payload::Std;

inline absl::Status Malformed(absl::string_view what, simdjson::error_code e) {
  return payload::Malformed<BinanceName>(what, e);
}
inline absl::Status CheckWholeJson(absl::string_view what, absl::string_view text) {
  return payload::CheckWholeJson<BinanceName>(what, text);
}
template <class Read>
absl::Status ForEachObject(od::array& array, absl::string_view what, Read read) {
  return payload::ForEachObject<BinanceName>(array, what, std::move(read));
}
template <class T, class One>
absl::StatusOr<std::vector<T>> ParseList(absl::string_view text, absl::string_view what, One one) {
  return payload::ParseList<BinanceName, T>(text, what, std::move(one));
}
template <class T, class One>
absl::StatusOr<std::vector<T>> ParseOneOrList(absl::string_view text, absl::string_view what, One one) {
  return payload::ParseOneOrList<BinanceName, T>(text, what, std::move(one));
}

}  // namespace apollo::venue::binance

#endif  // APOLLO_ENGINE_VENUE_BINANCE_JSON_FIELDS_H_
