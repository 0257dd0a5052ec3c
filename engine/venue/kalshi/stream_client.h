// Kalshi's WebSocket kept (issue 15 §2): one signed connection
// (net::WsClient, its handshake signed as a REST call is, over "GET" and the
// URL's path), the subscriptions sent again on every connect, the order
// books kept from snapshots and deltas (BookKeeper, stream.h), a seq gap
// answered by asking that subscription's snapshots again
// (update_subscription get_snapshot), and the private channels (fill,
// user_orders, market_positions) handed to the caller.
//
//   StreamClientOptions o;
//   o.url = credentials.stream_url;
//   o.key_id = credentials.key_id;
//   o.markets = {"KXHIGHNY-25APR01-B77.5", ...};
//   o.on_private = [&](const StreamMessage& m) { inbox.Push(m); };  // wake the runner: Query its orders
//   ASSIGN_OR_RETURN(Signer signer, Signer::FromPem(credentials.private_pem));
//   StreamClient stream(std::move(o), std::move(signer));
//   RETURN_IF_ERROR(stream.Start());
//   if (std::optional<Orderbook> book = stream.Book(ticker)) ...  // none while unknown or stale
//
// A book is trusted only between its snapshot and the next lost message or
// disconnect: Book() gives nothing in between, so a decision never prices
// on a book with a hole in it. Kalshi pings every 10 s (Beast answers); our
// own ping every ping_interval_ms finds a half-open connection. No text
// this class produces contains the key id, the key or a signature.
#ifndef APOLLO_ENGINE_VENUE_KALSHI_STREAM_CLIENT_H_
#define APOLLO_ENGINE_VENUE_KALSHI_STREAM_CLIENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "engine/venue/kalshi/signer.h"
#include "engine/venue/kalshi/stream.h"

namespace apollo::net {
class WsClient;
}

namespace apollo::venue::kalshi {

inline constexpr std::string_view kDemoStreamUrl = "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2";
inline constexpr std::string_view kProdStreamUrl = "wss://external-api-ws.kalshi.com/trade-api/ws/v2";

struct StreamClientOptions {
  std::string url = std::string(kDemoStreamUrl);
  std::string key_id;
  std::vector<std::string> markets;  // books (orderbook_delta) and tickers of these
  bool private_channels = true;      // fill, user_orders, market_positions
  int64_t connect_timeout_ms = 10'000;
  int64_t ping_interval_ms = 30'000;
  int64_t pong_timeout_ms = 20'000;
  int64_t reconnect_initial_ms = 500;
  int64_t reconnect_max_ms = 30'000;
  uint64_t jitter_seed = 1;
  // On the stream's thread; quick, and never calling Stop().
  std::function<void(const StreamMessage&)> on_private;             // StreamFill, StreamOrder, StreamPosition
  std::function<void(bool connected, std::string_view reason)> on_state;
  std::function<void(std::string_view line)> on_log;                // gaps, refusals, bad messages
};

struct StreamCounters {
  uint64_t connections = 0;  // handshakes completed
  uint64_t gaps = 0;         // lost book messages found (a seq gap, a delta without its snapshot)
  uint64_t snapshots_asked = 0;
  uint64_t refusals = 0;     // `error` answers to our commands
  uint64_t bad_messages = 0; // frames that did not parse
};

class StreamClient {
 public:
  StreamClient(StreamClientOptions options, Signer signer);
  ~StreamClient();  // Stop()
  StreamClient(const StreamClient&) = delete;
  StreamClient& operator=(const StreamClient&) = delete;

  // InvalidArgument for a bad URL or options; FailedPrecondition when
  // started already.
  absl::Status Start();
  void Stop();  // idempotent; returns within about a second
  // The markets whose books are kept from now: added ones are subscribed
  // (with snapshots), removed ones dropped, on the live connection or the next.
  void SetMarkets(std::vector<std::string> markets);

  std::optional<Orderbook> Book(const std::string& ticker) const;
  std::optional<TickerUpdate> Ticker(const std::string& ticker) const;  // the last one this connection
  bool connected() const;
  double last_message_age_sec() const;  // since the last message (since Start before the first)
  StreamCounters counters() const;

 private:
  void OnState(bool connected, std::string_view reason);
  void OnMessage(std::string_view text);
  // Under mu_: sends what brings the server's subscriptions to options_'s.
  void SyncLocked();
  // Sends a command; its id.
  int64_t SendLocked(std::string_view cmd, const std::string& params_json);
  // Asks for the snapshots of subscription `sid`'s books (once until they come).
  void ResyncLocked(int64_t sid);
  void Log(std::string_view line) const;

  StreamClientOptions options_;
  const Signer signer_;
  std::string sign_path_;  // the URL's path: what the handshake signs
  std::unique_ptr<net::WsClient> ws_;

  mutable std::mutex mu_;  // everything below
  bool live_ = false;      // a connection is up
  BookKeeper books_;
  std::map<std::string, TickerUpdate> tickers_;
  std::set<std::string> wanted_;                    // markets asked for
  std::map<std::string, int64_t> sid_;              // channel -> sid, this connection
  std::map<std::string, std::set<std::string>> on_server_;  // channel -> markets subscribed or asked for
  std::set<std::string> asked_;                     // channels whose subscribe awaits its answer
  std::set<int64_t> resyncing_;                     // sids whose snapshots were asked for
  // Commands awaiting their answer: a subscribe's channels, a get_snapshot's
  // sid. A refused one is asked again (subscribe: at the next SetMarkets).
  std::map<int64_t, std::vector<std::string>> subscribing_;
  std::map<int64_t, int64_t> snapshotting_;
  int64_t next_id_ = 1;
  StreamCounters counters_;
};

}  // namespace apollo::venue::kalshi

#endif  // APOLLO_ENGINE_VENUE_KALSHI_STREAM_CLIENT_H_
