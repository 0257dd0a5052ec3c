// The fake Kalshi trade-api v2 server: cpp-httplib on loopback routing
// Kalshi's real paths to an Exchange (exchange.h), with Kalshi's
// authentication (KALSHI-ACCESS-KEY, -TIMESTAMP, -SIGNATURE: RSA-PSS over
// timestamp + METHOD + path, checked against the configured public key)
// and injected faults. For tests (in process) and drills (`fake-kalshi`).
//
//   Exchange exchange(SystemClockMs);
//   FakeKalshiServer server(&exchange, {.key_id = "k", .public_pem = pem});
//   RETURN_IF_ERROR(server.Start());   // any free port on 127.0.0.1
//   ... client at server.BaseUrl() ...
//   server.FailNext(2, 429);           // the next two requests: HTTP 429
//
// Routes, under /trade-api/v2:
//   public  GET /markets (?series_ticker, ?status), /markets/{ticker},
//           /markets/{ticker}/orderbook
//   signed  POST|GET /portfolio/orders, GET|DELETE /portfolio/orders/{id},
//           GET /portfolio/fills, /portfolio/positions, /portfolio/balance,
//           /portfolio/settlements; a bad or missing signature is 401
//   admin   (no signature; loopback only) POST /_admin/trade?ticker&yes_price
//           &count&taker=yes|no, /_admin/close?ticker, /_admin/settle?ticker
//           &result=yes|no, /_admin/fault?count&status[&delay_ms],
//           /_admin/book?ticker&side=yes|no&price&delta (another trader's bid
//           added or withdrawn), /_admin/stream?fault=gap|drop (stream.h)
#ifndef APOLLO_TOOLS_FAKE_KALSHI_SERVER_H_
#define APOLLO_TOOLS_FAKE_KALSHI_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "tools/fake_kalshi/exchange.h"

namespace apollo::fake_kalshi {

class FakeKalshiStream;

struct ServerOptions {
  std::string key_id;
  std::string public_pem;
  int port = 0;  // 0: any free port
  // The stream told after every request (not owned; may be null), and the
  // target of /_admin/stream.
  FakeKalshiStream* stream = nullptr;
};

class FakeKalshiServer {
 public:
  FakeKalshiServer(Exchange* exchange, ServerOptions options);
  ~FakeKalshiServer();
  // Binds 127.0.0.1 and serves on a thread; returns once it answers.
  absl::Status Start();
  void Stop();
  int port() const { return port_; }
  std::string BaseUrl() const;  // http://127.0.0.1:<port>/trade-api/v2
  // The next `count` API requests answer `status` (after `delay_ms`).
  void FailNext(int count, int status, int delay_ms = 0);
  // Signed requests refused for their signature so far.
  int refused_signatures() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace apollo::fake_kalshi

#endif  // APOLLO_TOOLS_FAKE_KALSHI_SERVER_H_
