// The operator's surface of a running `bot` (README "Operator API, metrics,
// alerts" and "ack-manual-review"), driven from outside as an operator would:
// the bot runs as a separate process over a prefix of the bundled klines into
// scratch ledger and logs directories, and the tests talk to it over HTTP on
// 127.0.0.1 only (the ports are the ones the bot prints on its first stdout
// line; it binds port 0, so tests run side by side).
//
// Every wait is bounded: on a child's pipes or exit (tests/support/process.h),
// on an HTTP answer (client timeouts), on inotify, or — only where the bot
// offers nothing to wait on — a bounded loop of /metrics scrapes.
//
// Bars of the bundled data these tests rely on (default config; checked with
// `replay events --type PositionOpened --type CircuitBreakerTriggered` after a
// full run): the second entry fills on bar 3,510 (2023-01-14 21:15 UTC close)
// and that position stays open until bar 3,550; the circuit breaker trips
// (3 consecutive losses) on bar 6,874 (2023-01-26 13:35 UTC close).
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/domain/events.h"
#include "engine/ops/operator_api.h"
#include "ledger/event_log.h"
#include "ledger/ledger.h"
#include "tests/support/ledgers.h"
#include "tests/support/process.h"
#include "tests/support/random_events.h"
#include "tests/support/temp_dir.h"

#if !defined(BOT_BIN) || !defined(ACK_BIN) || !defined(APOLLO_SOURCE_DIR)
#error "BOT_BIN, ACK_BIN and APOLLO_SOURCE_DIR must be defined"
#endif

namespace apollo {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ExitStatus;
using testing::Process;
using testing::SpawnOptions;
using testing::TempDir;

constexpr char kDataFile[] = "data/market/btcusdt_perp_5m_2023-01-02_2023-02-09.csv";
constexpr size_t kAllBars = 10'999;
constexpr size_t kSecondEntryBar = 3'510;    // PositionOpened on this bar ...
constexpr size_t kSecondExitBar = 3'550;     // ... PositionClosed (stop-loss) on this one
constexpr size_t kBreakerBar = 6'874;        // CircuitBreakerTriggered
constexpr size_t kBreakerRunBars = 6'880;    // a run that ends with the breaker active
constexpr char kStartedPrefix[] = "bot: paper mode started";
constexpr char kToken[] = "ops-api-test-token-5f1e9c2a";

// Deadlines: they only bound a hung child on a loaded machine.
constexpr auto kStartTimeout = 60s;
constexpr auto kRunTimeout = 240s;
constexpr auto kStopTimeout = 60s;
constexpr auto kPollBudget = 30s;

std::string SourcePath(const std::string& relative) { return absl::StrCat(APOLLO_SOURCE_DIR, "/", relative); }

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  return lines;
}

size_t CountLinesWith(const std::string& text, absl::string_view needle) {
  size_t n = 0;
  for (const std::string& line : Lines(text)) n += absl::StrContains(line, needle) ? 1 : 0;
  return n;
}

// ---------------------------------------------------------------------------
// A small JSON reader, enough to check the API's shapes (numbers as double).

struct Json {
  enum Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = kNull;
  bool b = false;
  double n = 0;
  std::string s;
  std::vector<Json> a;
  // An object's members, keys[i] -> values[i] (a vector of pair<string,
  // Json> inside Json itself is not portable: clang with libstdc++ refuses it).
  std::vector<std::string> keys;
  std::vector<Json> values;

  bool is_object() const { return kind == kObject; }
  bool is_array() const { return kind == kArray; }
  bool is_string() const { return kind == kString; }
  bool is_number() const { return kind == kNumber; }
  bool is_bool() const { return kind == kBool; }
  bool Has(const std::string& key) const {
    return std::find(keys.begin(), keys.end(), key) != keys.end();
  }
  const Json& operator[](const std::string& key) const {
    static const Json null;
    const auto it = std::find(keys.begin(), keys.end(), key);
    return it == keys.end() ? null : values[it - keys.begin()];
  }
};

class JsonParser {
 public:
  explicit JsonParser(std::string_view s) : s_(s) {}
  std::optional<Json> ParseAll() {
    Json v;
    if (!Value(&v, 0)) return std::nullopt;
    Space();
    if (i_ != s_.size()) return std::nullopt;
    return v;
  }

 private:
  void Space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
  }
  bool Eat(char c) {
    Space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }
  bool String(std::string* out) {
    if (!Eat('"')) return false;
    while (i_ < s_.size()) {
      const unsigned char c = static_cast<unsigned char>(s_[i_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        continue;
      }
      if (i_ >= s_.size()) return false;
      const char e = s_[i_++];
      switch (e) {
        case '"': case '\\': case '/': out->push_back(e); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          if (i_ + 4 > s_.size()) return false;
          unsigned cp = 0;
          for (int k = 0; k < 4; ++k) {
            const char h = s_[i_++];
            cp <<= 4;
            if (h >= '0' && h <= '9') cp |= static_cast<unsigned>(h - '0');
            else if (h >= 'a' && h <= 'f') cp |= static_cast<unsigned>(h - 'a' + 10);
            else if (h >= 'A' && h <= 'F') cp |= static_cast<unsigned>(h - 'A' + 10);
            else return false;
          }
          out->push_back(cp < 0x80 ? static_cast<char>(cp) : '?');  // enough for these checks
          break;
        }
        default: return false;
      }
    }
    return false;
  }
  bool Value(Json* v, int depth) {
    if (depth > 64) return false;
    Space();
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '{') {
      ++i_;
      v->kind = Json::kObject;
      if (Eat('}')) return true;
      do {
        std::string key;
        Json member;
        if (!String(&key) || !Eat(':') || !Value(&member, depth + 1)) return false;
        v->keys.push_back(std::move(key));
        v->values.push_back(std::move(member));
      } while (Eat(','));
      return Eat('}');
    }
    if (c == '[') {
      ++i_;
      v->kind = Json::kArray;
      if (Eat(']')) return true;
      do {
        Json item;
        if (!Value(&item, depth + 1)) return false;
        v->a.push_back(std::move(item));
      } while (Eat(','));
      return Eat(']');
    }
    if (c == '"') {
      v->kind = Json::kString;
      return String(&v->s);
    }
    if (Literal("true")) {
      v->kind = Json::kBool;
      v->b = true;
      return true;
    }
    if (Literal("false")) {
      v->kind = Json::kBool;
      return true;
    }
    if (Literal("null")) return true;
    const size_t start = i_;
    while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-' || s_[i_] == '+' ||
                              s_[i_] == '.' || s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
    }
    v->kind = Json::kNumber;
    return i_ > start && absl::SimpleAtod(absl::string_view(s_.data() + start, i_ - start), &v->n);
  }

  std::string_view s_;
  size_t i_ = 0;
};

std::optional<Json> ParseJson(std::string_view s) { return JsonParser(s).ParseAll(); }

// ---------------------------------------------------------------------------
// Data files and child processes.

const std::vector<std::string>& SourceDataLines() {
  static const std::vector<std::string>* const lines = [] {
    std::ifstream in(SourcePath(kDataFile));
    auto* out = new std::vector<std::string>;
    for (std::string line; std::getline(in, line);) out->push_back(line);
    return out;
  }();
  return *lines;
}

// Header + the first `bars` rows of the bundled data, written to `path`.
std::string WriteFirstBars(const std::string& path, size_t bars) {
  const std::vector<std::string>& lines = SourceDataLines();
  EXPECT_EQ(lines.size(), kAllBars + 1) << SourcePath(kDataFile) << " changed: these tests assume 10,999 bars";
  std::ofstream out(path, std::ios::trunc);
  for (size_t i = 0; i <= bars && i < lines.size(); ++i) out << lines[i] << "\n";
  return path;
}

// The children get none of the developer's config overrides, CONFIG_PATH,
// token or webhooks: only what a test sets.
bool IsInheritedSetting(const std::string& name) {
  return absl::StrContains(name, "__") || absl::StartsWith(name, "RUN_") || name == "CONFIG_PATH" ||
         name == "ALERT_WEBHOOKS" || name == "OPERATOR_API_TOKEN" || name == "ANALYTICS_URL";
}

// Where one bot keeps its things. The children run in the test's scratch
// directory (every path they get is absolute), so a developer's `.env` in
// the source tree cannot lend them a token or webhooks.
struct BotDirs {
  std::string cwd, ledger, logs;
  std::string log() const { return logs + "/bot.log"; }
};

BotDirs DirsIn(const TempDir& tmp, const std::string& name) {
  return BotDirs{tmp.path(), tmp.Sub(name + "-ledger"), tmp.Sub(name + "-logs")};
}

