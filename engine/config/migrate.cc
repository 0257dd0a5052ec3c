// MigrateConfig: the seed's config.yaml in Apollo's spelling (config.h).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/config/config.h"
#include "engine/config/internal.h"
#include "engine/config/seed_keys.h"
#include "engine/domain/status_macros.h"

namespace apollo::config {
namespace {

// A value as YAML writes it, on one line: quoted where it must be, a list
// or map in flow style (where line breaks are only spacing).
std::string Render(const YAML::Node& value) {
  if (value.IsNull()) return "\"\"";
  YAML::Emitter out;
  if (value.IsScalar()) {
    out << value;
    if (!absl::StrContains(out.c_str(), '\n')) return out.c_str();
    YAML::Emitter quoted;  // a multi-line string: "\n" escapes instead
    quoted << YAML::DoubleQuoted << value.Scalar();
    return quoted.c_str();
  }
  out.SetSeqFormat(YAML::Flow);
  out.SetMapFormat(YAML::Flow);
  out << value;
  return absl::StrReplaceAll(out.c_str(), {{"\n", " "}});
}

// The keys kept, as a tree in the order the file had them.
struct Tree {
  struct Leaf {
    std::string value, comment;
  };
  std::vector<std::string> order;  // names of children, first-seen order
  std::map<std::string, Tree> sections;
  std::map<std::string, Leaf> leaves;

  void Put(const std::vector<std::string>& path, size_t at, Leaf leaf) {
    const std::string& name = path[at];
    if (!sections.contains(name) && !leaves.contains(name)) order.push_back(name);
    if (at + 1 == path.size()) {
      leaves[name] = std::move(leaf);
    } else {
      sections[name].Put(path, at + 1, std::move(leaf));
    }
  }

  void Write(std::string& out, int depth) const {
    const std::string indent(2 * depth, ' ');
    for (const std::string& name : order) {
      if (auto leaf = leaves.find(name); leaf != leaves.end()) {
        absl::StrAppend(&out, indent, name, ": ", leaf->second.value,
                        leaf->second.comment.empty() ? "" : "  # ", leaf->second.comment, "\n");
      } else {
        absl::StrAppend(&out, indent, name, ":\n");
        sections.at(name).Write(out, depth + 1);
      }
    }
  }
};

class Migrator {
 public:
  explicit Migrator(std::string path) : path_(std::move(path)) {}

  absl::Status Walk(const YAML::Node& map, const std::string& prefix) {
    for (const auto& entry : map) {
      if (!entry.first.IsScalar()) return absl::InvalidArgumentError(absl::StrCat(path_, ": keys must be plain words"));
      const std::string key = prefix.empty() ? entry.first.Scalar() : absl::StrCat(prefix, ".", entry.first.Scalar());
      const bool section = entry.second.IsMap() && !IsApolloKey(key) && seed::Find(key) == nullptr;
      if (section) {
        RETURN_IF_ERROR(Walk(entry.second, key));
      } else {
        RETURN_IF_ERROR(Leaf(key, entry.second));
      }
    }
    return absl::OkStatus();
  }

  Migration Finish(const std::string& from) const {
    Migration m;
    m.kept = kept_;
    m.renamed = renamed_;
    m.left_out = static_cast<int>(left_out_.size());
    absl::StrAppend(&m.yaml, "# Apollo's config, migrated from ", from, " by `bot config migrate`.\n# ", kept_,
                    " keys kept, ", renamed_, " renamed (each says what it was), ", left_out_.size(),
                    " left out (listed at the end, with why). config.yaml in the Apollo repository documents every "
                    "key.\n");
    tree_.Write(m.yaml, 0);
    if (!left_out_.empty()) {
      absl::StrAppend(&m.yaml, "\n# Left out of ", from, ":\n");
      for (const std::string& line : left_out_) absl::StrAppend(&m.yaml, "#   ", line, "\n");
    }
    return m;
  }

