// The fake Kalshi WebSocket (issue 15 §2): /trade-api/ws/v2 on loopback,
// over net::WsServer, answering Kalshi's commands from an Exchange
// (exchange.h). The handshake must be signed as Kalshi's is (KALSHI-ACCESS-
// KEY, -TIMESTAMP, -SIGNATURE over timestamp + "GET" + "/trade-api/ws/v2");
// otherwise HTTP 401.
//
//   FakeKalshiStream stream(&exchange, {.key_id = "k", .public_pem = pem});
//   RETURN_IF_ERROR(stream.Start());      // any free port on 127.0.0.1
//   ... client at stream.Url() ...
//   stream.Publish();                     // after the exchange changed (the server does it after each request)
//   stream.SkipSeq();                     // the next book message of each subscription is "lost"
//   stream.DropAll();                     // every connection reset
//
// Commands (one client's subscriptions are its own; ids as sent):
//   subscribe {channels, market_ticker | market_tickers}: one `subscribed`
//     (sid) per channel; orderbook_delta needs markets and sends each one's
//     orderbook_snapshot at once; the private channels (fill, user_orders,
//     market_positions) and ticker may name markets or not (all).
//   update_subscription {sids, market_tickers, action: add_markets |
//     delete_markets | get_snapshot}: `ok`; add and get_snapshot send snapshots.
//   unsubscribe {sids}: `unsubscribed` per sid.
//   anything else: `error` with Kalshi's codes (2 params required, 5 unknown
//   command, 6 already subscribed, 8 unknown channel).
// Book messages carry a seq per sid, +1 each; SkipSeq makes one go missing,
// as a lost message would. A delta the subscription's snapshot already
// shows is not sent.
#ifndef APOLLO_TOOLS_FAKE_KALSHI_STREAM_H_
#define APOLLO_TOOLS_FAKE_KALSHI_STREAM_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "tools/fake_kalshi/exchange.h"

namespace apollo::fake_kalshi {

inline constexpr char kStreamPath[] = "/trade-api/ws/v2";

struct StreamOptions {
  std::string key_id;
  std::string public_pem;
  int port = 0;  // 0: any free port
};

class FakeKalshiStream {
 public:
  FakeKalshiStream(Exchange* exchange, StreamOptions options);
  ~FakeKalshiStream();
  absl::Status Start();
  void Stop();
  int port() const;
  std::string Url() const;  // ws://127.0.0.1:<port>/trade-api/ws/v2

  // Sends what the exchange did since the last call to the clients
  // subscribed to it.
  void Publish();
  // Faults: the next book message of every subscription is skipped (its seq
  // used, nothing sent); every connection reset without a close.
  void SkipSeq();
  void DropAll();

  int refused_handshakes() const;
  int clients() const;
  // Subscribe and update_subscription commands received so far.
  int commands() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace apollo::fake_kalshi

#endif  // APOLLO_TOOLS_FAKE_KALSHI_STREAM_H_
