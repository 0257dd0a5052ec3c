// Kalshi's request signing and REST payloads (issue 15 §2), on the signing
// vectors and the docs' and captured answers in tests/data/kalshi: what a
// bot reading today's API must get right (fixed-point strings, bids-only
// books, strikes from their fields) and refuse (a bad value is never 0).
#include <simdjson.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "engine/venue/kalshi/credentials.h"
#include "engine/venue/kalshi/fees.h"
#include "engine/venue/kalshi/payloads.h"
#include "engine/venue/kalshi/signer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace apollo::venue::kalshi {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Data(const std::string& name) {
  std::ifstream in(std::string(APOLLO_SOURCE_DIR) + "/tests/data/kalshi/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The "response" member of an assembled or docs example, as JSON text.
std::string Response(const std::string& name) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(Data(name));
  return simdjson::to_string(doc["response"]);
}

Fixed D(const char* text) { return *Fixed::Parse(text); }

struct Vectors {
  std::string private_pem, public_pem;
  struct One {
    int64_t timestamp_ms;
    std::string method, path, message, signature;
  };
  std::vector<One> vectors;
};

Vectors ReadVectors() {
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(Data("signing_vectors.json"));
  Vectors v;
  v.private_pem = std::string(std::string_view(doc["private_key_pem"]));
  v.public_pem = std::string(std::string_view(doc["public_key_pem"]));
  for (simdjson::dom::element e : doc["vectors"].get_array()) {
    v.vectors.push_back({std::stoll(std::string(std::string_view(e["timestamp_ms"]))), std::string(std::string_view(e["method"])),
                         std::string(std::string_view(e["path"])), std::string(std::string_view(e["message"])),
                         std::string(std::string_view(e["signature_b64"]))});
  }
  return v;
}

TEST(KalshiSigning, TheMessageIsTimestampMethodAndPathWithoutTheQuery) {
  for (const Vectors::One& v : ReadVectors().vectors) {
    EXPECT_EQ(SigningMessage(v.timestamp_ms, v.method, v.path), v.message);
  }
  EXPECT_EQ(SigningMessage(1703123456789, "get", "/trade-api/v2/portfolio/orders?limit=5&cursor=abc"),
            "1703123456789GET/trade-api/v2/portfolio/orders");
}

TEST(KalshiSigning, ThePublishedSignaturesVerifyAndATamperedOneDoesNot) {
  const Vectors vs = ReadVectors();
  ASSERT_EQ(vs.vectors.size(), 4u);
  for (const Vectors::One& v : vs.vectors) {
    EXPECT_TRUE(Verify(vs.public_pem, v.message, v.signature).ok()) << v.message;
    EXPECT_FALSE(Verify(vs.public_pem, v.message + "x", v.signature).ok()) << "another message";
  }
  const Vectors::One& first = vs.vectors[0];
  std::string flipped = first.signature;
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Verify(vs.public_pem, first.message, flipped).message(), "kalshi signature: does not verify");
  EXPECT_EQ(Verify(vs.public_pem, first.message, "%%%").message(), "kalshi signature: not base64");
}

TEST(KalshiSigning, OurSignaturesVerifyWithTheKeysPublicHalfAndDifferEachTime) {
  const Vectors vs = ReadVectors();
  absl::StatusOr<Signer> signer = Signer::FromPem(vs.private_pem);
  ASSERT_TRUE(signer.ok()) << signer.status();
  for (const Vectors::One& v : vs.vectors) {
    absl::StatusOr<std::string> a = signer->Sign(v.timestamp_ms, v.method, v.path);
    absl::StatusOr<std::string> b = signer->Sign(v.timestamp_ms, v.method, v.path);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NE(*a, *b) << "PSS salts each signature";
    EXPECT_TRUE(Verify(vs.public_pem, v.message, *a).ok()) << v.message;
    EXPECT_TRUE(Verify(vs.public_pem, v.message, *b).ok()) << v.message;
  }
}

