// Reading typed YAML values for the configuration file: errors name the key
// and the expected type ("server.port: expected a number").
#pragma once

#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/yaml.h"

namespace plinth::server {

template <typename T>
absl::Status ReadYaml(const YAML::Node& node, const std::string& key, T& out) {
  try {
    out = node.as<T>();
    return absl::OkStatus();
  } catch (const YAML::Exception&) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": expected ",
                                                   std::is_same_v<T, std::string> ? "a string"
                                                   : std::is_same_v<T, bool>      ? "true or false"
                                                                                  : "a number"));
  }
}

}  // namespace plinth::server
