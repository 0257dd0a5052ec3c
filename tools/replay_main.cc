// `replay`: the audit tool over a ledger. Opens the ledger as a read-only
// secondary instance, so it is safe beside a running bot.
//
//   replay verify --ledger data/ledger
//   replay events --ledger data/ledger --from 100 --to 200 --type OrderFilled --format table
//   replay state  --ledger data/ledger --at 5000            (or --at-time 2023-01-20T12:00:00Z)
//   replay decisions --ledger data/ledger [--set strategy.entry.score_threshold=0.7]
//   replay export --ledger data/ledger --out audit/ [--from N --to N]
//   replay explain --ledger data/ledger --seq 4711
//   replay diff --ledger run-a/ledger --ledger run-b/ledger
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "engine/domain/codec.h"
#include "engine/domain/json.h"
#include "ledger/event_log.h"
#include "ledger/ledger.h"
#include "engine/config/config.h"
#include "engine/runtime/daily_summary.h"
#include "engine/runtime/projections.h"
#include "replay/decisions.h"
#include "replay/diff.h"
#include "replay/explain.h"
#include "replay/fold.h"
#include "replay/performance.h"
#include "tools/progress.h"
#include "tools/time_flag.h"

namespace {

namespace fs = std::filesystem;
using apollo::ledger::Ledger;

int Fail(const absl::Status& status, int exit_code = 1) {
  std::fprintf(stderr, "replay: %s\n", std::string(status.message()).c_str());
  return exit_code;
}

absl::StatusOr<std::unique_ptr<Ledger>> Open(const std::string& dir) {
  return Ledger::OpenReader(dir);
}

int Verify(const std::string& dir) {
  auto ledger = Open(dir);
  if (!ledger.ok()) return Fail(ledger.status());
  apollo::replay::FoldOptions opts;
  opts.use_snapshot = false;
  auto result = apollo::replay::FoldLedger(**ledger, opts);
  if (!result.ok()) {
    std::printf("FAIL %s\n", std::string(result.status().message()).c_str());
    return 1;
  }
  std::printf("OK events=%llu last_seq=%llu head_hash=%s\n",
              static_cast<unsigned long long>(result->events_folded),
              static_cast<unsigned long long>(result->state.last_seq),
              apollo::ledger::HashHex(result->last_hash).c_str());
  return 0;
}

std::string TableRow(const apollo::Event& e) {
  const std::string json = apollo::EventToJson(e);
  const size_t data_at = json.find("\"data\":");
  const std::string data = json.substr(data_at + 7, json.size() - data_at - 8);
  return absl::StrCat(e.seq, "\t",
                      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixNanos(e.ts_ns),
                                       absl::UTCTimeZone()),
                      "\t", apollo::EventName(static_cast<uint16_t>(apollo::TagOf(e.body))), "\t",
                      data);
}

int Events(const std::string& dir, uint64_t from, uint64_t to, const std::vector<std::string>& types,
           const std::string& format) {
  absl::flat_hash_set<uint16_t> wanted;
  for (const std::string& t : types) {
    apollo::EventTag tag;
    if (!apollo::EventTagFromName(t, &tag)) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
          "--type: unknown event type '", t, "' (known: ", absl::StrJoin(apollo::AllEventNames(), ", "), ")")));
    }
    wanted.insert(static_cast<uint16_t>(tag));
  }
  auto ledger = Open(dir);
  if (!ledger.ok()) return Fail(ledger.status());
  if (format == "table") std::printf("seq\ttime\ttype\tdata\n");
  absl::Status st = (*ledger)->Scan(from, to, [&](const apollo::ledger::RecordView& r) -> absl::Status {
    if (!wanted.empty() && !wanted.contains(r.tag)) return absl::OkStatus();
    auto event = apollo::ledger::DecodeRecord(r);
    if (!event.ok()) return event.status();
    const std::string line = format == "table" ? TableRow(*event) : apollo::EventToJson(*event);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    return absl::OkStatus();
  });
  std::fflush(stdout);
  return st.ok() ? 0 : Fail(st);
}

