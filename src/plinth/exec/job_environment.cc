#include "plinth/exec/job_environment.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace plinth::exec {
namespace {

constexpr char kDefaultPath[] = "/usr/local/bin:/usr/bin:/bin";
constexpr char kDefaultLang[] = "C.UTF-8";

std::string ServerValueOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

}  // namespace

std::map<std::string, std::string> JobEnvironment(
    const std::map<std::string, std::string>& spec_env, const std::string& home) {
  std::map<std::string, std::string> env = {
      {"PATH", ServerValueOr("PATH", kDefaultPath)},
      {"LANG", ServerValueOr("LANG", kDefaultLang)},
  };
  if (!home.empty()) env["HOME"] = home;
  for (const auto& [key, value] : spec_env) env[key] = value;
  return env;
}

std::vector<std::string> EnvironmentStrings(const std::map<std::string, std::string>& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [key, value] : env) out.push_back(absl::StrCat(key, "=", value));
  return out;
}

}  // namespace plinth::exec