TEST(KalshiSigning, ABadKeyIsRefusedWithoutQuotingIt) {
  const std::string secretish = "-----BEGIN PRIVATE KEY-----\nTOPSECRETMATERIAL\n-----END PRIVATE KEY-----\n";
  absl::StatusOr<Signer> signer = Signer::FromPem(secretish);
  ASSERT_FALSE(signer.ok());
  EXPECT_EQ(signer.status().message(),
            "kalshi key: not an unencrypted PEM private key (KALSHI_PRIVATE_KEY_PATH or KALSHI_API_SECRET)");
  EXPECT_THAT(std::string(signer.status().message()), Not(HasSubstr("TOPSECRET")));
  EXPECT_FALSE(Signer::FromPem(ReadVectors().public_pem).ok()) << "a public key cannot sign";
}

TEST(KalshiPayloads, TheDocsOrderbookIsBidsOnlyAndTheYesAskIsOneMinusTheBestNoBid) {
  absl::StatusOr<Orderbook> book = ParseOrderbook(Response("get_market_orderbook.KXHIGHNY-24JAN01-T60.docs_example.json"));
  ASSERT_TRUE(book.ok()) << book.status();
  ASSERT_EQ(book->yes_bids.size(), 12u);
  ASSERT_EQ(book->no_bids.size(), 10u);
  EXPECT_EQ(book->yes_bids[0].price, D("0.01"));
  EXPECT_EQ(book->yes_bids[0].count, D("200"));
  EXPECT_EQ(book->BestYesBid(), D("0.42"));
  EXPECT_EQ(book->BestNoBid(), D("0.56"));
  EXPECT_EQ(book->BestYesAsk(), D("0.44"));
}

TEST(KalshiPayloads, TheBestBidDoesNotDependOnTheOrderOfLevels) {
  absl::StatusOr<Orderbook> book = ParseOrderbook(
      R"({"orderbook_fp":{"yes_dollars":[["0.4200","13.00"],["0.0100","200.00"]],"no_dollars":null}})");
  ASSERT_TRUE(book.ok()) << book.status();
  EXPECT_EQ(book->BestYesBid(), D("0.42"));
  EXPECT_EQ(book->BestYesAsk(), std::nullopt) << "no NO bids: no YES ask";
}

