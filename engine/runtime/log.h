// logs/bot.log: one JSON object per line, {"ts","level","event",...fields},
// with the runbook's event names (state_rebuilt, strategy_cycle_complete,
// order_filled, ...). Reopen() (on SIGHUP) lets logrotate move the file away.
//
//   log.Info("state_rebuilt", LogFields().Add("events", n).Add("ms", ms));
//
// `ts` is wall-clock time: logs are for people; the ledger's times are the
// injected clock's.
#ifndef APOLLO_ENGINE_RUNTIME_LOG_H_
#define APOLLO_ENGINE_RUNTIME_LOG_H_

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/domain/fixed.h"

namespace apollo::runtime {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// The fields of one line, already JSON-encoded.
class LogFields {
 public:
  LogFields& Add(absl::string_view key, absl::string_view value);
  LogFields& Add(absl::string_view key, const std::string& value) { return Add(key, absl::string_view(value)); }
  LogFields& Add(absl::string_view key, const char* value) { return Add(key, absl::string_view(value)); }
  LogFields& Add(absl::string_view key, int64_t value);
  LogFields& Add(absl::string_view key, uint64_t value);
  LogFields& Add(absl::string_view key, int value) { return Add(key, static_cast<int64_t>(value)); }
  LogFields& Add(absl::string_view key, double value);
  LogFields& Add(absl::string_view key, bool value);
  LogFields& Add(absl::string_view key, Fixed value);
  // A value that is JSON already (an object or array).
  LogFields& AddJson(absl::string_view key, absl::string_view json);
  const std::string& json() const { return json_; }

 private:
  void Key(absl::string_view key);
  std::string json_;  // ,"k":v,"k":v
};

class Log {
 public:
  // Appends to `path` (creating its directory); an empty path logs to stderr.
  static absl::StatusOr<Log> Open(const std::string& path, LogLevel min_level);
  // Parses DEBUG|INFO|WARNING|ERROR.
  static LogLevel ParseLevel(absl::string_view name);

  Log(Log&& other) noexcept;
  Log& operator=(Log&& other) noexcept;
  ~Log();

  void Write(LogLevel level, absl::string_view event, const LogFields& fields = LogFields());
  void Debug(absl::string_view event, const LogFields& f = LogFields()) { Write(LogLevel::kDebug, event, f); }
  void Info(absl::string_view event, const LogFields& f = LogFields()) { Write(LogLevel::kInfo, event, f); }
  void Warning(absl::string_view event, const LogFields& f = LogFields()) { Write(LogLevel::kWarning, event, f); }
  void Error(absl::string_view event, const LogFields& f = LogFields()) { Write(LogLevel::kError, event, f); }
  // Closes and reopens the file by name (after logrotate moved it).
  absl::Status Reopen();
  void Flush();

  // A line the file would not take (full disk, I/O error) goes to stderr
  // instead and is counted; the handler hears once when the file fails
  // (`what` the error) and once when it takes lines again. It must not log.
  using FaultHandler = std::function<void(const std::string& what, bool recovered)>;
  void set_fault_handler(FaultHandler handler);
  uint64_t write_failures() const;

 private:
  Log(std::FILE* file, std::string path, LogLevel min_level)
      : file_(file), path_(std::move(path)), min_level_(min_level) {}
  // Lines come from the engine thread and the operator API's threads;
  // Reopen swaps the file under them.
  struct Shared {
    std::mutex mu;
    bool failing = false;
    uint64_t failures = 0;
    FaultHandler on_fault;
  };
  std::unique_ptr<Shared> shared_ = std::make_unique<Shared>();
  std::FILE* file_ = nullptr;
  std::string path_;
  LogLevel min_level_ = LogLevel::kInfo;
};

}  // namespace apollo::runtime

#endif  // APOLLO_ENGINE_RUNTIME_LOG_H_
