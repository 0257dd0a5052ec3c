// Kalshi's WebSocket kept: see stream_client.h.
#include "engine/venue/kalshi/stream_client.h"

#include <utility>
#include <variant>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "engine/net/ws_client.h"

namespace apollo::venue::kalshi {
namespace {

constexpr const char* kMarketChannels[] = {"orderbook_delta", "ticker"};
constexpr const char* kPrivateChannels[] = {"fill", "user_orders", "market_positions"};

// Debian's Abseil has its own string_view.
absl::string_view View(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// A ticker as Kalshi writes them; anything else is never put into a command.
bool IsTicker(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  for (char c : t) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') return false;
  }
  return true;
}

std::string Quoted(const std::set<std::string>& items) {
  return absl::StrCat("[", absl::StrJoin(items, ",", [](std::string* out, const std::string& s) {
                        absl::StrAppend(out, "\"", s, "\"");
                      }),
                      "]");
}

}  // namespace

StreamClient::StreamClient(StreamClientOptions options, Signer signer)
    : options_(std::move(options)), signer_(std::move(signer)) {
  for (const std::string& m : options_.markets) {
    if (IsTicker(m)) wanted_.insert(m);
  }
}

StreamClient::~StreamClient() { Stop(); }

absl::Status StreamClient::Start() {
  if (ws_) return absl::FailedPreconditionError("kalshi stream: started already");
  absl::StatusOr<net::WsUrl> url = net::ParseWsUrl(options_.url);
  if (!url.ok()) return absl::InvalidArgumentError(absl::StrCat("kalshi stream: ", url.status().message()));
  sign_path_ = url->target.substr(0, url->target.find('?'));
  if (options_.key_id.empty()) return absl::InvalidArgumentError("kalshi stream: no key id (KALSHI_API_KEY)");

  net::WsClientOptions o;
  o.url = options_.url;
  o.connect_timeout_ms = options_.connect_timeout_ms;
  o.ping_interval_ms = options_.ping_interval_ms;
  o.pong_timeout_ms = options_.pong_timeout_ms;
  o.reconnect_initial_ms = options_.reconnect_initial_ms;
  o.reconnect_max_ms = options_.reconnect_max_ms;
  o.jitter_seed = options_.jitter_seed;
  o.max_connection_age_ms = 0;
  o.handshake_headers = [this]() -> std::vector<std::pair<std::string, std::string>> {
    const int64_t ts = absl::ToUnixMillis(absl::Now());
    absl::StatusOr<std::string> signature = signer_.Sign(ts, "GET", sign_path_);
    if (!signature.ok()) {
      Log("kalshi stream: the handshake cannot be signed; Kalshi will refuse it");
      return {};
    }
    return {{"KALSHI-ACCESS-KEY", options_.key_id},
            {"KALSHI-ACCESS-TIMESTAMP", absl::StrCat(ts)},
            {"KALSHI-ACCESS-SIGNATURE", *std::move(signature)}};
  };
  o.on_message = [this](std::string_view text) { OnMessage(text); };
  o.on_state = [this](bool connected, std::string_view reason) { OnState(connected, reason); };
  o.on_connect_error = [this](std::string_view reason) { Log(absl::StrCat("kalshi stream: connect failed: ", View(reason))); };
  ws_ = std::make_unique<net::WsClient>(std::move(o));
  return ws_->Start();
}

void StreamClient::Stop() {
  if (ws_) ws_->Stop();
}

void StreamClient::SetMarkets(std::vector<std::string> markets) {
  std::set<std::string> wanted;
  for (std::string& m : markets) {
    if (IsTicker(m)) {
      wanted.insert(std::move(m));
    } else {
      Log("kalshi stream: a market ticker with characters Kalshi does not use is left out");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  wanted_ = std::move(wanted);
  SyncLocked();
}

std::optional<Orderbook> StreamClient::Book(const std::string& ticker) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!live_ || !wanted_.contains(ticker)) return std::nullopt;
  const Orderbook* book = books_.Book(ticker);
  if (book == nullptr) return std::nullopt;
  return *book;
}

std::optional<TickerUpdate> StreamClient::Ticker(const std::string& ticker) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tickers_.find(ticker);
  if (!live_ || it == tickers_.end()) return std::nullopt;
  return it->second;
}

bool StreamClient::connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return live_;
}

double StreamClient::last_message_age_sec() const { return ws_ ? ws_->last_message_age_sec() : 0; }

StreamCounters StreamClient::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

void StreamClient::OnState(bool connected, std::string_view reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A new connection knows nothing: every book waits for its snapshot.
    live_ = connected;
    books_ = BookKeeper();
    tickers_.clear();
    sid_.clear();
    on_server_.clear();
    asked_.clear();
    resyncing_.clear();
    subscribing_.clear();
    snapshotting_.clear();
    if (connected) {
      ++counters_.connections;
      SyncLocked();
    }
  }
  if (options_.on_state) options_.on_state(connected, reason);
}

