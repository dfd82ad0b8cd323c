// Builders for scheduler tests: simulated nodes, queues and jobs; and
// readers of a pass's result.
#pragma once

#include <string>
#include <vector>

#include "plinth/gpu/gpu_source.h"
#include "plinth/sched/types.h"

namespace plinth::sched::testing {

inline std::vector<gpu::Node> MakeNodes(int count, int gpus, const std::string& model = "H100-80GB",
                                        int mig_gpus = 0, const std::string& prefix = "node") {
  std::vector<gpu::Node> nodes;
  for (int n = 0; n < count; ++n) {
    gpu::Node node;
    node.name = prefix + "-" + std::to_string(n);
    node.cpus = 16 * gpus;
    node.memory_mib = 131072LL * gpus;
    for (int g = 0; g < gpus; ++g) {
      gpu::Gpu device;
      device.index = g;
      device.model = model;
      device.mig_enabled = g < mig_gpus;
      node.gpus.push_back(device);
    }
    nodes.push_back(node);
  }
  return nodes;
}

inline QueueConfig MakeQueue(const std::string& name, double nominal,
                             const std::string& cohort = "",
                             const std::string& model = "H100-80GB") {
  QueueConfig q;
  q.name = name;
  q.team = name;
  q.cohort = cohort;
  q.nominal[model] = nominal;
  return q;
}

inline JobRequest MakeJob(const std::string& id, const std::string& queue, double gpus,
                          int replicas = 1, int priority = 0, int64_t submit = 0) {
  JobRequest job;
  job.id = id;
  job.queue = queue;
  job.per_replica.gpus = gpus;
  job.replicas = replicas;
  job.priority = priority;
  job.submit_time_ms = submit;
  return job;
}

inline RunningJob MakeRunning(const JobRequest& job, const Allocation& allocation,
                              int64_t start = 0) {
  RunningJob r;
  r.request = job;
  r.allocation = allocation;
  r.start_time_ms = start;
  return r;
}

// The ids a pass admitted, and the victims it preempted, in its order.
inline std::vector<std::string> AdmittedIds(const PassResult& result) {
  std::vector<std::string> ids;
  for (const Admission& a : result.admitted) ids.push_back(a.job_id);
  return ids;
}

inline std::vector<std::string> VictimIds(const PassResult& result) {
  std::vector<std::string> ids;
  for (const Preemption& p : result.preempted) ids.push_back(p.victim_id);
  return ids;
}

// Why `id` waits after a pass; nullptr when it does not wait.
inline const WaitReason* ReasonFor(const PassResult& result, const std::string& id) {
  for (const Waiting& w : result.waiting) {
    if (w.job_id == id) return &w.reason;
  }
  return nullptr;
}

}  // namespace plinth::sched::testing
