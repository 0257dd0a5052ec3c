// The loopback WebSocket server (ws_server.h) on Boost.Beast and Asio
// coroutines; the only translation unit of the server that sees Beast.
//
// Every accepted socket is a Peer in peers_ (I/O thread only) from accept to
// close; once its WebSocket handshake is done it is also listed, by id and
// path, in connected_ under mu_, which is what other threads read and wait
// on. Each Peer has one read loop and at most one writer draining its queue.
#include "engine/net/ws_server.h"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <utility>


namespace apollo::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Ms = std::chrono::milliseconds;

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr auto kStopGrace = Ms(800);     // then the I/O thread is stopped outright
constexpr auto kCallBound = Ms(5000);    // a call waiting on the I/O thread gives up after this
constexpr size_t kMaxClientMessage = 1 << 20;

void Rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

struct Peer {
  Peer(tcp::socket socket, uint64_t id) : ws(std::move(socket)), id(id) {}

  // Closes the socket with a TCP reset: to the client it looks like a crash.
  void Reset() {
    if (!open) return;
    open = false;
    beast::error_code ignored;
    tcp::socket& socket = beast::get_lowest_layer(ws).socket();
    socket.set_option(tcp::socket::linger(true, 0), ignored);
    beast::get_lowest_layer(ws).close();
  }

  websocket::stream<beast::tcp_stream> ws;
  const uint64_t id;
  std::string path;
  std::deque<std::shared_ptr<const std::string>> queue;
  bool writing = false;
  bool open = true;
  bool registered = false;  // handshake done, listed in connected_
};

}  // namespace

class WsServer::Impl {
 public:
  explicit Impl(WsServerOptions options) : options_(std::move(options)) {}
  ~Impl() { Stop(); }

