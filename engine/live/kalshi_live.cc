// The Kalshi testnet/live run; see kalshi_live.h.
#include "engine/live/kalshi_live.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "engine/domain/instrument.h"
#include "engine/domain/status_macros.h"
#include "engine/live/run_loop.h"
#include "engine/net/rate_gate.h"
#include "engine/orders/orders.h"
#include "engine/runtime/clock.h"
#include "engine/runtime/engine.h"
#include "engine/runtime/projections.h"
#include "engine/runtime/signals.h"
#include "engine/runtime/surface.h"
#include "engine/venue/kalshi/kalshi_venue.h"
#include "engine/venue/kalshi/orders_api.h"
#include "engine/venue/kalshi/rest_client.h"
#include "engine/venue/kalshi/signer.h"
#include "engine/venue/kalshi/stream_client.h"
#include "engine/weather/cities.h"
#include "engine/weather/model.h"
#include "engine/weather/nws_client.h"
#include "ledger/ledger.h"

namespace apollo::live {
namespace {

using runtime::LogFields;

// Something for the engine thread: the stream's private channels moved,
// the stream reconnected, an operator command came. Waits are bounded.
class Waker {
 public:
  void Wake(bool orders_moved, bool reconnected) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      orders_moved_ = orders_moved_ || orders_moved;
      reconnected_ = reconnected_ || reconnected;
      woken_ = true;
    }
    cv_.notify_one();
  }
  // Waits until woken or `timeout`; returns (orders moved, reconnected) since the last call.
  std::pair<bool, bool> Wait(absl::Duration timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), [this] { return woken_; });
    woken_ = false;
    return {std::exchange(orders_moved_, false), std::exchange(reconnected_, false)};
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false, orders_moved_ = false, reconnected_ = false;
};

// The smaller of a configured quota and a tier's bucket (refill tokens a
// second, size), by refill rate and by size.
net::Quota SmallerQuota(const config::ProviderQuotaConfig& configured, int64_t refill, int64_t capacity) {
  const double configured_rate = static_cast<double>(configured.requests_per_window) / std::max(1, configured.window_sec);
  const int64_t configured_size = configured.burst > 0 ? configured.burst : configured.requests_per_window;
  net::Quota q{refill, absl::Seconds(1), capacity};
  if (configured_rate < static_cast<double>(refill)) {
    q.requests_per_window = configured.requests_per_window;
    q.window = absl::Seconds(configured.window_sec);
  }
  q.burst = std::min<int64_t>(capacity, configured_size);
  return q;
}

// An order of ours Kalshi has acknowledged and still holds (resting).
bool AtKalshi(const Order& o) {
  return o.status == OrderStatus::kAccepted || o.status == OrderStatus::kPartiallyFilled;
}

// The climate day (YYYY-MM-DD) `ms` falls in at the city's standard time.
absl::CivilDay ClimateDayAt(const weather::City& city, int64_t ms) {
  return absl::ToCivilDay(absl::FromUnixMillis(ms), absl::FixedTimeZone(city.standard_utc_offset_hours * 3600));
}

}  // namespace

