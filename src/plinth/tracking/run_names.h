// Memorable default run names ("bold-heron-417"), as MLflow generates.
#pragma once

#include <string>

namespace plinth::tracking {

std::string GenerateRunName();

}  // namespace plinth::tracking
