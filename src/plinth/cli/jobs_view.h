// Rendering of jobs, their events and the GPU inventory for the CLI.
#pragma once

#include <string>
#include <vector>

#include "plinth/cli/output.h"
#include "plinth/common/json.h"

namespace plinth::cli {

// One row per job: id, name, team, queue, state, replicas x resources, age.
Table JobsTable(const std::vector<Json>& jobs, int64_t now_ms);
// `plinth jobs show`: the job's fields, replicas and (if pending) why.
std::string JobDetailText(const Json& job);
std::string EventsText(const Json& events);
// `plinth gpus`: one row per GPU (and per MIG slice or shared holder),
// like nvidia-smi's summary.
std::string GpuInventoryText(const Json& inventory);
std::string QueuesText(const Json& queues);
// "2 x 0.5 GPU", "1 x 3g.40gb", "4 x 8 H100-80GB", "1 x CPU".
std::string ResourcesText(const Json& spec);

}  // namespace plinth::cli
