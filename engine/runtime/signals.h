// Process signals for the bot: SIGINT/SIGTERM ask it to stop after the
// current step, SIGHUP to reopen its log files. Handlers only set flags and
// poke a self-pipe, so a paced wait wakes at once.
#ifndef APOLLO_ENGINE_RUNTIME_SIGNALS_H_
#define APOLLO_ENGINE_RUNTIME_SIGNALS_H_

#include "absl/time/time.h"

namespace apollo::runtime {

void InstallSignalHandlers();
// The stop signal received (SIGINT, SIGTERM), or 0.
int StopSignal();
// True once per SIGHUP received.
bool TakeReopenRequest();
// True once after each SIGHUP: read the governance policy file again.
bool TakePolicyReloadRequest();
// Waits up to `d`; returns early when a signal arrives or Wake() is called.
void SleepInterruptibly(absl::Duration d);
// Wakes SleepInterruptibly (async-signal-safe; any thread).
void Wake();

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_SIGNALS_H_
