// The simdjson On-Demand helpers every venue's payload readers share: one
// JSON object's fields read by name, with errors that name the venue, the
// payload and the field, e.g. "binance order: field 'executedQty': not a
// decimal: 'abc'". Every decimal goes through Fixed::Parse, so garbage, an
// empty string, NaN or a number out of range is an error, never 0.
// `Venue` is a type naming the venue: `static constexpr absl::string_view
// kName = "binance";`. Each venue's own json_fields.h names its aliases.
//
//   payload::Json<V> doc(body);
//   od::object root;
//   RETURN_IF_ERROR(doc.Object("order", &root));
//   payload::Fields<V> f(root, "order");
//   ASSIGN_OR_RETURN(Fixed qty, f.Dec("executedQty"));
#ifndef APOLLO_ENGINE_VENUE_JSON_FIELDS_H_
#define APOLLO_ENGINE_VENUE_JSON_FIELDS_H_

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/domain/fixed.h"
#include "engine/domain/status_macros.h"
#include "engine/domain/types.h"

namespace apollo::venue::payload {

namespace od = simdjson::ondemand;

// Debian's Abseil has its own string_view; simdjson takes the standard one.
inline std::string_view Std(absl::string_view s) { return std::string_view(s.data(), s.size()); }

inline std::string Problem(simdjson::error_code e) {
  switch (e) {
    case simdjson::NO_SUCH_FIELD: return "missing";
    case simdjson::INCORRECT_TYPE: return "wrong type";
    default: return absl::StrCat("malformed JSON (", simdjson::error_message(e), ")");
  }
}

template <class Venue>
absl::Status Malformed(absl::string_view what, simdjson::error_code e) {
  return absl::InvalidArgumentError(
      absl::StrCat(Venue::kName, " ", what, ": malformed JSON (", simdjson::error_message(e), ")"));
}

// A text that is not JSON at all (cut short, garbage) is DataLoss: on a
// stream, the stream lost data, which a bad field in a whole message is not.
// On-Demand parsing is lazy, so Json checks the whole text first.
template <class Venue>
absl::Status CheckWholeJson(absl::string_view what, absl::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element ignored;
  if (simdjson::error_code e = parser.parse(text.data(), text.size()).get(ignored)) {
    return absl::DataLossError(absl::StrCat(Venue::kName, " ", what, ": not JSON (", simdjson::error_message(e), ")"));
  }
  return absl::OkStatus();
}

// Reads the fields of one JSON object, naming payload and field in errors.
template <class Venue>
class Fields {
 public:
  Fields(od::object& object, std::string what) : object_(object), what_(std::move(what)) {}

  const std::string& what() const { return what_; }

  absl::Status Error(absl::string_view field, absl::string_view problem) const {
    return absl::InvalidArgumentError(absl::StrCat(Venue::kName, " ", what_, ": field '", field, "': ", problem));
  }

  // NO_SUCH_FIELD and null both mean "absent" (returns false).
  absl::StatusOr<bool> Find(absl::string_view field, od::value* out) {
    simdjson::error_code e = object_.find_field_unordered(Std(field)).get(*out);
    if (e == simdjson::NO_SUCH_FIELD) return false;
    if (e) return Error(field, Problem(e));
    od::json_type type;
    if (simdjson::error_code te = out->type().get(type)) return Error(field, Problem(te));
    return type != od::json_type::null;
  }

  absl::StatusOr<std::optional<std::string>> OptStr(absl::string_view field) {
    od::value v;
    ASSIGN_OR_RETURN(bool found, Find(field, &v));
    if (!found) return std::optional<std::string>();
    std::string_view s;
    if (simdjson::error_code e = v.get_string().get(s)) return Error(field, Problem(e));
    return std::optional<std::string>(std::string(s));
  }
  absl::StatusOr<std::string> Str(absl::string_view field) {
    ASSIGN_OR_RETURN(std::optional<std::string> s, OptStr(field));
    if (!s) return Error(field, "missing");
    return *std::move(s);
  }

  absl::StatusOr<std::string> StrOr(absl::string_view field, std::string fallback) {
    ASSIGN_OR_RETURN(std::optional<std::string> s, OptStr(field));
    return s ? *std::move(s) : std::move(fallback);
  }

