// The RSA key of Kalshi's published signing vectors
// (tests/data/kalshi/signing_vectors.json) and its key id: what the
// Kalshi suites sign with and their loopback venues check against.
// Header-only; the test defines APOLLO_SOURCE_DIR.
#ifndef APOLLO_TESTS_SUPPORT_KALSHI_KEYS_H_
#define APOLLO_TESTS_SUPPORT_KALSHI_KEYS_H_

#include <simdjson.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace apollo::testing {

inline constexpr char kKalshiKeyId[] = "a952bcbe-ec3b-4b5b-b8f9-11dae589608c";

struct KalshiTestKey {
  std::string private_pem, public_pem;
};

inline KalshiTestKey ReadKalshiTestKey() {
  std::ifstream in(std::string(APOLLO_SOURCE_DIR) + "/tests/data/kalshi/signing_vectors.json");
  std::stringstream text;
  text << in.rdbuf();
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(text.str());
  return {std::string(std::string_view(doc["private_key_pem"])), std::string(std::string_view(doc["public_key_pem"]))};
}

}  // namespace apollo::testing

#endif  // APOLLO_TESTS_SUPPORT_KALSHI_KEYS_H_
