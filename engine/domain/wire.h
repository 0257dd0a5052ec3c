// Deterministic binary encoding of reflected structs (events, State).
//
// A reflected struct lists its fields once, in order:
//   template <class Self, class V> static void Fields(Self& s, V& v) {
//     v("symbol", s.symbol); v("price", s.price);
//   }
// and the same list drives the binary codec here and the JSON writer in
// json.h. Integers are little-endian of their declared width, enums one byte,
// strings and containers a varint length then their elements, Fixed its raw
// int64. Field order is the schema: changing it needs a new schema version.
#ifndef APOLLO_ENGINE_DOMAIN_WIRE_H_
#define APOLLO_ENGINE_DOMAIN_WIRE_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/strings/string_view.h"
#include "engine/domain/fixed.h"
#include "engine/domain/types.h"

namespace apollo::wire {

struct NullVisitor {
  template <class T>
  void operator()(const char*, T&) {}
};

template <class T>
concept Reflected = requires(T& t, NullVisitor& v) { T::Fields(t, v); };

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  template <class I>
  void PutInt(I value) {
    static_assert(std::is_integral_v<I>);
    using U = std::make_unsigned_t<I>;
    U u = static_cast<U>(value);
    char buf[sizeof(U)];
    for (size_t i = 0; i < sizeof(U); ++i) buf[i] = static_cast<char>((u >> (8 * i)) & 0xff);
    out_->append(buf, sizeof(U));
  }
  void PutVarint(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  void PutBytes(absl::string_view s) {
    PutVarint(s.size());
    out_->append(s.data(), s.size());
  }

 private:
  std::string* out_;
};

// Reads what Writer wrote. Errors latch: after the first, every read returns
// zero values and ok() is false, so callers check once at the end.
class Reader {
 public:
  explicit Reader(absl::string_view in) : in_(in) {}
  template <class I>
  I GetInt() {
    using U = std::make_unsigned_t<I>;
    if (in_.size() < sizeof(U)) return Fail<I>();
    U u = 0;
    for (size_t i = 0; i < sizeof(U); ++i) u |= static_cast<U>(static_cast<uint8_t>(in_[i])) << (8 * i);
    in_.remove_prefix(sizeof(U));
    return static_cast<I>(u);
  }
  uint64_t GetVarint() {
    uint64_t v = 0;
    for (int shift = 0; shift <= 63; shift += 7) {
      if (in_.empty()) return Fail<uint64_t>();
      const auto byte = static_cast<uint8_t>(in_[0]);
      in_.remove_prefix(1);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    return Fail<uint64_t>();
  }
  absl::string_view GetBytes() {
    const uint64_t n = GetVarint();
    if (n > in_.size()) return Fail<absl::string_view>();
    absl::string_view s = in_.substr(0, n);
    in_.remove_prefix(n);
    return s;
  }
  // A bounded count for containers: each element needs at least one byte.
  uint64_t GetCount() {
    const uint64_t n = GetVarint();
    return n > in_.size() ? Fail<uint64_t>() : n;
  }
  template <class T = int>
  T Fail() {
    ok_ = false;
    in_ = {};
    return T{};
  }
  bool ok() const { return ok_; }
  bool at_end() const { return in_.empty(); }

 private:
  absl::string_view in_;
  bool ok_ = true;
};

template <class T>
void Put(Writer& w, const T& v);
template <class T>
void Get(Reader& r, T& v);

struct PutVisitor {
  Writer& w;
  template <class T>
  void operator()(const char*, const T& v) { Put(w, v); }
};
struct GetVisitor {
  Reader& r;
  template <class T>
  void operator()(const char*, T& v) { Get(r, v); }
};

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
template <class T>
struct IsBtreeMap : std::false_type {};
template <class K, class V>
struct IsBtreeMap<absl::btree_map<K, V>> : std::true_type {};
template <class T>
struct IsBtreeSet : std::false_type {};
template <class K>
struct IsBtreeSet<absl::btree_set<K>> : std::true_type {};

template <class T>
void Put(Writer& w, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    w.PutInt<uint8_t>(v ? 1 : 0);
  } else if constexpr (std::is_enum_v<T>) {
    w.PutInt<uint8_t>(static_cast<uint8_t>(v));
  } else if constexpr (std::is_integral_v<T>) {
    w.PutInt<T>(v);
  } else if constexpr (std::is_same_v<T, Fixed>) {
    w.PutInt<int64_t>(v.raw());
  } else if constexpr (std::is_same_v<T, std::string>) {
    w.PutBytes(v);
  } else if constexpr (IsStrongId<T>::value) {
    w.PutBytes(v.value);
  } else if constexpr (IsVector<T>::value || IsBtreeSet<T>::value) {
    w.PutVarint(v.size());
    for (const auto& e : v) Put(w, e);
  } else if constexpr (IsBtreeMap<T>::value) {
    w.PutVarint(v.size());
    for (const auto& [k, e] : v) {
      Put(w, k);
      Put(w, e);
    }
  } else {
    static_assert(Reflected<T>, "type has no wire encoding");
    PutVisitor pv{w};
    T::Fields(v, pv);
  }
}

template <class T>
void Get(Reader& r, T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    const auto b = r.GetInt<uint8_t>();
    if (b > 1) r.Fail();
    v = b == 1;
  } else if constexpr (std::is_enum_v<T>) {
    const auto b = r.GetInt<uint8_t>();
    if (b >= EnumNames<T>::kNames.size()) r.Fail();
    v = static_cast<T>(b);
  } else if constexpr (std::is_integral_v<T>) {
    v = r.GetInt<T>();
  } else if constexpr (std::is_same_v<T, Fixed>) {
    v = Fixed::FromRaw(r.GetInt<int64_t>());
  } else if constexpr (std::is_same_v<T, std::string>) {
    const absl::string_view s = r.GetBytes();
    v.assign(s.data(), s.size());
  } else if constexpr (IsStrongId<T>::value) {
    const absl::string_view s = r.GetBytes();
    v.value.assign(s.data(), s.size());
  } else if constexpr (IsVector<T>::value) {
    const uint64_t n = r.GetCount();
    v.clear();
    v.resize(n);
    for (auto& e : v) Get(r, e);
  } else if constexpr (IsBtreeSet<T>::value) {
    const uint64_t n = r.GetCount();
    v.clear();
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      typename T::value_type e;
      Get(r, e);
      v.insert(v.end(), std::move(e));
    }
  } else if constexpr (IsBtreeMap<T>::value) {
    const uint64_t n = r.GetCount();
    v.clear();
    for (uint64_t i = 0; i < n && r.ok(); ++i) {
      typename T::key_type k;
      typename T::mapped_type e;
      Get(r, k);
      Get(r, e);
      v.insert(v.end(), {std::move(k), std::move(e)});
    }
  } else {
    static_assert(Reflected<T>, "type has no wire decoding");
    GetVisitor gv{r};
    T::Fields(v, gv);
  }
}

}  // namespace apollo::wire

#endif  // APOLLO_ENGINE_DOMAIN_WIRE_H_
