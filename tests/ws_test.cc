// Tests for the reconnecting WebSocket client (engine/net/ws_client.h) against
// the loopback server (engine/net/ws_server.h) and, where the server must
// misbehave below the WebSocket layer (never answer a handshake, never
// answer a ping), against raw sockets. Loopback only; every wait is bounded
// and waits on a condition, not on a sleep.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/net/ws_client.h"
#include "engine/net/ws_server.h"

namespace apollo::net {
namespace {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

constexpr int64_t kWaitMs = 5000;  // generous: the machine is shared

int64_t MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<Ms>(Clock::now() - t).count();
}

// What a client reported, with the time of each state change.
class Events {
 public:
  struct State {
    bool connected;
    std::string reason;
    Clock::time_point at;
  };

  // Wires the callbacks of `options` to this recorder.
  void Attach(WsClientOptions& options) {
    options.on_message = [this](std::string_view text) {
      std::lock_guard<std::mutex> lock(mu_);
      messages_.emplace_back(text);
      cv_.notify_all();
    };
    options.on_state = [this](bool connected, std::string_view reason) {
      std::lock_guard<std::mutex> lock(mu_);
      states_.push_back({connected, std::string(reason), Clock::now()});
      cv_.notify_all();
    };
    options.on_connect_error = [this](std::string_view reason) {
      std::lock_guard<std::mutex> lock(mu_);
      connect_errors_.emplace_back(reason);
      cv_.notify_all();
    };
  }

  bool WaitForMessages(size_t n) {
    return Wait([&] { return messages_.size() >= n; });
  }
  bool WaitForStates(size_t n) {
    return Wait([&] { return states_.size() >= n; });
  }
  bool WaitForConnectErrors(size_t n) {
    return Wait([&] { return connect_errors_.size() >= n; });
  }

  std::vector<std::string> messages() const {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }
  std::vector<State> states() const {
    std::lock_guard<std::mutex> lock(mu_);
    return states_;
  }
  std::vector<std::string> connect_errors() const {
    std::lock_guard<std::mutex> lock(mu_);
    return connect_errors_;
  }

 private:
  template <class Pred>
  bool Wait(Pred pred) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, Ms(kWaitMs), pred);
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> messages_;
  std::vector<State> states_;
  std::vector<std::string> connect_errors_;
};

// Options for quick loopback tests; no pings unless a test wants them.
WsClientOptions FastOptions(std::string url, Events& events) {
  WsClientOptions options;
  options.url = std::move(url);
  options.connect_timeout_ms = 2000;
  options.ping_interval_ms = 0;
  options.reconnect_initial_ms = 50;
  options.reconnect_max_ms = 400;
  options.jitter_seed = 7;
  events.Attach(options);
  return options;
}

