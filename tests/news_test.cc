// News as the seed reads it: real recorded RSS feeds (CoinDesk, Cointelegraph,
// Decrypt, The Block, December 2025) and RFC 4287's Atom example parsed into
// items, their real headlines classified by the seed's rules, the symbols
// they name found, and what a classification blocks and for how long.
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <thread>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "engine/live/news_poller.h"
#include "engine/net/rate_gate.h"
#include "engine/news/news.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace apollo {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Feed(const std::string& name) {
  std::ifstream in(absl::StrCat(APOLLO_SOURCE_DIR, "/tests/data/news/", name), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int64_t Ms(const char* rfc3339) {
  absl::Time t;
  std::string err;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &err)) << err;
  return absl::ToUnixMillis(t);
}

std::vector<news::FeedItem> Parse(const std::string& name) {
  absl::StatusOr<std::vector<news::FeedItem>> items = news::ParseFeed(Feed(name));
  EXPECT_TRUE(items.ok()) << name << ": " << items.status();
  return items.ok() ? *items : std::vector<news::FeedItem>{};
}

TEST(NewsFeed, CoinDesksRecordedFeedReadsEveryItemWithItsGuidTitleAndDate) {
  const std::vector<news::FeedItem> items = Parse("coindesk.rss");
  ASSERT_EQ(items.size(), 25u);
  EXPECT_EQ(items[0].id, "9aef2b42-3854-4f38-8336-c157cc2d05a1");
  EXPECT_EQ(items[0].title, "Citadel Securities and DeFi Waging War of Words Through SEC Correspondence")
      << "CDATA title, its trailing blank dropped";
  EXPECT_EQ(items[0].published_ms, Ms("2025-12-12T22:20:18Z"));
  EXPECT_THAT(items[0].link, HasSubstr("https://www.coindesk.com/"));
  for (const news::FeedItem& item : items) {
    EXPECT_FALSE(item.title.empty());
    EXPECT_GT(item.published_ms, Ms("2025-12-12T11:00:00Z")) << item.title;
    EXPECT_EQ(item.summary.find('<'), std::string::npos) << "markup removed: " << item.summary;
  }
}

TEST(NewsFeed, EachRecordedPublishersFeedReadsWithTimeZonesApplied) {
  EXPECT_EQ(Parse("cointelegraph.rss").size(), 30u);
  EXPECT_EQ(Parse("decrypt.rss").size(), 58u);
  const std::vector<news::FeedItem> block = Parse("theblock.rss");
  ASSERT_EQ(block.size(), 19u);
  EXPECT_EQ(block[0].published_ms, Ms("2025-12-12T22:33:11Z")) << "Fri, 12 Dec 2025 17:33:11 -0500";
  EXPECT_EQ(block[0].id, "https://www.theblock.co/post/382435");
}

TEST(NewsFeed, AnAtomFeedReadsItsEntries) {
  const std::vector<news::FeedItem> items = Parse("rfc4287_example.atom");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].id, "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a");
  EXPECT_EQ(items[0].title, "Atom-Powered Robots Run Amok");
  EXPECT_EQ(items[0].link, "http://example.org/2003/12/13/atom03");
  EXPECT_EQ(items[0].summary, "Some text.");
  EXPECT_EQ(items[0].published_ms, Ms("2003-12-13T18:30:02Z"));
}

