#include "plinth/metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace plinth::metrics {
namespace {

void AtomicAdd(std::atomic<double>& a, double by) {
  double cur = a.load();
  while (!a.compare_exchange_weak(cur, cur + by)) {
  }
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Shortest text that reads back as the same double ("0.00025", not
  // "0.00025000000000000001").
  char buf[32];
  auto result = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, result.ptr);
}

std::string LabelString(const std::vector<std::string>& names, const LabelValues& values,
                        const std::string& extra = "") {
  if (names.empty() && extra.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ",";
    absl::StrAppend(&out, names[i], "=\"", EscapeLabelValue(values[i]), "\"");
  }
  if (!extra.empty()) {
    if (!names.empty()) out += ",";
    out += extra;
  }
  return out + "}";
}

void Header(std::string& out, const std::string& name, const std::string& help, const char* type) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

}  // namespace

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void Counter::Increment(double by) { AtomicAdd(value_, by); }
void Gauge::Add(double by) { AtomicAdd(value_, by); }

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), buckets_(bounds->size() + 1, 0) {}

void Histogram::Observe(double v) {
  size_t i = std::lower_bound(bounds_->begin(), bounds_->end(), v) - bounds_->begin();
  std::lock_guard lock(mu_);
  ++buckets_[i];
  sum_ += v;
  ++count_;
}

Histogram::Snapshot Histogram::Take() const {
  std::lock_guard lock(mu_);
  Snapshot s;
  uint64_t running = 0;
  for (uint64_t b : buckets_) {
    running += b;
    s.cumulative.push_back(running);
  }
  s.sum = sum_;
  s.count = count_;
  return s;
}

template <typename T>
T& Family<T>::WithLabels(const LabelValues& values) {
  std::lock_guard lock(mu_);
  auto& slot = children_[values];
  if (!slot) {
    if constexpr (std::is_same_v<T, Histogram>) {
      slot = std::make_unique<Histogram>(&bounds_);
    } else {
      slot = std::make_unique<T>();
    }
  }
  return *slot;
}

template <typename T>
void Family<T>::ForEach(const std::function<void(const LabelValues&, const T&)>& fn) const {
  std::lock_guard lock(mu_);
  for (const auto& [labels, child] : children_) fn(labels, *child);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

const std::vector<double>& DefaultLatencyBuckets() {
  static const std::vector<double> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                               0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                               1,      2.5,     5,      10};
  return kBuckets;
}

Family<Counter>& Registry::AddCounter(const std::string& name, const std::string& help,
                                      std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  counters_.push_back(std::make_unique<Family<Counter>>(name, help, std::move(labels)));
  return *counters_.back();
}

Family<Gauge>& Registry::AddGauge(const std::string& name, const std::string& help,
                                  std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  gauges_.push_back(std::make_unique<Family<Gauge>>(name, help, std::move(labels)));
  return *gauges_.back();
}

Family<Histogram>& Registry::AddHistogram(const std::string& name, const std::string& help,
                                          std::vector<std::string> labels,
                                          std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  histograms_.push_back(
      std::make_unique<Family<Histogram>>(name, help, std::move(labels), std::move(bounds)));
  return *histograms_.back();
}

void Registry::AddCollector(std::function<void()> collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::Expose() const {
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard lock(mu_);
    collectors = collectors_;
  }
  for (auto& c : collectors) c();

  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& f : counters_) {
    Header(out, f->name(), f->help(), "counter");
    f->ForEach([&](const LabelValues& lv, const Counter& c) {
      absl::StrAppend(&out, f->name(), LabelString(f->label_names(), lv), " ",
                      FormatValue(c.Value()), "\n");
    });
  }
  for (const auto& f : gauges_) {
    Header(out, f->name(), f->help(), "gauge");
    f->ForEach([&](const LabelValues& lv, const Gauge& g) {
      absl::StrAppend(&out, f->name(), LabelString(f->label_names(), lv), " ",
                      FormatValue(g.Value()), "\n");
    });
  }
  for (const auto& f : histograms_) {
    Header(out, f->name(), f->help(), "histogram");
    f->ForEach([&](const LabelValues& lv, const Histogram& h) {
      Histogram::Snapshot s = h.Take();
      for (size_t i = 0; i < s.cumulative.size(); ++i) {
        std::string le = i < f->bounds().size() ? FormatValue(f->bounds()[i]) : "+Inf";
        absl::StrAppend(&out, f->name(), "_bucket",
                        LabelString(f->label_names(), lv, absl::StrCat("le=\"", le, "\"")), " ",
                        s.cumulative[i], "\n");
      }
      absl::StrAppend(&out, f->name(), "_sum", LabelString(f->label_names(), lv), " ",
                      FormatValue(s.sum), "\n");
      absl::StrAppend(&out, f->name(), "_count", LabelString(f->label_names(), lv), " ", s.count,
                      "\n");
    });
  }
  return out;
}

Registry& Registry::Global() {
  static Registry* registry = new Registry();
  return *registry;
}

}  // namespace plinth::metrics