std::string Url(const WsServer& server, std::string_view target) {
  return "ws://127.0.0.1:" + std::to_string(server.port()) + std::string(target);
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// A TCP socket on 127.0.0.1 speaking just enough WebSocket by hand to
// misbehave where the WsServer cannot: listening but never answering, or
// completing the handshake and then ignoring pings.
class RawServer {
 public:
  // listen=false leaves the port bound but refusing connections.
  explicit RawServer(bool listen) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    if (listen) {
      EXPECT_EQ(::listen(fd_, 16), 0);
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~RawServer() {
    for (int fd : conns_) ::close(fd);
    ::close(fd_);
  }
  std::string Url(std::string_view target) const {
    return "ws://127.0.0.1:" + std::to_string(port_) + std::string(target);
  }

  // A connection accepted within the timeout, or -1.
  int Accept() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, kWaitMs) != 1) return -1;
    int fd = ::accept(fd_, nullptr, nullptr);
    if (fd >= 0) conns_.push_back(fd);
    return fd;
  }

  // Reads until `delimiter` has arrived; false on timeout or close.
  static bool ReadUntil(int fd, std::string_view delimiter, std::string* out) {
    const auto deadline = Clock::now() + Ms(kWaitMs);
    while (out->find(delimiter) == std::string::npos) {
      if (!WaitReadable(fd, deadline)) return false;
      char buf[4096];
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) return false;
      out->append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  static bool ReadExactly(int fd, size_t size, std::string* out) {
    const auto deadline = Clock::now() + Ms(kWaitMs);
    out->clear();
    while (out->size() < size) {
      if (!WaitReadable(fd, deadline)) return false;
      char buf[4096];
      ssize_t n = ::read(fd, buf, std::min(sizeof buf, size - out->size()));
      if (n <= 0) return false;
      out->append(buf, static_cast<size_t>(n));
    }
    return true;
  }

  // Reads the client's upgrade request and accepts it (RFC 6455 4.2.2).
  static bool Handshake(int fd) {
    std::string request;
    if (!ReadUntil(fd, "\r\n\r\n", &request)) return false;
    constexpr std::string_view kHeader = "Sec-WebSocket-Key: ";
    size_t at = request.find(kHeader);
    if (at == std::string::npos) return false;
    at += kHeader.size();
    std::string key = request.substr(at, request.find("\r\n", at) - at);
    std::string proof = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    EVP_Digest(proof.data(), proof.size(), digest, &digest_len, EVP_sha1(), nullptr);
    unsigned char accept[64];
    EVP_EncodeBlock(accept, digest, static_cast<int>(digest_len));
    std::string response =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: " + std::string(reinterpret_cast<char*>(accept)) + "\r\n\r\n";
    return ::write(fd, response.data(), response.size()) == static_cast<ssize_t>(response.size());
  }

  // Reads one client frame (masked, payload < 126 bytes): opcode and payload.
  static bool ReadFrame(int fd, int* opcode, std::string* payload) {
    std::string head, mask;
    if (!ReadExactly(fd, 2, &head)) return false;
    *opcode = head[0] & 0x0F;
    const size_t len = head[1] & 0x7F;
    if ((head[1] & 0x80) == 0 || len >= 126) return false;
    if (!ReadExactly(fd, 4, &mask) || !ReadExactly(fd, len, payload)) return false;
    for (size_t i = 0; i < len; ++i) (*payload)[i] ^= mask[i % 4];
    return true;
  }

 private:
  static bool WaitReadable(int fd, Clock::time_point deadline) {
    int64_t left = std::chrono::duration_cast<Ms>(deadline - Clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    return left > 0 && ::poll(&p, 1, static_cast<int>(left)) == 1;
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::vector<int> conns_;
};

TEST(ParseWsUrl, SplitsSchemeHostPortAndTarget) {
  auto market = ParseWsUrl("wss://fstream.binance.com/stream?streams=btcusdt@kline_5m");
  ASSERT_TRUE(market.ok()) << market.status();
  EXPECT_TRUE(market->tls);
  EXPECT_EQ(market->host, "fstream.binance.com");
  EXPECT_EQ(market->port, "443");
  EXPECT_EQ(market->target, "/stream?streams=btcusdt@kline_5m");
  EXPECT_EQ(market->host_header, "fstream.binance.com");

  auto local = ParseWsUrl("ws://127.0.0.1:8123/ws/abc");
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_FALSE(local->tls);
  EXPECT_EQ(local->port, "8123");
  EXPECT_EQ(local->target, "/ws/abc");
  EXPECT_EQ(local->host_header, "127.0.0.1:8123");

  auto bare = ParseWsUrl("ws://localhost");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->port, "80");
  EXPECT_EQ(bare->target, "/");
  auto query_only = ParseWsUrl("ws://localhost?x=1");
  ASSERT_TRUE(query_only.ok());
  EXPECT_EQ(query_only->target, "/?x=1");
  auto v6 = ParseWsUrl("ws://[::1]:9000/ws");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->host_header, "[::1]:9000");
}

TEST(ParseWsUrl, RejectsWhatItCannotConnectTo) {
  for (std::string_view bad : {"http://x/ws", "ws://", "ws://:80/", "ws://h:0/", "ws://h:65536/",
                               "ws://h:8x/", "ws://h:/", "ws://u:p@h/", "ws://[::1/", "ws://h/#f"}) {
    EXPECT_FALSE(ParseWsUrl(bad).ok()) << bad;
  }
}

