// Named instants where the crash matrix (tests/crash_matrix_test.cc, `make
// crash`) kills the bot: APOLLO_CRASH_AT=<point>:<n> makes the process
// SIGKILL itself the n-th time it reaches <point>. Unset (always, outside
// drills), a CrashPoint costs one comparison.
//
// Points: startup (state rebuilt, before SystemStarted is journaled),
// before_send (an order's OrderPlaced committed, not yet sent), after_send
// (the venue answered, the answer not yet journaled), reconcile (the venue
// read, the verdict not yet journaled), snapshot (a snapshot stored, older
// ones not yet pruned), projection (a step appended, its projection rows not
// yet written).
#ifndef APOLLO_ENGINE_RUNTIME_CRASH_POINT_H_
#define APOLLO_ENGINE_RUNTIME_CRASH_POINT_H_

#include "absl/strings/string_view.h"

namespace apollo::runtime {

void CrashPoint(absl::string_view point);

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_CRASH_POINT_H_
