// The runbooks (runbooks/*.md) against the product: every command line they
// show for bot, ack-manual-review and replay parses, and every endpoint and
// metric they name is served by a running bot.
//
// What counts, exactly:
//
// Commands. Lines inside fenced code blocks (``` ... ```) of runbooks/*.md,
// with backslash continuations joined, plus the ExecStart= lines of
// runbooks/systemd/*.service. From the front of the line these are stripped,
// repeatedly: a `$ ` prompt, `ExecStart=`, `sudo -u USER `, `sudo `,
// `nohup `, `exec `, `time `, and environment assignments `NAME=value `.
// If the first word then is bot, ack-manual-review or replay, possibly with
// a directory in front (/usr/local/bin/bot, build/bin/bot), the rest is
// tokenized with simple shell quoting ('...', "...", backslash) and cut at
// the first unquoted comment (` #`), pipe, redirection, `&`, `&&` or `;`.
// The binary runs with those arguments plus --parse-only, which exits 0 once
// the command line parses.
//
// Endpoints, from runbooks/*.md:
//   U. URLs http://127.0.0.1:PORT/PATH or http://localhost:PORT/PATH anywhere
//      (query kept). Port 8000 is the operator API, 9090 the metrics endpoint;
//      other ports (Prometheus, Grafana) are not Apollo's and are skipped.
//      The method is POST when the line also says `-X POST`, else GET.
//   M. Inline code spans `GET /path` or `POST /path`.
//   B. Inline code spans that are a bare path `/path` (optionally ?query),
//      unless the first segment is a filesystem root (/opt, /usr, /etc, /var,
//      /tmp, /home, /lib, /run, /srv, /dev, /proc, /sys, /bin, /sbin, /root,
//      /mnt, /media).
//   Checks: a GET must answer 200; a POST with the token must answer 200,
//   except /actions/kill-switch (it stops the bot), which is POSTed without
//   the token and must answer 401 (routed and guarded); a bare path must be
//   routed: GET answers something other than 404, or else a POST without the
//   token answers 401. /metrics always goes to the metrics port.
//
// Metrics:
//   1. Inline code spans outside fenced blocks that, after cutting at the
//      first `{`, are identifiers [a-z][a-z0-9_]* ending in _sec, _seconds,
//      _total, _pct, _seq, _weight, _connected, _active, _required,
//      _positions, _failures, _paused or _usdt (ws_connected and
//      open_positions included), except log event names (below). Each must
//      be a series name in /metrics (a histogram counts by its own name).
//   2. Fenced lines containing `metrics | grep`: the grep pattern (the first
//      non-option argument) split on every character outside [a-z0-9_];
//      every piece of 3+ characters must occur in the /metrics body.
//   3. `expr:` lines in fenced blocks and every "expr" of
//      runbooks/grafana/apollo.json: identifiers with the suffixes above or
//      _bucket must occur in the /metrics body.
//
// Log events: the code spans in the first column of markdown tables whose
// header's first cell is `event` (the runbook's table of bot.log events).
// Each must be a string literal in engine/ or tools/ sources, and none of
// them is taken for a metric (strategy_paused is a log event;
// trading_paused is the metric).
//
// Processes are spawned with fork/exec; every wait is on a pipe or a child,
// with a deadline. Loopback only.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

#if !defined(BOT_BIN) || !defined(ACK_BIN) || !defined(REPLAY_BIN) || !defined(APOLLO_SOURCE_DIR)
#error "BOT_BIN, ACK_BIN, REPLAY_BIN and APOLLO_SOURCE_DIR must be defined"
#endif

extern char** environ;

