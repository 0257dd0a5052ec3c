// libFuzzer target: the config loader (engine/config/config.h). The first
// byte picks the door the text comes in by, the rest is the text:
//   0  config.yaml            LoadConfig
//   1  a journaled config     ParseCanonical ("key = value" lines)
//   2  --set flags            ApplyOverrides (one assignment per line)
//   3  the environment        LoadConfig of an empty file, NAME=VALUE lines as env
//   4  .env                   ReadSecret and LoadSecrets
//   5  a timeframe            ParseTimeframe
// Every refusal is one line (README: "refused with one line naming the
// key"); every config accepted survives its journaled form: ParseCanonical
// of its Canonical() gives the same config.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "engine/config/config.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/support/temp_dir.h"

namespace {

using namespace apollo;

const testing::TempDir& Scratch() {
  static const testing::TempDir dir;
  return dir;
}

config::Env NoEnv() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

void CheckOneLine(const absl::Status& status) {
  FUZZ_CHECK(!status.ok());
  FUZZ_CHECK(status.message().find('\n') == absl::string_view::npos);
}

void Check(const absl::StatusOr<config::Config>& cfg) {
  if (!cfg.ok()) return CheckOneLine(cfg.status());
  const std::string canonical = cfg->Canonical();
  absl::StatusOr<config::Config> journaled = config::ParseCanonical(canonical, "journaled");
  FUZZ_CHECK(journaled.ok());
  FUZZ_CHECK(journaled->Canonical() == canonical);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string text(fuzz::Bytes(data + 1, size - 1));
  switch (data[0] % 6) {
    case 0:
      Check(config::LoadConfig(fuzz::WriteFile(Scratch().Sub("config.yaml"), text), NoEnv()));
      break;
    case 1:
      Check(config::ParseCanonical(text, "journaled"));
      break;
    case 2: {
      const std::vector<std::string> sets = absl::StrSplit(text, '\n');
      Check(config::ApplyOverrides(config::Config(), sets));
      break;
    }
    case 3: {
      std::map<std::string, std::string> vars;
      for (absl::string_view line : absl::StrSplit(text, '\n')) {
        const std::vector<std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
        if (kv.size() == 2) vars[kv[0]] = kv[1];
      }
      const config::Env env = [&vars](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) return std::nullopt;
        return it->second;
      };
      Check(config::LoadConfig(fuzz::WriteFile(Scratch().Sub("empty.yaml"), ""), env));
      break;
    }
    case 4: {
      const std::string dotenv = fuzz::WriteFile(Scratch().Sub(".env"), text);
      absl::StatusOr<std::string> token = config::ReadSecret("OPERATOR_API_TOKEN", dotenv, NoEnv());
      if (!token.ok()) CheckOneLine(token.status());
      absl::StatusOr<config::Secrets> secrets = config::LoadSecrets(Mode::kTestnet, dotenv, NoEnv());
      if (!secrets.ok()) CheckOneLine(secrets.status());
      break;
    }
    case 5: {
      absl::StatusOr<int64_t> seconds = config::ParseTimeframe(text);
      if (!seconds.ok()) CheckOneLine(seconds.status());
      else FUZZ_CHECK(*seconds > 0);
      break;
    }
  }
  return 0;
}