void StreamClient::SyncLocked() {
  if (!live_) return;
  for (const char* channel : kMarketChannels) {
    if (asked_.contains(channel)) continue;  // its answer first
    std::set<std::string>& on_server = on_server_[channel];
    auto sid = sid_.find(channel);
    if (sid == sid_.end()) {
      if (wanted_.empty()) continue;
      const int64_t id =
          SendLocked("subscribe", absl::StrCat(R"({"channels":[")", channel, R"("],"market_tickers":)", Quoted(wanted_), "}"));
      subscribing_[id] = {channel};
      asked_.insert(channel);
      on_server = wanted_;
      continue;
    }
    std::set<std::string> add, remove;
    for (const std::string& m : wanted_) {
      if (!on_server.contains(m)) add.insert(m);
    }
    for (const std::string& m : on_server) {
      if (!wanted_.contains(m)) remove.insert(m);
    }
    for (const auto& [action, markets] : {std::pair{"add_markets", &add}, std::pair{"delete_markets", &remove}}) {
      if (markets->empty()) continue;
      SendLocked("update_subscription", absl::StrCat(R"({"sids":[)", sid->second, R"(],"market_tickers":)",
                                                     Quoted(*markets), R"(,"action":")", action, R"("})"));
    }
    on_server = wanted_;
  }
  if (options_.private_channels && !asked_.contains(kPrivateChannels[0]) && !sid_.contains(kPrivateChannels[0])) {
    const int64_t id = SendLocked("subscribe", R"({"channels":["fill","user_orders","market_positions"]})");
    for (const char* channel : kPrivateChannels) {
      asked_.insert(channel);
      subscribing_[id].push_back(channel);
    }
  }
}

int64_t StreamClient::SendLocked(std::string_view cmd, const std::string& params_json) {
  const int64_t id = next_id_++;
  ws_->Send(absl::StrCat(R"({"id":)", id, R"(,"cmd":")", View(cmd), R"(","params":)", params_json, "}"));
  return id;
}

void StreamClient::ResyncLocked(int64_t sid) {
  const std::set<std::string>& markets = on_server_["orderbook_delta"];
  if (markets.empty() || !resyncing_.insert(sid).second) return;
  ++counters_.snapshots_asked;
  snapshotting_[SendLocked("update_subscription", absl::StrCat(R"({"sids":[)", sid, R"(],"market_tickers":)",
                                                               Quoted(markets), R"(,"action":"get_snapshot"})"))] = sid;
}

void StreamClient::OnMessage(std::string_view text) {
  absl::StatusOr<StreamMessage> parsed = ParseStreamMessage(View(text));
  std::vector<std::string> lines;
  if (!parsed.ok()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++counters_.bad_messages;
    }
    Log(absl::StrCat("kalshi stream: a message is dropped: ", parsed.status().message()));
    return;
  }
  const StreamMessage& m = *parsed;
  if (std::holds_alternative<StreamFill>(m) || std::holds_alternative<StreamOrder>(m) ||
      std::holds_alternative<StreamPosition>(m)) {
    if (options_.on_private) options_.on_private(m);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (const auto* s = std::get_if<StreamSubscribed>(&m)) {
      sid_[s->channel] = s->sid;
      asked_.erase(s->channel);
      if (auto it = subscribing_.find(s->id); it != subscribing_.end()) {
        std::erase(it->second, s->channel);
        if (it->second.empty()) subscribing_.erase(it);
      }
      SyncLocked();
    } else if (const auto* e = std::get_if<StreamError>(&m)) {
      ++counters_.refusals;
      lines.push_back(absl::StrCat("kalshi stream: command ", e->id, " refused: code ", e->code, " ", e->message));
      // A refused subscribe is sent again at the next SetMarkets; a refused
      // get_snapshot at the subscription's next gap.
      if (auto it = subscribing_.find(e->id); it != subscribing_.end()) {
        for (const std::string& channel : it->second) {
          asked_.erase(channel);
          on_server_.erase(channel);
        }
        subscribing_.erase(it);
      }
      if (auto it = snapshotting_.find(e->id); it != snapshotting_.end()) {
        resyncing_.erase(it->second);
        snapshotting_.erase(it);
      }
    } else if (const auto* snap = std::get_if<BookSnapshot>(&m)) {
      resyncing_.erase(snap->sid);
      if (!books_.Apply(*snap)) {
        ++counters_.gaps;
        lines.push_back(absl::StrCat("kalshi book: subscription ", snap->sid, " snapshot out of turn (seq ", snap->seq,
                                     "): its other books are stale; their snapshots asked"));
        ResyncLocked(snap->sid);
      }
    } else if (const auto* d = std::get_if<BookDelta>(&m)) {
      if (absl::Status st = books_.Apply(*d); !st.ok()) {
        ++counters_.gaps;
        lines.emplace_back(st.message());
        // One request for the subscription's snapshots per gap; its books
        // stay out of use until they arrive.
        ResyncLocked(d->sid);
      }
    } else if (const auto* t = std::get_if<TickerUpdate>(&m)) {
      tickers_[t->ticker] = *t;
    }
  }
  for (const std::string& line : lines) Log(line);
}

void StreamClient::Log(std::string_view line) const {
  if (options_.on_log) options_.on_log(line);
}

}  // namespace apollo::venue::kalshi
