// The governance policy: see policy.h.
#include "engine/config/policy.h"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace apollo::config {
namespace {

// One rail: the limit of config.yaml's it tightens.
struct RailSpec {
  const char* name;
  std::function<Fixed&(Config&)> limit;  // the Fixed limits
  std::function<int&(Config&)> count;    // or the whole-number ones
  bool zero_is_off = false;              // config's 0 means no limit (any rail tightens it)
};

const std::vector<RailSpec>& Rails() {
  static const std::vector<RailSpec>* const rails = new std::vector<RailSpec>{
      // The seed's name: how many signals may be acted on at once, which in
      // Apollo is how many positions may be open at once.
      {"max_concurrent_signals", nullptr, [](Config& c) -> int& { return c.risk.max_positions; }},
      {"risk.risk_per_trade_pct", [](Config& c) -> Fixed& { return c.risk.risk_per_trade_pct; }, nullptr},
      {"risk.max_daily_loss_pct", [](Config& c) -> Fixed& { return c.risk.max_daily_loss_pct; }, nullptr},
      {"risk.max_drawdown_pct", [](Config& c) -> Fixed& { return c.risk.max_drawdown_pct; }, nullptr},
      {"risk.max_consecutive_losses", nullptr, [](Config& c) -> int& { return c.risk.max_consecutive_losses; }},
      {"risk.max_positions", nullptr, [](Config& c) -> int& { return c.risk.max_positions; }},
      {"risk.max_position_notional_usd", [](Config& c) -> Fixed& { return c.risk.max_position_notional_usd; }, nullptr},
      {"risk.max_margin_ratio_pct", [](Config& c) -> Fixed& { return c.risk.max_margin_ratio_pct; }, nullptr, true},
      {"risk.max_funding_rate_pct", [](Config& c) -> Fixed& { return c.risk.max_funding_rate_pct; }, nullptr, true},
  };
  return *rails;
}

const RailSpec* FindRail(const std::string& name) {
  for (const RailSpec& r : Rails()) {
    if (name == r.name) return &r;
  }
  return nullptr;
}

Fixed LimitOf(const RailSpec& r, const Config& cfg) {
  Config copy = cfg;
  return r.limit ? r.limit(copy) : Fixed::FromInt(r.count(copy));
}

// A key or value as the message shows it: one line, at most 80 characters.
std::string Shown(const std::string& text) {
  constexpr size_t kMaxShown = 80;
  std::string out = absl::CEscape(text);
  if (out.size() > kMaxShown) out = out.substr(0, kMaxShown) + "...";
  return out;
}

// What the seed's policies.yaml held that is not a rail here, and where it went.
std::string NotARail(const std::string& key) {
  if (key == "dashboard_refresh_sec") return " (it is api.dashboard_refresh_sec in config.yaml)";
  return "";
}

}  // namespace

std::vector<std::string> PolicyRailNames() {
  std::vector<std::string> names;
  for (const RailSpec& r : Rails()) names.push_back(r.name);
  return names;
}

absl::StatusOr<std::vector<NamedValue>> ParsePolicy(const std::string& yaml_text, const Config& cfg) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not YAML (line ", e.mark.line + 1, ": ", e.msg, ")"));
  }
  if (root.IsNull()) return std::vector<NamedValue>{};
  if (!root.IsMap()) return absl::InvalidArgumentError("expected a map of rails, e.g. max_concurrent_signals: 1");
  // Flattened: "risk: {max_drawdown_pct: 8}" is risk.max_drawdown_pct.
  std::vector<std::pair<std::string, YAML::Node>> entries;
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>("");
    if (key == "risk" && kv.second.IsMap()) {
      for (const auto& inner : kv.second) entries.emplace_back("risk." + inner.first.as<std::string>(""), inner.second);
    } else {
      entries.emplace_back(key, kv.second);
    }
  }
  std::vector<NamedValue> rails;
  std::set<std::string> seen;
  for (const auto& [key, node] : entries) {
    const RailSpec* rail = FindRail(key);
    if (rail == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(Shown(key), " is not a rail", NotARail(key), "; the rails are ",
                                                     absl::StrJoin(PolicyRailNames(), ", ")));
    }
    if (!seen.insert(key).second) return absl::InvalidArgumentError(absl::StrCat(key, " is set twice"));
    const std::string text = node.IsScalar() ? node.Scalar() : "";
    absl::StatusOr<Fixed> value = Fixed::Parse(text);
    if (!value.ok() || value->raw() <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(key, ": expected a positive number (got '", Shown(text), "')"));
    }
    if (rail->count && value->raw() % Fixed::kScale != 0) {
      return absl::InvalidArgumentError(absl::StrCat(key, ": expected a whole number (got ", Shown(text), ")"));
    }
    const Fixed limit = LimitOf(*rail, cfg);
    const bool unlimited = rail->zero_is_off && limit.raw() == 0;
    if (!unlimited && *value > limit) {
      return absl::InvalidArgumentError(absl::StrCat(key, ": ", value->ToString(), " would loosen config.yaml's ",
                                                     limit.ToString(), "; a policy may only tighten"));
    }
    rails.push_back(NamedValue{key, *value});
  }
  return rails;
}

absl::StatusOr<std::optional<std::string>> ReadPolicyFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return absl::InvalidArgumentError(absl::StrCat("cannot read it: ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) return absl::InvalidArgumentError("not a regular file");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) return absl::InvalidArgumentError("cannot read it");
  return std::optional<std::string>(text.str());
}

Config Tightened(const Config& cfg, const absl::btree_map<std::string, Fixed>& rails) {
  Config out = cfg;
  for (const auto& [name, value] : rails) {
    const RailSpec* rail = FindRail(name);
    if (rail == nullptr) continue;  // a rail of a later build: not this one's to apply
    if (rail->limit) {
      Fixed& limit = rail->limit(out);
      limit = rail->zero_is_off && limit.raw() == 0 ? value : std::min(limit, value);
    } else {
      int& limit = rail->count(out);
      limit = static_cast<int>(std::min<int64_t>(limit, value.raw() / Fixed::kScale));
    }
  }
  return out;
}

}  // namespace apollo::config
