// Synthetic job traces for benchmarks and tests, with the same model as
// examples/sim/make_trace.py (see its docstring): Poisson arrivals whose
// rate swings +-50% over a day and averages `load` x `gpus` GPUs of demand;
// a mix of fractional, whole-GPU and multi-node gang jobs; log-normal
// durations; 10% urgent and 20% best-effort jobs. Deterministic for a seed
// (its random stream differs from the Python script's).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plinth/sched/trace.h"

namespace plinth::sched {

struct SyntheticTraceOptions {
  int jobs = 100000;
  uint64_t seed = 1;
  std::vector<std::string> teams = {"vision", "nlp", "speech"};
  std::vector<double> team_weights = {5, 3, 2};
  double gpus = 1000;  // cluster size the load refers to
  double load = 0.85;  // offered GPU demand as a fraction of `gpus`
};

Trace SyntheticTrace(const SyntheticTraceOptions& options);

}  // namespace plinth::sched
