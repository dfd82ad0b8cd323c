// runs/log-batch bodies: the simdjson fast path and the general path must
// both refuse bad bodies cleanly (and agree on good ones).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "plinth/tracking/log_batch_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  plinth::http::Request request;
  request.method = "POST";
  request.body.assign(reinterpret_cast<const char*>(data), size);
  std::optional<plinth::tracking::LogBatchRequest> fast =
      plinth::tracking::DecodeLogBatchFast(request.body);
  absl::StatusOr<plinth::tracking::LogBatchRequest> general =
      plinth::tracking::DecodeLogBatchGeneral(request);
  // What the fast path accepts, the general path accepts with the same counts.
  if (fast && general.ok() &&
      (fast->metrics.size() != general->metrics.size() ||
       fast->params.size() != general->params.size() ||
       fast->tags.size() != general->tags.size())) {
    std::abort();
  }
  return 0;
}