SpawnOptions ChildOptions(const BotDirs& dirs, const std::vector<std::string>& env) {
  SpawnOptions o;
  o.cwd = dirs.cwd;
  o.inherit_env = false;
  o.env = testing::EnvironmentWithout(&IsInheritedSetting);
  // Any free port (tests run in parallel), and no alert leaves the machine
  // unless a test asks for one. A test's own settings win (execve keeps
  // duplicates, and getenv takes the first).
  auto set_by_test = [&](const std::string& entry) {
    const std::string name = entry.substr(0, entry.find('=') + 1);
    return std::any_of(env.begin(), env.end(), [&](const std::string& e) { return absl::StartsWith(e, name); });
  };
  for (const char* e : {"API__PORT=0", "MONITORING__METRICS_PORT=0", "MONITORING__ALERTS_ENABLED=false"}) {
    if (!set_by_test(e)) o.env.emplace_back(e);
  }
  o.env.insert(o.env.end(), env.begin(), env.end());
  return o;
}

std::vector<std::string> BotArgs(const BotDirs& dirs, const std::string& data, const std::string& speed) {
  return {BOT_BIN, "--config", SourcePath("config.yaml"), "--ledger", dirs.ledger, "--logs", dirs.logs,
          "--data", data, "--speed", speed};
}

struct Outcome {
  ExitStatus status;
  std::string out, err;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << "[" << o.status << "]\n--- stdout ---\n" << o.out << "--- stderr ---\n" << o.err;
}

Outcome RunToEnd(const std::vector<std::string>& argv, const SpawnOptions& options,
                 std::chrono::milliseconds timeout = kRunTimeout) {
  Outcome o;
  auto p = Process::Spawn(argv, options);
  if (!p.ok()) {
    ADD_FAILURE() << "spawning " << argv[0] << ": " << p.status();
    return o;
  }
  o.status = (*p)->Wait(timeout);
  o.out = (*p)->out();
  o.err = (*p)->err();
  return o;
}

// A finished run at --speed max over the first `bars` bars into `dirs`.
Outcome RunBotToEnd(const TempDir& tmp, const BotDirs& dirs, size_t bars, const std::vector<std::string>& env = {}) {
  const std::string data = WriteFirstBars(tmp.Sub(absl::StrCat("bars-", bars, ".csv")), bars);
  return RunToEnd(BotArgs(dirs, data, "max"), ChildOptions(dirs, env));
}

// ---------------------------------------------------------------------------
// HTTP.

struct Reply {
  int status = 0;  // 0: no answer
  std::string body;
  std::optional<Json> json;
  std::string error;  // httplib's, when there was no answer
};

std::ostream& operator<<(std::ostream& os, const Reply& r) {
  if (r.status == 0) return os << "(no answer: " << r.error << ")";
  return os << "HTTP " << r.status << " " << r.body;
}

Reply ToReply(const httplib::Result& res) {
  Reply r;
  if (!res) {
    r.error = httplib::to_string(res.error());
    return r;
  }
  r.status = res->status;
  r.body = res->body;
  r.json = ParseJson(r.body);
  return r;
}

std::unique_ptr<httplib::Client> ClientFor(int port) {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", port);
  client->set_connection_timeout(10, 0);
  client->set_read_timeout(20, 0);  // a POST waits for the engine (api command timeout 10 s)
  client->set_write_timeout(10, 0);
  return client;
}

Reply HttpGet(int port, const std::string& path) { return ToReply(ClientFor(port)->Get(path)); }

// A POST as an operator sends it: {"reason": ...}, the token header when given.
Reply HttpPost(int port, const std::string& path, std::optional<std::string> token, const std::string& reason = "") {
  httplib::Headers headers;
  if (token) headers.emplace("X-OPS-TOKEN", *token);
  const std::string body = reason.empty() ? "" : absl::StrCat("{\"reason\":\"", reason, "\"}");
  return ToReply(ClientFor(port)->Post(path, headers, body, "application/json"));
}

// A POST with `body` as it is (for malformed and oversized bodies).
Reply HttpPostBody(int port, const std::string& path, const std::string& token, const std::string& body) {
  return ToReply(ClientFor(port)->Post(path, {{"X-OPS-TOKEN", token}}, body, "application/json"));
}

// ---------------------------------------------------------------------------
// A bot running in the background, serving its API and metrics.

class RunningBot {
 public:
  // Spawns the bot and reads its first stdout line for the ports. Null (with
  // a failure recorded) if it did not start.
  static std::unique_ptr<RunningBot> Start(const BotDirs& dirs, const std::string& data, const std::string& speed,
                                           const std::vector<std::string>& env) {
    auto p = Process::Spawn(BotArgs(dirs, data, speed), ChildOptions(dirs, env));
    if (!p.ok()) {
      ADD_FAILURE() << "spawning " << BOT_BIN << ": " << p.status();
      return nullptr;
    }
    std::unique_ptr<RunningBot> bot(new RunningBot(*std::move(p)));
    std::optional<std::string> line = bot->process_->ReadLineStartingWith(kStartedPrefix, kStartTimeout);
    static const std::regex re(R"(^bot: paper mode started \(pid \d+\), ledger at seq (\d+), (\d+) bars to run, )"
                               R"(serving api=(\S+):(\d+) metrics=(\S+):(\d+)$)");
    std::smatch m;
    if (!line || !std::regex_match(*line, m, re) || !absl::SimpleAtoi(m[1].str(), &bot->start_seq_) ||
        !absl::SimpleAtoi(m[2].str(), &bot->bars_to_run_) || !absl::SimpleAtoi(m[4].str(), &bot->api_port_) ||
        !absl::SimpleAtoi(m[6].str(), &bot->metrics_port_)) {
      bot->process_->Signal(SIGTERM);
      ExitStatus st = bot->process_->Wait(kStopTimeout);
      ADD_FAILURE() << "the bot did not print its started line with both ports: [" << st << "]\n--- stdout ---\n"
                    << bot->process_->out() << "--- stderr ---\n" << bot->process_->err();
      return nullptr;
    }
    bot->api_host_ = m[3].str();
    return bot;
  }

  int api_port() const { return api_port_; }
  int metrics_port() const { return metrics_port_; }
  const std::string& api_host() const { return api_host_; }
  uint64_t start_seq() const { return start_seq_; }
  uint64_t bars_to_run() const { return bars_to_run_; }
  pid_t pid() const { return process_->pid(); }

  Reply Get(const std::string& path) const { return HttpGet(api_port_, path); }
  Reply Post(const std::string& path, std::optional<std::string> token, const std::string& reason = "") const {
    return HttpPost(api_port_, path, std::move(token), reason);
  }
  Reply PostBody(const std::string& path, const std::string& token, const std::string& body) const {
    return HttpPostBody(api_port_, path, token, body);
  }
  std::string Metrics() const {
    Reply r = HttpGet(metrics_port_, "/metrics");
    EXPECT_EQ(r.status, 200) << r;
    return r.body;
  }
  bool Signal(int sig) { return process_->Signal(sig); }
  // Waits for the bot to exit on its own (the kill switch).
  Outcome Wait() {
    Outcome o;
    o.status = process_->Wait(kStopTimeout);
    o.out = process_->out();
    o.err = process_->err();
    return o;
  }

  // SIGTERM and the exit: 0 with its summary.
  Outcome Stop() {
    Outcome o;
    process_->Signal(SIGTERM);
    o.status = process_->Wait(kStopTimeout);
    o.out = process_->out();
    o.err = process_->err();
    return o;
  }

 private:
  explicit RunningBot(std::unique_ptr<Process> p) : process_(std::move(p)) {}
  std::unique_ptr<Process> process_;
  int api_port_ = 0, metrics_port_ = 0;
  std::string api_host_;
  uint64_t start_seq_ = 0, bars_to_run_ = 0;
};

#define EXPECT_STOPPED_CLEANLY(outcome)                                               \
  do {                                                                                \
    const Outcome& stopped_o = (outcome);                                             \
    EXPECT_TRUE(stopped_o.status.Exited(0)) << stopped_o;                             \
    EXPECT_THAT(stopped_o.out, HasSubstr("paper run ")) << "no summary\n" << stopped_o; \
  } while (0)

// A bot with a ledger of `history` bars (run first at --speed max, unless 0)
// that then runs at --speed realtime over two more bars: the first runs at
// once, the second is due five minutes later, so the API stays up for the test.
std::unique_ptr<RunningBot> StartQuietBot(const TempDir& tmp, const BotDirs& dirs, size_t history,
                                          const std::vector<std::string>& env) {
  if (history > 0) {
    Outcome prep = RunBotToEnd(tmp, dirs, history);
    if (!prep.status.Exited(0)) {
      ADD_FAILURE() << "preparing a ledger of " << history << " bars\n" << prep;
      return nullptr;
    }
  }
  const std::string data = WriteFirstBars(tmp.Sub(absl::StrCat("quiet-", history + 2, ".csv")), history + 2);
  auto bot = RunningBot::Start(dirs, data, "realtime", env);
  if (bot != nullptr) {
    EXPECT_EQ(bot->bars_to_run(), 2u);
  }
  return bot;
}

std::vector<std::string> WithToken() { return {absl::StrCat("OPERATOR_API_TOKEN=", kToken)}; }

// ---------------------------------------------------------------------------
// Metrics readers.

// The value of one series ("open_positions", `orders_submitted_total{result="filled"}`).
std::optional<double> Sample(const std::string& exposition, const std::string& series) {
  for (const std::string& line : Lines(exposition)) {
    if (!absl::StartsWith(line, series) || line.size() <= series.size() || line[series.size()] != ' ') continue;
    double v = 0;
    if (absl::SimpleAtod(absl::StripAsciiWhitespace(absl::string_view(line).substr(series.size() + 1)), &v)) return v;
  }
  return std::nullopt;
}

