// The crash matrix's kill points; see crash_point.h.
#include "engine/runtime/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"

namespace apollo::runtime {
namespace {

struct Target {
  std::string point;  // empty: no crash asked for
  int64_t nth = 0;
  std::atomic<int64_t> reached{0};
};

Target& TheTarget() {
  static Target* target = [] {
    auto* t = new Target();
    const char* spec = std::getenv("APOLLO_CRASH_AT");
    if (spec == nullptr) return t;
    const std::string s(spec);
    const size_t colon = s.rfind(':');
    if (colon == std::string::npos || !absl::SimpleAtoi(s.substr(colon + 1), &t->nth) || t->nth < 1) return t;
    t->point = s.substr(0, colon);
    return t;
  }();
  return *target;
}

}  // namespace

void CrashPoint(absl::string_view point) {
  Target& t = TheTarget();
  if (t.point.empty() || t.point != point) return;
  if (t.reached.fetch_add(1) + 1 == t.nth) ::kill(::getpid(), SIGKILL);
}

}  // namespace apollo::runtime