TEST(NewsFeed, WhatIsNotAFeedIsRefusedWithWhy) {
  const std::string coindesk = Feed("coindesk.rss");
  auto error = [](const std::string& text) {
    absl::StatusOr<std::vector<news::FeedItem>> r = news::ParseFeed(text);
    return r.ok() ? std::string("parsed") : std::string(r.status().message());
  };
  EXPECT_THAT(error(coindesk.substr(0, coindesk.size() / 2)), HasSubstr("not XML"));
  EXPECT_THAT(error("<html><body>502 Bad Gateway</body></html>"), HasSubstr("not an RSS or Atom feed (root element html)"));
  EXPECT_THAT(error(""), HasSubstr("not an RSS or Atom feed"));
  std::string deep;
  for (int i = 0; i < 100'000; ++i) deep += "<a>";
  EXPECT_THAT(error(deep), HasSubstr("nests deeper"));
  EXPECT_THAT(error("<rss\">" + deep), HasSubstr("nests deeper")) << "a quote in a name opens no attribute value";
  EXPECT_THAT(error(std::string(news::kMaxFeedBytes + 1, ' ')), HasSubstr("over the"));
}

TEST(NewsFeed, HtmlInASummaryIsReducedToItsText) {
  const std::string rss = R"(<rss version="2.0"><channel><item><title>BTC &lt; $90K &amp; falling</title>)"
                          R"(<description>&lt;p&gt;Bitcoin&amp;nbsp;fell &amp;#8217;hard&amp;#x2019;&lt;/p&gt;</description>)"
                          R"(<guid>g1</guid><pubDate>Fri, 12 Dec 2025 16:04:27 GMT</pubDate></item></channel></rss>)";
  absl::StatusOr<std::vector<news::FeedItem>> items = news::ParseFeed(rss);
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].title, "BTC < $90K & falling");
  EXPECT_EQ((*items)[0].summary, "Bitcoin fell \xE2\x80\x99hard\xE2\x80\x99");
  EXPECT_EQ((*items)[0].published_ms, Ms("2025-12-12T16:04:27Z"));
}

TEST(NewsFeed, TextKeepsAnUnclosedAngleBracketAndSeparatesMarkedUpWords) {
  const std::string atom = R"(<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>e1</id>)"
                           R"(<title>ETH &lt;BTC dominance: exchange hacked</title>)"
                           R"(<content type="xhtml"><div><p>Exchange</p><p>outage</p></div></content>)"
                           R"(<updated>2025-12-12T10:00:00+00:00</updated></entry></feed>)";
  absl::StatusOr<std::vector<news::FeedItem>> items = news::ParseFeed(atom);
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].title, "ETH <BTC dominance: exchange hacked");
  EXPECT_EQ((*items)[0].summary, "Exchange outage");
}

TEST(NewsFeed, DatesReadInTheFormsFeedsUseAndImplausibleOnesAreNone) {
  auto date_of = [](const std::string& pub_date) {
    const std::string rss = absl::StrCat("<rss><channel><item><guid>g</guid><pubDate>", pub_date,
                                         "</pubDate></item></channel></rss>");
    absl::StatusOr<std::vector<news::FeedItem>> items = news::ParseFeed(rss);
    return items.ok() && items->size() == 1 ? (*items)[0].published_ms : -1;
  };
  const int64_t t = Ms("2025-12-12T16:04:27Z");
  EXPECT_EQ(date_of("Fri, 12 Dec 2025 16:04:27 +0000"), t);
  EXPECT_EQ(date_of("Fri, 12 Dec 2025 16:04:27 +00:00"), t);
  EXPECT_EQ(date_of("12 Dec 2025 11:04:27 EST"), t);
  EXPECT_EQ(date_of("Fri, 12 Dec 25 16:04:27 GMT"), t) << "a two-digit year";
  EXPECT_EQ(date_of("2025-12-12T16:04:27Z"), t);
  EXPECT_EQ(date_of("Thu, 01 Jan 1970 00:00:00 GMT"), 0) << "before 1990: no date";
  EXPECT_EQ(date_of("infinite-past"), 0);
  EXPECT_EQ(date_of("yesterday"), 0);
}

TEST(NewsFeed, UndatedItemsAreNotIngestedSinceTheirAgeIsUnknown) {
  std::vector<news::FeedItem> items = Parse("coindesk.rss");
  items[1].published_ms = 0;
  news::IngestCounts left_out;
  const std::vector<NewsIngested> in =
      news::ToIngested(items, "coindesk", Ms("2025-12-13T00:00:00Z"), config::NewsConfig{}, &left_out);
  EXPECT_EQ(in.size(), 24u);
  EXPECT_EQ(left_out.undated, 1u);
  EXPECT_EQ(left_out.too_old, 0u);
}

