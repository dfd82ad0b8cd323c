// MLflow's JSON shapes for registry entities, as protobuf's JSON mapping
// writes them: empty strings and lists are left out, int64 timestamps are
// numbers, and version numbers are strings.
#pragma once

#include "plinth/common/json.h"
#include "plinth/registry/registry_types.h"

namespace plinth::registry {

Json ModelVersionToJson(const ModelVersion& version);
Json RegisteredModelToJson(const RegisteredModel& model);

}  // namespace plinth::registry