// The metric names README's /metrics bullet lists, without their labels.
std::vector<std::string> ReadmeMetricNames() {
  const std::string readme = ReadFileText(SourcePath("README.md"));
  const size_t start = readme.find("/metrics`: Prometheus text (");
  if (start == std::string::npos) return {};
  const size_t end = readme.find("`).", start);
  if (end == std::string::npos) return {};
  std::vector<std::string> names;
  const std::string list = readme.substr(start + std::strlen("/metrics`: Prometheus text ("), end + 1 - start);
  static const std::regex re("`([a-z_:][a-z0-9_:]*)(\\{[^}]*\\})?`");
  for (auto it = std::sregex_iterator(list.begin(), list.end(), re); it != std::sregex_iterator(); ++it) {
    names.push_back((*it)[1].str());
  }
  return names;
}

// Waits (bounded) for `name` to be created in `dir`, watched from before
// `trigger` runs.
::testing::AssertionResult WaitForCreation(const std::string& dir, const std::string& name,
                                           const std::function<void()>& trigger) {
  const int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd < 0) return ::testing::AssertionFailure() << "inotify_init1 failed";
  if (::inotify_add_watch(fd, dir.c_str(), IN_CREATE | IN_MOVED_TO) < 0) {
    ::close(fd);
    return ::testing::AssertionFailure() << "inotify_add_watch " << dir << " failed";
  }
  trigger();
  const auto deadline = std::chrono::steady_clock::now() + kPollBudget;
  bool seen = std::filesystem::exists(dir + "/" + name);
  while (!seen) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    alignas(inotify_event) char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) {
      for (char* at = buf; at < buf + n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(at);
        if (ev->len > 0 && name == ev->name) seen = true;
        at += sizeof(inotify_event) + ev->len;
      }
    }
  }
  ::close(fd);
  if (!seen) return ::testing::AssertionFailure() << dir << "/" << name << " was not created within the deadline";
  return ::testing::AssertionSuccess();
}

// ---------------------------------------------------------------------------
// 1. The read side.

TEST(OpsApiTest, EachEndpointAnswersWithItsJsonShape) {
  TempDir tmp;
  const BotDirs dirs = DirsIn(tmp, "shape");
  // The webhook URL is a secret too: set (alerts disabled, nothing is sent)
  // so /config must redact it.
  const std::string hook_secret = "hook-secret-9d3a71";
  auto bot = StartQuietBot(tmp, dirs, 20,
                           {absl::StrCat("OPERATOR_API_TOKEN=", kToken),
                            absl::StrCat("ALERT_WEBHOOKS=http://127.0.0.1:9/", hook_secret),
                            absl::StrCat("ANALYTICS_URL=sqlite:", dirs.logs, "/analytics.sqlite")});
  ASSERT_NE(bot, nullptr);
  std::vector<std::string> bodies;  // for the secrets check at the end

  {
    Reply r = bot->Get("/");
    bodies.push_back(r.body);
    ASSERT_EQ(r.status, 200) << r;
    ASSERT_TRUE(r.json && r.json->is_object()) << r;
    EXPECT_TRUE((*r.json)["endpoints"].is_array()) << r;
  }
  {
    Reply r = bot->Get("/health");
    bodies.push_back(r.body);
    ASSERT_EQ(r.status, 200) << r;
    ASSERT_TRUE(r.json && r.json->is_object()) << r;
    const Json& h = *r.json;
    EXPECT_EQ(h["status"].s, "ok") << r;
    EXPECT_EQ(h["mode"].s, "paper") << r;
    EXPECT_TRUE(h["uptime_sec"].is_number()) << r;
    EXPECT_TRUE(h["loop_age_sec"].is_number()) << r;
    EXPECT_TRUE(h["ledger_head"].is_number()) << r;
    EXPECT_GE(h["ledger_head"].n, static_cast<double>(bot->start_seq())) << r;
    EXPECT_TRUE(h["ws"].is_object()) << r;
    EXPECT_TRUE(h["trading_paused"].is_bool()) << r;
    EXPECT_FALSE(h["trading_paused"].b) << r;
  }
  {
    Reply r = bot->Get("/state");
    bodies.push_back(r.body);
    ASSERT_EQ(r.status, 200) << r;
    ASSERT_TRUE(r.json && r.json->is_object()) << r;
    EXPECT_TRUE((*r.json)["last_seq"].is_number()) << r;
    EXPECT_TRUE((*r.json)["balance"].is_number()) << r;
    EXPECT_TRUE((*r.json)["positions"].is_object()) << r;
  }
  for (const std::string what : {"positions", "orders"}) {
    Reply r = bot->Get("/" + what);
    bodies.push_back(r.body);
    ASSERT_EQ(r.status, 200) << what << ": " << r;
    ASSERT_TRUE(r.json && r.json->is_object()) << what << ": " << r;
    EXPECT_TRUE(r.json->Has(what)) << r;
    EXPECT_TRUE((*r.json)[what].is_object() || (*r.json)[what].is_array()) << r;
  }
  {
    Reply r = bot->Get("/events?limit=5");
    bodies.push_back(r.body);
    ASSERT_EQ(r.status, 200) << r;
    ASSERT_TRUE(r.json && (*r.json)["events"].is_array()) << r;
    const std::vector<Json>& events = (*r.json)["events"].a;
    EXPECT_EQ(events.size(), 5u) << "the ledger holds more than 5 events: " << r;
    for (size_t i = 0; i < events.size(); ++i) {
      EXPECT_TRUE(events[i]["seq"].is_number()) << r;
      EXPECT_TRUE(events[i]["type"].is_string()) << r;
      EXPECT_EQ(events[i]["seq"].n, static_cast<double>(i + 1)) << "from defaults to 1: " << r;
    }
  }
  {
    Reply r = bot->Get("/events?type=CandleClose&limit=3");
    bodies.push_back(r.body);
    ASSERT_EQ(r.status, 200) << r;
    ASSERT_TRUE(r.json && (*r.json)["events"].is_array()) << r;
    const std::vector<Json>& events = (*r.json)["events"].a;
    EXPECT_EQ(events.size(), 3u) << "20 bars are in the ledger: " << r;
    for (const Json& e : events) EXPECT_EQ(e["type"].s, "CandleClose") << r;
    // The newest three, in seq order (the seed's window), as paging from seq 1 ends.
    Reply all = bot->Get("/events?from=1&type=CandleClose&limit=1000");
    ASSERT_TRUE(all.json && (*all.json)["events"].is_array()) << all;
    const std::vector<Json>& every = (*all.json)["events"].a;
    ASSERT_GE(every.size(), 3u) << all;
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(events[i]["seq"].n, every[every.size() - 3 + i]["seq"].n) << r << "\n" << all;
    }
  }
  {
    Reply r = bot->Get("/events?tail=5000");
    ASSERT_EQ(r.status, 200) << r;
    const std::vector<Json>& events = (*r.json)["events"].a;
    ASSERT_FALSE(events.empty()) << r;
    EXPECT_LE(events.size(), 1000u) << "a tail is at most a page";
    EXPECT_EQ(events.back()["seq"].n, (*r.json)["head"].n) << "a tail ends at the head: " << r;
  }
  {
    Reply r = bot->Get("/events?tail=2");
    bodies.push_back(r.body);
    ASSERT_EQ(r.status, 200) << r;
    ASSERT_TRUE(r.json && (*r.json)["events"].is_array()) << r;
    const std::vector<Json>& events = (*r.json)["events"].a;
    ASSERT_EQ(events.size(), 2u) << r;
    EXPECT_EQ(events[1]["seq"].n, events[0]["seq"].n + 1) << r;
    if (r.json->Has("head")) {
      EXPECT_EQ(events[1]["seq"].n, (*r.json)["head"].n) << "tail ends at the head: " << r;
    }
  }
  {
    Reply r = bot->Get("/config");
    bodies.push_back(r.body);
    ASSERT_EQ(r.status, 200) << r;
    ASSERT_TRUE(r.json && r.json->is_object()) << r;
    const Json& config = (*r.json)["config"];
    ASSERT_TRUE(config.is_object()) << r;
    EXPECT_TRUE(config.Has("risk.max_drawdown_pct")) << r;
    const Json& secrets = (*r.json)["secrets"];
    ASSERT_TRUE(secrets.is_object()) << r;
    EXPECT_EQ(secrets["OPERATOR_API_TOKEN"].s, "[REDACTED]") << r;
    EXPECT_EQ(secrets["ALERT_WEBHOOKS"].s, "[REDACTED]") << r;
    EXPECT_EQ(secrets["ANALYTICS_URL"].s, "[REDACTED]") << r;
  }
  for (const std::string bad : {"/events?limit=0", "/events?type=Nope", "/events?from=abc"}) {
    Reply r = bot->Get(bad);
    bodies.push_back(r.body);
    EXPECT_EQ(r.status, 400) << bad << ": " << r;
    ASSERT_TRUE(r.json && r.json->is_object()) << bad << ": " << r;
    EXPECT_TRUE((*r.json)["error"].is_string()) << bad << ": " << r;
  }
  {
    Reply r = bot->Get("/no-such-endpoint");
    bodies.push_back(r.body);
    EXPECT_EQ(r.status, 404) << r;
  }
  for (const std::string& body : bodies) {
    EXPECT_THAT(body, Not(HasSubstr(kToken))) << "the operator token leaked";
    EXPECT_THAT(body, Not(HasSubstr(hook_secret))) << "the webhook URL leaked";
  }
  EXPECT_STOPPED_CLEANLY(bot->Stop());
}