TEST(WsClient, RefusesBadUrlsAndSecondStart) {
  Events events;
  WsClient bad(FastOptions("https://example.com/ws", events));
  EXPECT_EQ(bad.Start().code(), absl::StatusCode::kInvalidArgument);

  WsServer server;
  ASSERT_TRUE(server.Start().ok());
  WsClient client(FastOptions(Url(server, "/ws/k"), events));
  ASSERT_TRUE(client.Start().ok());
  EXPECT_EQ(client.Start().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(client.SetUrl("ftp://x").code(), absl::StatusCode::kInvalidArgument);
}

TEST(WsClient, ReceivesBroadcastsInOrderAndReportsConnected) {
  WsServer server;
  ASSERT_TRUE(server.Start().ok());
  Events events;
  WsClient client(FastOptions(Url(server, "/stream?streams=btcusdt@kline_5m"), events));
  EXPECT_FALSE(client.connected());
  ASSERT_TRUE(client.Start().ok());

  ASSERT_TRUE(events.WaitForStates(1));
  EXPECT_TRUE(events.states()[0].connected);
  EXPECT_EQ(events.states()[0].reason, "connected");
  EXPECT_TRUE(client.connected());
  ASSERT_TRUE(server.WaitForClients("/stream", 1, kWaitMs));
  EXPECT_EQ(server.client_paths(), std::vector<std::string>{"/stream?streams=btcusdt@kline_5m"});

  constexpr int kCount = 200;
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(server.Broadcast("/stream", "{\"n\":" + std::to_string(i) + "}"), 1u);
  }
  EXPECT_EQ(server.Broadcast("/ws/", "not for a market stream"), 0u);
  ASSERT_TRUE(events.WaitForMessages(kCount));
  std::vector<std::string> messages = events.messages();
  ASSERT_EQ(messages.size(), static_cast<size_t>(kCount));
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(messages[i], "{\"n\":" + std::to_string(i) + "}");
  EXPECT_LT(client.last_message_age_sec(), 2.0);
  EXPECT_EQ(client.connections(), 1u);

  client.Stop();
  EXPECT_FALSE(client.connected());
  std::vector<Events::State> states = events.states();
  ASSERT_EQ(states.size(), 2u);
  EXPECT_FALSE(states[1].connected);
  EXPECT_EQ(states[1].reason, "stopped");
}

TEST(WsClient, ReconnectsWithBackoffAfterTheServerDropsAllConnections) {
  WsServer server;
  ASSERT_TRUE(server.Start().ok());
  Events events;
  WsClientOptions options = FastOptions(Url(server, "/ws/listenkey1"), events);
  options.reconnect_initial_ms = 200;  // the first delay is drawn from [100, 200] ms
  WsClient client(std::move(options));
  ASSERT_TRUE(client.Start().ok());
  ASSERT_TRUE(server.WaitForAccepted(1, kWaitMs));
  ASSERT_EQ(server.Broadcast("", "before"), 1u);
  ASSERT_TRUE(events.WaitForMessages(1));

  server.DropAll();
  EXPECT_EQ(server.client_count(), 0u);
  ASSERT_TRUE(events.WaitForStates(3));
  ASSERT_TRUE(server.WaitForAccepted(2, kWaitMs));
  ASSERT_EQ(server.Broadcast("/ws/listenkey1", "after"), 1u);
  ASSERT_TRUE(events.WaitForMessages(2));
  EXPECT_EQ(events.messages(), (std::vector<std::string>{"before", "after"}));

  std::vector<Events::State> states = events.states();
  EXPECT_TRUE(states[0].connected);
  EXPECT_FALSE(states[1].connected);
  EXPECT_TRUE(StartsWith(states[1].reason, "error reading") ||
              StartsWith(states[1].reason, "closed")) << states[1].reason;
  EXPECT_TRUE(states[2].connected);
  const int64_t gap_ms = std::chrono::duration_cast<Ms>(states[2].at - states[1].at).count();
  EXPECT_GE(gap_ms, 100) << "reconnected without the backoff";
  EXPECT_EQ(client.connections(), 2u);
}

TEST(WsClient, SilentServerIsDeclaredDeadAndReplaced) {
  WsServer server;
  ASSERT_TRUE(server.Start().ok());
  Events events;
  WsClientOptions options = FastOptions(Url(server, "/stream?streams=btcusdt@kline_5m"), events);
  options.silence_timeout_ms = 300;
  WsClient client(std::move(options));
  server.SetSilent(true);
  ASSERT_TRUE(client.Start().ok());
  ASSERT_TRUE(server.WaitForAccepted(1, kWaitMs));
  EXPECT_EQ(server.Broadcast("", "swallowed"), 0u);

  ASSERT_TRUE(events.WaitForStates(2));
  std::vector<Events::State> states = events.states();
  EXPECT_FALSE(states[1].connected);
  EXPECT_TRUE(StartsWith(states[1].reason, "silence")) << states[1].reason;
  EXPECT_GE(std::chrono::duration_cast<Ms>(states[1].at - states[0].at).count(), 300);

  server.SetSilent(false);
  ASSERT_TRUE(events.WaitForStates(3));
  EXPECT_TRUE(events.states()[2].connected);
  ASSERT_TRUE(server.WaitForAccepted(2, kWaitMs));
  server.Broadcast("", "alive again");
  ASSERT_TRUE(events.WaitForMessages(1));
  EXPECT_EQ(events.messages()[0], "alive again");
}

