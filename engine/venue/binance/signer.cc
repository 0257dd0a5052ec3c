// HMAC-SHA256 through OpenSSL 3's EVP_MAC, keyed once and duplicated per call.
#include "engine/venue/binance/signer.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "absl/status/status.h"

namespace apollo::venue::binance {

struct Signer::Context {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* keyed = nullptr;
  ~Context() {
    EVP_MAC_CTX_free(keyed);
    EVP_MAC_free(mac);
  }
};

absl::StatusOr<Signer> Signer::Create(absl::string_view secret) {
  if (secret.empty()) return absl::InvalidArgumentError("binance signer: empty API secret");
  auto context = std::make_unique<Context>();
  context->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (context->mac == nullptr) return absl::InternalError("binance signer: OpenSSL has no HMAC");
  context->keyed = EVP_MAC_CTX_new(context->mac);
  if (context->keyed == nullptr) return absl::InternalError("binance signer: EVP_MAC_CTX_new failed");
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(context->keyed, reinterpret_cast<const unsigned char*>(secret.data()),
                   secret.size(), params) != 1) {
    return absl::InternalError("binance signer: EVP_MAC_init failed");
  }
  return Signer(std::move(context));
}

absl::StatusOr<std::string> Signer::Sign(absl::string_view payload) const {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(context_->keyed);
  if (ctx == nullptr) return absl::InternalError("binance signer: EVP_MAC_CTX_dup failed");
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  const bool ok =
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) == 1 &&
      EVP_MAC_final(ctx, mac, &mac_len, sizeof mac) == 1;
  EVP_MAC_CTX_free(ctx);
  if (!ok) return absl::InternalError("binance signer: HMAC computation failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(mac_len * 2, '0');
  for (size_t i = 0; i < mac_len; ++i) {
    hex[2 * i] = kHex[mac[i] >> 4];
    hex[2 * i + 1] = kHex[mac[i] & 0xF];
  }
  return hex;
}

Signer::Signer(std::unique_ptr<Context> context) : context_(std::move(context)) {}
Signer::Signer(Signer&&) noexcept = default;
Signer& Signer::operator=(Signer&&) noexcept = default;
Signer::~Signer() = default;

}  // namespace apollo::venue::binance
