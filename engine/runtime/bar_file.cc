// Reads recorded klines (formats and checks in bar_file.h). Each file is read
// whole and walked as string_views, so a row costs no allocation unless it
// is an error.
#include "engine/runtime/bar_file.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "engine/domain/status_macros.h"

namespace apollo::runtime {
namespace {

constexpr absl::string_view kBundledHeader = "open_time_ms,open,high,low,close,volume";
constexpr absl::string_view kBinanceHeader =
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,"
    "ignore";
constexpr int kBundledColumns = 6;
constexpr int kBinanceColumns = 12;
constexpr int64_t kMicrosecondTimeMin = 1'000'000'000'000'000;  // 1e15: Binance times from here on are microseconds
constexpr absl::string_view kUtf8Bom = "\xEF\xBB\xBF";

enum class Format { kBundled, kBinance };

// How a file is laid out, from its first line.
struct Layout {
  Format format = Format::kBundled;
  bool has_header = true;
};

// The comma-separated fields of one row; `count` may exceed kMax (the extra
// fields are counted, not kept).
struct Columns {
  static constexpr int kMax = kBinanceColumns;
  std::array<absl::string_view, kMax> text;
  int count = 0;
};

Columns Split(absl::string_view row) {
  Columns cols;
  size_t start = 0;
  while (true) {
    const size_t comma = row.find(',', start);
    const size_t end = comma == absl::string_view::npos ? row.size() : comma;
    if (cols.count < Columns::kMax) cols.text[cols.count] = row.substr(start, end - start);
    ++cols.count;
    if (comma == absl::string_view::npos) return cols;
    start = comma + 1;
  }
}

// Lines of a whole file, numbered from 1, without their line endings.
class Lines {
 public:
  explicit Lines(absl::string_view text) : rest_(text) {}
  bool Next(absl::string_view* line) {
    if (rest_.empty()) return false;
    const size_t nl = std::min(rest_.find('\n'), rest_.size());
    *line = rest_.substr(0, nl);
    rest_.remove_prefix(std::min(nl + 1, rest_.size()));
    ++number_;
    return true;
  }
  int64_t number() const { return number_; }

 private:
  absl::string_view rest_;
  int64_t number_ = 0;
};


std::string IntervalName(int64_t interval_ms) {
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}};
  for (const auto& [unit_ms, suffix] : kUnits) {
    if (interval_ms % unit_ms == 0) return absl::StrCat(interval_ms / unit_ms, suffix);
  }
  return absl::StrCat(interval_ms, "ms");
}

// A plain non-negative integer of at most 18 digits (so it cannot overflow).
bool ParseDigits(absl::string_view text, int64_t* out) {
  if (text.empty() || text.size() > 18) return false;
  int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

absl::Status ParseTime(absl::string_view name, absl::string_view text, int64_t* out) {
  if (ParseDigits(text, out)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(name, " is not a non-negative integer time: '", text, "'"));
}

// A Binance open time in ms or microseconds, as ms; `*micros` says which it was.
absl::Status ParseBinanceOpenTime(absl::string_view text, int64_t* ms, bool* micros) {
  int64_t raw = 0;
  RETURN_IF_ERROR(ParseTime("open_time", text, &raw));
  *micros = raw >= kMicrosecondTimeMin;
  if (!*micros) {
    *ms = raw;
    return absl::OkStatus();
  }
  if (raw % 1000 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("open_time ", raw, " (microseconds, ", IsoUtc(raw / 1000),
                                                   ") is not a whole millisecond"));
  }
  *ms = raw / 1000;
  return absl::OkStatus();
}

// Binance's close_time is the bar's last instant (open + interval - 1, in
// the open time's unit); one outside the bar means another interval.
absl::Status CheckBinanceCloseTime(absl::string_view text, int64_t open_ms, bool micros, int64_t interval_ms) {
  int64_t close = 0;
  RETURN_IF_ERROR(ParseTime("close_time", text, &close));
  const int64_t per_ms = micros ? 1000 : 1;
  const int64_t open = open_ms * per_ms;
  if (close > open && close - open < interval_ms * per_ms) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("close_time ", close, " is not inside the ", IntervalName(interval_ms),
                                                 " bar opened at ", IsoUtc(open_ms),
                                                 " (is the file of another interval?)"));
}