namespace apollo {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr char kDataFile[] = "data/market/btcusdt_perp_5m_2023-01-02_2023-02-09.csv";
constexpr char kToken[] = "t";
constexpr auto kParseTimeout = 30s;
constexpr auto kStartTimeout = 60s;
constexpr auto kStopTimeout = 60s;

std::string SourcePath(const std::string& relative) { return std::string(APOLLO_SOURCE_DIR) + "/" + relative; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// ------------------------------------------------------------ processes

// The environment of the children: the test's, without config overrides,
// CONFIG_PATH or webhooks a developer's shell may carry, plus `extra`.
std::vector<std::string> ChildEnv(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    const std::string name = kv.substr(0, kv.find('='));
    if (name.find("__") != std::string::npos || StartsWith(name, "RUN_") || name == "CONFIG_PATH" ||
        name == "ALERT_WEBHOOKS" || name == "OPERATOR_API_TOKEN") {
      continue;
    }
    env.push_back(kv);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

// A child process whose stdout is a pipe to us. Killed and reaped if the
// test leaves early.
class Child {
 public:
  // stderr goes to `stderr_path`, or into the stdout pipe when empty.
  static Child Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                     const std::string& cwd, const std::string& stderr_path = "") {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return Child();
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(fds[1], 1);
      if (stderr_path.empty()) {
        ::dup2(fds[1], 2);
      } else {
        const int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (err >= 0) ::dup2(err, 2);
      }
      if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
      std::vector<char*> args, envp;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
      envp.push_back(nullptr);
      ::execve(args[0], args.data(), envp.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    if (pid < 0) {
      ::close(fds[0]);
      return Child();
    }
    Child c;
    c.pid_ = pid;
    c.out_ = fds[0];
    return c;
  }

  Child() = default;
  Child(Child&& o) noexcept : pid_(std::exchange(o.pid_, -1)), out_(std::exchange(o.out_, -1)), buf_(std::move(o.buf_)) {}
  Child& operator=(Child&&) = delete;
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (out_ >= 0) ::close(out_);
  }

  bool ok() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // Reads stdout until a whole line is there (returned without '\n'), EOF
  // or the deadline (nullopt for both).
  std::optional<std::string> ReadLine(Clock::time_point deadline) {
    for (;;) {
      const size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      if (!ReadSome(deadline)) return std::nullopt;
    }
  }

  // Reads stdout to EOF (false if the deadline came first).
  bool ReadToEof(Clock::time_point deadline) {
    while (out_ >= 0) {
      if (!ReadSome(deadline)) return out_ < 0;
    }
    return true;
  }

  const std::string& buffered() const { return buf_; }

  // Waits for the child (after EOF on its stdout) and returns its wait
  // status. On a deadline it is killed first.
  int Wait(Clock::time_point deadline) {
    const bool eof = ReadToEof(deadline);
    if (!eof) ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return eof ? status : -1;
  }

 private:
  // One read of what is available; false at EOF or on the deadline.
  bool ReadSome(Clock::time_point deadline) {
    if (out_ < 0) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{out_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1 << 30)));
    if (r < 0 && errno == EINTR) return true;
    if (r <= 0) return false;
    char chunk[4096];
    const ssize_t n = ::read(out_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) return true;
    if (n <= 0) {
      ::close(out_);
      out_ = -1;
      return false;
    }
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  std::string buf_;
};

std::string DescribeStatus(int status) {
  if (status == -1) return "timed out (killed)";
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// ------------------------------------------------------------ the runbooks

struct Line {
  std::string file;  // relative to the source dir
  int number = 0;
  std::string text;
};

struct Runbooks {
  std::vector<Line> fenced;       // lines inside fenced code blocks (continuations joined)
  std::vector<Line> code_spans;   // inline code spans outside fenced blocks
  std::vector<Line> all_lines;    // every line, for URLs
  // First-column code spans of markdown tables whose header's first cell is
  // "event": the log event names (bot.log), which are not metrics.
  std::map<std::string, std::string> log_events;
};

std::vector<std::string> RunbookFiles(const std::string& ext, const std::string& subdir = "runbooks") {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(SourcePath(subdir), ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ext) {
      files.push_back(subdir + "/" + entry.path().filename().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

Runbooks ReadRunbooks() {
  Runbooks r;
  for (const std::string& file : RunbookFiles(".md")) {
    std::istringstream in(ReadFile(SourcePath(file)));
    std::string raw;
    bool fenced = false;
    std::string pending;
    int pending_start = 0;
    std::string table_header;  // first cell of the current table's header
    bool in_table = false;
    for (int number = 1; std::getline(in, raw); ++number) {
      r.all_lines.push_back({file, number, raw});
      const std::string t = Trim(raw);
      if (!fenced && StartsWith(t, "|")) {
        const std::string first_cell = Trim(t.substr(1, t.find('|', 1) - 1));
        if (!in_table) {
          table_header = first_cell;
          in_table = true;
        } else if (table_header == "event" && first_cell.size() > 2 && first_cell.front() == '`' &&
                   first_cell.back() == '`') {
          r.log_events.emplace(first_cell.substr(1, first_cell.size() - 2), file + ":" + std::to_string(number));
        }
      } else {
        in_table = false;
      }
      if (StartsWith(t, "```")) {
        fenced = !fenced;
        pending.clear();
        continue;
      }
      if (fenced) {
        if (pending.empty()) pending_start = number;
        if (!t.empty() && t.back() == '\\') {
          pending += t.substr(0, t.size() - 1) + " ";
          continue;
        }
        r.fenced.push_back({file, pending_start, pending + t});
        pending.clear();
        continue;
      }
      for (size_t open = raw.find('`'); open != std::string::npos;) {
        const size_t close = raw.find('`', open + 1);
        if (close == std::string::npos) break;
        r.code_spans.push_back({file, number, raw.substr(open + 1, close - open - 1)});
        open = raw.find('`', close + 1);
      }
    }
  }
  return r;
}

// ------------------------------------------------------------ commands

struct Command {
  Line where;
  std::string binary;  // bot | ack-manual-review | replay
  std::vector<std::string> args;
};

// Simple shell tokenizer: quotes and backslashes, cut at the first unquoted
// comment, pipe, redirection, & or ;. False on an unterminated quote.
bool Tokenize(const std::string& s, std::vector<std::string>* out) {
  std::string cur;
  bool have = false, single = false, dbl = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (single) {
      if (c == '\'') single = false;
      else cur += c;
      continue;
    }
    if (dbl) {
      if (c == '"') {
        dbl = false;
      } else if (c == '\\' && i + 1 < s.size() && std::strchr("\"\\$`", s[i + 1]) != nullptr) {
        cur += s[++i];
      } else {
        cur += c;
      }
      continue;
    }
    if (c == ' ' || c == '\t') {
      if (have) out->push_back(cur);
      cur.clear();
      have = false;
    } else if (c == '\'') {
      single = have = true;
    } else if (c == '"') {
      dbl = have = true;
    } else if (c == '\\' && i + 1 < s.size()) {
      cur += s[++i];
      have = true;
    } else if (c == '#' && !have) {
      break;
    } else if (std::strchr("|&;<>", c) != nullptr) {
      // `2>&1`: the fd number belongs to the redirection.
      const bool fd = (c == '>' || c == '<') && have &&
                      std::all_of(cur.begin(), cur.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
      if (have && !fd) out->push_back(cur);
      return true;
    } else {
      cur += c;
      have = true;
    }
  }
  if (single || dbl) return false;
  if (have) out->push_back(cur);
  return true;
}

// The command of a line, if its first word (after the prefixes) is one of
// ours. `error` is set when it is ours but does not tokenize.
std::optional<Command> CommandOf(const Line& line, std::string* error) {
  static const std::regex kEnvAssign(R"(^[A-Za-z_][A-Za-z0-9_]*=("[^"]*"|'[^']*'|\S*)\s+)");
  static const std::regex kSudoUser(R"(^sudo\s+-u\s+\S+\s+)");
  std::string s = Trim(line.text);
  if (StartsWith(s, "$ ")) s = Trim(s.substr(2));
  if (StartsWith(s, "ExecStart=")) s = Trim(s.substr(10));
  for (bool changed = true; changed;) {
    changed = false;
    std::smatch m;
    if (std::regex_search(s, m, kSudoUser)) {
      s = s.substr(m.length(0));
      changed = true;
    } else if (std::regex_search(s, m, kEnvAssign)) {
      s = s.substr(m.length(0));
      changed = true;
    } else {
      for (const char* prefix : {"sudo ", "nohup ", "exec ", "time "}) {
        if (StartsWith(s, prefix)) {
          s = Trim(s.substr(std::strlen(prefix)));
          changed = true;
          break;
        }
      }
    }
  }
  const size_t sp = s.find_first_of(" \t");
  std::string first = s.substr(0, sp);
  const size_t slash = first.rfind('/');
  if (slash != std::string::npos) first = first.substr(slash + 1);
  if (first != "bot" && first != "ack-manual-review" && first != "replay") return std::nullopt;
  Command c{line, first, {}};
  std::vector<std::string> tokens;
  if (!Tokenize(sp == std::string::npos ? "" : s.substr(sp), &tokens)) {
    *error = "unterminated quote";
    return c;
  }
  c.args = std::move(tokens);
  return c;
}

std::string BinaryPath(const std::string& name) {
  if (name == "bot") return BOT_BIN;
  if (name == "ack-manual-review") return ACK_BIN;
  return REPLAY_BIN;
}

TEST(RunbooksTest, EveryCommandLineInTheRunbooksParses) {
  const Runbooks books = ReadRunbooks();
  ASSERT_FALSE(books.fenced.empty()) << "no fenced code blocks in runbooks/*.md";
  std::vector<Line> lines = books.fenced;
  for (const std::string& unit : RunbookFiles(".service", "runbooks/systemd")) {
    std::istringstream in(ReadFile(SourcePath(unit)));
    std::string raw;
    for (int number = 1; std::getline(in, raw); ++number) {
      if (StartsWith(Trim(raw), "ExecStart=")) lines.push_back({unit, number, Trim(raw)});
    }
  }

  const std::vector<std::string> env = ChildEnv({});
  std::map<std::string, int> per_binary;
  int checked = 0;
  for (const Line& line : lines) {
    std::string error;
    std::optional<Command> cmd = CommandOf(line, &error);
    if (!cmd) continue;
    const std::string where = line.file + ":" + std::to_string(line.number) + ": " + Trim(line.text);
    if (!error.empty()) {
      ADD_FAILURE() << where << ": " << error;
      continue;
    }
    std::vector<std::string> argv{BinaryPath(cmd->binary)};
    argv.insert(argv.end(), cmd->args.begin(), cmd->args.end());
    argv.push_back("--parse-only");
    Child child = Child::Spawn(argv, env, APOLLO_SOURCE_DIR);
    ASSERT_TRUE(child.ok()) << where << ": cannot spawn";
    const int status = child.Wait(Clock::now() + kParseTimeout);
    std::string shown;
    for (size_t i = 1; i + 1 < argv.size(); ++i) shown += " [" + argv[i] + "]";
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << where << "\n  ran: " << cmd->binary << shown << " --parse-only\n  " << DescribeStatus(status)
        << ": " << child.buffered();
    std::cout << "  command " << line.file << ":" << line.number << ": " << cmd->binary << shown << "\n";
    ++per_binary[cmd->binary];
    ++checked;
  }
  std::cout << "commands checked: " << checked << " (bot " << per_binary["bot"] << ", ack-manual-review "
            << per_binary["ack-manual-review"] << ", replay " << per_binary["replay"] << ")\n";
  EXPECT_GE(checked, 15) << "the runbooks should show at least 15 bot/ack-manual-review/replay command lines";
  EXPECT_GT(per_binary["bot"], 0);
  EXPECT_GT(per_binary["ack-manual-review"], 0);
  EXPECT_GT(per_binary["replay"], 0);
}

// ------------------------------------------------------------ log events

TEST(RunbooksTest, EveryLogEventTheRunbooksNameIsLogged) {
  const Runbooks books = ReadRunbooks();
  std::string sources;
  for (const char* dir : {"engine", "tools"}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(SourcePath(dir))) {
      if (entry.is_regular_file() && entry.path().extension() == ".cc") sources += ReadFile(entry.path().string());
    }
  }
  std::cout << "log events found (" << books.log_events.size() << "):";
  for (const auto& [name, where] : books.log_events) std::cout << " " << name;
  std::cout << "\n";
  EXPECT_GE(books.log_events.size(), 10u) << "the runbooks should have a table of bot.log events";
  for (const auto& [name, where] : books.log_events) {
    EXPECT_NE(sources.find("\"" + name + "\""), std::string::npos)
        << "log event " << name << " (" << where << ") is not logged anywhere in engine/ or tools/";
  }
}

// ------------------------------------------------------------ endpoints and metrics

enum class Target { kApi, kMetrics };
enum class Check { kGet, kPost, kRouted };

struct Endpoint {
  Target target;
  Check check;
  std::string path;  // with its query, if any
  std::string where;
  bool operator<(const Endpoint& o) const {
    return std::tie(target, check, path) < std::tie(o.target, o.check, o.path);
  }
};

std::string PathOnly(const std::string& path) { return path.substr(0, path.find('?')); }

std::vector<Endpoint> EndpointsOf(const Runbooks& books) {
  static const std::regex kUrl(R"(https?://(?:127\.0\.0\.1|localhost):(\d+)([^\s"'`<>)\]]*))");
  static const std::regex kMethod(R"(^(GET|POST) (/\S*)$)");
  static const std::regex kBare(R"(^/[a-z][a-z0-9_/-]*(\?\S*)?$)");
  static const std::set<std::string> kFsRoots = {"opt", "usr", "etc",  "var", "tmp",  "home", "lib",  "run", "srv",
                                                 "dev", "proc", "sys", "bin", "sbin", "root", "mnt", "media"};
  std::set<Endpoint> found;
  auto add = [&](Endpoint e) {
    if (PathOnly(e.path) == "/metrics") e.target = Target::kMetrics;
    found.insert(std::move(e));
  };
  for (const Line& l : books.all_lines) {
    for (std::sregex_iterator it(l.text.begin(), l.text.end(), kUrl), end; it != end; ++it) {
      const std::string port = (*it)[1];
      std::string path = (*it)[2];
      while (!path.empty() && std::strchr(".,:;", path.back()) != nullptr) path.pop_back();
      if (path.empty()) path = "/";
      const std::string where = l.file + ":" + std::to_string(l.number);
      if (port == "8000") {
        const bool post = l.text.find("-X POST") != std::string::npos;
        add({Target::kApi, post ? Check::kPost : Check::kGet, path, where});
      } else if (port == "9090") {
        add({Target::kMetrics, Check::kGet, path, where});
      }
    }
  }
  for (const Line& span : books.code_spans) {
    const std::string where = span.file + ":" + std::to_string(span.number);
    std::smatch m;
    if (std::regex_match(span.text, m, kMethod)) {
      add({Target::kApi, m[1] == "POST" ? Check::kPost : Check::kGet, m[2], where});
    } else if (std::regex_match(span.text, kBare)) {
      const std::string first = span.text.substr(1, span.text.find_first_of("/?", 1) - 1);
      if (!kFsRoots.contains(first)) add({Target::kApi, Check::kRouted, span.text, where});
    }
  }
  return {found.begin(), found.end()};
}

const std::vector<std::string>& MetricSuffixes() {
  static const std::vector<std::string> s = {"_sec",    "_seconds",  "_total",    "_pct",      "_seq",
                                             "_weight", "_connected", "_active",  "_required", "_positions",
                                             "_failures", "_paused",  "_usdt"};
  return s;
}

bool HasMetricSuffix(const std::string& name) {
  return std::any_of(MetricSuffixes().begin(), MetricSuffixes().end(),
                     [&](const std::string& suffix) { return EndsWith(name, suffix); });
}

// Names that must be series names in /metrics (rule 1), and strings that
// must occur in its body (rules 2 and 3), each with where it was found.
struct MetricMentions {
  std::map<std::string, std::string> names;
  std::map<std::string, std::string> substrings;
};

MetricMentions MetricsOf(const Runbooks& books) {
  static const std::regex kIdent(R"(^[a-z][a-z0-9_]*$)");
  static const std::regex kWord(R"([a-z][a-z0-9_]*)");
  MetricMentions out;
  for (const Line& span : books.code_spans) {
    const std::string name = span.text.substr(0, span.text.find('{'));
    if (std::regex_match(name, kIdent) && HasMetricSuffix(name) && !books.log_events.contains(name)) {
      out.names.emplace(name, span.file + ":" + std::to_string(span.number));
    }
  }
  auto add_expr_words = [&](const std::string& expr, const std::string& where) {
    for (std::sregex_iterator it(expr.begin(), expr.end(), kWord), end; it != end; ++it) {
      const std::string w = it->str();
      if (HasMetricSuffix(w) || EndsWith(w, "_bucket")) out.substrings.emplace(w, where);
    }
  };
  for (const Line& l : books.fenced) {
    const std::string where = l.file + ":" + std::to_string(l.number);
    const size_t grep = l.text.find("metrics | grep");
    if (grep != std::string::npos) {
      std::vector<std::string> args;
      Tokenize(l.text.substr(grep + std::strlen("metrics | grep")), &args);
      auto pattern = std::find_if(args.begin(), args.end(), [](const std::string& a) { return !StartsWith(a, "-"); });
      if (pattern != args.end()) {
        std::string piece;
        for (char c : *pattern + " ") {
          if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') {
            piece += c;
          } else {
            if (piece.size() >= 3) out.substrings.emplace(piece, where);
            piece.clear();
          }
        }
      }
    }
    const size_t expr = l.text.find("expr:");
    if (expr != std::string::npos) add_expr_words(l.text.substr(expr + 5), where);
  }
  // The Prometheus alert rules' expressions.
  const std::string rules_file = "runbooks/prometheus/alerts.yml";
  std::istringstream rules(ReadFile(SourcePath(rules_file)));
  int rule_line = 0;
  for (std::string l; std::getline(rules, l);) {
    ++rule_line;
    const size_t expr = l.find("expr:");
    if (expr != std::string::npos) add_expr_words(l.substr(expr + 5), rules_file + ":" + std::to_string(rule_line));
  }
  // The Grafana dashboard's queries.
  const std::string dash_file = "runbooks/grafana/apollo.json";
  const std::string dash = ReadFile(SourcePath(dash_file));
  static const std::regex kExpr(R"re("expr"\s*:\s*"((?:[^"\\]|\\.)*)")re");
  for (std::sregex_iterator it(dash.begin(), dash.end(), kExpr), end; it != end; ++it) {
    add_expr_words((*it)[1].str(), dash_file);
  }
  return out;
}

// The series names of a Prometheus text body.
std::set<std::string> SeriesNames(const std::string& body) {
  std::set<std::string> names;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (StartsWith(line, "# TYPE ")) {
      const std::string rest = line.substr(7);
      names.insert(rest.substr(0, rest.find(' ')));  // a histogram's own name
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    names.insert(line.substr(0, line.find_first_of("{ ")));
  }
  return names;
}

// The alert rules are valid and fire as their own unit tests say
// (promtool check rules, promtool test rules).
TEST(RunbooksTest, PrometheusAlertRulesPassPromtoolAndTheirOwnTests) {
  constexpr char kPromtool[] = "/usr/bin/promtool";
  if (::access(kPromtool, X_OK) != 0) GTEST_SKIP() << kPromtool << " is not installed (make test installs it)";
  for (const std::vector<std::string>& args : {std::vector<std::string>{"check", "rules", "alerts.yml"},
                                               std::vector<std::string>{"test", "rules", "alerts_test.yml"}}) {
    std::vector<std::string> argv{kPromtool};
    argv.insert(argv.end(), args.begin(), args.end());
    testing::SpawnOptions o;
    o.cwd = SourcePath("runbooks/prometheus");
    auto p = testing::Process::Spawn(argv, o);
    ASSERT_TRUE(p.ok()) << p.status();
    const testing::ExitStatus st = (*p)->Wait(std::chrono::seconds(60));
    EXPECT_TRUE(st.Exited(0)) << "promtool " << args[0] << " " << args[1] << ": " << st << "\n"
                              << (*p)->out() << (*p)->err();
    EXPECT_THAT((*p)->out(), ::testing::HasSubstr("SUCCESS"));
  }
}

TEST(RunbooksTest, EveryEndpointAndMetricTheRunbooksNameIsServed) {
  const Runbooks books = ReadRunbooks();
  const std::vector<Endpoint> endpoints = EndpointsOf(books);
  const MetricMentions metrics = MetricsOf(books);
  std::cout << "endpoints found (" << endpoints.size() << "):\n";
  for (const Endpoint& e : endpoints) {
    std::cout << "  " << (e.target == Target::kApi ? "api     " : "metrics ")
              << (e.check == Check::kGet ? "GET    " : e.check == Check::kPost ? "POST   " : "routed ") << e.path
              << "  (" << e.where << ")\n";
  }
  std::cout << "metric names found (" << metrics.names.size() << "):";
  for (const auto& [name, where] : metrics.names) std::cout << " " << name;
  std::cout << "\nmetric strings from grep patterns and queries (" << metrics.substrings.size() << "):";
  for (const auto& [s, where] : metrics.substrings) std::cout << " " << s;
  std::cout << "\n";
  ASSERT_GE(endpoints.size(), 10u) << "the runbooks should name the operator API's endpoints";
  ASSERT_GE(metrics.names.size(), 15u) << "the runbooks should name the metrics";

  // A bot over the first 400 bars, paced in real time so it stays up.
  testing::TempDir tmp;
  {
    std::istringstream in(ReadFile(SourcePath(kDataFile)));
    std::ofstream out(tmp.Sub("bars.csv"));
    std::string row;
    for (int i = 0; i <= 400 && std::getline(in, row); ++i) out << row << "\n";  // header + 400 rows
  }
  const std::vector<std::string> env = ChildEnv({"API__PORT=0", "MONITORING__METRICS_PORT=0",
                                                 std::string("OPERATOR_API_TOKEN=") + kToken,
                                                 "MONITORING__ALERTS_ENABLED=false"});
  Child bot = Child::Spawn({BOT_BIN, "--config", "config.yaml", "--ledger", tmp.Sub("ledger"), "--logs",
                            tmp.Sub("logs"), "--data", tmp.Sub("bars.csv"), "--speed", "realtime"},
                           env, APOLLO_SOURCE_DIR, tmp.Sub("stderr.txt"));
  ASSERT_TRUE(bot.ok());
  const std::optional<std::string> started = bot.ReadLine(Clock::now() + kStartTimeout);
  ASSERT_TRUE(started.has_value()) << "no start line; stderr: " << ReadFile(tmp.Sub("stderr.txt"));
  std::smatch m;
  static const std::regex kStarted(
      R"(^bot: paper mode started \(pid \d+\), ledger at seq \d+, \d+ bars to run, serving api=127\.0\.0\.1:(\d+) metrics=127\.0\.0\.1:(\d+)$)");
  ASSERT_TRUE(std::regex_match(*started, m, kStarted)) << *started;
  const int api_port = std::stoi(m[1]), metrics_port = std::stoi(m[2]);

  httplib::Client api("127.0.0.1", api_port);
  httplib::Client scrape("127.0.0.1", metrics_port);
  for (httplib::Client* c : {&api, &scrape}) {
    c->set_connection_timeout(5, 0);
    c->set_read_timeout(15, 0);
  }
  const httplib::Headers with_token{{"X-OPS-TOKEN", kToken}};
  auto status_of = [](const httplib::Result& r) { return r ? r->status : -1; };

  for (const Endpoint& e : endpoints) {
    httplib::Client& client = e.target == Target::kApi ? api : scrape;
    const std::string what = (e.check == Check::kPost ? "POST " : "GET ") + e.path + " (" + e.where + ")";
    if (e.check == Check::kGet) {
      auto r = client.Get(e.path);
      EXPECT_EQ(status_of(r), 200) << what << (r ? ": " + r->body : "");
    } else if (e.check == Check::kPost) {
      // What a paper bot with no position and no breaker answers a bare
      // {"reason": ...}: the refusals the runbook documents, not a 404.
      static const std::map<std::string, int> kRefusedHere = {
          {"/actions/close", 400},                 // which symbol?
          {"/actions/reconcile", 409},             // paper has no venue
          {"/actions/reset-circuit-breaker", 409}, // no breaker is active
          {"/strategy/weights", 400},              // which weights?
      };
      const std::string path = PathOnly(e.path);
      if (path == "/actions/kill-switch" || path == "/kill") {
        auto r = client.Post(e.path, "{\"reason\":\"runbooks test\"}", "application/json");
        EXPECT_EQ(status_of(r), 401) << what << " without the token must be routed and refused";
      } else {
        auto r = client.Post(e.path, with_token, "{\"reason\":\"runbooks test\"}", "application/json");
        const auto refused = kRefusedHere.find(path);
        EXPECT_EQ(status_of(r), refused == kRefusedHere.end() ? 200 : refused->second) << what << (r ? ": " + r->body : "");
      }
    } else {
      auto r = client.Get(e.path);
      ASSERT_TRUE(r) << what << ": no answer";
      if (r->status == 404) {
        auto p = client.Post(e.path, "", "application/json");
        EXPECT_EQ(status_of(p), 401) << e.path << " (" << e.where << ") is neither a GET nor a POST endpoint";
      }
    }
  }

  auto body = scrape.Get("/metrics");
  ASSERT_TRUE(body && body->status == 200);
  const std::set<std::string> series = SeriesNames(body->body);
  for (const auto& [name, where] : metrics.names) {
    EXPECT_TRUE(series.contains(name)) << "metric " << name << " (" << where << ") is not served";
  }
  for (const auto& [s, where] : metrics.substrings) {
    EXPECT_NE(body->body.find(s), std::string::npos) << "'" << s << "' (" << where << ") is not in /metrics";
  }

  // The bot is still up (the kill switch was not pulled) and stops cleanly.
  auto health = api.Get("/health");
  EXPECT_EQ(status_of(health), 200);
  ASSERT_EQ(::kill(bot.pid(), SIGTERM), 0);
  const int status = bot.Wait(Clock::now() + kStopTimeout);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << DescribeStatus(status) << "; stdout: " << bot.buffered() << "; stderr: " << ReadFile(tmp.Sub("stderr.txt"));
  EXPECT_NE(bot.buffered().find("paper run SIGTERM"), std::string::npos) << bot.buffered();
}

}  // namespace
}  // namespace apollo