  absl::StatusOr<std::optional<Fixed>> OptDec(absl::string_view field) {
    ASSIGN_OR_RETURN(std::optional<std::string> s, OptStr(field));
    if (!s) return std::optional<Fixed>();
    absl::StatusOr<Fixed> value = Fixed::Parse(*s);
    if (!value.ok()) return Error(field, absl::StrCat("not a decimal: '", *s, "'"));
    return std::optional<Fixed>(*value);
  }
  absl::StatusOr<Fixed> Dec(absl::string_view field) {
    ASSIGN_OR_RETURN(std::optional<Fixed> d, OptDec(field));
    if (!d) return Error(field, "missing");
    return *d;
  }
  absl::StatusOr<Fixed> DecOr(absl::string_view field, Fixed fallback) {
    ASSIGN_OR_RETURN(std::optional<Fixed> d, OptDec(field));
    return d.value_or(fallback);
  }

  // A JSON number read exactly: its own text through Fixed::Parse (an
  // exponent form is refused). For values a venue sends as numbers (Kalshi's
  // strikes) that must not pass through a double.
  absl::StatusOr<std::optional<Fixed>> OptNumber(absl::string_view field) {
    od::value v;
    ASSIGN_OR_RETURN(bool found, Find(field, &v));
    if (!found) return std::optional<Fixed>();
    od::json_type type;
    if (simdjson::error_code e = v.type().get(type)) return Error(field, Problem(e));
    if (type != od::json_type::number) return Error(field, "not a number");
    const std::string_view token = v.raw_json_token();
    const absl::string_view raw = absl::StripTrailingAsciiWhitespace(absl::string_view(token.data(), token.size()));
    absl::StatusOr<Fixed> value = Fixed::Parse(raw);
    if (!value.ok()) return Error(field, absl::StrCat("not an exact decimal: '", raw, "'"));
    return std::optional<Fixed>(*value);
  }

  absl::StatusOr<std::optional<int64_t>> OptInt(absl::string_view field) {
    od::value v;
    ASSIGN_OR_RETURN(bool found, Find(field, &v));
    if (!found) return std::optional<int64_t>();
    int64_t i = 0;
    if (simdjson::error_code e = v.get_int64().get(i)) return Error(field, Problem(e));
    return std::optional<int64_t>(i);
  }
  absl::StatusOr<int64_t> Int(absl::string_view field) {
    ASSIGN_OR_RETURN(std::optional<int64_t> i, OptInt(field));
    if (!i) return Error(field, "missing");
    return *i;
  }

  absl::StatusOr<bool> BoolOr(absl::string_view field, bool fallback) {
    od::value v;
    ASSIGN_OR_RETURN(bool found, Find(field, &v));
    if (!found) return fallback;
    bool b = false;
    if (simdjson::error_code e = v.get_bool().get(b)) return Error(field, Problem(e));
    return b;
  }

  // An id a venue sends as a number in one payload and a string in another.
  absl::StatusOr<std::string> IdOr(absl::string_view field, std::string fallback) {
    od::value v;
    ASSIGN_OR_RETURN(bool found, Find(field, &v));
    if (!found) return fallback;
    od::json_type type;
    if (simdjson::error_code e = v.type().get(type)) return Error(field, Problem(e));
    if (type == od::json_type::string) {
      std::string_view s;
      if (simdjson::error_code e = v.get_string().get(s)) return Error(field, Problem(e));
      return std::string(s);
    }
    int64_t i = 0;
    if (simdjson::error_code e = v.get_int64().get(i)) return Error(field, Problem(e));
    return absl::StrCat(i);
  }

  absl::StatusOr<std::optional<od::array>> OptArray(absl::string_view field) {
    od::value v;
    ASSIGN_OR_RETURN(bool found, Find(field, &v));
    if (!found) return std::optional<od::array>();
    od::array a;
    if (simdjson::error_code e = v.get_array().get(a)) return Error(field, Problem(e));
    return std::optional<od::array>(a);
  }
  absl::StatusOr<od::array> Array(absl::string_view field) {
    ASSIGN_OR_RETURN(std::optional<od::array> a, OptArray(field));
    if (!a) return Error(field, "missing");
    return *a;
  }

  template <class E>
  absl::StatusOr<E> Enum(absl::string_view field) {
    ASSIGN_OR_RETURN(std::string name, Str(field));
    E value;
    if (!ParseEnumName(name, &value)) return Error(field, absl::StrCat("unknown value '", name, "'"));
    return value;
  }

