// The Python bot's config keys (SEED_FACTS §1) that Apollo does not read as
// they are: renamed, fixed behaviour, secrets, keys with no effect here, and
// keys not implemented yet. config.cc consults this table while loading a
// config.yaml (a renamed key is read under its new name with one notice, a
// key not implemented is refused); migrate.cc uses it to rewrite a seed
// config in Apollo's spelling. Internal to engine/config.
#ifndef APOLLO_ENGINE_CONFIG_SEED_KEYS_H_
#define APOLLO_ENGINE_CONFIG_SEED_KEYS_H_

#include <string>
#include <vector>

namespace apollo::config::seed {

enum class Kind {
  kRenamed,         // read as `to`, with a notice
  kFixed,           // Apollo always does `value`; that value is accepted with a notice, any other refused
  kNoEffect,        // accepted with a notice: `why` it does nothing here
  kSecret,          // a secret in Apollo (`to` names the variable); an empty value is accepted
  kEnvironment,     // the seed's top-level `environment`, checked against run.mode
  kNotImplemented,  // refused: Apollo does not implement it yet
};

struct Key {
  std::string key;  // dotted; "llm.*" matches every key under llm
  Kind kind;
  std::string to;     // kRenamed: the Apollo key; kSecret: the variable
  std::string value;  // kFixed: the one accepted value
  std::string why;    // kFixed, kNoEffect: what Apollo does instead
};

// The entry for a dotted key, or null if the seed had no such key (or
// Apollo reads it as it is).
const Key* Find(const std::string& key);

// The seed's names for the Apollo key `key` (usually none).
std::vector<std::string> OldNames(const std::string& key);

// True if `prefix` is a section of the seed's that holds such keys
// ("strategy.scoring.factors", "regime", "llm").
bool IsSection(const std::string& prefix);

}  // namespace apollo::config::seed

#endif  // APOLLO_ENGINE_CONFIG_SEED_KEYS_H_
