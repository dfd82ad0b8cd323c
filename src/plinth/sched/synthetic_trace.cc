#include "plinth/sched/synthetic_trace.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"

namespace plinth::sched {
namespace {

struct Shape {
  double gpus;
  int replicas;
  double probability;
};
constexpr Shape kShapes[] = {{0.25, 1, 0.10}, {0.5, 1, 0.10}, {1, 1, 0.35}, {2, 1, 0.15},
                             {4, 1, 0.10},    {8, 1, 0.12},   {8, 2, 0.06}, {8, 4, 0.02}};
constexpr double kMedianS = 1800, kSigma = 1.2, kMinS = 60, kMaxS = 3 * 86400;
constexpr double kDayS = 86400;
constexpr double kPi = 3.14159265358979323846;

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}
  double Unit() { return unit_(rng_); }
  const Shape& PickShape() {
    double u = Unit();
    for (const Shape& s : kShapes) {
      if (u < s.probability) return s;
      u -= s.probability;
    }
    return kShapes[std::size(kShapes) - 1];
  }
  double Duration() {
    return std::clamp(std::exp(std::log(kMedianS) + kSigma * normal_(rng_)), kMinS, kMaxS);
  }
  double Exponential(double rate) { return -std::log(1 - Unit()) / rate; }

 private:
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> unit_{0, 1};
  std::normal_distribution<double> normal_{0, 1};
};

}  // namespace

Trace SyntheticTrace(const SyntheticTraceOptions& o) {
  Trace trace;
  trace.source = "synthetic";
  Generator sample(o.seed + 1);
  double mean = 0;
  constexpr int kSamples = 20000;
  for (int i = 0; i < kSamples; ++i) {
    const Shape& s = sample.PickShape();
    mean += s.gpus * s.replicas * sample.Duration();
  }
  mean /= kSamples;
  double rate = o.load * o.gpus / mean;  // jobs per second
  double weight_sum = std::accumulate(o.team_weights.begin(), o.team_weights.end(), 0.0);
  Generator g(o.seed);
  double t = 0;
  trace.jobs.reserve(o.jobs);
  for (int i = 0; i < o.jobs; ++i) {
    // Thinning of a Poisson process whose rate follows the time of day.
    do {
      t += g.Exponential(rate * 1.5);
    } while (g.Unit() >= (1 + 0.5 * std::sin(2 * kPi * t / kDayS)) / 1.5);
    const Shape& shape = g.PickShape();
    TraceJob job;
    job.id = absl::StrCat("job-", i + 1);
    job.line = i + 2;
    job.submit_time_s = std::round(t);
    job.duration_s = std::round(g.Duration());
    job.gpus = shape.gpus;
    job.replicas = shape.replicas;
    double u = g.Unit();
    job.priority = u < 0.1 ? 10 : u < 0.3 ? -10 : 0;
    job.preemptible = u >= 0.1;
    if (g.Unit() < 1.0 / 3) {
      job.max_runtime_s = std::floor(std::ceil(job.duration_s / 1800) * 1800 * (1 + g.Unit()));
    }
    double w = g.Unit() * weight_sum;
    size_t team = 0;
    while (team + 1 < o.teams.size() && w >= o.team_weights[team]) w -= o.team_weights[team++];
    job.team = o.teams[team];
    job.queue = job.team;
    trace.jobs.push_back(std::move(job));
  }
  return trace;
}

}  // namespace plinth::sched