// ---------------------------------------------------------------------------
// 2. Authentication of the mutations.

TEST(OpsApiTest, MutationsNeedTheToken) {
  TempDir tmp;
  const BotDirs dirs = DirsIn(tmp, "auth");
  auto bot = StartQuietBot(tmp, dirs, 0, WithToken());
  ASSERT_NE(bot, nullptr);

  Reply no_header = bot->Post("/pause", std::nullopt, "no header");
  EXPECT_EQ(no_header.status, 401) << no_header;
  EXPECT_TRUE(no_header.json && (*no_header.json)["error"].is_string()) << no_header;
  Reply wrong = bot->Post("/pause", "not-the-token", "wrong token");
  EXPECT_EQ(wrong.status, 401) << wrong;
  // The right token but a body that is too big or not what it seems: refused
  // over the socket too, and the bot carries on.
  Reply oversized = bot->PostBody("/pause", kToken, std::string(1 << 20, 'x'));
  EXPECT_EQ(oversized.status, 413) << oversized;
  Reply malformed = bot->PostBody("/pause", kToken, "{\"reason\": \"unterminated");
  EXPECT_EQ(malformed.status, 400) << malformed;
  EXPECT_TRUE(malformed.json && (*malformed.json)["error"].is_string()) << malformed;
  Reply health = bot->Get("/health");
  ASSERT_TRUE(health.json) << health;
  EXPECT_FALSE((*health.json)["trading_paused"].b) << "a refused POST changed something: " << health;

  Reply right = bot->Post("/pause", kToken, "right token");
  EXPECT_EQ(right.status, 200) << right;
  ASSERT_TRUE(right.json) << right;
  EXPECT_TRUE((*right.json)["paused"].b) << right;

  EXPECT_STOPPED_CLEANLY(bot->Stop());
  // bot.log is read after the stop: the log is buffered (see the report),
  // and the stop flushes it.
  const std::string log = ReadFileText(dirs.log());
  EXPECT_GE(CountLinesWith(log, "\"operator_auth_failed\""), 2u) << log;
  EXPECT_THAT(log, Not(HasSubstr("not-the-token"))) << "a presented token was logged";
  EXPECT_THAT(log, Not(HasSubstr(kToken))) << "the token was logged";

  // No OPERATOR_API_TOKEN at all: every POST is refused, with or without a header.
  const BotDirs bare = DirsIn(tmp, "no-token");
  auto tokenless = StartQuietBot(tmp, bare, 0, {});
  ASSERT_NE(tokenless, nullptr);
  for (const char* path : {"/pause", "/resume", "/ack", "/actions/pause", "/actions/resume",
                           "/actions/ack-manual-review", "/actions/kill-switch"}) {
    for (const std::optional<std::string>& token : {std::optional<std::string>(), std::optional<std::string>("x"),
                                                    std::optional<std::string>("")}) {
      Reply r = tokenless->Post(path, token, "tokenless");
      EXPECT_EQ(r.status, 401) << path << " with " << (token ? "header \"" + *token + "\"" : "no header") << ": " << r;
    }
  }
  Reply still = tokenless->Get("/health");
  EXPECT_EQ(still.status, 200) << "the kill switch must not have been taken: " << still;
  EXPECT_STOPPED_CLEANLY(tokenless->Stop());
  EXPECT_GE(CountLinesWith(ReadFileText(bare.log()), "\"operator_auth_failed\""), 21u);
}

// ---------------------------------------------------------------------------
// 3. Pause, resume and ack are engine commands, journaled with who and why.

TEST(OpsApiTest, PauseResumeAckTakeEffectAndAreJournaled) {
  TempDir tmp;
  const BotDirs dirs = DirsIn(tmp, "commands");
  auto bot = StartQuietBot(tmp, dirs, 0, WithToken());
  ASSERT_NE(bot, nullptr);

  Reply pause = bot->Post("/pause", kToken, "maintenance window");
  ASSERT_EQ(pause.status, 200) << pause;
  ASSERT_TRUE(pause.json) << pause;
  EXPECT_TRUE((*pause.json)["changed"].b) << pause;
  EXPECT_TRUE((*pause.json)["paused"].b) << pause;
  Reply health = bot->Get("/health");
  ASSERT_TRUE(health.json) << health;
  // Read-your-writes: the POST answers once the engine journaled and applied
  // the command, so the view /health reads must show it already.
  EXPECT_TRUE((*health.json)["trading_paused"].b) << "/health lags the answered POST: " << health;
  {
    Reply r = bot->Get("/events?type=TradingPaused");
    ASSERT_TRUE(r.json && (*r.json)["events"].is_array()) << r;
    ASSERT_EQ((*r.json)["events"].a.size(), 1u) << r;
    const Json& data = (*r.json)["events"].a[0]["data"];
    EXPECT_TRUE(absl::StartsWith(data["who"].s, "api@")) << r;
    EXPECT_EQ(data["reason"].s, "maintenance window") << r;
  }
  Reply again = bot->Post("/pause", kToken, "again");
  ASSERT_EQ(again.status, 200) << again;
  ASSERT_TRUE(again.json) << again;
  EXPECT_FALSE((*again.json)["changed"].b) << "already paused: " << again;

  Reply resume = bot->Post("/resume", kToken, "window over");
  ASSERT_EQ(resume.status, 200) << resume;
  ASSERT_TRUE(resume.json) << resume;
  EXPECT_TRUE((*resume.json)["changed"].b) << resume;
  EXPECT_FALSE((*resume.json)["paused"].b) << resume;
  health = bot->Get("/health");
  ASSERT_TRUE(health.json) << health;
  EXPECT_FALSE((*health.json)["trading_paused"].b) << health;
  {
    Reply r = bot->Get("/events?type=TradingResumed");
    ASSERT_TRUE(r.json && (*r.json)["events"].is_array()) << r;
    ASSERT_EQ((*r.json)["events"].a.size(), 1u) << r;
    const Json& data = (*r.json)["events"].a[0]["data"];
    EXPECT_TRUE(absl::StartsWith(data["who"].s, "api@")) << r;
    EXPECT_EQ(data["reason"].s, "window over") << r;
  }

  Reply ack = bot->Post("/ack", kToken, "nothing to ack");
  ASSERT_EQ(ack.status, 200) << ack;
  ASSERT_TRUE(ack.json) << ack;
  EXPECT_FALSE((*ack.json)["changed"].b) << "nothing was pending: " << ack;

  EXPECT_STOPPED_CLEANLY(bot->Stop());
  // The ledger itself, after the stop.
  auto events = testing::ReadEvents(dirs.ledger);
  ASSERT_TRUE(events.ok()) << events.status();
  const auto paused = testing::EventsOf<TradingPaused>(*events);
  const auto resumed = testing::EventsOf<TradingResumed>(*events);
  ASSERT_EQ(paused.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(paused[0].second.who, "api@")) << paused[0].second.who;
  EXPECT_EQ(paused[0].second.reason, "maintenance window");
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(resumed[0].second.who, "api@")) << resumed[0].second.who;
  EXPECT_EQ(resumed[0].second.reason, "window over");
  EXPECT_TRUE(testing::EventsOf<ManualReviewAcknowledged>(*events).empty()) << "an ack with nothing pending appends nothing";
}

// ---------------------------------------------------------------------------
// 4. ack-manual-review beside a running bot goes through its API.

