// A progress line for long commands (backtest, replay decisions, export):
// on a terminal one line redrawn in place with a bar, the count, the rate
// and the ETA; otherwise a plain line every 10 % (so logs stay readable).
// Written to stderr, so stdout keeps only the command's result.
//
//   Progress p("bars", total);
//   for (...) p.Update(done);
//   p.Done();
#ifndef APOLLO_TOOLS_PROGRESS_H_
#define APOLLO_TOOLS_PROGRESS_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace apollo::tools {

class Progress {
 public:
  // `unit` names what is counted ("bars", "events"); total 0 = unknown.
  Progress(std::string unit, uint64_t total);
  // Cheap to call often: redraws at most 10 times a second.
  void Update(uint64_t done);
  // Final line (on a terminal, the bar at 100 % and a newline).
  void Done();

  // For tests: the line that would be shown.
  static std::string Line(const std::string& unit, uint64_t done, uint64_t total, double seconds, bool bar);

 private:
  std::string unit_;
  uint64_t total_;
  uint64_t done_ = 0;
  bool tty_;
  bool shown_ = false;
  absl::Time start_, last_draw_;
  int last_decile_ = -1;
};

}  // namespace apollo::tools

#endif  // APOLLO_TOOLS_PROGRESS_H_
