#include "plinth/common/event_bus.h"

#include "absl/strings/match.h"

namespace plinth {

struct EventBus::Subscription::Entry {
  std::vector<std::string> topics;
  Handler handler;
  std::mutex mu;  // held while the handler runs
  bool active = true;
  // The thread running the handler now, so that a subscription destroyed
  // from its own handler does not wait for itself.
  std::atomic<std::thread::id> delivering{};
};

EventBus::Subscription::~Subscription() {
  bus_.Remove(entry_);
  if (entry_->delivering.load() == std::this_thread::get_id()) {
    entry_->active = false;  // inside the handler, which holds mu
    return;
  }
  std::lock_guard<std::mutex> lock(entry_->mu);
  entry_->active = false;
}

std::unique_ptr<EventBus::Subscription> EventBus::Subscribe(std::vector<std::string> topics,
                                                            Handler handler) {
  auto entry = std::make_shared<Subscription::Entry>();
  entry->topics = std::move(topics);
  entry->handler = std::move(handler);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& topic : entry->topics) {
      if (absl::EndsWith(topic, "*")) {
        prefixes_.emplace(topic.substr(0, topic.size() - 1), entry);
      } else {
        exact_.emplace(topic, entry);
      }
    }
  }
  return std::unique_ptr<Subscription>(new Subscription(*this, entry));
}

void EventBus::Remove(const std::shared_ptr<Subscription::Entry>& entry) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& topic : entry->topics) {
    bool prefix = absl::EndsWith(topic, "*");
    auto& map = prefix ? prefixes_ : exact_;
    auto [first, last] = map.equal_range(prefix ? topic.substr(0, topic.size() - 1) : topic);
    for (auto it = first; it != last;) it = it->second == entry ? map.erase(it) : std::next(it);
  }
}

void EventBus::Publish(const BusEvent& event) {
  std::vector<std::shared_ptr<Subscription::Entry>> targets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (exact_.empty() && prefixes_.empty()) return;  // the common case: nobody listens
    auto [first, last] = exact_.equal_range(event.topic);
    for (auto it = first; it != last; ++it) targets.push_back(it->second);
    for (const auto& [prefix, entry] : prefixes_) {
      if (absl::StartsWith(event.topic, prefix)) targets.push_back(entry);
    }
  }
  for (const auto& entry : targets) {
    std::lock_guard<std::mutex> lock(entry->mu);
    if (!entry->active) continue;
    entry->delivering = std::this_thread::get_id();
    entry->handler(event);
    entry->delivering = std::thread::id();
  }
}

bool EventBus::Wanted(const std::string& topic) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (exact_.count(topic)) return true;
  for (const auto& [prefix, entry] : prefixes_) {
    if (absl::StartsWith(topic, prefix)) return true;
  }
  return false;
}

int EventBus::Subscribers(const std::string& topic) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (absl::EndsWith(topic, "*")) {
    return static_cast<int>(prefixes_.count(topic.substr(0, topic.size() - 1)));
  }
  return static_cast<int>(exact_.count(topic));
}

}  // namespace plinth
