// News as an entry filter, the seed's way: RSS and Atom feeds read into
// items, each item classified by keyword rules into a category and a risk
// (hack_exploit HIGH .9, exchange_outage HIGH .8, regulatory MEDIUM .7,
// macro_shock MEDIUM .65, anything else LOW .5) and matched to the traded
// symbols it names (BTCUSDT by "BTC" or "Bitcoin"). Pure: the poller
// (live/news_poller.h) fetches, the engine journals NewsIngested and the
// NewsClassified events Judge derives from it, and `replay decisions`
// derives them again.
//
//   ASSIGN_OR_RETURN(std::vector<news::FeedItem> items, news::ParseFeed(body));
//   for (NewsIngested& n : news::ToIngested(items, "coindesk", now_ms, cfg.news)) ...
//   for (NewsClassified& c : news::Judge(n, cfg, news::Traded(cfg, state))) ...   // c.risk, c.block_until_ns
#ifndef APOLLO_ENGINE_NEWS_NEWS_H_
#define APOLLO_ENGINE_NEWS_NEWS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/config/config.h"
#include "engine/domain/events.h"
#include "engine/domain/fixed.h"
#include "engine/domain/state.h"
#include "engine/domain/types.h"

namespace apollo::news {

// A feed larger than this is refused unread; items past kMaxFeedItems are
// not read (feeds list the newest first).
inline constexpr size_t kMaxFeedBytes = 4 << 20;
inline constexpr size_t kMaxFeedItems = 200;

// One item of a feed, its text as the feed has it with markup removed.
struct FeedItem {
  std::string id;  // RSS guid, Atom id; else the link
  std::string title, summary, link;
  int64_t published_ms = 0;  // 0: no date the parser could read (or one before 1990 or after 2099)
};

// RSS 2.0 (rss/channel/item), RSS 1.0 (rdf:RDF/item) or Atom 1.0
// (feed/entry). Anything else, malformed XML, a feed over kMaxFeedBytes or
// nested deeper than any feed is InvalidArgument saying which.
absl::StatusOr<std::vector<FeedItem>> ParseFeed(absl::string_view xml);

// Items ToIngested left out.
struct IngestCounts {
  uint64_t undated = 0;  // no date the parser could read (1990..2100)
  uint64_t too_old = 0;  // dated more than news.max_age_hours before the read
};

// The items worth journaling from `source`, read at fetched_ms: those dated
// within news.max_age_hours (an undated item could be years old), their
// texts cut to the event's bounds.
std::vector<NewsIngested> ToIngested(const std::vector<FeedItem>& items, const std::string& source,
                                     int64_t fetched_ms, const config::NewsConfig& cfg,
                                     IngestCounts* counts = nullptr);

struct Classification {
  std::string category;  // hack_exploit, exchange_outage, regulatory, macro_shock, other
  NewsRisk risk = NewsRisk::kLow;
  Fixed confidence;
};

// The first rule whose words appear in `text` (case and punctuation aside).
Classification Classify(absl::string_view text);

// The symbols of `traded` that `text` names, by base asset ("ETH" for
// ETHUSDT) or the coin's name ("Ethereum", "Ether"), in `traded`'s order.
std::vector<Symbol> Mentions(absl::string_view text, const std::vector<std::string>& traded);

// The symbols an item is matched against: the config's, every symbol with
// a journaled bar, and the universe (a venue-wide one names symbols the
// config does not). From the folded state, so replay derives the same.
std::vector<std::string> Traded(const config::Config& cfg, const State& state);

// One NewsClassified per symbol of `traded` the item's title or summary
// names (one with symbol "" when it names none), blocking entries from the
// item's time (published, or fetched if later or absent) for the risk's
// hours.
std::vector<NewsClassified> Judge(const NewsIngested& item, const config::Config& cfg,
                                  const std::vector<std::string>& traded);

}  // namespace apollo::news

#endif  // APOLLO_ENGINE_NEWS_NEWS_H_
