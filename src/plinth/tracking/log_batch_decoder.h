// Decoding of runs/log-batch request bodies.
//
// A 1000-metric body is about 75 KB; building a nlohmann tree of it (an
// object per metric) cost about 2.5 ms, a third of the request (see
// bench/RESULTS.md). The fast path parses the body with simdjson (its DOM
// parser, which picks the best SIMD kernels for the CPU at run time; the
// On-Demand API of Debian's simdjson 3.0 would be compiled for plain x86-64)
// and reads the common form of the body into the request. Anything it
// does not recognise exactly (malformed JSON, unknown or repeated fields,
// unusual types, bare NaN tokens) makes it give up, and the general parser
// (Args + ParseMetrics/ParseKeyValues) decodes the body and produces the
// error messages, so both paths accept the same bodies with the same result.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "plinth/http/message.h"
#include "plinth/tracking/tracking_types.h"

namespace plinth::tracking {

struct LogBatchRequest {
  std::string run_id;
  std::vector<Metric> metrics;
  std::vector<KeyValue> params;
  std::vector<KeyValue> tags;
};

// The fast path alone: the decoded request, or nullopt when the body is not
// in the form it reads (the caller then uses the general parser).
std::optional<LogBatchRequest> DecodeLogBatchFast(absl::string_view body);

// Either path, as the log-batch handler uses it: errors are MLflow's
// (MALFORMED_REQUEST / INVALID_PARAMETER_VALUE naming the field).
// The general path alone: Args + ParseMetrics/ParseKeyValues, every form
// and every error message. DecodeLogBatch falls back to it.
absl::StatusOr<LogBatchRequest> DecodeLogBatchGeneral(const http::Request& request);

absl::StatusOr<LogBatchRequest> DecodeLogBatch(const http::Request& request);

}  // namespace plinth::tracking
