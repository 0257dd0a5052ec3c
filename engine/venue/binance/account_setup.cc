// The seed's account set-up on Binance; see account_setup.h.
#include "engine/venue/binance/account_setup.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/domain/status_macros.h"
#include "engine/venue/binance/error.h"
#include "engine/venue/binance/json_fields.h"
#include "engine/venue/binance/params.h"

namespace apollo::venue::binance {
namespace {

constexpr int kNoNeedToChangeMarginType = -4046;
constexpr int kNoNeedToChangePositionSide = -4059;

AccountSettingFailed Failed(const Symbol& symbol, std::string setting, std::string value, const absl::Status& st) {
  const std::optional<BinanceError> e = GetBinanceError(st);
  return AccountSettingFailed{symbol, std::move(setting), std::move(value), e ? e->code : 0, std::string(st.message())};
}

absl::StatusOr<int64_t> ParseLeverage(absl::string_view json) {
  Json doc(json, Json::From::kRest);
  od::object root;
  RETURN_IF_ERROR(doc.Object("leverage", &root));
  Fields f(root, "leverage");
  return f.Int("leverage");
}

absl::StatusOr<bool> ParseDualSide(absl::string_view json) {
  Json doc(json, Json::From::kRest);
  od::object root;
  RETURN_IF_ERROR(doc.Object("positionSide/dual", &root));
  Fields f(root, "positionSide/dual");
  od::value v;
  ASSIGN_OR_RETURN(const bool found, f.Find("dualSidePosition", &v));
  bool dual = false;
  if (!found || v.get_bool().get(dual) != simdjson::SUCCESS) return f.Error("dualSidePosition", "missing or not a boolean");
  return dual;
}

}  // namespace

absl::StatusOr<int64_t> ChangeLeverage(RestClient& client, const Symbol& symbol, int64_t leverage) {
  Params p;
  p.Add("symbol", symbol.value).AddInt("leverage", leverage);
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kPost, "/fapi/v1/leverage", p, Security::kSigned));
  absl::StatusOr<int64_t> held = ParseLeverage(resp.body);
  if (!held.ok()) client.NoteRefused("POST /fapi/v1/leverage", held.status());
  return held;
}

absl::Status ChangeMarginType(RestClient& client, const Symbol& symbol, const std::string& margin_type) {
  Params p;
  p.Add("symbol", symbol.value).Add("marginType", margin_type);
  return client.Call(HttpMethod::kPost, "/fapi/v1/marginType", p, Security::kSigned).status();
}

absl::StatusOr<bool> GetDualSidePosition(RestClient& client) {
  ASSIGN_OR_RETURN(RestResponse resp, client.Call(HttpMethod::kGet, "/fapi/v1/positionSide/dual", Params(), Security::kSigned));
  absl::StatusOr<bool> dual = ParseDualSide(resp.body);
  if (!dual.ok()) client.NoteRefused("GET /fapi/v1/positionSide/dual", dual.status());
  return dual;
}

absl::Status ChangeDualSidePosition(RestClient& client, bool dual) {
  Params p;
  p.AddBool("dualSidePosition", dual);
  return client.Call(HttpMethod::kPost, "/fapi/v1/positionSide/dual", p, Security::kSigned).status();
}

std::vector<EventBody> SetUpAccount(RestClient& client, const std::vector<Symbol>& symbols, const AccountWanted& wanted) {
  std::vector<EventBody> out;
  // The account's position mode first: one-way, as orders carry no positionSide.
  absl::StatusOr<bool> dual = GetDualSidePosition(client);
  absl::Status mode = dual.ok() && *dual ? ChangeDualSidePosition(client, false) : dual.status();
  if (const auto e = GetBinanceError(mode); e && e->code == kNoNeedToChangePositionSide) mode = absl::OkStatus();
  if (mode.ok()) {
    out.push_back(AccountSettingUpdated{Symbol{}, "position_mode", "ONE_WAY",
                                        dual.ok() && *dual ? "changed from HEDGE" : "already"});
  } else {
    out.push_back(Failed(Symbol{}, "position_mode", "ONE_WAY", mode));
  }
  for (const Symbol& symbol : symbols) {
    absl::Status margin = ChangeMarginType(client, symbol, wanted.margin_type);
    const auto e = GetBinanceError(margin);
    if (margin.ok() || (e && e->code == kNoNeedToChangeMarginType)) {
      out.push_back(AccountSettingUpdated{symbol, "margin_type", wanted.margin_type, margin.ok() ? "changed" : "already"});
    } else {
      out.push_back(Failed(symbol, "margin_type", wanted.margin_type, margin));
    }
    const std::string value = absl::StrCat(wanted.leverage);
    absl::StatusOr<int64_t> held = ChangeLeverage(client, symbol, wanted.leverage);
    if (held.ok() && *held == wanted.leverage) {
      out.push_back(AccountSettingUpdated{symbol, "leverage", value, "set"});
    } else {
      out.push_back(Failed(symbol, "leverage", value,
                           held.ok() ? absl::FailedPreconditionError(absl::StrCat("the venue holds leverage ", *held))
                                     : held.status()));
    }
  }
  return out;
}

}  // namespace apollo::venue::binance