TEST(WsClient, MaxConnectionAgeReconnectsOnItsOwnWithoutBackoff) {
  WsServer server;
  ASSERT_TRUE(server.Start().ok());
  Events events;
  WsClientOptions options = FastOptions(Url(server, "/ws/k"), events);
  options.max_connection_age_ms = 1000;
  options.reconnect_initial_ms = 4000;  // a backoff would show as a gap of >= 2 s
  options.reconnect_max_ms = 4000;
  WsClient client(std::move(options));
  ASSERT_TRUE(client.Start().ok());

  ASSERT_TRUE(events.WaitForStates(3));
  std::vector<Events::State> states = events.states();
  EXPECT_TRUE(states[0].connected);
  EXPECT_FALSE(states[1].connected);
  EXPECT_TRUE(StartsWith(states[1].reason, "max_age")) << states[1].reason;
  EXPECT_TRUE(states[2].connected);
  const auto up_ms = std::chrono::duration_cast<Ms>(states[1].at - states[0].at).count();
  EXPECT_GE(up_ms, 1000);
  EXPECT_LT(up_ms, 3000);
  EXPECT_LT(std::chrono::duration_cast<Ms>(states[2].at - states[1].at).count(), 1500);
  ASSERT_TRUE(server.WaitForAccepted(2, kWaitMs));
  client.Stop();
}

TEST(WsClient, StopReturnsPromptlyWhileRetryingAPortNobodyListensOn) {
  RawServer refusing(/*listen=*/false);
  Events events;
  WsClientOptions options = FastOptions(refusing.Url("/ws/k"), events);
  options.reconnect_initial_ms = 20;
  options.reconnect_max_ms = 100;
  WsClient client(std::move(options));
  ASSERT_TRUE(client.Start().ok());
  ASSERT_TRUE(events.WaitForConnectErrors(3));
  EXPECT_TRUE(StartsWith(events.connect_errors()[0], "error connecting")) << events.connect_errors()[0];
  EXPECT_FALSE(client.connected());

  const auto stop_start = Clock::now();
  client.Stop();
  EXPECT_LT(MsSince(stop_start), 1000);
  EXPECT_TRUE(events.states().empty());
  EXPECT_GE(client.connect_attempts(), 3u);
}

TEST(WsClient, ConnectTimeoutAbandonsAServerThatNeverAnswersTheHandshake) {
  RawServer mute(/*listen=*/true);  // the kernel accepts; nobody answers
  Events events;
  WsClientOptions options = FastOptions(mute.Url("/ws/k"), events);
  options.connect_timeout_ms = 300;
  WsClient client(std::move(options));
  const auto start = Clock::now();
  ASSERT_TRUE(client.Start().ok());
  ASSERT_TRUE(events.WaitForConnectErrors(1));
  EXPECT_TRUE(StartsWith(events.connect_errors()[0], "connect_timeout")) << events.connect_errors()[0];
  EXPECT_GE(MsSince(start), 300);
  client.Stop();
}

TEST(WsClient, StopReturnsPromptlyWhileTheHandshakeHangs) {
  RawServer mute(/*listen=*/true);
  Events events;
  WsClientOptions options = FastOptions(mute.Url("/ws/k"), events);
  options.connect_timeout_ms = 30'000;
  WsClient client(std::move(options));
  ASSERT_TRUE(client.Start().ok());
  int fd = mute.Accept();
  ASSERT_GE(fd, 0);
  std::string request;
  ASSERT_TRUE(RawServer::ReadUntil(fd, "\r\n\r\n", &request));  // the client now awaits a reply
  EXPECT_TRUE(StartsWith(request, "GET /ws/k HTTP/1.1\r\n")) << request;

  const auto stop_start = Clock::now();
  client.Stop();
  EXPECT_LT(MsSince(stop_start), 1000);
  EXPECT_TRUE(events.states().empty());
  EXPECT_TRUE(events.connect_errors().empty());  // stopping is not an error
}