std::string TimeText(int64_t ts_ns) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixNanos(ts_ns), absl::UTCTimeZone());
}

int PrintState(const Ledger& ledger, uint64_t at) {
  apollo::replay::FoldOptions opts;
  opts.to_seq = at;
  auto result = apollo::replay::FoldLedger(ledger, opts);
  if (!result.ok()) return Fail(result.status());
  std::printf("%s\n", apollo::StateToJson(result->state).c_str());
  return 0;
}

int StateAt(const std::string& dir, uint64_t at) {
  auto ledger = Open(dir);
  if (!ledger.ok()) return Fail(ledger.status());
  if (at != UINT64_MAX && at > (*ledger)->head().last_seq) {
    return Fail(absl::OutOfRangeError(
        absl::StrCat("--at ", at, " is beyond the ledger head (", (*ledger)->head().last_seq, ")")));
  }
  return PrintState(**ledger, at);
}

absl::StatusOr<int64_t> ParseTimeNs(const std::string& flag, const std::string& text) {
  auto t = apollo::tools::ParseTimeFlag(flag, text);
  if (!t.ok()) return t.status();
  return absl::ToUnixNanos(*t);
}

// The seq of the last event at or before ts_ns: the events before the first
// one later than ts_ns. OutOfRange, naming the first event's time, when even
// that one is later.
absl::StatusOr<uint64_t> LastSeqAtOrBefore(const Ledger& ledger, int64_t ts_ns, const std::string& when) {
  const uint64_t head = ledger.head().last_seq;
  if (head == 0) return absl::FailedPreconditionError("the ledger has no events");
  uint64_t last = 0;
  int64_t first_ts_ns = 0;
  bool past = false;
  absl::Status st = ledger.Scan(1, head, [&](const apollo::ledger::RecordView& r) -> absl::Status {
    if (r.seq == 1) first_ts_ns = r.ts_ns;
    if (r.ts_ns > ts_ns) {
      past = true;
      return absl::CancelledError("past the time");
    }
    last = r.seq;
    return absl::OkStatus();
  });
  if (!past && !st.ok()) return st;
  if (last == 0) {
    return absl::OutOfRangeError(absl::StrCat("--at-time ", when, " is before the first event (seq 1 at ",
                                              TimeText(first_ts_ns), ")"));
  }
  return last;
}

int StateAtTime(const std::string& dir, const std::string& when) {
  auto ts_ns = ParseTimeNs("--at-time", when);
  if (!ts_ns.ok()) return Fail(ts_ns.status());
  auto ledger = Open(dir);
  if (!ledger.ok()) return Fail(ledger.status());
  auto at = LastSeqAtOrBefore(**ledger, *ts_ns, when);
  if (!at.ok()) return Fail(at.status());
  return PrintState(**ledger, *at);
}

struct ExportFlags {
  std::string out;
  uint64_t from = 1, to = UINT64_MAX;
};

constexpr const char* kExportFiles[] = {"trades.csv", "orders.csv", "thinking.jsonl", "equity.csv", "pnl_daily.csv"};

// Export writes new files, never appends to a run's: it refuses a directory
// that already holds one of them (or a daily summary).
absl::Status CheckOutDir(const std::string& out) {
  std::vector<std::string> taken;
  for (const char* name : kExportFiles) {
    std::error_code ec;
    if (fs::exists(fs::path(out) / name, ec)) taken.push_back(name);
  }
  std::error_code ec;
  for (fs::directory_iterator it(out, ec), end; !ec && it != end; it.increment(ec)) {
    if (absl::StartsWith(it->path().filename().string(), "daily_summary_")) taken.push_back(it->path().filename().string());
  }
  if (taken.empty()) return absl::OkStatus();
  return absl::AlreadyExistsError(absl::StrCat("--out ", out, " already holds ", taken.front(),
                                               ": export into an empty or new directory"));
}

absl::Status WriteNewFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) return absl::UnavailableError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