 private:
  absl::Status Leaf(const std::string& key, const YAML::Node& value) {
    if (IsApolloKey(key)) {
      ++kept_;
      return Put(key, key, value, "");
    }
    const seed::Key* k = seed::Find(key);
    if (k == nullptr) return Drop(key, Render(value), "unknown to Apollo");
    switch (k->kind) {
      case seed::Kind::kRenamed:
        ++renamed_;
        return Put(k->to, key, value, absl::StrCat("was ", key));
      case seed::Kind::kFixed:
        return Drop(key, Render(value), absl::StrCat("Apollo always runs with ", k->value, ": ", k->why));
      case seed::Kind::kNoEffect:
        return Drop(key, Render(value), absl::StrCat("no effect in Apollo: ", k->why));
      case seed::Kind::kSecret: {
        // Never copied: a webhook URL carries its token.
        const size_t n = value.IsSequence() ? value.size() : (value.IsScalar() && !value.Scalar().empty() ? 1 : 0);
        return Drop(key, n == 0 ? "[]" : absl::StrCat("(", n, " value", n == 1 ? "" : "s", ", not copied)"),
                    absl::StrCat("a secret in Apollo: set ", k->to, " in .env (comma-separated)"));
      }
      case seed::Kind::kEnvironment:
        return Drop(key, Render(value), "Apollo reads the mode from run.mode");
      case seed::Kind::kNotImplemented:
        return Drop(key, Render(value), "not implemented in Apollo yet");
    }
    return absl::OkStatus();
  }

  absl::Status Put(const std::string& key, const std::string& spelled, const YAML::Node& value,
                   const std::string& comment) {
    // Lists (universe.symbols, news.sources) are written in flow style.
    if (!value.IsNull() && !value.IsScalar() && !(value.IsSequence() && IsApolloListKey(key))) {
      return absl::InvalidArgumentError(absl::StrCat(path_, ": ", spelled, ": must be a single value"));
    }
    const std::string shown = Render(value);
    auto [it, first] = spelled_.emplace(key, std::make_pair(spelled, shown));
    if (!first) {
      if (it->second.second != shown) {
        return absl::InvalidArgumentError(absl::StrCat(path_, ": ", it->second.first, " and ", spelled, " both set ",
                                                       key, ", to different values; keep one"));
      }
      if (spelled != key) --renamed_;
      if (spelled == key) --kept_;
      return Drop(spelled, shown, absl::StrCat("the same setting as ", it->second.first, ", which the file also sets"));
    }
    tree_.Put(absl::StrSplit(key, '.'), 0, {shown, comment});
    return absl::OkStatus();
  }

  absl::Status Drop(const std::string& key, const std::string& shown, const std::string& why) {
    left_out_.push_back(absl::StrCat(key, ": ", shown, "  -- ", why));
    return absl::OkStatus();
  }

  std::string path_;
  Tree tree_;
  std::map<std::string, std::pair<std::string, std::string>> spelled_;  // key -> (spelled as, value)
  std::vector<std::string> left_out_;
  int kept_ = 0, renamed_ = 0;
};

}  // namespace

absl::StatusOr<Migration> MigrateConfig(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, "config file"));
  ASSIGN_OR_RETURN(YAML::Node root, ParseYaml(path, text));
  if (root && !root.IsNull() && !root.IsMap()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": must be a map of sections"));
  }
  Migrator migrator(path);
  if (root && root.IsMap()) {
    try {
      RETURN_IF_ERROR(migrator.Walk(root, ""));
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.msg));
    }
  }
  Migration m = migrator.Finish(path);
  // What it wrote must start the bot (the environment aside).
  absl::StatusOr<Config> check =
      ParseConfigYaml(m.yaml, absl::StrCat("the migrated ", path), [](const std::string&) { return std::nullopt; });
  if (!check.ok()) return check.status();
  return m;
}

}  // namespace apollo::config
