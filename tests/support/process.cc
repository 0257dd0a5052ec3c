// Child processes for tests. See process.h.
#include "tests/support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace apollo::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string NameOf(const std::string& entry) { return entry.substr(0, entry.find('=')); }

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

int MillisecondsUntil(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 1 << 30));
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (timed_out) return "timed out (SIGKILLed by the test)";
  if (exited) return absl::StrCat("exit code ", code);
  return absl::StrCat("killed by signal ", signal, " (", strsignal(signal), ")");
}

std::ostream& operator<<(std::ostream& os, const ExitStatus& s) { return os << s.ToString(); }

std::vector<std::string> EnvironmentWithout(bool (*drop)(const std::string& name)) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    if (drop == nullptr || !drop(NameOf(entry))) out.push_back(std::move(entry));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<Process>> Process::Spawn(const std::vector<std::string>& argv_in,
                                                        const SpawnOptions& options) {
  if (argv_in.empty()) return absl::InvalidArgumentError("Spawn: empty argv");
  // Everything the child needs is built before fork: between fork and exec
  // it only makes system calls.
  std::vector<std::string> argv_strings = argv_in;
  std::vector<std::string> env_strings;
  if (options.inherit_env) {
    std::set<std::string> overridden;
    for (const std::string& e : options.env) overridden.insert(NameOf(e));
    for (char** e = environ; *e != nullptr; ++e) {
      std::string entry(*e);
      if (!overridden.count(NameOf(entry))) env_strings.push_back(std::move(entry));
    }
  }
  env_strings.insert(env_strings.end(), options.env.begin(), options.env.end());
  std::vector<char*> argv, envp;
  for (std::string& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  const char* cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();
  const bool own_group = options.own_group;

  int out[2] = {-1, -1}, err[2] = {-1, -1}, exec_err[2] = {-1, -1};
  auto close_all = [&] {
    for (int* fd : {&out[0], &out[1], &err[0], &err[1], &exec_err[0], &exec_err[1]}) CloseFd(*fd);
  };
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 || ::pipe2(exec_err, O_CLOEXEC) != 0) {
    const int e = errno;
    close_all();
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(e)));
  }
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the test died before prctl
    if (own_group) ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    int e = 0;
    if (cwd != nullptr && ::chdir(cwd) != 0) {
      e = errno;
    } else {
      ::execve(argv[0], argv.data(), envp.data());
      e = errno;
    }
    [[maybe_unused]] ssize_t n = ::write(exec_err[1], &e, sizeof e);
    ::_exit(127);
  }
  if (devnull >= 0) ::close(devnull);
  CloseFd(out[1]);
  CloseFd(err[1]);
  CloseFd(exec_err[1]);
  if (pid < 0) {
    const int e = errno;
    close_all();
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(e)));
  }
  // The exec-error pipe closes on a successful exec (CLOEXEC) or carries errno.
  int child_errno = 0;
  ssize_t got;
  do {
    got = ::read(exec_err[0], &child_errno, sizeof child_errno);
  } while (got < 0 && errno == EINTR);
  CloseFd(exec_err[0]);
  if (got > 0) {
    int status;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    close_all();
    return absl::InternalError(absl::StrCat(cwd != nullptr ? "chdir/exec " : "exec ", argv_in[0], ": ",
                                            std::strerror(child_errno)));
  }
  std::unique_ptr<Process> p(new Process());
  p->pid_ = pid;
  p->own_group_ = own_group;
  p->out_fd_ = out[0];
  p->err_fd_ = err[0];
  p->pid_fd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // -1 on old kernels: Wait blocks in waitpid
  return p;
}

Process::~Process() {
  if (!reaped_ && pid_ > 0) {
    ::kill(own_group_ ? -pid_ : pid_, SIGKILL);
    Reap(0);
  }
  CloseFd(out_fd_);
  CloseFd(err_fd_);
  CloseFd(pid_fd_);
}

bool Process::PumpOnce(Clock::time_point deadline, bool want_exit) {
  pollfd fds[3];
  std::string* sinks[3] = {nullptr, nullptr, nullptr};
  int* owners[3] = {nullptr, nullptr, nullptr};
  nfds_t n = 0;
  if (out_fd_ >= 0) {
    fds[n] = {out_fd_, POLLIN, 0};
    sinks[n] = &out_;
    owners[n++] = &out_fd_;
  }
  if (err_fd_ >= 0) {
    fds[n] = {err_fd_, POLLIN, 0};
    sinks[n] = &err_;
    owners[n++] = &err_fd_;
  }
  if (want_exit && pid_fd_ >= 0 && !exited_seen_) fds[n++] = {pid_fd_, POLLIN, 0};
  if (n == 0) return false;
  int ready;
  do {
    ready = ::poll(fds, n, MillisecondsUntil(deadline));
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return false;
  for (nfds_t i = 0; i < n; ++i) {
    if (fds[i].revents == 0) continue;
    if (sinks[i] == nullptr) {  // the pidfd: the child has exited
      exited_seen_ = true;
      continue;
    }
    char buf[1 << 16];
    ssize_t r;
    do {
      r = ::read(fds[i].fd, buf, sizeof buf);
    } while (r < 0 && errno == EINTR);
    if (r > 0) {
      sinks[i]->append(buf, static_cast<size_t>(r));
    } else {
      CloseFd(*owners[i]);  // end of output (or a read error, treated alike)
    }
  }
  return true;
}

void Process::Reap(int options) {
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, options);
  } while (r < 0 && errno == EINTR);
  if (r != pid_) return;
  reaped_ = true;
  status_.exited = WIFEXITED(status);
  status_.code = status_.exited ? WEXITSTATUS(status) : -1;
  status_.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

std::optional<std::string> Process::ReadLine(std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    const size_t nl = out_.find('\n', line_pos_);
    if (nl != std::string::npos) {
      std::string line = out_.substr(line_pos_, nl - line_pos_);
      line_pos_ = nl + 1;
      return line;
    }
    if (out_fd_ < 0) {
      if (line_pos_ == out_.size()) return std::nullopt;
      std::string rest = out_.substr(line_pos_);
      line_pos_ = out_.size();
      return rest;
    }
    if (!PumpOnce(deadline, /*want_exit=*/false)) return std::nullopt;
  }
}

std::optional<std::string> Process::ReadLineStartingWith(const std::string& prefix,
                                                         std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    std::optional<std::string> line = ReadLine(std::max(left, std::chrono::milliseconds(0)));
    if (!line || line->rfind(prefix, 0) == 0) return line;
  }
}

bool Process::alive() const {
  if (reaped_) return false;
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0;
}

bool Process::Signal(int sig) { return !reaped_ && pid_ > 0 && ::kill(pid_, sig) == 0; }

ExitStatus Process::Wait(std::chrono::milliseconds timeout) {
  if (reaped_) return status_;
  const Clock::time_point deadline = Clock::now() + timeout;
  while (out_fd_ >= 0 || err_fd_ >= 0 || (pid_fd_ >= 0 && !exited_seen_)) {
    if (!PumpOnce(deadline, /*want_exit=*/true)) {
      ::kill(own_group_ ? -pid_ : pid_, SIGKILL);
      Reap(0);
      status_.timed_out = true;
      CloseFd(out_fd_);
      CloseFd(err_fd_);
      return status_;
    }
  }
  Reap(0);
  return status_;
}

}  // namespace apollo::testing