TEST(NewsFeed, ItemsOlderThanMaxAgeAreNotIngestedAndTextsAreCut) {
  std::vector<news::FeedItem> items = Parse("coindesk.rss");
  items[0].title = std::string(1000, 'x');
  config::NewsConfig cfg;
  cfg.max_age_hours = 6;
  const int64_t now = Ms("2025-12-13T00:00:00Z");
  const std::vector<NewsIngested> in = news::ToIngested(items, "coindesk", now, cfg);
  // 2025-12-12 18:00 and later: 3 of the 25.
  ASSERT_EQ(in.size(), 3u);
  EXPECT_EQ(in[0].title.size(), kMaxNewsTitleChars);
  EXPECT_EQ(in[0].source, "coindesk");
  EXPECT_EQ(in[0].fetched_ms, now);
  EXPECT_EQ(in[2].title, "Interactive Brokers Now Accepts Stablecoins in a Bid to Remain Competitive");
}

TEST(NewsClassifier, RealHeadlinesGetTheSeedsCategoriesAndRisks) {
  auto category = [](const char* headline) {
    const news::Classification c = news::Classify(headline);
    return absl::StrCat(c.category, " ", EnumName(c.risk), " ", c.confidence.ToString());
  };
  EXPECT_EQ(category("Upbit hack puts Binance\xE2\x80\x99s emergency freeze policy under scrutiny"), "hack_exploit HIGH 0.9");
  EXPECT_EQ(category("Bitcoin bounces on Fed rate cut with bigger rally ahead predicted"), "macro_shock MEDIUM 0.65");
  EXPECT_EQ(category("SEC clears DTCC to offer securities market tokenization service"), "regulatory MEDIUM 0.7");
  EXPECT_EQ(category("Florida Seizes $1.5M in Dogecoin, Pepe and Solana Over Case Tied to Chinese National"),
            "regulatory MEDIUM 0.7");
  EXPECT_EQ(category("Hedera Tumbles 4% as Altcoins Continue to Suffer"), "other LOW 0.5");
  // Whole words: "Bank" is not "ban".
  EXPECT_EQ(category("UK MPs warn Bank of England stablecoin plans could drive innovation offshore"), "other LOW 0.5");
  EXPECT_EQ(category("Exchange suspends withdrawals after wallet outage"), "exchange_outage HIGH 0.8");
}

TEST(NewsClassifier, ASymbolIsNamedByItsTickerOrItsCoinsName) {
  const std::vector<std::string> traded = {"BTCUSDT", "DOGEUSDT", "ETHUSDT", "1000PEPEUSDT", "SOLUSDT"};
  EXPECT_THAT(news::Mentions("Ether price rallied 260% last time this happened: Can ETH reach $5K?", traded),
              ElementsAre(Symbol{"ETHUSDT"}));
  EXPECT_THAT(news::Mentions("Florida Seizes $1.5M in Dogecoin, Pepe and Solana Over Case Tied to Chinese National", traded),
              ElementsAre(Symbol{"DOGEUSDT"}, Symbol{"1000PEPEUSDT"}, Symbol{"SOLUSDT"}));
  EXPECT_THAT(news::Mentions("Bitcoin decouples from stocks in second half of 2025", traded), ElementsAre(Symbol{"BTCUSDT"}));
  EXPECT_TRUE(news::Mentions("Tether offers to buy Juventus", traded).empty());
  EXPECT_TRUE(news::Mentions("Bitcoiners rejoice", traded).empty()) << "a whole word only";
}

class NewsJudge : public ::testing::Test {
 protected:
  NewsJudge() { cfg_.universe.symbols = {"BTCUSDT", "ETHUSDT"}; }
  NewsIngested Item(const char* title, int64_t published_ms) {
    return NewsIngested{"coindesk", "id-1", title, "", "https://example.org/1", published_ms, kFetchedMs};
  }
  static constexpr int64_t kFetchedMs = 1'765'580'000'000;
  static constexpr int64_t kHourNs = 3'600'000'000'000;
  config::Config cfg_;
};

TEST_F(NewsJudge, AHighItemBlocksTheSymbolsItNamesForHighRiskBlockHoursFromItsDate) {
  const int64_t published = kFetchedMs - 3'600'000;
  const std::vector<NewsClassified> c = news::Judge(Item("Bitcoin and Ether bridge hacked", published), cfg_, news::Traded(cfg_, State{}));
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].symbol, Symbol{"BTCUSDT"});
  EXPECT_EQ(c[1].symbol, Symbol{"ETHUSDT"});
  EXPECT_EQ(c[0].risk, NewsRisk::kHigh);
  EXPECT_EQ(c[0].headline, "Bitcoin and Ether bridge hacked");
  EXPECT_EQ(c[0].block_until_ns, published * 1'000'000 + 24 * kHourNs);
}

