// Early-return helpers for absl::Status / absl::StatusOr.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define PLINTH_CONCAT_INNER(a, b) a##b
#define PLINTH_CONCAT(a, b) PLINTH_CONCAT_INNER(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the caller if not OK.
#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::absl::Status _plinth_status = (expr);          \
    if (!_plinth_status.ok()) return _plinth_status; \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): evaluates an absl::StatusOr<T>, returns its
// status on error, otherwise moves the value into `lhs` (which may declare).
#define ASSIGN_OR_RETURN(lhs, expr) \
  PLINTH_ASSIGN_OR_RETURN_IMPL(PLINTH_CONCAT(_plinth_statusor_, __LINE__), lhs, expr)
#define PLINTH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return std::move(tmp).status();     \
  lhs = std::move(tmp).value()
