// Kalshi's WebSocket messages (engine/venue/kalshi/stream.h) on the spec's
// published examples (tests/data/kalshi/ws), and the books kept from
// snapshots and deltas: a lost message (a seq gap) never leaves a wrong
// book in use.
#include <simdjson.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/venue/kalshi/stream.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace apollo::venue::kalshi {
namespace {

Fixed D(const char* text) { return *Fixed::Parse(text); }

// The first published example of a message, as the text Kalshi sends.
std::string Example(const std::string& name) {
  std::ifstream in(std::string(APOLLO_SOURCE_DIR) + "/tests/data/kalshi/ws/" + name + ".json");
  std::stringstream text;
  text << in.rdbuf();
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(text.str());
  return simdjson::to_string(doc.at(0)["payload"]);
}

template <class T>
T As(const std::string& name) {
  absl::StatusOr<StreamMessage> m = ParseStreamMessage(Example(name));
  EXPECT_TRUE(m.ok()) << name << ": " << m.status();
  EXPECT_TRUE(m.ok() && std::holds_alternative<T>(*m)) << name;
  return m.ok() && std::holds_alternative<T>(*m) ? std::get<T>(*m) : T{};
}

TEST(KalshiStream, ThePublishedExamplesOfEveryChannelWeUseRead) {
  const BookSnapshot snap = As<BookSnapshot>("orderbookSnapshot");
  EXPECT_EQ(snap.sid, 2);
  EXPECT_EQ(snap.seq, 2);
  EXPECT_EQ(snap.ticker, "FED-23DEC-T3.00");
  ASSERT_EQ(snap.yes_bids.size(), 2u);
  EXPECT_EQ(snap.yes_bids[1].price, D("0.22"));
  EXPECT_EQ(snap.no_bids[1].count, D("146"));

  const BookDelta delta = As<BookDelta>("orderbookDelta");
  EXPECT_EQ(delta.seq, 3);
  EXPECT_EQ(delta.side, "yes");
  EXPECT_EQ(delta.price, D("0.96"));
  EXPECT_EQ(delta.delta, D("-54"));
  EXPECT_EQ(delta.ts_ms, 1669149841000);

  const TickerUpdate ticker = As<TickerUpdate>("ticker");
  EXPECT_EQ(ticker.yes_bid, D("0.45"));
  EXPECT_EQ(ticker.yes_ask, D("0.53"));
  EXPECT_EQ(ticker.open_interest, D("20422"));

  const StreamFill fill = As<StreamFill>("fill");
  EXPECT_EQ(fill.ticker, "HIGHNY-22DEC23-B53.5");
  EXPECT_EQ(fill.count, D("278"));
  EXPECT_EQ(fill.yes_price, D("0.75"));
  EXPECT_EQ(fill.post_position, D("500"));
  EXPECT_TRUE(fill.is_taker);

  const StreamOrder order = As<StreamOrder>("userOrder");
  EXPECT_EQ(order.client_order_id, "my-order-1");
  EXPECT_EQ(order.status, OrderStatus::kResting);
  EXPECT_EQ(order.remaining_count, D("10"));

  const StreamPosition position = As<StreamPosition>("marketPosition");
  EXPECT_EQ(position.position, D("100"));
  EXPECT_EQ(position.cost, D("50"));

  const StreamSubscribed subscribed = As<StreamSubscribed>("subscribedResponse");
  EXPECT_EQ(subscribed.channel, "orderbook_delta");
  EXPECT_EQ(subscribed.sid, 1);
  const StreamError error = As<StreamError>("errorResponse");
  EXPECT_EQ(error.code, 6);
  EXPECT_EQ(error.message, "Already subscribed");
  EXPECT_EQ(As<StreamOther>("okResponse").type, "ok");
}

TEST(KalshiStream, ACutFrameIsLostDataAndABadFieldIsNamed) {
  EXPECT_EQ(ParseStreamMessage(R"({"type":"orderbook_delta","sid":2,)").status().code(), absl::StatusCode::kDataLoss);
  const std::string bad =
      R"({"type":"orderbook_delta","sid":2,"seq":3,"msg":{"market_ticker":"T","price_dollars":"1.5","delta_fp":"1.00","side":"yes"}})";
  EXPECT_EQ(ParseStreamMessage(bad).status().message(),
            "kalshi stream orderbook_delta msg: field 'price_dollars': a price outside 0..1 dollars: '1.5'");
  EXPECT_EQ(ParseStreamMessage(R"({"type":"orderbook_delta","sid":2,"msg":{}})").status().message(),
            "kalshi stream message: field 'seq': missing");
}

BookDelta Delta(int64_t seq, const char* side, const char* price, const char* delta) {
  return BookDelta{2, seq, "FED-23DEC-T3.00", side, D(price), D(delta)};
}

TEST(KalshiStream, DeltasInOrderKeepTheBookAndATakenLevelGoes) {
  BookKeeper books;
  books.Apply(As<BookSnapshot>("orderbookSnapshot"));  // sid 2, seq 2
  ASSERT_TRUE(books.Apply(Delta(3, "yes", "0.22", "-333")).ok());
  ASSERT_TRUE(books.Apply(Delta(4, "no", "0.57", "10")).ok());
  const Orderbook* book = books.Book("FED-23DEC-T3.00");
  ASSERT_NE(book, nullptr);
  EXPECT_EQ(book->BestYesBid(), D("0.08")) << "0.22 was taken";
  EXPECT_EQ(book->BestNoBid(), D("0.57"));
  EXPECT_EQ(book->BestYesAsk(), D("0.43"));
}

TEST(KalshiStream, ASeqGapMakesTheSubscriptionsBooksStaleUntilTheNextSnapshot) {
  BookKeeper books;
  const BookSnapshot snapshot = As<BookSnapshot>("orderbookSnapshot");
  books.Apply(snapshot);
  absl::Status gap = books.Apply(Delta(5, "yes", "0.08", "5"));  // 3 and 4 were lost
  EXPECT_EQ(gap.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(gap.message(), "kalshi book: subscription 2 expected seq 3, got seq 5: its books are stale; resubscribe");
  EXPECT_EQ(books.Book("FED-23DEC-T3.00"), nullptr) << "never a book with a hole in it";
  EXPECT_FALSE(books.Apply(Delta(6, "yes", "0.08", "5")).ok()) << "still waiting for the snapshot";

  BookSnapshot again = snapshot;
  again.seq = 9;
  books.Apply(again);
  ASSERT_NE(books.Book("FED-23DEC-T3.00"), nullptr);
  EXPECT_TRUE(books.Apply(Delta(10, "yes", "0.08", "5")).ok());
  EXPECT_EQ(books.Book("FED-23DEC-T3.00")->yes_bids[0].count, D("305"));

  EXPECT_FALSE(books.Apply(Delta(11, "no", "0.54", "-21")).ok()) << "20 held: a level below zero is a lost message";
  EXPECT_EQ(books.Book("FED-23DEC-T3.00"), nullptr);
}

// One subscription covers several markets: a snapshot of one that skips
// seqs means the others may have lost deltas.
TEST(KalshiStream, ASnapshotOutOfTurnMakesTheSubscriptionsOtherBooksStale) {
  BookKeeper books;
  BookSnapshot a = As<BookSnapshot>("orderbookSnapshot");  // sid 2, seq 2
  BookSnapshot b = a;
  b.ticker = "FED-23DEC-T3.25";
  b.seq = 3;
  EXPECT_TRUE(books.Apply(a));
  EXPECT_TRUE(books.Apply(b));
  ASSERT_NE(books.Book("FED-23DEC-T3.00"), nullptr) << "seq 3 followed seq 2";
  BookSnapshot again = a;
  again.seq = 9;  // 4..8 lost, maybe deltas of T3.25
  EXPECT_FALSE(books.Apply(again)) << "out of turn: the caller asks for the others' snapshots";
  EXPECT_NE(books.Book("FED-23DEC-T3.00"), nullptr);
  EXPECT_EQ(books.Book("FED-23DEC-T3.25"), nullptr);
  EXPECT_EQ(ParseStreamMessage(R"({"type":"orderbook_delta","sid":2,"seq":3,"msg":{"market_ticker":"T",)"
                               R"("price_dollars":"1.0000","delta_fp":"1.00","side":"no"}})")
                .status()
                .message(),
            "kalshi stream orderbook_delta msg: field 'price_dollars': not a price strictly between 0 and 1 dollars: '1'");
}

}  // namespace
}  // namespace apollo::venue::kalshi
