// Readers of the user-data stream and of the account's trades (see
// user_payloads.h).
#include "engine/venue/binance/user_payloads.h"

#include "engine/venue/binance/json_fields.h"

namespace apollo::venue::binance {
namespace {

absl::Status ReadOrderUpdate(Fields& f, OrderTradeUpdate* u) {
  ASSIGN_OR_RETURN(u->symbol.value, f.Str("s"));
  ASSIGN_OR_RETURN(u->client_order_id.value, f.Str("c"));
  ASSIGN_OR_RETURN(u->order_id, f.IdOr("i", ""));
  ASSIGN_OR_RETURN(u->exec_type, f.Str("x"));
  ASSIGN_OR_RETURN(u->status, f.Str("X"));
  ASSIGN_OR_RETURN(u->trade_id, f.IdOr("t", "0"));
  ASSIGN_OR_RETURN(u->last_qty, f.Dec("l"));
  ASSIGN_OR_RETURN(u->cum_qty, f.Dec("z"));
  ASSIGN_OR_RETURN(u->last_price, f.Dec("L"));
  ASSIGN_OR_RETURN(u->commission, f.OptDec("n"));
  ASSIGN_OR_RETURN(std::optional<std::string> asset, f.OptStr("N"));
  u->commission_asset = asset.value_or("");
  if (u->last_qty.raw() < 0 || u->cum_qty.raw() < 0 || u->last_price.raw() < 0) {
    return f.Error("l/z/L", "negative quantity or price");
  }
  if (u->exec_type == "TRADE" && (u->last_qty.raw() <= 0 || u->last_price.raw() <= 0)) {
    return f.Error("l/L", "a trade without a quantity or a price");
  }
  return absl::OkStatus();
}

absl::Status ReadAlgoUpdate(Fields& f, AlgoUpdate* a) {
  ASSIGN_OR_RETURN(a->client_algo_id.value, f.Str("caid"));
  ASSIGN_OR_RETURN(a->actual_order_id, f.IdOr("ai", ""));
  ASSIGN_OR_RETURN(a->status, f.Str("X"));
  return absl::OkStatus();
}

absl::Status ReadAccountUpdate(Fields& f, AccountUpdate* a) {
  ASSIGN_OR_RETURN(a->reason, f.Str("m"));
  ASSIGN_OR_RETURN(std::optional<od::array> balances, f.OptArray("B"));
  if (balances) {
    RETURN_IF_ERROR(ForEachObject(*balances, "ACCOUNT_UPDATE B", [&](od::object& object, size_t index) -> absl::Status {
      Fields b(object, absl::StrCat("ACCOUNT_UPDATE B[", index, "]"));
      AccountUpdate::Balance balance;
      ASSIGN_OR_RETURN(balance.asset, b.Str("a"));
      ASSIGN_OR_RETURN(balance.change, b.Dec("bc"));
      a->balances.push_back(std::move(balance));
      return absl::OkStatus();
    }));
  }
  ASSIGN_OR_RETURN(std::optional<od::array> positions, f.OptArray("P"));
  if (positions) {
    RETURN_IF_ERROR(ForEachObject(*positions, "ACCOUNT_UPDATE P", [&](od::object& object, size_t index) -> absl::Status {
      Fields p(object, absl::StrCat("ACCOUNT_UPDATE P[", index, "]"));
      AccountUpdate::PositionAmount position;
      ASSIGN_OR_RETURN(position.symbol.value, p.Str("s"));
      ASSIGN_OR_RETURN(position.amount, p.Dec("pa"));
      a->positions.push_back(std::move(position));
      return absl::OkStatus();
    }));
  }
  return absl::OkStatus();
}

absl::StatusOr<UserTrade> ReadTrade(Fields& f) {
  UserTrade t;
  ASSIGN_OR_RETURN(t.id, f.IdOr("id", ""));
  if (t.id.empty()) return f.Error("id", "missing");
  ASSIGN_OR_RETURN(t.order_id, f.IdOr("orderId", ""));
  ASSIGN_OR_RETURN(t.symbol.value, f.Str("symbol"));
  ASSIGN_OR_RETURN(t.side, f.Enum<Side>("side"));
  ASSIGN_OR_RETURN(t.price, f.Dec("price"));
  ASSIGN_OR_RETURN(t.qty, f.Dec("qty"));
  ASSIGN_OR_RETURN(t.commission, f.Dec("commission"));
  ASSIGN_OR_RETURN(t.commission_asset, f.Str("commissionAsset"));
  ASSIGN_OR_RETURN(t.time_ms, f.Int("time"));
  if (t.price.raw() <= 0 || t.qty.raw() <= 0) return f.Error("price/qty", "not positive");
  return t;
}

}  // namespace

absl::StatusOr<UserEvent> ParseUserEvent(absl::string_view json) {
  Json doc(json, Json::From::kStream);
  od::object root;
  RETURN_IF_ERROR(doc.Object("user event", &root));
  Fields top(root, "user event");
  od::value data;
  ASSIGN_OR_RETURN(bool combined, top.Find("data", &data));
  od::object body = root;
  if (combined && data.get_object().get(body) != simdjson::SUCCESS) return top.Error("data", "not an object");
  Fields event(body, "user event");
  UserEvent e;
  ASSIGN_OR_RETURN(e.type, event.Str("e"));
  if (e.type == "listenKeyExpired") {
    e.kind = UserEvent::kListenKeyExpired;
  } else if (e.type == "ACCOUNT_UPDATE") {
    e.kind = UserEvent::kAccountUpdate;
    ASSIGN_OR_RETURN(std::optional<int64_t> time_ms, event.OptInt("T"));
    e.account.time_ms = time_ms.value_or(0);
    od::value av;
    ASSIGN_OR_RETURN(bool has_a, event.Find("a", &av));
    od::object a;
    if (!has_a || av.get_object().get(a) != simdjson::SUCCESS) return event.Error("a", "missing or not an object");
    Fields f(a, e.type);
    RETURN_IF_ERROR(ReadAccountUpdate(f, &e.account));
  } else if (e.type == "ORDER_TRADE_UPDATE" || e.type == "ALGO_UPDATE") {
    od::value ov;
    ASSIGN_OR_RETURN(bool has_o, event.Find("o", &ov));
    od::object o;
    if (!has_o || ov.get_object().get(o) != simdjson::SUCCESS) return event.Error("o", "missing or not an object");
    Fields f(o, e.type);
    if (e.type == "ALGO_UPDATE") {
      e.kind = UserEvent::kAlgoUpdate;
      RETURN_IF_ERROR(ReadAlgoUpdate(f, &e.algo));
    } else {
      e.kind = UserEvent::kOrderTradeUpdate;
      RETURN_IF_ERROR(ReadOrderUpdate(f, &e.order));
    }
  }
  return e;
}

absl::StatusOr<std::vector<UserTrade>> ParseUserTrades(absl::string_view json) {
  return ParseList<UserTrade>(json, "userTrades", ReadTrade);
}

}  // namespace apollo::venue::binance
