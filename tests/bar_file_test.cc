// Recorded bars: the bundled CSV and Binance's kline dumps read exactly, and
// gaps, overlaps and malformed rows are one-line errors naming file, line and
// time.
#include "engine/runtime/bar_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/support/temp_dir.h"

namespace apollo::runtime {
namespace {

using ::apollo::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr char kBundled[] = APOLLO_SOURCE_DIR "/data/market/btcusdt_perp_5m_2023-01-02_2023-02-09.csv";
constexpr int64_t k5m = 300'000;
constexpr int64_t kFirstOpenMs = 1672677900000;  // 2023-01-02T16:45:00Z, the bundled file's first bar
constexpr char kBinanceHeader[] =
    "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore";
// BTCUSDT-5m-2024-01.csv style rows: 8 decimals, close_time = open + 5m - 1.
constexpr char kBinanceRows[] =
    "1704067200000,42283.58000000,42298.62000000,42261.02000000,42298.61000000,35.92724000,1704067499999,"
    "1518895.74279940,1773,20.40668000,862758.43085990,0\n"
    "1704067500000,42298.62000000,42320.00000000,42290.06000000,42300.30000000,21.50521000,1704067799999,"
    "909946.96566210,1392,11.05606000,467806.66421660,0\n"
    "1704067800000,42300.31000000,42310.00000000,42259.99000000,42270.00000000,30.73210000,1704068099999,"
    "1299294.10113710,1410,13.64010000,576738.72312950,0\n";

BarReadOptions Options(bool allow_gaps = false) {
  BarReadOptions options;
  options.interval_ms = k5m;
  options.allow_gaps = allow_gaps;
  return options;
}

// The bundled file's lines: [0] is the header, [i] the bar opened at
// kFirstOpenMs + (i - 1) * 5m.
const std::vector<std::string>& BundledLines() {
  static const std::vector<std::string>* lines = [] {
    std::ifstream in(kBundled);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return new std::vector<std::string>(absl::StrSplit(text, '\n', absl::SkipEmpty()));
  }();
  return *lines;
}

int64_t OpenMs(int bar_number) { return kFirstOpenMs + (bar_number - 1) * k5m; }

std::string WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// The header and the bundled bars numbered in `bars` (1-based), in order.
std::string WriteBundledBars(const std::string& path, const std::vector<int>& bars) {
  std::string text = BundledLines()[0] + "\n";
  for (int bar : bars) absl::StrAppend(&text, BundledLines()[bar], "\n");
  return WriteFile(path, text);
}

std::vector<int> Range(int first, int last) {
  std::vector<int> out;
  for (int i = first; i <= last; ++i) out.push_back(i);
  return out;
}

Fixed Px(const char* text) { return *Fixed::Parse(text); }

std::string ErrorOf(const absl::StatusOr<BarSeries>& series) {
  EXPECT_FALSE(series.ok()) << "read " << series->bars.size() << " bars";
  return std::string(series.status().message());
}

TEST(BarFile, BundledCsvReadsWhole) {
  absl::StatusOr<BarSeries> series = ReadBars({kBundled}, Options());
  ASSERT_TRUE(series.ok()) << series.status();
  ASSERT_EQ(series->bars.size(), 10'999u);
  EXPECT_TRUE(series->gaps.empty());
  const strategy::Bar& first = series->bars.front();
  EXPECT_EQ(first.open_time_ms, kFirstOpenMs);
  EXPECT_EQ(first.open, Px("16727.3"));
  EXPECT_EQ(first.high, Px("16728.8"));
  EXPECT_EQ(first.low, Px("16726"));
  EXPECT_EQ(first.close, Px("16726.1"));
  EXPECT_EQ(first.volume, Px("691.508"));
  EXPECT_EQ(series->bars.back().open_time_ms, OpenMs(10'999));

  absl::StatusOr<std::vector<strategy::Bar>> bars = ReadBarFile(kBundled, k5m);
  ASSERT_TRUE(bars.ok()) << bars.status();
  EXPECT_EQ(bars->size(), 10'999u);
}

TEST(BarFile, GapIsRefusedNamingFileLineAndTime) {
  TempDir tmp;
  std::vector<int> bars = Range(1, 5);  // file lines 2-6; bars 6-8 cut out
  bars.push_back(9);                    // line 7
  bars.push_back(10);
  const std::string path = WriteBundledBars(tmp.Sub("holed.csv"), bars);

  const std::string want = path +
                           ":7: gap of 3 bars after 2023-01-02T17:05:00Z (next bar 2023-01-02T17:25:00Z); "
                           "pass --allow-gaps to run anyway";
  EXPECT_EQ(ErrorOf(ReadBars({path}, Options())), want);
  absl::StatusOr<std::vector<strategy::Bar>> old_api = ReadBarFile(path, k5m);
  EXPECT_EQ(old_api.status().message(), want);
}

TEST(BarFile, AllowGapsRunsAndListsTheGap) {
  TempDir tmp;
  const std::string path = WriteBundledBars(tmp.Sub("holed.csv"), {1, 2, 3, 4, 5, 9, 10, 12});

  absl::StatusOr<BarSeries> series = ReadBars({path}, Options(/*allow_gaps=*/true));
  ASSERT_TRUE(series.ok()) << series.status();
  ASSERT_EQ(series->bars.size(), 8u);
  EXPECT_EQ(series->bars[5].open_time_ms, OpenMs(9));  // the bar after the hole is kept
  ASSERT_EQ(series->gaps.size(), 2u);
  EXPECT_EQ(series->gaps[0].file, path);
  EXPECT_EQ(series->gaps[0].after_open_time_ms, OpenMs(5));
  EXPECT_EQ(series->gaps[0].next_open_time_ms, OpenMs(9));
  EXPECT_EQ(series->gaps[0].missing_bars, 3);
  EXPECT_EQ(series->gaps[1].after_open_time_ms, OpenMs(10));
  EXPECT_EQ(series->gaps[1].missing_bars, 1);
}

void ExpectTheBinanceRows(const absl::StatusOr<BarSeries>& series) {
  ASSERT_TRUE(series.ok()) << series.status();
  ASSERT_EQ(series->bars.size(), 3u);
  const strategy::Bar& first = series->bars[0];
  EXPECT_EQ(first.open_time_ms, 1704067200000);
  EXPECT_EQ(first.open, Px("42283.58"));
  EXPECT_EQ(first.high, Px("42298.62"));
  EXPECT_EQ(first.low, Px("42261.02"));
  EXPECT_EQ(first.close, Px("42298.61"));
  EXPECT_EQ(first.volume, Fixed::FromRaw(3'592'724'000));  // 35.92724000, exactly
  EXPECT_EQ(series->bars[2].open_time_ms, 1704067800000);
  EXPECT_EQ(series->bars[2].open, Px("42300.31"));
}

TEST(BarFile, BinanceDumpWithHeaderReads) {
  TempDir tmp;
  const std::string path =
      WriteFile(tmp.Sub("BTCUSDT-5m-2024-01.csv"), absl::StrCat(kBinanceHeader, "\n", kBinanceRows));
  ExpectTheBinanceRows(ReadBars({path}, Options()));
}

TEST(BarFile, BinanceDumpWithoutHeaderReads) {
  TempDir tmp;
  const std::string path = WriteFile(tmp.Sub("BTCUSDT-5m-2024-01.csv"), kBinanceRows);
  ExpectTheBinanceRows(ReadBars({path}, Options()));

  // Windows line endings read the same.
  const std::string crlf = WriteFile(
      tmp.Sub("crlf.csv"), absl::StrJoin(absl::StrSplit(kBinanceRows, '\n', absl::SkipEmpty()), "\r\n") + "\r\n");
  ExpectTheBinanceRows(ReadBars({crlf}, Options()));
}

TEST(BarFile, MicrosecondOpenTimesAreConverted) {
  TempDir tmp;
  const std::string path = WriteFile(tmp.Sub("BTCUSDT-5m-2025-01.csv"),
                                     "1735689600000000,93576.00000000,93610.93000000,93537.50000000,93609.99000000,"
                                     "8.21827000,1735689899999999,768978.98,1846,4.40453000,412127.27,0\n"
                                     "1735689900000000,93609.99000000,93652.00000000,93591.66000000,93651.99000000,"
                                     "9.41046000,1735690199999999,881192.07,1556,6.03585000,565186.06,0\n");
  absl::StatusOr<BarSeries> series = ReadBars({path}, Options());
  ASSERT_TRUE(series.ok()) << series.status();
  ASSERT_EQ(series->bars.size(), 2u);
  EXPECT_EQ(series->bars[0].open_time_ms, 1735689600000);  // 2025-01-01T00:00:00Z
  EXPECT_EQ(series->bars[1].open_time_ms, 1735689900000);
  EXPECT_EQ(series->bars[1].close, Px("93651.99"));

  const std::string odd = WriteFile(
      tmp.Sub("odd.csv"), "1735689600000500,93576,93610.93,93537.5,93609.99,8.21827,1735689899999999,0,0,0,0,0\n");
  const std::string error = ErrorOf(ReadBars({odd}, Options()));
  EXPECT_THAT(error, StartsWith(odd + ":1: "));
  EXPECT_THAT(error, HasSubstr("not a whole millisecond"));
  EXPECT_THAT(error, HasSubstr("2025-01-01T00:00:00Z"));
}

TEST(BarFile, MalformedRowIsRefusedEvenWithAllowGaps) {
  struct Case {
    std::string name;
    std::string row;   // written as line 4, after bars 1 and 2
    std::string says;  // the error must contain this
  };
  const std::string t3 = std::to_string(OpenMs(3));
  const std::vector<Case> cases = {
      {"missing column", t3 + ",16700,16710,16690,16700", "expected 6 columns, got 5"},
      {"extra column", t3 + ",16700,16710,16690,16700,1,2", "expected 6 columns, got 7"},
      {"price not a number", t3 + ",16700,16710,16690,abc,1", "close: not a number"},
      {"nine decimals", t3 + ",16700,16710,16690,16700.000000001,1", "more than 8 decimals"},
      {"time not a number", "1672678500000.5,16700,16710,16690,16700,1", "open_time_ms"},
      {"high below close", t3 + ",16700,16710,16690,16720,1", "inconsistent OHLCV at 2023-01-02T16:55:00Z"},
      {"negative volume", t3 + ",16700,16710,16690,16700,-1", "inconsistent OHLCV"},
      {"off the grid", std::to_string(OpenMs(3) + 1000) + ",16700,16710,16690,16700,1",
       "2023-01-02T16:55:01Z (1672678501000 ms) is not on the 5m grid"},
      {"back in time", std::to_string(OpenMs(1)) + ",16700,16710,16690,16700,1",
       "bar 2023-01-02T16:45:00Z is not after the previous bar 2023-01-02T16:50:00Z (line 3)"},
      {"duplicate", std::to_string(OpenMs(2)) + ",16700,16710,16690,16700,1",
       "duplicate bar 2023-01-02T16:50:00Z (also at line 3)"},
  };
  TempDir tmp;
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].name);
    const std::string path = WriteFile(tmp.Sub(absl::StrCat("bad", i, ".csv")),
                                       absl::StrCat(BundledLines()[0], "\n", BundledLines()[1], "\n", BundledLines()[2],
                                                    "\n", cases[i].row, "\n", BundledLines()[10], "\n"));
    for (const bool allow_gaps : {false, true}) {
      const std::string error = ErrorOf(ReadBars({path}, Options(allow_gaps)));
      EXPECT_THAT(error, StartsWith(path + ":4: "));
      EXPECT_THAT(error, HasSubstr(cases[i].says));
      EXPECT_THAT(error, Not(HasSubstr("\n")));
    }
  }
}

TEST(BarFile, UnknownFormatIsRefused) {
  TempDir tmp;
  const std::string headerless = WriteFile(tmp.Sub("headerless.csv"), BundledLines()[1] + "\n");
  EXPECT_THAT(ErrorOf(ReadBars({headerless}, Options())), StartsWith(headerless + ":1: unknown format"));
  const std::string empty = WriteFile(tmp.Sub("empty.csv"), "");
  EXPECT_EQ(ErrorOf(ReadBars({empty}, Options())), empty + ":1: empty file");
  const std::string missing = tmp.Sub("missing.csv");
  absl::StatusOr<BarSeries> none = ReadBars({missing}, Options());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(none.status().message()), StartsWith(missing + ": "));
}

TEST(BarFile, BinanceFileOfAnotherIntervalIsRefused) {
  TempDir tmp;
  // A 1h dump read as 5m bars: open times sit on the 5m grid, close times do not fit.
  const std::string path = WriteFile(
      tmp.Sub("BTCUSDT-1h-2024-01.csv"),
      "1704067200000,42283.58,42554.57,42261.02,42475.23,1271.68108,1704070799999,0,0,0,0,0\n");
  const std::string error = ErrorOf(ReadBars({path}, Options()));
  EXPECT_THAT(error, StartsWith(path + ":1: close_time 1704070799999 is not inside the 5m bar opened at "
                                       "2024-01-01T00:00:00Z"));
}

TEST(BarFile, OverlappingFilesAreRefused) {
  TempDir tmp;
  const std::string a = WriteBundledBars(tmp.Sub("a.csv"), Range(1, 10));
  const std::string b = WriteBundledBars(tmp.Sub("b.csv"), Range(8, 12));
  for (const bool allow_gaps : {false, true}) {
    EXPECT_EQ(ErrorOf(ReadBars({a, b}, Options(allow_gaps))),
              b + ":2: starts at 2023-01-02T17:20:00Z, not after the end of " + a +
                  " (last bar 2023-01-02T17:30:00Z at line 11): the files overlap or are out of order");
  }
  // The same files given in the wrong order.
  const std::string c = WriteBundledBars(tmp.Sub("c.csv"), Range(11, 12));
  EXPECT_THAT(ErrorOf(ReadBars({c, a}, Options())), StartsWith(a + ":2: starts at 2023-01-02T16:45:00Z"));
}

TEST(BarFile, SecondFileContinuesTheFirst) {
  TempDir tmp;
  const std::string a = WriteBundledBars(tmp.Sub("a.csv"), Range(1, 10));
  std::string binance;  // bars 11-20 in Binance's headerless layout
  for (int bar = 11; bar <= 20; ++bar) {
    absl::StrAppend(&binance, BundledLines()[bar], ",", OpenMs(bar) + k5m - 1, ",0,0,0,0,0\n");
  }
  const std::string b = WriteFile(tmp.Sub("b.csv"), binance);
  absl::StatusOr<BarSeries> series = ReadBars({a, b}, Options());
  ASSERT_TRUE(series.ok()) << series.status();
  ASSERT_EQ(series->bars.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(series->bars[i].open_time_ms, OpenMs(i + 1));
  EXPECT_TRUE(series->gaps.empty());
}

TEST(BarFile, GapBetweenFilesCounts) {
  TempDir tmp;
  const std::string a = WriteBundledBars(tmp.Sub("a.csv"), Range(1, 10));
  const std::string b = WriteBundledBars(tmp.Sub("b.csv"), Range(13, 15));
  EXPECT_EQ(ErrorOf(ReadBars({a, b}, Options())),
            b + ":2: gap of 2 bars after 2023-01-02T17:30:00Z, the end of " + a +
                " (next bar 2023-01-02T17:45:00Z); pass --allow-gaps to run anyway");

  absl::StatusOr<BarSeries> series = ReadBars({a, b}, Options(/*allow_gaps=*/true));
  ASSERT_TRUE(series.ok()) << series.status();
  EXPECT_EQ(series->bars.size(), 13u);
  ASSERT_EQ(series->gaps.size(), 1u);
  EXPECT_EQ(series->gaps[0].file, b);
  EXPECT_EQ(series->gaps[0].missing_bars, 2);
}

TEST(BarFile, FromToWindowKeepsOnlyThoseBars) {
  BarReadOptions options = Options();
  options.from_ms = OpenMs(100);
  options.to_ms = OpenMs(200);
  absl::StatusOr<BarSeries> series = ReadBars({kBundled}, options);
  ASSERT_TRUE(series.ok()) << series.status();
  ASSERT_EQ(series->bars.size(), 100u);
  EXPECT_EQ(series->bars.front().open_time_ms, OpenMs(100));
  EXPECT_EQ(series->bars.back().open_time_ms, OpenMs(199));

  // A window past the data is empty, not an error.
  options.from_ms = OpenMs(20'000);
  options.to_ms = OpenMs(30'000);
  series = ReadBars({kBundled}, options);
  ASSERT_TRUE(series.ok()) << series.status();
  EXPECT_TRUE(series->bars.empty());
}

TEST(BarFile, GapOutsideTheWindowDoesNotMatter) {
  TempDir tmp;
  const std::string path = WriteBundledBars(tmp.Sub("holed.csv"), {1, 2, 3, 4, 5, 9, 10, 11});
  BarReadOptions options = Options();
  options.from_ms = OpenMs(9);  // the window starts with the bar after the hole
  absl::StatusOr<BarSeries> series = ReadBars({path}, options);
  ASSERT_TRUE(series.ok()) << series.status();
  EXPECT_EQ(series->bars.size(), 3u);
  EXPECT_TRUE(series->gaps.empty());

  options.from_ms = OpenMs(1);
  options.to_ms = OpenMs(6);  // ends where the hole begins
  series = ReadBars({path}, options);
  ASSERT_TRUE(series.ok()) << series.status();
  EXPECT_EQ(series->bars.size(), 5u);

  options.to_ms = OpenMs(7);  // takes in a missing bar
  EXPECT_THAT(ErrorOf(ReadBars({path}, options)), StartsWith(path + ":7: gap of 3 bars"));

  // Rows outside the window are still checked.
  const std::string bad = WriteFile(
      tmp.Sub("bad.csv"), absl::StrCat(BundledLines()[0], "\n", BundledLines()[1], "\nx\n", BundledLines()[3], "\n"));
  options.from_ms = OpenMs(3);
  options.to_ms = OpenMs(4);
  EXPECT_THAT(ErrorOf(ReadBars({bad}, options)), StartsWith(bad + ":3: expected 6 columns, got 1"));
}

// --- recorded funding rates ---

constexpr char kBtcFunding[] = APOLLO_SOURCE_DIR "/data/market/funding/btcusdt_perp_funding_2023-07-04_2023-08-17.csv";

TEST(FundingFile, BundledRatesReadExactlyInTimeOrder) {
  absl::StatusOr<std::vector<FundingPoint>> rates = ReadFundingFile(kBtcFunding, "BTCUSDT");
  ASSERT_TRUE(rates.ok()) << rates.status();
  ASSERT_EQ(rates->size(), 131u);
  EXPECT_EQ(rates->front(), (FundingPoint{1688486400000, Px("0.0001")}));  // 2023-07-04T16:00:00Z
  // Binance's funding times sit on 00/08/16 UTC, some a millisecond late (kept as recorded).
  for (const FundingPoint& p : *rates) EXPECT_LT(p.time_ms % kFundingPeriodMs, 1000) << IsoUtc(p.time_ms);
  EXPECT_TRUE(std::any_of(rates->begin(), rates->end(), [](const FundingPoint& p) { return p.rate == Px("-0.00007313"); }));
}

TEST(FundingFile, EveryBadRowIsOneLineNamingFileAndLine) {
  TempDir tmp;
  const std::string header = "funding_time_ms,symbol,funding_rate\n";
  struct Case {
    std::string text, error;
  } cases[] = {
      {"time,symbol,rate\n1,BTCUSDT,0.0001\n", ":1: expected the header funding_time_ms,symbol,funding_rate"},
      {header + "1688486400000,ETHUSDT,0.0001\n", ":2: symbol ETHUSDT in a file given for BTCUSDT"},
      {header + "1688486400000,BTCUSDT,1e-4\n", ":2: funding_rate: "},
      {header + "1688486400000,BTCUSDT,0.2\n", ":2: funding_rate 0.2 is beyond +-0.1 a period"},
      {header + "1688486400000,BTCUSDT\n", ":2: expected 3 columns, got 2"},
      {header + "1688515200000,BTCUSDT,0.0001\n1688486400000,BTCUSDT,0.0001\n",
       ":3: funding time 2023-07-04T16:00:00Z is not after the previous one (2023-07-05T00:00:00Z)"},
      {header, ":1: no funding rates"},
  };
  for (const Case& c : cases) {
    const std::string path = WriteFile(tmp.Sub("f.csv"), c.text);
    absl::StatusOr<std::vector<FundingPoint>> rates = ReadFundingFile(path, "BTCUSDT");
    ASSERT_FALSE(rates.ok()) << c.text;
    EXPECT_THAT(std::string(rates.status().message()), StartsWith(path + c.error)) << c.text;
    EXPECT_THAT(std::string(rates.status().message()), Not(HasSubstr("\n")));
  }
  EXPECT_TRUE(absl::IsNotFound(ReadFundingFile(tmp.Sub("none.csv"), "BTCUSDT").status()));
}

TEST(FundingFile, AConstantRateFallsAtZeroEightAndSixteenUtcWithinTheSpan) {
  // 2023-07-04T12:35Z .. 2023-07-05T16:00Z: 16:00, 00:00, 08:00, 16:00.
  const std::vector<FundingPoint> points = ConstantFunding(Px("0.0001"), 1688474100000, 1688572800000);
  std::vector<std::string> times;
  for (const FundingPoint& p : points) times.push_back(IsoUtc(p.time_ms));
  EXPECT_THAT(times, ::testing::ElementsAre("2023-07-04T16:00:00Z", "2023-07-05T00:00:00Z", "2023-07-05T08:00:00Z",
                                            "2023-07-05T16:00:00Z"));
  EXPECT_EQ(points[0].rate, Px("0.0001"));
  EXPECT_EQ(ParseFundingRate("-0.0003").value(), Px("-0.0003"));
  for (const char* bad : {"", "0.5", "1%", "nan", "-0.11"}) {
    EXPECT_THAT(std::string(ParseFundingRate(bad).status().message()),
                StartsWith("--constant-funding-rate: expected a fraction within +-0.1 per 8 h")) << bad;
  }
}

}  // namespace
}  // namespace apollo::runtime
