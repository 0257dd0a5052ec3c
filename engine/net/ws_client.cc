// The reconnecting WebSocket client (ws_client.h) on Boost.Beast and Asio
// coroutines. The only translation unit of the client that sees Beast: it is
// expensive to compile, so nothing else includes it.
//
// Shape: Run() loops over connections; each connection is a Conn owned by a
// Session() coroutine, watched by a Watchdog() coroutine that enforces the
// timeouts and sends pings. Everything runs on the one I/O thread, so the
// Conn needs no lock; other threads reach it only by posting to that thread.
// A connection ends by Kill(), which records the first reason and closes the
// socket; every pending operation then completes with an error.
#include "engine/net/ws_client.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <charconv>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <thread>
#include <type_traits>
#include <utility>


namespace apollo::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr auto kStopGrace = Ms(800);  // then the I/O thread is stopped outright
constexpr auto kWatchMax = std::chrono::hours(1);

using PlainWs = websocket::stream<tcp::socket>;
using TlsWs = websocket::stream<beast::ssl_stream<tcp::socket>>;

// Completion of a detached coroutine: an exception (from a callback) ends the
// I/O thread's run() with it, and so the process.
void Rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// One connection attempt and, if the handshake succeeds, the connection.
template <class Ws>
struct Conn : std::enable_shared_from_this<Conn<Ws>> {
  template <class... Args>
  explicit Conn(asio::io_context& ioc, Args&... args)
      : resolver(ioc), ws(ioc, args...), timer(ioc) {}

  // Ends the connection: the first reason wins; `planned` endings (max age,
  // Reconnect, Stop) reconnect without a backoff.
  void Kill(std::string why, bool is_planned = false) {
    if (reason.empty()) {
      reason = std::move(why);
      planned = is_planned;
    }
    resolver.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws).close(ignored);
    timer.cancel();
  }
  // True if the connection is over: ec is an error (recorded as `what`), or
  // it was killed while the operation completed.
  bool Failed(const beast::error_code& ec, std::string_view what) {
    if (ec) Kill(std::string(what) + ": " + ec.message());
    return !reason.empty();
  }
  // Writes `text` after the messages queued before it (one write at a time;
  // a ping may go out alongside, which Beast allows).
  void Enqueue(std::string text) {
    if (!reason.empty()) return;
    outbox.push_back(std::move(text));
    if (!writing) WriteNext();
  }
  void WriteNext() {
    writing = true;
    ws.text(true);
    ws.async_write(asio::buffer(outbox.front()),
                   [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                     self->writing = false;
                     if (self->Failed(ec, "error writing")) return;
                     self->outbox.pop_front();
                     if (!self->outbox.empty()) self->WriteNext();
                   });
  }

  tcp::resolver resolver;
  Ws ws;
  asio::steady_timer timer;  // the watchdog's
  Clock::time_point started = Clock::now();
  Clock::time_point connected_at, last_message, last_frame, last_ping;
  bool connected = false;
  bool done = false;  // Session() has finished with it
  bool ping_in_flight = false;
  bool writing = false;
  std::deque<std::string> outbox;  // text messages to send, in order
  bool planned = false;
  std::string reason;
};

struct Outcome {
  bool was_connected = false;
  bool planned = false;
  Clock::duration up{};
};

absl::Status ValidateOptions(const WsClientOptions& o) {
  if (o.connect_timeout_ms <= 0) return absl::InvalidArgumentError("connect_timeout_ms must be > 0");
  if (o.silence_timeout_ms < 0 || o.ping_interval_ms < 0 || o.max_connection_age_ms < 0) {
    return absl::InvalidArgumentError("timeouts must be >= 0");
  }
  if (o.ping_interval_ms > 0 && o.pong_timeout_ms <= 0) {
    return absl::InvalidArgumentError("pong_timeout_ms must be > 0 when pinging");
  }
  if (o.reconnect_initial_ms <= 0 || o.reconnect_max_ms < o.reconnect_initial_ms) {
    return absl::InvalidArgumentError("need 0 < reconnect_initial_ms <= reconnect_max_ms");
  }
  if (o.max_message_bytes == 0) return absl::InvalidArgumentError("max_message_bytes must be > 0");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<WsUrl> ParseWsUrl(std::string_view url) {
  // Error messages never repeat the URL: a user-data URL holds the listenKey.
  WsUrl out;
  std::string_view rest;
  if (url.substr(0, 5) == "ws://") {
    rest = url.substr(5);
  } else if (url.substr(0, 6) == "wss://") {
    out.tls = true;
    rest = url.substr(6);
  } else {
    return absl::InvalidArgumentError("WebSocket URL must start with ws:// or wss://");
  }
  size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target = authority_end == std::string_view::npos ? "" : rest.substr(authority_end);
  if (target.find('#') != std::string_view::npos) {
    return absl::InvalidArgumentError("WebSocket URL must not have a fragment");
  }
  if (authority.find('@') != std::string_view::npos) {
    return absl::InvalidArgumentError("WebSocket URL must not carry user info");
  }
  std::string_view host, port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return absl::InvalidArgumentError("unclosed [ in host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return absl::InvalidArgumentError("junk after IPv6 host");
      port = after.substr(1);
      if (port.empty()) return absl::InvalidArgumentError("empty port");
    }
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return absl::InvalidArgumentError("empty port");
    }
  }
  if (host.empty()) return absl::InvalidArgumentError("WebSocket URL has no host");
  if (!port.empty()) {
    uint32_t n = 0;
    auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (err != std::errc() || end != port.data() + port.size() || n == 0 || n > 65535) {
      return absl::InvalidArgumentError("bad port in WebSocket URL");
    }
  }
  const bool ipv6 = host.find(':') != std::string_view::npos;
  out.host = std::string(host);
  out.port = port.empty() ? (out.tls ? "443" : "80") : std::string(port);
  out.target = std::string(target);
  if (out.target.empty() || out.target.front() == '?') out.target.insert(0, "/");
  out.host_header = ipv6 ? "[" + out.host + "]" : out.host;
  if (!port.empty()) out.host_header += ":" + out.port;
  return out;
}

