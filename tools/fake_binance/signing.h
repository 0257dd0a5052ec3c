// Server-side request parsing and signature checking, as Binance does it:
// parameters come from the query string and a form-encoded body (the query
// string wins on a clash); `signature` is the lowercase hex HMAC-SHA256,
// under the API secret, of the query string immediately followed by the body,
// both taken byte for byte as sent, minus the `signature=` parameter itself
// (shared/data/binance/signing_vectors.json).
#ifndef APOLLO_TOOLS_FAKE_BINANCE_SIGNING_H_
#define APOLLO_TOOLS_FAKE_BINANCE_SIGNING_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "tools/fake_binance/fake_exchange.h"

namespace apollo::fake_binance {

// Lowercase hex HMAC-SHA256 (64 characters).
std::string HmacSha256Hex(absl::string_view key, absl::string_view data);

// "a=1&b=x%2Fy" → {a: "1", b: "x/y"} added to `params` (later keys win).
void ParseForm(absl::string_view form, Params* params);

// `form` without its `signature=` parameter; the value goes to *signature
// (if the parameter was there).
std::string StripSignature(absl::string_view form, std::optional<std::string>* signature);

// Constant-time comparison of two hex signatures, case-insensitive.
bool SignaturesEqual(absl::string_view expected_lower_hex, absl::string_view given);

}  // namespace apollo::fake_binance

#endif  // APOLLO_TOOLS_FAKE_BINANCE_SIGNING_H_