TEST(OpsApiTest, AckManualReviewGoesThroughTheRunningBot) {
  TempDir tmp;
  const BotDirs dirs = DirsIn(tmp, "ack");
  const Outcome tripped = RunBotToEnd(tmp, dirs, kBreakerRunBars);
  ASSERT_TRUE(tripped.status.Exited(0)) << tripped;
  ASSERT_THAT(tripped.out, HasSubstr("CIRCUIT BREAKER ACTIVE"))
      << "the default config over the first " << kBreakerRunBars << " bars should trip the breaker (bar "
      << kBreakerBar << "); did the data, the config or the strategy change?\n"
      << tripped;

  // Two more bars at realtime: the first runs at once, the second is due in
  // five minutes; the API is up meanwhile.
  auto bot = RunningBot::Start(dirs, WriteFirstBars(tmp.Sub("ack-more.csv"), kBreakerRunBars + 2), "realtime",
                               WithToken());
  ASSERT_NE(bot, nullptr);
  Reply before = bot->Get("/health");
  ASSERT_TRUE(before.json) << before;
  EXPECT_TRUE((*before.json)["circuit_breaker_active"].b) << before;

  const std::vector<std::string> ack_args = {ACK_BIN,  "--reason", "checked", "--config", SourcePath("config.yaml"),
                                             "--ledger", dirs.ledger, "--logs", dirs.logs};
  // Without the token the running bot cannot be asked: one line says why.
  const Outcome refused = RunToEnd(ack_args, ChildOptions(dirs, {}), kStartTimeout);
  EXPECT_TRUE(refused.status.exited && refused.status.code != 0) << refused;
  EXPECT_EQ(Lines(refused.err).size(), 1u) << refused;
  EXPECT_THAT(refused.err, HasSubstr("OPERATOR_API_TOKEN")) << refused;
  Reply still = bot->Get("/health");
  ASSERT_TRUE(still.json) << still;
  EXPECT_TRUE((*still.json)["circuit_breaker_active"].b) << still;

  const Outcome acked = RunToEnd(ack_args, ChildOptions(dirs, WithToken()), kStartTimeout);
  ASSERT_TRUE(acked.status.Exited(0)) << acked;
  EXPECT_THAT(acked.out, HasSubstr("acknowledged through the running bot")) << acked;
  Reply after = bot->Get("/health");
  ASSERT_TRUE(after.json) << after;
  EXPECT_FALSE((*after.json)["circuit_breaker_active"].b) << after;
  EXPECT_FALSE((*after.json)["manual_review_required"].b) << after;
  {
    Reply r = bot->Get("/events?type=ManualReviewAcknowledged");
    ASSERT_TRUE(r.json && (*r.json)["events"].is_array()) << r;
    ASSERT_EQ((*r.json)["events"].a.size(), 1u) << r;
    const Json& data = (*r.json)["events"].a[0]["data"];
    EXPECT_TRUE(absl::StartsWith(data["who"].s, "api@")) << r;
    EXPECT_EQ(data["reason"].s, "checked") << r;
  }
  EXPECT_STOPPED_CLEANLY(bot->Stop());
}

// ---------------------------------------------------------------------------
// 4b. The operator's actions on the book (paper; tests/testnet_e2e_test.cc
// has them against the fake venue): each is journaled as an OperatorAction
// with who and why, and its answer says what it did.

// The count of `type` events in the bot's ledger, through its API.
size_t CountEvents(const RunningBot& bot, const std::string& type) {
  Reply r = bot.Get(absl::StrCat("/events?type=", type, "&limit=1000"));
  EXPECT_TRUE(r.json && (*r.json)["events"].is_array()) << r;
  return r.json ? (*r.json)["events"].a.size() : 0;
}

// Polls /orders until an order of `purpose` is there (the first bar of a
// quiet bot runs just after its started line).
bool WaitForOrder(const RunningBot& bot, const std::string& purpose) {
  const auto deadline = std::chrono::steady_clock::now() + kPollBudget;
  while (std::chrono::steady_clock::now() < deadline) {
    Reply r = bot.Get("/orders");
    if (r.json && absl::StrContains(r.body, absl::StrCat("\"purpose\":\"", purpose, "\""))) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TEST(OpsApiTest, CancelAllCancelsARestingEntryButNeverAPositionsProtection) {
  TempDir tmp;
  const BotDirs dirs = DirsIn(tmp, "entry");
  // With limit entries, the entry the strategy places on kSecondEntryBar rests.
  auto bot = StartQuietBot(tmp, dirs, kSecondEntryBar - 1,
                           {absl::StrCat("OPERATOR_API_TOKEN=", kToken), "EXECUTION__ENTRY_ORDER_TYPE=limit"});
  ASSERT_NE(bot, nullptr);
  ASSERT_TRUE(WaitForOrder(*bot, "ENTRY")) << bot->Get("/orders");
  Reply cancel_all = bot->Post("/actions/cancel-all", kToken, "stale entry");
  ASSERT_EQ(cancel_all.status, 200) << cancel_all;
  EXPECT_TRUE((*cancel_all.json)["changed"].b) << cancel_all;
  EXPECT_EQ((*cancel_all.json)["cancelled"].n, 1) << cancel_all;
  EXPECT_FALSE((*cancel_all.json)["paused"].b) << "cancel-all does not pause: " << cancel_all;
  EXPECT_TRUE((*bot->Get("/orders").json)["orders"].keys.empty());
  EXPECT_STOPPED_CLEANLY(bot->Stop());
  auto events = testing::ReadEvents(dirs.ledger);
  ASSERT_TRUE(events.ok()) << events.status();
  const auto cancels = testing::EventsOf<OrderCancelled>(*events);
  ASSERT_FALSE(cancels.empty());
  EXPECT_EQ(cancels.back().second.reason, "OPERATOR");
}

TEST(OpsApiTest, CancelAllKeepsProtectionFlattenClosesAndPausesAndKillStops) {
  TempDir tmp;
  const BotDirs dirs = DirsIn(tmp, "book");
  // A position opened on kSecondEntryBar is still open ten bars later, with
  // its stop-loss and take-profit resting.
  auto bot = StartQuietBot(tmp, dirs, kSecondEntryBar + 10, WithToken());
  ASSERT_NE(bot, nullptr);
  Reply positions = bot->Get("/positions");
  ASSERT_TRUE(positions.json && (*positions.json)["positions"].Has("BTCUSDT")) << positions;
  Reply orders = bot->Get("/orders");
  ASSERT_TRUE(orders.json) << orders;
  ASSERT_EQ((*orders.json)["orders"].keys.size(), 2u) << "a stop-loss and a take-profit: " << orders;

  Reply cancel_all = bot->Post("/actions/cancel-all", kToken, "tidy the book");
  ASSERT_EQ(cancel_all.status, 200) << cancel_all;
  EXPECT_EQ((*cancel_all.json)["cancelled"].n, 0) << "protection is not cancelled under a position: " << cancel_all;
  EXPECT_FALSE((*cancel_all.json)["changed"].b) << cancel_all;
  EXPECT_THAT((*cancel_all.json)["outcome"].s, HasSubstr("keeping 2 protective")) << cancel_all;
  EXPECT_EQ((*bot->Get("/orders").json)["orders"].keys.size(), 2u);

  Reply reconcile = bot->Post("/actions/reconcile", kToken, "paper");
  EXPECT_EQ(reconcile.status, 409) << "paper has no venue: " << reconcile;
  EXPECT_EQ(bot->Post("/actions/close", kToken, "no symbol").status, 400);
  EXPECT_EQ(bot->PostBody("/actions/close", kToken, R"({"symbol":"ETHUSDT"})").status, 404);

  Reply flatten = bot->Post("/actions/flatten", kToken, "risk off");
  ASSERT_EQ(flatten.status, 200) << flatten;
  EXPECT_TRUE((*flatten.json)["paused"].b) << flatten;
  ASSERT_TRUE((*flatten.json)["closing"].is_array()) << flatten;
  EXPECT_EQ((*flatten.json)["closing"].a.size(), 1u) << flatten;
  // The paper venue fills the close at once; its legs went with it (OCO).
  EXPECT_TRUE((*bot->Get("/positions").json)["positions"].keys.empty());
  EXPECT_TRUE((*bot->Get("/orders").json)["orders"].keys.empty());
  EXPECT_EQ(bot->PostBody("/actions/close", kToken, R"({"symbol":"BTCUSDT"})").status, 404) << "closed already";
  Reply health = bot->Get("/health");
  ASSERT_TRUE(health.json) << health;
  EXPECT_FALSE((*health.json)["trading_enabled"].b) << health;
  Reply state = bot->Get("/state");
  ASSERT_TRUE(state.json) << state;
  EXPECT_FALSE((*state.json)["requires_manual_review"].b) << state;
  EXPECT_FALSE((*state.json)["circuit_breaker_active"].b) << state;
  EXPECT_TRUE((*state.json)["trading_paused"].b) << state;
  EXPECT_EQ(CountEvents(*bot, "OperatorAction"), 2u);

  // hmm_ops' switch: enabled true resumes, enabled false is the kill switch.
  Reply enable = bot->PostBody("/kill", kToken, R"({"enabled": true, "reason": "flatten done"})");
  ASSERT_EQ(enable.status, 200) << enable;
  EXPECT_FALSE((*enable.json)["paused"].b) << enable;
  EXPECT_TRUE((*bot->Get("/health").json)["trading_enabled"].b);
  Reply kill = bot->PostBody("/kill", kToken, R"({"enabled": false, "reason": "end of drill"})");
  ASSERT_EQ(kill.status, 200) << kill;
  const Outcome stopped = bot->Wait();
  EXPECT_STOPPED_CLEANLY(stopped);
  EXPECT_THAT(stopped.out, HasSubstr("KILL_SWITCH")) << stopped;

  auto events = testing::ReadEvents(dirs.ledger);
  ASSERT_TRUE(events.ok()) << events.status();
  const auto actions = testing::EventsOf<OperatorAction>(*events);
  ASSERT_EQ(actions.size(), 3u);
  std::vector<std::string> kinds;
  for (const auto& [seq, a] : actions) {
    kinds.push_back(a.action);
    EXPECT_TRUE(absl::StartsWith(a.who, "api@")) << a.who;
  }
  EXPECT_THAT(kinds, ::testing::ElementsAre("cancel_all", "flatten", "kill_switch"));
  EXPECT_EQ(actions[1].second.reason, "risk off");
  const auto closed = testing::EventsOf<PositionClosed>(*events);
  ASSERT_FALSE(closed.empty());
  EXPECT_EQ(closed.back().second.reason, CloseReason::kOperatorClose);
  ASSERT_TRUE(std::holds_alternative<SystemStopped>(events->back().body));
  EXPECT_EQ(std::get<SystemStopped>(events->back().body).reason, "KILL_SWITCH");
}

TEST(OpsApiTest, CloseOnePositionInPaperFillsAtOnceWithoutPausing) {
  TempDir tmp;
  const BotDirs dirs = DirsIn(tmp, "close");
  auto bot = StartQuietBot(tmp, dirs, kSecondEntryBar + 10, WithToken());
  ASSERT_NE(bot, nullptr);
  ASSERT_TRUE((*bot->Get("/positions").json)["positions"].Has("BTCUSDT"));
  Reply close = bot->PostBody("/actions/close", kToken, R"({"symbol":"BTCUSDT","reason":"trim risk"})");
  ASSERT_EQ(close.status, 200) << close;
  EXPECT_FALSE((*close.json)["paused"].b) << close;
  EXPECT_TRUE((*bot->Get("/positions").json)["positions"].keys.empty());
  EXPECT_TRUE((*bot->Get("/orders").json)["orders"].keys.empty()) << "its legs go with it";
  EXPECT_TRUE((*bot->Get("/health").json)["trading_enabled"].b);
  EXPECT_STOPPED_CLEANLY(bot->Stop());
  auto events = testing::ReadEvents(dirs.ledger);
  ASSERT_TRUE(events.ok()) << events.status();
  const auto actions = testing::EventsOf<OperatorAction>(*events);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].second.action, "close");
  EXPECT_EQ(actions[0].second.symbol.value, "BTCUSDT");
  EXPECT_EQ(actions[0].second.reason, "trim risk");
  EXPECT_EQ(testing::EventsOf<PositionClosed>(*events).back().second.reason, CloseReason::kOperatorClose);
}

