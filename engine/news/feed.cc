// ParseFeed and ToIngested: RSS and Atom read with Boost.PropertyTree's XML
// parser (Boost is already a dependency, through Beast).
#include <algorithm>
#include <array>
#include <sstream>
#include <utility>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "engine/news/news.h"

namespace apollo::news {
namespace {

using boost::property_tree::ptree;

// Feeds nest a few levels; a deeper document is refused before the
// (recursive) parser sees it.
constexpr int kMaxDepth = 64;

// The deepest element nesting of `xml`, stopping once past kMaxDepth.
// Comments, CDATA, declarations and quoted attribute values are skipped.
int Depth(absl::string_view xml) {
  int depth = 0, deepest = 0;
  auto skip_to = [&](size_t from, absl::string_view end) {
    const size_t at = xml.find(end, from);
    return at == absl::string_view::npos ? xml.size() : at + end.size();
  };
  for (size_t i = 0; i < xml.size() && deepest <= kMaxDepth;) {
    if (xml[i] != '<') {
      ++i;
      continue;
    }
    const absl::string_view rest = xml.substr(i);
    if (absl::StartsWith(rest, "<!--")) {
      i = skip_to(i, "-->");
    } else if (absl::StartsWith(rest, "<![CDATA[")) {
      i = skip_to(i, "]]>");
    } else if (absl::StartsWith(rest, "<?")) {
      i = skip_to(i, "?>");
    } else if (absl::StartsWith(rest, "<!")) {
      i = skip_to(i, ">");
    } else if (absl::StartsWith(rest, "</")) {
      --depth;
      i = skip_to(i, ">");
    } else {
      // A quote opens an attribute value only after '=' (blanks between),
      // as the parser reads it; elsewhere it is a name character.
      size_t j = i + 1;
      char quote = 0;
      bool after_equals = false;
      for (; j < xml.size(); ++j) {
        const char c = xml[j];
        if (quote != 0) {
          if (c == quote) quote = 0;
        } else if (after_equals && (c == '"' || c == '\'')) {
          quote = c;
          after_equals = false;
        } else if (c == '>') {
          break;
        } else if (c == '=') {
          after_equals = true;
        } else if (!absl::ascii_isspace(static_cast<unsigned char>(c))) {
          after_equals = false;
        }
      }
      if (j >= xml.size() || xml[j - 1] != '/') deepest = std::max(deepest, ++depth);
      i = j + 1;
    }
  }
  return deepest;
}

// A node's text and its children's (an Atom xhtml title is a div).
void AppendText(const ptree& node, std::string* out) {
  absl::StrAppend(out, node.data());
  for (const auto& [name, child] : node) {
    if (name == "<xmlattr>" || name == "<xmlcomment>") continue;
    out->push_back(' ');  // <p>Exchange</p><p>outage</p> is two words
    AppendText(child, out);
  }
}

std::string TextOf(const ptree& parent, const char* name) {
  std::string out;
  if (auto child = parent.get_child_optional(name)) AppendText(*child, &out);
  return out;
}

std::string Attr(const ptree& node, const char* name) {
  return node.get<std::string>(absl::StrCat("<xmlattr>.", name), "");
}

// A code point as UTF-8 ("" for one that is not a character).
std::string Utf8(uint32_t cp) {
  std::string out;
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return out;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return out;
}

// The entity at the start of `s` ("&amp;", "&#8217;", "&#x2019;") decoded,
// and its length; {"", 0} when `s` does not start with one.
std::pair<std::string, size_t> Entity(absl::string_view s) {
  static constexpr std::array<std::pair<absl::string_view, absl::string_view>, 6> kNamed = {
      {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&nbsp;", " "}}};
  for (const auto& [entity, text] : kNamed) {
    if (absl::StartsWith(s, entity)) return {std::string(text), entity.size()};
  }
  if (!absl::StartsWith(s, "&#")) return {"", 0};
  const size_t semi = s.substr(0, 12).find(';');  // "&#x10FFFF;" is the longest
  if (semi == absl::string_view::npos) return {"", 0};
  const bool hex = s.size() > 2 && (s[2] == 'x' || s[2] == 'X');
  uint32_t cp = 0;
  const absl::string_view digits = s.substr(hex ? 3 : 2, semi - (hex ? 3 : 2));
  const bool ok = hex ? absl::SimpleHexAtoi(digits, &cp) : absl::SimpleAtoi(digits, &cp);
  if (!ok) return {"", 0};
  return {Utf8(cp), semi + 1};
}

// HTML inside a feed's text: tags removed, entities decoded, blanks
// collapsed. A '<' not followed by a letter, '/' or '!', or never closed,
// is text ("BTC < 90K").
std::string PlainText(absl::string_view html) {
  std::string no_tags;
  for (size_t i = 0; i < html.size(); ++i) {
    const char next = i + 1 < html.size() ? html[i + 1] : ' ';
    if (html[i] == '<' && (absl::ascii_isalpha(static_cast<unsigned char>(next)) || next == '/' || next == '!')) {
      const size_t end = html.find('>', i);
      if (end != absl::string_view::npos) {
        i = end;
        no_tags.push_back(' ');
        continue;
      }
    }
    no_tags.push_back(html[i]);
  }
  std::string decoded;
  for (size_t i = 0; i < no_tags.size();) {
    if (no_tags[i] == '&') {
      auto [text, length] = Entity(absl::string_view(no_tags).substr(i));
      if (length > 0) {
        decoded += text;
        i += length;
        continue;
      }
    }
    decoded.push_back(no_tags[i++]);
  }
  std::string out;
  for (char c : decoded) {
    const bool blank = absl::ascii_isspace(static_cast<unsigned char>(c));
    if (blank && (out.empty() || out.back() == ' ')) continue;
    out.push_back(blank ? ' ' : c);
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// At most `n` bytes, not cutting a UTF-8 character in two.
std::string Cut(std::string s, size_t n) {
  if (s.size() <= n) return s;
  size_t end = n;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  s.resize(end);
  return s;
}

// RFC 822 zone names feeds still use.
constexpr std::array<std::pair<absl::string_view, absl::string_view>, 11> kZones = {{
    {"GMT", "+0000"}, {"UTC", "+0000"}, {"UT", "+0000"}, {"Z", "+0000"}, {"EST", "-0500"}, {"EDT", "-0400"},
    {"CST", "-0600"}, {"CDT", "-0500"}, {"MST", "-0700"}, {"PST", "-0800"}, {"PDT", "-0700"}}};

// A date a feed item can have: 1990 to 2100 (two-digit years and the
// like read as something else are no date).
int64_t Plausible(absl::Time t) {
  static const absl::Time kFirst = absl::FromCivil(absl::CivilSecond(1990, 1, 1), absl::UTCTimeZone());
  static const absl::Time kLast = absl::FromCivil(absl::CivilSecond(2100, 1, 1), absl::UTCTimeZone());
  return t >= kFirst && t < kLast ? absl::ToUnixMillis(t) : 0;
}

// RSS pubDate (RFC 822: "Fri, 12 Dec 2025 22:20:18 +0000", the day name
// and seconds optional, the zone +0000, +00:00 or a name) or an ISO 8601 /
// RFC 3339 time (Atom, dc:date); 0 when it is neither.
int64_t ParseDate(std::string text) {
  text = std::string(absl::StripAsciiWhitespace(text));
  if (text.empty()) return 0;
  absl::Time t;
  std::string err;
  for (const char* format : {absl::RFC3339_full, "%Y-%m-%dT%H:%M%Ez", "%Y-%m-%d %H:%M:%S%Ez", "%Y-%m-%d"}) {
    if (absl::ParseTime(format, text, &t, &err) && Plausible(t) != 0) return Plausible(t);
  }
  if (const size_t comma = text.find(','); comma != std::string::npos) text = text.substr(comma + 1);
  text = std::string(absl::StripAsciiWhitespace(text));
  const size_t space = text.rfind(' ');
  if (space != std::string::npos) {
    for (const auto& [name, offset] : kZones) {
      if (absl::string_view(text).substr(space + 1) == name) text = absl::StrCat(text.substr(0, space + 1), offset);
    }
  }
  for (const char* format : {"%d %b %Y %H:%M:%S %Ez", "%d %b %Y %H:%M %Ez", "%d %b %y %H:%M:%S %Ez"}) {
    if (absl::ParseTime(format, text, &t, &err) && Plausible(t) != 0) return Plausible(t);
  }
  return 0;
}

FeedItem RssItem(const ptree& item) {
  FeedItem f;
  f.title = PlainText(TextOf(item, "title"));
  f.link = PlainText(TextOf(item, "link"));
  f.summary = PlainText(TextOf(item, "description"));
  f.id = PlainText(TextOf(item, "guid"));
  if (f.id.empty()) f.id = Attr(item, "rdf:about");
  if (f.id.empty()) f.id = f.link;
  f.published_ms = ParseDate(TextOf(item, "pubDate"));
  if (f.published_ms == 0) f.published_ms = ParseDate(TextOf(item, "dc:date"));
  return f;
}

FeedItem AtomEntry(const ptree& entry) {
  FeedItem f;
  f.title = PlainText(TextOf(entry, "title"));
  f.summary = PlainText(TextOf(entry, "summary"));
  if (f.summary.empty()) f.summary = PlainText(TextOf(entry, "content"));
  for (const auto& [name, child] : entry) {
    if (name != "link") continue;
    const std::string rel = Attr(child, "rel");
    if (rel.empty() || rel == "alternate") {
      f.link = Attr(child, "href");
      break;
    }
  }
  f.id = PlainText(TextOf(entry, "id"));
  if (f.id.empty()) f.id = f.link;
  f.published_ms = ParseDate(TextOf(entry, "published"));
  if (f.published_ms == 0) f.published_ms = ParseDate(TextOf(entry, "updated"));
  return f;
}

}  // namespace

absl::StatusOr<std::vector<FeedItem>> ParseFeed(absl::string_view xml) {
  if (xml.size() > kMaxFeedBytes) {
    return absl::InvalidArgumentError(absl::StrCat("feed of ", xml.size(), " bytes is over the ", kMaxFeedBytes, " limit"));
  }
  if (Depth(xml) > kMaxDepth) return absl::InvalidArgumentError("feed nests deeper than any RSS or Atom feed");
  ptree doc;
  try {
    std::istringstream in{std::string(xml)};
    boost::property_tree::read_xml(in, doc, boost::property_tree::xml_parser::no_comments);
  } catch (const boost::property_tree::xml_parser_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("feed is not XML: ", e.message(), " at line ", e.line()));
  }
  std::vector<FeedItem> items;
  auto add = [&](FeedItem f) {
    if (items.size() < kMaxFeedItems && (!f.id.empty() || !f.title.empty())) items.push_back(std::move(f));
  };
  for (const auto& [root_name, root] : doc) {
    if (root_name == "rss") {
      for (const auto& [name, channel] : root) {
        if (name != "channel") continue;
        for (const auto& [item_name, item] : channel) {
          if (item_name == "item") add(RssItem(item));
        }
      }
      return items;
    }
    if (root_name == "rdf:RDF") {
      for (const auto& [name, item] : root) {
        if (name == "item") add(RssItem(item));
      }
      return items;
    }
    if (root_name == "feed") {
      for (const auto& [name, entry] : root) {
        if (name == "entry") add(AtomEntry(entry));
      }
      return items;
    }
    if (root_name != "<xmlattr>" && !absl::StartsWith(root_name, "<")) {
      return absl::InvalidArgumentError(absl::StrCat("not an RSS or Atom feed (root element ", Cut(root_name, 40), ")"));
    }
  }
  return absl::InvalidArgumentError("not an RSS or Atom feed (no root element)");
}

std::vector<NewsIngested> ToIngested(const std::vector<FeedItem>& items, const std::string& source,
                                     int64_t fetched_ms, const config::NewsConfig& cfg, IngestCounts* counts) {
  const int64_t max_age_ms = int64_t{cfg.max_age_hours} * 3'600'000;
  IngestCounts n_skipped;
  std::vector<NewsIngested> out;
  for (const FeedItem& f : items) {
    // An undated item could be years old: its age cannot be checked.
    if (f.published_ms <= 0) {
      ++n_skipped.undated;
      continue;
    }
    if (fetched_ms - f.published_ms > max_age_ms) {
      ++n_skipped.too_old;
      continue;
    }
    NewsIngested n;
    n.source = Cut(source, kMaxNewsIdChars);
    n.item_id = Cut(f.id.empty() ? f.title : f.id, kMaxNewsIdChars);
    n.title = Cut(f.title, kMaxNewsTitleChars);
    n.summary = Cut(f.summary, kMaxNewsSummaryChars);
    n.link = Cut(f.link, kMaxNewsIdChars);
    n.published_ms = f.published_ms;
    n.fetched_ms = fetched_ms;
    out.push_back(std::move(n));
  }
  if (counts != nullptr) *counts = n_skipped;
  return out;
}

}  // namespace apollo::news
