// The governance policy (the seed's ops/policies.yaml, governance.policies_path):
// rails an operator may change while the bot runs, each tightening a risk
// limit of config.yaml's, never loosening one. The bot reads the file at
// start, when it changes and on SIGHUP; a valid file is journaled as
// PolicyChanged and holds from the next step, an invalid one is refused with
// one line and the policy in force stays.
//
//   # ops/policies.yaml
//   max_concurrent_signals: 1      # positions open at once (risk.max_positions)
//   risk:
//     max_drawdown_pct: 8
//     risk_per_trade_pct: 0.5
//
//   ASSIGN_OR_RETURN(std::vector<NamedValue> rails, config::ParsePolicy(text, cfg));
//   const config::Config eff = config::Tightened(cfg, state.policy);
#ifndef APOLLO_ENGINE_CONFIG_POLICY_H_
#define APOLLO_ENGINE_CONFIG_POLICY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "engine/config/config.h"
#include "engine/domain/events.h"

namespace apollo::config {

// The rails a policy file's text sets, by name ("max_concurrent_signals",
// "risk.max_drawdown_pct", ...), checked against `cfg`. An empty text (or
// only comments) sets none. An unknown key, a value that is not a positive
// number (a whole one where the limit is a count), or a rail looser than
// config.yaml's limit is InvalidArgument: one line naming the key.
absl::StatusOr<std::vector<NamedValue>> ParsePolicy(const std::string& yaml_text, const Config& cfg);

// The policy file's text; nullopt when there is no file. A path that is
// not a regular file (a directory, a socket) or cannot be read is
// InvalidArgument, one line.
absl::StatusOr<std::optional<std::string>> ReadPolicyFile(const std::string& path);

// `cfg` with each rail applied: the tighter of the two.
Config Tightened(const Config& cfg, const absl::btree_map<std::string, Fixed>& rails);

// The names a rail may have, for messages and docs.
std::vector<std::string> PolicyRailNames();

}  // namespace apollo::config

#endif  // APOLLO_ENGINE_CONFIG_POLICY_H_
