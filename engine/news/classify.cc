// Classify, Mentions and Judge: the seed's news rules (SEED_FACTS §3).
#include <algorithm>
#include <array>
#include <utility>

#include "absl/container/btree_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/news/news.h"

namespace apollo::news {
namespace {

// Lower-case words of letters and digits; anything else (punctuation,
// non-ASCII such as a curly apostrophe) separates them.
std::vector<std::string> Words(absl::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
      word.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

// Whether `phrase` (words separated by one space) occurs in `words`.
bool Contains(const std::vector<std::string>& words, absl::string_view phrase) {
  const std::vector<absl::string_view> parts = absl::StrSplit(phrase, ' ');
  for (size_t i = 0; i + parts.size() <= words.size(); ++i) {
    bool all = true;
    for (size_t j = 0; j < parts.size() && all; ++j) all = words[i + j] == parts[j];
    if (all) return true;
  }
  return false;
}

struct Rule {
  absl::string_view category;
  NewsRisk risk;
  absl::string_view confidence;
  std::vector<absl::string_view> phrases;
};

// Checked in order; the first rule with a phrase in the text wins.
const std::vector<Rule>& Rules() {
  static const std::vector<Rule>* const rules = new std::vector<Rule>{
      {"hack_exploit", NewsRisk::kHigh, "0.9",
       {"hack", "hacks", "hacked", "hacker", "hackers", "hacking", "exploit", "exploits", "exploited", "exploiter",
        "drain", "drained", "stolen", "theft", "heist", "breach", "breached", "compromised", "rug pull", "rugpull",
        "attacker", "attackers"}},
      {"exchange_outage", NewsRisk::kHigh, "0.8",
       {"outage", "outages", "downtime", "halts withdrawals", "halted withdrawals", "suspends withdrawals",
        "suspended withdrawals", "pauses withdrawals", "paused withdrawals", "withdrawals halted",
        "withdrawals suspended", "withdrawals paused", "halts trading", "halted trading", "trading halt",
        "trading halted", "delist", "delists", "delisted", "delisting", "insolvent", "insolvency", "bankrupt",
        "bankruptcy"}},
      {"regulatory", NewsRisk::kMedium, "0.7",
       {"sec", "cftc", "doj", "regulator", "regulators", "regulatory", "lawsuit", "lawsuits", "sues", "sued", "ban",
        "bans", "banned", "crackdown", "indicted", "indicts", "indictment", "charged", "sanction", "sanctions",
        "sanctioned", "subpoena", "seize", "seizes", "seized", "seizure", "probe", "enforcement"}},
      {"macro_shock", NewsRisk::kMedium, "0.65",
       {"fed", "fomc", "rate hike", "rate hikes", "rate cut", "rate cuts", "interest rate", "interest rates",
        "inflation", "cpi", "recession", "tariff", "tariffs", "jobs report", "powell"}},
  };
  return *rules;
}

// Names of the common coins besides their tickers.
constexpr std::array<std::pair<absl::string_view, absl::string_view>, 9> kCoinNames = {{
    {"btc", "bitcoin"}, {"btc", "xbt"}, {"eth", "ethereum"}, {"eth", "ether"}, {"sol", "solana"},
    {"ada", "cardano"}, {"doge", "dogecoin"}, {"xrp", "ripple"}, {"bnb", "binance coin"}}};

// "eth" for ETHUSDT, "pepe" for 1000PEPEUSDT.
std::string BaseAsset(std::string symbol) {
  symbol = absl::AsciiStrToLower(symbol);
  for (absl::string_view quote : {"fdusd", "usdt", "usdc", "busd", "usd"}) {
    if (absl::EndsWith(symbol, quote) && symbol.size() > quote.size()) {
      symbol.resize(symbol.size() - quote.size());
      break;
    }
  }
  for (absl::string_view multiple : {"1000000", "1000"}) {
    if (absl::StartsWith(symbol, multiple) && symbol.size() > multiple.size()) return symbol.substr(multiple.size());
  }
  return symbol;
}

}  // namespace

Classification Classify(absl::string_view text) {
  const std::vector<std::string> words = Words(text);
  for (const Rule& rule : Rules()) {
    for (absl::string_view phrase : rule.phrases) {
      if (Contains(words, phrase)) return {std::string(rule.category), rule.risk, *Fixed::Parse(rule.confidence)};
    }
  }
  return {"other", NewsRisk::kLow, *Fixed::Parse("0.5")};
}

std::vector<Symbol> Mentions(absl::string_view text, const std::vector<std::string>& traded) {
  const std::vector<std::string> words = Words(text);
  std::vector<Symbol> out;
  for (const std::string& symbol : traded) {
    const std::string base = BaseAsset(symbol);
    bool named = !base.empty() && Contains(words, base);
    for (const auto& [ticker, name] : kCoinNames) named = named || (ticker == base && Contains(words, name));
    if (named) out.push_back(Symbol{symbol});
  }
  return out;
}

std::vector<std::string> Traded(const config::Config& cfg, const State& state) {
  absl::btree_set<std::string> symbols;
  for (const std::string& s : cfg.Symbols()) symbols.insert(s);
  for (const auto& [symbol, bar] : state.last_bars) symbols.insert(symbol.value);
  for (const Symbol& symbol : state.universe) symbols.insert(symbol.value);
  return {symbols.begin(), symbols.end()};
}

std::vector<NewsClassified> Judge(const NewsIngested& item, const config::Config& cfg,
                                  const std::vector<std::string>& traded) {
  const std::string text = absl::StrCat(item.title, "\n", item.summary);
  const Classification c = Classify(text);
  const int64_t at_ms = item.published_ms > 0 ? std::min(item.published_ms, item.fetched_ms) : item.fetched_ms;
  const Fixed hours = c.risk == NewsRisk::kHigh     ? cfg.news.high_risk_block_hours
                      : c.risk == NewsRisk::kMedium ? cfg.news.medium_risk_block_hours
                                                    : Fixed();
  const int64_t block_until_ns = hours.raw() > 0 ? at_ms * 1'000'000 + HoursToNs(hours) : 0;
  std::vector<Symbol> named = Mentions(text, traded);
  if (named.empty()) named.push_back(Symbol{});
  std::vector<NewsClassified> out;
  for (Symbol& symbol : named) {
    const int64_t until_ns = symbol.value.empty() ? 0 : block_until_ns;
    out.push_back(NewsClassified{std::move(symbol), item.title, c.category, c.risk, c.confidence, until_ns});
  }
  return out;
}

}  // namespace apollo::news
