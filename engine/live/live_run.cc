// RunLive: see live_run.h.
#include "engine/live/live_run.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <optional>
#include <memory>
#include <mutex>

#include "absl/container/btree_set.h"
#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "engine/domain/status_macros.h"
#include "engine/live/market_feed.h"
#include "engine/live/news_poller.h"
#include "engine/live/run_loop.h"
#include "engine/live/step_assembler.h"
#include "engine/net/ws_client.h"
#include "engine/orders/orders.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/engine.h"
#include "engine/runtime/projections.h"
#include "engine/runtime/signals.h"
#include "engine/runtime/surface.h"
#include "engine/venue/binance/account_setup.h"
#include "engine/venue/binance/binance_venue.h"
#include "engine/venue/binance/market_payloads.h"
#include "engine/venue/binance/orders_api.h"
#include "ledger/ledger.h"

namespace apollo::live {
namespace {

using runtime::LogFields;

// Inputs from the stream threads to the engine thread, in arrival order.
struct Input {
  enum Kind { kBar, kUserEvent, kReconnected, kRefused, kFunding } kind = kBar;
  strategy::Bar bar;
  FundingUpdate funding;     // kFunding: the mark price stream's rate
  std::string json;          // kUserEvent: the message; kRefused: why
  const char* stream = "";   // kReconnected, kRefused: "market" or "user"
  bool reconnect = false;    // kRefused: the text was not JSON (the stream lost data)
  Symbol symbol;             // kBar: whose

  static Input Bar(Symbol symbol, strategy::Bar bar) {
    Input in;
    in.bar = bar;
    in.symbol = std::move(symbol);
    return in;
  }
  static Input Funding(FundingUpdate funding) {
    Input in;
    in.kind = kFunding;
    in.funding = std::move(funding);
    return in;
  }
  static Input User(std::string json) {
    Input in;
    in.kind = kUserEvent;
    in.json = std::move(json);
    in.stream = "user";
    return in;
  }
  static Input Reconnected(const char* stream) {
    Input in;
    in.kind = kReconnected;
    in.stream = stream;
    return in;
  }
  static Input Refused(const char* stream, const absl::Status& why) {
    Input in;
    in.kind = kRefused;
    in.json = std::string(why.message());
    in.stream = stream;
    in.reconnect = absl::IsDataLoss(why);
    return in;
  }
};

// The bound of the queue between the stream threads and the engine thread.
// A full queue drops what arrives (a stream thread never blocks: it must
// keep answering pings); the engine thread then learns how many were
// dropped, reconciles and fetches the missed bars.
constexpr size_t kInboxItemsMax = 10'000;
// News items read but not journaled yet (a step takes them all); beyond,
// the oldest go.
constexpr size_t kNewsWaitingMax = 1'000;
// A symbol wanted (venue-wide universe, open position) that could not be
// followed is tried again this soon.
constexpr absl::Duration kFollowRetry = absl::Seconds(30);
constexpr size_t kInboxBytesMax = 64 << 20;
// The largest stream message read; a larger one drops the connection (which
// reconnects and reconciles). Binance's klines and account events are a few
// KiB at most.
constexpr size_t kStreamMessageBytesMax = 1 << 20;

class Inbox {
 public:
  void Push(Input in) {
    {
      std::lock_guard<std::mutex> l(mu_);
      const size_t bytes = in.json.size();
      if (items_.size() >= kInboxItemsMax || bytes_ + bytes > kInboxBytesMax) {
        ++dropped_;
        return;
      }
      bytes_ += bytes;
      items_.push_back(std::move(in));
    }
    cv_.notify_one();
    runtime::Wake();
  }
  // Ends the wait of Take without an input (an operator command came).
  void Nudge() {
    {
      std::lock_guard<std::mutex> l(mu_);
      nudged_ = true;
    }
    cv_.notify_one();
  }
  // Waits up to `timeout` for inputs (or a Nudge); returns what is there.
  std::deque<Input> Take(absl::Duration timeout) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait_for(l, absl::ToChronoMilliseconds(timeout), [&] { return !items_.empty() || dropped_ > 0 || nudged_; });
    bytes_ = 0;
    nudged_ = false;
    return std::exchange(items_, {});
  }
  // Inputs dropped at the bound since the last call.
  uint64_t TakeDropped() {
    std::lock_guard<std::mutex> l(mu_);
    return std::exchange(dropped_, 0);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Input> items_;
  size_t bytes_ = 0;
  uint64_t dropped_ = 0;
  bool nudged_ = false;
};

// The book ticker stream's latest best bid and ask per symbol: written by
// the market stream's thread, read by the engine thread before a step.
class LatestBooks {
 public:
  static constexpr size_t kBooksMax = 1'024;
  void Put(const venue::binance::BookTicker& b) {
    std::lock_guard<std::mutex> l(mu_);
    // Only the subscribed symbols send books; a stream naming many more is
    // not let grow this without bound.
    if (latest_.size() >= kBooksMax && !latest_.contains(b.symbol)) return;
    latest_[b.symbol] = b;
  }
  std::map<Symbol, venue::binance::BookTicker> Latest() const {
    std::lock_guard<std::mutex> l(mu_);
    return latest_;
  }
  // The stream reconnected: what it missed may have moved a book, so none
  // is known until each moves again.
  void Clear() {
    std::lock_guard<std::mutex> l(mu_);
    latest_.clear();
  }
  // A book message that could not be read. A book has no sequence, so
  // nothing is to be fetched again: it is counted, logged once per pass
  // (TakeRefused), and a text that is not JSON reconnects the stream.
  void Refuse(const absl::Status& why) {
    std::lock_guard<std::mutex> l(mu_);
    ++refused_;
    last_refusal_ = std::string(why.message());
    not_json_ = not_json_ || absl::IsDataLoss(why);
  }
  struct Refusals {
    uint64_t count = 0;
    std::string last;
    bool not_json = false;
  };
  Refusals TakeRefused() {
    std::lock_guard<std::mutex> l(mu_);
    Refusals r{std::exchange(refused_, 0), std::exchange(last_refusal_, {}), std::exchange(not_json_, false)};
    return r;
  }