// trades.csv, orders.csv and thinking.jsonl as the run wrote them (the
// run's own Projections), then equity.csv and pnl_daily.csv.
absl::Status ExportFiles(const Ledger& ledger, const ExportFlags& f, uint64_t to) {
  const uint64_t rows = to - f.from + 1, head = ledger.head().last_seq;
  apollo::tools::Progress progress("events", rows + head);
  auto projections = apollo::runtime::Projections::Open(f.out);
  if (!projections.ok()) return projections.status();
  absl::Status st = (*projections)->CatchUp(ledger, f.from, to, [&](uint64_t seq) { progress.Update(seq - f.from + 1); });
  if (!st.ok()) return st;
  if ((*projections)->write_failures() > 0) {
    return absl::UnavailableError(absl::StrCat("cannot write the projections into ", f.out, " (disk full or I/O error)"));
  }
  apollo::replay::PerformanceOptions po;
  po.from_seq = f.from;
  po.to_seq = to;
  po.progress = [&](uint64_t seq, uint64_t) { progress.Update(rows + seq); };
  auto perf = apollo::replay::MeasurePerformance(ledger, po);
  progress.Update(rows + head);
  progress.Done();
  if (!perf.ok()) return perf.status();
  st = WriteNewFile(fs::path(f.out) / "equity.csv", apollo::replay::EquityCsv(perf->equity));
  if (!st.ok()) return st;
  for (const apollo::DaySummary& day : perf->days) {
    if (st = apollo::runtime::WriteDaySummary(f.out, day); !st.ok()) return st;
  }
  return WriteNewFile(fs::path(f.out) / "pnl_daily.csv", apollo::replay::DailyCsv(perf->daily));
}

int Export(const std::string& dir, const ExportFlags& f) {
  if (absl::Status st = CheckOutDir(f.out); !st.ok()) return Fail(st);
  auto ledger = Open(dir);
  if (!ledger.ok()) return Fail(ledger.status());
  const uint64_t head = (*ledger)->head().last_seq;
  if (f.from > head) {
    return Fail(absl::OutOfRangeError(absl::StrCat("--from ", f.from, " is beyond the ledger head (", head, ")")));
  }
  const uint64_t to = std::min(f.to, head);
  if (absl::Status st = ExportFiles(**ledger, f, to); !st.ok()) return Fail(st);
  std::printf("exported seq %llu..%llu to %s: %s and daily_summary_YYYY-MM-DD.{json,csv} per day closed\n",
              static_cast<unsigned long long>(f.from), static_cast<unsigned long long>(to), f.out.c_str(),
              absl::StrJoin(kExportFiles, ", ").c_str());
  return 0;
}

int Explain(const std::string& dir, uint64_t seq) {
  auto ledger = Open(dir);
  if (!ledger.ok()) return Fail(ledger.status());
  auto lines = apollo::replay::ExplainEvent(**ledger, seq);
  if (!lines.ok()) return Fail(lines.status());
  for (const std::string& line : *lines) std::printf("%s\n", line.c_str());
  return 0;
}

// Exit 0 identical, 1 different, 2 when the ledgers cannot be compared.
int Diff(const std::vector<std::string>& dirs) {
  constexpr int kCannotCompare = 2;
  if (dirs.size() != 2) {
    return Fail(absl::InvalidArgumentError(
                    absl::StrCat("diff takes exactly two --ledger directories (got ", dirs.size(), ")")),
                kCannotCompare);
  }
  auto a = Open(dirs[0]);
  if (!a.ok()) return Fail(a.status(), kCannotCompare);
  auto b = Open(dirs[1]);
  if (!b.ok()) return Fail(b.status(), kCannotCompare);
  auto diff = apollo::replay::DiffLedgers(**a, **b);
  if (!diff.ok()) return Fail(diff.status(), kCannotCompare);
  std::fputs(apollo::replay::DiffText(*diff).c_str(), stdout);
  return diff->identical ? 0 : 1;
}

