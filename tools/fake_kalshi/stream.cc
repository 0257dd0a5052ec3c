// The fake Kalshi WebSocket: see stream.h.
//
// The WebSocket server's I/O thread only queues what clients send; one pump
// thread owns the subscriptions, answers commands and publishes the
// exchange's events, so every client's messages leave in the order they
// were made (a snapshot before the deltas after it) and no thread waits on
// the I/O thread while holding what the I/O thread needs.
#include "tools/fake_kalshi/stream.h"

#include <simdjson.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/net/ws_server.h"
#include "engine/venue/kalshi/signer.h"
#include "tools/fake_json.h"

namespace apollo::fake_kalshi {
namespace {

using fake::JsonObject;

constexpr auto kPumpEvery = std::chrono::milliseconds(20);
const std::set<std::string> kChannels = {"orderbook_delta", "ticker", "fill", "user_orders", "market_positions"};

struct Command {
  uint64_t client = 0;
  std::string text;
};
struct Closed {
  uint64_t client = 0;
};
struct Skip {};
using Job = std::variant<Command, Closed, Skip>;

struct Sub {
  std::string channel;
  bool all_markets = false;
  std::set<std::string> tickers;
  int64_t seq = 0;                              // book messages sent (or skipped)
  bool skip_next = false;                       // SkipSeq: lose the next book message
  std::map<std::string, uint64_t> snapshot_at;  // ticker -> book version its snapshot showed
};

std::string Message(absl::string_view type, std::optional<int64_t> id, std::optional<int64_t> sid,
                     std::optional<int64_t> seq, absl::string_view msg) {
  JsonObject o;
  if (id) o.Int("id", *id);
  o.Str("type", type);
  if (sid) o.Int("sid", *sid);
  if (seq) o.Int("seq", *seq);
  return o.Raw("msg", msg).Close();
}

std::string Error(int64_t id, int code, absl::string_view text) {
  return Message("error", id, std::nullopt, std::nullopt, JsonObject().Int("code", code).Str("msg", text).Close());
}

}  // namespace

struct FakeKalshiStream::Impl {
  Exchange* exchange;
  StreamOptions options;
  std::unique_ptr<net::WsServer> server;
  std::thread pump;
  std::atomic<int> refused{0}, commands{0};

  std::mutex mu;  // guards jobs, publish_now, stopping
  std::condition_variable cv;
  std::deque<Job> jobs;
  bool publish_now = false;
  bool stopping = false;

  // The pump thread's own.
  std::map<uint64_t, std::map<int64_t, Sub>> clients;  // client -> sid -> subscription
  int64_t next_sid = 1;

  void Queue(Job job) {
    {
      std::lock_guard<std::mutex> lock(mu);
      jobs.push_back(std::move(job));
    }
    cv.notify_one();
  }

  bool Signed(std::string_view path, const net::WsHeaders& headers) const {
    if (path != kStreamPath) return false;
    std::string key, stamp, signature;
    for (const auto& [name, value] : headers) {
      if (absl::EqualsIgnoreCase(name, "KALSHI-ACCESS-KEY")) key = value;
      if (absl::EqualsIgnoreCase(name, "KALSHI-ACCESS-TIMESTAMP")) stamp = value;
      if (absl::EqualsIgnoreCase(name, "KALSHI-ACCESS-SIGNATURE")) signature = value;
    }
    return venue::kalshi::SignedRequest(options.key_id, options.public_pem, key, stamp, signature, "GET", kStreamPath);
  }

  void Run() {
    for (;;) {
      std::deque<Job> batch;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait_for(lock, kPumpEvery, [this] { return stopping || publish_now || !jobs.empty(); });
        if (stopping) return;
        batch.swap(jobs);
        publish_now = false;
      }
      for (Job& job : batch) {
        if (auto* c = std::get_if<Command>(&job)) {
          Answer(c->client, c->text);
        } else if (auto* gone = std::get_if<Closed>(&job)) {
          clients.erase(gone->client);
        } else {
          for (auto& [client, subs] : clients) {
            for (auto& [sid, sub] : subs) sub.skip_next = sub.channel == "orderbook_delta";
          }
        }
      }
      PublishEvents();
    }
  }

