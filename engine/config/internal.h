// What config.cc shares with migrate.cc. Internal to engine/config.
#ifndef APOLLO_ENGINE_CONFIG_INTERNAL_H_
#define APOLLO_ENGINE_CONFIG_INTERNAL_H_

#include <yaml-cpp/yaml.h>

#include <string>

#include "absl/status/statusor.h"

namespace apollo::config {

// A whole file of at most 1 MiB; NotFound if it does not exist. `what`
// ("config file") names it in errors.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, const std::string& what);

// YAML text parsed; InvalidArgument with the line and column of a syntax error.
absl::StatusOr<YAML::Node> ParseYaml(const std::string& path, const std::string& text);

// A key Apollo declares (risk.max_drawdown_pct), and a section holding some.
bool IsApolloKey(const std::string& key);
// A key whose value may be a list (universe.symbols, news.sources).
bool IsApolloListKey(const std::string& key);
bool IsApolloSection(const std::string& prefix);

}  // namespace apollo::config

#endif  // APOLLO_ENGINE_CONFIG_INTERNAL_H_
