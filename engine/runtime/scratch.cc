#include "engine/runtime/scratch.h"

#include <stdlib.h>

#include <fstream>

#include "absl/strings/str_cat.h"

namespace apollo::runtime {

namespace fs = std::filesystem;

absl::Status WriteWholeFile(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return absl::UnavailableError(absl::StrCat("cannot write ", path.string()));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);  // whole or not at all
  if (ec) return absl::UnavailableError(absl::StrCat("cannot write ", path.string(), ": ", ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<std::string> MakeScratchDir() {
  std::string templ = (fs::temp_directory_path() / "apollo-backtest-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) return absl::UnavailableError("cannot create a temporary directory");
  return templ;
}

}  // namespace apollo::runtime
