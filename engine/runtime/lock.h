// One bot per mode: an flock(2) on logs/bot.<mode>.lock that holds the
// holder's PID. The kernel drops the lock when its process dies, however it
// dies, so a lock file left by a dead process never blocks a start.
//
//   ASSIGN_OR_RETURN(InstanceLock lock, InstanceLock::Acquire("logs/bot.paper.lock"));
//   // ... the lock is held until `lock` is destroyed or the process exits.
#ifndef APOLLO_ENGINE_RUNTIME_LOCK_H_
#define APOLLO_ENGINE_RUNTIME_LOCK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace apollo::runtime {

class InstanceLock {
 public:
  // FailedPrecondition "another_instance_running pid=N lock=PATH" when a live
  // process holds it; creates the parent directory if needed.
  static absl::StatusOr<InstanceLock> Acquire(const std::string& path);

  InstanceLock(InstanceLock&& other) noexcept;
  InstanceLock& operator=(InstanceLock&& other) noexcept;
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;
  ~InstanceLock();

  const std::string& path() const { return path_; }
  // Rewrites the file as the PID line followed by `lines` ("key=value"), so
  // other tools find what the holder serves (e.g. "api=127.0.0.1:8000").
  absl::Status Annotate(const std::vector<std::string>& lines);

 private:
  InstanceLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

// The PID written in a lock file, or 0 if it cannot be read.
long ReadLockHolder(const std::string& path);
// The value of a "key=value" line of a lock file, or "" if absent.
std::string ReadLockValue(const std::string& path, const std::string& key);

// The lock file of a mode under the logs directory.
std::string LockPath(const std::string& logs_dir, const std::string& mode);

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_LOCK_H_