TEST(OpsApiTest, KillSwitchInPaperClosesThePositionAndExitsZero) {
  TempDir tmp;
  const BotDirs dirs = DirsIn(tmp, "kill");
  auto bot = StartQuietBot(tmp, dirs, kSecondEntryBar + 10, WithToken());
  ASSERT_NE(bot, nullptr);
  ASSERT_TRUE((*bot->Get("/positions").json)["positions"].Has("BTCUSDT"));
  Reply kill = bot->Post("/actions/kill-switch", kToken, "drill");
  ASSERT_EQ(kill.status, 200) << kill;
  EXPECT_TRUE((*kill.json)["paused"].b) << kill;
  const Outcome stopped = bot->Wait();
  EXPECT_STOPPED_CLEANLY(stopped);
  auto events = testing::ReadEvents(dirs.ledger);
  ASSERT_TRUE(events.ok()) << events.status();
  const auto closed = testing::EventsOf<PositionClosed>(*events);
  ASSERT_FALSE(closed.empty());
  EXPECT_EQ(closed.back().second.reason, CloseReason::kKillSwitch);
  EXPECT_TRUE(testing::EventsOf<ManualInterventionDetected>(*events).empty());
  // Its stop-loss and take-profit were cancelled once it was closed.
  size_t cancelled = 0;
  for (const auto& [seq, c] : testing::EventsOf<OrderCancelled>(*events)) cancelled += seq > closed.back().first ? 1 : 0;
  EXPECT_EQ(cancelled, 2u);
  ASSERT_TRUE(std::holds_alternative<SystemStopped>(events->back().body));
  EXPECT_EQ(std::get<SystemStopped>(events->back().body).reason, "KILL_SWITCH");
}

TEST(OpsApiTest, CircuitBreakerResetClearsItWithItsReasonAndIsRefusedWhenNoneIsActive) {
  TempDir tmp;
  const BotDirs dirs = DirsIn(tmp, "reset");
  const Outcome tripped = RunBotToEnd(tmp, dirs, kBreakerRunBars);
  ASSERT_TRUE(tripped.status.Exited(0)) << tripped;
  ASSERT_THAT(tripped.out, HasSubstr("CIRCUIT BREAKER ACTIVE")) << tripped;
  auto bot = RunningBot::Start(dirs, WriteFirstBars(tmp.Sub("reset-more.csv"), kBreakerRunBars + 2), "realtime",
                               WithToken());
  ASSERT_NE(bot, nullptr);
  Reply state = bot->Get("/state");
  ASSERT_TRUE(state.json) << state;
  EXPECT_TRUE((*state.json)["circuit_breaker_active"].b) << state;

  Reply reset = bot->Post("/actions/reset-circuit-breaker", kToken, "losses reviewed");
  ASSERT_EQ(reset.status, 200) << reset;
  EXPECT_FALSE((*reset.json)["circuit_breaker_active"].b) << reset;
  EXPECT_THAT((*reset.json)["was"].s, HasSubstr("CONSECUTIVE_LOSSES")) << reset;
  Reply again = bot->Post("/actions/reset-circuit-breaker", kToken, "again");
  EXPECT_EQ(again.status, 409) << again;
  EXPECT_EQ(CountEvents(*bot, "ManualReviewAcknowledged"), 1u);
  EXPECT_STOPPED_CLEANLY(bot->Stop());
  auto events = testing::ReadEvents(dirs.ledger);
  ASSERT_TRUE(events.ok()) << events.status();
  const auto actions = testing::EventsOf<OperatorAction>(*events);
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].second.action, "reset_circuit_breaker");
  EXPECT_EQ(actions[0].second.reason, "losses reviewed");
  const auto acks = testing::EventsOf<ManualReviewAcknowledged>(*events);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].second.reason, "losses reviewed");
}

// ---------------------------------------------------------------------------
// 5. /metrics: valid exposition, the runbook's series, and they follow the state.

TEST(OpsApiTest, MetricsPassPromtoolAndMoveWithState) {
  const std::string promtool = "/usr/bin/promtool";
  if (::access(promtool.c_str(), X_OK) != 0) GTEST_SKIP() << promtool << " is not installed";
  const std::vector<std::string> readme_names = ReadmeMetricNames();
  ASSERT_GE(readme_names.size(), 10u) << "could not read the metric names from README.md's /metrics bullet";

  TempDir tmp;
  const BotDirs dirs = DirsIn(tmp, "metrics");
  // History up to ten bars before the entry at max speed, then the rest at
  // 1000x (0.3 s a bar): the entry fills ~3 s in and the position stays open
  // to the end of this data (it closes on bar kSecondExitBar).
  const Outcome history = RunBotToEnd(tmp, dirs, kSecondEntryBar - 10);
  ASSERT_TRUE(history.status.Exited(0)) << history;
  auto bot = RunningBot::Start(dirs, WriteFirstBars(tmp.Sub("metrics-more.csv"), kSecondExitBar - 1), "1000x", {});
  ASSERT_NE(bot, nullptr);

  const std::string first = bot->Metrics();
  const std::optional<double> first_seq = Sample(first, "ledger_last_seq");
  ASSERT_TRUE(first_seq) << first;
  EXPECT_EQ(Sample(first, "open_positions"), 0.0) << first;

  // Scrape until the position shows (bounded): nothing else announces the
  // fill while the bot runs (bot.log is buffered).
  std::string with_position;
  const auto deadline = std::chrono::steady_clock::now() + kPollBudget;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string m = bot->Metrics();
    if (Sample(m, "open_positions") == 1.0) {
      with_position = std::move(m);
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(with_position.empty()) << "open_positions never became 1 within " << kPollBudget.count()
                                      << " s; the entry should fill on bar " << kSecondEntryBar;
  EXPECT_GT(Sample(with_position, "ledger_last_seq").value_or(0), *first_seq) << "bars ran between the scrapes";
  EXPECT_GT(Sample(with_position, "orders_submitted_total{result=\"filled\"}").value_or(0), 0.0) << with_position;
  EXPECT_EQ(Sample(with_position, "circuit_breaker_active"), 0.0) << with_position;

  for (const std::string& name : readme_names) {
    EXPECT_THAT(with_position, HasSubstr("# TYPE " + name + " ")) << name << " (README) is not exposed";
  }

  // promtool: exit 1 is a parse failure; 3 is lint findings. The linter's only
  // allowed findings are the two runbook names ending in _sec and the seed's
  // avg_holding_time_hours (kept as the runbook and the seed spell them,
  // README: "its linter objects only to ...").
  const std::string file = tmp.Sub("metrics.txt");
  std::ofstream(file, std::ios::trunc) << with_position;
  SpawnOptions plain;
  plain.cwd = tmp.path();
  const Outcome checked = RunToEnd({"/bin/sh", "-c", "exec \"$0\" check metrics < \"$1\"", promtool, file}, plain,
                                   kStartTimeout);
  ASSERT_TRUE(checked.status.exited) << checked;
  EXPECT_NE(checked.status.code, 1) << "promtool could not parse /metrics\n" << checked << "\n" << with_position;
  const std::set<std::string> allowed = {
      "loop_last_tick_age_sec metric names should not contain abbreviated units",
      "ws_last_message_age_sec metric names should not contain abbreviated units",
      "avg_holding_time_hours use base unit \"seconds\" instead of \"hours\"",
  };
  for (const std::string& line : Lines(checked.out + "\n" + checked.err)) {
    const std::string l(absl::StripAsciiWhitespace(line));
    if (l.empty()) continue;
    EXPECT_TRUE(allowed.count(l)) << "promtool: " << l << "\n" << checked;
  }

  EXPECT_STOPPED_CLEANLY(bot->Stop());
}

// ---------------------------------------------------------------------------
// 6. One webhook POST per incident.

class Receiver {
 public:
  Receiver() {
    server_.Post(R"(/.*)", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        bodies_.push_back(req.body);
      }
      res.set_content("ok", "text/plain");
    });
    server_.Get("/ready", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // An answered request proves the accept loop runs, so stop() cannot race it.
    Reply ready = HttpGet(port_, "/ready");
    EXPECT_EQ(ready.status, 200) << "receiver did not start: " << ready;
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string Url() const { return absl::StrCat("http://127.0.0.1:", port_, "/hook"); }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }

 private:
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
};

