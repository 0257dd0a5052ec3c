#include "engine/runtime/signals.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <csignal>

namespace apollo::runtime {
namespace {

std::atomic<int> g_stop_signal{0};
std::atomic<bool> g_reopen{false};
std::atomic<bool> g_reload_policy{false};
int g_pipe[2] = {-1, -1};

void Poke() {
  if (g_pipe[1] >= 0) {
    const char c = 1;
    [[maybe_unused]] ssize_t n = ::write(g_pipe[1], &c, 1);
  }
}

void OnSignal(int sig) {
  if (sig == SIGHUP) {
    g_reopen.store(true);
    g_reload_policy.store(true);
  } else {
    g_stop_signal.store(sig);
  }
  Poke();
}

}  // namespace

void InstallSignalHandlers() {
  if (g_pipe[0] < 0 && ::pipe2(g_pipe, O_NONBLOCK | O_CLOEXEC) != 0) g_pipe[0] = g_pipe[1] = -1;
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &sa, nullptr);
}

int StopSignal() { return g_stop_signal.load(); }

void Wake() { Poke(); }

bool TakeReopenRequest() { return g_reopen.exchange(false); }
bool TakePolicyReloadRequest() { return g_reload_policy.exchange(false); }

void SleepInterruptibly(absl::Duration d) {
  if (StopSignal() != 0) return;
  pollfd p{g_pipe[0], POLLIN, 0};
  const int64_t ms = absl::ToInt64Milliseconds(d);
  if (ms <= 0) return;
  if (::poll(&p, g_pipe[0] >= 0 ? 1 : 0, static_cast<int>(std::min<int64_t>(ms, 1 << 30))) > 0) {
    char buf[64];
    while (::read(g_pipe[0], buf, sizeof buf) > 0) {
    }
  }
}

}  // namespace apollo::runtime
