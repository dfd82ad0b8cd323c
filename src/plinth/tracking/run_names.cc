#include "plinth/tracking/run_names.h"

#include <random>

#include "absl/strings/str_cat.h"

namespace plinth::tracking {

std::string GenerateRunName() {
  static constexpr const char* kAdjectives[] = {
      "bold",  "brave", "calm",  "clever", "eager", "gentle", "honest", "keen",
      "lucky", "merry", "noble", "polite", "quick", "quiet",  "rare",   "shy",
      "sunny", "swift", "tidy",  "vivid",  "wise",  "witty",  "amber",  "crisp"};
  static constexpr const char* kNouns[] = {"heron",  "otter", "lynx",  "finch", "badger", "crane",
                                           "falcon", "gecko", "ibis",  "koala", "lemur",  "mole",
                                           "newt",   "orca",  "panda", "quail", "raven",  "seal",
                                           "tapir",  "vole",  "wren",  "yak",   "zebra",  "bison"};
  thread_local std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> adjective(0, std::size(kAdjectives) - 1);
  std::uniform_int_distribution<int> noun(0, std::size(kNouns) - 1);
  std::uniform_int_distribution<int> number(0, 999);
  return absl::StrCat(kAdjectives[adjective(rng)], "-", kNouns[noun(rng)], "-", number(rng));
}

}  // namespace plinth::tracking
