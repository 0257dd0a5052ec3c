// The analytics projection: see analytics.h.
#include "engine/analytics/analytics.h"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <filesystem>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "engine/domain/codec.h"
#include "engine/domain/status_macros.h"
#include "ledger/event_log.h"
#include "ledger/ledger.h"
#include "ledger/record.h"
#include "replay/fold.h"

namespace apollo::analytics {
namespace {

using Param = std::optional<std::string>;

std::string Time(int64_t ts_ns) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S", absl::FromUnixNanos(ts_ns), absl::UTCTimeZone());
}
std::string Day(int64_t ts_ns) { return absl::FormatTime("%Y-%m-%d", absl::FromUnixNanos(ts_ns), absl::UTCTimeZone()); }
Param Num(Fixed f) { return f.ToString(); }
Param NumOrNull(Fixed f) { return f.raw() == 0 ? Param() : Param(f.ToString()); }
Param Text(absl::string_view s) { return std::string(s); }
Param Int(int64_t v) { return absl::StrCat(v); }

// What became of an order an event ended (it is gone from the state after).
const char* EndedAs(const EventBody& body) {
  if (std::holds_alternative<OrderFilled>(body)) return "FILLED";
  if (std::holds_alternative<OrderCancelled>(body)) return "CANCELLED";
  if (std::holds_alternative<OrderRejected>(body)) return "REJECTED";
  if (std::holds_alternative<OrderExpired>(body)) return "EXPIRED";
  return nullptr;
}

// The order an event is about, if any.
const ClientOrderId* OrderOf(const EventBody& body) {
  if (auto* p = std::get_if<OrderPlaced>(&body)) return &p->client_order_id;
  if (auto* a = std::get_if<OrderAccepted>(&body)) return &a->client_order_id;
  if (auto* r = std::get_if<OrderRejected>(&body)) return &r->client_order_id;
  if (auto* f = std::get_if<OrderPartialFill>(&body)) return &f->client_order_id;
  if (auto* f = std::get_if<OrderFilled>(&body)) return &f->client_order_id;
  if (auto* c = std::get_if<OrderCancelled>(&body)) return &c->client_order_id;
  if (auto* x = std::get_if<OrderExpired>(&body)) return &x->client_order_id;
  return nullptr;
}

Statement UpsertOrder(const Order& o, absl::string_view status, const std::string& reason, uint64_t seq, int64_t ts_ns) {
  return Statement{
      "INSERT INTO orders (client_order_id, symbol, side, order_type, purpose, qty, price, stop_price, reduce_only, "
      "status, filled_qty, avg_fill_price, fees, reason, venue_order_id, placed_seq, placed_at, updated_seq, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) "
      "ON CONFLICT (client_order_id) DO UPDATE SET status = excluded.status, filled_qty = excluded.filled_qty, "
      "avg_fill_price = excluded.avg_fill_price, fees = excluded.fees, reason = excluded.reason, "
      "venue_order_id = excluded.venue_order_id, updated_seq = excluded.updated_seq, updated_at = excluded.updated_at",
      {Text(o.client_order_id.value), Text(o.symbol.value), Text(EnumName(o.side)), Text(EnumName(o.order_type)),
       Text(EnumName(o.purpose)), Num(o.qty), NumOrNull(o.price), NumOrNull(o.stop_price), Int(o.reduce_only ? 1 : 0),
       Text(status), Num(o.filled_qty), NumOrNull(o.avg_fill_price), Num(o.fees),
       reason.empty() ? Param() : Param(reason), o.venue_order_id.value.empty() ? Param() : Param(o.venue_order_id.value),
       Int(static_cast<int64_t>(o.placed_seq)), Text(Time(o.placed_ts_ns)), Int(static_cast<int64_t>(seq)),
       Text(Time(ts_ns))}};
}

std::string ReasonOf(const EventBody& body) {
  if (auto* r = std::get_if<OrderRejected>(&body)) return r->reason;
  if (auto* c = std::get_if<OrderCancelled>(&body)) return c->reason;
  return "";
}

}  // namespace

