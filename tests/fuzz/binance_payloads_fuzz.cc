// libFuzzer target: every Binance USDⓈ-M REST payload parser
// (engine/venue/binance/payloads.h, and the market summaries of
// market_payloads.h). Each input goes through all of them, so
// the seeds are real payloads as Binance sends them (tests/data/binance).
// Whatever the bytes, each parser answers: a value or InvalidArgument, never
// a crash.
#include <cstdint>
#include <string>

#include "engine/venue/binance/market_payloads.h"
#include "engine/venue/binance/payloads.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace apollo::venue::binance;
  const absl::string_view json = apollo::fuzz::Bytes(data, size);
  if (auto info = ParseExchangeInfo(json); info.ok()) {
    for (const auto& [name, filters] : info->symbols) (void)filters.ToRiskFilters();
  }
  (void)ParseOrder(json);
  (void)ParseOrders(json);
  (void)ParseAlgoOrder(json);
  (void)ParseAlgoOrders(json);
  (void)ParseAlgoCancel(json);
  (void)ParsePositionRisk(json);
  (void)ParseAccount(json);
  (void)ParseBalances(json);
  (void)ParseListenKey(json);
  (void)ParseServerTime(json);
  (void)ParseError(json);
  (void)ParseTickers24h(json);
  (void)ParsePremiumIndexes(json);
  (void)ParseOrderStatus(json);
  if (auto status = ParseAlgoStatus(json); status.ok()) (void)AlgoStatusName(*status);
  return 0;
}
