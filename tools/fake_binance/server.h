// The fake Binance USDⓈ-M futures REST server: cpp-httplib on loopback,
// routing Binance's real paths to a FakeExchange (fake_exchange.h), with
// Binance's authentication, rate-limit headers and the fault injection of
// faults.h. It holds no account state of its own.
//
//   FakeExchange exchange(ExchangeConfig{}, bars, SystemClockMs);
//   FakeBinanceServer server(&exchange, {.api_key = "k", .api_secret = "s"});
//   RETURN_IF_ERROR(server.Start());              // port 0: any free port
//   ... client at http://127.0.0.1:<server.port()> ...
//   RETURN_IF_ERROR(server.faults().Add(RateLimited(2)));  // next request: 429
//   server.Stop();
//
// Routes (weights as Binance documents them; every symbol of the exchange
// is listed and tradable, an unknown one is -1121):
//   public    GET  /fapi/v1/ping, /fapi/v1/time, /fapi/v1/exchangeInfo
//   API key   POST|PUT|DELETE /fapi/v1/listenKey
//   signed    POST|GET|DELETE /fapi/v1/order, GET /fapi/v1/openOrders,
//             POST|GET|DELETE /fapi/v1/algoOrder, GET /fapi/v1/openAlgoOrders
//             (without symbol: every symbol's, weight 40),
//             GET /fapi/v1/userTrades (per symbol), /fapi/v2|v3/positionRisk
//             (every symbol's, or ?symbol=), /fapi/v2|v3/account,
//             /fapi/v2|v3/balance, POST /fapi/v1/leverage, /fapi/v1/marginType
//             (per symbol), GET|POST /fapi/v1/positionSide/dual
//   public    GET  /fapi/v1/klines (symbol, interval = the server's, startTime,
//             limit ≤ 1500): the closed bars up to the current one
//   public    GET  /fapi/v1/ticker/24hr (the day of bars ending at the current
//             one; weight 1, 40 without symbol), /fapi/v1/premiumIndex (mark
//             and funding rate; 1, 10 without), /fapi/v1/ticker/bookTicker
//             (a bid and ask around the close; 2, 5 without): ?symbol= an
//             object, else an array of every symbol's (market_payloads.h)
//   admin     POST|DELETE /admin/fault, POST /admin/bar, GET /admin/state,
//             POST /admin/clock, POST /admin/ws, POST /admin/market —
//             loopback callers only, no signature; parameters in the query
//             string or a form body.
//   POST /admin/bar [count=N]           advance the shared timeline N steps
//   POST /admin/market symbol=S [funding_rate=R] [spread=F] [volume_scale=X]
//                                       S's funding rate (premiumIndex, mark
//                                       price stream), book spread (a
//                                       fraction of the close) and 24 h
//                                       ticker volumes (the bars' times X > 0);
//                                       400 for an unknown symbol or a bad
//                                       decimal
//
// WebSocket streams (StartWs(), a second port; engine/net's WsServer):
//   /ws/<listenKey>   every user-data event of the exchange, in order, to the
//                     clients of an active listen key
//   /stream?...       per AdvanceBar(), for each market that closed a bar (in
//                     market order) its closed kline, combined-stream shape:
//                     {"stream":"btcusdt@kline_5m","data":{"e":"kline",..,"k":{..,"x":true}}},
//                     just after its mark price stream's message
//                     {"stream":"btcusdt@markPrice","data":{"e":"markPriceUpdate",..}}
//                     (FakeExchange::SetFundingRate sets its "r"), which follows
//                     its book ticker stream's message
//                     {"stream":"btcusdt@bookTicker","data":{"e":"bookTicker",..}}
//                     (the bookTicker endpoint's bid and ask; SetSpread)
//   POST /admin/ws kind=drop            reset every connection (no close frame)
//                  kind=silent [on=false] stop (resume) sending data
//                  kind=listen_key_expired  send {"e":"listenKeyExpired",..} to
//                                       the user clients and deactivate the key
//                  kind=kline back=K [symbol=S]  send S's (default: the first
//                                       market's) closed kline K bars before
//                                       its current one again (0: a repeat)
//                  kind=corrupt_next stream=user|market field=F value=V [match=M]
//                                       the next message of the stream that
//                                       contains M: F's value replaced by V
//                  kind=truncate_next stream=.. [match=M]  ... cut in half
//                  kind=oversize stream=.. bytes=N  a valid JSON text of N bytes
//                  kind=raw stream=.. text=T        T as it is
//   POST /admin/fault kind=cancel_algo type=STOP_MARKET|TAKE_PROFIT_MARKET [symbol=S]
//                                       cancel that open algo order by hand
//                     kind=close_position [symbol=S]  flatten S's position by hand
//
// Authentication: X-MBX-APIKEY must be present (-2014, HTTP 401) and equal
// to the key (-2015, 401); SIGNED endpoints need `timestamp` and
// `signature` (-1102), the HMAC of the query string + body (-1022), and
// timestamp < server time + 1000 and server time - timestamp <= recvWindow
// (default 5000, max 60000: -1131), else -1021. The server time is the
// exchange's clock with its skew.
//
// Every /fapi answer carries X-MBX-USED-WEIGHT-1M (this minute's weight,
// by server clock); order placements also X-MBX-ORDER-COUNT-1M and -10S.
// Past the weight limit the answer is 429 / -1003 with Retry-After up to the
// next minute.
#ifndef APOLLO_TOOLS_FAKE_BINANCE_SERVER_H_
#define APOLLO_TOOLS_FAKE_BINANCE_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tools/fake_binance/fake_exchange.h"
#include "tools/fake_binance/faults.h"
#include "tools/fake_binance/rest_payloads.h"

namespace apollo::fake_binance {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  std::string api_key;
  std::string api_secret;
  RateLimits limits;
  // The kline interval of the bars, for the kline stream ("1m", "5m", "1h"...).
  std::string kline_interval = "5m";
  // Called once per request with "METHOD /path -> status" (optional).
  std::function<void(absl::string_view line)> access_log;
  // Called with the signature of each signed request that verified
  // (optional): tests check that signatures leak nowhere.
  std::function<void(absl::string_view signature)> on_signature;
};

class FakeBinanceServer {
 public:
  // `exchange` must outlive the server.
  FakeBinanceServer(FakeExchange* exchange, ServerOptions options);
  ~FakeBinanceServer();  // Stop()s
  FakeBinanceServer(const FakeBinanceServer&) = delete;
  FakeBinanceServer& operator=(const FakeBinanceServer&) = delete;

  // Binds and starts serving on a thread of its own. Unavailable if the
  // address cannot be bound.
  absl::Status Start();
  // Stops serving, waking requests that sit in an injected delay; idempotent.
  void Stop();
  int port() const;

  // Starts the WebSocket streams on 127.0.0.1:`port` (0: any free port).
  // Call after Start(); Stop() stops them too. FailedPrecondition if already
  // started, Unavailable if the port cannot be bound.
  absl::Status StartWs(int port = 0);
  int ws_port() const;  // -1 until StartWs()
  // Waits until `count` WebSocket clients whose path starts with
  // `path_prefix` ("/stream", "/ws/") are connected. False on timeout or
  // without StartWs().
  bool WaitForWsClients(absl::string_view path_prefix, size_t count, int64_t timeout_ms) const;
  // Waits until every queued stream message has been handed to the
  // WebSocket server. False on timeout.
  bool WaitWsFlushed(int64_t timeout_ms) const;

  FaultInjector& faults();
  FakeExchange& exchange();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace apollo::fake_binance

#endif  // APOLLO_TOOLS_FAKE_BINANCE_SERVER_H_
