// A throwaway PostgreSQL server for tests, from Debian's postgresql package:
// initdb into a temporary directory, the server on a Unix socket there only
// (no TCP port to collide on), password authentication (scram-sha-256), and
// a time zone whose date differs from UTC's when it starts (UTC+14 or
// UTC-11), so a query that trusts the session's CURRENT_DATE is caught.
// Under root (CI) the server
// runs as the `postgres` user, since initdb refuses root. Stopped and
// removed with the object.
//
//   auto pg = testing::ThrowawayPostgres::Create();   // initdb
//   ASSERT_TRUE((*pg)->Start().ok());                  // ready for connections
//   ASSERT_TRUE((*pg)->CreateDatabase("t1").ok());
//   std::string url = (*pg)->Url("t1");                // postgresql://postgres:...@/t1?host=...
#ifndef APOLLO_TESTS_SUPPORT_POSTGRES_H_
#define APOLLO_TESTS_SUPPORT_POSTGRES_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/support/process.h"

namespace apollo::testing {

class ThrowawayPostgres {
 public:
  // Why no server can be made here (binaries missing, no `postgres` user
  // under root), or nullopt.
  static std::optional<std::string> Unavailable();
  // initdb; the server is not started yet.
  static absl::StatusOr<std::unique_ptr<ThrowawayPostgres>> Create();
  ~ThrowawayPostgres();
  ThrowawayPostgres(const ThrowawayPostgres&) = delete;
  ThrowawayPostgres& operator=(const ThrowawayPostgres&) = delete;

  // Starts the server and returns once it accepts connections.
  absl::Status Start();
  // A fast shutdown (SIGINT), waited for.
  void Stop();

  absl::Status CreateDatabase(const std::string& name);
  // A libpq URI for `database`, with the superuser's password in it.
  std::string Url(const std::string& database) const;
  const std::string& password() const { return password_; }

  // psql -X -A -t -F '|' against `database` with `args` appended (the
  // password from PGPASSWORD); the process, exited.
  absl::StatusOr<std::unique_ptr<Process>> Psql(const std::string& database, const std::vector<std::string>& args,
                                                const std::string& cwd = "") const;

 private:
  ThrowawayPostgres() = default;
  // argv run as the server's user (setpriv under root).
  std::vector<std::string> AsServerUser(std::vector<std::string> argv) const;

  std::string bin_, base_, password_;
  bool as_postgres_ = false;
  std::unique_ptr<Process> server_;
};

}  // namespace apollo::testing

#endif  // APOLLO_TESTS_SUPPORT_POSTGRES_H_
