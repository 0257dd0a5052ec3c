// A small loopback WebSocket server: for the WebSocket client's tests and for
// the fake Binance, which pushes klines and user-data events through it.
//
//   WsServer server;  // 127.0.0.1, a port the kernel picks
//   RETURN_IF_ERROR(server.Start());
//   std::string url = absl::StrCat("ws://127.0.0.1:", server.port(), "/ws/key1");
//   ... a client connects ...
//   server.WaitForClients("/ws/key1", 1, 5000);
//   server.Broadcast("/ws/key1", R"({"e":"ORDER_TRADE_UPDATE",...})");
//
// Clients may connect on any path; each is known by the request target it
// connected with ("/ws/<listenKey>", "/stream?streams=btcusdt@kline_5m"),
// and by an id that on_message and on_closed name and SendTo takes (Kalshi's
// fake answers each client's commands on its own connection). on_handshake
// may refuse an upgrade from its headers (Kalshi's signature) with HTTP 401.
// Messages to one client are sent in the order Broadcast was called. Faults
// for tests: DropAll() resets every connection without a close handshake;
// SetSilent(true) makes Broadcast send nothing (pings from clients are still
// answered, so only data goes quiet). Like Binance, the server pings a client
// that has been idle for 150 s and drops one that stays silent for 300 s.
//
// One I/O thread. Methods are thread-safe and may be called from on_message
// (which runs on that thread), except Stop().
#ifndef APOLLO_ENGINE_NET_WS_SERVER_H_
#define APOLLO_ENGINE_NET_WS_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace apollo::net {

using WsHeaders = std::vector<std::pair<std::string, std::string>>;  // name, value

struct WsServerOptions {
  std::string bind_address = "127.0.0.1";
  uint16_t port = 0;                   // 0: the kernel picks; see port()
  size_t max_clients = 64;             // beyond this a new connection is closed at once
  size_t max_queued_per_client = 4096; // messages; a client this far behind is dropped
  int64_t handshake_timeout_ms = 5000;
  // Each upgrade request's path and headers, before it is accepted; false
  // answers HTTP 401 and closes. Unset: every upgrade is accepted.
  std::function<bool(std::string_view path, const WsHeaders& headers)> on_handshake;
  // A message from client `client` (e.g. a SUBSCRIBE request), on the I/O thread.
  std::function<void(uint64_t client, std::string_view path, std::string_view text)> on_message;
  // Client `client`'s connection is gone (closed, reset or dropped), on the I/O thread.
  std::function<void(uint64_t client)> on_closed;
};

class WsServer {
 public:
  explicit WsServer(WsServerOptions options = {});
  ~WsServer();  // Stop()
  WsServer(const WsServer&) = delete;
  WsServer& operator=(const WsServer&) = delete;

  // Binds, listens and starts the I/O thread. Unavailable if the address
  // cannot be bound; FailedPrecondition if already started.
  absl::Status Start();
  // Closes the listener and every connection, joins the I/O thread; returns
  // within about a second. Idempotent.
  void Stop();
  uint16_t port() const;  // valid after Start()

  // Queues text for every connected client whose path starts with
  // path_prefix ("" for all); returns how many. 0 while silent.
  size_t Broadcast(std::string_view path_prefix, std::string_view text);
  // Queues text for client `client` alone; false if it is not connected (or
  // while silent).
  bool SendTo(uint64_t client, std::string_view text);
  // Resets every connection (TCP RST, no WebSocket close); returns once
  // they are gone from client_count().
  void DropAll();
  void SetSilent(bool silent);

  size_t client_count() const;
  std::vector<std::string> client_paths() const;  // of connected clients
  uint64_t connections_accepted() const;          // handshakes completed since Start()
  // Waits until at least `count` connected clients have a path starting with
  // path_prefix. False on timeout.
  bool WaitForClients(std::string_view path_prefix, size_t count, int64_t timeout_ms) const;
  // Waits until connections_accepted() >= count (e.g. a client's second
  // connection, while the server may still list its first). False on timeout.
  bool WaitForAccepted(uint64_t count, int64_t timeout_ms) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace apollo::net

#endif  // APOLLO_ENGINE_NET_WS_SERVER_H_
