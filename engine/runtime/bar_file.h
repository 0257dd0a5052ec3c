// Recorded klines: a CSV with the header `open_time_ms,open,high,low,close,volume`
// (data/README.md), read whole. Every row is checked: numbers parse exactly,
// low <= open,close <= high, open times strictly increase and sit on the
// interval's grid. A bad row is InvalidArgument naming file and line.
#ifndef APOLLO_ENGINE_RUNTIME_BAR_FILE_H_
#define APOLLO_ENGINE_RUNTIME_BAR_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/strategy/strategy.h"

namespace apollo::runtime {

absl::StatusOr<std::vector<strategy::Bar>> ReadBarFile(const std::string& path, int64_t interval_ms);

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_BAR_FILE_H_
