// Record and chunk codec.
//
// Grammar (all integers little-endian unless said; see FORMAT.md):
//   chunk   := record+                       one RocksDB value, key = BE64(seq of first record)
//   record  := body_len:u32 body crc:u32     crc = CRC32C(body)
//   body    := format:u8 (=1) tag:u16 schema:u16 seq:u64 ts_ns:i64 prev_hash:32B payload
//   hash(record) := SHA-256(body); prev_hash of seq 1 is 32 zero bytes (genesis)
#include "ledger/record.h"

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 but built by default,
// and they skip the EVP provider dispatch, which costs ~50 ns of the ~240 ns
// of hashing a 260-byte record body (~15% of the replay reader thread's time;
// bench/replay_bench profile).
// A build of OpenSSL without the deprecated API gets the EVP path below.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace apollo::ledger {
namespace {

constexpr size_t kBodyHeader = 1 + 2 + 2 + 8 + 8 + 32;
constexpr size_t kFrame = 4 + 4;  // body_len + crc

template <class T>
void PutLE(std::string* out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));  // x86-64 and arm64 are little-endian
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
  out->append(buf, sizeof(T));
}

template <class T>
T GetLE(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

#ifdef OPENSSL_NO_DEPRECATED_3_0
// One digest context per thread: fetching the algorithm and allocating a
// context per record would cost more than hashing a 200-byte record.
struct ShaContext {
  ShaContext() : md(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx(EVP_MD_CTX_new()) {}
  ~ShaContext() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
  EVP_MD* md;
  EVP_MD_CTX* ctx;
};
#endif

uint32_t Crc32cSoftware(uint32_t crc, const uint8_t* p, size_t n) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  for (size_t i = 0; i < n; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t Crc32cHardware(uint32_t crc, const uint8_t* p, size_t n) {
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}
#endif

absl::Status Bad(uint64_t seq, absl::string_view what) {
  return absl::DataLossError(absl::StrCat("seq ", seq, ": ", what));
}

}  // namespace

absl::Status BrokenLink(uint64_t seq) {
  return seq == 1 ? absl::DataLossError("seq 1: does not link to the genesis hash")
                  : absl::DataLossError(absl::StrCat("seq ", seq - 1,
                                                     ": record does not hash to the link stored in seq ", seq));
}

std::string HashHex(const Hash& h) {
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

Hash Sha256(absl::string_view bytes) {
  Hash out;
#ifndef OPENSSL_NO_DEPRECATED_3_0
  SHA256_CTX c;
  SHA256_Init(&c);
  SHA256_Update(&c, bytes.data(), bytes.size());
  SHA256_Final(out.data(), &c);
#else
  thread_local ShaContext sha;
  unsigned int len = 0;
  EVP_DigestInit_ex(sha.ctx, sha.md, nullptr);
  EVP_DigestUpdate(sha.ctx, bytes.data(), bytes.size());
  EVP_DigestFinal_ex(sha.ctx, out.data(), &len);
#endif
  return out;
}

uint32_t Crc32c(absl::string_view bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
#if defined(__x86_64__)
  static const bool hw = __builtin_cpu_supports("sse4.2");
  if (hw) return ~Crc32cHardware(~0u, p, bytes.size());
#endif
  return ~Crc32cSoftware(~0u, p, bytes.size());
}

Hash AppendRecord(const RecordInput& in, uint64_t seq, const Hash& prev, std::string* chunk) {
  const size_t body_len = kBodyHeader + in.payload.size();
  PutLE<uint32_t>(chunk, static_cast<uint32_t>(body_len));
  const size_t body_at = chunk->size();
  chunk->push_back(static_cast<char>(kRecordFormatVersion));
  PutLE<uint16_t>(chunk, in.tag);
  PutLE<uint16_t>(chunk, in.schema_version);
  PutLE<uint64_t>(chunk, seq);
  PutLE<int64_t>(chunk, in.ts_ns);
  chunk->append(reinterpret_cast<const char*>(prev.data()), prev.size());
  chunk->append(in.payload);
  const absl::string_view body(chunk->data() + body_at, body_len);
  const uint32_t crc = Crc32c(body);
  const Hash hash = Sha256(body);
  PutLE<uint32_t>(chunk, crc);
  return hash;
}

absl::Status ParseChunk(uint64_t key_seq, absl::string_view bytes, ParsedChunk* out) {
  out->first_seq = key_seq;
  out->records.clear();
  uint64_t seq = key_seq;
  const char* p = bytes.data();
  size_t left = bytes.size();
  if (left == 0) return Bad(seq, "empty chunk");
  while (left > 0) {
    if (left < kFrame) return Bad(seq, "truncated record frame");
    const uint32_t body_len = GetLE<uint32_t>(p);
    if (body_len < kBodyHeader || body_len > left - kFrame) return Bad(seq, "bad record length");
    const absl::string_view body(p + 4, body_len);
    const uint32_t crc = GetLE<uint32_t>(p + 4 + body_len);
    if (Crc32c(body) != crc) return Bad(seq, "checksum mismatch");
    const char* b = body.data();
    if (static_cast<uint8_t>(b[0]) != kRecordFormatVersion) {
      return Bad(seq, absl::StrCat("unknown record format version ", static_cast<int>(static_cast<uint8_t>(b[0]))));
    }
    RecordView r;
    r.tag = GetLE<uint16_t>(b + 1);
    r.schema_version = GetLE<uint16_t>(b + 3);
    r.seq = GetLE<uint64_t>(b + 5);
    r.ts_ns = GetLE<int64_t>(b + 13);
    std::memcpy(r.prev_hash.data(), b + 21, 32);
    r.payload = body.substr(kBodyHeader);
    if (r.seq != seq) return Bad(seq, absl::StrCat("sequence gap: found seq ", r.seq, " where ", seq, " belongs"));
    if (!out->records.empty() && r.prev_hash != out->records.back().hash) return BrokenLink(seq);
    r.hash = Sha256(body);
    out->records.push_back(r);
    p += kFrame + body_len;
    left -= kFrame + body_len;
    ++seq;
  }
  return absl::OkStatus();
}

std::string SeqKey(uint64_t seq) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i) {
    key[i] = static_cast<char>(seq & 0xff);
    seq >>= 8;
  }
  return key;
}

uint64_t SeqFromKey(absl::string_view key) {
  uint64_t seq = 0;
  for (char c : key) seq = (seq << 8) | static_cast<uint8_t>(c);
  return seq;
}

}  // namespace apollo::ledger
