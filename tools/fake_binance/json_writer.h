// The fake server's JSON builder (tools/fake_json.h, shared with
// fake-kalshi). Binance sends prices, quantities and money as quoted decimal
// strings and ids and times as bare integers; Dec() and Int() follow that.
#ifndef APOLLO_TOOLS_FAKE_BINANCE_JSON_WRITER_H_
#define APOLLO_TOOLS_FAKE_BINANCE_JSON_WRITER_H_

#include "tools/fake_json.h"

namespace apollo::fake_binance {

using fake::JsonArray;
using fake::JsonObject;

}  // namespace apollo::fake_binance

#endif  // APOLLO_TOOLS_FAKE_BINANCE_JSON_WRITER_H_
