// The PnL dashboard (GET /pnl_dashboard.html) in a real headless browser
// (Debian's chromium): it loads from the bot alone without a console
// message, and every number it shows is the one /state, /pnl_daily and
// /trades give; /pnl_daily agrees with the audit tool's pnl_daily.csv; the
// page holds no token and fetches nothing from elsewhere.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <simdjson.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/cli.h"
#include "tests/support/paper_bot.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

#if !defined(BOT_BIN) || !defined(REPLAY_BIN) || !defined(APOLLO_SOURCE_DIR)
#error "BOT_BIN, REPLAY_BIN and APOLLO_SOURCE_DIR must be defined"
#endif

namespace apollo {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::Process;
using testing::TempDir;
namespace fs = std::filesystem;

constexpr char kChromium[] = "/usr/bin/chromium";
constexpr char kToken[] = "dashboard-test-token-7f3a";
// Bars the run has done before the browser looks: it ends holding a
// position, with closes on many days behind it.
constexpr size_t kBars = 5200;
constexpr int kRefreshSec = 7;

double Num(simdjson::dom::element e) {
  if (e.is_double()) return e.get_double().value();
  if (e.is_int64()) return static_cast<double>(e.get_int64().value());
  if (e.is_uint64()) return static_cast<double>(e.get_uint64().value());
  ADD_FAILURE() << "not a number: " << simdjson::to_string(e);
  return NAN;
}
double Num(const std::string& text) {
  double v = NAN;
  EXPECT_TRUE(absl::SimpleAtod(text, &v)) << "'" << text << "'";
  return v;
}

// The attributes of the first tag `tag_regex` matches in `html`.
std::map<std::string, std::string> Attributes(const std::string& tag) {
  static const std::regex attr(R"re(([a-zA-Z-]+)="([^"]*)")re");
  std::map<std::string, std::string> out;
  for (auto it = std::sregex_iterator(tag.begin(), tag.end(), attr); it != std::sregex_iterator(); ++it) {
    out[(*it)[1].str()] = (*it)[2].str();
  }
  return out;
}
std::vector<std::string> Tags(const std::string& html, const std::string& pattern) {
  const std::regex re(pattern);
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), re); it != std::sregex_iterator(); ++it) {
    out.push_back((*it)[0].str());
  }
  return out;
}
// data-value of the element with `id`.
double ValueOf(const std::string& html, const std::string& id) {
  const auto tags = Tags(html, absl::StrCat("<[a-z]+ [^>]*id=\"", id, "\"[^>]*>"));
  EXPECT_EQ(tags.size(), 1u) << id;
  if (tags.empty()) return NAN;
  const auto a = Attributes(tags[0]);
  auto v = a.find("data-value");
  EXPECT_NE(v, a.end()) << id << " shows no value: " << tags[0];
  return v == a.end() ? NAN : Num(v->second);
}
// The text between the element with `id`'s tag and its end.
std::string TextOf(const std::string& html, const std::string& id) {
  const std::regex re(absl::StrCat("id=\"", id, "\"[^>]*>([^<]*)<"));
  std::smatch m;
  return std::regex_search(html, m, re) ? m[1].str() : "(absent)";
}
// The rows of table `id`'s body: each its <td data-k=...> values by key, plus "@" = the row's data-* attribute.
std::vector<std::map<std::string, std::string>> Rows(const std::string& html, const std::string& id,
                                                     const std::string& row_key) {
  std::vector<std::map<std::string, std::string>> rows;
  const size_t table = html.find(absl::StrCat("id=\"", id, "\""));
  if (table == std::string::npos) return rows;
  const std::string body = html.substr(table, html.find("</table>", table) - table);
  static const std::regex row_re(R"re(<tr ([^>]*)>(.*?)</tr>)re");
  static const std::regex cell_re(R"re(<td [^>]*data-k="([a-z_]+)"[^>]*>)re");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), row_re); it != std::sregex_iterator(); ++it) {
    std::map<std::string, std::string> row;
    row["@"] = Attributes((*it)[1].str())[row_key];
    const std::string cells = (*it)[2].str();
    for (auto c = std::sregex_iterator(cells.begin(), cells.end(), cell_re); c != std::sregex_iterator(); ++c) {
      row[(*c)[1].str()] = Attributes((*c)[0].str())["data-value"];
    }
    rows.push_back(row);
  }
  return rows;
}

