// A reconnecting WebSocket client for the venue's streams: Binance's market
// stream (klines) and user-data stream (order and account updates), Kalshi's
// one signed stream (commands sent with Send, per-connection headers from
// handshake_headers).
//
//   WsClientOptions options;
//   options.url = "wss://fstream.binance.com/stream?streams=btcusdt@kline_5m";
//   options.silence_timeout_ms = 30'000;
//   options.on_message = [&](std::string_view text) { inbox.Push(text); };
//   options.on_state = [&](bool connected, std::string_view reason) {
//     journal.WsState(connected, reason);  // and reconcile at once when connected
//   };
//   WsClient client(std::move(options));
//   RETURN_IF_ERROR(client.Start());
//   ...
//   client.Stop();
//
// One I/O thread per client connects, reads, and invokes the callbacks. A
// connection is declared dead, closed and replaced when:
//   - it has carried no data message for silence_timeout_ms (a market stream
//     that stalls while its TCP connection looks healthy);
//   - nothing at all (message, ping or pong) arrived for
//     ping_interval_ms + pong_timeout_ms although we ping every
//     ping_interval_ms (a half-open TCP connection: the user-data stream can be
//     quiet for hours, so it relies on this rather than on silence);
//   - it is max_connection_age_ms old (Binance cuts every connection at 24 h;
//     we leave at 23 h on our own terms, and at once rather than after a
//     backoff);
//   - the server closes it or an I/O error occurs;
//   - Reconnect() is called (e.g. a new listenKey: SetUrl, then Reconnect).
// Failed attempts are retried after a backoff that doubles from
// reconnect_initial_ms up to reconnect_max_ms, each delay drawn uniformly from
// [backoff/2, backoff] by a generator seeded with jitter_seed. The backoff
// returns to its initial value once a connection has stayed up for
// backoff_reset_after_ms, so a server that accepts and drops at once is not
// hammered (Binance allows 300 connection attempts per 5 minutes per IP).
//
// Binance specifics (USDⓈ-M futures):
//   - combined market streams: <base>/stream?streams=btcusdt@kline_5m/...,
//     each message wrapped as {"stream":"btcusdt@kline_5m","data":{...}};
//   - the user-data stream: <base>/ws/<listenKey>; the listenKey must be kept
//     alive over REST (PUT /fapi/v1/listenKey) and, when it expires or
//     changes, the stream must move to the new one (SetUrl + Reconnect).
//     The URL therefore holds a secret: this class never logs or reports it;
//   - the server sends a ping frame every 3 minutes and drops a client that
//     does not answer within 10 minutes. Beast answers pings with pongs by
//     itself while a read is pending, and a read is always pending here;
//     a callback that blocks the I/O thread delays those pongs;
//   - the server disconnects every connection after 24 hours.
// Callbacks must be quick and must not call Stop(); they are never invoked
// after Stop() returns. An exception thrown from a callback is not caught:
// it ends the process (crash-only).
//
// wss:// verifies the server against the system's CA store and the URL's
// host name, with SNI. ws:// is for loopback tests and the fake Binance.
#ifndef APOLLO_ENGINE_NET_WS_CLIENT_H_
#define APOLLO_ENGINE_NET_WS_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace apollo::net {

struct WsClientOptions {
  std::string url;  // ws://host[:port]/target or wss://host[:port]/target

  int64_t connect_timeout_ms = 10'000;  // resolve + TCP + TLS + WebSocket handshake
  int64_t silence_timeout_ms = 0;       // no data message for this long: dead; 0 = off
  int64_t ping_interval_ms = 60'000;    // our pings; 0 = none (and no pong check)
  int64_t pong_timeout_ms = 30'000;     // no frame for ping_interval + this: dead
  int64_t max_connection_age_ms = 23LL * 3600 * 1000;  // 0 = no limit

  int64_t reconnect_initial_ms = 500;
  int64_t reconnect_max_ms = 30'000;
  int64_t backoff_reset_after_ms = 60'000;  // connected this long: backoff back to initial
  uint64_t jitter_seed = 1;

  size_t max_message_bytes = 4 << 20;  // a larger message is an error: reconnect

  // Headers for each opening handshake besides User-Agent, asked for anew
  // before every connection attempt (Kalshi signs a fresh timestamp). They
  // may hold credentials: this class never logs or reports them.
  std::function<std::vector<std::pair<std::string, std::string>>()> handshake_headers;

  // All invoked on the client's I/O thread.
  std::function<void(std::string_view text)> on_message;
  // connected=true after each successful handshake ("connected"); false once
  // when an established connection ends, with a reason whose first word is
  // stable: "silence", "no_pong", "max_age", "reconnect", "closed", "error",
  // "stopped". Never contains the URL.
  std::function<void(bool connected, std::string_view reason)> on_state;
  // A connection attempt failed ("connect_timeout ...", "error ...", "closed
  // ..."); the client will retry after the backoff. For logs; optional.
  std::function<void(std::string_view reason)> on_connect_error;
};

// A parsed ws:// or wss:// URL.
struct WsUrl {
  bool tls = false;
  std::string host;    // without brackets for an IPv6 literal
  std::string port;    // "80" / "443" when the URL names none
  std::string target;  // path and query, "/" when empty
  std::string host_header;  // what the Host header carries
};
absl::StatusOr<WsUrl> ParseWsUrl(std::string_view url);

class WsClient {
 public:
  explicit WsClient(WsClientOptions options);
  ~WsClient();  // Stop()
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Starts the I/O thread, which connects and keeps reconnecting until
  // Stop(). InvalidArgument for a bad URL or options; FailedPrecondition if
  // already started (a client is started at most once).
  absl::Status Start();
  // Closes the connection, joins the I/O thread; returns within about a
  // second whatever the network does (except while a DNS lookup of a wss://
  // host is stuck in the system resolver). Idempotent.
  void Stop();
  // Replaces the URL for the next connection; the current one is kept.
  absl::Status SetUrl(std::string_view url);
  // Closes the current connection (or cuts a backoff short) and connects
  // again at once, with the current URL.
  void Reconnect();
  // Queues a text message on the current connection, sent after those
  // queued before it. A message queued while no connection is up, or whose
  // connection ends before it is written, is dropped: commands a server must
  // hold (a subscription) are therefore sent from on_state(true), which runs
  // again after every reconnect. A failed write ends the connection.
  void Send(std::string text);

  bool connected() const;
  // Seconds since the last data message; since Start() if none yet; 0
  // before Start().
  double last_message_age_sec() const;
  uint64_t connect_attempts() const;  // since Start()
  uint64_t connections() const;       // successful handshakes since Start()

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace apollo::net

#endif  // APOLLO_ENGINE_NET_WS_CLIENT_H_