  void Send(uint64_t client, const std::string& text) { server->SendTo(client, text); }

  // A book message of `sub`: its seq is used even when SkipSeq loses it.
  void SendBook(uint64_t client, int64_t sid, Sub& sub, absl::string_view type, absl::string_view msg) {
    ++sub.seq;
    if (std::exchange(sub.skip_next, false)) return;
    Send(client, Message(type, std::nullopt, sid, sub.seq, msg));
  }

  void Snapshot(uint64_t client, int64_t sid, Sub& sub, const std::string& ticker) {
    std::optional<std::pair<std::string, uint64_t>> book = exchange->BookSnapshot(ticker);
    if (!book) return;
    sub.snapshot_at[ticker] = book->second;
    SendBook(client, sid, sub, "orderbook_snapshot", book->first);
  }

  void Answer(uint64_t client, const std::string& text) {
    ++commands;
    simdjson::dom::parser parser;
    simdjson::dom::object cmd;
    if (parser.parse(text).get(cmd) != simdjson::SUCCESS) return Send(client, Error(0, 1, "Unable to process message"));
    int64_t id = 0;
    if (cmd["id"].get(id) != simdjson::SUCCESS) id = 0;
    std::string_view name;
    simdjson::dom::object params;
    if (cmd["cmd"].get(name) != simdjson::SUCCESS) return Send(client, Error(id, 5, "Unknown command"));
    if (cmd["params"].get(params) != simdjson::SUCCESS) return Send(client, Error(id, 2, "Params required"));
    std::vector<std::string> tickers;
    std::string_view one;
    if (params["market_ticker"].get(one) == simdjson::SUCCESS) tickers.emplace_back(one);
    simdjson::dom::array list;
    if (params["market_tickers"].get(list) == simdjson::SUCCESS) {
      for (simdjson::dom::element e : list) {
        if (e.get(one) == simdjson::SUCCESS) tickers.emplace_back(one);
      }
    }
    std::map<int64_t, Sub>& subs = clients[client];
    if (name == "subscribe") {
      simdjson::dom::array channels;
      if (params["channels"].get(channels) != simdjson::SUCCESS) return Send(client, Error(id, 2, "Params required"));
      for (simdjson::dom::element e : channels) {
        std::string_view channel;
        if (e.get(channel) != simdjson::SUCCESS || !kChannels.contains(std::string(channel))) {
          Send(client, Error(id, 8, "Unknown channel name"));
          continue;
        }
        bool already = false;
        for (const auto& [sid, sub] : subs) already |= sub.channel == channel;
        if (already) {
          Send(client, Error(id, 6, "Already subscribed"));
          continue;
        }
        if (channel == "orderbook_delta" && tickers.empty()) {
          Send(client, Error(id, 2, "Params required"));
          continue;
        }
        const int64_t sid = next_sid++;
        Sub& sub = subs[sid];
        sub.channel = std::string(channel);
        sub.all_markets = tickers.empty();
        sub.tickers.insert(tickers.begin(), tickers.end());
        Send(client, Message("subscribed", id, std::nullopt, std::nullopt,
                             JsonObject().Str("channel", std::string(channel)).Int("sid", sid).Close()));
        if (channel == "orderbook_delta") {
          for (const std::string& t : sub.tickers) Snapshot(client, sid, sub, t);
        }
      }
      return;
    }
    simdjson::dom::array sids;
    std::vector<int64_t> sid_list;
    if (params["sids"].get(sids) == simdjson::SUCCESS) {
      for (simdjson::dom::element e : sids) {
        int64_t sid = 0;
        if (e.get(sid) == simdjson::SUCCESS) sid_list.push_back(sid);
      }
    }
    if (name == "unsubscribe") {
      for (int64_t sid : sid_list) {
        if (subs.erase(sid) > 0) Send(client, Message("unsubscribed", id, sid, std::nullopt, "{}"));
      }
      return;
    }
    if (name == "update_subscription") {
      std::string_view action;
      if (sid_list.size() != 1 || params["action"].get(action) != simdjson::SUCCESS) {
        return Send(client, Error(id, 2, "Params required"));
      }
      auto it = subs.find(sid_list[0]);
      if (it == subs.end()) return Send(client, Error(id, 2, "Params required"));
      Sub& sub = it->second;
      if (action == "delete_markets") {
        for (const std::string& t : tickers) sub.tickers.erase(t);
      } else if (action == "add_markets") {
        sub.tickers.insert(tickers.begin(), tickers.end());
      } else if (action != "get_snapshot") {
        return Send(client, Error(id, 2, "Params required"));
      }
      Send(client, Message("ok", id, it->first, sub.seq, "{}"));
      if (sub.channel == "orderbook_delta" && action != "delete_markets") {
        for (const std::string& t : tickers) {
          if (sub.tickers.contains(t)) Snapshot(client, it->first, sub, t);
        }
      }
      return;
    }
    Send(client, Error(id, 5, "Unknown command"));
  }