absl::StatusOr<runtime::RunSummary> RunKalshiLive(const KalshiLiveOptions& lo, runtime::Log& log) {
  const runtime::RunOptions& o = lo.run;
  const config::Config& cfg = o.cfg;
  const absl::Time t0 = absl::Now();
  if (cfg.run.venue != "kalshi" || cfg.run.mode == Mode::kPaper) {
    return absl::InvalidArgumentError("a Kalshi live run needs run.venue kalshi in testnet or live mode");
  }
  std::vector<const weather::City*> cities;
  for (const std::string& code : cfg.weather.cities) {
    if (const weather::City* c = weather::CityByCode(code)) cities.push_back(c);
  }

  // REST, through the gate's kalshi_read/kalshi_write buckets.
  venue::kalshi::RestOptions rest;
  rest.base_url = lo.credentials.base_url;
  rest.key_id = lo.credentials.key_id;
  rest.max_retries = cfg.execution.retry_attempts;
  rest.backoff_initial_ms = cfg.execution.retry_initial_delay_ms;
  rest.backoff_max_ms = std::max<int64_t>(cfg.execution.retry_max_delay_ms, cfg.execution.retry_initial_delay_ms);
  rest.gate = lo.gate;
  venue::kalshi::RestHooks hooks;
  hooks.on_log = [&log](absl::string_view note) { log.Info("rest_client", LogFields().Add("note", note)); };
  ASSIGN_OR_RETURN(venue::kalshi::Signer rest_signer, venue::kalshi::Signer::FromPem(lo.credentials.private_pem));
  ASSIGN_OR_RETURN(std::unique_ptr<venue::kalshi::RestClient> client,
                   venue::kalshi::RestClient::Create(rest, std::move(rest_signer), hooks));
  // The gate's Kalshi buckets: the smaller of config.yaml's (the
  // operator's ceiling) and the account's tier (Kalshi's); when the tier
  // cannot be read, config.yaml's stand.
  if (lo.gate != nullptr) {
    absl::StatusOr<venue::kalshi::ApiLimits> tier = venue::kalshi::GetApiLimits(*client);
    if (tier.ok()) {
      lo.gate->SetQuota("kalshi_read", SmallerQuota(cfg.rate_limits.kalshi_read, tier->read_refill, tier->read_capacity));
      lo.gate->SetQuota("kalshi_write", SmallerQuota(cfg.rate_limits.kalshi_write, tier->write_refill, tier->write_capacity));
      log.Info("kalshi_rate_tier", LogFields().Add("usage_tier", tier->usage_tier).Add("read_per_sec", tier->read_refill)
                                       .Add("read_bucket", tier->read_capacity).Add("write_per_sec", tier->write_refill)
                                       .Add("write_bucket", tier->write_capacity));
    } else {
      log.Warning("kalshi_rate_tier_unread", LogFields().Add("error", tier.status().message())
                                                 .Add("using", "rate_limits.kalshi_read and kalshi_write"));
    }
  }

  ASSIGN_OR_RETURN(std::unique_ptr<ledger::Ledger> ledger, ledger::Ledger::OpenWriter(o.ledger_dir, {.faults = o.ledger_faults}));
  ASSIGN_OR_RETURN(std::unique_ptr<runtime::Projections> projections, runtime::Projections::Open(o.logs_dir, o.on_projection_fault));
  runtime::WallClock clock;
  venue::kalshi::KalshiVenueOptions venue_options;
  venue_options.send_orders = cfg.run.enable_trading;
  venue_options.on_unexpected_fee = [&log, &lo](const venue::kalshi::Fill& f, Fixed expected) {
    log.Warning("kalshi_fee_unexpected", LogFields().Add("ticker", f.ticker).Add("trade_id", f.trade_id)
                                             .Add("count", f.count).Add("yes_price", f.yes_price)
                                             .Add("taker", f.is_taker).Add("fee", f.fee).Add("schedule", expected));
    if (lo.on_count) lo.on_count("fee_unexpected", "", 1);
  };
  venue::kalshi::KalshiVenue venue(client.get(), venue_options);
  runtime::EngineDeps deps;
  deps.cfg = cfg;
  deps.build_version = o.build_version;
  deps.ledger = ledger.get();
  deps.venue = &venue;
  deps.clock = &clock;
  deps.log = &log;
  deps.projections = projections.get();
  deps.observer = o.observer;
  deps.filters_source = "kalshi";
  absl::BitGen nonce_bits;  // used only if the ledger has none yet: then it is journaled for good
  deps.client_id_nonce = orders::ClientIdNonce(absl::Uniform<uint64_t>(nonce_bits));
  runtime::Engine engine(deps);
  RETURN_IF_ERROR(engine.RebuildState());
  if (!engine.state().last_bars.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("ledger ", o.ledger_dir, " holds a Binance run's bars: a Kalshi run needs a ledger of its own"));
  }
  RETURN_IF_ERROR(engine.Start());

  // Contracts are counted to the hundredth; the balance within the config's tolerance.
  const reconcile::Tolerances tolerances{Fixed::FromRaw(venue::kalshi::kCent2), cfg.reconciliation.balance_tolerance_usd};

  // The stream: books of the markets listed, our orders' news.
  Waker waker;
  venue::kalshi::StreamClientOptions so;
  so.url = lo.credentials.stream_url;
  so.key_id = lo.credentials.key_id;
  so.jitter_seed = absl::Uniform<uint64_t>(nonce_bits);  // two bots never retry in lockstep
  for (const auto& [symbol, instrument] : engine.state().instruments) so.markets.push_back(symbol.value);
  so.on_private = [&waker](const venue::kalshi::StreamMessage&) { waker.Wake(true, false); };
  so.on_state = [&waker, &log, seen = false](bool connected, std::string_view reason) mutable {
    log.Info(connected ? "ws_connected" : "ws_disconnected",
             LogFields().Add("stream", "kalshi").Add("reason", absl::string_view(reason.data(), reason.size())));
    if (connected && seen) waker.Wake(false, true);  // what it missed is asked of Kalshi: reconcile at once
    seen = seen || connected;
  };
  so.on_log = [&log](std::string_view line) {
    log.Warning("kalshi_stream", LogFields().Add("detail", absl::string_view(line.data(), line.size())));
  };
  ASSIGN_OR_RETURN(venue::kalshi::Signer stream_signer, venue::kalshi::Signer::FromPem(lo.credentials.private_pem));
  venue::kalshi::StreamClient stream(std::move(so), std::move(stream_signer));
  RETURN_IF_ERROR(stream.Start());

  weather::NwsClientOptions nws_options;
  nws_options.base_url = cfg.weather.nws_base_url;
  nws_options.user_agent = cfg.weather.nws_user_agent;
  ASSIGN_OR_RETURN(std::unique_ptr<weather::NwsClient> nws, weather::NwsClient::Create(nws_options, lo.gate));

  auto count = [&lo](absl::string_view what, absl::string_view label, uint64_t n) {
    if (lo.on_count && n > 0) lo.on_count(what, label, n);
  };
  // The stream's counters since they were last counted.
  venue::kalshi::StreamCounters counted;
  auto count_stream = [&] {
    const venue::kalshi::StreamCounters now = stream.counters();
    count("book_gap", "", now.gaps - counted.gaps);
    count("stream_refused", "", now.refusals - counted.refusals);
    count("refused", "market", now.bad_messages - counted.bad_messages);
    counted = now;
  };
  // Our open orders asked for: fills, and Kalshi's cancels at a market's
  // close. A market with an order Kalshi could not be asked about (or one
  // in doubt) is not settled until it can: a fill before the close must not
  // be lost to the settlement's cancel.
  std::set<Symbol> unconfirmed;
  auto query_orders = [&]() -> absl::Status {
    venue::Reports all;
    unconfirmed.clear();
    for (const auto& [id, order] : engine.state().orders) {
      if (order.status == OrderStatus::kPlaced) unconfirmed.insert(order.symbol);
      if (!AtKalshi(order)) continue;
      absl::StatusOr<venue::Reports> r = venue.Query(order);
      if (!r.ok()) {
        log.Warning("order_query_failed", LogFields().Add("client_order_id", id.value).Add("error", r.status().message()));
        unconfirmed.insert(order.symbol);
        continue;
      }
      all.insert(all.end(), r->begin(), r->end());
    }
    return all.empty() ? absl::OkStatus() : engine.OnVenueReports(all);
  };
  // A market's result once Kalshi has paid it out (finalized; "settled" in
  // older answers). A result that is only determined may still be amended
  // and Kalshi still holds the position: not yet.
  // Read with its event's markets (GET /events, one call per event per
  // pass: `event_reads` is cleared before each).
  std::map<std::string, std::map<std::string, venue::kalshi::Market>> event_reads;
  auto paid_result = [&](const std::string& ticker, const std::string& event) -> std::optional<MarketResult> {
    auto read = event_reads.find(event);
    if (read == event_reads.end()) {
      std::map<std::string, venue::kalshi::Market> markets;
      absl::StatusOr<venue::kalshi::Event> e = venue::kalshi::GetEvent(*client, event);
      if (e.ok()) {
        for (venue::kalshi::Market& m : e->markets) markets.emplace(m.ticker, std::move(m));
      } else {
        log.Warning("event_read_failed", LogFields().Add("event", event).Add("error", e.status().message()));
      }
      read = event_reads.emplace(event, std::move(markets)).first;
    }
    auto m = read->second.find(ticker);
    if (m == read->second.end() || (m->second.status != "finalized" && m->second.status != "settled")) return std::nullopt;
    if (m->second.result == "yes") return MarketResult::kYes;
    if (m->second.result == "no") return MarketResult::kNo;
    return std::nullopt;
  };

  // One market step's inputs, read from Kalshi and NWS now.
  auto step_inputs = [&](int64_t now_ms) -> std::vector<EventBody> {
    const absl::Time step_started = absl::Now();
    std::vector<EventBody> inputs;
    event_reads.clear();
    const State& state = engine.state();
    std::set<std::string> listed;
    std::vector<std::string> followed;  // on the stream: the markets still trading
    for (const auto& [symbol, instrument] : state.instruments) {
      listed.insert(symbol.value);
      if (instrument.terms.close_time_ms > now_ms) followed.push_back(symbol.value);
    }
    // New markets of each city, journaled first in the step; every listed
    // market's volume and open interest (the stream's ticker is newer).
    std::vector<InstrumentDefined> fresh;
    std::map<std::string, std::pair<Fixed, Fixed>> activity;
    for (const weather::City* city : cities) {
      absl::StatusOr<std::vector<venue::kalshi::Market>> markets = venue::kalshi::Markets(*client, city->series, "open");
      if (!markets.ok()) {
        log.Warning("markets_read_failed", LogFields().Add("series", city->series).Add("error", markets.status().message()));
        continue;
      }
      for (const venue::kalshi::Market& m : *markets) {
        activity[m.ticker] = {m.volume, m.open_interest};
        if (listed.contains(m.ticker)) continue;
        absl::StatusOr<Instrument> instrument = venue::kalshi::ListedInstrument(m);
        if (!instrument.ok()) {
          log.Warning("venue_payload_refused", LogFields().Add("source", "rest").Add("ticker", m.ticker)
                                                   .Add("error", instrument.status().message()));
          continue;
        }
        fresh.push_back(InstrumentDefined{Symbol{m.ticker}, "kalshi", *std::move(instrument)});
        listed.insert(m.ticker);
        followed.push_back(m.ticker);
      }
    }
    stream.SetMarkets(followed);
    // Books, forecasts, settlements of what is listed.
    std::set<std::pair<const weather::City*, std::string>> days;
    auto add_market = [&](const std::string& ticker, const Instrument& instrument) {
      const ContractTerms& terms = instrument.terms;
      const weather::City* city = weather::CityBySeries(terms.series);
      if (terms.close_time_ms <= now_ms) {
        if (unconfirmed.contains(Symbol{ticker})) return;
        if (std::optional<MarketResult> result = paid_result(ticker, terms.event)) {
          inputs.push_back(MarketSettled{Symbol{ticker}, *result, YesPayout(instrument, *result), now_ms, "kalshi"});
        }
        return;
      }
      if (city != nullptr) days.insert({city, terms.subject_day});
      std::optional<venue::kalshi::Orderbook> book = stream.Book(ticker);
      if (!book) {
        absl::StatusOr<venue::kalshi::Orderbook> read = venue::kalshi::GetOrderbook(*client, ticker);
        if (read.ok()) book = *std::move(read);
        count("book_rest", "", 1);
      }
      if (!book) return;
      // The market as others make it: Kalshi's book holds our resting
      // orders too, and our own bid must not narrow the spread we gate on.
      for (const auto& [id, o] : state.orders) {
        if (o.symbol.value != ticker || !AtKalshi(o)) continue;
        const bool yes = o.side == Side::kBuy;
        book->Remove(yes, yes ? o.price : Fixed::FromInt(1) - o.price, o.qty - o.filled_qty);
      }
      // A side nobody else bids on is at its price bound: the widest spread
      // there is (wide_spread), not a book we could not read.
      const Fixed bid = book->BestYesBid().value_or(instrument.min_price);
      const Fixed ask = book->BestYesAsk().value_or(instrument.max_price);
      if (bid >= ask) return;
      // Volume and open interest: the stream's ticker, else this step's
      // listing, else the last journaled (a failed listing is no news).
      std::optional<std::pair<Fixed, Fixed>> traded;
      if (auto a = activity.find(ticker); a != activity.end()) traded = a->second;
      if (std::optional<venue::kalshi::TickerUpdate> t = stream.Ticker(ticker)) traded = {{t->volume, t->open_interest}};
      if (auto last = state.book.find(Symbol{ticker}); !traded && last != state.book.end()) {
        traded = {{last->second.volume, last->second.open_interest}};
      }
      const auto [volume, open_interest] = traded.value_or(std::pair<Fixed, Fixed>{});
      inputs.push_back(MarketTick{Symbol{ticker}, bid, ask, now_ms, volume, open_interest});
    };
    inputs.insert(inputs.end(), fresh.begin(), fresh.end());
    for (const InstrumentDefined& d : fresh) add_market(d.symbol.value, d.instrument);
    for (const auto& [symbol, instrument] : state.instruments) add_market(symbol.value, instrument);
    for (const auto& [city, day_text] : days) {
      absl::CivilDay day;
      if (!absl::ParseCivilTime(day_text, &day)) continue;
      absl::StatusOr<weather::CityRead> read = nws->Read(*city, day);
      count("nws", read.ok() ? "read" : "failed", 1);
      if (!read.ok()) {
        log.Warning("nws_read_failed", LogFields().Add("city", city->code).Add("day", day_text).Add("error", read.status().message()));
        continue;
      }
      // Journaled when read in this step (one read serves each of the
      // city's days); a cached read was journaled when it was made.
      if (read->read_at < step_started) continue;
      const int64_t lead = std::max<int64_t>(0, day - ClimateDayAt(*city, now_ms));
      const Fixed sigma = cfg.weather.nws_sigma_f + cfg.weather.nws_sigma_per_day_f.Mul(Fixed::FromInt(std::max<int64_t>(0, lead - 1)));
      // A forecast is never journaled as issued after it was read (a clock
      // skew between NWS and us would otherwise be refused by the fold).
      inputs.push_back(ForecastObserved{city->code, city->station, day_text, weather::Hundredths(read->high.high_f), sigma,
                                        std::min(read->issued_ms, now_ms), "nws", read->high.detail});
    }
    return inputs;
  };

  uint64_t steps = 0;
  // A step that cancelled a resting entry (to reprice it) is followed by
  // one at once, which enters again at the new price; a follow-up is never
  // followed (a cancel Kalshi keeps refusing does not spin the loop).
  bool step_again = false;
  auto run_step = [&]() -> absl::Status {
    const bool follow_up = std::exchange(step_again, false);
    RETURN_IF_ERROR(query_orders());
    const int64_t now_ms = absl::ToUnixMillis(absl::Now());
    ASSIGN_OR_RETURN(const decision::Counts counts, engine.OnMarketStep(now_ms, step_inputs(now_ms)));
    step_again = !follow_up && counts.cancels > 0;
    ++steps;
    return absl::OkStatus();
  };
  // A reconciliation compares like with like: our orders asked for first
  // (a resting order's fills while the stream was away), and a market
  // Kalshi has paid out settled first (else its position would look
  // closed by hand): then a step now, not at its time.
  auto reconcile_now = [&]() -> absl::StatusOr<bool> {
    if (!cfg.reconciliation.enabled) return true;
    RETURN_IF_ERROR(query_orders());
    const int64_t now_ms = absl::ToUnixMillis(absl::Now());
    event_reads.clear();
    for (const auto& [symbol, instrument] : engine.state().instruments) {
      if (instrument.terms.close_time_ms > now_ms || unconfirmed.contains(symbol) ||
          !paid_result(symbol.value, instrument.terms.event)) {
        continue;
      }
      RETURN_IF_ERROR(run_step());
      break;
    }
    return engine.Reconcile([&] { return venue.Snapshot(); }, tolerances);
  };
  ASSIGN_OR_RETURN(const bool reconciled_at_start, reconcile_now());

  runtime::Surface surface(o, engine, log);
  if (o.inbox != nullptr) o.inbox->SetWake([&waker] { waker.Wake(false, false); });
  surface.decorate = [&](runtime::EngineView& view) {
    view.ws_connected = stream.connected();
    view.ws_last_message_age_sec = stream.last_message_age_sec();
    view.last_reconcile_wall_ns = engine.state().last_reconciliation_ns;
  };
  ReconcilePasses passes(cfg, reconcile_now, /*pending=*/!reconciled_at_start);
  surface.reconcile = passes.OnDemand();
  RETURN_IF_ERROR(surface.CheckPolicy());
  surface.Publish(false);
  if (o.on_started) o.on_started(engine.state(), 0);

  const absl::Duration step_every =
      lo.step_interval_ms > 0 ? absl::Milliseconds(lo.step_interval_ms) : absl::Minutes(cfg.weather.decision_interval_min);
  absl::Time next_step = absl::Now();
  absl::Status failed = absl::OkStatus();
  runtime::RunSummary summary;
  KillSwitch kill_switch(engine, cfg, log);
  while ((runtime::StopSignal() == 0 || engine.stop_requested()) && !kill_switch.Done() && failed.ok() &&
         (engine.stop_requested() || lo.max_steps == 0 || steps < lo.max_steps)) {
    const auto [orders_moved, reconnected] = waker.Wait(std::min(absl::Seconds(1), std::max(absl::ZeroDuration(), next_step - absl::Now())));
    if (reconnected) passes.Ask();
    if (orders_moved) failed = query_orders();
    if (failed.ok() && (absl::Now() >= next_step || step_again)) {
      const bool on_time = absl::Now() >= next_step;
      failed = run_step();
      if (on_time) next_step += step_every;
      if (next_step < absl::Now()) next_step = absl::Now() + step_every;  // a slow step: no burst to catch up
      // A resting entry is looked at again once it may be repriced (a
      // partly filled one never is).
      const bool resting = std::any_of(engine.state().orders.begin(), engine.state().orders.end(), [](const auto& kv) {
        return kv.second.purpose == OrderPurpose::kEntry && AtKalshi(kv.second) && kv.second.filled_qty.is_zero();
      });
      if (resting && cfg.weather.reprice_interval_sec > 0 && lo.step_interval_ms == 0) {
        next_step = std::min(next_step, absl::Now() + absl::Seconds(cfg.weather.reprice_interval_sec));
      }
      surface.Publish(true);
    }
    if (failed.ok()) failed = engine.ResolvePending();
    if (failed.ok()) failed = passes.RunIfDue();
    if (failed.ok()) failed = surface.HandleCommands();
    if (failed.ok()) failed = engine.KillSwitchSweep();
    count_stream();
    runtime::ReopenLogIfAsked(log);
    surface.Publish(false);
  }
  // The kill switch's end: Kalshi is read once more and must hold nothing
  // of ours; else manual review, alerted, and a non-zero exit.
  if (failed.ok()) failed = kill_switch.Finish(passes, &summary.exit_code);
  stream.Stop();
  summary.bars_this_run = steps;
  if (!failed.ok()) {
    surface.Halted(failed);
    return failed;
  }
  summary.stop_reason = engine.stop_requested() ? "KILL_SWITCH" : runtime::StopSignal() != 0 ? "SIGNAL" : "MAX_STEPS";
  RETURN_IF_ERROR(engine.Stop(summary.stop_reason));
  summary.state = engine.state();
  summary.seconds = absl::ToDoubleSeconds(absl::Now() - t0);
  summary.ledger_dir = o.ledger_dir;
  summary.data_file = lo.credentials.base_url;
  summary.label = absl::StrCat("kalshi ", EnumName(cfg.run.mode), " run");
  summary.steps = "steps";
  summary.currency = "USD";
  return summary;
}

}  // namespace apollo::live