class Dashboard : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kChromium, X_OK) != 0) GTEST_SKIP() << kChromium << " is not installed (make test installs chromium)";
    // Held between bars: its numbers hold still while the browser reads them.
    ASSERT_TRUE(bot_.Hold(tmp_.Sub("ledger"), kBars).ok());
    port_ = bot_.api_port();
  }

  // GET from the bot: status and body.
  std::pair<int, std::string> Get(const std::string& path, httplib::Headers* headers = nullptr) {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(30, 0);
    auto res = client.Get(path);
    if (!res) return {0, httplib::to_string(res.error())};
    if (headers != nullptr) *headers = res->headers;
    return {res->status, res->body};
  }
  simdjson::dom::element Json(const std::string& path) {
    auto [status, body] = Get(path);
    EXPECT_EQ(status, 200) << path << ": " << body;
    bodies_.push_back(std::make_unique<simdjson::dom::parser>());
    simdjson::dom::element e;
    EXPECT_EQ(bodies_.back()->parse(body).get(e), simdjson::SUCCESS) << path << ": " << body;
    return e;
  }

  // The page as headless chromium has it once its scripts ran, and what the
  // browser logged (its console among it).
  struct Browsed {
    std::string dom, log;
  };
  Browsed Browse(const std::string& url) {
    const std::string profile = tmp_.Sub(absl::StrCat("chromium-", ++browses_));
    auto p = Process::Spawn({kChromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--disable-background-networking", "--disable-component-update", "--disable-sync",
                             "--user-data-dir=" + profile, "--virtual-time-budget=5000", "--enable-logging=stderr",
                             "--v=0", "--dump-dom", url});
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) return {};
    const testing::ExitStatus st = (*p)->Wait(120s);
    EXPECT_TRUE(st.Exited(0)) << st << "\n" << (*p)->err();
    return {(*p)->out(), (*p)->err()};
  }

  TempDir tmp_;
  testing::PaperBot bot_{BOT_BIN, tmp_,
                         {absl::StrCat("API__DASHBOARD_REFRESH_SEC=", kRefreshSec), absl::StrCat("OPERATOR_API_TOKEN=", kToken),
                          "ANALYTICS__ENABLED=false"}};
  int port_ = 0;
  int browses_ = 0;
  std::vector<std::unique_ptr<simdjson::dom::parser>> bodies_;
};

