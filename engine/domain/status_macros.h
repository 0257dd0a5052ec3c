// RETURN_IF_ERROR / ASSIGN_OR_RETURN: Debian's Abseil (20220623) ships no
// status macros, so Apollo defines its own, once, here.
#ifndef APOLLO_ENGINE_DOMAIN_STATUS_MACROS_H_
#define APOLLO_ENGINE_DOMAIN_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define APOLLO_CONCAT_INNER(a, b) a##b
#define APOLLO_CONCAT(a, b) APOLLO_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                         \
  do {                                                \
    if (absl::Status apollo_s = (expr); !apollo_s.ok()) \
      return apollo_s;                                \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(APOLLO_CONCAT(apollo_sor_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return std::move(tmp).status(); \
  lhs = std::move(tmp).value()

#endif  // APOLLO_ENGINE_DOMAIN_STATUS_MACROS_H_