 private:
  od::object& object_;
  std::string what_;
};

// Owns the parser and the padded copy a document needs.
template <class Venue>
class Json {
 public:
  // Text that is not JSON at all is InvalidArgument from a REST answer (the
  // request failed) and DataLoss from a stream message (the stream lost data).
  enum class From { kRest, kStream };
  explicit Json(absl::string_view text, From from = From::kRest)
      : text_(text), from_(from), padded_(text.data(), text.size()) {}

  absl::Status Object(absl::string_view what, od::object* out) {
    RETURN_IF_ERROR(Start(what));
    simdjson::error_code e = doc_.get_object().get(*out);
    if (e == simdjson::INCORRECT_TYPE) {
      return absl::InvalidArgumentError(absl::StrCat(Venue::kName, " ", what, ": expected a JSON object"));
    }
    if (e) return Malformed<Venue>(what, e);
    return absl::OkStatus();
  }
  absl::Status Array(absl::string_view what, od::array* out) {
    RETURN_IF_ERROR(Start(what));
    simdjson::error_code e = doc_.get_array().get(*out);
    if (e == simdjson::INCORRECT_TYPE) {
      return absl::InvalidArgumentError(absl::StrCat(Venue::kName, " ", what, ": expected a JSON array"));
    }
    if (e) return Malformed<Venue>(what, e);
    return absl::OkStatus();
  }

 private:
  // The whole text is checked before On-Demand reads any of it: a reader
  // that met malformed JSON halfway (inside an array it skipped, say) would
  // otherwise go on through an iterator simdjson has already given up.
  absl::Status Start(absl::string_view what) {
    if (absl::Status whole = CheckWholeJson<Venue>(what, text_); !whole.ok()) {
      return from_ == From::kStream ? whole : absl::InvalidArgumentError(whole.message());
    }
    if (simdjson::error_code e = parser_.iterate(padded_).get(doc_)) return Malformed<Venue>(what, e);
    return absl::OkStatus();
  }

  absl::string_view text_;
  From from_;
  od::parser parser_;
  simdjson::padded_string padded_;
  od::document doc_;
};

// Calls read(object, index) for each element of `array`, which must all be objects.
template <class Venue, class Read>
absl::Status ForEachObject(od::array& array, absl::string_view what, Read read) {
  size_t index = 0;
  for (auto element : array) {
    od::object object;
    if (simdjson::error_code e = element.get_object().get(object)) {
      return absl::InvalidArgumentError(
          absl::StrCat(Venue::kName, " ", what, "[", index, "]: ", e == simdjson::INCORRECT_TYPE ? "not an object" : Problem(e)));
    }
    RETURN_IF_ERROR(read(object, index));
    ++index;
  }
  return absl::OkStatus();
}

// An array payload whose elements each parse with `one`.
template <class Venue, class T, class One>
absl::StatusOr<std::vector<T>> ParseList(absl::string_view json, absl::string_view what, One one) {
  Json<Venue> doc(json);
  od::array array;
  RETURN_IF_ERROR(doc.Array(what, &array));
  std::vector<T> out;
  RETURN_IF_ERROR(ForEachObject<Venue>(array, what, [&](od::object& object, size_t index) -> absl::Status {
    Fields<Venue> f(object, absl::StrCat(what, "[", index, "]"));
    ASSIGN_OR_RETURN(T item, one(f));
    out.push_back(std::move(item));
    return absl::OkStatus();
  }));
  return out;
}

// A payload that is one object, parsed with `one`.
template <class Venue, class T, class One>
absl::StatusOr<T> ParseObject(absl::string_view text, absl::string_view what, One one) {
  Json<Venue> doc(text);
  od::object root;
  RETURN_IF_ERROR(doc.Object(what, &root));
  Fields<Venue> f(root, std::string(what));
  return one(f);
}

// A payload that is an array of objects (every symbol) or one object (one
// symbol asked for), each parsed with `one`.
template <class Venue, class T, class One>
absl::StatusOr<std::vector<T>> ParseOneOrList(absl::string_view json, absl::string_view what, One one) {
  const size_t first = json.find_first_not_of(" \t\r\n");
  if (first == absl::string_view::npos || json[first] != '{') return ParseList<Venue, T>(json, what, one);
  ASSIGN_OR_RETURN(T item, (ParseObject<Venue, T>(json, what, one)));
  std::vector<T> out;
  out.push_back(std::move(item));
  return out;
}

}  // namespace apollo::venue::payload

#endif  // APOLLO_ENGINE_VENUE_JSON_FIELDS_H_