TEST(WsClient, SetUrlAndReconnectMoveToTheNewPath) {
  WsServer server;
  ASSERT_TRUE(server.Start().ok());
  Events events;
  WsClientOptions options = FastOptions(Url(server, "/ws/oldkey"), events);
  options.reconnect_initial_ms = 4000;  // Reconnect must not wait for a backoff
  options.reconnect_max_ms = 4000;
  WsClient client(std::move(options));
  ASSERT_TRUE(client.Start().ok());
  ASSERT_TRUE(server.WaitForClients("/ws/oldkey", 1, kWaitMs));
  ASSERT_TRUE(events.WaitForStates(1));  // else Reconnect would abort the handshake

  ASSERT_TRUE(client.SetUrl(Url(server, "/ws/newkey")).ok());
  client.Reconnect();
  ASSERT_TRUE(server.WaitForClients("/ws/newkey", 1, kWaitMs));
  ASSERT_TRUE(events.WaitForStates(3));
  std::vector<Events::State> states = events.states();
  EXPECT_TRUE(StartsWith(states[1].reason, "reconnect")) << states[1].reason;
  EXPECT_TRUE(states[2].connected);
  EXPECT_LT(std::chrono::duration_cast<Ms>(states[2].at - states[1].at).count(), 1500);

  EXPECT_EQ(server.Broadcast("/ws/newkey", "for the new key"), 1u);
  ASSERT_TRUE(events.WaitForMessages(1));
  EXPECT_EQ(events.messages(), std::vector<std::string>{"for the new key"});
}

TEST(WsClient, WssUrlSpeaksTlsFirst) {
  WsServer plain;  // answers a TLS ClientHello by dropping the connection
  ASSERT_TRUE(plain.Start().ok());
  Events events;
  WsClient client(FastOptions("wss://127.0.0.1:" + std::to_string(plain.port()) + "/ws/k", events));
  ASSERT_TRUE(client.Start().ok());
  ASSERT_TRUE(events.WaitForConnectErrors(1));
  EXPECT_TRUE(StartsWith(events.connect_errors()[0], "error in TLS handshake"))
      << events.connect_errors()[0];
  EXPECT_EQ(plain.connections_accepted(), 0u);
  client.Stop();
}

TEST(WsClient, AnswersServerPingsWithPongs) {
  RawServer raw(/*listen=*/true);
  Events events;
  WsClient client(FastOptions(raw.Url("/ws/k"), events));
  ASSERT_TRUE(client.Start().ok());
  int fd = raw.Accept();
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(RawServer::Handshake(fd));
  ASSERT_TRUE(events.WaitForStates(1));

  const char ping[] = {'\x89', '\x02', 'h', 'b'};  // FIN + ping, unmasked, "hb"
  ASSERT_EQ(::write(fd, ping, sizeof ping), static_cast<ssize_t>(sizeof ping));
  int opcode = 0;
  std::string payload;
  ASSERT_TRUE(RawServer::ReadFrame(fd, &opcode, &payload));
  EXPECT_EQ(opcode, 0xA);  // pong
  EXPECT_EQ(payload, "hb");
  client.Stop();
}

TEST(WsClient, UnansweredPingsDeclareAHalfOpenConnectionDead) {
  RawServer raw(/*listen=*/true);  // completes the handshake, then reads nothing
  Events events;
  WsClientOptions options = FastOptions(raw.Url("/ws/k"), events);
  options.ping_interval_ms = 200;
  options.pong_timeout_ms = 200;
  WsClient client(std::move(options));
  ASSERT_TRUE(client.Start().ok());
  int fd = raw.Accept();
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(RawServer::Handshake(fd));

  ASSERT_TRUE(events.WaitForStates(2));
  std::vector<Events::State> states = events.states();
  EXPECT_FALSE(states[1].connected);
  EXPECT_TRUE(StartsWith(states[1].reason, "no_pong")) << states[1].reason;
  EXPECT_GE(std::chrono::duration_cast<Ms>(states[1].at - states[0].at).count(), 400);
  int opcode = 0;
  std::string payload;
  ASSERT_TRUE(RawServer::ReadFrame(fd, &opcode, &payload));
  EXPECT_EQ(opcode, 0x9);  // the client did ping
  client.Stop();
}

