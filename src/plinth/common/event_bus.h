// The in-process event bus: modules publish what changed on topics
// ("jobs/<id>", later "runs/<id>/metrics", "pipelines/<id>"), and whoever
// waits for a change subscribes instead of polling (the event stream of
// /api/v1/events, `logs -f`, `plinth run --wait`, the pipeline engine).
//
// Delivery is synchronous, on the publisher's thread, in publish order per
// publisher; a handler must be quick and must not block (post real work to a
// thread of its own). A subscriber that needs the current state as well
// subscribes first and reads it second, so that nothing falls in between;
// it may then see one change twice.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "plinth/common/json.h"

namespace plinth {

struct BusEvent {
  std::string topic;  // e.g. "jobs/j-123"
  std::string type;   // e.g. "job": what `data` is
  Json data;
};

class EventBus {
 public:
  using Handler = std::function<void(const BusEvent&)>;

  // Ends delivery when destroyed: once the destructor returns, the handler
  // is not running and will not run again (when destroyed from inside its
  // own handler, after that call returns).
  class Subscription {
   public:
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    friend class EventBus;
    struct Entry;
    Subscription(EventBus& bus, std::shared_ptr<Entry> entry) : bus_(bus), entry_(entry) {}
    EventBus& bus_;
    std::shared_ptr<Entry> entry_;
  };

  EventBus() = default;
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // `topics` are exact names, or a prefix followed by '*' ("jobs/*": every
  // job).
  std::unique_ptr<Subscription> Subscribe(std::vector<std::string> topics, Handler handler);
  void Publish(const BusEvent& event);
  // Whether anyone would receive an event on `topic` now: lets a publisher
  // skip building an event nobody reads.
  bool Wanted(const std::string& topic) const;
  // Subscribers of exactly this topic or pattern (for tests and metrics).
  int Subscribers(const std::string& topic) const;

 private:
  void Remove(const std::shared_ptr<Subscription::Entry>& entry);

  mutable std::mutex mu_;
  std::multimap<std::string, std::shared_ptr<Subscription::Entry>> exact_ ABSL_GUARDED_BY(mu_);
  std::multimap<std::string, std::shared_ptr<Subscription::Entry>> prefixes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace plinth
