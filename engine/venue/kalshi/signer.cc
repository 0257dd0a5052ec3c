// RSA-PSS through OpenSSL 3's EVP_DigestSign: see signer.h.
#include "engine/venue/kalshi/signer.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace apollo::venue::kalshi {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// Reads a PEM key with `read` (private or public) from memory.
template <class Read>
Pkey ReadPem(absl::string_view pem, Read read) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return nullptr;
  Pkey key(read(bio));
  BIO_free(bio);
  if (key == nullptr) ERR_clear_error();  // a failed read must not leave errors for the next TLS call
  return key;
}

// Sets RSA-PSS with SHA-256, MGF1-SHA-256 and a digest-length salt on a
// sign or verify context.
bool UsePss(EVP_PKEY_CTX* pctx) {
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
}

}  // namespace

struct Signer::Key {
  Pkey pkey;
};

std::string SigningMessage(int64_t timestamp_ms, absl::string_view method, absl::string_view path) {
  return absl::StrCat(timestamp_ms, absl::AsciiStrToUpper(method), path.substr(0, path.find('?')));
}

absl::StatusOr<Signer> Signer::FromPem(absl::string_view pem) {
  Pkey pkey = ReadPem(pem, [](BIO* bio) { return PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr); });
  if (pkey == nullptr) {
    return absl::InvalidArgumentError(
        "kalshi key: not an unencrypted PEM private key (KALSHI_PRIVATE_KEY_PATH or KALSHI_API_SECRET)");
  }
  if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_RSA) return absl::InvalidArgumentError("kalshi key: not an RSA key");
  if (EVP_PKEY_get_bits(pkey.get()) < 2048) {
    return absl::InvalidArgumentError(absl::StrCat("kalshi key: RSA of ", EVP_PKEY_get_bits(pkey.get()),
                                                   " bits; Kalshi's keys have 2048 or more"));
  }
  return Signer(std::make_unique<Key>(Key{std::move(pkey)}));
}

Signer::Signer(std::unique_ptr<Key> key) : key_(std::move(key)) {}
Signer::Signer(Signer&&) noexcept = default;
Signer& Signer::operator=(Signer&&) noexcept = default;
Signer::~Signer() = default;

absl::StatusOr<std::string> Signer::Sign(int64_t timestamp_ms, absl::string_view method, absl::string_view path) const {
  const std::string message = SigningMessage(timestamp_ms, method, path);
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  size_t length = 0;
  if (ctx == nullptr || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key_->pkey.get()) != 1 ||
      !UsePss(pctx) ||
      EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    ERR_clear_error();
    return absl::InternalError("kalshi signer: OpenSSL refused to set up RSA-PSS");
  }
  std::vector<unsigned char> signature(length);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    ERR_clear_error();
    return absl::InternalError("kalshi signer: OpenSSL failed to sign");
  }
  return absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(signature.data()), length));
}

bool SignedRequest(absl::string_view key_id, absl::string_view public_pem, absl::string_view key,
                   absl::string_view timestamp, absl::string_view signature, absl::string_view method,
                   absl::string_view path) {
  int64_t ts = 0;
  if (key != key_id || !absl::SimpleAtoi(timestamp, &ts)) return false;
  return Verify(public_pem, SigningMessage(ts, method, path), signature).ok();
}

absl::Status Verify(absl::string_view public_pem, absl::string_view message, absl::string_view signature_b64) {
  std::string signature;
  if (!absl::Base64Unescape(signature_b64, &signature) || signature.empty()) {
    return absl::InvalidArgumentError("kalshi signature: not base64");
  }
  Pkey pkey = ReadPem(public_pem, [](BIO* bio) { return PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr); });
  if (pkey == nullptr) return absl::InvalidArgumentError("kalshi signature: not a PEM public key");
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (ctx == nullptr || EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, pkey.get()) != 1 ||
      !UsePss(pctx)) {
    ERR_clear_error();
    return absl::InternalError("kalshi signature: OpenSSL refused to set up RSA-PSS");
  }
  if (EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    ERR_clear_error();  // a failed verify leaves errors for the next TLS call
    return absl::InvalidArgumentError("kalshi signature: does not verify");
  }
  return absl::OkStatus();
}

}  // namespace apollo::venue::kalshi
