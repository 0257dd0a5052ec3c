// The table of the seed's keys (see seed_keys.h). When an issue implements
// one, its entry goes and the key joins config.cc's Fields().
#include "engine/config/seed_keys.h"

#include <algorithm>

#include "absl/strings/match.h"

namespace apollo::config::seed {
namespace {

Key Renamed(std::string key, std::string to) { return {std::move(key), Kind::kRenamed, std::move(to), "", ""}; }
Key Fixed(std::string key, std::string value, std::string why) {
  return {std::move(key), Kind::kFixed, "", std::move(value), std::move(why)};
}
Key NoEffect(std::string key, std::string why) { return {std::move(key), Kind::kNoEffect, "", "", std::move(why)}; }
Key Missing(std::string key) { return {std::move(key), Kind::kNotImplemented, "", "", ""}; }

const std::vector<Key>& Table() {
  static const std::vector<Key>* const table = new std::vector<Key>{
      {"environment", Kind::kEnvironment, "run.mode", "", ""},
      // binance
      Fixed("binance.user_stream_enabled", "true", "testnet and live always follow the user-data stream"),
      Fixed("binance.use_production_market_data", "false", "each mode reads the market data of its own endpoints"),
      Missing("binance.market_data_base_url"),
      Missing("binance.market_data_ws_url"),
      // strategy
      Fixed("strategy.scoring.enabled", "true", "every entry candidate is scored"),
      Renamed("strategy.scoring.threshold", "strategy.entry.score_threshold"),
      Renamed("strategy.scoring.factors.trend", "strategy.scoring.trend"),
      Renamed("strategy.scoring.factors.volatility", "strategy.scoring.volatility"),
      Renamed("strategy.scoring.factors.entry_quality", "strategy.scoring.entry_quality"),
      Renamed("strategy.scoring.factors.funding", "strategy.scoring.funding"),
      Renamed("strategy.scoring.factors.news", "strategy.scoring.news"),
      Fixed("strategy.scoring.factors.liquidity", "0", "the score has no liquidity factor"),
      Fixed("strategy.scoring.factors.volume", "0", "the score has no volume factor (volume gates breakouts)"),
      // regime
      Fixed("regime.volatility_regime_enabled", "false", "the regime is read from ADX and CHOP only"),
      NoEffect("regime.volatility_contraction_threshold", "there is no volatility regime (volatility_regime_enabled: false)"),
      NoEffect("regime.volatility_expansion_threshold", "there is no volatility regime (volatility_regime_enabled: false)"),
      // execution
      Missing("execution.max_slippage_pct"),
      Fixed("execution.position_mode", "ONE_WAY",
            "orders carry no positionSide, so each testnet/live start puts the account in one-way mode"),
      Fixed("execution.entry_expired_action", "cancel", "an expired limit entry is cancelled, never chased at market"),
      // backtest: `bot backtest` takes flags; the random seed has nothing to seed
      NoEffect("backtest.random_seed", "the paper venue is deterministic"),
      Missing("backtest.*"),
      // paper_sim
      Fixed("paper_sim.enabled", "true", "paper mode always fills on the simulated venue"),
      Missing("paper_sim.slippage_atr_scale"),
      NoEffect("paper_sim.random_seed", "the paper venue is deterministic"),
      Missing("paper_sim.partial_fill_rate"),
      Missing("paper_sim.use_live_book_ticker"),
      Missing("paper_sim.book_ticker_cache_seconds"),
      // storage
      NoEffect("storage.state_path", "state is rebuilt from the ledger and its snapshots; there is no state directory"),
      Missing("storage.data_path"),
      // monitoring
      Renamed("monitoring.api_port", "api.port"),
      {"monitoring.alert_webhooks", Kind::kSecret, "ALERT_WEBHOOKS", "", ""},
      Missing("monitoring.error_log_max_bytes"),
      Missing("monitoring.error_log_backup_count"),
      // reconciliation
      Renamed("reconciliation.interval_minutes", "reconciliation.interval_min"),
      Fixed("reconciliation.allow_in_paper", "false", "paper mode has no venue to reconcile with"),
      // secondary in the seed
      NoEffect("llm.*", "Apollo has no LLM classifier"),
      Missing("crowding.*"),
  };
  return *table;
}

}  // namespace

const Key* Find(const std::string& key) {
  const Key* section = nullptr;
  for (const Key& k : Table()) {
    if (k.key == key) return &k;
    if (absl::EndsWith(k.key, ".*") && absl::StartsWith(key, k.key.substr(0, k.key.size() - 1))) section = &k;
  }
  return section;
}

std::vector<std::string> OldNames(const std::string& key) {
  std::vector<std::string> out;
  for (const Key& k : Table()) {
    if (k.kind == Kind::kRenamed && k.to == key) out.push_back(k.key);
  }
  return out;
}

bool IsSection(const std::string& prefix) {
  return std::any_of(Table().begin(), Table().end(), [&](const Key& k) {
    return absl::StartsWith(k.key, prefix + ".") || k.key == prefix + ".*";
  });
}

}  // namespace apollo::config::seed
