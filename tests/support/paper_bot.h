// A paper bot for end-to-end tests: the first N bars of the bundled
// recording and the clean environment of tests/support/cli.h, in a scratch
// directory of its own,
// run to the end, or held: resumed at wall-clock pace, it does one bar at
// once and then waits five minutes, serving its API while its numbers hold
// still.
//
//   PaperBot bot(BOT_BIN, tmp, {"OPERATOR_API_TOKEN=t"});
//   ASSERT_TRUE(bot.RunToEnd(bot.Args(ledger, 3000, "max")).Exited(0));
//   ASSERT_TRUE(bot.Hold(ledger, 3000).ok());  // then bot.api_port()
#ifndef APOLLO_TESTS_SUPPORT_PAPER_BOT_H_
#define APOLLO_TESTS_SUPPORT_PAPER_BOT_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace apollo::testing {

class PaperBot {
 public:
  // `bot_bin` as the test's BOT_BIN; the bot runs in `tmp` (its working
  // directory) with the source tree's config.yaml and `env` added.
  PaperBot(std::string bot_bin, const TempDir& tmp, std::vector<std::string> env = {});
  ~PaperBot();  // stops a held bot (SIGTERM)

  // A file of the recording's first `bars` bars, in the scratch directory.
  std::string Bars(size_t bars) const;
  // bot --config <source>/config.yaml --ledger L --logs <tmp>/logs --data <bars> --speed S
  // (`logs`: another logs directory than <tmp>/logs).
  std::vector<std::string> Args(const std::string& ledger, size_t bars, const std::string& speed,
                                const std::string& logs = "") const;
  SpawnOptions Options(const std::vector<std::string>& more_env = {}) const;
  // Runs to its end (3 minutes at most); stdout and stderr into *output.
  ExitStatus RunToEnd(const std::vector<std::string>& argv, std::string* output = nullptr,
                      const std::vector<std::string>& more_env = {}) const;

  // Runs `bars` bars at full speed into `ledger`, then starts the bot held.
  absl::Status Hold(const std::string& ledger, size_t bars);
  // Stops the held bot and says how it ended.
  ExitStatus Stop();
  Process* held() const { return held_.get(); }
  int api_port() const { return api_port_; }
  std::string logs() const { return tmp_.Sub("logs"); }

 private:
  std::string bot_bin_;
  const TempDir& tmp_;
  std::vector<std::string> env_;
  std::unique_ptr<Process> held_;
  int api_port_ = 0;
};

}  // namespace apollo::testing

#endif  // APOLLO_TESTS_SUPPORT_PAPER_BOT_H_