 private:
  mutable std::mutex mu_;
  std::map<Symbol, venue::binance::BookTicker> latest_;
  uint64_t refused_ = 0;
  std::string last_refusal_;
  bool not_json_ = false;
};

strategy::Bar ToBar(const venue::binance::Kline& k) {
  return strategy::Bar{k.open_time_ms, k.open, k.high, k.low, k.close, k.volume};
}

// The wall-clock time (ms) of the first SystemStarted after `seq`: by then
// the process that journaled `seq` had stopped (a ledger has one writer at a
// time). nullopt if there is none yet or the ledger cannot be read. The scan
// ends at that start, a few events past an order still in doubt.
std::optional<int64_t> FirstStartAfter(const ledger::Ledger& ledger, uint64_t seq) {
  std::optional<int64_t> found;
  const uint64_t head = ledger.head().last_seq;
  if (seq == 0 || seq >= head) return found;
  const absl::Status done = absl::CancelledError("found");
  absl::Status st = ledger.Scan(seq + 1, head, [&](const ledger::RecordView& r) -> absl::Status {
    if (r.tag != static_cast<uint16_t>(EventTag::kSystemStarted)) return absl::OkStatus();
    found = r.ts_ns / 1'000'000;
    return done;
  });
  if (!st.ok() && !absl::IsCancelled(st)) return std::nullopt;
  return found;
}

// Whether `update` says something the ledger does not have yet: another
// rate or funding time (the mark price alone moves every message).
bool FundingChanged(const State& state, const FundingUpdate& update) {
  auto it = state.funding.find(update.symbol);
  return it == state.funding.end() || it->second.rate != update.funding_rate ||
         it->second.funding_time_ms != update.funding_time_ms;
}

// The universe's candidates: the symbols traded, each with the venue's 24 h
// quote volume, minimum order notional and last funding rate (asked one
// symbol at a time). Any answer missing or refused fails the choice.
absl::StatusOr<std::vector<UniverseCandidate>> UniverseCandidates(venue::binance::RestClient& client,
                                                                  const std::vector<Symbol>& symbols,
                                                                  const std::map<Symbol, Fixed>& min_notional) {
  std::vector<UniverseCandidate> out;
  for (const Symbol& symbol : symbols) {
    ASSIGN_OR_RETURN(const venue::binance::Ticker24h ticker, venue::binance::GetTicker24h(client, symbol));
    ASSIGN_OR_RETURN(const venue::binance::PremiumIndex premium, venue::binance::GetPremiumIndex(client, symbol));
    UniverseCandidate c;
    c.symbol = symbol;
    c.min_notional = min_notional.at(symbol);
    c.quote_volume_24h = ticker.quote_volume;
    if (premium.last_funding_rate) {
      c.funding_rate_pct = premium.last_funding_rate->Mul(Fixed::FromInt(100));  // as FundingRate::Pct
      c.funding_known = true;
    }
    out.push_back(std::move(c));
  }
  return out;
}

// The venue-wide universe's candidates: every perpetual of the venue in
// `quote_asset` that is trading, with its 24 h quote volume, minimum order
// notional and last funding rate (three requests: exchangeInfo, every
// ticker, every premium index). `info` keeps the exchangeInfo read, for
// the filters of the symbols that enter, and `ticker_close_ms` each
// ticker's close time (the venue's now, on its own market data).
absl::StatusOr<std::vector<UniverseCandidate>> VenueWideCandidates(venue::binance::RestClient& client,
                                                                   const std::string& quote_asset,
                                                                   venue::binance::ExchangeInfo* info,
                                                                   std::map<Symbol, int64_t>* ticker_close_ms) {
  ASSIGN_OR_RETURN(*info, venue::binance::GetExchangeInfo(client));
  ASSIGN_OR_RETURN(const std::vector<venue::binance::Ticker24h> tickers, venue::binance::GetTickers24h(client));
  ASSIGN_OR_RETURN(const std::vector<venue::binance::PremiumIndex> premiums, venue::binance::GetPremiumIndexes(client));
  std::map<Symbol, const venue::binance::PremiumIndex*> premium_of;
  for (const venue::binance::PremiumIndex& p : premiums) premium_of[p.symbol] = &p;
  std::vector<UniverseCandidate> out;
  for (const venue::binance::Ticker24h& t : tickers) {
    // Only names a config could hold too: they go into stream URLs.
    if (!IsSymbolName(t.symbol.value)) continue;
    auto s = info->symbols.find(t.symbol.value);
    if (s == info->symbols.end() || s->second.status != "TRADING" || s->second.contract_type != "PERPETUAL" ||
        s->second.quote_asset != quote_asset) {
      continue;
    }
    (*ticker_close_ms)[t.symbol] = t.close_time_ms;
    UniverseCandidate c;
    c.symbol = t.symbol;
    c.min_notional = s->second.min_notional;
    c.quote_volume_24h = t.quote_volume;
    auto p = premium_of.find(t.symbol);
    if (p != premium_of.end() && p->second->last_funding_rate) {
      c.funding_rate_pct = p->second->last_funding_rate->Mul(Fixed::FromInt(100));
      c.funding_known = true;
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const UniverseCandidate& a, const UniverseCandidate& b) { return a.symbol < b.symbol; });
  return out;
}

// An open position or order in `symbol`: it stays followed whatever the universe.
bool Holds(const State& state, const Symbol& symbol) {
  if (state.positions.contains(symbol)) return true;
  return std::any_of(state.orders.begin(), state.orders.end(), [&](const auto& kv) { return kv.second.symbol == symbol; });
}

}  // namespace

absl::StatusOr<runtime::RunSummary> RunLive(const LiveOptions& lo, runtime::Log& log) {
  const runtime::RunOptions& o = lo.run;
  const config::Config& cfg = o.cfg;
  const absl::Time t0 = absl::Now();
  const bool testnet = cfg.run.mode == Mode::kTestnet;
  std::vector<Symbol> symbols;
  for (const std::string& s : cfg.Symbols()) symbols.push_back(Symbol{s});
  venue::binance::RestOptions rest;
  rest.base_url = !lo.rest_base_url.empty() ? lo.rest_base_url
                  : testnet                 ? cfg.binance.testnet_base_url
                                            : cfg.binance.base_url;
  rest.api_key = lo.secrets.api_key;
  rest.api_secret = lo.secrets.secret_key;
  rest.recv_window_ms = cfg.binance.recv_window;
  rest.time_sync_interval_ms = int64_t{cfg.binance.time_sync_interval_sec} * 1000;
  rest.connect_timeout_ms = cfg.binance.connect_timeout_ms;
  rest.request_timeout_ms = cfg.binance.request_timeout_ms;
  rest.max_retries = cfg.execution.retry_attempts;
  rest.backoff_initial_ms = cfg.execution.retry_initial_delay_ms;
  rest.backoff_max_ms = cfg.execution.retry_max_delay_ms;
  rest.gate = lo.gate;
  venue::binance::RestHooks hooks;
  hooks.on_request = [&lo](const venue::binance::RequestSample& r) {
    if (lo.on_rest_request) lo.on_rest_request(r.latency_seconds, r.usage.used_weight_1m);
  };
  hooks.on_backoff = [&lo, &log](venue::binance::BackoffReason reason, absl::Duration wait) {
    log.Warning("rest_backoff", LogFields().Add("reason", venue::binance::BackoffReasonName(reason))
                                    .Add("wait_ms", absl::ToInt64Milliseconds(wait)));
    if (lo.on_rest_backoff) lo.on_rest_backoff(false);
  };
  hooks.on_log = [&log](absl::string_view note) { log.Info("rest_client", LogFields().Add("note", note)); };
  auto count = [&lo](absl::string_view what, absl::string_view label, uint64_t n) {
    if (lo.on_count) lo.on_count(what, label, n);
  };
  // A venue answer we cannot read is refused, never read as 0.
  hooks.on_refused = [&log, count](absl::string_view endpoint, absl::string_view error) {
    log.Warning("venue_payload_refused", LogFields().Add("source", "rest").Add("endpoint", endpoint).Add("error", error));
    count("refused", "rest", 1);
  };
  ASSIGN_OR_RETURN(std::unique_ptr<venue::binance::RestClient> client,
                   venue::binance::RestClient::Create(rest, hooks));
  RETURN_IF_ERROR(client->SyncTime());
  ASSIGN_OR_RETURN(venue::binance::ExchangeInfo info, venue::binance::GetExchangeInfo(*client));
  client->set_weight_limit_1m(info.request_weight_limit_1m);
  client->set_order_limits(info.order_limit_10s, info.order_limit_1m);
  std::map<Symbol, risk::Filters> filters;
  std::map<Symbol, Fixed> min_notional;
  for (const Symbol& symbol : symbols) {
    auto found = info.symbols.find(symbol.value);
    if (found == info.symbols.end()) {
      return absl::FailedPreconditionError(absl::StrCat("symbol ", symbol.value, " is not in exchangeInfo"));
    }
    filters[symbol] = found->second.ToRiskFilters();
    min_notional[symbol] = found->second.min_notional;
    log.Info("exchange_filters_loaded", LogFields().Add("symbol", symbol.value)
                                            .Add("tick_size", found->second.tick_size)
                                            .Add("step_size", filters[symbol].qty_step)
                                            .Add("min_notional", found->second.min_notional));
  }

  ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> ledger, ledger::Ledger::OpenWriter(o.ledger_dir, {.faults = o.ledger_faults}));
  std::vector<std::unique_ptr<strategy::Strategy>> strategies;
  for (const Symbol& symbol : symbols) {
    ASSIGN_OR_RETURN(strategies.emplace_back(),
                     strategy::MakeStrategy(cfg.strategy, cfg.regime, symbol.value, cfg.run.interval));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<runtime::Projections> projections, runtime::Projections::Open(o.logs_dir, o.on_projection_fault));
  runtime::WallClock clock;
  venue::binance::BinanceVenueOptions venue_options;
  venue_options.send_orders = cfg.run.enable_trading;
  venue_options.quote_asset = cfg.binance.quote_asset;
  venue_options.in_flight_ms = int64_t{cfg.binance.recv_window} + venue::binance::kClockSkewAllowanceMs;
  venue_options.sender_stopped_wall_ms = [&ledger](const Order& o) { return FirstStartAfter(*ledger, o.placed_seq); };
  venue_options.on_note = [&log](absl::string_view event, const ClientOrderId& id, absl::string_view detail) {
    log.Warning(event, LogFields().Add("client_order_id", id.value).Add("detail", detail));
  };
  venue::binance::BinanceVenue venue(client.get(), venue_options);
  runtime::EngineDeps deps;
  deps.cfg = cfg;
  deps.build_version = o.build_version;
  deps.ledger = ledger.get();
  deps.venue = &venue;
  for (size_t i = 0; i < symbols.size(); ++i) {
    deps.symbols[symbols[i]] = runtime::TradedSymbol{strategies[i].get(), filters[symbols[i]]};
  }
  deps.clock = &clock;
  deps.log = &log;
  deps.projections = projections.get();
  deps.observer = o.observer;
  deps.filters_source = "exchangeInfo";
  // Used only if the ledger has none yet: then it is journaled for good.
  absl::BitGen nonce_bits;
  deps.client_id_nonce = orders::ClientIdNonce(absl::Uniform<uint64_t>(nonce_bits));
  runtime::Engine engine(deps);
  RETURN_IF_ERROR(engine.Start());
  // The account as the config asks (the seed's set-up), before anything
  // trades; with run.enable_trading false nothing is sent, the account untouched.
  if (cfg.run.enable_trading) {
    venue::binance::AccountWanted wanted{cfg.execution.margin_type, cfg.risk.default_leverage.raw() / Fixed::kScale};
    RETURN_IF_ERROR(engine.OnAccountSettings(venue::binance::SetUpAccount(*client, symbols, wanted)));
  }
  // Positions are equal within the finest lot step of the symbols: every
  // position sits on its own symbol's grid, so a real difference is at
  // least that symbol's step, and exchange rounding stays within it.
  reconcile::Tolerances tolerances{Fixed(), cfg.reconciliation.balance_tolerance_usd};
  auto update_tolerances = [&] {
    tolerances.qty = filters.begin()->second.qty_step;
    for (const auto& [symbol, f] : filters) tolerances.qty = std::min(tolerances.qty, f.qty_step);
  };
  update_tolerances();
  auto fetch = [&] { return venue.Snapshot(cfg.binance.quote_asset); };
  // True when the pass ran (or reconciliation is off); false when it was
  // put off because an order is in doubt.
  auto reconcile_now = [&]() -> absl::StatusOr<bool> {
    if (!cfg.reconciliation.enabled) return true;
    return engine.Reconcile(fetch, tolerances);
  };
  ASSIGN_OR_RETURN(const bool reconciled_at_start, reconcile_now());
  // The seed's ranked universe (universe.size > 0): the symbols traded,
  // ranked on the venue's 24 h tickers and last funding rates, at start and
  // every universe.refresh_interval_hours; when the venue cannot be read,
  // tried again after universe.retry_interval_minutes (the last universe
  // holds meanwhile; before the first, entries open in every symbol).
  absl::Time next_universe_try = absl::InfinitePast();