namespace {

std::vector<std::string> Tables() {
  return {
      "CREATE TABLE IF NOT EXISTS analytics_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
      "CREATE TABLE IF NOT EXISTS orders (client_order_id TEXT PRIMARY KEY, symbol TEXT NOT NULL, side TEXT NOT NULL, "
      "order_type TEXT NOT NULL, purpose TEXT NOT NULL, qty NUMERIC NOT NULL, price NUMERIC, stop_price NUMERIC, "
      "reduce_only INTEGER NOT NULL, status TEXT NOT NULL, filled_qty NUMERIC NOT NULL, avg_fill_price NUMERIC, "
      "fees NUMERIC NOT NULL, reason TEXT, venue_order_id TEXT, placed_seq BIGINT NOT NULL, placed_at TEXT NOT NULL, "
      "updated_seq BIGINT NOT NULL, updated_at TEXT NOT NULL)",
      "CREATE TABLE IF NOT EXISTS fills (seq BIGINT PRIMARY KEY, ts TEXT NOT NULL, client_order_id TEXT NOT NULL, "
      "trade_id TEXT, symbol TEXT NOT NULL, side TEXT NOT NULL, price NUMERIC NOT NULL, qty NUMERIC NOT NULL, "
      "fee NUMERIC NOT NULL)",
      "CREATE TABLE IF NOT EXISTS trades (seq BIGINT PRIMARY KEY, ts TEXT NOT NULL, day TEXT NOT NULL, "
      "symbol TEXT NOT NULL, side TEXT NOT NULL, qty NUMERIC NOT NULL, entry_price NUMERIC NOT NULL, "
      "exit_price NUMERIC NOT NULL, realized_pnl NUMERIC NOT NULL, fees NUMERIC NOT NULL, net_pnl NUMERIC NOT NULL, "
      "reason TEXT NOT NULL)",
      "CREATE TABLE IF NOT EXISTS positions (symbol TEXT PRIMARY KEY, side TEXT NOT NULL, qty NUMERIC NOT NULL, "
      "entry_price NUMERIC NOT NULL, stop_price NUMERIC, take_profit NUMERIC, leverage NUMERIC, "
      "opened_at TEXT NOT NULL, updated_seq BIGINT NOT NULL)",
      "CREATE TABLE IF NOT EXISTS funding (seq BIGINT PRIMARY KEY, ts TEXT NOT NULL, day TEXT NOT NULL, "
      "symbol TEXT NOT NULL, amount NUMERIC NOT NULL)",
      "CREATE TABLE IF NOT EXISTS equity (seq BIGINT PRIMARY KEY, ts TEXT NOT NULL, day TEXT NOT NULL, "
      "equity NUMERIC NOT NULL, drawdown_pct NUMERIC NOT NULL)",
  };
}

// A UTC day's result: its closes, each net of its entry and exit fees on the
// day it closed, and its funding; a win nets >= 0, as the fold counts it.
constexpr char kDailyPnl[] =
    "daily_pnl AS SELECT day, SUM(net_pnl) AS net_pnl, SUM(trades) AS trades, SUM(wins) AS wins, "
    "SUM(funding) AS funding FROM (SELECT day, net_pnl, 1 AS trades, CASE WHEN net_pnl >= 0 THEN 1 ELSE 0 END AS wins, "
    "0 AS funding FROM trades UNION ALL SELECT day, amount, 0, 0, amount FROM funding) AS d GROUP BY day";

std::vector<std::string> WithViews(std::vector<std::string> tables, Dialect dialect) {
  // The UTC day as the tables' text, whatever the session's time zone:
  // SQLite's date('now') is UTC; PostgreSQL's CURRENT_DATE is the session's.
  if (dialect == Dialect::kSqlite) {
    tables.push_back(absl::StrCat("CREATE VIEW IF NOT EXISTS ", kDailyPnl));
    tables.push_back("CREATE VIEW IF NOT EXISTS todays_pnl AS SELECT * FROM daily_pnl WHERE day = date('now')");
  } else {
    // Created only when absent: CREATE OR REPLACE would take an exclusive
    // lock on a view an operator's open transaction may be reading.
    auto if_absent = [](const char* name, const std::string& create) {
      return absl::StrCat("DO $apollo$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_views WHERE viewname = '", name,
                          "' AND schemaname = current_schema()) THEN ", create, "; END IF; END $apollo$");
    };
    tables.push_back(if_absent("daily_pnl", absl::StrCat("CREATE VIEW ", kDailyPnl)));
    tables.push_back(if_absent("todays_pnl", "CREATE VIEW todays_pnl AS SELECT * FROM daily_pnl "
                                             "WHERE day = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')"));
  }
  return tables;
}

}  // namespace

