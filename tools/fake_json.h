// A small append-only JSON object builder for the fake venues' payloads
// (fake-binance, fake-kalshi): keys in the order written, strings escaped.
//
//   std::string body = JsonObject().Int("orderId", 42).Dec("price", px).Str("status", "NEW").Close();
#ifndef APOLLO_TOOLS_FAKE_JSON_H_
#define APOLLO_TOOLS_FAKE_JSON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/domain/fixed.h"
#include "engine/domain/json.h"

namespace apollo::fake {

class JsonObject {
 public:
  JsonObject() : out_("{") {}

  JsonObject& Str(absl::string_view key, absl::string_view value) {
    Key(key);
    json::AppendString(&out_, value);
    return *this;
  }
  JsonObject& Dec(absl::string_view key, Fixed value) { return Str(key, value.ToString()); }
  JsonObject& Int(absl::string_view key, int64_t value) {
    Key(key);
    absl::StrAppend(&out_, value);
    return *this;
  }
  JsonObject& Bool(absl::string_view key, bool value) {
    Key(key);
    out_.append(value ? "true" : "false");
    return *this;
  }
  // `json` must already be valid JSON (an object, an array, null).
  JsonObject& Raw(absl::string_view key, absl::string_view json) {
    Key(key);
    out_.append(json.data(), json.size());
    return *this;
  }
  std::string Close() {
    out_.push_back('}');
    return std::move(out_);
  }

 private:
  void Key(absl::string_view key) {
    if (out_.size() > 1) out_.push_back(',');
    json::AppendString(&out_, key);
    out_.push_back(':');
  }
  std::string out_;
};

// "[a,b,...]" from already-rendered JSON values.
inline std::string JsonArray(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(items[i]);
  }
  out.push_back(']');
  return out;
}

}  // namespace apollo::fake

#endif  // APOLLO_TOOLS_FAKE_JSON_H_
