#include "plinth/artifacts/artifact_uri.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace plinth::artifacts {
namespace {

std::optional<int64_t> FirstSegmentId(absl::string_view rest) {
  rest = absl::StripLeadingAsciiWhitespace(rest);
  while (absl::ConsumePrefix(&rest, "/")) {
  }
  int64_t id;
  if (!absl::SimpleAtoi(*absl::StrSplit(rest, '/').begin(), &id)) return std::nullopt;
  return id;
}

}  // namespace

std::optional<int64_t> ExperimentFolderOf(const std::string& uri,
                                          const std::string& file_root_uri) {
  absl::string_view rest = uri;
  if (absl::ConsumePrefix(&rest, "mlflow-artifacts:")) {
    if (absl::StartsWith(rest, "//")) return std::nullopt;  // another server
    return FirstSegmentId(rest);
  }
  if (!file_root_uri.empty() && absl::ConsumePrefix(&rest, file_root_uri) &&
      absl::StartsWith(rest, "/")) {
    return FirstSegmentId(rest);
  }
  return std::nullopt;
}

}  // namespace plinth::artifacts
