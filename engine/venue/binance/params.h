// Request parameters for Binance REST calls, kept in the order they were added
// because a signature covers the exact string sent. Values are percent-encoded
// (RFC 3986 unreserved characters pass through), so the encoded form is what
// gets signed and what the server sees.
//
//   Params p;
//   p.Add("symbol", "BTCUSDT").Add("side", "BUY").AddDecimal("quantity", qty);
//   std::string query = p.Encode();   // "symbol=BTCUSDT&side=BUY&quantity=0.001"
//
// Typed adders have distinct names on purpose: an overloaded Add(key, bool)
// would silently win over Add(key, string_view) for a string literal.
#ifndef APOLLO_ENGINE_VENUE_BINANCE_PARAMS_H_
#define APOLLO_ENGINE_VENUE_BINANCE_PARAMS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/domain/fixed.h"
#include "engine/net/http_client.h"

namespace apollo::venue::binance {

class Params {
 public:
  Params& Add(absl::string_view key, absl::string_view value);
  Params& AddInt(absl::string_view key, int64_t value);
  Params& AddDecimal(absl::string_view key, Fixed value);  // shortest exact form: "0.001"
  Params& AddBool(absl::string_view key, bool value);      // "true" / "false"

  bool empty() const { return entries_.empty(); }
  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }
  // "k1=v1&k2=v2", values and keys percent-encoded.
  std::string Encode() const;

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

using net::PercentEncode;

}  // namespace apollo::venue::binance

#endif  // APOLLO_ENGINE_VENUE_BINANCE_PARAMS_H_
