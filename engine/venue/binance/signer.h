// HMAC-SHA256 request signing for Binance SIGNED endpoints: the signature is
// the lowercase hex HMAC-SHA256 of the payload under the API secret. For a
// GET/DELETE the payload is the query string; for a POST/PUT body it is the
// body; for both it is the query string immediately followed by the body (no
// '&' between them). The client always signs the exact bytes it sends.
//
//   absl::StatusOr<Signer> signer = Signer::Create(secret);
//   absl::StatusOr<std::string> sig = signer->Sign("symbol=BTCUSDT&timestamp=1591702613943");
//
// The key is installed once, in an OpenSSL EVP_MAC context; each Sign()
// duplicates that keyed context, so signing never re-derives the key and one
// call cannot leak state into the next. OpenSSL does not promise that two
// threads may duplicate one context at once, so share a Signer only under a
// lock (RestClient does). The secret is not kept anywhere else and never
// appears in a status message.
#ifndef APOLLO_ENGINE_VENUE_BINANCE_SIGNER_H_
#define APOLLO_ENGINE_VENUE_BINANCE_SIGNER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace apollo::venue::binance {

class Signer {
 public:
  // InvalidArgument for an empty secret; Internal if OpenSSL refuses.
  static absl::StatusOr<Signer> Create(absl::string_view secret);

  // 64 lowercase hex characters.
  [[nodiscard]] absl::StatusOr<std::string> Sign(absl::string_view payload) const;

  Signer(Signer&&) noexcept;
  Signer& operator=(Signer&&) noexcept;
  ~Signer();

 private:
  struct Context;
  explicit Signer(std::unique_ptr<Context> context);
  std::unique_ptr<Context> context_;
};

}  // namespace apollo::venue::binance

#endif  // APOLLO_ENGINE_VENUE_BINANCE_SIGNER_H_
