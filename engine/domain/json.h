// JSON output of reflected structs (see wire.h for reflection): events for
// `replay events`, State for `replay state`, log lines. Fixed values print as
// exact decimal numbers, enums as their names, ids as strings.
#ifndef APOLLO_ENGINE_DOMAIN_JSON_H_
#define APOLLO_ENGINE_DOMAIN_JSON_H_

#include <string>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/domain/wire.h"

namespace apollo::json {

// Appends s as a quoted JSON string with the required escapes.
void AppendString(std::string* out, absl::string_view s);

template <class T>
void Append(std::string* out, const T& v);

struct ObjectVisitor {
  std::string* out;
  bool first = true;
  template <class T>
  void operator()(const char* name, const T& v) {
    out->append(first ? "\"" : ",\"");
    first = false;
    out->append(name);
    out->append("\":");
    Append(out, v);
  }
};

template <class T>
void Append(std::string* out, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    out->append(v ? "true" : "false");
  } else if constexpr (std::is_enum_v<T>) {
    AppendString(out, EnumName(v));
  } else if constexpr (std::is_integral_v<T>) {
    absl::StrAppend(out, v);
  } else if constexpr (std::is_same_v<T, Fixed>) {
    out->append(v.ToString());
  } else if constexpr (std::is_same_v<T, std::string>) {
    AppendString(out, v);
  } else if constexpr (IsStrongId<T>::value) {
    AppendString(out, v.value);
  } else if constexpr (wire::IsVector<T>::value || wire::IsBtreeSet<T>::value) {
    out->push_back('[');
    bool first = true;
    for (const auto& e : v) {
      if (!first) out->push_back(',');
      first = false;
      Append(out, e);
    }
    out->push_back(']');
  } else if constexpr (wire::IsBtreeMap<T>::value) {
    // Maps are keyed by ids or symbols: a JSON object.
    out->push_back('{');
    bool first = true;
    for (const auto& [k, e] : v) {
      if (!first) out->push_back(',');
      first = false;
      if constexpr (IsStrongId<typename T::key_type>::value) {
        AppendString(out, k.value);
      } else {
        AppendString(out, absl::StrCat(k));
      }
      out->push_back(':');
      Append(out, e);
    }
    out->push_back('}');
  } else {
    static_assert(wire::Reflected<T>, "type has no JSON form");
    out->push_back('{');
    ObjectVisitor ov{out};
    T::Fields(v, ov);
    out->push_back('}');
  }
}

template <class T>
std::string ToJson(const T& v) {
  std::string out;
  Append(&out, v);
  return out;
}

}  // namespace apollo::json

#endif  // APOLLO_ENGINE_DOMAIN_JSON_H_
