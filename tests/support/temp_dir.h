// A scratch directory removed when the test ends.
#ifndef APOLLO_TESTS_SUPPORT_TEMP_DIR_H_
#define APOLLO_TESTS_SUPPORT_TEMP_DIR_H_

#include <string>

namespace apollo::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace apollo::testing

#endif  // APOLLO_TESTS_SUPPORT_TEMP_DIR_H_