  absl::Status Start() {
    std::lock_guard<std::mutex> start_lock(start_mu_);
    if (started_ || stopped_) return absl::FailedPreconditionError("WsServer is started at most once");
    beast::error_code ec;
    asio::ip::address address = asio::ip::make_address(options_.bind_address, ec);
    if (ec) return absl::InvalidArgumentError("bad bind address");
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          "listen on " + options_.bind_address + ":" + std::to_string(options_.port) + ": " +
          ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(ioc_, Accept(), Rethrow);
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_ = true;
    }
    thread_ = std::thread([this] {
      ioc_.run();
      std::lock_guard<std::mutex> lock(mu_);
      running_ = false;
      cv_.notify_all();
    });
    started_ = true;
    return absl::OkStatus();
  }

  void Stop() {
    std::lock_guard<std::mutex> start_lock(start_mu_);
    if (stopped_) return;
    stopped_ = true;
    if (!started_) return;
    asio::post(ioc_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      ForgetAll();
    });
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, kStopGrace, [this] { return !running_; })) ioc_.stop();
    lock.unlock();
    thread_.join();
  }

  uint16_t port() const { return port_; }

  size_t Broadcast(std::string_view path_prefix, std::string_view text) {
    if (silent_.load()) return 0;
    auto message = std::make_shared<const std::string>(text);
    return OnIoThread([this, prefix = std::string(path_prefix), message]() -> size_t {
      if (silent_.load()) return 0;
      std::vector<std::shared_ptr<Peer>> to;
      for (const auto& [id, peer] : peers_) {
        if (peer->registered && peer->open && peer->path.starts_with(prefix)) to.push_back(peer);
      }
      for (const auto& peer : to) Send(peer, message);
      return to.size();
    });
  }

  bool SendTo(uint64_t client, std::string_view text) {
    if (silent_.load()) return false;
    auto message = std::make_shared<const std::string>(text);
    return OnIoThread([this, client, message]() -> size_t {
      auto it = peers_.find(client);
      if (silent_.load() || it == peers_.end() || !it->second->registered || !it->second->open) return 0;
      Send(it->second, message);
      return 1;
    }) == 1;
  }

  void DropAll() {
    OnIoThread([this]() -> size_t {
      ForgetAll();
      return 0;
    });
  }

  void SetSilent(bool silent) { silent_ = silent; }

  size_t client_count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return connected_.size();
  }
  std::vector<std::string> client_paths() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> paths;
    for (const auto& [id, path] : connected_) paths.push_back(path);
    return paths;
  }
  uint64_t connections_accepted() const {
    std::lock_guard<std::mutex> lock(mu_);
    return accepted_;
  }
  bool WaitForClients(std::string_view path_prefix, size_t count, int64_t timeout_ms) const {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, Ms(timeout_ms), [&] {
      size_t n = 0;
      for (const auto& [id, path] : connected_) n += path.starts_with(path_prefix);
      return n >= count;
    });
  }
  bool WaitForAccepted(uint64_t count, int64_t timeout_ms) const {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, Ms(timeout_ms), [&] { return accepted_ >= count; });
  }

 private:
  // Runs fn on the I/O thread (inline when already there) and returns its
  // result; 0 if the thread does not get to it within kCallBound.
  template <class Fn>
  size_t OnIoThread(Fn fn) {
    if (ioc_.get_executor().running_in_this_thread()) return fn();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!running_) return 0;
    }
    auto done = std::make_shared<std::promise<size_t>>();
    std::future<size_t> result = done->get_future();
    asio::post(ioc_, [fn = std::move(fn), done]() mutable { done->set_value(fn()); });
    if (result.wait_for(kCallBound) != std::future_status::ready) return 0;
    return result.get();
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kAwait);
      if (!acceptor_.is_open()) co_return;
      if (ec) {  // e.g. out of file descriptors: pause instead of spinning
        asio::steady_timer pause(ioc_, Ms(50));
        co_await pause.async_wait(kAwait);
        continue;
      }
      if (peers_.size() >= options_.max_clients) continue;  // socket closes as it goes out of scope
      auto peer = std::make_shared<Peer>(std::move(socket), next_id_++);
      peers_[peer->id] = peer;
      asio::co_spawn(ioc_, Serve(peer), Rethrow);
    }
  }

  asio::awaitable<void> Serve(std::shared_ptr<Peer> peer) {
    if (co_await Handshake(*peer)) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        connected_[peer->id] = peer->path;
        ++accepted_;
      }
      peer->registered = true;
      cv_.notify_all();
      beast::flat_buffer buffer;
      for (;;) {
        auto [ec, bytes] = co_await peer->ws.async_read(buffer, kAwait);
        if (ec || !peer->open) break;
        if (options_.on_message) {
          auto data = buffer.cdata();
          options_.on_message(peer->id, peer->path,
                              std::string_view(static_cast<const char*>(data.data()), data.size()));
        }
        buffer.consume(buffer.size());
      }
    }
    Forget(*peer);
  }

  // Reads the HTTP upgrade request (to learn the path) and accepts it.
  asio::awaitable<bool> Handshake(Peer& peer) {
    beast::tcp_stream& stream = beast::get_lowest_layer(peer.ws);
    stream.expires_after(Ms(options_.handshake_timeout_ms));
    beast::flat_buffer buffer;
    http::request<http::empty_body> request;
    auto [read_ec, bytes] = co_await http::async_read(stream, buffer, request, kAwait);
    if (read_ec || !peer.open || !websocket::is_upgrade(request)) co_return false;
    stream.expires_never();  // from here the WebSocket timeouts apply
    auto timeout = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeout.handshake_timeout = Ms(options_.handshake_timeout_ms);
    peer.ws.set_option(timeout);
    peer.ws.read_message_max(kMaxClientMessage);
    peer.path = std::string(request.target());
    if (options_.on_handshake) {
      WsHeaders headers;
      for (const auto& field : request) {
        headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      }
      if (!options_.on_handshake(peer.path, headers)) {
        http::response<http::string_body> refusal(http::status::unauthorized, request.version());
        refusal.set(http::field::content_type, "text/plain");
        refusal.body() = "authentication failed\n";
        refusal.prepare_payload();
        refusal.keep_alive(false);
        stream.expires_after(Ms(options_.handshake_timeout_ms));
        co_await http::async_write(stream, refusal, kAwait);
        co_return false;
      }
    }
    auto [accept_ec] = co_await peer.ws.async_accept(request, kAwait);
    co_return !accept_ec && peer.open;
  }

  void Send(const std::shared_ptr<Peer>& peer, std::shared_ptr<const std::string> message) {
    if (peer->queue.size() >= options_.max_queued_per_client) {
      Forget(*peer);  // too slow to keep up
      return;
    }
    peer->queue.push_back(std::move(message));
    if (!peer->writing) {
      peer->writing = true;
      asio::co_spawn(ioc_, Write(peer), Rethrow);
    }
  }

  asio::awaitable<void> Write(std::shared_ptr<Peer> peer) {
    while (peer->open && !peer->queue.empty()) {
      std::shared_ptr<const std::string> message = peer->queue.front();
      peer->ws.text(true);
      auto [ec, bytes] = co_await peer->ws.async_write(asio::buffer(*message), kAwait);
      if (ec) break;
      peer->queue.pop_front();
    }
    peer->writing = false;
  }

  // Resets the peer's connection and forgets it; idempotent.
  void Forget(Peer& peer) {
    peer.Reset();
    if (peers_.erase(peer.id) == 0) return;
    if (peer.registered) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        connected_.erase(peer.id);
      }
      if (options_.on_closed) options_.on_closed(peer.id);
    }
    cv_.notify_all();
  }

  void ForgetAll() {
    std::vector<std::shared_ptr<Peer>> all;
    for (const auto& [id, peer] : peers_) all.push_back(peer);
    for (const auto& peer : all) Forget(*peer);
  }

  const WsServerOptions options_;
  asio::io_context ioc_{1};
  tcp::acceptor acceptor_{ioc_};
  std::thread thread_;
  uint16_t port_ = 0;
  std::atomic<bool> silent_{false};

  std::mutex start_mu_;  // Start and Stop
  bool started_ = false;
  bool stopped_ = false;

  // I/O thread only.
  std::map<uint64_t, std::shared_ptr<Peer>> peers_;
  uint64_t next_id_ = 1;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::map<uint64_t, std::string> connected_;  // id -> path, handshake done
  uint64_t accepted_ = 0;
  bool running_ = false;  // the I/O thread is in run()
};

WsServer::WsServer(WsServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
WsServer::~WsServer() = default;
absl::Status WsServer::Start() { return impl_->Start(); }
void WsServer::Stop() { impl_->Stop(); }
uint16_t WsServer::port() const { return impl_->port(); }
size_t WsServer::Broadcast(std::string_view path_prefix, std::string_view text) {
  return impl_->Broadcast(path_prefix, text);
}
bool WsServer::SendTo(uint64_t client, std::string_view text) { return impl_->SendTo(client, text); }
void WsServer::DropAll() { impl_->DropAll(); }
void WsServer::SetSilent(bool silent) { impl_->SetSilent(silent); }
size_t WsServer::client_count() const { return impl_->client_count(); }
std::vector<std::string> WsServer::client_paths() const { return impl_->client_paths(); }
uint64_t WsServer::connections_accepted() const { return impl_->connections_accepted(); }
bool WsServer::WaitForClients(std::string_view path_prefix, size_t count, int64_t timeout_ms) const {
  return impl_->WaitForClients(path_prefix, count, timeout_ms);
}
bool WsServer::WaitForAccepted(uint64_t count, int64_t timeout_ms) const {
  return impl_->WaitForAccepted(count, timeout_ms);
}

}  // namespace apollo::net
