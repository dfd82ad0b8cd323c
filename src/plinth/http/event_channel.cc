#include "plinth/http/event_channel.h"

#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "plinth/http/handlers.h"

namespace plinth::http {
namespace {

constexpr int kMaxTopics = 100;

// One client's subscription: events published before the response has
// started are kept, then sent after the topics' current state.
struct Subscriber {
  std::mutex mu;
  std::shared_ptr<ResponseStream> out;  // null until the response starts
  std::string early;                    // formatted events published before that
  std::unique_ptr<EventBus::Subscription> subscription;
};

}  // namespace

std::string EventChannel::Format(const BusEvent& event) {
  // One line of JSON: dump() never emits a newline without indentation.
  return absl::StrCat("event: ", event.type, "\ndata: ", event.data.dump(), "\n\n");
}

void EventChannel::AddTopics(TopicFamily family) { families_.push_back(std::move(family)); }

const TopicFamily* EventChannel::FamilyOf(const std::string& topic) const {
  for (const TopicFamily& family : families_) {
    if (absl::StartsWith(topic, family.prefix) && topic.size() > family.prefix.size()) {
      return &family;
    }
  }
  return nullptr;
}

Response EventChannel::Open(const Principal& who, const std::vector<std::string>& topics) {
  auto error = [](absl::Status status) { return NativeError(status); };
  if (topics.empty()) {
    return error(absl::InvalidArgumentError("topic: name at least one, e.g. topic=jobs/<id>"));
  }
  if (topics.size() > kMaxTopics) {
    return error(absl::InvalidArgumentError(
        absl::StrCat("topic: at most ", kMaxTopics, " per stream (got ", topics.size(), ")")));
  }
  std::vector<const TopicFamily*> families;
  for (const std::string& topic : topics) {
    const TopicFamily* family = FamilyOf(topic);
    if (family == nullptr) {
      std::string known;
      for (const TopicFamily& f : families_)
        absl::StrAppend(&known, known.empty() ? "" : ", ", f.prefix, "<id>");
      return error(absl::InvalidArgumentError(
          absl::StrCat("topic: '", topic.substr(0, 200), "' is not a topic; use ", known)));
    }
    families.push_back(family);
  }
  // Subscribe before reading the current state, so no change falls between.
  auto subscriber = std::make_shared<Subscriber>();
  subscriber->subscription = bus_.Subscribe(topics, [subscriber](const BusEvent& event) {
    std::lock_guard<std::mutex> lock(subscriber->mu);
    if (subscriber->out) {
      subscriber->out->Send(Format(event));
    } else {
      subscriber->early += Format(event);
    }
  });
  std::string current;
  for (size_t i = 0; i < topics.size(); ++i) {
    absl::StatusOr<std::vector<BusEvent>> state = families[i]->open(who, topics[i]);
    if (!state.ok()) {
      subscriber->subscription.reset();  // its handler holds `subscriber`: break the cycle
      return error(state.status());
    }
    for (const BusEvent& event : *state) current += Format(event);
  }
  return Response::Stream("text/event-stream",
                          [subscriber, current](std::shared_ptr<ResponseStream> out) {
                            out->OnClose([subscriber] {
                              std::unique_ptr<EventBus::Subscription> ending;
                              {
                                std::lock_guard<std::mutex> lock(subscriber->mu);
                                ending = std::move(subscriber->subscription);
                                subscriber->out.reset();
                              }
                            });
                            std::lock_guard<std::mutex> lock(subscriber->mu);
                            out->Send(current + subscriber->early);
                            subscriber->early.clear();
                            if (subscriber->subscription) subscriber->out = std::move(out);
                          });
}

void EventChannel::Register(Router& router) {
  router.Add("GET", "/api/v1/events", [this](Request& req) {
    std::vector<std::string> topics;
    auto [first, last] = req.query.equal_range("topic");
    for (auto it = first; it != last; ++it) topics.push_back(it->second);
    return Open(req.principal, topics);
  });
}

}  // namespace plinth::http
