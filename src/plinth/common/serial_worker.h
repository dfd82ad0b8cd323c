// A thread that runs tasks one after another, in the order they were posted.
//
// The job loop gives each executor one: a call to a slow backend (a hung
// slurmctld, an unreachable Kubernetes API server) then holds up that
// executor's own work only, never the loop or the other executors, and the
// calls to one backend keep their order (a signal before the kill after it).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"

namespace plinth {

class SerialWorker {
 public:
  explicit SerialWorker(std::string name);
  ~SerialWorker();  // Shutdown()
  SerialWorker(const SerialWorker&) = delete;
  SerialWorker& operator=(const SerialWorker&) = delete;

  // Queues `task`; false (and `task` dropped) once Shutdown began.
  bool Post(std::function<void()> task);
  // Lets the running task finish, drops those still queued, and joins.
  void Shutdown();
  // Tasks posted and not yet finished.
  size_t Backlog() const;

 private:
  void Run();

  const std::string name_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool running_task_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace plinth