std::string KindCounts(const apollo::replay::DecisionsReport& r, bool with_diverged) {
  std::vector<std::string> parts;
  for (const auto& [kind, n] : r.checked) {
    auto d = r.diverged.find(kind);
    const uint64_t diverged = d == r.diverged.end() ? 0 : d->second;
    parts.push_back(with_diverged ? absl::StrCat(kind, " ", diverged, " of ", n) : absl::StrCat(kind, " ", n));
  }
  return absl::StrJoin(parts, ", ");
}

void PrintDivergence(const apollo::replay::Divergence& d) {
  std::printf("seq %llu %s %s.%s: recorded %s vs re-derived %s\n", static_cast<unsigned long long>(d.seq),
              d.kind.c_str(), d.event.c_str(), d.field.c_str(), d.recorded.c_str(), d.derived.c_str());
}

struct DecisionsFlags {
  uint64_t from = 1, to = UINT64_MAX;
  std::string config_path;
  std::vector<std::string> overrides;
  size_t show = 20;
};

int Decisions(const std::string& dir, const DecisionsFlags& f) {
  apollo::replay::DecisionsOptions o;
  o.from_seq = f.from;
  o.to_seq = f.to;
  o.overrides = f.overrides;
  if (!f.config_path.empty()) {
    auto cfg = apollo::config::LoadConfig(f.config_path, [](const std::string&) { return std::nullopt; });
    if (!cfg.ok()) return Fail(cfg.status());
    o.config = *cfg;
  }
  auto ledger = Open(dir);
  if (!ledger.ok()) return Fail(ledger.status());
  apollo::tools::Progress progress("events", (*ledger)->head().last_seq);
  o.progress = [&progress](uint64_t seq, uint64_t) { progress.Update(seq); };
  auto report = apollo::replay::CheckDecisions(**ledger, o);
  progress.Done();
  if (!report.ok()) return Fail(report.status());
  const bool what_if = !f.overrides.empty();
  if (what_if) {
    uint64_t differed = 0;
    for (const auto& [kind, n] : report->diverged) differed += n;
    std::printf("what-if %s: %llu of %llu decisions would differ (%s)\n", absl::StrJoin(f.overrides, " ").c_str(),
                static_cast<unsigned long long>(differed), static_cast<unsigned long long>(report->decisions),
                KindCounts(*report, true).c_str());
    if (!report->divergences.empty()) std::printf("first divergences:\n");
    for (size_t i = 0; i < report->divergences.size() && i < f.show; ++i) PrintDivergence(report->divergences[i]);
    return 0;
  }
  for (const auto& d : report->divergences) PrintDivergence(d);
  if (report->divergence_count > report->divergences.size()) {
    std::printf("... %llu more not shown\n",
                static_cast<unsigned long long>(report->divergence_count - report->divergences.size()));
  }
  std::printf("%llu divergences over %llu decisions (%s)\n", static_cast<unsigned long long>(report->divergence_count),
              static_cast<unsigned long long>(report->decisions), KindCounts(*report, false).c_str());
  return report->divergence_count == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Audit tool over an Apollo ledger: verify it, list its events, show the state at any seq or time, re-run its "
      "decisions, export its files, explain an order, diff two ledgers."};
  app.failure_message([](const CLI::App*, const CLI::Error& e) {  // one line, like every other error here
    return absl::StrCat("replay: ", e.what(), " (see --help)\n");
  });
  app.require_subcommand(1);
  app.fallthrough();  // --parse-only may come after the subcommand
  // For the runbooks' test: a command line that parses exits 0 here.
  bool parse_only = false;
  app.add_flag("--parse-only", parse_only)->group("");
  std::string dir = "data/ledger";

  auto* verify = app.add_subcommand("verify", "Check sequence, checksums, hash chain, and that every event decodes and folds");
  verify->add_option("--ledger", dir, "Ledger directory")->capture_default_str();

  uint64_t from = 1, to = UINT64_MAX;
  std::vector<std::string> types;
  std::string format = "jsonl";
  auto* events = app.add_subcommand("events", "List events in a seq range");
  events->add_option("--ledger", dir, "Ledger directory")->capture_default_str();
  events->add_option("--from", from, "First seq")->check(CLI::PositiveNumber);
  events->add_option("--to", to, "Last seq")->check(CLI::PositiveNumber);
  events->add_option("--type", types, "Only events of this type (repeatable), e.g. OrderFilled");
  events->add_option("--format", format, "jsonl or table")
      ->check(CLI::IsMember({"jsonl", "table"}))
      ->capture_default_str();

  uint64_t at = UINT64_MAX;
  std::string at_time;
  auto* state = app.add_subcommand("state", "Print the folded state as JSON");
  state->add_option("--ledger", dir, "Ledger directory")->capture_default_str();
  auto* at_opt = state->add_option("--at", at, "Fold up to this seq (default: the head)")->check(CLI::PositiveNumber);
  state->add_option("--at-time", at_time,
                    "Fold up to the last event at or before this UTC time: 2023-01-20 (midnight) or "
                    "2023-01-20T12:00:00Z")
      ->excludes(at_opt);

  DecisionsFlags df;
  auto* decisions = app.add_subcommand(
      "decisions", "Re-run strategy, risk and the order manager on the journaled inputs and compare with the ledger");
  decisions->add_option("--ledger", dir, "Ledger directory")->capture_default_str();
  decisions->add_option("--from", df.from, "First decision seq")->check(CLI::PositiveNumber);
  decisions->add_option("--to", df.to, "Last decision seq")->check(CLI::PositiveNumber);
  decisions->add_option("--config", df.config_path, "Use this config instead of the journaled one");
  decisions->add_option("--set", df.overrides, "What-if: key=value on top of the config (repeatable)");
  decisions->add_option("--show", df.show, "What-if: divergences to list")->capture_default_str();

  ExportFlags ef;
  auto* exporter = app.add_subcommand(
      "export", "Write trades.csv, orders.csv, thinking.jsonl (as the run wrote them), equity.csv and pnl_daily.csv");
  exporter->add_option("--ledger", dir, "Ledger directory")->capture_default_str();
  exporter->add_option("--out", ef.out, "Directory to write into (refused if it holds any of the five files)")
      ->required();
  exporter->add_option("--from", ef.from, "First seq whose rows are written")->check(CLI::PositiveNumber);
  exporter->add_option("--to", ef.to, "Last seq whose rows are written")->check(CLI::PositiveNumber);

  uint64_t explain_seq = 0;
  auto* explain = app.add_subcommand(
      "explain", "Show why an order, fill or position event happened: bar, signal, proposal, risk, orders, fills, outcome");
  explain->add_option("--ledger", dir, "Ledger directory")->capture_default_str();
  explain->add_option("--seq", explain_seq, "Seq of an order, fill or position event")
      ->required()
      ->check(CLI::PositiveNumber);

  std::vector<std::string> diff_dirs;
  auto* diff = app.add_subcommand(
      "diff", "Compare two ledgers: the first differing seq and the event counts per type (exit 0 identical, 1 different, 2 error)");
  diff->add_option("--ledger", diff_dirs, "Ledger directory (give exactly two)")->required();

  CLI11_PARSE(app, argc, argv);
  if (parse_only) return 0;
  if (*verify) return Verify(dir);
  if (*decisions) {
    if (df.to < df.from) return Fail(absl::InvalidArgumentError("--to is before --from"));
    return Decisions(dir, df);
  }
  if (*events) {
    if (to < from) return Fail(absl::InvalidArgumentError("--to is before --from"));
    return Events(dir, from, to, types, format);
  }
  if (*exporter) {
    if (ef.to < ef.from) return Fail(absl::InvalidArgumentError("--to is before --from"));
    return Export(dir, ef);
  }
  if (*explain) return Explain(dir, explain_seq);
  if (*diff) return Diff(diff_dirs);
  if (!at_time.empty()) return StateAtTime(dir, at_time);
  return StateAt(dir, at);
}