const std::vector<std::string>& Schema(Dialect dialect) {
  static const std::vector<std::string> sqlite = WithViews(Tables(), Dialect::kSqlite);
  static const std::vector<std::string> postgres = WithViews(Tables(), Dialect::kPostgres);
  return dialect == Dialect::kSqlite ? sqlite : postgres;
}

const std::vector<std::string>& DropSchema() {
  static const std::vector<std::string> drop = {
      "DROP VIEW IF EXISTS todays_pnl", "DROP VIEW IF EXISTS daily_pnl",  "DROP TABLE IF EXISTS equity", "DROP TABLE IF EXISTS funding",
      "DROP TABLE IF EXISTS positions", "DROP TABLE IF EXISTS trades", "DROP TABLE IF EXISTS fills",
      "DROP TABLE IF EXISTS orders",    "DROP TABLE IF EXISTS analytics_meta",
  };
  return drop;
}

std::vector<Statement> RowsOf(const Event& e, const State& before, const State& after) {
  std::vector<Statement> out;
  if (const ClientOrderId* id = OrderOf(e.body)) {
    if (auto now = after.orders.find(*id); now != after.orders.end()) {
      out.push_back(UpsertOrder(now->second, EnumName(now->second.status), ReasonOf(e.body), e.seq, e.ts_ns));
    } else if (auto was = before.orders.find(*id); was != before.orders.end() && EndedAs(e.body) != nullptr) {
      Order o = was->second;
      if (auto* f = std::get_if<OrderFilled>(&e.body)) {  // the last fill completes it
        const Fixed filled = o.filled_qty + f->qty;
        o.avg_fill_price = filled.raw() > 0 ? (o.avg_fill_price.Mul(o.filled_qty) + f->price.Mul(f->qty)).Div(filled) : f->price;
        o.filled_qty = filled;
        o.fees = o.fees + f->fee;
      }
      out.push_back(UpsertOrder(o, EndedAs(e.body), ReasonOf(e.body), e.seq, e.ts_ns));
    }
    const Fill* fill = nullptr;
    if (auto* f = std::get_if<OrderFilled>(&e.body)) fill = f;
    if (auto* f = std::get_if<OrderPartialFill>(&e.body)) fill = f;
    if (auto was = before.orders.find(*id); fill != nullptr && was != before.orders.end()) {
      out.push_back(Statement{
          "INSERT INTO fills (seq, ts, client_order_id, trade_id, symbol, side, price, qty, fee) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (seq) DO NOTHING",
          {Int(static_cast<int64_t>(e.seq)), Text(Time(e.ts_ns)), Text(id->value), Text(fill->trade_id.value),
           Text(was->second.symbol.value), Text(EnumName(was->second.side)), Num(fill->price), Num(fill->qty),
           Num(fill->fee)}});
    }
  }
  if (auto* c = std::get_if<PositionClosed>(&e.body)) {
    out.push_back(Statement{
        "INSERT INTO trades (seq, ts, day, symbol, side, qty, entry_price, exit_price, realized_pnl, fees, net_pnl, "
        "reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (seq) DO NOTHING",
        {Int(static_cast<int64_t>(e.seq)), Text(Time(e.ts_ns)), Text(Day(e.ts_ns)), Text(c->symbol.value),
         Text(EnumName(c->side)), Num(c->qty), Num(c->entry_price), Num(c->exit_price), Num(c->realized_pnl),
         Num(c->fees), Num(c->realized_pnl - c->fees), Text(EnumName(c->reason))}});
  }
  if (auto* f = std::get_if<FundingPaid>(&e.body)) {
    out.push_back(Statement{"INSERT INTO funding (seq, ts, day, symbol, amount) VALUES ($1, $2, $3, $4, $5) "
                            "ON CONFLICT (seq) DO NOTHING",
                            {Int(static_cast<int64_t>(e.seq)), Text(Time(e.ts_ns)), Text(Day(e.ts_ns)),
                             Text(f->symbol.value), Num(f->amount)}});
  }
  const Symbol* position = nullptr;
  if (auto* o = std::get_if<PositionOpened>(&e.body)) position = &o->symbol;
  if (auto* u = std::get_if<PositionUpdated>(&e.body)) position = &u->symbol;
  if (auto* c = std::get_if<PositionClosed>(&e.body)) position = &c->symbol;
  if (position != nullptr) {
    if (auto p = after.positions.find(*position); p != after.positions.end()) {
      const Position& pos = p->second;
      out.push_back(Statement{
          "INSERT INTO positions (symbol, side, qty, entry_price, stop_price, take_profit, leverage, opened_at, "
          "updated_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (symbol) DO UPDATE SET "
          "side = excluded.side, qty = excluded.qty, entry_price = excluded.entry_price, "
          "stop_price = excluded.stop_price, take_profit = excluded.take_profit, leverage = excluded.leverage, "
          "opened_at = excluded.opened_at, updated_seq = excluded.updated_seq",
          {Text(pos.symbol.value), Text(EnumName(pos.side)), Num(pos.qty), Num(pos.entry_price),
           NumOrNull(pos.stop_price), NumOrNull(pos.take_profit), NumOrNull(pos.leverage), Text(Time(pos.opened_ts_ns)),
           Int(static_cast<int64_t>(e.seq))}});
    } else {
      out.push_back(Statement{"DELETE FROM positions WHERE symbol = $1", {Text(position->value)}});
    }
  }
  if (after.balance != before.balance && after.initialized && before.initialized) {
    out.push_back(Statement{"INSERT INTO equity (seq, ts, day, equity, drawdown_pct) VALUES ($1, $2, $3, $4, $5) "
                            "ON CONFLICT (seq) DO NOTHING",
                            {Int(static_cast<int64_t>(e.seq)), Text(Time(e.ts_ns)), Text(Day(e.ts_ns)),
                             Num(after.balance), Num(after.drawdown_pct)}});
  }
  return out;
}