TEST_F(NewsJudge, AMediumItemBlocksForMediumRiskBlockHoursAndALowOneNotAtAll) {
  cfg_.news.medium_risk_block_hours = *Fixed::Parse("1.5");
  const auto medium = news::Judge(Item("Bitcoin bounces on Fed rate cut", kFetchedMs), cfg_, news::Traded(cfg_, State{}));
  ASSERT_EQ(medium.size(), 1u);
  EXPECT_EQ(medium[0].block_until_ns, kFetchedMs * 1'000'000 + 3 * kHourNs / 2);
  const auto low = news::Judge(Item("Bitcoin decouples from stocks", kFetchedMs), cfg_, news::Traded(cfg_, State{}));
  ASSERT_EQ(low.size(), 1u);
  EXPECT_EQ(low[0].risk, NewsRisk::kLow);
  EXPECT_EQ(low[0].block_until_ns, 0);
}

TEST_F(NewsJudge, AnItemNamingNoTradedSymbolIsRecordedWithoutABlock) {
  const auto c = news::Judge(Item("Upbit hack puts Binance's emergency freeze policy under scrutiny", kFetchedMs), cfg_, news::Traded(cfg_, State{}));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].symbol, Symbol{});
  EXPECT_EQ(c[0].risk, NewsRisk::kHigh);
  EXPECT_EQ(c[0].block_until_ns, 0);
}

TEST_F(NewsJudge, TheSymbolsOfAVenueWideUniverseAreNamedToo) {
  State state;
  state.universe = {Symbol{"SOLUSDT"}};
  state.universe_updated_ns = 1;
  const auto c = news::Judge(Item("Solana validators hacked", kFetchedMs), cfg_, news::Traded(cfg_, state));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].symbol, Symbol{"SOLUSDT"});
  EXPECT_GT(c[0].block_until_ns, 0);
}

TEST_F(NewsJudge, AFutureDateCountsFromWhenTheItemWasRead) {
  const auto c = news::Judge(Item("Ethereum exploit drains bridge", kFetchedMs + 86'400'000), cfg_, news::Traded(cfg_, State{}));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].block_until_ns, kFetchedMs * 1'000'000 + 24 * kHourNs);
}

// Each feed read takes a token from the rate gate's "news" bucket: with one
// token an hour, the first source is read and the second is not even
// asked (its read fails naming the gate), and the feed server sees one GET.
TEST(NewsPollerGate, AReadBeyondTheNewsQuotaIsNotSent) {
  httplib::Server feeds;
  std::atomic<int> gets{0};
  const std::string feed = Feed("coindesk.rss");
  feeds.Get(R"(/.*)", [&](const httplib::Request&, httplib::Response& res) {
    ++gets;
    res.set_content(feed, "application/rss+xml");
  });
  const int port = feeds.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { feeds.listen_after_bind(); });

  config::NewsConfig cfg;
  cfg.enabled = true;
  cfg.source_timeout_sec = 1;
  for (const char* name : {"first", "second"}) {
    cfg.sources.push_back(config::NewsSource{name, absl::StrCat("http://127.0.0.1:", port, "/", name, ".rss")});
  }
  net::RateGate gate({{"news", net::Quota{1, absl::Hours(1), 1}}});
  std::vector<live::NewsPoller::Read> reads;
  {
    live::NewsPoller poller(cfg, [] { return absl::ToUnixMillis(absl::Now()); }, &gate);
    poller.Start();
    // The poller offers no signal: look at what it read until both sources
    // are in (bounded).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (reads.size() < 2 && std::chrono::steady_clock::now() < deadline) {
      for (live::NewsPoller::Read& r : poller.Take()) reads.push_back(std::move(r));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  feeds.stop();
  serving.join();
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[0].source, "first");
  EXPECT_TRUE(reads[0].status.ok()) << reads[0].status;
  EXPECT_EQ(reads[1].source, "second");
  EXPECT_EQ(reads[1].status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(reads[1].status.message()), HasSubstr("rate gate: news is out of its quota"));
  EXPECT_EQ(gets.load(), 1);
  EXPECT_EQ(gate.Snapshot().at(0).refused, 1u);
}

}  // namespace
}  // namespace apollo
