// The seed's account set-up against fake-binance over HTTP: an account in
// hedge mode, cross margin and 20x ends one-way, isolated and at the
// configured leverage, each step an event; what the venue refuses is an
// AccountSettingFailed with Binance's code, and risk then refuses entries in
// the symbol (ACCOUNT_SETTING_FAILED) until a later start sets it.
#include "engine/venue/binance/account_setup.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/domain/codec.h"
#include "engine/domain/state.h"
#include "engine/risk/risk.h"
#include "engine/venue/binance/rest_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/cli.h"
#include "tools/fake_binance/bars.h"
#include "tools/fake_binance/fake_exchange.h"
#include "tools/fake_binance/server.h"

namespace apollo {
namespace {

namespace fb = fake_binance;
using ::testing::ElementsAre;
using venue::binance::AccountWanted;
using venue::binance::SetUpAccount;

constexpr char kKey[] = "setupKEYq7Zr4mWpXv9TnLbQ2sYd8H";
constexpr char kSecret[] = "setupSECRETk3Jf8VhNc6RxPz1GmTw5BuE";
const Symbol kBtc{"BTCUSDT"};

// "setting value detail" / "setting value FAILED code" per outcome.
std::vector<std::string> Describe(const std::vector<EventBody>& events) {
  std::vector<std::string> out;
  for (const EventBody& e : events) {
    if (auto* u = std::get_if<AccountSettingUpdated>(&e)) out.push_back(absl::StrCat(u->setting, " ", u->value, " ", u->detail));
    if (auto* f = std::get_if<AccountSettingFailed>(&e)) out.push_back(absl::StrCat(f->setting, " ", f->value, " FAILED ", f->code));
  }
  return out;
}

class AccountSetup : public ::testing::Test {
 protected:
  void Start(fb::ExchangeConfig config) {
    auto bars = fb::ReadBarsCsv(std::string(APOLLO_SOURCE_DIR) + "/" + testing::kBundledData);
    ASSERT_TRUE(bars.ok()) << bars.status();
    exchange_ = std::make_unique<fb::FakeExchange>(std::move(config), *std::move(bars), fb::SystemClockMs);
    server_ = std::make_unique<fb::FakeBinanceServer>(exchange_.get(), fb::ServerOptions{.api_key = kKey, .api_secret = kSecret});
    ASSERT_TRUE(server_->Start().ok());
    venue::binance::RestOptions options;
    options.base_url = absl::StrCat("http://127.0.0.1:", server_->port());
    options.api_key = kKey;
    options.api_secret = kSecret;
    auto client = venue::binance::RestClient::Create(options);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    ASSERT_TRUE(client_->SyncTime().ok());
  }
  void TearDown() override {
    client_.reset();
    if (server_) server_->Stop();
  }

  std::unique_ptr<fb::FakeExchange> exchange_;
  std::unique_ptr<fb::FakeBinanceServer> server_;
  std::unique_ptr<venue::binance::RestClient> client_;
};

TEST_F(AccountSetup, AHedgeModeCrossAccountAt20xEndsOneWayIsolatedAtTheConfiguredLeverage) {
  fb::ExchangeConfig config;
  config.dual_side_position = true;
  config.margin_type = "CROSSED";
  config.leverage = 20;
  ASSERT_NO_FATAL_FAILURE(Start(config));
  // In hedge mode an order without positionSide is refused, as on Binance.
  auto refused = exchange_->NewOrder({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "MARKET"}, {"quantity", "0.010"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, -4061);

  const std::vector<EventBody> first = SetUpAccount(*client_, {kBtc}, AccountWanted{"ISOLATED", 2});
  EXPECT_THAT(Describe(first), ElementsAre("position_mode ONE_WAY changed from HEDGE", "margin_type ISOLATED changed",
                                           "leverage 2 set"));
  EXPECT_FALSE(exchange_->DualSidePosition());
  EXPECT_EQ(exchange_->margin_type(), "ISOLATED");
  EXPECT_EQ(exchange_->leverage(), 2);
  // A second start finds it so (Binance's "no need to change" answers).
  EXPECT_THAT(Describe(SetUpAccount(*client_, {kBtc}, AccountWanted{"ISOLATED", 2})),
              ElementsAre("position_mode ONE_WAY already", "margin_type ISOLATED already", "leverage 2 set"));
  // And orders go through now.
  EXPECT_TRUE(exchange_->NewOrder({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "MARKET"}, {"quantity", "0.010"}}).ok());
}

TEST_F(AccountSetup, ARefusedSettingIsJournaledWithTheVenueCodeAndEntriesInTheSymbolAreRefused) {
  ASSERT_NO_FATAL_FAILURE(Start(fb::ExchangeConfig{}));  // one-way, CROSSED, 20x
  // A position opened by hand: the margin type cannot change under it.
  ASSERT_TRUE(exchange_->NewOrder({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "MARKET"}, {"quantity", "0.010"}}).ok());
  const std::vector<EventBody> outcomes = SetUpAccount(*client_, {kBtc}, AccountWanted{"ISOLATED", 126});
  EXPECT_THAT(Describe(outcomes), ElementsAre("position_mode ONE_WAY already", "margin_type ISOLATED FAILED -4048",
                                              "leverage 126 FAILED -4028"));
  EXPECT_EQ(exchange_->margin_type(), "CROSSED");

  // Folded, the symbol is closed to entries, naming what failed.
  State state;
  uint64_t seq = 0;
  ASSERT_TRUE(Apply(state, Event{++seq, 1, ConfigLoaded{"h", "test", Fixed::FromInt(10'000), "", "", ""}}).ok());
  for (const EventBody& e : outcomes) ASSERT_TRUE(Apply(state, Event{++seq, 2, e}).ok());
  EXPECT_THAT(state.AccountSettingFailure(kBtc), ::testing::HasSubstr("margin_type ISOLATED refused (-4048)"));
  config::Config cfg;
  const TradeProposed trade{kBtc, Side::kBuy, OrderType::kMarket, Fixed::FromRaw(1'000'000), Fixed::FromInt(20'000),
                            Fixed::FromInt(19'800), Fixed::FromInt(20'400), Fixed::FromInt(2), 1};
  const risk::Verdict verdict = risk::Evaluate(trade, seq, Fixed::FromInt(100), state, cfg,
                                               risk::Filters{Fixed::FromRaw(10'000'000), Fixed::FromRaw(100'000),
                                                             Fixed::FromInt(5), {}, {}},
                                               3);
  ASSERT_TRUE(std::holds_alternative<RiskRejected>(verdict));
  EXPECT_EQ(std::get<RiskRejected>(verdict).rule, RiskRule::kAccountSettingFailed);
  // A later start that sets it clears the refusal.
  ASSERT_TRUE(Apply(state, Event{++seq, 4, AccountSettingUpdated{kBtc, "margin_type", "ISOLATED", "changed"}}).ok());
  ASSERT_TRUE(Apply(state, Event{++seq, 4, AccountSettingUpdated{kBtc, "leverage", "2", "set"}}).ok());
  EXPECT_EQ(state.AccountSettingFailure(kBtc), "");
}

}  // namespace
}  // namespace apollo