  // One feed per symbol (closed bars from REST for the gaps of the market
  // stream), all into one assembler of steps.
  ASSIGN_OR_RETURN(const int64_t interval_sec, config::ParseTimeframe(cfg.run.interval));
  const int64_t interval_ms = interval_sec * 1000;
  // Up to `limit` bars of `symbol` opening at or after from_ms, only those
  // closed by the venue's clock (the last one may still be open).
  auto closed_klines = [&](const Symbol& symbol, int64_t from_ms, int limit) -> absl::StatusOr<std::vector<strategy::Bar>> {
    ASSIGN_OR_RETURN(std::vector<venue::binance::Kline> klines,
                     venue::binance::GetKlines(*client, symbol, cfg.run.interval, from_ms, limit));
    const int64_t venue_now_ms = absl::ToUnixMillis(absl::Now()) + client->server_offset_ms();
    std::vector<strategy::Bar> closed;
    for (const venue::binance::Kline& k : klines) {
      if (k.close_time_ms < venue_now_ms) closed.push_back(ToBar(k));
    }
    return closed;
  };
  StepAssembler steps(symbols);
  std::map<Symbol, MarketFeed> feeds;
  auto make_feed = [&](const Symbol& symbol) {
    MarketFeedDeps feed_deps;
    feed_deps.engine = &engine;
    feed_deps.log = &log;
    feed_deps.symbol = symbol;
    feed_deps.interval_ms = interval_ms;
    feed_deps.fetch = [&closed_klines, symbol](int64_t from_ms, int limit) { return closed_klines(symbol, from_ms, limit); };
    feed_deps.deliver = [&steps, symbol](const strategy::Bar& bar) {
      steps.Add(symbol, bar, absl::ToUnixMillis(absl::Now()));
      return absl::OkStatus();
    };
    feed_deps.count = count;
    feeds.emplace(symbol, MarketFeed(std::move(feed_deps)));
  };
  for (const Symbol& symbol : symbols) make_feed(symbol);
  auto mark_gaps = [&feeds] {
    for (auto& [symbol, feed] : feeds) feed.MarkGap();
  };
  // Every followed symbol's closed klines, the mark price stream's funding
  // rate (every 3 s) and, with the spread check on, the best bid and ask, on
  // one combined stream.
  const bool spread_check = cfg.execution.use_dynamic_spread_threshold || cfg.execution.max_spread_pct.raw() > 0;
  const std::string ws_base = !lo.ws_base_url.empty() ? lo.ws_base_url
                              : testnet               ? cfg.binance.testnet_ws_url
                                                      : cfg.binance.ws_url;
  auto market_url = [&] {
    std::vector<std::string> stream_names;
    for (const auto& [symbol, feed] : feeds) {
      const std::string lower = absl::AsciiStrToLower(symbol.value);
      stream_names.push_back(absl::StrCat(lower, "@kline_", cfg.run.interval));
      stream_names.push_back(absl::StrCat(lower, "@markPrice"));
      if (spread_check) stream_names.push_back(absl::StrCat(lower, "@bookTicker"));
    }
    return absl::StrCat(ws_base, "/stream?streams=", absl::StrJoin(stream_names, "/"));
  };
  net::WsClient* market_stream = nullptr;  // once started