TEST_F(Dashboard, ThePageLoadsWithoutAConsoleMessageAndShowsWhatStateAndPnlDailySay) {
  const std::string url = absl::StrCat("http://127.0.0.1:", port_, "/pnl_dashboard.html");
  // A strategy at half weight is shown as such.
  {
    httplib::Client client("127.0.0.1", port_);
    auto res = client.Post("/strategy/weights", {{"X-OPS-TOKEN", kToken}},
                           R"({"weights": {"trend_following_v1": 0.5}, "reason": "dashboard test"})", "application/json");
    ASSERT_TRUE(res && res->status == 200) << (res ? res->body : httplib::to_string(res.error()));
  }
  // The bot is between bars, but read the page and the API at one ledger
  // seq anyway: a bar that lands in between makes the pair read again.
  Browsed page;
  simdjson::dom::element state;
  for (int attempt = 0; attempt < 3; ++attempt) {
    page = Browse(url);
    state = Json("/state");
    if (TextOf(page.dom, "problem").empty() &&
        absl::StrContains(page.dom, absl::StrCat("data-ledger-seq=\"", state["last_seq"].get_uint64().value(), "\""))) {
      break;
    }
  }
  EXPECT_THAT(page.log, Not(HasSubstr(":CONSOLE"))) << "the page logged to its console";
  EXPECT_EQ(TextOf(page.dom, "problem"), "") << "the page reported a problem";
  ASSERT_THAT(page.dom, HasSubstr(absl::StrCat("data-ledger-seq=\"", state["last_seq"].get_uint64().value(), "\"")));
  EXPECT_THAT(page.dom, HasSubstr(absl::StrCat("every ", kRefreshSec, " s"))) << "api.dashboard_refresh_sec";

  // Status.
  EXPECT_EQ(TextOf(page.dom, "mode"), "PAPER");
  EXPECT_EQ(TextOf(page.dom, "trading"), "TRADING");
  EXPECT_EQ(TextOf(page.dom, "weights"), "trend_following_v1 ×0.5");

  // Open positions with their unrealised PnL at the last close.
  simdjson::dom::object positions = state["positions"].get_object().value();
  ASSERT_GE(positions.size(), 1u) << "the run was meant to end holding a position";
  const auto rows = Rows(page.dom, "positions", "data-symbol");
  ASSERT_EQ(rows.size(), positions.size());
  double open_pnl = 0;
  for (const auto& row : rows) {
    simdjson::dom::element p = positions[row.at("@")].value();
    const double mark = Num(state["last_bars"][row.at("@")]["close"].value());
    const double entry = Num(p["entry_price"].value()), qty = Num(p["qty"].value());
    const double pnl = (std::string(p["side"].get_string().value()) == "BUY" ? mark - entry : entry - mark) * qty;
    open_pnl += pnl;
    EXPECT_NEAR(Num(row.at("qty")), qty, 1e-9) << row.at("@");
    EXPECT_NEAR(Num(row.at("entry_price")), entry, 1e-9) << row.at("@");
    EXPECT_NEAR(Num(row.at("mark")), mark, 1e-9) << row.at("@");
    EXPECT_NEAR(Num(row.at("unrealized_pnl")), pnl, 1e-6) << row.at("@");
  }
  const double balance = Num(state["balance"].value());
  EXPECT_NEAR(ValueOf(page.dom, "balance"), balance, 1e-6);
  EXPECT_NEAR(ValueOf(page.dom, "open-pnl"), open_pnl, 1e-6);
  EXPECT_NEAR(ValueOf(page.dom, "equity"), balance + open_pnl, 1e-6);
  EXPECT_NEAR(ValueOf(page.dom, "realized-pnl"), Num(state["realized_pnl"].value()), 1e-6);
  EXPECT_NEAR(ValueOf(page.dom, "fees-paid"), Num(state["fees_paid"].value()), 1e-6);
  EXPECT_NEAR(ValueOf(page.dom, "drawdown-pct"), Num(state["drawdown_pct"].value()), 1e-9);
  EXPECT_NEAR(ValueOf(page.dom, "max-drawdown-pct"), Num(state["max_drawdown_pct"].value()), 1e-9);
  EXPECT_EQ(ValueOf(page.dom, "trades-closed"), Num(state["counters"]["trades_closed"].value()));
  EXPECT_EQ(ValueOf(page.dom, "wins"), Num(state["counters"]["wins"].value()));

  // Daily PnL bars: the last 60 days of /pnl_daily, each its net.
  simdjson::dom::array days = Json("/pnl_daily")["days"].get_array().value();
  ASSERT_GE(days.size(), 3u);
  const auto bars = Tags(page.dom, "<rect [^>]*data-date=\"[^\"]*\"[^>]*>");
  ASSERT_EQ(bars.size(), std::min<size_t>(days.size(), 60));
  for (size_t i = 0; i < bars.size(); ++i) {
    simdjson::dom::element day = days.at(days.size() - bars.size() + i).value();
    const auto a = Attributes(bars[i]);
    EXPECT_EQ(a.at("data-date"), std::string(day["date"].get_string().value()));
    EXPECT_NEAR(Num(a.at("data-net")), Num(day["net_pnl"].value()), 1e-6) << a.at("data-date");
  }

  // Recent closes: /trades' newest 20, newest first.
  simdjson::dom::array trades = Json("/trades?limit=20")["trades"].get_array().value();
  const auto trade_rows = Rows(page.dom, "trades", "data-seq");
  ASSERT_EQ(trade_rows.size(), std::min<size_t>(trades.size(), 20));
  ASSERT_GE(trade_rows.size(), 2u);
  for (size_t i = 0; i < trade_rows.size(); ++i) {
    simdjson::dom::element t = trades.at(i).value();
    EXPECT_EQ(trade_rows[i].at("@"), absl::StrCat(t["seq"].get_uint64().value()));
    EXPECT_NEAR(Num(trade_rows[i].at("net_pnl")), Num(t["net_pnl"].value()), 1e-6);
  }
  EXPECT_EQ(static_cast<double>(Json("/trades?limit=1000")["trades"].get_array().value().size()),
            Num(state["counters"]["trades_closed"].value()))
      << "every close is a trade";

  // The equity curve: thinned to what was asked, the last bar and the deepest drawdown kept.
  simdjson::dom::element full = Json("/equity?points=10000"), thin = Json("/equity?points=50");
  const uint64_t count = full["count"].get_uint64().value();
  EXPECT_EQ(full["points"].get_array().value().size(), count);
  EXPECT_LE(thin["points"].get_array().value().size(), 50u);
  EXPECT_EQ(Num(thin["max_drawdown_pct"].value()), Num(full["max_drawdown_pct"].value()));
  EXPECT_EQ(thin["points"].get_array().value().at(thin["points"].get_array().value().size() - 1)["seq"].get_uint64().value(),
            full["points"].get_array().value().at(count - 1)["seq"].get_uint64().value());
  EXPECT_EQ(Get("/equity?points=9").first, 400);
  EXPECT_EQ(Get("/trades?limit=0").first, 400);
}