absl::Status ParseOhlcv(const Columns& cols, strategy::Bar* bar) {
  static constexpr const char* kNames[] = {"open", "high", "low", "close", "volume"};
  Fixed* const fields[] = {&bar->open, &bar->high, &bar->low, &bar->close, &bar->volume};
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<Fixed> value = Fixed::Parse(cols.text[i + 1]);
    if (!value.ok()) return absl::InvalidArgumentError(absl::StrCat(kNames[i], ": ", value.status().message()));
    *fields[i] = *value;
  }
  if (bar->low.raw() <= 0 || bar->low > std::min(bar->open, bar->close) ||
      bar->high < std::max(bar->open, bar->close) || bar->volume.raw() < 0) {
    return absl::InvalidArgumentError(absl::StrCat("inconsistent OHLCV at ", IsoUtc(bar->open_time_ms),
                                                   " (need 0 < low <= open,close <= high, volume >= 0)"));
  }
  return absl::OkStatus();
}

// One data row into `bar`: every check that needs only the row itself.
absl::Status ParseRow(absl::string_view row, Format format, int64_t interval_ms, strategy::Bar* bar) {
  const Columns cols = Split(row);
  const int want = format == Format::kBundled ? kBundledColumns : kBinanceColumns;
  if (cols.count != want) {
    return absl::InvalidArgumentError(absl::StrCat("expected ", want, " columns, got ", cols.count));
  }
  bool micros = false;
  RETURN_IF_ERROR(format == Format::kBundled ? ParseTime("open_time_ms", cols.text[0], &bar->open_time_ms)
                                             : ParseBinanceOpenTime(cols.text[0], &bar->open_time_ms, &micros));
  RETURN_IF_ERROR(ParseOhlcv(cols, bar));
  if (bar->open_time_ms % interval_ms != 0) {
    return absl::InvalidArgumentError(absl::StrCat("open time ", IsoUtc(bar->open_time_ms), " (", bar->open_time_ms,
                                                   " ms) is not on the ", IntervalName(interval_ms), " grid"));
  }
  if (format == Format::kBundled) return absl::OkStatus();
  return CheckBinanceCloseTime(cols.text[6], bar->open_time_ms, micros, interval_ms);
}

absl::StatusOr<Layout> DetectLayout(absl::string_view first_line) {
  if (first_line == kBundledHeader) return Layout{Format::kBundled, true};
  if (first_line == kBinanceHeader) return Layout{Format::kBinance, true};
  const Columns cols = Split(first_line);
  int64_t open_time = 0;
  if (cols.count == kBinanceColumns && ParseDigits(cols.text[0], &open_time)) return Layout{Format::kBinance, false};
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format: expected the header ", kBundledHeader,
                   " or a Binance kline dump (12 columns, header open_time,... optional)"));
}