// Kalshi's stream: each connection is signed in its handshake headers (a
// fresh signature each time), and the server refuses a bad one with 401.
TEST(WsClient, SendsFreshHandshakeHeadersEachConnectionAndAServerCanRefuseThem) {
  std::mutex mu;
  std::vector<std::string> seen;  // the X-Sig header of each upgrade request
  WsServerOptions server_options;
  server_options.on_handshake = [&](std::string_view path, const WsHeaders& headers) {
    std::string sig;
    for (const auto& [name, value] : headers) {
      if (name == "X-Sig") sig = value;
    }
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(sig);
    return path == "/trade-api/ws/v2" && sig != "sig-1";  // the first signature is "wrong"
  };
  WsServer server(server_options);
  ASSERT_TRUE(server.Start().ok());
  Events events;
  WsClientOptions options = FastOptions(Url(server, "/trade-api/ws/v2"), events);
  int n = 0;
  options.handshake_headers = [&n] {
    return std::vector<std::pair<std::string, std::string>>{{"X-Sig", "sig-" + std::to_string(++n)}};
  };
  WsClient client(std::move(options));
  ASSERT_TRUE(client.Start().ok());

  ASSERT_TRUE(events.WaitForConnectErrors(1));  // refused: 401
  EXPECT_NE(events.connect_errors()[0].find("handshake"), std::string::npos) << events.connect_errors()[0];
  EXPECT_EQ(events.connect_errors()[0].find("sig-"), std::string::npos) << "a header's value was reported";
  ASSERT_TRUE(events.WaitForStates(1));  // the second attempt, signed anew, is accepted
  EXPECT_TRUE(events.states()[0].connected);
  client.Stop();
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen[0], "sig-1");
  EXPECT_EQ(seen[1], "sig-2");
}

// Commands go out in order on the live connection, and the server answers
// the one client that sent them; after a reconnect the commands sent from
// on_state(true) are sent again on the new connection.
TEST(WsClient, SendsCommandsInOrderAndTheServerAnswersThatClientAlone) {
  WsServer* server_ptr = nullptr;
  std::mutex mu;
  std::vector<std::pair<uint64_t, std::string>> received;
  std::vector<uint64_t> closed;
  WsServerOptions server_options;
  server_options.on_message = [&](uint64_t client, std::string_view, std::string_view text) {
    {
      std::lock_guard<std::mutex> lock(mu);
      received.emplace_back(client, std::string(text));
    }
    server_ptr->SendTo(client, "re:" + std::string(text));
  };
  server_options.on_closed = [&](uint64_t client) {
    std::lock_guard<std::mutex> lock(mu);
    closed.push_back(client);
  };
  WsServer server(server_options);
  server_ptr = &server;
  ASSERT_TRUE(server.Start().ok());

  Events bystander_events;  // a second client that sends nothing
  WsClient bystander(FastOptions(Url(server, "/trade-api/ws/v2"), bystander_events));
  ASSERT_TRUE(bystander.Start().ok());
  ASSERT_TRUE(bystander_events.WaitForStates(1));

  Events events;
  WsClientOptions options = FastOptions(Url(server, "/trade-api/ws/v2"), events);
  WsClient* client_ptr = nullptr;
  auto on_state = options.on_state;
  options.on_state = [&, on_state](bool connected, std::string_view reason) {
    if (connected) {
      for (int i = 0; i < 3; ++i) client_ptr->Send("cmd" + std::to_string(i));
    }
    on_state(connected, reason);
  };
  WsClient client(std::move(options));
  client_ptr = &client;
  client.Send("before any connection");  // dropped: no connection yet
  ASSERT_TRUE(client.Start().ok());
  ASSERT_TRUE(events.WaitForMessages(3));
  EXPECT_EQ(events.messages(), (std::vector<std::string>{"re:cmd0", "re:cmd1", "re:cmd2"}));

  server.DropAll();
  ASSERT_TRUE(events.WaitForMessages(6));
  EXPECT_EQ(events.messages()[5], "re:cmd2");
  EXPECT_TRUE(bystander_events.messages().empty()) << "an answer reached another client";
  client.Stop();
  bystander.Stop();
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(received.size(), 6u);
  EXPECT_NE(received[0].first, received[3].first) << "the reconnect is a new client";
  EXPECT_EQ(received[3].second, "cmd0");
  EXPECT_GE(closed.size(), 2u);  // both clients' first connections were dropped
  EXPECT_FALSE(server.SendTo(received[0].first, "to a gone client"));
}

}  // namespace
}  // namespace apollo::net