TEST(KalshiPayloads, ACapturedMarketReadsItsStrikeGridAndTopOfBook) {
  absl::StatusOr<Market> m = ParseMarket(Data("get_market.KXXRPD-26AUG2721-T2.1399.json"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->ticker, "KXXRPD-26AUG2721-T2.1399");
  EXPECT_EQ(m->event_ticker, "KXXRPD-26AUG2721");
  EXPECT_EQ(m->status, "active");
  EXPECT_EQ(m->result, "");
  EXPECT_EQ(m->strike_type, StrikeType::kGreater);
  EXPECT_EQ(m->floor_strike, D("2.1399")) << "read from the number's text, exactly";
  EXPECT_EQ(m->cap_strike, std::nullopt);
  EXPECT_EQ(m->yes_bid, D("0"));
  EXPECT_EQ(m->yes_ask, D("0.01"));
  EXPECT_EQ(m->no_bid, D("0.99"));
  EXPECT_EQ(m->close_time_ms, 1787878800000);  // 2026-08-28T01:00:00Z
  ASSERT_EQ(m->price_ranges.size(), 1u);
  EXPECT_TRUE(m->OnGrid(D("0.56")));
  EXPECT_FALSE(m->OnGrid(D("0.565"))) << "between two cents";
  EXPECT_FALSE(m->OnGrid(D("1.01")));

  absl::StatusOr<Orderbook> book = ParseOrderbook(Data("get_market_orderbook.KXXRPD-26AUG2721-T2.1399.json"));
  ASSERT_TRUE(book.ok()) << book.status();
  EXPECT_TRUE(book->yes_bids.empty());
  EXPECT_EQ(book->BestYesAsk(), D("0.01")) << "as the market's yes_ask_dollars says";
}

TEST(KalshiPayloads, AListedMarketTradesAsABinaryContractStrictlyInsideItsGrid) {
  absl::StatusOr<Market> m = ParseMarket(Data("get_market.KXXRPD-26AUG2721-T2.1399.json"));
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<Instrument> i = ListedInstrument(*m);
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_EQ(i->kind, InstrumentKind::kBinaryEventContract);
  EXPECT_EQ(i->min_price, D("0.01")) << "the band 0..1 step 0.01 trades from 1 cent";
  EXPECT_EQ(i->max_price, D("0.99"));
  EXPECT_EQ(i->contract_value, D("1"));
  EXPECT_EQ(i->terms.strike_type, StrikeType::kGreater);
  EXPECT_EQ(i->terms.floor_strike, D("2.1399"));
  EXPECT_EQ(i->terms.event, "KXXRPD-26AUG2721");
  EXPECT_EQ(i->terms.series, "KXXRPD");
  EXPECT_EQ(i->terms.subject_day, "") << "an hourly event's code is not a day";
  EXPECT_EQ(SubjectDayOfEvent("KXHIGHNY-25MAR29"), "2025-03-29");
  EXPECT_EQ(SubjectDayOfEvent("HIGHNY-24AUG16"), "2024-08-16");
  EXPECT_EQ(SubjectDayOfEvent("KXHIGHNY-25FEB30"), "");
  EXPECT_EQ(SubjectDayOfEvent("KXHIGHNY"), "");
  Market custom = *m;
  custom.strike_type = StrikeType::kNone;
  EXPECT_EQ(ListedInstrument(custom).status().message(),
            "market KXXRPD-26AUG2721-T2.1399: its strike type is not one Apollo trades");
  Market tapered = *m;
  tapered.price_ranges = {{D("0"), D("0.1"), D("0.001")}, {D("0.1"), D("0.9"), D("0.01")}, {D("0.9"), D("1"), D("0.001")}};
  i = ListedInstrument(tapered);
  ASSERT_TRUE(i.ok()) << i.status();
  EXPECT_EQ(i->min_price, D("0.001"));
  EXPECT_EQ(i->max_price, D("0.999"));
  EXPECT_EQ(i->price_bands.size(), 3u);
}

TEST(KalshiPayloads, ABetweenBucketNeedsBothStrikesFromItsFieldsNotItsTicker) {
  const std::string market =
      R"({"market":{"ticker":"KXHIGHNY-25APR01-B77.5","event_ticker":"KXHIGHNY-25APR01","status":"active",)"
      R"("strike_type":"between","floor_strike":77,"cap_strike":78}})";
  absl::StatusOr<Market> m = ParseMarket(market);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->strike_type, StrikeType::kBetween);
  EXPECT_EQ(m->floor_strike, D("77"));
  EXPECT_EQ(m->cap_strike, D("78"));
  absl::StatusOr<Market> missing = ParseMarket(absl::StrReplaceAll(market, {{R"(,"cap_strike":78)", ""}}));
  EXPECT_EQ(missing.status().message(), "kalshi market: field 'cap_strike': missing for strike_type between");
  EXPECT_EQ(ParseMarket(absl::StrReplaceAll(market, {{"77,", "7.7e1,"}})).status().message(),
            "kalshi market: field 'floor_strike': not an exact decimal: '7.7e1'");
}

TEST(KalshiPayloads, OrdersFillsPositionsAndBalanceInTheSpecsShape) {
  absl::StatusOr<Page<Order>> orders = ParseOrders(Response("get_orders.assembled_example.json"));
  ASSERT_TRUE(orders.ok()) << orders.status();
  ASSERT_EQ(orders->items.size(), 1u);
  const Order& o = orders->items[0];
  EXPECT_EQ(o.side, "yes");
  EXPECT_EQ(o.action, "buy");
  EXPECT_EQ(o.status, OrderStatus::kResting);
  EXPECT_EQ(o.yes_price, D("0.56"));
  EXPECT_EQ(o.fill_count, D("10"));
  EXPECT_EQ(o.created_time_ms, 1767225600000);  // 2026-01-01T00:00:00Z
  EXPECT_EQ(orders->cursor, "<string>");

  absl::StatusOr<Order> created = ParseOrder(Response("create_order.assembled_example.json"));
  ASSERT_TRUE(created.ok()) << created.status();
  absl::StatusOr<Order> cancelled = ParseOrder(Response("cancel_order.assembled_example.json"));
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();

  absl::StatusOr<Page<Fill>> fills = ParseFills(Response("get_fills.assembled_example.json"));
  ASSERT_TRUE(fills.ok()) << fills.status();
  ASSERT_EQ(fills->items.size(), 1u);
  EXPECT_EQ(fills->items[0].count, D("10"));
  EXPECT_EQ(fills->items[0].fee, D("0.56"));

  absl::StatusOr<Page<Position>> positions = ParsePositions(Response("get_positions.assembled_example.json"));
  ASSERT_TRUE(positions.ok()) << positions.status();
  ASSERT_EQ(positions->items.size(), 1u);
  EXPECT_EQ(positions->items[0].position, D("10"));

  absl::StatusOr<Page<Settlement>> settled = ParseSettlements(Response("get_settlements.assembled_example.json"));
  ASSERT_TRUE(settled.ok()) << settled.status();
  ASSERT_EQ(settled->items.size(), 1u);
  EXPECT_EQ(settled->items[0].result, "yes");
  EXPECT_EQ(settled->items[0].yes_count, D("10"));
  EXPECT_EQ(settled->items[0].fee, D("0.34"));

  absl::StatusOr<Balance> balance = ParseBalance(Response("get_balance.assembled_example.json"));
  ASSERT_TRUE(balance.ok()) << balance.status();
  EXPECT_EQ(balance->balance, D("0.56"));
}