TEST_F(Dashboard, PnlDailyIsTheAuditToolsPnlDailyCsv) {
  // replay export over the same ledger, while the bot runs.
  const std::string out = tmp_.Sub("export");
  const testing::ToolRun run = testing::RunTool({REPLAY_BIN, "export", "--ledger", tmp_.Sub("ledger"), "--out", out});
  ASSERT_TRUE(run.status.Exited(0)) << run.err;
  const std::vector<std::string> lines = testing::Lines(testing::ReadFile(fs::path(out) / "pnl_daily.csv"));
  ASSERT_FALSE(lines.empty());
  ASSERT_EQ(lines[0], "date,realized_pnl,fees,funding,equity_close,trades");
  simdjson::dom::array days = Json("/pnl_daily")["days"].get_array().value();
  ASSERT_EQ(lines.size() - 1, days.size()) << "one row per day";
  for (size_t i = 0; i < days.size(); ++i) {
    const std::vector<std::string> csv = absl::StrSplit(lines[i + 1], ',');
    simdjson::dom::element d = days.at(i).value();
    EXPECT_EQ(csv[0], std::string(d["date"].get_string().value()));
    EXPECT_NEAR(Num(csv[1]), Num(d["realized_pnl"].value()), 1e-9) << csv[0];
    EXPECT_NEAR(Num(csv[2]), Num(d["fees"].value()), 1e-9) << csv[0];
    EXPECT_NEAR(Num(csv[3]), Num(d["funding"].value()), 1e-9) << csv[0];
    EXPECT_NEAR(Num(csv[4]), Num(d["equity_close"].value()), 1e-9) << csv[0];
    EXPECT_NEAR(Num(csv[1]) - Num(csv[2]) + Num(csv[3]), Num(d["net_pnl"].value()), 1e-9) << csv[0];
    EXPECT_EQ(csv[5], absl::StrCat(d["trades"].get_uint64().value())) << csv[0];
  }
}

TEST_F(Dashboard, ThePageIsSelfContainedReadOnlyAndHoldsNoToken) {
  httplib::Headers headers;
  auto [status, page] = Get("/pnl_dashboard.html", &headers);
  ASSERT_EQ(status, 200);
  EXPECT_THAT(headers.find("Content-Type")->second, HasSubstr("text/html"));
  EXPECT_THAT(headers.find("Content-Security-Policy")->second, HasSubstr("default-src 'none'"));
  EXPECT_THAT(page, Not(HasSubstr(kToken)));
  EXPECT_THAT(page, Not(HasSubstr("X-OPS-TOKEN")));
  EXPECT_THAT(page, Not(HasSubstr("__REFRESH_SEC__")));
  // No script, style, font or image from elsewhere, and nothing but GETs.
  EXPECT_TRUE(Tags(page, R"re((src|href)="(https?:)?//)re").empty());
  EXPECT_THAT(page, Not(HasSubstr("@import")));
  EXPECT_THAT(page, Not(HasSubstr("method:")));
  std::smatch m;
  const std::regex fetches(R"re(get\("(/[^"?]*))re");
  std::vector<std::string> paths;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), fetches); it != std::sregex_iterator(); ++it) {
    paths.push_back((*it)[1].str());
  }
  EXPECT_THAT(paths, ::testing::UnorderedElementsAre("/health", "/state", "/pnl_daily", "/equity", "/trades"));
}

}  // namespace
}  // namespace apollo
