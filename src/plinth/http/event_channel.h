// The one server-push channel: GET /api/v1/events?topic=T[&topic=U...]
// answers Server-Sent Events for topics of the in-process event bus
// (common/event_bus.h). Each topic's current state comes first, then every
// change as it is published, until the client disconnects:
//
//   event: job
//   data: {"id":"j-...","state":"RUNNING",...}
//
// A module makes its topics available with AddTopics: a prefix ("jobs/")
// and an `open` function that authorizes the caller for one topic (its
// error becomes the 4xx answer, before any event is sent) and returns the
// topic's current state. Unknown topics are 400.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plinth/common/event_bus.h"
#include "plinth/http/message.h"
#include "plinth/http/router.h"

namespace plinth::http {

struct TopicFamily {
  std::string prefix;  // e.g. "jobs/": topics "jobs/<id>"
  std::function<absl::StatusOr<std::vector<BusEvent>>(const Principal& who,
                                                      const std::string& topic)>
      open;
};

class EventChannel {
 public:
  explicit EventChannel(EventBus& bus) : bus_(bus) {}
  void AddTopics(TopicFamily family);
  // GET /api/v1/events.
  void Register(Router& router);
  // Opens `topics` for `who` as a streamed response (also for routes of
  // their own, such as a job's watch).
  Response Open(const Principal& who, const std::vector<std::string>& topics);

  // One event in the SSE wire format.
  static std::string Format(const BusEvent& event);

 private:
  const TopicFamily* FamilyOf(const std::string& topic) const;

  EventBus& bus_;
  std::vector<TopicFamily> families_;  // set up before the server starts
};

}  // namespace plinth::http
