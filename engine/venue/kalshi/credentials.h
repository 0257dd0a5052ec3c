// Kalshi credentials for a demo (testnet) or live run (issue 15 §2), under
// the Milkbot operators' names, from the environment, else from .env:
//   KALSHI_API_BASE          the REST base (default: demo for testnet, the
//                            production host for live)
//   KALSHI_API_KEY           the key id
//   KALSHI_PRIVATE_KEY_PATH  the PEM file of the RSA key, or
//   KALSHI_API_SECRET        the PEM text itself
//   KALSHI_WS_URL            the WebSocket (Apollo's own name: Milkbot had
//                            none); default: the stream of the REST base's
//                            environment, required when the base is not
//                            one of Kalshi's hosts (a fake-kalshi)
// KALSHI_EMAIL / KALSHI_PASSWORD are refused in one line: Kalshi retired
// password login. A live run refuses a demo base and a demo run a
// production one (keys are per environment). Errors name variables and
// files, never a value; the key is checked by loading it.
//
//   ASSIGN_OR_RETURN(Credentials c, LoadCredentials(Mode::kTestnet, ".env", config::ProcessEnv()));
#ifndef APOLLO_ENGINE_VENUE_KALSHI_CREDENTIALS_H_
#define APOLLO_ENGINE_VENUE_KALSHI_CREDENTIALS_H_

#include <string>

#include "absl/status/statusor.h"
#include "engine/config/config.h"
#include "engine/domain/types.h"

namespace apollo::venue::kalshi {

struct Credentials {
  std::string base_url;
  std::string stream_url;
  std::string key_id;
  std::string private_pem;  // never logged
};

absl::StatusOr<Credentials> LoadCredentials(Mode mode, const std::string& dotenv_path, const config::Env& env);

}  // namespace apollo::venue::kalshi

#endif  // APOLLO_ENGINE_VENUE_KALSHI_CREDENTIALS_H_
