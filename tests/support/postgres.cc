// A throwaway PostgreSQL server for tests: see postgres.h.
#include "tests/support/postgres.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace apollo::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr char kSetpriv[] = "/usr/bin/setpriv";
constexpr char kReady[] = "LOG:  database system is ready to accept connections";

// The newest /usr/lib/postgresql/<version>/bin with a server in it.
std::optional<std::string> BinDir() {
  std::optional<std::string> best;
  int best_version = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const fs::path bin = entry.path() / "bin";
    const int version = std::atoi(entry.path().filename().c_str());
    if (version > best_version && fs::exists(bin / "postgres") && fs::exists(bin / "initdb") && fs::exists(bin / "psql")) {
      best_version = version;
      best = bin.string();
    }
  }
  return best;
}

std::string Explain(const std::string& what, Process& p) {
  const ExitStatus st = p.Wait(60s);
  return absl::StrCat(what, ": ", st.ToString(), "\n", p.out(), p.err());
}

}  // namespace

std::optional<std::string> ThrowawayPostgres::Unavailable() {
  if (!BinDir()) return "no PostgreSQL server in /usr/lib/postgresql (make test installs postgresql-15)";
  if (::geteuid() == 0 && (::getpwnam("postgres") == nullptr || ::access(kSetpriv, X_OK) != 0)) {
    return "running as root without a postgres user or setpriv to run the server as";
  }
  return std::nullopt;
}

absl::StatusOr<std::unique_ptr<ThrowawayPostgres>> ThrowawayPostgres::Create() {
  if (auto why = Unavailable()) return absl::FailedPreconditionError(*why);
  std::unique_ptr<ThrowawayPostgres> pg(new ThrowawayPostgres());
  pg->bin_ = *BinDir();
  pg->as_postgres_ = ::geteuid() == 0;
  std::string tmpl = (fs::temp_directory_path() / "apollo-pg-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  pg->base_ = tmpl;
  std::random_device rd;
  pg->password_ = absl::StrCat("pw-", absl::Hex(rd()), absl::Hex(rd()));
  const std::string pwfile = pg->base_ + "/pwfile";
  std::ofstream(pwfile) << pg->password_ << "\n";
  if (pg->as_postgres_) {
    const passwd* user = ::getpwnam("postgres");
    if (::chown(pg->base_.c_str(), user->pw_uid, user->pw_gid) != 0 ||
        ::chown(pwfile.c_str(), user->pw_uid, user->pw_gid) != 0) {
      return absl::InternalError(absl::StrCat("cannot chown ", pg->base_, " to postgres"));
    }
  }
  SpawnOptions o;
  o.env = {"LC_ALL=C", "TZ=UTC"};
  auto initdb = Process::Spawn(pg->AsServerUser({pg->bin_ + "/initdb", "-D", pg->base_ + "/data", "-U", "postgres",
                                                 "-A", "scram-sha-256", "--pwfile=" + pwfile, "--no-locale", "-E",
                                                 "UTF8", "--no-sync", "--no-instructions"}),
                               o);
  if (!initdb.ok()) return initdb.status();
  if (!(*initdb)->Wait(120s).Exited(0)) return absl::InternalError(Explain("initdb", **initdb));
  return pg;
}

ThrowawayPostgres::~ThrowawayPostgres() {
  Stop();
  std::error_code ec;
  fs::remove_all(base_, ec);
}

std::vector<std::string> ThrowawayPostgres::AsServerUser(std::vector<std::string> argv) const {
  if (!as_postgres_) return argv;
  std::vector<std::string> out = {kSetpriv, "--reuid=postgres", "--regid=postgres", "--init-groups", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

absl::Status ThrowawayPostgres::Start() {
  if (server_ && server_->alive()) return absl::OkStatus();
  // The server's log on stdout (it writes to stderr), each line unprefixed,
  // so its readiness line can be waited for.
  // A zone whose date differs from UTC's now: UTC+14 from 10:00 UTC,
  // UTC-11 before 11:00 UTC.
  const absl::CivilHour hour = absl::ToCivilHour(absl::Now(), absl::UTCTimeZone());
  const std::string zone = hour.hour() >= 10 ? "Pacific/Kiritimati" : "Pacific/Pago_Pago";
  std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$@\" 2>&1", "sh"};
  for (const std::string& a :
       AsServerUser({bin_ + "/postgres", "-D", base_ + "/data", "-k", base_, "-c", "listen_addresses=", "-c",
                     "log_line_prefix=", "-c", "fsync=off", "-c", "TimeZone=" + zone})) {
    argv.push_back(a);
  }
  SpawnOptions o;
  o.env = {"LC_ALL=C"};
  auto server = Process::Spawn(argv, o);
  if (!server.ok()) return server.status();
  server_ = *std::move(server);
  if (!server_->ReadLineStartingWith(kReady, 60s)) {
    server_->Signal(SIGKILL);
    return absl::InternalError(Explain("postgres did not become ready", *server_));
  }
  return absl::OkStatus();
}

void ThrowawayPostgres::Stop() {
  if (!server_ || !server_->running()) return;
  server_->Signal(SIGINT);
  server_->Wait(60s);
}

std::string ThrowawayPostgres::Url(const std::string& database) const {
  return absl::StrCat("postgresql://postgres:", password_, "@/", database, "?host=", base_);
}

absl::Status ThrowawayPostgres::CreateDatabase(const std::string& name) {
  auto p = Psql("postgres", {"-c", absl::StrCat("CREATE DATABASE ", name)});
  if (!p.ok()) return p.status();
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Process>> ThrowawayPostgres::Psql(const std::string& database,
                                                                 const std::vector<std::string>& args,
                                                                 const std::string& cwd) const {
  std::vector<std::string> argv = {bin_ + "/psql", "-X", "-q", "-A", "-t", "-F", "|", "-v", "ON_ERROR_STOP=1",
                                   "-h", base_, "-U", "postgres", "-d", database};
  argv.insert(argv.end(), args.begin(), args.end());
  SpawnOptions o;
  o.cwd = cwd;
  o.env = {absl::StrCat("PGPASSWORD=", password_), "LC_ALL=C"};
  auto p = Process::Spawn(argv, o);
  if (!p.ok()) return p.status();
  if (!(*p)->Wait(60s).Exited(0)) return absl::InternalError(Explain("psql", **p));
  return p;
}

}  // namespace apollo::testing
