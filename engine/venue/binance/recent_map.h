// A map with a bound: at most `capacity` entries; inserting past it forgets
// the oldest entry (insertion order). For the venue's per-order memory
// (orders in doubt, cancels asked for, triggered algo orders), whose users
// say what forgetting an entry costs.
//
//   RecentMap<int64_t> sent(1024);
//   sent.Put("ap-t1-E", now_ms);
//   if (const int64_t* at = sent.Find("ap-t1-E")) ...;
//   sent.Erase("ap-t1-E");
#ifndef APOLLO_ENGINE_VENUE_BINANCE_RECENT_MAP_H_
#define APOLLO_ENGINE_VENUE_BINANCE_RECENT_MAP_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace apollo::venue::binance {

template <class V>
class RecentMap {
 public:
  explicit RecentMap(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  void Put(const std::string& key, V value) {
    auto [it, inserted] = map_.insert_or_assign(key, Entry{std::move(value), ++stamp_});
    order_.emplace_back(key, it->second.stamp);
    while (map_.size() > capacity_) EvictOldest();
    // Stale order entries (overwritten or erased keys) are bounded too.
    if (order_.size() > 2 * capacity_) Compact();
  }
  const V* Find(absl::string_view key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second.value;
  }
  void Erase(absl::string_view key) { map_.erase(key); }
  size_t size() const { return map_.size(); }
  size_t capacity() const { return capacity_; }
  uint64_t evicted() const { return evicted_; }

 private:
  struct Entry {
    V value;
    uint64_t stamp = 0;
  };
  void EvictOldest() {
    while (!order_.empty()) {
      auto [key, stamp] = std::move(order_.front());
      order_.pop_front();
      auto it = map_.find(key);
      if (it != map_.end() && it->second.stamp == stamp) {
        map_.erase(it);
        ++evicted_;
        return;
      }
    }
  }
  void Compact() {
    std::deque<std::pair<std::string, uint64_t>> live;
    for (auto& [key, stamp] : order_) {
      auto it = map_.find(key);
      if (it != map_.end() && it->second.stamp == stamp) live.emplace_back(std::move(key), stamp);
    }
    order_ = std::move(live);
  }

  size_t capacity_;
  uint64_t stamp_ = 0;
  uint64_t evicted_ = 0;
  absl::flat_hash_map<std::string, Entry> map_;
  std::deque<std::pair<std::string, uint64_t>> order_;
};

}  // namespace apollo::venue::binance

#endif  // APOLLO_ENGINE_VENUE_BINANCE_RECENT_MAP_H_
