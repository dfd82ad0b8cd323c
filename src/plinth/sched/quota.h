// Quota accounting for one scheduling pass (Kueue semantics, REFERENCE.md):
// each queue has a nominal quota per flavor (GPU model); queues in a cohort
// lend each other what they do not use, each up to its borrowing limit.
// Usage counts GPUs reserved by admitted jobs (see GpuDemand).
//
// Queues and flavors also have numbers (QueueIndex, FlavorIndex) for the
// scheduler's inner loops; the configuration is shared between copies, so
// copying a book copies only its usage. Not thread-safe: one pass owns one
// QuotaBook.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "plinth/sched/types.h"

namespace plinth::sched {

class QuotaBook {
 public:
  // `cluster_totals` (GPUs per flavor) are the entitlement of a queue that
  // has no finite nominal quota, for fair-share purposes.
  QuotaBook(const std::vector<QueueConfig>& queues, std::map<std::string, double> cluster_totals);

  const QueueConfig* Find(const std::string& queue) const;

  // Usage of a queue that is not configured is ignored.
  void Charge(const std::string& queue, const std::string& flavor, double amount);
  void Release(const std::string& queue, const std::string& flavor, double amount);

  double Usage(const std::string& queue, const std::string& flavor) const;
  double Nominal(const std::string& queue, const std::string& flavor) const;
  // Nominal plus borrowing limit (infinite when either is unlimited).
  double Limit(const std::string& queue, const std::string& flavor) const;
  double CohortUsage(const std::string& cohort, const std::string& flavor) const;
  double CohortNominal(const std::string& cohort, const std::string& flavor) const;

  // Whether `amount` more GPUs of `flavor` fit the queue's quota. Sets
  // `*borrowing` when the admission would use quota lent by the cohort;
  // otherwise fills `*reason` (kQueueQuota or kCohortQuota).
  bool Admits(const std::string& queue, const std::string& flavor, double amount, bool* borrowing,
              WaitReason* reason) const;
  // Whether the queue uses more than its nominal quota of `flavor`.
  bool IsBorrowing(const std::string& queue, const std::string& flavor) const;
  // Dominant resource share: the largest usage / entitlement over flavors,
  // divided by the queue's weight. Lower shares are served first.
  double DominantShare(const std::string& queue) const;

  // The same by number. Queue numbers follow the configuration's order;
  // -1 means unknown. A flavor number stays valid for the book's lifetime.
  int QueueIndex(const std::string& queue) const;
  int FlavorIndex(const std::string& flavor) const;
  // The number of `flavor`, adding it (with no quota anywhere) when new.
  int AddFlavor(const std::string& flavor);
  int queue_count() const { return static_cast<int>(config_->queues.size()); }
  const QueueConfig& queue(int q) const { return config_->queues[q]; }
  // Cohort number of a queue, -1 when it has none.
  int CohortOf(int q) const { return config_->cohort_of[q]; }
  int cohort_count() const { return static_cast<int>(config_->cohorts.size()); }

  void Charge(int q, int f, double amount);
  double Usage(int q, int f) const { return usage_[f][q]; }
  double Nominal(int q, int f) const { return config_->flavors[f].nominal[q]; }
  // As Admits above; `reason` may be null when the caller needs no details.
  bool Admits(int q, int f, double amount, bool* borrowing, WaitReason* reason) const;
  bool IsBorrowing(int q, int f) const;
  double DominantShare(int q) const;

 private:
  // Per-flavor configuration, indexed by queue (or cohort) number.
  struct FlavorConfig {
    std::string name;
    double total = 0;  // GPUs in the cluster
    std::vector<double> nominal, limit, cohort_nominal;
  };
  // Immutable once built, except that AddFlavor copies it before adding.
  struct Config {
    std::vector<QueueConfig> queues;
    absl::flat_hash_map<std::string, int> queue_index;
    std::vector<int> cohort_of;
    std::vector<std::string> cohorts;
    absl::flat_hash_map<std::string, int> cohort_index;
    std::vector<FlavorConfig> flavors;
    absl::flat_hash_map<std::string, int> flavor_index;
  };

  void FillFlavor(Config& config, FlavorConfig& flavor) const;

  std::shared_ptr<const Config> config_;
  std::vector<std::vector<double>> usage_;         // flavor -> queue
  std::vector<std::vector<double>> cohort_usage_;  // flavor -> cohort
};

}  // namespace plinth::sched
