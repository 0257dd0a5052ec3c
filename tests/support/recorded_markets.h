// The recorded markets the fake-binance tests trade on one account: the
// ETHUSDT and SOLUSDT 5m klines of July–August 2023 (data/market/, sources
// in data/README.md) with their exchangeInfo tick and step (2021-07-21:
// ETH 0.01 / 0.001, SOL 0.001 / 1). SOL's bars start three weeks later.
//
//   ASSIGN_OR_RETURN(std::vector<fake_binance::Market> markets, EthAndSolMarkets(APOLLO_SOURCE_DIR));
#ifndef APOLLO_TESTS_SUPPORT_RECORDED_MARKETS_H_
#define APOLLO_TESTS_SUPPORT_RECORDED_MARKETS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "engine/domain/status_macros.h"
#include "tools/fake_binance/bars.h"
#include "tools/fake_binance/markets.h"

namespace apollo::testing {

inline constexpr char kEthCsv[] = "data/market/ethusdt_perp_5m_2023-07-03_2023-08-17.csv";
inline constexpr char kSolCsv[] = "data/market/solusdt_perp_5m_2023-07-18_2023-08-17.csv";

inline absl::StatusOr<std::vector<fake_binance::Market>> EthAndSolMarkets(const std::string& source_dir) {
  struct Spec {
    const char *symbol, *base, *file, *tick, *step;
  };
  std::vector<fake_binance::Market> markets;
  for (const Spec& s : {Spec{"ETHUSDT", "ETH", kEthCsv, "0.01", "0.001"}, Spec{"SOLUSDT", "SOL", kSolCsv, "0.001", "1"}}) {
    fake_binance::Instrument instrument;
    instrument.symbol = s.symbol;
    instrument.base_asset = s.base;
    instrument.tick_size = *Fixed::Parse(s.tick);
    instrument.step_size = *Fixed::Parse(s.step);
    instrument.max_qty = Fixed::FromInt(1'000'000);
    ASSIGN_OR_RETURN(std::vector<fake_binance::Bar> bars, fake_binance::ReadBarsCsv(absl::StrCat(source_dir, "/", s.file)));
    markets.push_back(fake_binance::Market{instrument, std::move(bars)});
  }
  return markets;
}

}  // namespace apollo::testing

#endif  // APOLLO_TESTS_SUPPORT_RECORDED_MARKETS_H_
