// InstanceLock: flock(LOCK_EX | LOCK_NB) on the lock file, then the PID is
// written into it (truncated first) so an operator and a refused second
// instance can name the holder.
#include "engine/runtime/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace apollo::runtime {

absl::StatusOr<InstanceLock> InstanceLock::Acquire(const std::string& path) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::PermissionDeniedError(absl::StrCat("cannot open lock file ", path, ": ", std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("another_instance_running pid=", ReadLockHolder(path), " lock=", path));
    }
    return absl::UnavailableError(absl::StrCat("cannot lock ", path, ": ", std::strerror(err)));
  }
  const std::string pid = absl::StrCat(::getpid(), "\n");
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    ::close(fd);
    return absl::UnavailableError(absl::StrCat("cannot write the PID into ", path));
  }
  return InstanceLock(fd, path);
}

InstanceLock::InstanceLock(InstanceLock&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

InstanceLock& InstanceLock::operator=(InstanceLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

// The file stays (truncating it would race a starting successor); closing
// the descriptor releases the lock.
InstanceLock::~InstanceLock() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status InstanceLock::Annotate(const std::vector<std::string>& lines) {
  std::string text = absl::StrCat(::getpid(), "\n");
  for (const std::string& line : lines) absl::StrAppend(&text, line, "\n");
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path_));
  }
  return absl::OkStatus();
}

std::string ReadLockValue(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  const std::string prefix = key + "=";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
  }
  return "";
}

long ReadLockHolder(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  return (in >> pid) ? pid : 0;
}

std::string LockPath(const std::string& logs_dir, const std::string& mode) {
  return (std::filesystem::path(logs_dir) / absl::StrCat("bot.", mode, ".lock")).string();
}

}  // namespace apollo::runtime