// Kalshi's 2026 fields are strings; a value that is not exactly one is
// refused naming the field, never read as 0.
TEST(KalshiPayloads, ABadFixedPointValueIsRefusedNamingItsField) {
  const std::string order = Response("create_order.assembled_example.json");
  struct Case {
    std::string from, to, error;
  };
  const Case cases[] = {
      {R"("yes_price_dollars": "0.5600")", R"("yes_price_dollars": "")",
       "kalshi order: field 'yes_price_dollars': not a decimal: ''"},
      {R"("yes_price_dollars": "0.5600")", R"("yes_price_dollars": "1.0100")",
       "kalshi order: field 'yes_price_dollars': a price outside 0..1 dollars: '1.01'"},
      {R"("yes_price_dollars": "0.5600")", R"("yes_price_dollars": "0.56001")",
       "kalshi order: field 'yes_price_dollars': more than 4 decimals: '0.56001'"},
      {R"("yes_price_dollars": "0.5600")", R"("yes_price_dollars": 56)",
       "kalshi order: field 'yes_price_dollars': wrong type"},
      {R"("fill_count_fp": "10.00")", R"("fill_count_fp": "10.005")",
       "kalshi order: field 'fill_count_fp': more than 2 decimals: '10.005'"},
      {R"("fill_count_fp": "10.00")", R"("fill_count_fp": "-1.00")",
       "kalshi order: field 'fill_count_fp': negative: '-1'"},
      {R"("status": "resting")", R"("status": "pending")", "kalshi order: field 'status': unknown value 'pending'"},
  };
  std::string compact = order;
  for (const Case& c : cases) {
    const std::string from = absl::StrReplaceAll(c.from, {{": ", ":"}});
    const std::string to = absl::StrReplaceAll(c.to, {{": ", ":"}});
    ASSERT_TRUE(absl::StrContains(compact, from)) << from;
    EXPECT_EQ(ParseOrder(absl::StrReplaceAll(compact, {{from, to}})).status().message(), c.error) << to;
  }
  EXPECT_EQ(ParseOrderbook(R"({"orderbook_fp":{"yes_dollars":[["0.4200","abc"]]}})").status().message(),
            "kalshi orderbook: field 'yes_dollars[0]': not a positive count: 'abc'");
  EXPECT_EQ(ParseOrderbook(R"({"orderbook_fp":{"yes_dollars":[["1.0000","5.00"]]}})").status().message(),
            "kalshi orderbook: field 'yes_dollars[0]': not a price strictly between 0 and 1 dollars: '1.0000'");
  EXPECT_FALSE(ParseOrderbook("{\"orderbook_fp\":").ok()) << "cut short";
  EXPECT_EQ(ParseBalance(R"({"balance":56})").status().message(), "kalshi balance: field 'balance_dollars': missing")
      << "the legacy cents alone are not read";
}