// ---------------------------------------------------------------------------
// SQLite.

namespace {

class Sqlite final : public SqlBackend {
 public:
  Sqlite(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~Sqlite() override { sqlite3_close_v2(db_); }

  absl::Status Run(const Statement& st) override {
    sqlite3_stmt* stmt = nullptr;
    RETURN_IF_ERROR(Prepare(st, &stmt));
    const int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Error(st.sql);
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<std::string>> QueryOne(const Statement& st) override {
    sqlite3_stmt* stmt = nullptr;
    RETURN_IF_ERROR(Prepare(st, &stmt));
    const int rc = sqlite3_step(stmt);
    std::optional<std::string> out;
    if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
      out = std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error(st.sql);
    return out;
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

 private:
  absl::Status Prepare(const Statement& st, sqlite3_stmt** stmt) {
    if (sqlite3_prepare_v2(db_, st.sql.c_str(), static_cast<int>(st.sql.size()), stmt, nullptr) != SQLITE_OK) {
      return Error(st.sql);
    }
    for (size_t i = 0; i < st.params.size(); ++i) {
      const int at = static_cast<int>(i + 1);
      const int rc = st.params[i] ? sqlite3_bind_text(*stmt, at, st.params[i]->data(),
                                                      static_cast<int>(st.params[i]->size()), SQLITE_TRANSIENT)
                                  : sqlite3_bind_null(*stmt, at);
      if (rc != SQLITE_OK) {
        sqlite3_finalize(*stmt);
        return Error(st.sql);
      }
    }
    return absl::OkStatus();
  }
  absl::Status Error(const std::string& sql) const {
    return absl::UnavailableError(absl::StrCat(path_, ": ", sqlite3_errmsg(db_), " (", sql.substr(0, 60), ")"));
  }

  sqlite3* db_;
  std::string path_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SqlBackend>> OpenSqlite(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string error = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return absl::UnavailableError(absl::StrCat("cannot open ", path, ": ", error));
  }
  sqlite3_busy_timeout(db, 5000);  // a reader holding a lock for a moment
  auto out = std::make_unique<Sqlite>(db, path);
  // WAL: `sqlite3 apollo.sqlite` reads while the bot writes.
  RETURN_IF_ERROR(out->Run({"PRAGMA journal_mode=WAL", {}}));
  RETURN_IF_ERROR(out->Run({"PRAGMA synchronous=NORMAL", {}}));
  return std::unique_ptr<SqlBackend>(std::move(out));
}

// ---------------------------------------------------------------------------
// PostgreSQL.

namespace {

// What a libpq connection string says, without its password.
struct Conninfo {
  std::string user, host, port, dbname, password;
};

absl::StatusOr<Conninfo> ParseConninfo(const std::string& url) {
  // libpq's own message may quote the URL (and so its password): not used.
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (error != nullptr) PQfreemem(error);
  if (options == nullptr) return absl::InvalidArgumentError("not a PostgreSQL connection URI (libpq refused it)");
  Conninfo c;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const absl::string_view key = o->keyword;
    if (key == "user") c.user = o->val;
    if (key == "host") c.host = o->val;
    if (key == "port") c.port = o->val;
    if (key == "dbname") c.dbname = o->val;
    if (key == "password") c.password = o->val;
  }
  PQconninfoFree(options);
  return c;
}

std::string NameOf(const Conninfo& c) {
  return absl::StrCat("postgresql://", c.user.empty() ? "" : absl::StrCat(c.user, "@"), c.host,
                      c.port.empty() ? "" : absl::StrCat(":", c.port), "/", c.dbname);
}

class Postgres final : public SqlBackend {
 public:
  Postgres(PGconn* conn, std::string password) : conn_(conn), password_(std::move(password)) {}
  ~Postgres() override { PQfinish(conn_); }
  Dialect dialect() const override { return Dialect::kPostgres; }

  absl::Status Run(const Statement& st) override { return Exec(st).status(); }

  absl::StatusOr<std::optional<std::string>> QueryOne(const Statement& st) override {
    ASSIGN_OR_RETURN(std::shared_ptr<PGresult> res, Exec(st));
    if (PQntuples(res.get()) == 0 || PQnfields(res.get()) == 0 || PQgetisnull(res.get(), 0, 0)) return std::nullopt;
    return std::string(PQgetvalue(res.get(), 0, 0));
  }

  // libpq's message for the connection, with the password cut out.
  std::string Error() const { return Scrub(PQerrorMessage(conn_), password_); }
  static std::string Scrub(absl::string_view message, const std::string& password) {
    std::string out(absl::StripTrailingAsciiWhitespace(message));
    if (!password.empty()) absl::StrReplaceAll({{password, "***"}}, &out);
    absl::StrReplaceAll({{"\n", " "}}, &out);
    return out;
  }

 private:
  absl::StatusOr<std::shared_ptr<PGresult>> Exec(const Statement& st) {
    std::vector<const char*> values;
    values.reserve(st.params.size());
    for (const auto& p : st.params) values.push_back(p ? p->c_str() : nullptr);
    std::shared_ptr<PGresult> res(PQexecParams(conn_, st.sql.c_str(), static_cast<int>(values.size()), nullptr,
                                               values.data(), nullptr, nullptr, 0),
                                  PQclear);
    const ExecStatusType status = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      return absl::UnavailableError(
          absl::StrCat(Scrub(res ? PQresultErrorMessage(res.get()) : PQerrorMessage(conn_), password_), " (",
                       st.sql.substr(0, 60), ")"));
    }
    return res;
  }

  PGconn* conn_;
  std::string password_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<SqlBackend>> OpenPostgres(const std::string& url) {
  ASSIGN_OR_RETURN(Conninfo info, ParseConninfo(url));
  // Defaults first: the URL's own settings, later in the list, win. A host
  // that does not answer gives up after 10 s (the projector retries).
  // Nothing waits for ever: a dead peer is noticed in about 30 s.
  const char* keys[] = {"connect_timeout", "application_name", "keepalives_idle", "keepalives_interval",
                        "keepalives_count", "tcp_user_timeout", "dbname", nullptr};
  const char* values[] = {"10", "apollo-analytics", "15", "5", "3", "30000", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("libpq: out of memory");
  auto out = std::make_unique<Postgres>(conn, info.password);
  if (PQstatus(conn) != CONNECTION_OK) {
    return absl::UnavailableError(absl::StrCat("cannot connect to ", NameOf(info), ": ", out->Error()));
  }
  // CREATE ... IF NOT EXISTS notices would go to the bot's stderr.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  // A statement or a lock that takes this long fails (reported, retried):
  // the bot's exit and the operators' readers never wait on it for long.
  RETURN_IF_ERROR(out->Run({"SET statement_timeout = '10s'", {}}));
  RETURN_IF_ERROR(out->Run({"SET lock_timeout = '5s'", {}}));
  return std::unique_ptr<SqlBackend>(std::move(out));
}

absl::StatusOr<Target> TargetOf(const std::string& url, const std::string& logs_dir) {
  if (url.empty() || absl::StartsWith(url, "sqlite:")) {
    const std::string path = url.empty() ? (std::filesystem::path(logs_dir) / "apollo.sqlite").string()
                                         : std::string(absl::StripPrefix(url, "sqlite:"));
    if (path.empty()) return absl::InvalidArgumentError("sqlite: needs a file (sqlite:PATH)");
    return Target{path, std::filesystem::path(path).filename().string(), [path] { return OpenSqlite(path); }};
  }
  if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://")) {
    ASSIGN_OR_RETURN(Conninfo info, ParseConninfo(url));
    return Target{NameOf(info), "postgresql", [url] { return OpenPostgres(url); }};
  }
  return absl::InvalidArgumentError("expected \"\" (SQLite at logs/apollo.sqlite), sqlite:PATH or postgresql://...");
}

// ---------------------------------------------------------------------------
// Following the ledger.

namespace {

constexpr absl::Duration kLastPass = absl::Seconds(10);

// The projection's position in one ledger: the reader, the state folded to
// the cursor, the cursor.
class Follower {
 public:
  // Reads the database's cursor; a cursor that is not a record of this
  // ledger empties the database (it is written again from seq 1).
  static absl::StatusOr<Follower> Open(SqlBackend& db, const std::string& ledger_dir) {
    for (const std::string& sql : Schema(db.dialect())) RETURN_IF_ERROR(db.Run({sql, {}}));
    ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> reader, ledger::Ledger::OpenReader(ledger_dir));
    ASSIGN_OR_RETURN(std::optional<std::string> seq_text,
                     db.QueryOne({"SELECT value FROM analytics_meta WHERE key = 'last_seq'", {}}));
    ASSIGN_OR_RETURN(std::optional<std::string> hash, db.QueryOne({"SELECT value FROM analytics_meta WHERE key = 'hash'", {}}));
    uint64_t cursor = 0;
    if (seq_text && !absl::SimpleAtoi(*seq_text, &cursor)) cursor = UINT64_MAX;
    if (cursor > 0) {
      std::string chunk;
      absl::StatusOr<ledger::RecordView> at = cursor <= reader->head().last_seq ? reader->Get(cursor, &chunk)
                                                                               : absl::NotFoundError("past the head");
      // A read that failed is a fault (retried); only a cursor this ledger
      // does not have, or has with another hash, means another ledger.
      if (!at.ok() && !absl::IsNotFound(at.status())) return at.status();
      if (!at.ok() || !hash || ledger::HashHex(at->hash) != *hash) {
        for (const std::string& sql : DropSchema()) RETURN_IF_ERROR(db.Run({sql, {}}));
        for (const std::string& sql : Schema(db.dialect())) RETURN_IF_ERROR(db.Run({sql, {}}));
        cursor = 0;
      }
    }
    Follower f(std::move(reader), cursor);
    if (cursor > 0) {
      replay::FoldOptions fold;
      fold.to_seq = cursor;
      ASSIGN_OR_RETURN(replay::FoldResult folded, replay::FoldLedger(*f.reader_, fold));
      f.state_ = std::move(folded.state);
    }
    return f;
  }

  // Everything the ledger holds past the cursor, in transactions of at
  // most `batch` events, until `deadline` (then the rest next time).
  absl::Status Step(SqlBackend& db, size_t batch, absl::Time deadline = absl::InfiniteFuture()) {
    RETURN_IF_ERROR(reader_->Refresh());
    const uint64_t head = reader_->head().last_seq;
    while (cursor_ < head && absl::Now() < deadline) {
      const uint64_t to = std::min<uint64_t>(head, cursor_ + batch);
      RETURN_IF_ERROR(db.Run({"BEGIN", {}}));
      State state = state_;
      std::string last_hash;
      absl::Status st = reader_->Scan(cursor_ + 1, to, [&](const ledger::RecordView& r) -> absl::Status {
        ASSIGN_OR_RETURN(Event e, ledger::DecodeRecord(r));
        const State before = state;
        RETURN_IF_ERROR(Apply(state, e));
        for (const Statement& s : RowsOf(e, before, state)) RETURN_IF_ERROR(db.Run(s));
        last_hash = ledger::HashHex(r.hash);
        return absl::OkStatus();
      });
      const char* upsert = "INSERT INTO analytics_meta (key, value) VALUES ($1, $2) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
      if (st.ok()) st = db.Run({upsert, {std::string("last_seq"), absl::StrCat(to)}});
      if (st.ok()) st = db.Run({upsert, {std::string("hash"), last_hash}});
      if (st.ok()) st = db.Run({"COMMIT", {}});
      if (!st.ok()) {
        (void)db.Run({"ROLLBACK", {}});
        return st;
      }
      state_ = std::move(state);
      cursor_ = to;
    }
    return absl::OkStatus();
  }
  uint64_t cursor() const { return cursor_; }

 private:
  Follower(std::unique_ptr<ledger::Ledger> reader, uint64_t cursor) : reader_(std::move(reader)), cursor_(cursor) {}
  std::unique_ptr<ledger::Ledger> reader_;
  State state_;
  uint64_t cursor_ = 0;
};

}  // namespace

absl::Status Projector::CatchUpOnce(SqlBackend& db, const std::string& ledger_dir, size_t batch_events) {
  ASSIGN_OR_RETURN(Follower f, Follower::Open(db, ledger_dir));
  return f.Step(db, batch_events);
}

Projector::Projector(std::function<absl::StatusOr<std::unique_ptr<SqlBackend>>()> open, Options options)
    : open_(std::move(open)), o_(std::move(options)) {}

std::unique_ptr<Projector> Projector::Start(std::function<absl::StatusOr<std::unique_ptr<SqlBackend>>()> open,
                                            Options options) {
  std::unique_ptr<Projector> p(new Projector(std::move(open), std::move(options)));
  p->thread_ = std::thread([raw = p.get()] { raw->Loop(); });
  return p;
}

Projector::~Projector() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Projector::Loop() {
  std::unique_ptr<SqlBackend> db;
  std::optional<Follower> follower;
  bool failing = false;
  for (bool last = false; !last;) {
    {
      std::unique_lock<std::mutex> l(mu_);
      last = stop_;
    }
    absl::Status st = absl::OkStatus();
    if (!db) {
      absl::StatusOr<std::unique_ptr<SqlBackend>> opened = open_();
      st = opened.status();
      if (opened.ok()) db = *std::move(opened);
    }
    if (st.ok() && !follower) {
      absl::StatusOr<Follower> f = Follower::Open(*db, o_.ledger_dir);
      st = f.status();
      if (f.ok()) follower.emplace(*std::move(f));
    }
    // The last pass, at the bot's exit, is bounded: what it leaves is
    // written at the next start, from the cursor.
    if (st.ok()) st = follower->Step(*db, o_.batch_events, last ? absl::Now() + kLastPass : absl::InfiniteFuture());
    // No ledger yet (the bot is creating it) is not a fault.
    const bool quiet_wait = absl::IsNotFound(st) && !follower;
    if (!st.ok() && !quiet_wait) {
      follower.reset();
      db.reset();  // opened again at the retry (a database that came back)
      if (!failing && o_.on_fault) o_.on_fault(false, std::string(st.message()));
      failing = true;
    } else if (st.ok()) {
      if (failing && o_.on_fault) o_.on_fault(true, "");
      failing = false;
      last_seq_ = follower->cursor();
    }
    if (last) break;
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait_for(l, absl::ToChronoMilliseconds(failing ? o_.retry : o_.poll), [&] { return stop_; });
  }
}

}  // namespace apollo::analytics
