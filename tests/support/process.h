// A child process for tests that drive the executables: spawn a binary with
// arguments, an environment and a working directory; read its stdout line by
// line and its stderr (both through pipes); signal it; wait for it with a
// deadline. Every wait is on the pipes or on the process itself (a pidfd),
// and every wait is bounded.
//
//   auto p = Process::Spawn({BOT_BIN, "--speed", "max"}, {.cwd = source_dir});
//   ASSERT_TRUE(p.ok()) << p.status();
//   std::optional<std::string> line = (*p)->ReadLine(std::chrono::seconds(30));
//   (*p)->Signal(SIGTERM);
//   ExitStatus st = (*p)->Wait(std::chrono::seconds(30));
//   EXPECT_TRUE(st.Exited(0)) << st << "\n" << (*p)->err();
//
// A Process that goes out of scope while its child runs SIGKILLs and reaps
// it; the child also gets SIGKILL if the test process dies (PDEATHSIG).
#ifndef APOLLO_TESTS_SUPPORT_PROCESS_H_
#define APOLLO_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace apollo::testing {

// How a child ended.
struct ExitStatus {
  bool timed_out = false;  // the deadline passed: it was SIGKILLed by Wait
  bool exited = false;     // exit() / return from main
  int code = -1;           // exit code when `exited`
  int signal = 0;          // terminating signal when killed

  bool Exited(int want_code) const { return exited && code == want_code; }
  bool KilledBy(int sig) const { return !exited && signal == sig; }
  std::string ToString() const;
};
std::ostream& operator<<(std::ostream& os, const ExitStatus& s);

struct SpawnOptions {
  std::string cwd;               // "" = the test's working directory
  bool inherit_env = true;       // start from the test's environment ...
  std::vector<std::string> env;  // ... plus (overriding) these "NAME=value"
  // The child leads a process group of its own, and a timeout or the
  // destructor kills the whole group: a script's children too.
  bool own_group = false;
};

class Process {
 public:
  // argv[0] is the executable's path. Fails if the pipes, fork or exec fail
  // (an exec failure is reported here, not as exit code 127).
  static absl::StatusOr<std::unique_ptr<Process>> Spawn(const std::vector<std::string>& argv,
                                                        const SpawnOptions& options = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }

  // The next line of stdout without its '\n' (a final unterminated line is
  // returned too); nullopt at end of output or when `timeout` passes first.
  // Stderr is collected meanwhile so the child never blocks on it.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout);
  // Reads lines until one starts with `prefix` and returns it; nullopt at
  // end of output or when `timeout` passes first.
  std::optional<std::string> ReadLineStartingWith(const std::string& prefix, std::chrono::milliseconds timeout);

  // kill(2); false if the child was already reaped or kill failed.
  bool Signal(int sig);

  // Reads stdout and stderr to their end and reaps the child. If `timeout`
  // passes first the child is SIGKILLed, reaped, and timed_out is set.
  ExitStatus Wait(std::chrono::milliseconds timeout);
  bool running() const { return !reaped_; }
  // False once the child has ended (without reaping it: Wait still says how).
  bool alive() const;

  // Everything read so far (including lines ReadLine returned).
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  Process() = default;
  // One poll over the open pipes (and the pidfd when `want_exit`), reading
  // what is ready. False when the deadline passed with nothing to do.
  bool PumpOnce(std::chrono::steady_clock::time_point deadline, bool want_exit);
  void Reap(int options);

  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1, pid_fd_ = -1;
  bool reaped_ = false, exited_seen_ = false;
  bool own_group_ = false;
  ExitStatus status_;
  std::string out_, err_;
  size_t line_pos_ = 0;  // start of the first line ReadLine has not returned
};

// "NAME=value" entries of the test's environment, except those for which
// `drop(name)` is true.
std::vector<std::string> EnvironmentWithout(bool (*drop)(const std::string& name));

}  // namespace apollo::testing

#endif  // APOLLO_TESTS_SUPPORT_PROCESS_H_
