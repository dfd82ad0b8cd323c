// Reads one JSON object of a spec, field by field, and reports fields it
// did not read as unknown, with their path ("resources.gpu: unknown field").
// Every error names the path of the field it is about.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plinth/common/json.h"

namespace plinth::jobs {

class SpecReader {
 public:
  // `object` must outlive the reader. `path` is its location ("" at the root).
  static absl::StatusOr<SpecReader> Make(const Json& object, std::string path);

  const Json* Get(const std::string& key);  // marks the key as known
  std::string PathOf(const std::string& key) const;
  // An error about `key`: "<path>: <message>".
  absl::Status Error(const std::string& key, const std::string& message) const;

  absl::StatusOr<std::optional<std::string>> String(const std::string& key);
  absl::StatusOr<std::optional<int64_t>> Int(const std::string& key, int64_t min, int64_t max);
  absl::StatusOr<std::optional<double>> Number(const std::string& key);
  absl::StatusOr<std::optional<bool>> Bool(const std::string& key);
  absl::StatusOr<std::optional<std::vector<std::string>>> StringList(const std::string& key);
  // An object of scalar values, each turned into a string.
  absl::StatusOr<std::optional<std::map<std::string, std::string>>> StringMap(
      const std::string& key);

  // Fails on the first field that no getter asked for.
  absl::Status CheckNoUnknown() const;
  // Marks keys as known without reading them (accepted and ignored).
  void Ignore(const std::vector<std::string>& keys);

 private:
  SpecReader(const Json& object, std::string path) : object_(&object), path_(std::move(path)) {}
  const Json* object_;
  std::string path_;
  std::set<std::string> known_;
};

}  // namespace plinth::jobs
