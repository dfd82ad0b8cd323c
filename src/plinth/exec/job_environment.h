// The environment a job's command starts with. Never the server's own: a
// server's environment holds its secrets (PGPASSWORD, cloud keys, its own
// PLINTH_TOKEN), and a job is somebody else's code. A job gets PATH, HOME
// and LANG, then the variables of Plinth's job contract and of its spec
// (LaunchSpec::env), which override them.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace plinth::exec {

// `home`: the HOME the job gets unless its spec sets one. PATH is the
// server's (or a standard one), LANG the server's (or C.UTF-8): neither
// holds secrets, and commands need them to be found and to print text.
std::map<std::string, std::string> JobEnvironment(
    const std::map<std::string, std::string>& spec_env, const std::string& home);

// "NAME=value" strings, sorted by name, for execve.
std::vector<std::string> EnvironmentStrings(const std::map<std::string, std::string>& env);

}  // namespace plinth::exec