class WsClient::Impl {
 public:
  explicit Impl(WsClientOptions options)
      : options_(std::move(options)), rng_(options_.jitter_seed) {}
  ~Impl() { Stop(); }

  absl::Status Start() {
    std::lock_guard<std::mutex> start_lock(start_mu_);
    if (started_.load() || stop_requested_) {
      return absl::FailedPreconditionError("WsClient is started at most once");
    }
    if (absl::Status s = ValidateOptions(options_); !s.ok()) return s;
    absl::StatusOr<WsUrl> url = ParseWsUrl(options_.url);
    if (!url.ok()) return url.status();
    {
      std::lock_guard<std::mutex> lock(url_mu_);
      url_ = *std::move(url);
    }
    beast::error_code ec;
    tls_.set_default_verify_paths(ec);
    if (ec) return absl::UnavailableError("system CA store: " + ec.message());
    tls_.set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_2_VERSION);

    start_ns_ = SteadyNs();
    last_message_ns_ = start_ns_;
    asio::co_spawn(ioc_, Run(), Rethrow);
    // Started before the thread runs: a Send from the first on_state(true)
    // (a subscription) must not find it unstarted and be dropped.
    started_ = true;
    thread_ = std::thread([this] { ioc_.run(); });
    return absl::OkStatus();
  }

  void Stop() {
    std::lock_guard<std::mutex> start_lock(start_mu_);
    if (stop_requested_) return;
    stop_requested_ = true;
    if (!started_.load()) return;
    if (std::this_thread::get_id() == thread_.get_id()) {
      // Joining ourselves would hang: a programming error, so fail fast.
      std::fprintf(stderr, "WsClient::Stop called from one of its own callbacks\n");
      std::abort();
    }
    asio::post(ioc_, [this] {
      stopping_ = true;
      if (kill_current_) kill_current_("stopped", true);
      backoff_timer_.cancel();
    });
    if (run_done_.get_future().wait_for(kStopGrace) != std::future_status::ready) ioc_.stop();
    thread_.join();
    connected_ = false;
  }

  absl::Status SetUrl(std::string_view url) {
    absl::StatusOr<WsUrl> parsed = ParseWsUrl(url);
    if (!parsed.ok()) return parsed.status();
    std::lock_guard<std::mutex> lock(url_mu_);
    url_ = *std::move(parsed);
    return absl::OkStatus();
  }

  void Reconnect() {
    if (!started_.load()) return;
    asio::post(ioc_, [this] {
      if (stopping_) return;
      if (kill_current_) {
        kill_current_("reconnect requested", true);
      } else {
        reconnect_now_ = true;
        backoff_timer_.cancel();
      }
    });
  }

  void Send(std::string text) {
    if (!started_.load()) return;
    asio::post(ioc_, [this, text = std::move(text)]() mutable {
      if (send_current_) send_current_(std::move(text));
    });
  }

  bool connected() const { return connected_.load(); }
  double last_message_age_sec() const {
    if (!started_.load()) return 0;
    return static_cast<double>(SteadyNs() - last_message_ns_.load()) / 1e9;
  }
  uint64_t connect_attempts() const { return attempts_.load(); }
  uint64_t connections() const { return connections_.load(); }

 private:
  asio::awaitable<void> Run() {
    auto backoff = Ms(options_.reconnect_initial_ms);
    while (!stopping_) {
      WsUrl url;
      {
        std::lock_guard<std::mutex> lock(url_mu_);
        url = url_;
      }
      Outcome out = url.tls ? co_await Session<TlsWs>(std::move(url))
                            : co_await Session<PlainWs>(std::move(url));
      if (stopping_) break;
      if (out.up >= Ms(options_.backoff_reset_after_ms)) backoff = Ms(options_.reconnect_initial_ms);
      if (out.planned || std::exchange(reconnect_now_, false)) continue;
      // Uniform in [backoff/2, backoff], then double up to the maximum.
      std::uniform_int_distribution<int64_t> jitter(backoff.count() / 2, backoff.count());
      backoff_timer_.expires_after(Ms(jitter(rng_)));
      backoff = std::min(backoff * 2, Ms(options_.reconnect_max_ms));
      co_await backoff_timer_.async_wait(kAwait);
      reconnect_now_ = false;
    }
    run_done_.set_value();
  }

  template <class Ws>
  std::shared_ptr<Conn<Ws>> MakeConn() {
    if constexpr (std::is_same_v<Ws, TlsWs>) {
      return std::make_shared<Conn<Ws>>(ioc_, tls_);
    } else {
      return std::make_shared<Conn<Ws>>(ioc_);
    }
  }

  template <class Ws>
  asio::awaitable<Outcome> Session(WsUrl url) {
    std::shared_ptr<Conn<Ws>> c = MakeConn<Ws>();
    kill_current_ = [p = c.get()](std::string why, bool planned) { p->Kill(std::move(why), planned); };
    ++attempts_;
    asio::co_spawn(ioc_, Watchdog(c), Rethrow);

    Outcome out;
    co_await Handshake(*c, url);
    if (c->reason.empty()) {
      const auto now = Clock::now();
      c->connected = true;
      c->connected_at = c->last_message = c->last_frame = c->last_ping = now;
      c->timer.cancel();  // the watchdog re-arms for the connected deadlines
      connected_ = true;
      ++connections_;
      out.was_connected = true;
      send_current_ = [p = c.get()](std::string text) { p->Enqueue(std::move(text)); };
      if (options_.on_state) options_.on_state(true, "connected");
      co_await ReadLoop(*c);
      out.up = Clock::now() - c->connected_at;
    }
    kill_current_ = nullptr;
    send_current_ = nullptr;
    c->Kill("ended");  // the reason is already set: this only closes the socket
    c->done = true;
    connected_ = false;
    out.planned = c->planned;
    if (out.was_connected) {
      if (options_.on_state) options_.on_state(false, c->reason);
    } else if (!stopping_ && options_.on_connect_error) {
      options_.on_connect_error(c->reason);
    }
    co_return out;
  }

  template <class Ws>
  asio::awaitable<void> Handshake(Conn<Ws>& c, const WsUrl& url) {
    auto [resolve_ec, endpoints] = co_await c.resolver.async_resolve(url.host, url.port, kAwait);
    if (c.Failed(resolve_ec, "error resolving host")) co_return;
    auto& socket = beast::get_lowest_layer(c.ws);
    auto [connect_ec, endpoint] = co_await asio::async_connect(socket, endpoints, kAwait);
    if (c.Failed(connect_ec, "error connecting")) co_return;
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if constexpr (std::is_same_v<Ws, TlsWs>) {
      auto& tls = c.ws.next_layer();
      if (!SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str())) {
        c.Kill("error setting TLS SNI");
        co_return;
      }
      tls.set_verify_callback(ssl::host_name_verification(url.host));
      auto [tls_ec] = co_await tls.async_handshake(ssl::stream_base::client, kAwait);
      if (c.Failed(tls_ec, "error in TLS handshake")) co_return;
    }
    std::vector<std::pair<std::string, std::string>> headers;
    if (options_.handshake_headers) headers = options_.handshake_headers();
    c.ws.set_option(websocket::stream_base::decorator(
        [headers = std::move(headers)](websocket::request_type& req) {
          req.set(http::field::user_agent, "apollo");
          for (const auto& [name, value] : headers) req.set(name, value);
        }));
    c.ws.read_message_max(options_.max_message_bytes);
    // Pings and pongs prove the connection alive (Beast answers pings itself).
    c.ws.control_callback(
        [p = &c](websocket::frame_type, beast::string_view) { p->last_frame = Clock::now(); });
    auto [ws_ec] = co_await c.ws.async_handshake(url.host_header, url.target, kAwait);
    c.Failed(ws_ec, "error in WebSocket handshake");
  }

  template <class Ws>
  asio::awaitable<void> ReadLoop(Conn<Ws>& c) {
    beast::flat_buffer buffer;
    for (;;) {
      auto [ec, bytes] = co_await c.ws.async_read(buffer, kAwait);
      if (ec == websocket::error::closed) {
        const websocket::close_reason& why = c.ws.reason();
        c.Kill("closed by server: code " + std::to_string(why.code) + " " +
               std::string(why.reason.data(), why.reason.size()));
      }
      if (c.Failed(ec, "error reading")) co_return;
      const auto now = Clock::now();
      c.last_message = c.last_frame = now;
      last_message_ns_ = SteadyNs();
      auto data = buffer.cdata();
      if (options_.on_message) {
        options_.on_message(std::string_view(static_cast<const char*>(data.data()), data.size()));
      }
      buffer.consume(buffer.size());
    }
  }

  template <class Ws>
  asio::awaitable<void> Watchdog(std::shared_ptr<Conn<Ws>> c) {
    for (;;) {
      Clock::time_point next = Check(*c);
      if (c->done || !c->reason.empty()) co_return;
      c->timer.expires_at(next);
      co_await c->timer.async_wait(kAwait);
      if (c->done) co_return;
    }
  }

  // Kills a connection past a deadline, sends a ping when one is due; returns
  // when to look again.
  template <class Ws>
  Clock::time_point Check(Conn<Ws>& c) {
    const auto now = Clock::now();
    const WsClientOptions& o = options_;
    if (!c.connected) {
      const auto deadline = c.started + Ms(o.connect_timeout_ms);
      if (now >= deadline) c.Kill("connect_timeout after " + std::to_string(o.connect_timeout_ms) + " ms");
      return deadline;
    }
    Clock::time_point next = now + kWatchMax;
    if (o.silence_timeout_ms > 0) {
      const auto at = c.last_message + Ms(o.silence_timeout_ms);
      if (now >= at) {
        c.Kill("silence: no message for " + std::to_string(o.silence_timeout_ms) + " ms");
        return now;
      }
      next = std::min(next, at);
    }
    if (o.max_connection_age_ms > 0) {
      const auto at = c.connected_at + Ms(o.max_connection_age_ms);
      if (now >= at) {
        c.Kill("max_age: connected for " + std::to_string(o.max_connection_age_ms) + " ms", true);
        return now;
      }
      next = std::min(next, at);
    }
    if (o.ping_interval_ms > 0) {
      const auto dead_at = c.last_frame + Ms(o.ping_interval_ms + o.pong_timeout_ms);
      if (now >= dead_at) {
        c.Kill("no_pong: nothing received for " +
               std::to_string(o.ping_interval_ms + o.pong_timeout_ms) + " ms");
        return now;
      }
      next = std::min(next, dead_at);
      auto ping_at = c.last_ping + Ms(o.ping_interval_ms);
      if (now >= ping_at) {
        SendPing(c);
        c.last_ping = now;
        ping_at = now + Ms(o.ping_interval_ms);
      }
      next = std::min(next, ping_at);
    }
    return next;
  }

  template <class Ws>
  void SendPing(Conn<Ws>& c) {
    if (c.ping_in_flight) return;  // a stuck send buffer: the pong check will decide
    c.ping_in_flight = true;
    c.ws.async_ping({}, [self = c.shared_from_this()](beast::error_code) {
      self->ping_in_flight = false;
    });
  }

  const WsClientOptions options_;
  asio::io_context ioc_{1};
  ssl::context tls_{ssl::context::tls_client};
  asio::steady_timer backoff_timer_{ioc_};
  std::thread thread_;
  std::promise<void> run_done_;

  std::mutex start_mu_;  // Start and Stop
  bool stop_requested_ = false;

  std::mutex url_mu_;
  WsUrl url_;

  // I/O thread only.
  std::function<void(std::string, bool)> kill_current_;  // set while a connection exists
  std::function<void(std::string)> send_current_;         // set while connected
  bool stopping_ = false;
  bool reconnect_now_ = false;
  std::mt19937_64 rng_;

  std::atomic<bool> started_{false};
  std::atomic<bool> connected_{false};
  int64_t start_ns_ = 0;
  std::atomic<int64_t> last_message_ns_{0};
  std::atomic<uint64_t> attempts_{0};
  std::atomic<uint64_t> connections_{0};
};

WsClient::WsClient(WsClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
WsClient::~WsClient() = default;
absl::Status WsClient::Start() { return impl_->Start(); }
void WsClient::Stop() { impl_->Stop(); }
absl::Status WsClient::SetUrl(std::string_view url) { return impl_->SetUrl(url); }
void WsClient::Reconnect() { impl_->Reconnect(); }
void WsClient::Send(std::string text) { impl_->Send(std::move(text)); }
bool WsClient::connected() const { return impl_->connected(); }
double WsClient::last_message_age_sec() const { return impl_->last_message_age_sec(); }
uint64_t WsClient::connect_attempts() const { return impl_->connect_attempts(); }
uint64_t WsClient::connections() const { return impl_->connections(); }

}  // namespace apollo::net
