// Files a run writes beside its ledger: a report written whole or not at
// all, and a temporary directory removed on every way out (a backtest's
// ledger and logs when none is asked for).
//
//   ScratchDir temp;
//   ASSIGN_OR_RETURN(temp.path, MakeScratchDir());
//   RETURN_IF_ERROR(WriteWholeFile(dir / "report.md", markdown));
#ifndef APOLLO_ENGINE_RUNTIME_SCRATCH_H_
#define APOLLO_ENGINE_RUNTIME_SCRATCH_H_

#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace apollo::runtime {

// `text` into `path` through `path`.tmp and a rename: a reader sees the old
// file or the new one, never half of it. Unavailable, one line, on failure.
absl::Status WriteWholeFile(const std::filesystem::path& path, const std::string& text);

// A new directory apollo-backtest-XXXXXX under the system's temporary one.
absl::StatusOr<std::string> MakeScratchDir();

// Removes `path` (when set) and all below it when it goes out of scope.
struct ScratchDir {
  std::string path;
  ScratchDir() = default;
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_SCRATCH_H_
