// What the libFuzzer targets share: an invariant check that stops the run
// with a message (libFuzzer then saves the input as a crash), the input as a
// string_view, and writing it to a file for code under test that reads
// files (scratch directories are tests/support/temp_dir.h's).
#ifndef APOLLO_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define APOLLO_TESTS_FUZZ_FUZZ_SUPPORT_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/string_view.h"

// A broken invariant is a finding, like a sanitizer report.
#define FUZZ_CHECK(cond)                                                                    \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond);    \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)

namespace apollo::fuzz {

inline absl::string_view Bytes(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

// Writes `text` to `path` whole (for code under test that reads files).
inline std::string WriteFile(const std::string& path, absl::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!out) std::abort();
  return path;
}

}  // namespace apollo::fuzz

#endif  // APOLLO_TESTS_FUZZ_FUZZ_SUPPORT_H_