// An event with its markets (what a settlement pass reads, one call per
// event): nested in the event, or at the answer's top level in the older
// shape; a market of another event is refused.
TEST(KalshiPayloads, AnEventCarriesItsMarketsNestedOrBesideIt) {
  const std::string body = Data("get_market.KXXRPD-26AUG2721-T2.1399.json");  // {"market":{...}}, a real answer
  const std::string market = body.substr(body.find('{', 1), body.rfind('}') - body.find('{', 1));
  const std::string array = absl::StrCat("[", market, "]");
  absl::StatusOr<Event> nested = ParseEvent(absl::StrCat(
      R"({"event":{"event_ticker":"KXXRPD-26AUG2721","series_ticker":"KXXRPD","title":"t","markets":)", array, "}}"));
  ASSERT_TRUE(nested.ok()) << nested.status();
  EXPECT_EQ(nested->series_ticker, "KXXRPD");
  ASSERT_EQ(nested->markets.size(), 1u);
  EXPECT_EQ(nested->markets[0].ticker, "KXXRPD-26AUG2721-T2.1399");
  EXPECT_EQ(nested->markets[0].status, "active");
  absl::StatusOr<Event> beside =
      ParseEvent(absl::StrCat(R"({"event":{"event_ticker":"KXXRPD-26AUG2721"},"markets":)", array, "}"));
  ASSERT_TRUE(beside.ok()) << beside.status();
  EXPECT_EQ(beside->markets.size(), 1u);
  EXPECT_EQ(ParseEvent(absl::StrCat(R"({"event":{"event_ticker":"KXHIGHNY-25APR01","markets":)", array, "}}"))
                .status()
                .message(),
            "kalshi event: field 'markets': market KXXRPD-26AUG2721-T2.1399 is of event KXXRPD-26AUG2721");
  EXPECT_EQ(ParseEvent(R"({"events":[]})").status().message(), "kalshi event: field 'event': missing");
}

// The account's tier (GET /account/limits) in today's shape, the example of
// Kalshi's "Rate Limits and Tiers" page; the flat shape from before
// 2026-04-30 is refused naming the bucket, and the config's quotas stand.
TEST(KalshiPayloads, TheAccountsTierGivesEachBucketsRefillAndSizeInTokens) {
  absl::StatusOr<ApiLimits> tier = ParseApiLimits(
      R"({"usage_tier":"premier","read":{"refill_rate":1000,"bucket_capacity":1000},)"
      R"("write":{"refill_rate":1000,"bucket_capacity":2000},"grants":[{"exchange_instance":"event_contract",)"
      R"("level":"premier","expires_ts":1751558400,"source":"volume"}]})");
  ASSERT_TRUE(tier.ok()) << tier.status();
  EXPECT_EQ(tier->usage_tier, "premier");
  EXPECT_EQ(tier->read_refill, 1000);
  EXPECT_EQ(tier->read_capacity, 1000);
  EXPECT_EQ(tier->write_refill, 1000);
  EXPECT_EQ(tier->write_capacity, 2000);
  EXPECT_EQ(ParseApiLimits(R"({"usage_tier":"basic","read_limit":20,"write_limit":10})").status().message(),
            "kalshi limits: field 'read': missing (an answer of the shape before 2026-04-30?)");
  EXPECT_EQ(ParseApiLimits(R"({"usage_tier":"basic","read":{"refill_rate":200,"bucket_capacity":100},)"
                           R"("write":{"refill_rate":100,"bucket_capacity":100}})")
                .status()
                .message(),
            "kalshi limits.read: field 'bucket_capacity': not a bucket at least its refill");
}