  // The venue-wide universe (universe.venue_wide): a symbol entering it is
  // traded from then on (Engine::AddSymbol, the account set up for it),
  // its history journaled (enough bars to warm its strategy, or the gap
  // since its last journaled bar), then followed on the stream; one leaving
  // it with no position or order open is no longer followed. A symbol the
  // venue cannot give history for now is tried again (follow_universe).
  venue::binance::ExchangeInfo venue_info = info;
  std::map<Symbol, int64_t> ticker_close_ms;
  const venue::binance::AccountWanted wanted{cfg.execution.margin_type, cfg.risk.default_leverage.raw() / Fixed::kScale};
  auto follow = [&](const Symbol& symbol) -> absl::StatusOr<bool> {
    auto listed = venue_info.symbols.find(symbol.value);
    if (listed == venue_info.symbols.end()) {
      log.Warning("universe_symbol_not_followed", LogFields().Add("symbol", symbol.value).Add("why", "not in exchangeInfo"));
      return false;
    }
    ASSIGN_OR_RETURN(std::unique_ptr<strategy::Strategy> strategy,
                     strategy::MakeStrategy(cfg.strategy, cfg.regime, symbol.value, cfg.run.interval));
    const int64_t warmup = static_cast<int64_t>(strategy->WarmupBars());
    filters[symbol] = listed->second.ToRiskFilters();
    if (engine.Trades(symbol)) {
      RETURN_IF_ERROR(engine.UpdateFilters(symbol, filters[symbol]));
    } else {
      RETURN_IF_ERROR(engine.AddSymbol(symbol, std::move(strategy), filters[symbol]));
    }
    update_tolerances();
    if (cfg.run.enable_trading) {
      RETURN_IF_ERROR(engine.OnAccountSettings(venue::binance::SetUpAccount(*client, {symbol}, wanted)));
    }
    // The history: from the bar after its last journaled one, at most the
    // strategy's warm-up before the bar open now (by its 24 h ticker's
    // close time, the venue's own now for its market data), page by page.
    auto ticker_close = ticker_close_ms.find(symbol);
    const int64_t venue_now_ms = ticker_close != ticker_close_ms.end()
                                     ? ticker_close->second
                                     : absl::ToUnixMillis(absl::Now()) + client->server_offset_ms();
    // Not past the last bar stepped: a step still waiting for its other
    // symbols' klines keeps its own (the feed fetches the rest).
    const int64_t last_step_open_ms = engine.LastBarOpenMs();
    const int64_t open_now_ms = std::min(venue_now_ms / interval_ms * interval_ms,
                                         last_step_open_ms == INT64_MIN ? INT64_MAX : last_step_open_ms + interval_ms);
    int64_t from_ms = open_now_ms - warmup * interval_ms;
    if (auto last = engine.state().last_bars.find(symbol); last != engine.state().last_bars.end()) {
      from_ms = std::max(from_ms, last->second.open_time_ms + interval_ms);
    }
    std::vector<strategy::Bar> history;
    while (from_ms < open_now_ms) {
      absl::StatusOr<std::vector<strategy::Bar>> page = closed_klines(symbol, from_ms, venue::binance::kKlinesLimitMax);
      if (!page.ok()) {
        log.Warning("universe_symbol_not_followed", LogFields().Add("symbol", symbol.value).Add("why", page.status().message()));
        return false;
      }
      for (const strategy::Bar& b : *page) {
        if (b.open_time_ms >= from_ms && b.open_time_ms < open_now_ms &&
            (history.empty() || b.open_time_ms > history.back().open_time_ms)) {
          history.push_back(b);
        }
      }
      if (page->size() < static_cast<size_t>(venue::binance::kKlinesLimitMax)) break;
      from_ms = page->back().open_time_ms + interval_ms;
    }
    RETURN_IF_ERROR(engine.OnHistory(symbol, history));
    make_feed(symbol);
    steps.AddSymbol(symbol);
    log.Info("universe_symbol_followed", LogFields().Add("symbol", symbol.value)
                                             .Add("history_bars", static_cast<uint64_t>(history.size())));
    return true;
  };
  // The symbols followed made to match what is wanted: the venue-wide
  // universe just chosen, and in every mode each symbol with a position or
  // an order open (a restart after a venue-wide run, a config changed);
  // the stream resubscribed when they changed. A symbol that cannot be
  // followed now is tried again within kFollowRetry.
  absl::Time next_follow_try = absl::InfinitePast();
  auto follow_universe = [&]() -> absl::Status {
    bool changed = false, missing = false;
    absl::btree_set<Symbol> wanted_symbols;  // each once: a failed follow is not asked twice
    if (cfg.universe.venue_wide) wanted_symbols = engine.state().universe;
    for (const auto& [symbol, position] : engine.state().positions) wanted_symbols.insert(symbol);
    for (const auto& [id, order] : engine.state().orders) wanted_symbols.insert(order.symbol);
    for (const Symbol& symbol : wanted_symbols) {
      if (feeds.contains(symbol)) continue;
      ASSIGN_OR_RETURN(const bool followed, follow(symbol));
      changed = changed || followed;
      missing = missing || !followed;
    }
    next_follow_try = missing ? absl::Now() + kFollowRetry : absl::InfiniteFuture();
    std::vector<Symbol> leaving;
    for (const auto& [symbol, feed] : feeds) {
      if (!cfg.universe.venue_wide || symbol.value == cfg.run.symbol || engine.state().universe.contains(symbol) ||
          Holds(engine.state(), symbol)) {
        continue;
      }
      leaving.push_back(symbol);
    }
    for (const Symbol& symbol : leaving) {
      feeds.erase(symbol);
      steps.RemoveSymbol(symbol);
      log.Info("universe_symbol_dropped", LogFields().Add("symbol", symbol.value));
      changed = true;
    }
    if (changed && market_stream != nullptr) {
      RETURN_IF_ERROR(market_stream->SetUrl(market_url()));
      market_stream->Reconnect();
    }
    return absl::OkStatus();
  };
  // Account settings the venue refused (or could not be asked for) are
  // asked again every retry_interval_minutes while trading is refused for them.
  absl::Time next_settings_try = absl::Now() + absl::Minutes(cfg.universe.retry_interval_minutes);
  auto retry_settings = [&]() -> absl::Status {
    next_settings_try = absl::Now() + absl::Minutes(cfg.universe.retry_interval_minutes);
    if (!cfg.run.enable_trading || engine.state().account_setting_failures.empty()) return absl::OkStatus();
    absl::btree_set<Symbol> failed_symbols;
    for (const auto& [key, why] : engine.state().account_setting_failures) {
      const Symbol symbol{key.substr(0, key.find('/'))};
      if (!symbol.value.empty() && feeds.contains(symbol)) failed_symbols.insert(symbol);
    }
    return engine.OnAccountSettings(venue::binance::SetUpAccount(
        *client, std::vector<Symbol>(failed_symbols.begin(), failed_symbols.end()), wanted));
  };
  auto choose_universe = [&]() -> absl::Status {
    if (!engine.UniverseDue() || absl::Now() < next_universe_try) return absl::OkStatus();
    absl::StatusOr<std::vector<UniverseCandidate>> candidates =
        cfg.universe.venue_wide ? VenueWideCandidates(*client, cfg.binance.quote_asset, &venue_info, &ticker_close_ms)
                                : UniverseCandidates(*client, symbols, min_notional);
    if (!candidates.ok()) {
      log.Warning("universe_refresh_failed", LogFields().Add("error", candidates.status().message())
                                                 .Add("retry_minutes", int64_t{cfg.universe.retry_interval_minutes}));
      next_universe_try = absl::Now() + absl::Minutes(cfg.universe.retry_interval_minutes);
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(engine.OnUniverse(*std::move(candidates), "venue_24h_ticker"));
    return follow_universe();
  };
  RETURN_IF_ERROR(choose_universe());
  // A restart follows the symbols it holds positions or orders in.
  RETURN_IF_ERROR(follow_universe());

  // Streams.
  Inbox inbox;
  LatestBooks books;
  auto on_state = [&inbox, &log](const char* stream) {
    return [&inbox, &log, stream, seen = false](bool connected, std::string_view reason) mutable {
      log.Info(connected ? "ws_connected" : "ws_disconnected",
               LogFields().Add("stream", stream).Add("reason", std::string(reason)));
      if (connected && seen) inbox.Push(Input::Reconnected(stream));  // reconcile at once
      seen = seen || connected;
    };
  };
  net::WsClientOptions market_options;
  market_options.url = market_url();
  market_options.silence_timeout_ms = int64_t{cfg.binance.stream_silence_sec} * 1000;
  // Two streams (and two bots) must not retry in lockstep.
  absl::BitGen seeds;
  market_options.jitter_seed = absl::Uniform<uint64_t>(seeds);
  market_options.max_message_bytes = kStreamMessageBytesMax;
  market_options.on_message = [&inbox, &books](std::string_view text) {
    // A book moves many times a second: only its latest is kept, beside
    // the queue, and the klines' queue stays free for what must be in order.
    if (absl::StrContains(absl::string_view(text.data(), std::min<size_t>(text.size(), 64)), "@bookTicker")) {
      absl::StatusOr<std::optional<venue::binance::BookTicker>> b =
          venue::binance::ParseBookTickerMessage(absl::string_view(text.data(), text.size()));
      if (!b.ok()) {
        books.Refuse(b.status());
      } else if (*b) {
        books.Put(**b);
      }
      return;
    }
    absl::StatusOr<std::optional<venue::binance::Kline>> k =
        venue::binance::ParseKlineMessage(absl::string_view(text.data(), text.size()));
    if (!k.ok()) {
      inbox.Push(Input::Refused("market", k.status()));
    } else if (*k && (*k)->closed) {
      inbox.Push(Input::Bar((*k)->symbol, ToBar(**k)));
    } else if (!*k) {
      absl::StatusOr<std::optional<venue::binance::MarkPrice>> m =
          venue::binance::ParseMarkPriceMessage(absl::string_view(text.data(), text.size()));
      if (!m.ok()) {
        inbox.Push(Input::Refused("market", m.status()));
      } else if (*m) {
        FundingUpdate f{(*m)->symbol, (*m)->funding_rate, (*m)->mark_price, (*m)->next_funding_time_ms};
        inbox.Push(Input::Funding(std::move(f)));
      }
    }
  };
  // A dropped connection may have missed a book's move: none is known
  // until each moves again.
  market_options.on_state = [&books, inner = on_state("market")](bool connected, std::string_view reason) mutable {
    if (!connected) books.Clear();
    inner(connected, reason);
  };
  net::WsClient market(market_options);
  RETURN_IF_ERROR(market.Start());
  market_stream = &market;

  ASSIGN_OR_RETURN(std::string listen_key, venue::binance::CreateListenKey(*client));
  net::WsClientOptions user_options;
  user_options.url = absl::StrCat(ws_base, "/ws/", listen_key);
  user_options.max_message_bytes = kStreamMessageBytesMax;
  user_options.on_message = [&inbox](std::string_view text) {
    inbox.Push(Input::User(std::string(text)));
  };
  user_options.on_state = on_state("user");
  user_options.jitter_seed = absl::Uniform<uint64_t>(seeds);
  net::WsClient user(user_options);
  RETURN_IF_ERROR(user.Start());

  // News (news.enabled with sources): the feeds are read on the poller's
  // thread; new items wait here and are journaled with the next step.
  std::unique_ptr<NewsPoller> poller;
  if (cfg.news.enabled && !cfg.news.sources.empty()) {
    poller = std::make_unique<NewsPoller>(cfg.news, [] { return absl::ToUnixMillis(absl::Now()); }, lo.gate);
    poller->Start();
  }
  std::vector<NewsIngested> news_items;
  auto take_news = [&] {
    if (!poller) return;
    for (NewsPoller::Read& r : poller->Take()) {
      if (!r.status.ok()) {
        log.Warning("news_feed_failed", LogFields().Add("source", r.source).Add("error", r.status.message()));
        count("news", "failed", 1);
        continue;
      }
      count("news", "read", 1);
      uint64_t fresh = 0;
      for (NewsIngested& n : r.items) {
        const bool waiting = std::any_of(news_items.begin(), news_items.end(), [&](const NewsIngested& w) {
          return w.source == n.source && w.item_id == n.item_id;
        });
        if (waiting || engine.state().NewsSeen(n.source, n.item_id)) continue;
        news_items.push_back(std::move(n));
        ++fresh;
      }
      if (news_items.size() > kNewsWaitingMax) {
        news_items.erase(news_items.begin(), news_items.end() - static_cast<std::ptrdiff_t>(kNewsWaitingMax));
      }
      log.Info("news_feed_read", LogFields().Add("source", r.source).Add("new", fresh)
                                     .Add("dated_in_max_age", static_cast<uint64_t>(r.items.size()))
                                     .Add("too_old", r.too_old).Add("undated", r.undated));
    }
  };

  runtime::Surface surface(o, engine, log);
  // An operator command is taken at once, not after the inbox's next wait.
  if (o.inbox != nullptr) o.inbox->SetWake([&inbox] { inbox.Nudge(); });
  surface.decorate = [&](runtime::EngineView& view) {
    view.ws_connected = market.connected() && user.connected();
    view.ws_last_message_age_sec = market.last_message_age_sec();
    view.last_reconcile_wall_ns = engine.state().last_reconciliation_ns;
  };
  RETURN_IF_ERROR(surface.CheckPolicy());  // the policy holds from the first step
  surface.Publish(false);
  if (o.on_started) o.on_started(engine.state(), 0);
  runtime::RunSummary summary;
  absl::Time next_keepalive = absl::Now() + absl::Seconds(cfg.binance.user_stream_keepalive_sec);
  absl::Status failed = absl::OkStatus();
  ReconcilePasses passes(cfg, reconcile_now, /*pending=*/!reconciled_at_start);
  // POST /actions/reconcile: a pass now, on this thread, between two inputs.
  surface.reconcile = passes.OnDemand();
  // The mark price stream's latest rate per symbol, not journaled yet.
  std::map<Symbol, FundingUpdate> funding;
  uint64_t steps_taken = 0, bars_stepped = 0;
  // The assembled steps into the engine. The rates the mark price stream
  // last gave are journaled before a step when they changed (the seed's
  // FUNDING, then BAR), so FUNDING_TOO_HIGH and the audit read them from
  // the ledger.
  // With the spread check on, each symbol's latest best bid and ask (from
  // the book ticker stream) is journaled before a step when it changed
  // (MarketTick), for the step's entries to be judged by.
  // The venue's inputs of a step, journaled with it in one synced batch:
  // the rates the mark price stream gave that the ledger does not have yet,
  // and with the spread check on each symbol's latest book, stamped with
  // the time it is held as the book (on the venue's clock). A book only
  // moves when the market does, so a quiet book is still the book.
  auto step_inputs = [&]() {
    std::vector<EventBody> inputs;
    for (const auto& [symbol, f] : funding) {
      if (FundingChanged(engine.state(), f)) inputs.push_back(f);
    }
    funding.clear();
    count("news_items", "", news_items.size());
    for (NewsIngested& n : news_items) inputs.push_back(std::move(n));
    news_items.clear();
    if (!spread_check) return inputs;
    const int64_t venue_now_ms = absl::ToUnixMillis(absl::Now()) + client->server_offset_ms();
    for (const auto& [symbol, b] : books.Latest()) {
      if (feeds.contains(symbol)) inputs.push_back(MarketTick{symbol, b.bid_price, b.ask_price, venue_now_ms, Fixed(), Fixed()});
    }
    return inputs;
  };
  auto run_steps = [&]() -> absl::Status {
    for (const std::vector<runtime::SymbolBar>& step : steps.TakeReady(absl::ToUnixMillis(absl::Now()))) {
      const size_t symbol_count = steps.symbols();
      if (step.size() < symbol_count) {
        // A symbol's kline did not come in time (or came late: then this is its own step).
        std::vector<std::string> in;
        for (const runtime::SymbolBar& b : step) in.push_back(b.symbol.value);
        log.Info("step_partial", LogFields().Add("bar_open_time_ms", step.front().bar.open_time_ms)
                                     .Add("symbols", absl::StrJoin(in, ",")).Add("of", static_cast<uint64_t>(symbol_count)));
        count("partial", "step", 1);
      }
      // A symbol's history may have journaled a bar still waiting here.
      std::vector<runtime::SymbolBar> fresh;
      for (const runtime::SymbolBar& b : step) {
        auto last = engine.state().last_bars.find(b.symbol);
        if (last == engine.state().last_bars.end() || b.bar.open_time_ms > last->second.open_time_ms) fresh.push_back(b);
      }
      if (fresh.empty()) continue;
      RETURN_IF_ERROR(engine.OnStep(fresh, step_inputs()));
      ++steps_taken;
      bars_stepped += step.size();
      surface.Publish(true);
    }
    return absl::OkStatus();
  };
  bool renew_listen_key = false;
  auto refused = [&](const char* stream, const std::string& error, bool reconnect) {
    log.Warning("venue_payload_refused", LogFields().Add("source", stream).Add("error", error)
                                             .Add("reconnect", reconnect));
    count("refused", stream, 1);
    passes.Ask();  // whatever it said is asked of the venue instead
    if (std::string_view(stream) == "market") mark_gaps();
    if (reconnect) (std::string_view(stream) == "market" ? market : user).Reconnect();
  };
  KillSwitch kill_switch(engine, cfg, log);
  while ((runtime::StopSignal() == 0 || engine.stop_requested()) && !kill_switch.Done() && failed.ok() &&
         (engine.stop_requested() || lo.max_bars == 0 || steps_taken < lo.max_bars)) {
    for (Input& in : inbox.Take(absl::Seconds(1))) {
      if (in.kind == Input::kFunding) {
        if (feeds.contains(in.funding.symbol)) funding[in.funding.symbol] = std::move(in.funding);
      } else if (in.kind == Input::kBar) {
        auto feed = feeds.find(in.symbol);
        if (feed == feeds.end()) continue;  // not a symbol traded here
        failed = feed->second.OnStreamBar(in.bar);
        if (failed.ok()) failed = run_steps();
      } else if (in.kind == Input::kReconnected) {
        passes.Ask();
        if (std::string_view(in.stream) == "market") mark_gaps();
      } else if (in.kind == Input::kRefused) {
        refused(in.stream, in.json, in.reconnect);
      } else {
        venue::binance::UserEventEffects fx = venue.OnUserEvent(in.json, engine.state());
        if (!fx.refused.empty()) refused("user", fx.refused, fx.reconnect);
        failed = engine.OnVenueReports(fx.reports);
        if (fx.reconcile_now) passes.Ask();
        renew_listen_key = renew_listen_key || fx.listen_key_expired;
      }
      if (!failed.ok()) break;
      if (in.kind != Input::kBar) surface.Publish(false);
    }
    if (const LatestBooks::Refusals r = books.TakeRefused(); r.count > 0) {
      log.Warning("venue_payload_refused", LogFields().Add("source", "market").Add("error", r.last)
                                               .Add("stream", "bookTicker").Add("count", r.count)
                                               .Add("reconnect", r.not_json));
      count("refused", "market", r.count);
      if (r.not_json) market.Reconnect();
    }
    if (const uint64_t dropped = inbox.TakeDropped(); dropped > 0) {
      log.Warning("stream_messages_dropped", LogFields().Add("count", dropped).Add("bound", static_cast<uint64_t>(kInboxItemsMax)));
      count("dropped", "inbox", dropped);
      passes.Ask();
      mark_gaps();
    }
    for (auto& [symbol, feed] : feeds) {
      if (failed.ok()) failed = feed.Poll();
    }
    // Steps whose last klines came, or whose wait ran out.
    if (failed.ok()) failed = run_steps();
    if (failed.ok()) failed = choose_universe();
    if (failed.ok() && absl::Now() >= next_follow_try) failed = follow_universe();
    if (failed.ok() && absl::Now() >= next_settings_try) failed = retry_settings();
    take_news();
    // Reconcile once the queued stream messages are journaled: an
    // ACCOUNT_UPDATE often arrives just before the fill it accompanies.
    // One place reconciles: after a reconnect or ACCOUNT_UPDATE, after a
    // pass put off, or every reconciliation.interval_min.
    if (failed.ok()) failed = engine.ResolvePending();
    if (failed.ok()) failed = passes.RunIfDue();
    // A 418: stop trading (journaled, so a restart keeps it) and alert once.
    if (failed.ok() && venue.TakeBanNotice()) {
      if (lo.on_rest_backoff) lo.on_rest_backoff(true);
      failed = engine.OnOperator({runtime::OperatorCommand::kPause, "venue", "BINANCE_418_IP_BANNED", "", {}}).status();
    }
    if (failed.ok()) failed = surface.HandleCommands();
    if (failed.ok()) failed = engine.KillSwitchSweep();
    runtime::ReopenLogIfAsked(log);
    surface.Publish(false);
    if (absl::Now() >= next_keepalive) {
      if (absl::Status st = venue::binance::KeepAliveListenKey(*client); !st.ok()) {
        // The key may be gone (-1125): a new one costs nothing.
        log.Warning("listen_key_keepalive_failed", LogFields().Add("error", st.message()));
        renew_listen_key = true;
      }
      next_keepalive = absl::Now() + absl::Seconds(cfg.binance.user_stream_keepalive_sec);
    }
    // A new listenKey and a reconnect of the user stream (which then
    // reconciles); retried each pass until it works.
    if (renew_listen_key) {
      absl::StatusOr<std::string> key = venue::binance::CreateListenKey(*client);
      absl::Status st = key.ok() ? user.SetUrl(absl::StrCat(ws_base, "/ws/", *key)) : key.status();
      if (st.ok()) {
        user.Reconnect();
        renew_listen_key = false;
        next_keepalive = absl::Now() + absl::Seconds(cfg.binance.user_stream_keepalive_sec);
      } else {
        log.Warning("listen_key_renewal_failed", LogFields().Add("error", st.message()));
      }
    }
  }
  if (failed.ok()) failed = kill_switch.Finish(passes, &summary.exit_code);
  market_stream = nullptr;
  market.Stop();
  user.Stop();
  if (poller) poller->Stop();
  summary.bars_this_run = bars_stepped;
  if (!failed.ok()) {
    surface.Halted(failed);
    return failed;
  }
  summary.stop_reason = engine.stop_requested() ? "KILL_SWITCH" : runtime::StopSignal() != 0 ? "SIGNAL" : "MAX_BARS";
  RETURN_IF_ERROR(engine.Stop(summary.stop_reason));
  (void)venue::binance::CloseListenKey(*client);
  summary.state = engine.state();
  summary.seconds = absl::ToDoubleSeconds(absl::Now() - t0);
  summary.ledger_dir = o.ledger_dir;
  summary.data_file = rest.base_url;
  summary.label = absl::StrCat(EnumName(cfg.run.mode), " run");
  return summary;
}

}  // namespace apollo::live
