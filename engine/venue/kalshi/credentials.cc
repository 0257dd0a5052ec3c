#include "engine/venue/kalshi/credentials.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/domain/status_macros.h"
#include "engine/venue/kalshi/rest_client.h"
#include "engine/venue/kalshi/signer.h"
#include "engine/venue/kalshi/stream_client.h"

namespace apollo::venue::kalshi {
namespace {

absl::Status Refuse(absl::string_view why) { return absl::FailedPreconditionError(why); }

bool IsDemo(absl::string_view base) { return absl::StrContains(base, ".demo.kalshi.co") || absl::StrContains(base, "demo-api.kalshi.co"); }
bool IsProduction(absl::string_view base) {
  return absl::StrContains(base, "external-api.kalshi.com") || absl::StrContains(base, "api.elections.kalshi.com") ||
         absl::StrContains(base, "external-api-ws.kalshi.com");
}

// Keys are per environment: a live run on the demo, or a demo run on
// production, is refused for the REST host (`what` "host") and the stream.
absl::Status CheckEnvironment(Mode mode, absl::string_view variable, absl::string_view url, absl::string_view what) {
  if (mode == Mode::kLive && IsDemo(url)) {
    return Refuse(absl::StrCat(variable, " is Kalshi's demo: a live run needs the production ", what));
  }
  if (mode == Mode::kTestnet && IsProduction(url)) {
    return Refuse(absl::StrCat(variable, " is Kalshi's production ", what,
                               ": a testnet run trades on the demo (its keys are the demo's)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Credentials> LoadCredentials(Mode mode, const std::string& dotenv_path, const config::Env& env) {
  for (const char* retired : {"KALSHI_EMAIL", "KALSHI_PASSWORD"}) {
    ASSIGN_OR_RETURN(std::string value, config::ReadSecret(retired, dotenv_path, env));
    if (!value.empty()) {
      return Refuse(absl::StrCat(retired, " is set: Kalshi retired email and password login; use an API key "
                                          "(KALSHI_API_KEY and KALSHI_PRIVATE_KEY_PATH or KALSHI_API_SECRET) and unset it"));
    }
  }
  if (mode == Mode::kPaper) return Credentials{};
  Credentials c;
  ASSIGN_OR_RETURN(c.base_url, config::ReadSecret("KALSHI_API_BASE", dotenv_path, env));
  if (c.base_url.empty()) c.base_url = std::string(mode == Mode::kLive ? kProdBaseUrl : kDemoBaseUrl);
  RETURN_IF_ERROR(CheckEnvironment(mode, "KALSHI_API_BASE", c.base_url, "host"));
  ASSIGN_OR_RETURN(c.stream_url, config::ReadSecret("KALSHI_WS_URL", dotenv_path, env));
  if (c.stream_url.empty()) {
    if (IsDemo(c.base_url)) {
      c.stream_url = std::string(kDemoStreamUrl);
    } else if (IsProduction(c.base_url)) {
      c.stream_url = std::string(kProdStreamUrl);
    } else {
      return Refuse("KALSHI_WS_URL is not set and KALSHI_API_BASE is not one of Kalshi's hosts: name its WebSocket too");
    }
  } else if (!absl::StartsWith(c.stream_url, "wss://") &&
             (mode == Mode::kLive || !(absl::StartsWith(c.stream_url, "ws://127.0.0.1:") ||
                                       absl::StartsWith(c.stream_url, "ws://localhost:") ||
                                       absl::StartsWith(c.stream_url, "ws://[::1]:")))) {
    // The handshake carries the key id and a signature: never in clear text off this machine.
    return Refuse("KALSHI_WS_URL must start with wss:// (ws:// only to a fake-kalshi on this machine, never live)");
  } else {
    RETURN_IF_ERROR(CheckEnvironment(mode, "KALSHI_WS_URL", c.stream_url, "stream"));
  }
  ASSIGN_OR_RETURN(c.key_id, config::ReadSecret("KALSHI_API_KEY", dotenv_path, env));
  if (c.key_id.empty()) return Refuse("KALSHI_API_KEY is not set (the API key id, in .env or the environment)");
  ASSIGN_OR_RETURN(std::string path, config::ReadSecret("KALSHI_PRIVATE_KEY_PATH", dotenv_path, env));
  if (!path.empty()) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return Refuse(absl::StrCat("KALSHI_PRIVATE_KEY_PATH ", path, " cannot be read"));
    c.private_pem = text.str();
  } else {
    ASSIGN_OR_RETURN(c.private_pem, config::ReadSecret("KALSHI_API_SECRET", dotenv_path, env));
  }
  if (c.private_pem.empty()) {
    return Refuse("neither KALSHI_PRIVATE_KEY_PATH nor KALSHI_API_SECRET is set (the RSA key that signs requests)");
  }
  if (!Signer::FromPem(c.private_pem).ok()) {
    return Refuse(path.empty() ? "KALSHI_API_SECRET is not an RSA private key in PEM"
                               : absl::StrCat("KALSHI_PRIVATE_KEY_PATH ", path, " is not an RSA private key in PEM"));
  }
  return c;
}

}  // namespace apollo::venue::kalshi