// Kalshi's fee schedule: ceil(0.07 × C × P × (1 − P)) for a taker, 0.0175
// for a maker, to the cent for a whole-cent balance (the published table:
// $0.02 for one contract at 50¢, $1.75 for a hundred; a maker pays a quarter).
TEST(KalshiFees, TheScheduleRoundsUpToTheCentAndPeaksAtFiftyCents) {
  struct Case {
    FeeRole role;
    const char *count, *price, *fee;
  };
  const Case cases[] = {
      {FeeRole::kTaker, "1", "0.50", "0.02"},   {FeeRole::kTaker, "100", "0.50", "1.75"},
      {FeeRole::kTaker, "100", "0.05", "0.34"}, {FeeRole::kTaker, "100", "0.95", "0.34"},
      {FeeRole::kTaker, "100", "0.25", "1.32"}, {FeeRole::kMaker, "100", "0.50", "0.44"},
      {FeeRole::kMaker, "100", "0.10", "0.16"}, {FeeRole::kMaker, "1", "0.05", "0.01"},
      {FeeRole::kNoFee, "100", "0.50", "0"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Fixed> fee = TradeFee(c.role, D(c.count), D(c.price));
    ASSERT_TRUE(fee.ok()) << fee.status();
    EXPECT_EQ(*fee, D(c.fee)) << c.count << " @ " << c.price;
  }
  EXPECT_EQ(*TradeFee(FeeRole::kTaker, D("1"), D("0.50"), /*whole_cents=*/false), D("0.0175"))
      << "a direct member's balance keeps centicents";
  EXPECT_EQ(*TradeFee(FeeRole::kTaker, D("3"), D("0.055"), false), D("0.011")) << "0.0109147..., rounded up";
  EXPECT_EQ(TradeFee(FeeRole::kTaker, D("1"), D("1"), true).status().message(),
            "kalshi fee: a price strictly between 0 and 1 with at most 4 decimals (got 1)");
  EXPECT_FALSE(TradeFee(FeeRole::kTaker, D("0.005"), D("0.5"), true).ok());
}


// Credentials under the Milkbot operators' names; password login refused.
class KalshiCredentials : public ::testing::Test {
 protected:
  config::Env Env() {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars_.find(name);
      if (it == vars_.end()) return std::nullopt;
      return it->second;
    };
  }
  std::string NoDotenv() const { return dir_.path() + "/no.env"; }
  std::string PrivatePem() {
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(Data("signing_vectors.json"));
    return std::string(std::string_view(doc["private_key_pem"]));
  }
  apollo::testing::TempDir dir_;
  std::map<std::string, std::string> vars_;
};

TEST_F(KalshiCredentials, PasswordLoginIsRefusedInOneLine) {
  vars_["KALSHI_EMAIL"] = "ops@example.com";
  auto c = LoadCredentials(Mode::kPaper, NoDotenv(), Env());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("KALSHI_EMAIL is set: Kalshi retired email and password login"));
  vars_.clear();
  vars_["KALSHI_PASSWORD"] = "hunter2";
  c = LoadCredentials(Mode::kTestnet, NoDotenv(), Env());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("KALSHI_PASSWORD is set"));
  EXPECT_THAT(std::string(c.status().message()), Not(HasSubstr("hunter2")));
}

TEST_F(KalshiCredentials, ADemoRunReadsTheKeyFileAndDefaultsToTheDemoHost) {
  const std::string path = dir_.path() + "/kalshi.pem";
  std::ofstream(path) << PrivatePem();
  vars_["KALSHI_API_KEY"] = "a952bcbe-ec3b-4b5b-b8f9-11dae589608c";
  vars_["KALSHI_PRIVATE_KEY_PATH"] = path;
  auto c = LoadCredentials(Mode::kTestnet, NoDotenv(), Env());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->base_url, "https://external-api.demo.kalshi.co/trade-api/v2");
  EXPECT_EQ(c->key_id, "a952bcbe-ec3b-4b5b-b8f9-11dae589608c");
  EXPECT_EQ(c->private_pem, PrivatePem());
  vars_.erase("KALSHI_PRIVATE_KEY_PATH");
  vars_["KALSHI_API_SECRET"] = PrivatePem();
  c = LoadCredentials(Mode::kLive, NoDotenv(), Env());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->base_url, "https://external-api.kalshi.com/trade-api/v2") << "live: the production host";
}

