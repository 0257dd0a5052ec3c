// Kalshi request signing (issue 15 §2): every authenticated request carries
// KALSHI-ACCESS-KEY (the key id), KALSHI-ACCESS-TIMESTAMP (Unix ms) and
// KALSHI-ACCESS-SIGNATURE, the base64 RSA-PSS signature (SHA-256, MGF1 with
// SHA-256, a 32-byte salt) of `timestamp_ms + METHOD + path`, the path taken
// from the API root (/trade-api/v2/...) without host or query string. The
// WebSocket handshake signs "GET" and /trade-api/ws/v2 the same way.
//
//   ASSIGN_OR_RETURN(Signer signer, Signer::FromPem(pem_text));
//   ASSIGN_OR_RETURN(std::string sig, signer.Sign(1703123456789, "GET", "/trade-api/v2/portfolio/balance?limit=5"));
//
// PSS signatures are randomised: two signatures of one message differ, and
// both verify (Verify). The key is held in an OpenSSL EVP_PKEY only; no
// message of this file quotes key material.
#ifndef APOLLO_ENGINE_VENUE_KALSHI_SIGNER_H_
#define APOLLO_ENGINE_VENUE_KALSHI_SIGNER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace apollo::venue::kalshi {

// What is signed: "1703123456789GET/trade-api/v2/portfolio/balance". The
// query string, if any, is cut off; the method is upper-cased.
std::string SigningMessage(int64_t timestamp_ms, absl::string_view method, absl::string_view path);

class Signer {
 public:
  // An RSA private key in PEM (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE
  // KEY"), unencrypted. InvalidArgument, quoting nothing of the text, when it
  // is not one (or not RSA, or under 2048 bits).
  static absl::StatusOr<Signer> FromPem(absl::string_view pem);

  // Base64 (standard, padded) of the signature of SigningMessage(...).
  [[nodiscard]] absl::StatusOr<std::string> Sign(int64_t timestamp_ms, absl::string_view method,
                                                 absl::string_view path) const;

  Signer(Signer&&) noexcept;
  Signer& operator=(Signer&&) noexcept;
  ~Signer();

 private:
  struct Key;
  explicit Signer(std::unique_ptr<Key> key);
  std::unique_ptr<Key> key_;
};

// OK when `signature_b64` is a valid signature of `message` under the RSA
// public key in `public_pem` (PEM "PUBLIC KEY"); InvalidArgument otherwise,
// naming which (not base64, bad key, does not verify). For tests and the
// fake venue.
absl::Status Verify(absl::string_view public_pem, absl::string_view message, absl::string_view signature_b64);

// True when a request's KALSHI-ACCESS-KEY (`key`), -TIMESTAMP and
// -SIGNATURE headers sign `method` and `path` with the key `key_id` names
// (its public half `public_pem`). For the fake venue's REST and WebSocket.
bool SignedRequest(absl::string_view key_id, absl::string_view public_pem, absl::string_view key,
                   absl::string_view timestamp, absl::string_view signature, absl::string_view method,
                   absl::string_view path);

}  // namespace apollo::venue::kalshi

#endif  // APOLLO_ENGINE_VENUE_KALSHI_SIGNER_H_