  void PublishEvents() {
    std::vector<StreamEvent> events = exchange->TakeStreamEvents();
    for (const StreamEvent& e : events) {
      for (auto& [client, subs] : clients) {
        for (auto& [sid, sub] : subs) {
          if (sub.channel != e.channel || (!sub.all_markets && !sub.tickers.contains(e.ticker))) continue;
          if (e.channel != "orderbook_delta") {
            Send(client, Message(e.type, std::nullopt, sid, std::nullopt, e.msg));
            continue;
          }
          auto shown = sub.snapshot_at.find(e.ticker);
          if (shown == sub.snapshot_at.end() || e.book_version <= shown->second) continue;  // in its snapshot
          SendBook(client, sid, sub, e.type, e.msg);
        }
      }
    }
  }
};

FakeKalshiStream::FakeKalshiStream(Exchange* exchange, StreamOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->exchange = exchange;
  impl_->options = std::move(options);
}

FakeKalshiStream::~FakeKalshiStream() { Stop(); }

absl::Status FakeKalshiStream::Start() {
  Impl& m = *impl_;
  net::WsServerOptions o;
  o.port = static_cast<uint16_t>(m.options.port);
  o.on_handshake = [&m](std::string_view path, const net::WsHeaders& headers) {
    const bool ok = m.Signed(path, headers);
    if (!ok) ++m.refused;
    return ok;
  };
  o.on_message = [&m](uint64_t client, std::string_view, std::string_view text) {
    m.Queue(Command{client, std::string(text)});
  };
  o.on_closed = [&m](uint64_t client) { m.Queue(Closed{client}); };
  m.server = std::make_unique<net::WsServer>(std::move(o));
  if (absl::Status st = m.server->Start(); !st.ok()) return st;
  m.pump = std::thread([&m] { m.Run(); });
  return absl::OkStatus();
}

void FakeKalshiStream::Stop() {
  Impl& m = *impl_;
  if (!m.pump.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    m.stopping = true;
  }
  m.cv.notify_one();
  m.pump.join();
  m.server->Stop();
}

int FakeKalshiStream::port() const { return impl_->server ? impl_->server->port() : 0; }
std::string FakeKalshiStream::Url() const { return absl::StrCat("ws://127.0.0.1:", port(), kStreamPath); }
void FakeKalshiStream::Publish() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->publish_now = true;
  }
  impl_->cv.notify_one();
}
void FakeKalshiStream::SkipSeq() { impl_->Queue(Skip{}); }
void FakeKalshiStream::DropAll() {
  if (impl_->server) impl_->server->DropAll();
}
int FakeKalshiStream::refused_handshakes() const { return impl_->refused.load(); }
int FakeKalshiStream::clients() const { return impl_->server ? static_cast<int>(impl_->server->client_count()) : 0; }
int FakeKalshiStream::commands() const { return impl_->commands.load(); }

}  // namespace apollo::fake_kalshi