TEST_F(KalshiCredentials, TheWrongHostMissingKeysAndABadKeyAreRefusedWithoutQuotingThem) {
  vars_["KALSHI_API_KEY"] = "a952bcbe-ec3b-4b5b-b8f9-11dae589608c";
  vars_["KALSHI_API_SECRET"] = PrivatePem();
  vars_["KALSHI_API_BASE"] = "https://demo-api.kalshi.co/trade-api/v2";
  EXPECT_THAT(std::string(LoadCredentials(Mode::kLive, NoDotenv(), Env()).status().message()),
              HasSubstr("a live run needs the production host"));
  vars_["KALSHI_API_BASE"] = "https://api.elections.kalshi.com/trade-api/v2";
  EXPECT_THAT(std::string(LoadCredentials(Mode::kTestnet, NoDotenv(), Env()).status().message()),
              HasSubstr("a testnet run trades on the demo"));
  vars_.erase("KALSHI_API_BASE");
  vars_["KALSHI_API_SECRET"] = "-----BEGIN PRIVATE KEY-----\nnot-a-key-secret-xyz\n-----END PRIVATE KEY-----\n";
  const absl::Status bad = LoadCredentials(Mode::kTestnet, NoDotenv(), Env()).status();
  EXPECT_EQ(bad.message(), "KALSHI_API_SECRET is not an RSA private key in PEM");
  vars_.erase("KALSHI_API_SECRET");
  EXPECT_THAT(std::string(LoadCredentials(Mode::kTestnet, NoDotenv(), Env()).status().message()),
              HasSubstr("neither KALSHI_PRIVATE_KEY_PATH nor KALSHI_API_SECRET is set"));
  vars_.erase("KALSHI_API_KEY");
  EXPECT_THAT(std::string(LoadCredentials(Mode::kTestnet, NoDotenv(), Env()).status().message()),
              HasSubstr("KALSHI_API_KEY is not set"));
  EXPECT_TRUE(LoadCredentials(Mode::kPaper, NoDotenv(), Env()).ok()) << "paper needs none";
}

TEST_F(KalshiCredentials, TheStreamFollowsTheRestHostsEnvironmentAndAFakeNeedsItNamed) {
  vars_["KALSHI_API_KEY"] = "a952bcbe-ec3b-4b5b-b8f9-11dae589608c";
  vars_["KALSHI_API_SECRET"] = PrivatePem();
  auto c = LoadCredentials(Mode::kTestnet, NoDotenv(), Env());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->stream_url, "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2");
  c = LoadCredentials(Mode::kLive, NoDotenv(), Env());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->stream_url, "wss://external-api-ws.kalshi.com/trade-api/ws/v2");

  vars_["KALSHI_API_BASE"] = "http://127.0.0.1:18080/trade-api/v2";  // a fake-kalshi
  EXPECT_THAT(std::string(LoadCredentials(Mode::kTestnet, NoDotenv(), Env()).status().message()),
              HasSubstr("KALSHI_WS_URL is not set and KALSHI_API_BASE is not one of Kalshi's hosts"));
  vars_["KALSHI_WS_URL"] = "ws://127.0.0.1:18081/trade-api/ws/v2";
  c = LoadCredentials(Mode::kTestnet, NoDotenv(), Env());
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->stream_url, "ws://127.0.0.1:18081/trade-api/ws/v2");
  for (const char* refused : {"https://127.0.0.1:18081/trade-api/ws/v2", "ws://kalshi.example.com/trade-api/ws/v2",
                               "ws://127.0.0.1.example.com/trade-api/ws/v2"}) {
    vars_["KALSHI_WS_URL"] = refused;
    EXPECT_THAT(std::string(LoadCredentials(Mode::kTestnet, NoDotenv(), Env()).status().message()),
                HasSubstr("KALSHI_WS_URL must start with wss://"))
        << refused << ": a signed handshake in clear text off this machine";
  }
  vars_["KALSHI_WS_URL"] = "ws://127.0.0.1:18081/trade-api/ws/v2";
  vars_["KALSHI_API_BASE"] = "https://external-api.kalshi.com/trade-api/v2";
  EXPECT_THAT(std::string(LoadCredentials(Mode::kLive, NoDotenv(), Env()).status().message()),
              HasSubstr("never live"));
  vars_.erase("KALSHI_API_BASE");
  vars_["KALSHI_WS_URL"] = "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2";
  EXPECT_THAT(std::string(LoadCredentials(Mode::kLive, NoDotenv(), Env()).status().message()),
              HasSubstr("a live run needs the production stream"));
  vars_["KALSHI_WS_URL"] = "wss://external-api-ws.kalshi.com/trade-api/ws/v2";
  EXPECT_THAT(std::string(LoadCredentials(Mode::kTestnet, NoDotenv(), Env()).status().message()),
              HasSubstr("a testnet run trades on the demo"));
}

}  // namespace
}  // namespace apollo::venue::kalshi