TEST(OpsApiTest, AlertFiresOncePerIncident) {
  Receiver receiver;
  TempDir tmp;
  const BotDirs dirs = DirsIn(tmp, "alert");
  // The bot drains its alerts before it exits, so after the exit the
  // receiver holds all it will get.
  const Outcome run = RunBotToEnd(tmp, dirs, kBreakerRunBars,
                                  {"MONITORING__ALERTS_ENABLED=true", "ALERT_WEBHOOKS=" + receiver.Url()});
  ASSERT_TRUE(run.status.Exited(0)) << run;
  ASSERT_THAT(run.out, HasSubstr("CIRCUIT BREAKER ACTIVE"))
      << "the breaker should trip once, on bar " << kBreakerBar << "\n" << run;
  const std::vector<std::string> bodies = receiver.bodies();
  size_t breaker = 0;
  for (const std::string& body : bodies) breaker += absl::StrContains(body, "Circuit breaker") ? 1 : 0;
  EXPECT_EQ(breaker, 1u) << "bodies received:\n" << absl::StrJoin(bodies, "\n");
  const std::string log = ReadFileText(dirs.log());
  EXPECT_GE(CountLinesWith(log, "\"alert_sent\""), 1u) << log.substr(0, 4000);
  EXPECT_THAT(log, Not(HasSubstr(receiver.Url()))) << "the webhook URL (a secret) was logged";
}

// ---------------------------------------------------------------------------
// 7. A non-loopback API needs a token.

TEST(OpsApiTest, NonLoopbackApiWithoutTokenRefusesToStart) {
  TempDir tmp;
  const BotDirs dirs = DirsIn(tmp, "exposed");
  const std::string data = WriteFirstBars(tmp.Sub("exposed.csv"), 2);
  const Outcome refused =
      RunToEnd(BotArgs(dirs, data, "realtime"), ChildOptions(dirs, {"API__HOST=0.0.0.0"}), kStartTimeout);
  EXPECT_TRUE(refused.status.exited && refused.status.code != 0) << refused;
  EXPECT_EQ(Lines(refused.err).size(), 1u) << refused;
  EXPECT_THAT(refused.err, HasSubstr("api.host")) << refused;
  EXPECT_THAT(refused.err, HasSubstr("OPERATOR_API_TOKEN")) << refused;
  EXPECT_THAT(refused.out, Not(HasSubstr(kStartedPrefix))) << refused;

  auto bot = RunningBot::Start(dirs, data, "realtime",
                               {"API__HOST=0.0.0.0", absl::StrCat("OPERATOR_API_TOKEN=", kToken)});
  ASSERT_NE(bot, nullptr);
  EXPECT_EQ(bot->api_host(), "0.0.0.0");
  Reply health = bot->Get("/health");  // over loopback only
  EXPECT_EQ(health.status, 200) << health;
  EXPECT_STOPPED_CLEANLY(bot->Stop());
}

// ---------------------------------------------------------------------------
// 8. SIGHUP reopens bot.log (logrotate's rename-then-HUP).

TEST(OpsApiTest, SighupReopensTheLog) {
  TempDir tmp;
  const BotDirs dirs = DirsIn(tmp, "hup");
  auto bot = StartQuietBot(tmp, dirs, 0, WithToken());
  ASSERT_NE(bot, nullptr);

  const std::string rotated = dirs.log() + ".1";
  std::error_code ec;
  std::filesystem::rename(dirs.log(), rotated, ec);
  ASSERT_FALSE(ec) << ec.message();
  // The bot recreates bot.log when it reopens it; wait for that before making
  // it log, so the line cannot race the reopen.
  ASSERT_TRUE(WaitForCreation(dirs.logs, "bot.log", [&] { ASSERT_TRUE(bot->Signal(SIGHUP)); }));

  Reply pause = bot->Post("/pause", kToken, "after the rotation");
  ASSERT_EQ(pause.status, 200) << pause;
  EXPECT_STOPPED_CLEANLY(bot->Stop());

  const std::string fresh = ReadFileText(dirs.log());
  const std::string old = ReadFileText(rotated);
  EXPECT_THAT(fresh, HasSubstr("\"operator_command\"")) << fresh;
  EXPECT_THAT(fresh, HasSubstr("after the rotation")) << fresh;
  EXPECT_THAT(fresh, Not(HasSubstr("\"lock_acquired\""))) << "old lines went to the new file\n" << fresh;
  EXPECT_THAT(old, HasSubstr("\"lock_acquired\"")) << "the rotated file lost its lines\n" << old;
  EXPECT_THAT(old, Not(HasSubstr("\"operator_command\""))) << "the rotated file still gets lines\n" << old;
}

// ---------------------------------------------------------------------------
// 9. Hostile requests, without a socket or a bot (OperatorApiHandler: the
// same parser, routes and handlers): bad numbers, oversized and malformed
// bodies and broken HTTP get a 4xx with a one-line JSON error, never a
// crash, a hang or a command.

class OpsApiRequests : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ledger = ledger::Ledger::OpenWriter(tmp_.Sub("ledger"));
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    std::vector<Event> events = testing::OneOfEach();
    ASSERT_TRUE(ledger::AppendEvents(**ledger, events, /*sync=*/false).ok());
    head_ = events.size();
    auto log = runtime::Log::Open(tmp_.Sub("bot.log"), runtime::LogLevel::kInfo);
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::make_unique<runtime::Log>(*std::move(log));
    views_.Publish(std::make_shared<runtime::EngineView>());
    ops::OperatorServerOptions options;
    options.token = kToken;
    options.ledger_dir = tmp_.Sub("ledger");
    options.command_timeout_ms = 0;  // nobody takes commands here: 503 at once
    options.gate = &gate_;
    api_ = std::make_unique<ops::OperatorApiHandler>(options, &views_, &inbox_, log_.get());
  }

  // One request; its status code and body (0 and "" when nothing came back).
  std::pair<int, std::string> Serve(const std::string& request) {
    const std::string response = api_->Serve(request);
    int status = 0;
    if (absl::StartsWith(response, "HTTP/1.1 ") && !absl::SimpleAtoi(response.substr(9, 3), &status)) status = 0;
    const size_t body = response.find("\r\n\r\n");
    return {status, body == std::string::npos ? "" : response.substr(body + 4)};
  }
  std::pair<int, std::string> Get(const std::string& target) {
    return Serve(absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  }
  std::pair<int, std::string> Post(const std::string& target, const std::string& body) {
    return Serve(absl::StrCat("POST ", target, " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-OPS-TOKEN: ", kToken,
                              "\r\nContent-Type: application/json\r\nContent-Length: ", body.size(), "\r\n\r\n", body));
  }
  // The commands the API handed to the engine since the last call.
  std::vector<runtime::OperatorCommand> Commands() {
    std::vector<runtime::OperatorCommand> out;
    for (auto& [cmd, promise] : inbox_.TakeAll()) out.push_back(cmd);
    return out;
  }

  TempDir tmp_;
  size_t head_ = 0;
  std::unique_ptr<runtime::Log> log_;
  runtime::ViewBoard views_;
  runtime::OperatorInbox inbox_;
  net::RateGate gate_{{{"binance", net::Quota{2400, absl::Minutes(1), 0}}, {"news", net::Quota{60, absl::Minutes(1), 20}}}};
  std::unique_ptr<ops::OperatorApiHandler> api_;
};

// A one-line JSON error, as every refusal is.
::testing::AssertionResult IsOneLineJsonError(const std::string& body) {
  const std::optional<Json> json = ParseJson(body);
  if (!json || !(*json)["error"].is_string()) return ::testing::AssertionFailure() << "not {\"error\": ...}: " << body;
  if (absl::StrContains(body, "\n")) return ::testing::AssertionFailure() << "more than one line: " << body;
  return ::testing::AssertionSuccess();
}