absl::StatusOr<std::string> ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  std::string text;
  std::error_code ec;
  if (const uintmax_t size = std::filesystem::file_size(path, ec); !ec && size > 0) {
    text.resize(size);
    in.read(text.data(), static_cast<std::streamsize>(size));
    text.resize(static_cast<size_t>(in.gcount()));
  }
  std::array<char, 1 << 16> chunk;  // the rest, if the size was unknown or the file grew
  while (in) {
    in.read(chunk.data(), chunk.size());
    text.append(chunk.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  return text;
}

// Where the last accepted bar came from.
struct LastBar {
  int64_t open_time_ms = 0;
  size_t file = 0;  // index into the paths
  int64_t line = 0;
};

// Walks the files in order, checking each bar against the one before it.
class SeriesReader {
 public:
  SeriesReader(const std::vector<std::string>& paths, const BarReadOptions& options)
      : paths_(paths), options_(options) {}

  absl::StatusOr<BarSeries> Read() && {
    for (size_t file = 0; file < paths_.size(); ++file) RETURN_IF_ERROR(ReadFile(file));
    return std::move(series_);
  }

 private:
  absl::Status ReadFile(size_t file) {
    ASSIGN_OR_RETURN(const std::string text, ReadWhole(paths_[file]));
    absl::string_view rest = text;
    absl::ConsumePrefix(&rest, kUtf8Bom);
    if (rest.empty()) return Error(file, 1, "empty file");
    series_.bars.reserve(series_.bars.size() + std::count(rest.begin(), rest.end(), '\n') + 1);
    Lines lines(rest);
    absl::string_view line;
    lines.Next(&line);
    absl::StatusOr<Layout> layout = DetectLayout(absl::StripAsciiWhitespace(line));
    if (!layout.ok()) return Error(file, 1, layout.status().message());
    if (!layout->has_header) RETURN_IF_ERROR(ReadRow(file, 1, line, layout->format));
    while (lines.Next(&line)) RETURN_IF_ERROR(ReadRow(file, lines.number(), line, layout->format));
    return absl::OkStatus();
  }

  absl::Status ReadRow(size_t file, int64_t line_no, absl::string_view line, Format format) {
    const absl::string_view row = absl::StripAsciiWhitespace(line);
    if (row.empty()) return absl::OkStatus();
    strategy::Bar bar;
    if (absl::Status s = ParseRow(row, format, options_.interval_ms, &bar); !s.ok()) {
      return Error(file, line_no, s.message());
    }
    if (last_) {
      RETURN_IF_ERROR(CheckFollows(bar.open_time_ms, file, line_no));
      RETURN_IF_ERROR(CheckGap(bar.open_time_ms, file, line_no));
    }
    last_ = LastBar{bar.open_time_ms, file, line_no};
    if (bar.open_time_ms >= options_.from_ms && bar.open_time_ms < options_.to_ms) series_.bars.push_back(bar);
    return absl::OkStatus();
  }

  // Open times strictly increase, within a file and across files.
  absl::Status CheckFollows(int64_t open_ms, size_t file, int64_t line_no) const {
    if (open_ms > last_->open_time_ms) return absl::OkStatus();
    if (file != last_->file) {
      return Error(file, line_no,
                   absl::StrCat("starts at ", IsoUtc(open_ms), ", not after the end of ", paths_[last_->file],
                                " (last bar ", IsoUtc(last_->open_time_ms), " at line ", last_->line,
                                "): the files overlap or are out of order"));
    }
    if (open_ms == last_->open_time_ms) {
      return Error(file, line_no, absl::StrCat("duplicate bar ", IsoUtc(open_ms), " (also at line ", last_->line, ")"));
    }
    return Error(file, line_no,
                 absl::StrCat("bar ", IsoUtc(open_ms), " is not after the previous bar ", IsoUtc(last_->open_time_ms),
                              " (line ", last_->line, "): rows must be in time order"));
  }

  // A hole before this bar: refused, or listed when allowed. Holes whose
  // missing bars all lie outside [from_ms, to_ms) do not matter.
  absl::Status CheckGap(int64_t open_ms, size_t file, int64_t line_no) {
    const int64_t after_ms = last_->open_time_ms;
    const int64_t missing = (open_ms - after_ms) / options_.interval_ms - 1;
    if (missing == 0) return absl::OkStatus();
    const bool touches_window =
        after_ms + options_.interval_ms < options_.to_ms && open_ms - options_.interval_ms >= options_.from_ms;
    if (!touches_window) return absl::OkStatus();
    if (options_.allow_gaps) {
      series_.gaps.push_back(BarGap{paths_[file], after_ms, open_ms, missing});
      return absl::OkStatus();
    }
    const std::string end_of_previous =
        file == last_->file ? "" : absl::StrCat(", the end of ", paths_[last_->file]);
    return Error(file, line_no,
                 absl::StrCat("gap of ", missing, missing == 1 ? " bar" : " bars", " after ", IsoUtc(after_ms),
                              end_of_previous, " (next bar ", IsoUtc(open_ms), "); pass --allow-gaps to run anyway"));
  }

  absl::Status Error(size_t file, int64_t line_no, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(paths_[file], ":", line_no, ": ", what));
  }

  const std::vector<std::string>& paths_;
  const BarReadOptions& options_;
  std::optional<LastBar> last_;
  BarSeries series_;
};

}  // namespace

