// User-data stream event rendering (see user_events.h).
#include "tools/fake_binance/user_events.h"

#include "absl/strings/str_cat.h"
#include "tools/fake_binance/json_writer.h"

namespace apollo::fake_binance {

std::string OrderTradeUpdateJson(const Order& order, const ExecutionReport& exec, absl::string_view commission_asset,
                                 int64_t now_ms) {
  std::string o = JsonObject()
                      .Str("s", order.symbol)
                      .Str("c", order.client_order_id)
                      .Str("S", SideName(order.side))
                      .Str("o", OrderTypeName(order.type))
                      .Str("f", order.time_in_force)
                      .Dec("q", order.orig_qty)
                      .Dec("p", order.price)
                      .Dec("ap", order.AvgPrice())
                      .Dec("sp", order.stop_price)
                      .Str("x", exec.exec_type)
                      .Str("X", OrderStatusName(order.status))
                      .Int("i", order.order_id)
                      .Dec("l", exec.last_qty)
                      .Dec("z", order.executed_qty)
                      .Dec("L", exec.last_price)
                      .Str("N", commission_asset)
                      .Dec("n", exec.commission)
                      .Int("T", order.update_time_ms)
                      .Int("t", exec.trade_id)
                      .Str("b", "0")
                      .Str("a", "0")
                      .Bool("m", exec.maker)
                      .Bool("R", order.reduce_only)
                      .Str("wt", "CONTRACT_PRICE")
                      .Str("ot", order.orig_type)
                      .Str("ps", "BOTH")
                      .Bool("cp", order.close_position)
                      .Bool("pP", false)
                      .Int("si", 0)
                      .Int("ss", 0)
                      .Dec("rp", exec.realized_pnl)
                      .Str("V", "EXPIRE_MAKER")
                      .Str("pm", "NONE")
                      .Int("gtd", 0)
                      .Close();
  return JsonObject().Str("e", "ORDER_TRADE_UPDATE").Int("E", now_ms).Int("T", now_ms).Raw("o", o).Close();
}

std::string AccountUpdateJson(absl::string_view reason, absl::string_view asset, Fixed wallet_balance, Fixed balance_change,
                              const Position& position, Fixed unrealized_pnl, int64_t now_ms) {
  std::string balance =
      JsonObject().Str("a", asset).Dec("wb", wallet_balance).Dec("cw", wallet_balance).Dec("bc", balance_change).Close();
  std::string pos = JsonObject()
                        .Str("s", position.symbol)
                        .Dec("pa", position.qty)
                        .Dec("ep", position.entry_price)
                        .Dec("bep", position.entry_price)
                        .Dec("cr", position.realized_pnl)
                        .Dec("up", unrealized_pnl)
                        .Str("mt", "cross")
                        .Str("iw", "0")
                        .Str("ps", "BOTH")
                        .Close();
  std::string a = JsonObject()
                      .Str("m", reason)
                      .Raw("B", JsonArray({balance}))
                      .Raw("P", JsonArray({pos}))
                      .Close();
  return JsonObject().Str("e", "ACCOUNT_UPDATE").Int("E", now_ms).Int("T", now_ms).Raw("a", a).Close();
}

std::string AlgoUpdateJson(const AlgoOrder& algo, int64_t now_ms) {
  JsonObject o;
  o.Str("caid", algo.client_algo_id)
      .Int("aid", algo.algo_id)
      .Str("at", "CONDITIONAL")
      .Str("o", AlgoTypeName(algo.type))
      .Str("s", algo.symbol)
      .Str("S", SideName(algo.side))
      .Str("ps", "BOTH")
      .Str("f", algo.time_in_force)
      .Dec("q", algo.quantity)
      .Str("X", AlgoStatusName(algo.status))
      .Str("ai", algo.actual_order_id == 0 ? "" : absl::StrCat(algo.actual_order_id))
      .Dec("ap", algo.actual_price)
      .Dec("aq", algo.executed_qty)
      .Str("act", algo.actual_order_id == 0 ? "0" : "MARKET")
      .Dec("tp", algo.trigger_price)
      .Str("p", "0")
      .Str("V", "EXPIRE_MAKER")
      .Str("wt", algo.working_type)
      .Str("pm", "NONE")
      .Bool("cp", algo.close_position)
      .Bool("pP", false)
      .Bool("R", algo.reduce_only)
      .Int("tt", algo.trigger_time_ms)
      .Int("gtd", 0);
  if (!algo.reject_reason.empty()) o.Str("rm", algo.reject_reason);
  return JsonObject().Str("e", "ALGO_UPDATE").Int("T", now_ms).Int("E", now_ms).Raw("o", o.Close()).Close();
}

}  // namespace apollo::fake_binance
