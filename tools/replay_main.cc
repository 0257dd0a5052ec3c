// `replay`: the audit tool over a ledger. Opens the ledger as a read-only
// secondary instance, so it is safe beside a running bot.
//
//   replay verify --ledger data/ledger
//   replay events --ledger data/ledger --from 100 --to 200 --type OrderFilled --format table
//   replay state  --ledger data/ledger --at 5000
//   replay decisions --ledger data/ledger [--set strategy.entry.score_threshold=0.7]
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "engine/domain/codec.h"
#include "engine/domain/json.h"
#include "ledger/event_log.h"
#include "ledger/ledger.h"
#include "engine/config/config.h"
#include "replay/decisions.h"
#include "replay/fold.h"
#include "tools/progress.h"

namespace {

using apollo::ledger::Ledger;

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "replay: %s\n", std::string(status.message()).c_str());
  return 1;
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

int StateAt(const std::string& dir, uint64_t at) {
  auto ledger = Open(dir);
  if (!ledger.ok()) return Fail(ledger.status());
  if (at != UINT64_MAX && at > (*ledger)->head().last_seq) {
    return Fail(absl::OutOfRangeError(
        absl::StrCat("--at ", at, " is beyond the ledger head (", (*ledger)->head().last_seq, ")")));
  }
  apollo::replay::FoldOptions opts;
  opts.to_seq = at;
  auto result = apollo::replay::FoldLedger(**ledger, opts);
  if (!result.ok()) return Fail(result.status());
  std::printf("%s\n", apollo::StateToJson(result->state).c_str());
  return 0;
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
  CLI::App app{"Audit tool over an Apollo ledger: verify it, list its events, show the state at any seq."};
  app.failure_message(CLI::FailureMessage::simple);
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
  auto* state = app.add_subcommand("state", "Print the folded state as JSON");
  state->add_option("--ledger", dir, "Ledger directory")->capture_default_str();
  state->add_option("--at", at, "Fold up to this seq (default: the head)")->check(CLI::PositiveNumber);

  DecisionsFlags df;
  auto* decisions = app.add_subcommand(
      "decisions", "Re-run strategy, risk and the order manager on the journaled inputs and compare with the ledger");
  decisions->add_option("--ledger", dir, "Ledger directory")->capture_default_str();
  decisions->add_option("--from", df.from, "First decision seq")->check(CLI::PositiveNumber);
  decisions->add_option("--to", df.to, "Last decision seq")->check(CLI::PositiveNumber);
  decisions->add_option("--config", df.config_path, "Use this config instead of the journaled one");
  decisions->add_option("--set", df.overrides, "What-if: key=value on top of the config (repeatable)");
  decisions->add_option("--show", df.show, "What-if: divergences to list")->capture_default_str();

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
  return StateAt(dir, at);
}