std::string IsoUtc(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

absl::StatusOr<BarSeries> ReadBars(const std::vector<std::string>& paths, const BarReadOptions& options) {
  if (paths.empty()) return absl::InvalidArgumentError("no bar files given");
  if (options.interval_ms <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("bar interval must be positive, got ", options.interval_ms, " ms"));
  }
  return SeriesReader(paths, options).Read();
}

absl::StatusOr<std::vector<FundingPoint>> ReadFundingFile(const std::string& path, const std::string& symbol) {
  constexpr absl::string_view kHeader = "funding_time_ms,symbol,funding_rate";
  ASSIGN_OR_RETURN(const std::string text, ReadWhole(path));
  absl::string_view rest = text;
  absl::ConsumePrefix(&rest, kUtf8Bom);
  Lines lines(rest);
  absl::string_view line;
  auto error = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", lines.number(), ": ", what));
  };
  if (!lines.Next(&line) || absl::StripSuffix(line, "\r") != kHeader) {
    return error(absl::StrCat("expected the header ", kHeader));
  }
  std::vector<FundingPoint> out;
  while (lines.Next(&line)) {
    line = absl::StripSuffix(line, "\r");
    if (line.empty()) continue;
    const Columns cols = Split(line);
    if (cols.count != 3) return error(absl::StrCat("expected 3 columns, got ", cols.count));
    FundingPoint p;
    if (absl::Status s = ParseTime("funding_time_ms", cols.text[0], &p.time_ms); !s.ok()) return error(s.message());
    if (cols.text[1] != symbol) return error(absl::StrCat("symbol ", cols.text[1], " in a file given for ", symbol));
    absl::StatusOr<Fixed> rate = Fixed::Parse(cols.text[2]);
    if (!rate.ok()) return error(absl::StrCat("funding_rate: ", rate.status().message()));
    if (rate->Abs() > kMaxFundingRate) {
      return error(absl::StrCat("funding_rate ", cols.text[2], " is beyond +-", kMaxFundingRate.ToString(), " a period"));
    }
    p.rate = *rate;
    if (!out.empty() && p.time_ms <= out.back().time_ms) {
      return error(absl::StrCat("funding time ", IsoUtc(p.time_ms), " is not after the previous one (",
                                IsoUtc(out.back().time_ms), ")"));
    }
    out.push_back(p);
  }
  if (out.empty()) return error("no funding rates");
  return out;
}

absl::StatusOr<Fixed> ParseFundingRate(const std::string& text) {
  absl::StatusOr<Fixed> rate = Fixed::Parse(text);
  if (!rate.ok() || rate->Abs() > kMaxFundingRate) {
    return absl::InvalidArgumentError(absl::StrCat("--constant-funding-rate: expected a fraction within +-",
                                                   kMaxFundingRate.ToString(), " per 8 h (0.0001 = 0.01 %), got '",
                                                   text, "'"));
  }
  return *rate;
}

std::vector<FundingPoint> ConstantFunding(Fixed rate, int64_t from_ms, int64_t to_ms) {
  std::vector<FundingPoint> out;
  const int64_t first = from_ms <= 0 ? 0 : (from_ms + kFundingPeriodMs - 1) / kFundingPeriodMs * kFundingPeriodMs;
  for (int64_t t = first; t <= to_ms; t += kFundingPeriodMs) {
    out.push_back({t, rate});
    if (t > to_ms - kFundingPeriodMs) break;  // the next would pass to_ms (or overflow)
  }
  return out;
}

absl::StatusOr<std::vector<strategy::Bar>> ReadBarFile(const std::string& path, int64_t interval_ms) {
  BarReadOptions options;
  options.interval_ms = interval_ms;
  ASSIGN_OR_RETURN(BarSeries series, ReadBars({path}, options));
  return std::move(series.bars);
}

}  // namespace apollo::runtime
