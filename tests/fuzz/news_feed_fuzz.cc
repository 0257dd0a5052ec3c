// libFuzzer target: a news feed's body (engine/news/news.h), as a source
// on the internet may send it. Whatever the bytes, ParseFeed answers; a
// refusal is one line; what it accepts is at most kMaxFeedItems items, each
// with an id or a title, and every item journals within the event's bounds
// and classifies without trouble.
#include <cstdint>
#include <string>

#include "engine/news/news.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace apollo;
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::vector<news::FeedItem>> items = news::ParseFeed(text);
  if (!items.ok()) {
    FUZZ_CHECK(items.status().message().find('\n') == absl::string_view::npos);
    return 0;
  }
  FUZZ_CHECK(items->size() <= news::kMaxFeedItems);
  config::Config cfg;
  cfg.universe.symbols = {"BTCUSDT", "ETHUSDT"};
  cfg.news.max_age_hours = 24 * 365;
  for (const news::FeedItem& item : *items) FUZZ_CHECK(!item.id.empty() || !item.title.empty());
  for (const NewsIngested& n : news::ToIngested(*items, "fuzz", 1'765'580'000'000, cfg.news)) {
    FUZZ_CHECK(n.title.size() <= kMaxNewsTitleChars && n.summary.size() <= kMaxNewsSummaryChars);
    FUZZ_CHECK(n.item_id.size() <= kMaxNewsIdChars && n.link.size() <= kMaxNewsIdChars);
    FUZZ_CHECK(!news::Judge(n, cfg, cfg.Symbols()).empty());
  }
  return 0;
}
