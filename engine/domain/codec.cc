// Event codec: dispatch from tag to the struct's reflected fields.
#include "engine/domain/codec.h"

#include <array>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/domain/json.h"
#include "engine/domain/wire.h"

namespace apollo {
namespace {

constexpr size_t kNumEvents = std::variant_size_v<EventBody>;

struct TagInfo {
  absl::string_view name;
  uint16_t version = 0;
  absl::StatusOr<EventBody> (*decode)(absl::string_view) = nullptr;
};

template <class E>
absl::StatusOr<EventBody> DecodeAs(absl::string_view bytes) {
  wire::Reader r(bytes);
  E e;
  wire::Get(r, e);
  if (!r.ok() || !r.at_end()) {
    return absl::InvalidArgumentError(absl::StrCat("malformed ", E::kName, " payload"));
  }
  return EventBody(std::move(e));
}

// Indexed by tag; tags are small and dense.
constexpr size_t kMaxTag = 64;
using TagTable = std::array<TagInfo, kMaxTag>;

template <size_t... I>
TagTable MakeTable(std::index_sequence<I...>) {
  TagTable t{};
  ((t[static_cast<size_t>(std::variant_alternative_t<I, EventBody>::kTag)] =
        TagInfo{std::variant_alternative_t<I, EventBody>::kName,
                std::variant_alternative_t<I, EventBody>::kSchemaVersion,
                &DecodeAs<std::variant_alternative_t<I, EventBody>>}),
   ...);
  return t;
}

const TagTable& Table() {
  static const TagTable table = MakeTable(std::make_index_sequence<kNumEvents>());
  return table;
}

// Older schema versions still in ledgers: decoded as they were written,
// then upgraded to the current struct.
template <class Old>
absl::StatusOr<EventBody> DecodeLegacy(absl::string_view bytes) {
  wire::Reader r(bytes);
  Old old;
  wire::Get(r, old);
  if (!r.ok() || !r.at_end()) {
    return absl::InvalidArgumentError(absl::StrCat("malformed ", Old::kName, " v", Old::kSchemaVersion, " payload"));
  }
  return EventBody(old.Upgrade());
}

struct LegacyDecoder {
  EventTag tag;
  uint16_t version;
  absl::StatusOr<EventBody> (*decode)(absl::string_view);
};
constexpr LegacyDecoder kLegacy[] = {
    {EventTag::kSystemStarted, SystemStartedV1::kSchemaVersion, &DecodeLegacy<SystemStartedV1>},
    {EventTag::kConfigLoaded, ConfigLoadedV1::kSchemaVersion, &DecodeLegacy<ConfigLoadedV1>},
    {EventTag::kTradeCycleCompleted, TradeCycleCompletedV1::kSchemaVersion, &DecodeLegacy<TradeCycleCompletedV1>},
    {EventTag::kMarketTick, MarketTickV1::kSchemaVersion, &DecodeLegacy<MarketTickV1>},
};

}  // namespace

EventTag TagOf(const EventBody& body) {
  return std::visit([](const auto& e) { return std::decay_t<decltype(e)>::kTag; }, body);
}

uint16_t SchemaVersionOf(const EventBody& body) {
  return std::visit([](const auto& e) { return std::decay_t<decltype(e)>::kSchemaVersion; }, body);
}

absl::string_view EventName(uint16_t tag) {
  if (tag >= kMaxTag || Table()[tag].decode == nullptr) return "Unknown";
  return Table()[tag].name;
}

bool EventTagFromName(absl::string_view name, EventTag* tag) {
  for (size_t i = 0; i < kMaxTag; ++i) {
    if (Table()[i].decode != nullptr && Table()[i].name == name) {
      *tag = static_cast<EventTag>(i);
      return true;
    }
  }
  return false;
}

std::vector<absl::string_view> AllEventNames() {
  std::vector<absl::string_view> names;
  for (const TagInfo& info : Table()) {
    if (info.decode != nullptr) names.push_back(info.name);
  }
  return names;
}

void EncodeBody(const EventBody& body, std::string* out) {
  wire::Writer w(out);
  std::visit([&w](const auto& e) { wire::Put(w, e); }, body);
}

absl::StatusOr<EventBody> DecodeBody(uint16_t tag, uint16_t schema_version,
                                     absl::string_view bytes) {
  if (tag >= kMaxTag || Table()[tag].decode == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown event tag ", tag));
  }
  const TagInfo& info = Table()[tag];
  for (const LegacyDecoder& legacy : kLegacy) {
    if (static_cast<uint16_t>(legacy.tag) == tag && legacy.version == schema_version) return legacy.decode(bytes);
  }
  if (schema_version != info.version) {
    return absl::InvalidArgumentError(absl::StrCat("unknown schema version ", schema_version,
                                                   " of ", info.name, " (this build reads ",
                                                   info.version, ")"));
  }
  return info.decode(bytes);
}

std::string EventToJson(const Event& event) {
  std::string out = absl::StrCat("{\"seq\":", event.seq, ",\"ts_ns\":", event.ts_ns, ",\"type\":");
  std::visit(
      [&out](const auto& e) {
        json::AppendString(&out, std::decay_t<decltype(e)>::kName);
        out.append(",\"data\":");
        json::Append(&out, e);
      },
      event.body);
  out.push_back('}');
  return out;
}

namespace {

struct FieldCollector {
  std::vector<std::pair<std::string, std::string>>* out;
  template <class T>
  void operator()(const char* name, const T& v) {
    std::string value;
    json::Append(&value, v);
    out->emplace_back(name, std::move(value));
  }
};

}  // namespace

std::vector<std::pair<std::string, std::string>> FieldsAsJson(const EventBody& body) {
  std::vector<std::pair<std::string, std::string>> fields;
  std::visit(
      [&fields](const auto& e) {
        FieldCollector c{&fields};
        std::decay_t<decltype(e)>::Fields(e, c);
      },
      body);
  return fields;
}

std::string BodyToJson(const EventBody& body) {
  std::string out;
  std::visit([&out](const auto& e) { json::Append(&out, e); }, body);
  return out;
}

}  // namespace apollo
