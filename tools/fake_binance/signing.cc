// Request parsing and HMAC-SHA256 checking (see signing.h).
#include "tools/fake_binance/signing.h"

#include <openssl/evp.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace apollo::fake_binance {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string UrlDecode(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

std::string HmacSha256Hex(absl::string_view key, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, sizeof mac,
                &mac_len) == nullptr) {
    return "";  // never equal to a 64-character signature
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(mac_len * 2);
  for (size_t i = 0; i < mac_len; ++i) {
    hex.push_back(kHex[mac[i] >> 4]);
    hex.push_back(kHex[mac[i] & 0xf]);
  }
  return hex;
}

void ParseForm(absl::string_view form, Params* params) {
  for (absl::string_view pair : absl::StrSplit(form, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    (*params)[UrlDecode(kv.first)] = UrlDecode(kv.second);
  }
}

std::string StripSignature(absl::string_view form, std::optional<std::string>* signature) {
  std::vector<absl::string_view> kept;
  for (absl::string_view pair : absl::StrSplit(form, '&')) {
    if (absl::StartsWith(pair, "signature=")) {
      *signature = std::string(pair.substr(10));
    } else {
      kept.push_back(pair);
    }
  }
  return absl::StrJoin(kept, "&");
}

bool SignaturesEqual(absl::string_view expected_lower_hex, absl::string_view given) {
  if (expected_lower_hex.size() != given.size() || expected_lower_hex.empty()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(expected_lower_hex[i] ^ absl::ascii_tolower(given[i]));
  }
  return diff == 0;
}

}  // namespace apollo::fake_binance
