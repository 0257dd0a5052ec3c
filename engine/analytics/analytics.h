// The analytics projection: the ledger's orders, fills, trades, positions,
// funding and equity as SQL tables (and the daily_pnl and todays_pnl
// views), for the operators' queries (runbooks/sql/, the same text for both
// databases). SQLite by default (logs/apollo.sqlite, WAL: readable with
// `sqlite3` while the bot writes); PostgreSQL (libpq) for a postgresql:// URL.
//
// A Projector follows the ledger on a thread of its own through an audit
// reader, so it never blocks the engine. Each batch of events is one SQL
// transaction that also moves the cursor (analytics_meta: last_seq and the
// hash of that record), so every row is written exactly once, after a crash
// too. A database whose cursor is not a record of this ledger (a restored
// or replaced ledger) is emptied and written again from seq 1, as a deleted
// one is. A database that cannot be written is reported once (on_fault),
// retried every `retry`, and caught up from its cursor when it heals.
//
//   ASSIGN_OR_RETURN(analytics::Target to, analytics::TargetOf(url, "logs"));
//   auto projector = analytics::Projector::Start(to.open, {.ledger_dir = "data/ledger"});
//   ... ~Projector catches up to the ledger's head and stops.
#ifndef APOLLO_ENGINE_ANALYTICS_ANALYTICS_H_
#define APOLLO_ENGINE_ANALYTICS_ANALYTICS_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/domain/state.h"

namespace apollo::analytics {

// One SQL statement with its parameters ($1, $2, ... in order; text, or
// NULL when nullopt). The rows' statements keep to what SQLite and
// PostgreSQL share ($n, ON CONFLICT ... excluded); only the views differ.
struct Statement {
  std::string sql;
  std::vector<std::optional<std::string>> params;
};

enum class Dialect { kSqlite, kPostgres };

// A database the projection writes to.
class SqlBackend {
 public:
  virtual ~SqlBackend() = default;
  virtual Dialect dialect() const = 0;
  virtual absl::Status Run(const Statement& statement) = 0;
  // The first column of the first row, or nullopt without a row.
  virtual absl::StatusOr<std::optional<std::string>> QueryOne(const Statement& statement) = 0;
};

// SQLite at `path` (created if absent), in WAL mode.
absl::StatusOr<std::unique_ptr<SqlBackend>> OpenSqlite(const std::string& path);
// PostgreSQL at a libpq connection URI (postgresql://user:password@host:port/db?...).
// Its password never appears in an error: it is cut out of libpq's messages.
absl::StatusOr<std::unique_ptr<SqlBackend>> OpenPostgres(const std::string& url);

// Where the projection writes, from analytics.url or ANALYTICS_URL (which
// may carry a password): "" = SQLite at <logs_dir>/apollo.sqlite,
// sqlite:PATH, or postgresql:// (postgres://). A bad URL is one line that
// never quotes it.
struct Target {
  std::string name;   // for logs, never a secret: "logs/apollo.sqlite", "postgresql://apollo@db:5432/apollo"
  std::string label;  // for the storage-fault metric: "apollo.sqlite", "postgresql"
  std::function<absl::StatusOr<std::unique_ptr<SqlBackend>>()> open;
};
absl::StatusOr<Target> TargetOf(const std::string& url, const std::string& logs_dir);

// The tables and the views in `dialect` (CREATE ... IF NOT EXISTS; the
// views CREATE OR REPLACE in PostgreSQL).
const std::vector<std::string>& Schema(Dialect dialect);
// Dropping them all (a database of another ledger is written again).
const std::vector<std::string>& DropSchema();

// The statements one event adds to the tables; `before` and `after` are the
// folded state around it.
std::vector<Statement> RowsOf(const Event& event, const State& before, const State& after);

class Projector {
 public:
  struct Options {
    std::string ledger_dir;
    absl::Duration poll = absl::Seconds(1);
    absl::Duration retry = absl::Seconds(30);
    size_t batch_events = 5000;
    // Called on the projector's thread: once when writing fails (false,
    // what), once when it is caught up again (true, "").
    std::function<void(bool ok, const std::string& what)> on_fault;
  };
  // Opens nothing yet: the thread waits for the ledger to exist.
  static std::unique_ptr<Projector> Start(std::function<absl::StatusOr<std::unique_ptr<SqlBackend>>()> open,
                                          Options options);
  ~Projector();  // one last catch-up (at most 10 s; the rest at the next start), then the thread stops

  // Writes every event up to the ledger's head now, on the caller's thread
  // (tests); not while a Projector on the same database runs.
  static absl::Status CatchUpOnce(SqlBackend& db, const std::string& ledger_dir, size_t batch_events = 5000);

  uint64_t last_seq() const { return last_seq_.load(); }

 private:
  Projector(std::function<absl::StatusOr<std::unique_ptr<SqlBackend>>()> open, Options options);
  void Loop();

  std::function<absl::StatusOr<std::unique_ptr<SqlBackend>>()> open_;
  Options o_;
  std::atomic<uint64_t> last_seq_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace apollo::analytics

#endif  // APOLLO_ENGINE_ANALYTICS_ANALYTICS_H_