// The gate is reset only once the engine has journaled the reset: here no
// engine takes it (503), so the ban holds; an unknown provider is a 404
// naming those there are, and reaches no engine.
TEST_F(OpsApiRequests, RateGateResetIsJournaledBeforeTheGateIsTouched) {
  gate_.BackOff("binance", absl::Now() + absl::Hours(1), "HTTP 418: IP banned");
  auto [status, body] = Get("/ratelimit/status");
  ASSERT_EQ(status, 200);
  EXPECT_THAT(body, HasSubstr(R"({"provider":"binance","tokens":2400,"capacity":2400,"refill_per_sec":40,"backing_off":true,)"));
  EXPECT_THAT(body, HasSubstr(R"("last_backoff_reason":"HTTP 418: IP banned","backoffs":1,"waits":0,"refused":0})"));
  EXPECT_THAT(body, HasSubstr(R"({"provider":"news","tokens":20,"capacity":20,)"));

  std::tie(status, body) = Post("/ratelimit/reset/kraken", "{}");
  EXPECT_EQ(status, 404);
  EXPECT_TRUE(IsOneLineJsonError(body));
  EXPECT_THAT(body, HasSubstr("it has: binance, news"));
  EXPECT_TRUE(Commands().empty());

  std::tie(status, body) = Post("/ratelimit/reset/binance", R"({"reason":"support lifted it"})");
  EXPECT_EQ(status, 503) << body;
  std::vector<runtime::OperatorCommand> commands = Commands();
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0].kind, runtime::OperatorCommand::kResetRateLimit);
  EXPECT_EQ(commands[0].provider, "binance");
  EXPECT_EQ(commands[0].reason, "support lifted it");
  EXPECT_THAT(commands[0].detail, ::testing::MatchesRegex(
                                      R"(2400 of 2400 tokens, backing off 3[56][0-9]{2} s more \(HTTP 418: IP banned\))"));
  EXPECT_GT(gate_.BackoffUntil("binance"), absl::Now()) << "not journaled: the ban holds";
  ASSERT_TRUE(commands[0].on_journaled);
  commands[0].on_journaled();  // what the engine does once it is in the ledger
  EXPECT_EQ(gate_.BackoffUntil("binance"), absl::InfinitePast());
  EXPECT_THAT(ReadFileText(tmp_.Sub("bot.log")), HasSubstr(R"("event":"ratelimit_reset")"));
}

TEST_F(OpsApiRequests, HugeLimitOrTailIsA400OrABoundedPage) {
  for (const std::string bad : {"/events?limit=99999999999999999999", "/events?limit=1001", "/events?limit=-1",
                                "/events?tail=99999999999999999999", "/events?tail=-1", "/events?from=-5",
                                "/events?from=1e3", "/events?limit=", "/events?tail=%00"}) {
    const auto [status, body] = Get(bad);
    EXPECT_EQ(status, 400) << bad << ": " << body;
    EXPECT_TRUE(IsOneLineJsonError(body)) << bad;
  }
  for (const std::string page : {"/events?tail=18446744073709551615", "/events?from=18446744073709551615",
                                 "/events?limit=1000&tail=18446744073709551615"}) {
    const auto [status, body] = Get(page);
    ASSERT_EQ(status, 200) << page << ": " << body;
    const std::optional<Json> json = ParseJson(body);
    ASSERT_TRUE(json && (*json)["events"].is_array()) << page << ": " << body;
    EXPECT_LE((*json)["events"].a.size(), head_) << page;
    EXPECT_EQ((*json)["head"].n, static_cast<double>(head_)) << page;
  }
}

TEST_F(OpsApiRequests, OversizedBodyIsRefusedWith413AndNothingHappens) {
  const auto [status, body] = Post("/pause", std::string(ops::kMaxRequestBodyBytes + 1, 'x'));
  EXPECT_EQ(status, 413) << body;
  EXPECT_TRUE(IsOneLineJsonError(body));
  // Claimed but never sent: refused on the header alone.
  const auto [claimed, claimed_body] = Serve(absl::StrCat("POST /actions/kill-switch HTTP/1.1\r\nX-OPS-TOKEN: ", kToken,
                                                          "\r\nContent-Length: 99999999999\r\n\r\n{}"));
  EXPECT_EQ(claimed, 413) << claimed_body;
  EXPECT_TRUE(Commands().empty());
}

TEST_F(OpsApiRequests, MalformedJsonBodyIsA400AndNothingHappens) {
  for (const std::string bad : {"{\"reason\": \"unterminated", "{\"reason\": 5}", "{\"reason\": [\"a\"]}", "{",
                                "{\"reason\": \"a\"} trailing"}) {
    const auto [status, body] = Post("/actions/kill-switch", bad);
    EXPECT_EQ(status, 400) << bad << ": " << body;
    EXPECT_TRUE(IsOneLineJsonError(body)) << bad;
  }
  EXPECT_TRUE(Commands().empty()) << "a refused body still reached the engine";
}

TEST_F(OpsApiRequests, ReasonComesFromJsonTextOrQueryAndIsCut) {
  EXPECT_EQ(Post("/pause", "{\"reason\": \"maintenance\"}").first, 503);  // nobody takes it here
  EXPECT_EQ(Post("/pause", "  plain words  ").first, 503);
  EXPECT_EQ(Post("/pause?reason=from%20query", "").first, 503);
  EXPECT_EQ(Post("/pause", "{}").first, 503);
  EXPECT_EQ(Post("/pause", absl::StrCat("{\"reason\": \"", std::string(5000, 'r'), "\"}")).first, 503);
  const std::vector<runtime::OperatorCommand> commands = Commands();
  ASSERT_EQ(commands.size(), 5u);
  EXPECT_EQ(commands[0].reason, "maintenance");
  EXPECT_EQ(commands[1].reason, "plain words");
  EXPECT_EQ(commands[2].reason, "from query");
  EXPECT_EQ(commands[3].reason, "api");
  EXPECT_EQ(commands[4].reason, std::string(500, 'r'));
}

TEST_F(OpsApiRequests, KillEnabledFlagAndCloseSymbolAreReadOrRefusedWithOneLine) {
  for (const std::string bad : {"{}", "{\"enabled\": \"no\"}", "{\"enabled\": 0}", "plain text"}) {
    const auto [status, body] = Post("/kill", bad);
    EXPECT_EQ(status, 400) << bad << ": " << body;
    EXPECT_TRUE(IsOneLineJsonError(body)) << bad;
  }
  for (const std::string bad : {"{}", "{\"symbol\": 5}", "{\"symbol\": \"btc-usdt\"}", "{\"symbol\": \"\"}"}) {
    const auto [status, body] = Post("/actions/close", bad);
    EXPECT_EQ(status, 400) << bad << ": " << body;
    EXPECT_TRUE(IsOneLineJsonError(body)) << bad;
  }
  EXPECT_TRUE(Commands().empty()) << "a refused body still reached the engine";
  EXPECT_EQ(Post("/kill", "{\"enabled\": false, \"reason\": \"drill\"}").first, 503);  // nobody takes it here
  EXPECT_EQ(Post("/kill", "{\"enabled\": true}").first, 503);
  EXPECT_EQ(Post("/actions/close", "{\"symbol\": \"ETHUSDT\", \"reason\": \"trim\"}").first, 503);
  EXPECT_EQ(Post("/actions/close?symbol=SOLUSDT", "").first, 503);
  const std::vector<runtime::OperatorCommand> commands = Commands();
  ASSERT_EQ(commands.size(), 4u);
  EXPECT_EQ(commands[0].kind, runtime::OperatorCommand::kKillSwitch);
  EXPECT_EQ(commands[0].reason, "drill");
  EXPECT_EQ(commands[1].kind, runtime::OperatorCommand::kResume);
  EXPECT_EQ(commands[2].kind, runtime::OperatorCommand::kClose);
  EXPECT_EQ(commands[2].symbol, "ETHUSDT");
  EXPECT_EQ(commands[2].reason, "trim");
  EXPECT_EQ(commands[3].symbol, "SOLUSDT");
}

TEST_F(OpsApiRequests, BrokenHttpIsA4xxNotAHang) {
  for (const std::string& bad : {std::string("GARBAGE\r\n\r\n"), absl::StrCat("GET /health HTTP/1.1\r\nX-Long: ", std::string(9000, 'h'), "\r\n\r\n"),
                                absl::StrCat("GET /", std::string(20000, 'a'), " HTTP/1.1\r\n\r\n"),
                                absl::StrCat("POST /pause HTTP/1.1\r\nX-OPS-TOKEN: ", kToken,
                                             "\r\nContent-Length: 100\r\n\r\n{\"reason\""),
                                absl::StrCat("POST /pause HTTP/1.1\r\nX-OPS-TOKEN: ", kToken,
                                             "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")}) {
    const auto [status, body] = Serve(bad);
    EXPECT_GE(status, 400) << bad.substr(0, 80) << ": " << body;
    EXPECT_LT(status, 500) << bad.substr(0, 80) << ": " << body;
  }
  EXPECT_TRUE(Commands().empty());
}

}  // namespace
}  // namespace apollo
