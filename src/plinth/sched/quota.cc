#include "plinth/sched/quota.h"

#include <algorithm>
#include <cmath>

namespace plinth::sched {
namespace {

constexpr double kEpsilon = 1e-9;

double Get(const std::map<std::string, double>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

}  // namespace

QuotaBook::QuotaBook(const std::vector<QueueConfig>& queues,
                     std::map<std::string, double> cluster_totals) {
  auto config = std::make_shared<Config>();
  config->queues = queues;
  for (size_t i = 0; i < queues.size(); ++i) {
    const QueueConfig& q = queues[i];
    config->queue_index[q.name] = static_cast<int>(i);  // a repeated name: the last one wins
    int cohort = -1;
    if (!q.cohort.empty()) {
      auto [it, added] =
          config->cohort_index.emplace(q.cohort, static_cast<int>(config->cohorts.size()));
      if (added) config->cohorts.push_back(q.cohort);
      cohort = it->second;
    }
    config->cohort_of.push_back(cohort);
  }
  std::vector<std::string> names;
  for (const auto& [flavor, total] : cluster_totals) names.push_back(flavor);
  for (const QueueConfig& q : queues) {
    for (const auto* m : {&q.nominal, &q.borrowing_limit}) {
      for (const auto& [flavor, amount] : *m) names.push_back(flavor);
    }
  }
  for (const std::string& name : names) {
    if (config->flavor_index.count(name)) continue;
    FlavorConfig flavor;
    flavor.name = name;
    flavor.total = Get(cluster_totals, name);
    FillFlavor(*config, flavor);
    config->flavor_index[name] = static_cast<int>(config->flavors.size());
    config->flavors.push_back(std::move(flavor));
  }
  usage_.assign(config->flavors.size(), std::vector<double>(queues.size(), 0));
  cohort_usage_.assign(config->flavors.size(), std::vector<double>(config->cohorts.size(), 0));
  config_ = std::move(config);
}

void QuotaBook::FillFlavor(Config& config, FlavorConfig& flavor) const {
  size_t n = config.queues.size();
  flavor.nominal.assign(n, 0);
  flavor.limit.assign(n, 0);
  flavor.cohort_nominal.assign(config.cohorts.size(), 0);
  for (size_t i = 0; i < n; ++i) {
    const QueueConfig& q = config.queues[i];
    double nominal = Get(q.nominal, flavor.name);
    flavor.nominal[i] = nominal;
    if (q.cohort.empty()) {
      flavor.limit[i] = nominal;
      continue;
    }
    auto limit = q.borrowing_limit.find(flavor.name);
    flavor.limit[i] = limit == q.borrowing_limit.end() ? kUnlimited : nominal + limit->second;
    flavor.cohort_nominal[config.cohort_of[i]] += nominal;
  }
}

int QuotaBook::QueueIndex(const std::string& queue) const {
  auto it = config_->queue_index.find(queue);
  return it == config_->queue_index.end() ? -1 : it->second;
}

int QuotaBook::FlavorIndex(const std::string& flavor) const {
  auto it = config_->flavor_index.find(flavor);
  return it == config_->flavor_index.end() ? -1 : it->second;
}

int QuotaBook::AddFlavor(const std::string& flavor) {
  int index = FlavorIndex(flavor);
  if (index >= 0) return index;
  auto config = std::make_shared<Config>(*config_);
  FlavorConfig added;
  added.name = flavor;
  FillFlavor(*config, added);
  index = static_cast<int>(config->flavors.size());
  config->flavor_index[flavor] = index;
  config->flavors.push_back(std::move(added));
  usage_.emplace_back(config->queues.size(), 0);
  cohort_usage_.emplace_back(config->cohorts.size(), 0);
  config_ = std::move(config);
  return index;
}

const QueueConfig* QuotaBook::Find(const std::string& queue) const {
  int q = QueueIndex(queue);
  return q < 0 ? nullptr : &config_->queues[q];
}

void QuotaBook::Charge(int q, int f, double amount) {
  double& used = usage_[f][q];
  used += amount;
  if (std::fabs(used) < kEpsilon) used = 0;  // no drift over long simulations
  int cohort = config_->cohort_of[q];
  if (cohort < 0) return;
  double& cohort_used = cohort_usage_[f][cohort];
  cohort_used += amount;
  if (std::fabs(cohort_used) < kEpsilon) cohort_used = 0;
}

void QuotaBook::Charge(const std::string& queue, const std::string& flavor, double amount) {
  if (flavor.empty()) return;  // CPU-only jobs use no GPU quota
  int q = QueueIndex(queue);
  if (q < 0) return;
  Charge(q, AddFlavor(flavor), amount);
}

void QuotaBook::Release(const std::string& queue, const std::string& flavor, double amount) {
  Charge(queue, flavor, -amount);
}

double QuotaBook::Usage(const std::string& queue, const std::string& flavor) const {
  int q = QueueIndex(queue), f = FlavorIndex(flavor);
  return q < 0 || f < 0 ? 0 : Usage(q, f);
}

double QuotaBook::Nominal(const std::string& queue, const std::string& flavor) const {
  int q = QueueIndex(queue), f = FlavorIndex(flavor);
  return q < 0 || f < 0 ? 0 : Nominal(q, f);
}

double QuotaBook::Limit(const std::string& queue, const std::string& flavor) const {
  int q = QueueIndex(queue), f = FlavorIndex(flavor);
  if (q < 0) return 0;
  if (f >= 0) return config_->flavors[f].limit[q];
  return config_->cohort_of[q] < 0 ? 0 : kUnlimited;  // a flavor without quota anywhere
}

double QuotaBook::CohortUsage(const std::string& cohort, const std::string& flavor) const {
  auto c = config_->cohort_index.find(cohort);
  int f = FlavorIndex(flavor);
  return c == config_->cohort_index.end() || f < 0 ? 0 : cohort_usage_[f][c->second];
}

double QuotaBook::CohortNominal(const std::string& cohort, const std::string& flavor) const {
  auto c = config_->cohort_index.find(cohort);
  int f = FlavorIndex(flavor);
  return c == config_->cohort_index.end() || f < 0 ? 0
                                                   : config_->flavors[f].cohort_nominal[c->second];
}

bool QuotaBook::Admits(int q, int f, double amount, bool* borrowing, WaitReason* reason) const {
  *borrowing = false;
  const FlavorConfig& flavor = config_->flavors[f];
  double used = usage_[f][q];
  double nominal = flavor.nominal[q];
  if (used + amount <= nominal + kEpsilon) return true;
  double limit = flavor.limit[q];
  int cohort = config_->cohort_of[q];
  if (reason) {
    reason->flavor = flavor.name;
    reason->queue = config_->queues[q].name;
    reason->cohort = config_->queues[q].cohort;
    reason->needed = amount;
    reason->used = used;
    reason->nominal = nominal;
  }
  if (used + amount > limit + kEpsilon) {
    if (reason) {
      reason->kind = WaitReason::Kind::kQueueQuota;
      reason->limit = limit;
    }
    return false;
  }
  double cohort_used = cohort < 0 ? 0 : cohort_usage_[f][cohort];
  double cohort_nominal = cohort < 0 ? 0 : flavor.cohort_nominal[cohort];
  if (cohort_used + amount > cohort_nominal + kEpsilon) {
    if (reason) {
      reason->kind = WaitReason::Kind::kCohortQuota;
      reason->used = cohort_used;
      reason->limit = cohort_nominal;
    }
    return false;
  }
  *borrowing = true;
  return true;
}

bool QuotaBook::Admits(const std::string& queue, const std::string& flavor, double amount,
                       bool* borrowing, WaitReason* reason) const {
  *borrowing = false;
  if (flavor.empty()) return true;
  int q = QueueIndex(queue);
  if (q < 0) {
    reason->kind = WaitReason::Kind::kUnknownQueue;
    reason->queue = queue;
    return false;
  }
  int f = FlavorIndex(flavor);
  if (f >= 0) return Admits(q, f, amount, borrowing, reason);
  // A flavor no queue has quota for and nothing uses.
  if (amount <= kEpsilon) return true;
  const QueueConfig& config = config_->queues[q];
  reason->flavor = flavor;
  reason->queue = queue;
  reason->cohort = config.cohort;
  reason->needed = amount;
  reason->used = 0;
  reason->nominal = 0;
  reason->kind =
      config.cohort.empty() ? WaitReason::Kind::kQueueQuota : WaitReason::Kind::kCohortQuota;
  reason->limit = 0;
  return false;
}

bool QuotaBook::IsBorrowing(int q, int f) const {
  return usage_[f][q] > config_->flavors[f].nominal[q] + kEpsilon;
}

bool QuotaBook::IsBorrowing(const std::string& queue, const std::string& flavor) const {
  int q = QueueIndex(queue), f = FlavorIndex(flavor);
  return q >= 0 && f >= 0 && IsBorrowing(q, f);
}

double QuotaBook::DominantShare(int q) const {
  double share = 0;
  for (size_t f = 0; f < usage_.size(); ++f) {
    double used = usage_[f][q];
    if (used == 0) continue;
    const FlavorConfig& flavor = config_->flavors[f];
    double entitlement = flavor.nominal[q];
    if (!(entitlement > 0) || std::isinf(entitlement)) entitlement = flavor.total;
    if (entitlement > 0) share = std::max(share, used / entitlement);
  }
  return share / std::max(config_->queues[q].weight, kEpsilon);
}

double QuotaBook::DominantShare(const std::string& queue) const {
  int q = QueueIndex(queue);
  return q < 0 ? 0 : DominantShare(q);
}

}  // namespace plinth::sched
