// Times on the command line (`--from`, `--to`, `--at-time`): a UTC date
// ("2023-01-20", midnight) or RFC 3339 ("2023-01-20T12:00:00Z", an offset is
// honoured). A bad value is InvalidArgument naming the flag.
#ifndef APOLLO_TOOLS_TIME_FLAG_H_
#define APOLLO_TOOLS_TIME_FLAG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace apollo::tools {

absl::StatusOr<absl::Time> ParseTimeFlag(const std::string& flag, const std::string& text);

}  // namespace apollo::tools

#endif  // APOLLO_TOOLS_TIME_FLAG_H_
