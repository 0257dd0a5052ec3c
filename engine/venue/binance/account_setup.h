// The account set up as the config asks, before a testnet or live run
// trades (the seed's set-up): the account in one-way position mode (orders
// carry no positionSide), then per symbol the margin type and the leverage.
// Each outcome is an event for the engine to journal: AccountSettingUpdated
// (changed, or already so: Binance's -4046 and -4059 "no need to change"),
// or AccountSettingFailed with Binance's code, which keeps the symbol (every
// symbol, for the position mode) from new entries.
//
//   std::vector<EventBody> outcomes = SetUpAccount(client, {{"BTCUSDT"}}, {"ISOLATED", 2});
//   RETURN_IF_ERROR(engine.OnAccountSettings(outcomes));
#ifndef APOLLO_ENGINE_VENUE_BINANCE_ACCOUNT_SETUP_H_
#define APOLLO_ENGINE_VENUE_BINANCE_ACCOUNT_SETUP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/domain/events.h"
#include "engine/venue/binance/rest_client.h"

namespace apollo::venue::binance {

struct AccountWanted {
  std::string margin_type = "ISOLATED";  // ISOLATED | CROSSED
  int64_t leverage = 2;
};

std::vector<EventBody> SetUpAccount(RestClient& client, const std::vector<Symbol>& symbols, const AccountWanted& wanted);

// The endpoints (TRADE / USER_DATA, signed).
// POST /fapi/v1/leverage: the leverage the venue now holds for the symbol.
absl::StatusOr<int64_t> ChangeLeverage(RestClient& client, const Symbol& symbol, int64_t leverage);
// POST /fapi/v1/marginType.
absl::Status ChangeMarginType(RestClient& client, const Symbol& symbol, const std::string& margin_type);
// GET /fapi/v1/positionSide/dual: true in hedge mode.
absl::StatusOr<bool> GetDualSidePosition(RestClient& client);
// POST /fapi/v1/positionSide/dual.
absl::Status ChangeDualSidePosition(RestClient& client, bool dual);

}  // namespace apollo::venue::binance

#endif  // APOLLO_ENGINE_VENUE_BINANCE_ACCOUNT_SETUP_H_
