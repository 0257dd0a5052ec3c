// JSON-lines log writer. Each line is formatted whole, written with one
// fwrite and flushed, so a crash leaves at most the last line cut short.
#include "engine/runtime/log.h"

#include <stdio_ext.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/domain/json.h"

namespace apollo::runtime {

void LogFields::Key(absl::string_view key) {
  json_.push_back(',');
  json::AppendString(&json_, key);
  json_.push_back(':');
}
LogFields& LogFields::Add(absl::string_view key, absl::string_view value) {
  Key(key);
  json::AppendString(&json_, value);
  return *this;
}
LogFields& LogFields::Add(absl::string_view key, int64_t value) {
  Key(key);
  absl::StrAppend(&json_, value);
  return *this;
}
LogFields& LogFields::Add(absl::string_view key, uint64_t value) {
  Key(key);
  absl::StrAppend(&json_, value);
  return *this;
}
LogFields& LogFields::Add(absl::string_view key, double value) {
  Key(key);
  absl::StrAppend(&json_, value);
  return *this;
}
LogFields& LogFields::Add(absl::string_view key, bool value) {
  Key(key);
  json_.append(value ? "true" : "false");
  return *this;
}
LogFields& LogFields::Add(absl::string_view key, Fixed value) {
  Key(key);
  json_.append(value.ToString());
  return *this;
}
LogFields& LogFields::AddJson(absl::string_view key, absl::string_view value) {
  Key(key);
  json_.append(value.data(), value.size());
  return *this;
}

absl::StatusOr<Log> Log::Open(const std::string& path, LogLevel min_level) {
  if (path.empty()) return Log(stderr, "", min_level);
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::FILE* f = std::fopen(path.c_str(), "ae");
  if (f == nullptr) return absl::PermissionDeniedError(absl::StrCat("cannot open log file ", path));
  return Log(f, path, min_level);
}

LogLevel Log::ParseLevel(absl::string_view name) {
  if (name == "DEBUG") return LogLevel::kDebug;
  if (name == "WARNING") return LogLevel::kWarning;
  if (name == "ERROR") return LogLevel::kError;
  return LogLevel::kInfo;
}

Log::Log(Log&& other) noexcept
    : shared_(std::move(other.shared_)), file_(other.file_), path_(std::move(other.path_)), min_level_(other.min_level_) {
  other.file_ = nullptr;
}

Log& Log::operator=(Log&& other) noexcept {
  if (this != &other) {
    if (file_ != nullptr && file_ != stderr) std::fclose(file_);
    shared_ = std::move(other.shared_);
    file_ = other.file_;
    path_ = std::move(other.path_);
    min_level_ = other.min_level_;
    other.file_ = nullptr;
  }
  return *this;
}

Log::~Log() {
  if (file_ != nullptr && file_ != stderr) std::fclose(file_);
}

void Log::Write(LogLevel level, absl::string_view event, const LogFields& fields) {
  if (level < min_level_ || file_ == nullptr) return;
  static constexpr absl::string_view kLevels[] = {"DEBUG", "INFO", "WARNING", "ERROR"};
  std::string line = absl::StrCat(
      "{\"ts\":\"", absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone()),
      "\",\"level\":\"", kLevels[static_cast<int>(level)], "\",\"event\":");
  json::AppendString(&line, event);
  absl::StrAppend(&line, fields.json(), "}\n");
  FaultHandler notify;
  std::string what;
  bool recovered = false;
  {
    std::lock_guard<std::mutex> l(shared_->mu);
    // Flushed at once: operators tail -f it; a crash loses no whole line.
    const bool ok = std::fwrite(line.data(), 1, line.size(), file_) == line.size() && std::fflush(file_) == 0;
    if (!ok && file_ != stderr) {
      what = absl::StrCat("writing ", path_, ": ", std::strerror(errno));
      __fpurge(file_);  // drop what it holds: the line goes to stderr instead
      std::clearerr(file_);
      std::fwrite(line.data(), 1, line.size(), stderr);
      ++shared_->failures;
      if (!shared_->failing) notify = shared_->on_fault;
      shared_->failing = true;
    } else if (ok && shared_->failing) {
      shared_->failing = false;
      recovered = true;
      what = absl::StrCat("writing ", path_, " again");
      notify = shared_->on_fault;
    }
  }
  if (notify) notify(what, recovered);
}

void Log::set_fault_handler(FaultHandler handler) {
  std::lock_guard<std::mutex> l(shared_->mu);
  shared_->on_fault = std::move(handler);
}

uint64_t Log::write_failures() const {
  std::lock_guard<std::mutex> l(shared_->mu);
  return shared_->failures;
}

absl::Status Log::Reopen() {
  if (path_.empty()) return absl::OkStatus();
  std::FILE* f = std::fopen(path_.c_str(), "ae");
  if (f == nullptr) return absl::PermissionDeniedError(absl::StrCat("cannot reopen log file ", path_));
  std::lock_guard<std::mutex> l(shared_->mu);
  if (file_ != nullptr) std::fclose(file_);
  file_ = f;
  return absl::OkStatus();
}

void Log::Flush() {
  std::lock_guard<std::mutex> l(shared_->mu);
  if (file_ != nullptr) std::fflush(file_);
}

}  // namespace apollo::runtime
